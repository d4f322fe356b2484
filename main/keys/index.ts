// The key service (DESIGN.md "FIDO2 login and unlock"): enrolls security keys for pam_u2f and
// keeps pam_u2f's mapping file. Electron-free; the enrollment wizard and `bastion-keys keys`
// use only what this file exports. See README.md in this folder.
import { join } from 'node:path';
import type { Ctap2Client } from '../fido2/ctap2';
import { checkLabel, readAuthfile, readLabels, updateAuthfile } from './authfile';
import type { CreatedCredential, EnrollRequest } from './enroll';
import { enrollKey } from './enroll';
import { KeysError } from './errors';
import type { CoseType, CredentialFlags, MappingProblem } from './u2f-mapping';
import {
  addCredential,
  checkUserName,
  listMappings,
  parseAuthfile,
  userMapping,
} from './u2f-mapping';

export { KeysError, isKeysError } from './errors';
export type { KeysErrorCode } from './errors';
export {
  checkNewPin,
  createCredential,
  defaultOrigin,
  enrollKey,
  flagsFor,
  inspectKey,
  setKeyPin,
  testCredential,
  unsuitable,
} from './enroll';
export type {
  CreateRequest,
  CreatedCredential,
  EnrollProgress,
  EnrollRequest,
  KeyInspection,
  Requirement,
  StepOptions,
  TestRequest,
} from './enroll';
export { checkLabel, labelsPath, readAuthfile, readLabels, updateAuthfile } from './authfile';
export {
  addCredential,
  formatCredential,
  listMappings,
  parseAuthfile,
  removeCredential,
  serializeAuthfile,
  userMapping,
} from './u2f-mapping';
export type { AuthfileDocument, CredentialFlags, U2fCredential, UserMapping } from './u2f-mapping';

/** pam_u2f's default per-user file: $XDG_CONFIG_HOME/Yubico/u2f_keys, else ~/.config/Yubico/u2f_keys. */
export function defaultAuthfile(home: string, xdgConfigHome?: string): string {
  const base =
    xdgConfigHome && xdgConfigHome.startsWith('/') ? xdgConfigHome : join(home, '.config');
  return join(base, 'Yubico', 'u2f_keys');
}

/** The ids already enrolled for `user` in `authfile` (the exclude list); [] when absent. */
export function enrolledCredentialIds(authfile: string, user: string): Buffer[] {
  checkUserName(user);
  const doc = readAuthfile(authfile);
  if (!doc) return [];
  return userMapping(doc, user)
    .credentials.map((c) => c.credentialId)
    .filter((id): id is Buffer => id !== null);
}

export interface EnrollIntoAuthfileRequest extends EnrollRequest {
  authfile: string;
  /** A name for the key (kept in `<authfile>.labels`; pam_u2f's format has no room for it). */
  label?: string;
}

export interface EnrollIntoAuthfileResult {
  credential: CreatedCredential;
  authfile: string;
  label: string | null;
}

/**
 * The whole enrollment: the user's current credentials become the exclude list (a damaged line
 * of that user stops everything before the key is touched), the key makes and proves the new
 * credential (enrollKey: `pin` is wiped), then the mapping is re-read under the lock, the
 * credential appended and the file replaced atomically. A cancel (signal) before that
 * commit leaves the file as it was.
 */
export async function enrollIntoAuthfile(
  client: Ctap2Client,
  request: EnrollIntoAuthfileRequest,
): Promise<EnrollIntoAuthfileResult> {
  try {
    checkUserName(request.user);
    if (request.label !== undefined) {
      checkLabel(request.label);
      readLabels(request.authfile); // LABELS_CORRUPT now, not after the touch
    }
    const exclude = enrolledCredentialIds(request.authfile, request.user);
    const credential = await enrollKey(client, { ...request, excludeCredentialIds: exclude });
    const label = request.label ?? null;
    await updateAuthfile(
      request.authfile,
      (doc, labels) => {
        const next = addCredential(doc ?? parseAuthfile(Buffer.alloc(0)), request.user, credential);
        const keyHandle = credential.credentialId.toString('base64');
        return {
          doc: next,
          labels: label === null ? null : new Map([...labels, [keyHandle, label]]),
          value: undefined,
        };
      },
      request.signal ? { signal: request.signal } : {},
    );
    return { credential, authfile: request.authfile, label };
  } finally {
    request.pin?.fill(0);
  }
}

export interface ListedCredential {
  user: string;
  /** The key handle as written ("*" for a resident credential). */
  credential: string;
  type: CoseType;
  flags: CredentialFlags;
  resident: boolean;
  oldFormat: boolean;
  name: string | null;
  line: number;
}

export interface AuthfileListing {
  credentials: ListedCredential[];
  /** Damaged lines (their users' keys are not listed). */
  problems: MappingProblem[];
  /** Lines pam_u2f ignores because a later line names the same user. */
  ignoredLines: number[];
  /** Set when the names file could not be read (the keys are still listed). */
  labelsProblem: string | null;
}

/** Everything pam_u2f would use from `authfile`; an absent or empty file lists nothing. */
export function listAuthfile(authfile: string): AuthfileListing {
  const doc = readAuthfile(authfile);
  const empty: AuthfileListing = {
    credentials: [],
    problems: [],
    ignoredLines: [],
    labelsProblem: null,
  };
  if (!doc) return empty;
  let labels: ReadonlyMap<string, string> = new Map();
  let labelsProblem: string | null = null;
  try {
    labels = readLabels(authfile);
  } catch (error) {
    if (!(error instanceof KeysError)) throw error;
    labelsProblem = error.message;
  }
  const { mappings, problems } = listMappings(doc);
  return {
    credentials: mappings.flatMap((m) =>
      m.credentials.map((c) => ({
        user: m.user,
        credential: c.keyHandle,
        type: c.coseType,
        flags: c.flags,
        resident: c.keyHandle === '*',
        oldFormat: c.oldFormat,
        name: labels.get(c.keyHandle) ?? null,
        line: m.line!.number,
      })),
    ),
    problems,
    ignoredLines: mappings.flatMap((m) => m.ignoredLines),
    labelsProblem,
  };
}
