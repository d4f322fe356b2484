// What the root guard (bastion-offline guard, ./root-guard.ts) must remember between passes:
// the connectivity state and since when. A pass is a fresh process every 60 s (a systemd
// timer), and `offline_max_sso_unreachable` counts from the FIRST pass that found the portal
// unreachable, so "unreachable since" lives in a root-private file, written atomically.
// Unreadable or foreign content counts as "no state" (the clock starts again now): root alone
// can write the file, so only a crash or an administrator could have spoiled it.
import { OfflineCode } from '../offline/codes';
import { ensurePrivateDir, readPrivateFile, writeFileAtomic } from '../offline/secure-fs';
import { mkdirSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ConnectivityState } from './status';

export const DEFAULT_GUARD_STATE_PATH = '/var/lib/bastion-greeter/session-guard/state';

export interface GuardConnectivity {
  state: ConnectivityState;
  /** When `state` began, ms epoch. */
  since: number;
}

export interface GuardStateStore {
  load(): GuardConnectivity | null;
  save(value: GuardConnectivity): void;
}

const STATES: readonly ConnectivityState[] = ['online', 'offline', 'portal-unreachable'];

export class FileGuardState implements GuardStateStore {
  constructor(
    readonly path: string,
    private readonly log: (line: string) => void = () => undefined,
  ) {}

  load(): GuardConnectivity | null {
    try {
      const bytes = readPrivateFile(this.path, {
        what: 'session guard state',
        maxBytes: 4096,
        badCode: OfflineCode.INVALID,
      });
      if (bytes === null) return null;
      const value = JSON.parse(bytes.toString('utf8')) as Partial<GuardConnectivity> | null;
      if (
        !STATES.includes(value?.state as ConnectivityState) ||
        !Number.isSafeInteger(value?.since)
      ) {
        throw new Error('not a state of ours');
      }
      return { state: value!.state!, since: value!.since! };
    } catch (error) {
      this.log(`session guard state ${this.path} ignored: ${(error as Error).message}`);
      return null;
    }
  }

  save(value: GuardConnectivity): void {
    const dir = dirname(this.path);
    mkdirSync(dirname(dir), { recursive: true, mode: 0o700 });
    ensurePrivateDir(dir);
    writeFileAtomic(dir, basename(this.path), Buffer.from(JSON.stringify(value)));
  }
}
