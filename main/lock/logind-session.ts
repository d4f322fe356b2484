// The person's logind session: its object path, and the signals that matter to the locker
// (Lock, Unlock, the Active property), read from `gdbus monitor` lines (main/power/gdbus-monitor).
import { LOGIND_DEST, busctlCall, type BusctlOptions } from '../power/busctl';
import { parseMonitorSignal } from '../power/gdbus-monitor';
import { LockError } from './errors';

const SESSION_PATH = /^\/org\/freedesktop\/login1\/session\/[A-Za-z0-9_]+$/;
const SESSION_ID = /^[A-Za-z0-9_]{1,64}$/;
const SESSION_IFACE = 'org.freedesktop.login1.Session';

export type SessionEvent =
  { kind: 'lock' } | { kind: 'unlock' } | { kind: 'active'; active: boolean };

/**
 * The session's object path: logind's GetSession(XDG_SESSION_ID) (pam_systemd sets it), else
 * GetSessionByPID(our pid). Rejects with LockError.
 */
export async function resolveSessionPath(
  env: NodeJS.ProcessEnv,
  bus: BusctlOptions,
  pid: number = process.pid,
): Promise<string> {
  const id = env.XDG_SESSION_ID;
  if (id !== undefined && !SESSION_ID.test(id)) {
    throw new LockError('LOCK_BAD_PATH', 'XDG_SESSION_ID has an unexpected shape');
  }
  const [method, args] =
    id !== undefined ? ['GetSession', ['s', id]] : ['GetSessionByPID', ['u', String(pid)]];
  let path: unknown;
  try {
    const reply = await busctlCall(bus, method, args);
    if (reply.type !== 'o') throw new Error(`signature ${reply.type}`);
    path = reply.data[0];
  } catch (error) {
    throw new LockError('LOCK_NO_SESSION', `logind ${method}: ${(error as Error).message}`);
  }
  if (typeof path !== 'string' || !SESSION_PATH.test(path)) {
    throw new LockError('LOCK_BAD_PATH', 'logind answered an unexpected session path');
  }
  return path;
}

/** One `gdbus monitor` line of our session's object → an event, or null (anything else). */
export function parseSessionSignal(line: string, sessionPath: string): SessionEvent | null {
  const signal = parseMonitorSignal(line);
  if (!signal || signal.path !== sessionPath) return null;
  if (signal.iface === SESSION_IFACE && signal.args === '') {
    if (signal.member === 'Lock') return { kind: 'lock' };
    if (signal.member === 'Unlock') return { kind: 'unlock' };
    return null;
  }
  if (signal.iface === 'org.freedesktop.DBus.Properties' && signal.member === 'PropertiesChanged') {
    if (!signal.args.startsWith(`'${SESSION_IFACE}', {`)) return null;
    const active = /[{ ]'Active': <(true|false)>[,}]/.exec(signal.args);
    return active ? { kind: 'active', active: active[1] === 'true' } : null;
  }
  return null;
}

/** The session's LockedHint (org.freedesktop.login1.Session). Rejects (BusctlError). */
export async function readLockedHint(bus: BusctlOptions, sessionPath: string): Promise<boolean> {
  const reply = await busctlCall(bus, 'Get', ['ss', SESSION_IFACE, 'LockedHint'], {
    dest: LOGIND_DEST,
    path: sessionPath,
    iface: 'org.freedesktop.DBus.Properties',
  });
  const value = reply.data[0] as { type?: unknown; data?: unknown } | undefined;
  if (reply.type !== 'v' || value?.type !== 'b' || typeof value.data !== 'boolean') {
    throw new LockError('LOCK_BAD_PATH', `LockedHint: unexpected reply ${reply.type}`);
  }
  return value.data;
}

/** Sets the session's LockedHint (what light-locker and GNOME do too). Rejects (BusctlError). */
export async function setLockedHint(
  bus: BusctlOptions,
  sessionPath: string,
  locked: boolean,
): Promise<void> {
  await busctlCall(bus, 'SetLockedHint', ['b', String(locked)], {
    dest: LOGIND_DEST,
    path: sessionPath,
    iface: SESSION_IFACE,
  });
}

export { LOGIND_DEST };
