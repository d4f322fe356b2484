// The trusted side of the key manager's page: validates each call (./keys-validate) and runs
// it on the enrollment wizard (main/keys/wizard.ts). app/keys-window.ts (Electron IPC) and
// dev/keys-server.ts (the loopback bridge) forward raw payloads here. The site policy decides
// the requirement, origin and whether the wizard may write at all (greeter.conf `key-*`).
import { hostname as osHostname } from 'node:os';
import type { KeysInfo, KeysSnapshot } from '../../preload/keys-api';
import { defaultAuthfile, defaultOrigin } from '../keys';
import type { WizardDevices } from '../keys/wizard';
import { KeysWizard } from '../keys/wizard';
import type { PasswordCheck } from '../keys/wizard-password';
import type { KeyPolicy } from '../screens/policy';
import { validateKeysCall } from './keys-validate';

export interface KeysBackendOptions {
  locale: KeysInfo['locale'];
  host: KeysInfo['host'];
  hostname?: string;
  /** The person running the key manager (os.userInfo().username). */
  user: string;
  /** Their home and XDG_CONFIG_HOME: the default per-user file (pam_u2f's default path). */
  home: string;
  xdgConfigHome?: string;
  /** Instead of the per-user default (the demo's own home; tests). Ignored for a central file. */
  authfile?: string;
  /** greeter.conf's `key-*` part (main/screens/policy.ts loadKeyPolicy). */
  policy: KeyPolicy;
  checkPassword: PasswordCheck;
  devices: WizardDevices;
  pollMs?: number;
  touchTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface KeysBackend {
  /** Validates `payload` for `call`, then runs it; a bad payload changes nothing. */
  handle(call: string, payload: unknown): Promise<unknown>;
  subscribe(listener: (snapshot: KeysSnapshot) => void): () => void;
  close(): Promise<void>;
}

export function createKeysBackend(options: KeysBackendOptions): KeysBackend {
  const policy = options.policy;
  const central = policy.keyAuthfile !== null;
  const wizard = new KeysWizard({
    user: options.user,
    authfile: central
      ? policy.keyAuthfile!
      : (options.authfile ?? defaultAuthfile(options.home, options.xdgConfigHome)),
    blocked: policy.keyOrigin === '' ? 'policy' : central ? 'central' : null,
    requirement: policy.keyRequire,
    origin: policy.keyOrigin || defaultOrigin(),
    checkPassword: options.checkPassword,
    devices: options.devices,
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
    ...(options.touchTimeoutMs !== undefined ? { touchTimeoutMs: options.touchTimeoutMs } : {}),
    ...(options.log ? { log: options.log } : {}),
  });
  const info: KeysInfo = {
    locale: options.locale,
    hostname: options.hostname ?? osHostname(),
    host: options.host,
  };
  return {
    async handle(call: string, payload: unknown): Promise<unknown> {
      const request = validateKeysCall(call, payload);
      switch (request.call) {
        case 'getInfo':
          return { ...info };
        case 'getSnapshot':
          return wizard.snapshot();
        case 'refreshDevices':
          return wizard.refreshDevices();
        // Long steps (a PAM round trip, a touch) answer once accepted: the snapshot tells the
        // rest, and a cancel can overtake them.
        case 'submitPassword':
          return wizard.submitPassword(request.password);
        case 'chooseDevice':
          return wizard.chooseDevice(request.id);
        case 'submitPin':
          return wizard.submitPin(request.pin, request.confirm);
        case 'submitName':
          return wizard.submitName(request.name);
        case 'retry':
          return wizard.retry();
        case 'enrollAnother':
          return wizard.enrollAnother();
        case 'finish':
          return wizard.finish();
        case 'cancel':
          return wizard.cancel();
        case 'restart':
          return wizard.restart();
      }
    },
    subscribe: (listener) => wizard.subscribe(listener),
    close: () => wizard.close(),
  };
}
