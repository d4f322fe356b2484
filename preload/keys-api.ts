// The key manager's contract (`bastion-greeter --keys`, `npm start -- --keys`): the one door of
// the enrollment wizard's page, `window.bastionKeys`, and nothing of the greeter's. Main owns
// the wizard (main/keys/wizard.ts) and pushes a snapshot on every change; the page renders it
// and sends what the person typed or chose. Main validates every payload
// (main/ipc/keys-validate.ts). Types and constant names only: no imports, no side effects.

/** The wizard's steps, in order (`blocked`: the site's policy keeps the wizard from running). */
export type KeysStep =
  | 'blocked'
  | 'password'
  | 'device'
  | 'pin'
  | 'touch'
  | 'name'
  | 'test'
  | 'backup'
  | 'done'
  | 'cancelled';

/** Why the wizard cannot run here: a central mapping only an admin writes, or a bad policy. */
export type KeysBlockedReason = 'central' | 'policy';

/** What pam_u2f will demand at login for the key enrolled now (greeter.conf `key-require`). */
export type KeysRequirement = 'presence' | 'pin' | 'verification';

/**
 * Every outcome the page explains with one sentence (en, fr). The key's own ones are
 * main/keys KeysError codes; the rest are the wizard's.
 */
export type KeysProblemCode =
  | 'PASSWORD_WRONG'
  | 'PASSWORD_UNAVAILABLE' // the PAM helper could not run the check
  | 'PASSWORD_THROTTLED' // too many wrong passwords: wait
  | 'KEY_NOT_FOUND'
  | 'KEY_REMOVED'
  | 'KEY_BUSY'
  | 'PIN_INVALID'
  | 'PIN_BLOCKED'
  | 'PIN_AUTH_BLOCKED'
  | 'PIN_POLICY'
  | 'PIN_MISMATCH'
  | 'KEY_FULL'
  | 'ALREADY_ENROLLED'
  | 'TIMEOUT'
  | 'UNSUPPORTED'
  | 'TEST_FAILED'
  | 'KEY_ERROR'
  | 'MAPPING_ERROR' // the mapping file is damaged, unsafe or cannot be written
  | 'NAME_INVALID';

export interface KeysProblem {
  code: KeysProblemCode;
  /** PIN attempts left (PIN_INVALID), when the key said. */
  retriesLeft: number | null;
}

/** One plugged-in security key; `id` is main's handle for it, never a device path. */
export interface KeysDevice {
  id: string;
  product: string;
  manufacturer: string;
}

export interface KeysPinState {
  /** `set`: the key has no PIN yet (new PIN + confirmation); `enter`: type the key's PIN. */
  mode: 'set' | 'enter';
  /** Shortest PIN the key accepts, in characters (CTAP 2.1 minPINLength, at least 4). */
  minLength: number;
  /** PIN attempts left before the key blocks its PIN (enter mode), when the key said. */
  retries: number | null;
}

export interface KeysSnapshot {
  step: KeysStep;
  blocked: KeysBlockedReason | null;
  /** Main is working (checking the password, reading or writing): the page waits. */
  busy: boolean;
  /** The account whose keys are enrolled: the person running the key manager. */
  user: string;
  requirement: KeysRequirement;
  /** The mapping file written (per-user) or the central one an admin writes. */
  authfile: string;
  /** Plugged-in keys, on the `device` step. */
  devices: KeysDevice[];
  pin: KeysPinState | null;
  /** The key waits for a touch right now (keepalive UPNEEDED), on `touch` and `test`. */
  touchNow: boolean;
  /** The name given on the `name` step (kept beside the mapping). */
  name: string | null;
  /** Keys enrolled in this run (the `backup` and `done` steps count them). */
  enrolled: number;
  problem: KeysProblem | null;
}

export interface KeysInfo {
  locale: 'en' | 'fr';
  hostname: string;
  host: 'electron' | 'dev-chromium';
}

export interface KeysPasswordRequest {
  password: string;
}
export interface KeysChooseRequest {
  id: string;
}
export interface KeysPinRequest {
  pin: string;
  /** The confirmation, in `set` mode only. */
  confirm?: string;
}
export interface KeysNameRequest {
  name: string;
}

/** `window.bastionKeys`. Commands resolve once main took them; the snapshot shows the rest. */
export interface BastionKeysApi {
  getInfo(): Promise<KeysInfo>;
  getSnapshot(): Promise<KeysSnapshot>;
  submitPassword(request: KeysPasswordRequest): Promise<void>;
  /** Lists the plugged-in keys again now (the `device` step also re-checks by itself). */
  refreshDevices(): Promise<void>;
  chooseDevice(request: KeysChooseRequest): Promise<void>;
  submitPin(request: KeysPinRequest): Promise<void>;
  submitName(request: KeysNameRequest): Promise<void>;
  /** Runs the current touch (`touch`, `test`) again after a timeout. */
  retry(): Promise<void>;
  /** `backup`: enroll another key (the password is not asked again). */
  enrollAnother(): Promise<void>;
  /** `backup`: no other key now. */
  finish(): Promise<void>;
  /** Stops whatever runs (CTAPHID CANCEL) and writes nothing. */
  cancel(): Promise<void>;
  /** After a cancel: from the start again. */
  restart(): Promise<void>;
  onSnapshot(listener: (snapshot: KeysSnapshot) => void): () => void;
}

export type KeysCall = Exclude<keyof BastionKeysApi, 'onSnapshot'>;

/** Named IPC channels of the key manager; no generic passthrough. */
export const KEYS_IPC = {
  getInfo: 'bastion-keys:get-info',
  getSnapshot: 'bastion-keys:get-snapshot',
  submitPassword: 'bastion-keys:submit-password',
  refreshDevices: 'bastion-keys:refresh-devices',
  chooseDevice: 'bastion-keys:choose-device',
  submitPin: 'bastion-keys:submit-pin',
  submitName: 'bastion-keys:submit-name',
  retry: 'bastion-keys:retry',
  enrollAnother: 'bastion-keys:enroll-another',
  finish: 'bastion-keys:finish',
  cancel: 'bastion-keys:cancel',
  restart: 'bastion-keys:restart',
  snapshot: 'bastion-keys:snapshot',
} as const satisfies Record<KeysCall | 'snapshot', string>;

export type KeysInvokeChannel = Exclude<
  (typeof KEYS_IPC)[keyof typeof KEYS_IPC],
  typeof KEYS_IPC.snapshot
>;

/** Longest key name, in characters (main/keys checkLabel has the byte rule). */
export const MAX_KEY_NAME_CHARS = 64;
/** Longest PIN field accepted from the page, in UTF-8 bytes (CTAP2: at most 63). */
export const MAX_PIN_BYTES = 63;

declare global {
  interface Window {
    bastionKeys: BastionKeysApi;
  }
}
