// Asking LightDM to lock: its D-Bus API (org.freedesktop.DisplayManager) on the bus it serves
// (the system bus; the session bus under `lightdm --test-mode`), through busctl
// (main/power/busctl.ts). LightDM puts the object paths in the session's environment
// (display-manager-service.c, running_user_session_cb): XDG_SESSION_PATH (this session) and
// XDG_SEAT_PATH (its seat).
//
// Session.Lock first, as light-locker does: LightDM then locks the seat naming this session's
// user (the greeter gets `lock-screen` and `select-user`: an unlock screen for that person).
// Seat.Lock names nobody (the greeter shows a login screen on a locked seat); it is the
// fallback when the session object is missing or refuses.
import { busctlCall, type BusctlOptions } from '../power/busctl';
import { LockError } from './errors';

const DM_DEST = 'org.freedesktop.DisplayManager';
const SESSION_PATH = /^\/org\/freedesktop\/DisplayManager\/Session[0-9]{1,6}$/;
const SEAT_PATH = /^\/org\/freedesktop\/DisplayManager\/Seat[0-9]{1,6}$/;

export interface DisplayManagerTarget {
  sessionPath: string | null;
  seatPath: string | null;
  bus: BusctlOptions;
}

export interface DisplayManagerLock {
  /** Asks for the seat lock; resolves with what was called. Rejects with LockError. */
  lock(): Promise<string>;
  /** Asks LightDM to show its greeter again (the session was switched to while locked). */
  switchToGreeter(): Promise<void>;
}

/** The target from LightDM's session environment; null when LightDM did not start us. */
export function displayManagerTarget(
  env: NodeJS.ProcessEnv,
  bus: BusctlOptions,
): DisplayManagerTarget | null {
  const session = env.XDG_SESSION_PATH ?? null;
  const seat = env.XDG_SEAT_PATH ?? null;
  if (session !== null && !SESSION_PATH.test(session)) {
    throw new LockError('LOCK_BAD_PATH', 'XDG_SESSION_PATH has an unexpected shape');
  }
  if (seat !== null && !SEAT_PATH.test(seat)) {
    throw new LockError('LOCK_BAD_PATH', 'XDG_SEAT_PATH has an unexpected shape');
  }
  if (session === null && seat === null) return null;
  return { sessionPath: session, seatPath: seat, bus };
}

export function lightdmLock(target: DisplayManagerTarget): DisplayManagerLock {
  const call = (path: string, iface: string, method: string) =>
    busctlCall(target.bus, method, [], { dest: DM_DEST, path, iface });
  return {
    async lock() {
      const failures: string[] = [];
      if (target.sessionPath) {
        try {
          await call(target.sessionPath, `${DM_DEST}.Session`, 'Lock');
          return `Session.Lock ${target.sessionPath}`;
        } catch (error) {
          failures.push(`Session.Lock: ${(error as Error).message}`);
        }
      }
      if (target.seatPath) {
        try {
          await call(target.seatPath, `${DM_DEST}.Seat`, 'Lock');
          return `Seat.Lock ${target.seatPath}`;
        } catch (error) {
          failures.push(`Seat.Lock: ${(error as Error).message}`);
        }
      }
      throw new LockError('DM_LOCK_FAILED', failures.join('; ') || 'no LightDM object to call');
    },
    async switchToGreeter() {
      if (!target.seatPath) throw new LockError('DM_LOCK_FAILED', 'no XDG_SEAT_PATH');
      try {
        await call(target.seatPath, `${DM_DEST}.Seat`, 'SwitchToGreeter');
      } catch (error) {
        throw new LockError('DM_LOCK_FAILED', `SwitchToGreeter: ${(error as Error).message}`);
      }
    },
  };
}
