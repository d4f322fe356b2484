// The enrollment wizard of the key manager (`bastion-greeter --keys`): a state machine over
// the key service (./index.ts), driven by the page's requests, publishing a KeysSnapshot on
// every change. The page never touches hardware; only this file opens a key, and only after
// the person proved their password and picked it.
//
//   password → device → pin (set or enter) → touch (create) → name → test (touch) → backup → done
//                                                                                  ↳ another: password
//
// One password proof enrolls one key: another key asks for it again, and so does any step left
// idle for `idleMs` (5 minutes): whoever sits at an unattended session must not add a key.
// Nothing is written before the test assertion verified: the mapping (and the key's name) are
// committed in one locked atomic replace right after it (updateAuthfile). Cancel aborts the
// running CTAP call (CTAPHID CANCEL through the AbortSignal) and drops every result, so the
// file stays byte for byte as it was. Results of an operation overtaken by a cancel or a
// restart are ignored (a generation counter), never applied to the new state.
import type {
  KeysBlockedReason,
  KeysDevice,
  KeysProblem,
  KeysProblemCode,
  KeysSnapshot,
} from '../../preload/keys-api';
import type { PinAuth } from '../fido2/ctap2';
import { Permission } from '../fido2/ctap2';
import type { DeviceOpener, OpenedAuthenticator } from '../fido2/device-choice';
import { openAuthenticator } from '../fido2/device-choice';
import type { FidoDeviceDescriptor } from '../fido2/hid-device';
import { checkLabel, readLabels, updateAuthfile } from './authfile';
import type { CreatedCredential, Requirement } from './enroll';
import { checkNewPin, createCredential, inspectKey, setKeyPin, testCredential } from './enroll';
import { asKeysError, KeysError } from './errors';
import type { KeysErrorCode } from './errors';
import { enrolledCredentialIds } from './index';
import { addCredential, parseAuthfile } from './u2f-mapping';
import type { PasswordCheck } from './wizard-password';

/** How the wizard reaches keys: node-hid in the app and the demo (no device is opened to list). */
export interface WizardDevices {
  list(): Promise<FidoDeviceDescriptor[]>;
  open: DeviceOpener;
}

export interface KeysWizardOptions {
  /** The person running the key manager (their own account, never another). */
  user: string;
  /** The mapping written: the person's own file, or the central one (then `blocked`). */
  authfile: string;
  /** Set when the wizard must not run: a central file (an admin enrolls), a bad policy. */
  blocked: KeysBlockedReason | null;
  requirement: Requirement;
  /** pam_u2f's origin (rp id) of the site's key service. */
  origin: string;
  checkPassword: PasswordCheck;
  devices: WizardDevices;
  /** How often the `device` step re-lists keys while shown (default 1 s). */
  pollMs?: number;
  /** Deadline of one touch (default 30 s, the CTAP stack's). */
  touchTimeoutMs?: number;
  /** Diagnostic lines; never a PIN, password or key material. */
  log?: (line: string) => void;
  /** Idle time on any step after which the password is asked again (default 5 minutes). */
  idleMs?: number;
}

/** A password proof is good for this long without anything happening on the wizard's steps. */
export const WIZARD_IDLE_MS = 5 * 60_000;

/** How long a cancel waits for the running call (its CANCEL and the key's answer: ~1.1 s). */
const CANCEL_WAIT_MS = 3_000;

/** A request that does not fit the current step: refused, nothing changes. */
export class KeysWizardError extends Error {
  readonly code = 'WIZARD_STEP';
  constructor(message: string) {
    super(message);
    this.name = 'KeysWizardError';
  }
}

const MAPPING_CODES: ReadonlySet<KeysErrorCode> = new Set<KeysErrorCode>([
  'MAPPING_CORRUPT',
  'MAPPING_UNSAFE',
  'MAPPING_TOO_LARGE',
  'MAPPING_FULL',
  'MAPPING_LOCKED',
  'MAPPING_IO',
  'LABELS_CORRUPT',
]);

/** The key service's codes the page has a sentence of its own for. */
const SAME_CODE: Partial<Record<KeysErrorCode, KeysProblemCode>> = {
  KEY_NOT_FOUND: 'KEY_NOT_FOUND',
  KEY_REMOVED: 'KEY_REMOVED',
  KEY_BUSY: 'KEY_BUSY',
  PIN_INVALID: 'PIN_INVALID',
  PIN_BLOCKED: 'PIN_BLOCKED',
  PIN_AUTH_BLOCKED: 'PIN_AUTH_BLOCKED',
  PIN_POLICY: 'PIN_POLICY',
  KEY_FULL: 'KEY_FULL',
  ALREADY_ENROLLED: 'ALREADY_ENROLLED',
  TIMEOUT: 'TIMEOUT',
  UNSUPPORTED: 'UNSUPPORTED',
  TEST_FAILED: 'TEST_FAILED',
};

/** The page's code for a key-service error (one sentence each on screen). */
export function problemOf(error: KeysError): KeysProblem {
  const code: KeysProblemCode = MAPPING_CODES.has(error.code)
    ? 'MAPPING_ERROR'
    : (SAME_CODE[error.code] ?? 'KEY_ERROR');
  return { code, retriesLeft: error.code === 'PIN_INVALID' ? error.retriesLeft : null };
}

function initial(options: KeysWizardOptions): KeysSnapshot {
  return {
    step: options.blocked ? 'blocked' : 'password',
    blocked: options.blocked,
    busy: false,
    user: options.user,
    requirement: options.requirement,
    authfile: options.authfile,
    devices: [],
    pin: null,
    touchNow: false,
    name: null,
    enrolled: 0,
    problem: null,
  };
}

export class KeysWizard {
  private state: KeysSnapshot;
  private readonly listeners = new Set<(snapshot: KeysSnapshot) => void>();
  private readonly log: (line: string) => void;
  /** Bumped by cancel/restart/close: results of older operations are dropped. */
  private generation = 0;
  private operation: AbortController | null = null;
  private opened: OpenedAuthenticator | null = null;
  private token: PinAuth | null = null;
  private created: CreatedCredential | null = null;
  /** Device ids handed to the page, by hidraw path (stable while the key stays plugged in). */
  private readonly ids = new Map<string, string>();
  private readonly paths = new Map<string, string>();
  private nextId = 1;
  private poll: ReturnType<typeof setInterval> | null = null;
  private listing = false;
  private committing = false;
  /** The step work running now (run()): a cancel waits for its CTAPHID CANCEL to land. */
  private running: Promise<void> | null = null;
  private closed = false;
  private idleTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly options: KeysWizardOptions) {
    this.state = initial(options);
    this.log = options.log ?? (() => undefined);
  }

  snapshot(): KeysSnapshot {
    return structuredClone(this.state);
  }

  subscribe(listener: (snapshot: KeysSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private set(change: Partial<KeysSnapshot>): void {
    if (change.step !== undefined && change.step !== this.state.step) this.activity();
    this.state = { ...this.state, ...change };
    const copy = this.snapshot();
    for (const listener of [...this.listeners]) listener(copy);
  }

  private expect(step: KeysSnapshot['step'], what: string): void {
    if (this.closed || this.state.step !== step || this.state.busy)
      throw new KeysWizardError(`${what} is not possible now`);
    this.activity();
  }

  /** A request or a new step: the idle clock starts again. */
  private activity(): void {
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.idleTimer = null;
    if (this.closed) return;
    this.idleTimer = setTimeout(() => void this.idleOut(), this.options.idleMs ?? WIZARD_IDLE_MS);
    this.idleTimer.unref?.();
  }

  /** Idle past the limit on a step behind the password: stop, drop everything, ask again. */
  private async idleOut(): Promise<void> {
    const step = this.state.step;
    if (this.closed || ['blocked', 'password', 'done', 'cancelled'].includes(step)) return;
    if (this.committing) return this.activity(); // the write is short: look again later
    await this.backToPassword();
    this.log(`key manager idle on step ${step}: the password is asked again`);
  }

  /** Ends whatever runs (as cancel does) and asks for the password; enrolled keys stay. */
  private async backToPassword(): Promise<void> {
    this.generation++;
    this.operation?.abort();
    this.operation = null;
    this.stopPolling();
    await this.settled(CANCEL_WAIT_MS);
    await this.release();
    if (this.closed) return;
    this.set({ ...initial(this.options), enrolled: this.state.enrolled });
  }

  /** Starts an operation tied to the current generation; `live()` says whether it still counts. */
  private begin(): { signal: AbortSignal; live: () => boolean } {
    this.operation?.abort();
    const controller = new AbortController();
    this.operation = controller;
    const generation = this.generation;
    return {
      signal: controller.signal,
      live: () => generation === this.generation && !controller.signal.aborted,
    };
  }

  // ── password ──────────────────────────────────────────────────────────────────────────
  /** Each request is checked at once (KeysWizardError when the step is another), then runs. */
  submitPassword(password: string): void {
    this.expect('password', 'A password');
    this.run(this.checkPassword(password));
  }

  private async checkPassword(password: string): Promise<void> {
    const op = this.begin();
    this.set({ busy: true, problem: null });
    const verdict = await this.options
      .checkPassword(this.options.user, password, op.signal)
      .catch((error: unknown) => {
        this.log(`password check failed: ${(error as Error).name}`);
        return 'unavailable' as const;
      });
    if (!op.live()) return;
    if (verdict === 'ok') return this.toDevices(null);
    const code: KeysProblemCode =
      verdict === 'wrong'
        ? 'PASSWORD_WRONG'
        : verdict === 'throttled'
          ? 'PASSWORD_THROTTLED'
          : 'PASSWORD_UNAVAILABLE';
    this.set({ busy: false, problem: { code, retriesLeft: null } });
  }

  // ── device ────────────────────────────────────────────────────────────────────────────
  /** The device step (again), with `problem` explaining why when a key was given up. */
  private toDevices(problem: KeysProblem | null): void {
    void this.release();
    this.set({
      step: 'device',
      busy: false,
      pin: null,
      touchNow: false,
      name: null,
      devices: [],
      problem,
    });
    void this.refreshDevices();
    this.stopPolling();
    this.poll = setInterval(() => void this.refreshDevices(), this.options.pollMs ?? 1_000);
    this.poll.unref?.();
  }

  private stopPolling(): void {
    if (this.poll !== null) clearInterval(this.poll);
    this.poll = null;
  }

  /** Lists plugged-in keys (only on the device step: nothing is enumerated before it). */
  async refreshDevices(): Promise<void> {
    if (this.closed || this.state.step !== 'device' || this.state.busy || this.listing) return;
    this.listing = true;
    let found: FidoDeviceDescriptor[];
    try {
      found = await this.options.devices.list();
    } catch (error) {
      this.log(`listing security keys failed: ${(error as Error).message}`);
      found = [];
    } finally {
      this.listing = false;
    }
    if (this.state.step !== 'device' || this.state.busy) return;
    const devices: KeysDevice[] = found.map((d) => {
      let id = this.ids.get(d.path);
      if (id === undefined) {
        id = `key-${this.nextId++}`;
        this.ids.set(d.path, id);
        this.paths.set(id, d.path);
      }
      return { id, product: d.product, manufacturer: d.manufacturer };
    });
    if (JSON.stringify(devices) !== JSON.stringify(this.state.devices)) this.set({ devices });
  }

  chooseDevice(id: string): void {
    this.expect('device', 'Choosing a key');
    const path = this.paths.get(id);
    if (path === undefined || !this.state.devices.some((d) => d.id === id))
      throw new KeysWizardError('not a key this wizard listed');
    this.run(this.openDevice(path));
  }

  private async openDevice(path: string): Promise<void> {
    this.stopPolling();
    const op = this.begin();
    this.set({ busy: true, problem: null });
    try {
      // A damaged mapping or names file stops us before the key is touched.
      enrolledCredentialIds(this.options.authfile, this.options.user);
      readLabels(this.options.authfile);
      const opened = await openAuthenticator(this.options.devices.open, path, {
        timeoutMs: 5_000,
      });
      if (!op.live()) {
        await opened.close();
        return;
      }
      this.opened = opened;
      const inspection = await inspectKey(opened.client, { signal: op.signal });
      if (!op.live()) return;
      if (!inspection.ctap2 || !inspection.es256)
        throw new KeysError('UNSUPPORTED', 'This security key does not support FIDO2 with ES256.');
      const requirement = this.options.requirement;
      if (requirement === 'verification' && !inspection.uv)
        throw new KeysError('UNSUPPORTED', 'This security key has no built-in verification.');
      if (inspection.pinSet && inspection.pinRetries === 0)
        throw new KeysError('PIN_BLOCKED', 'The security key’s PIN is blocked.');
      if (!inspection.pinSupported) {
        if (requirement === 'pin')
          throw new KeysError('UNSUPPORTED', 'This security key cannot hold a PIN.');
        return this.startCreate();
      }
      this.set({
        step: 'pin',
        busy: false,
        pin: {
          mode: inspection.pinSet ? 'enter' : 'set',
          minLength: inspection.minPinLength,
          retries: inspection.pinRetries,
        },
      });
    } catch (error) {
      if (op.live()) this.fail(error);
    }
  }

  // ── pin ───────────────────────────────────────────────────────────────────────────────
  submitPin(pinText: string, confirm: string | null): void {
    this.expect('pin', 'A PIN');
    this.run(this.usePin(pinText, confirm));
  }

  private async usePin(pinText: string, confirm: string | null): Promise<void> {
    const pinState = this.state.pin!;
    const opened = this.opened!;
    const pin = Buffer.from(pinText, 'utf8');
    const op = this.begin();
    try {
      if (pinState.mode === 'set') {
        if (confirm === null || confirm !== pinText) {
          this.set({ problem: { code: 'PIN_MISMATCH', retriesLeft: null } });
          return;
        }
        try {
          checkNewPin(pin, pinState.minLength);
        } catch (error) {
          this.set({ problem: problemOf(asKeysError(error)) });
          return;
        }
      }
      this.set({ busy: true, problem: null });
      if (pinState.mode === 'set') {
        await setKeyPin(opened.client, pin, { signal: op.signal, minLength: pinState.minLength });
        if (!op.live()) return;
      }
      const token = await opened.client
        .getPinToken(pin.toString('utf8'), {
          permissions: Permission.MAKE_CREDENTIAL | Permission.GET_ASSERTION,
          rpId: this.options.origin,
        })
        .catch((error: unknown) => {
          throw asKeysError(error);
        });
      if (!op.live()) {
        token.token.fill(0);
        return;
      }
      this.token = token;
      await this.startCreate();
    } catch (error) {
      if (!op.live()) return;
      const keysError = asKeysError(error);
      if (keysError.code === 'PIN_INVALID' || keysError.code === 'PIN_POLICY') {
        this.set({
          busy: false,
          problem: problemOf(keysError),
          pin: {
            ...pinState,
            mode: keysError.code === 'PIN_POLICY' ? pinState.mode : 'enter',
            retries: keysError.retriesLeft ?? pinState.retries,
          },
        });
        return;
      }
      this.fail(keysError);
    } finally {
      pin.fill(0);
    }
  }

  // ── touch: make the credential ───────────────────────────────────────────────────────
  private async startCreate(): Promise<void> {
    const opened = this.opened!;
    const op = this.begin();
    this.set({ step: 'touch', busy: false, touchNow: false, problem: null, pin: null });
    try {
      const created = await createCredential(
        opened.client,
        {
          user: this.options.user,
          origin: this.options.origin,
          requirement: this.options.requirement,
          excludeCredentialIds: enrolledCredentialIds(this.options.authfile, this.options.user),
          signal: op.signal,
          timeoutMs: this.options.touchTimeoutMs ?? 30_000,
          onProgress: (event) => {
            if (event.step === 'touch' && op.live()) this.set({ touchNow: true });
          },
        },
        this.token ?? undefined,
      );
      if (!op.live()) return;
      this.created = created;
      this.set({ step: 'name', touchNow: false, problem: null });
    } catch (error) {
      if (op.live()) this.fail(error);
    }
  }

  // ── name ──────────────────────────────────────────────────────────────────────────────
  submitName(name: string): void {
    this.expect('name', 'A name');
    const trimmed = name.trim();
    try {
      checkLabel(trimmed);
    } catch {
      this.set({ problem: { code: 'NAME_INVALID', retriesLeft: null } });
      return;
    }
    this.set({ name: trimmed, problem: null });
    this.run(this.startTest());
  }

  // ── test: a second touch, verified, then the write ───────────────────────────────────
  private async startTest(): Promise<void> {
    const opened = this.opened!;
    const created = this.created!;
    const op = this.begin();
    this.set({ step: 'test', busy: false, touchNow: false, problem: null });
    try {
      await testCredential(
        opened.client,
        created,
        {
          signal: op.signal,
          timeoutMs: this.options.touchTimeoutMs ?? 30_000,
          onProgress: (event) => {
            if (event.step === 'touch' && op.live()) this.set({ touchNow: true });
          },
        },
        this.token ?? undefined,
      );
      if (!op.live()) return;
      this.set({ busy: true, touchNow: false });
      const label = this.state.name;
      this.committing = true;
      try {
        await updateAuthfile(
          this.options.authfile,
          (doc, labels) => ({
            doc: addCredential(doc ?? parseAuthfile(Buffer.alloc(0)), this.options.user, created),
            labels:
              label === null
                ? null
                : new Map([...labels, [created.credentialId.toString('base64'), label]]),
            value: undefined,
          }),
          { signal: op.signal },
        );
      } finally {
        this.committing = false;
      }
      this.log(`enrolled a security key for ${this.options.user} in ${this.options.authfile}`);
      await this.release();
      this.set({
        step: 'backup',
        busy: false,
        enrolled: this.state.enrolled + 1,
        problem: null,
      });
    } catch (error) {
      if (op.live()) this.fail(error);
    }
  }

  /** A touch that timed out, tried again on the same step. */
  retry(): void {
    if (this.closed || this.state.busy || this.state.problem?.code !== 'TIMEOUT')
      throw new KeysWizardError('nothing to try again');
    if (this.state.step === 'touch') return this.run(this.startCreate());
    if (this.state.step === 'test') return this.run(this.startTest());
    throw new KeysWizardError('nothing to try again');
  }

  // ── backup, done ─────────────────────────────────────────────────────────────────────
  /** Another key needs the password again: one proof enrolls one key. */
  enrollAnother(): void {
    this.expect('backup', 'Another key');
    void this.backToPassword();
  }

  finish(): void {
    this.expect('backup', 'Finishing');
    this.set({ step: 'done', problem: null });
  }

  // ── cancel ───────────────────────────────────────────────────────────────────────────
  /** Stops whatever runs; nothing is written. The final write itself is too short to stop. */
  async cancel(): Promise<void> {
    if (this.closed) return;
    const step = this.state.step;
    // From `backup` on the key is saved: there is nothing left to cancel (that step finishes).
    if (
      step === 'blocked' ||
      step === 'backup' ||
      step === 'done' ||
      step === 'cancelled' ||
      this.committing
    )
      throw new KeysWizardError('nothing to cancel');
    this.generation++;
    this.operation?.abort();
    this.operation = null;
    this.stopPolling();
    // Closing the key under a running call would skip its CTAPHID CANCEL: the key would keep
    // waiting for a touch and answer "busy" to the next try. So the call ends first (bounded).
    await this.settled(CANCEL_WAIT_MS);
    await this.release();
    this.set({
      step: 'cancelled',
      busy: false,
      touchNow: false,
      pin: null,
      name: null,
      devices: [],
      problem: null,
    });
  }

  /** After a cancel: the password again (whoever sits there now proves it again). */
  restart(): void {
    this.expect('cancelled', 'Starting again');
    this.generation++;
    this.set({ ...initial(this.options), enrolled: this.state.enrolled });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.idleTimer !== null) clearTimeout(this.idleTimer);
    this.generation++;
    this.operation?.abort();
    this.stopPolling();
    await this.settled(CANCEL_WAIT_MS);
    await this.release();
    this.listeners.clear();
  }

  /** A failure: a touch that timed out stays on its step; the key's own problems go back. */
  private fail(error: unknown): void {
    const keysError = asKeysError(error);
    if (keysError.code === 'CANCELLED') return;
    const problem = problemOf(keysError);
    this.log(`enrollment step ${this.state.step} failed: ${keysError.code}`);
    if (
      keysError.code === 'TIMEOUT' &&
      (this.state.step === 'touch' || this.state.step === 'test')
    ) {
      this.set({ busy: false, touchNow: false, problem });
      return;
    }
    // The key's own problems (removed, full, already enrolled, PIN blocked…) and a damaged
    // mapping: back to choosing a key, the reason shown there.
    this.toDevices(problem);
  }

  /** Runs a step's work; its failures are in the snapshot, anything else is only logged. */
  private run(work: Promise<void>): void {
    const running = work.catch((error: unknown) => {
      this.log(`wizard: unexpected ${(error as Error)?.name ?? 'error'}`);
      if (!this.closed)
        this.set({ busy: false, problem: { code: 'KEY_ERROR', retriesLeft: null } });
    });
    this.running = running;
    void running.finally(() => {
      if (this.running === running) this.running = null;
    });
  }

  private async settled(boundMs: number): Promise<void> {
    if (this.running === null) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      this.running,
      new Promise<void>((resolve) => (timer = setTimeout(resolve, boundMs))),
    ]);
    clearTimeout(timer);
  }

  /** Closes the key and wipes what the run held (PIN token, credential not yet written). */
  private async release(): Promise<void> {
    this.token?.token.fill(0);
    this.token = null;
    this.created = null;
    const opened = this.opened;
    this.opened = null;
    await opened?.close().catch(() => undefined);
  }
}
