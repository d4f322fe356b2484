// Which local account an SSO sign-in may open (issue #10; review L1). The portal names the
// account (`preferred_username`); a syntactically valid name is not enough: a portal user
// called `root`, `daemon` or `lightdm` must not be mapped onto that system account. Refused:
//   * a name /etc/passwd gives a uid outside UID_MIN..UID_MAX of /etc/login.defs (defaults
//     1000..60000, as shadow's; root, daemons, `nobody` at 65534),
//   * a name /etc/passwd gives a nologin or false shell (service accounts),
//   * anything when /etc/passwd cannot be read (fail closed).
// A name absent from /etc/passwd is a directory account (SSSD, LDAP, nss_openbastion, which
// creates it at first login): PAM decides for it, as for a typed name. Node has no getpwnam,
// and `getent` is not ours to spawn from the greeter (main/screens/users.ts), so directory
// accounts' uids are not checked here; pam_openbastion's and the directory's own rules apply.
import { decodeUtf8 } from '../screens/desktop-entry';
import { readBoundedFile } from '../screens/read-bounded';
import {
  DEFAULT_LOGIN_DEFS_PATH,
  DEFAULT_PASSWD_PATH,
  MAX_LOGIN_DEFS_BYTES,
  MAX_PASSWD_BYTES,
  parseLoginDefs,
} from '../screens/users';

export interface LocalAccountPaths {
  passwdPath?: string;
  loginDefsPath?: string;
}

const NO_LOGIN_SHELL = /(^|\/)(nologin|false)$/;

/** Why `name` may not be opened by an SSO sign-in, or null when it may. Never throws. */
export function ssoAccountRefusal(
  name: string,
  paths: LocalAccountPaths = {},
  log: (line: string) => void = () => undefined,
): string | null {
  let passwd: string;
  try {
    const bytes = readBoundedFile(paths.passwdPath ?? DEFAULT_PASSWD_PATH, MAX_PASSWD_BYTES);
    if (bytes === null) return 'the local account list cannot be read';
    passwd = decodeUtf8(bytes);
  } catch (error) {
    log(`sso sign-in: passwd not read (${(error as Error).name})`);
    return 'the local account list cannot be read';
  }
  let range = { min: 1000, max: 60000 };
  try {
    const defs = readBoundedFile(
      paths.loginDefsPath ?? DEFAULT_LOGIN_DEFS_PATH,
      MAX_LOGIN_DEFS_BYTES,
    );
    if (defs !== null) range = parseLoginDefs(decodeUtf8(defs), log);
  } catch (error) {
    log(`sso sign-in: login.defs not read (${(error as Error).name}); defaults used`);
  }
  for (const raw of passwd.split('\n')) {
    const fields = raw.replace(/\r$/, '').split(':');
    if (fields.length !== 7 || fields[0] !== name) continue;
    // The first entry of a name is the one NSS's files module returns.
    const uidText = fields[2]!;
    if (!/^(0|[1-9][0-9]{0,9})$/.test(uidText)) return 'the local account has no valid uid';
    const uid = Number(uidText);
    if (uid < range.min || uid > range.max) return `a system account (uid ${uid})`;
    if (NO_LOGIN_SHELL.test(fields[6]!.trim())) return 'an account without a login shell';
    return null;
  }
  return null;
}
