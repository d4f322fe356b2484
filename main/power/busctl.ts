// Calls logind over the system bus with systemd's `busctl`: no npm D-Bus dependency, no shell.
// Each call is one bounded child process (deadline, output cap) whose `--json=short` answer
// is parsed strictly; anything unexpected is an error, never a guess.
import { spawn } from 'node:child_process';

export const LOGIND_DEST = 'org.freedesktop.login1';
export const LOGIND_PATH = '/org/freedesktop/login1';
export const LOGIND_MANAGER = 'org.freedesktop.login1.Manager';

/** Largest busctl output accepted (stdout or stderr), in bytes. */
export const MAX_BUSCTL_OUTPUT = 64 * 1024;
/** Deadline of one busctl call, in ms. */
export const BUSCTL_TIMEOUT_MS = 5_000;

export type BusctlErrorCode =
  | 'BUSCTL_SPAWN' // busctl could not run
  | 'BUSCTL_TIMEOUT'
  | 'BUSCTL_OUTPUT_TOO_LARGE'
  | 'BUSCTL_FAILED' // non-zero exit: D-Bus error, no bus, no logind
  | 'BUSCTL_BAD_OUTPUT'; // not the JSON shape expected

export class BusctlError extends Error {
  readonly code: BusctlErrorCode;
  constructor(code: BusctlErrorCode, message: string) {
    super(message);
    this.name = 'BusctlError';
    this.code = code;
  }
}

/** How a call reaches the bus. */
export interface BusctlOptions {
  /** Absolute path of busctl (default /usr/bin/busctl). */
  busctlPath?: string;
  /**
   * The system bus address (DBUS_SYSTEM_BUS_ADDRESS) passed to busctl; unset: busctl's
   * default system bus. It is the child's whole environment: nothing else is inherited.
   */
  systemBusAddress?: string;
  timeoutMs?: number;
}

/** One D-Bus reply as `busctl --json=short call` prints it: `{"type":"s","data":["yes"]}`. */
export interface BusctlReply {
  type: string;
  data: unknown[];
}

/** Parses busctl's `--json=short call` output; empty output is a reply with no values. */
export function parseBusctlReply(output: string): BusctlReply {
  const text = output.trim();
  if (text === '') return { type: '', data: [] };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new BusctlError('BUSCTL_BAD_OUTPUT', 'busctl output is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BusctlError('BUSCTL_BAD_OUTPUT', 'busctl output is not an object');
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  if (keys.length !== 2 || keys[0] !== 'data' || keys[1] !== 'type') {
    throw new BusctlError('BUSCTL_BAD_OUTPUT', 'busctl output has unexpected keys');
  }
  if (typeof record.type !== 'string' || !Array.isArray(record.data)) {
    throw new BusctlError('BUSCTL_BAD_OUTPUT', 'busctl output has the wrong types');
  }
  return { type: record.type, data: record.data as unknown[] };
}

/** The single string of a reply of signature `s`. */
export function replyString(reply: BusctlReply): string {
  if (reply.type !== 's' || reply.data.length !== 1 || typeof reply.data[0] !== 'string') {
    throw new BusctlError('BUSCTL_BAD_OUTPUT', `expected one string, got signature ${reply.type}`);
  }
  return reply.data[0];
}

/** The child's environment: the bus address only (busctl needs nothing else). */
export function busctlEnv(options: BusctlOptions): Record<string, string> {
  return options.systemBusAddress === undefined
    ? {}
    : { DBUS_SYSTEM_BUS_ADDRESS: options.systemBusAddress };
}

/**
 * Runs `busctl --system --json=short call <dest> <path> <iface> <method> [sig args…]` and
 * returns its parsed reply. Rejects with BusctlError.
 */
export function busctlCall(
  options: BusctlOptions,
  method: string,
  signatureAndArgs: readonly string[] = [],
  target: { dest: string; path: string; iface: string } = {
    dest: LOGIND_DEST,
    path: LOGIND_PATH,
    iface: LOGIND_MANAGER,
  },
): Promise<BusctlReply> {
  const args = [
    '--system',
    '--json=short',
    // busctl's own D-Bus timeout, below ours.
    `--timeout=${Math.max(1, Math.floor((options.timeoutMs ?? BUSCTL_TIMEOUT_MS) / 1000))}`,
    'call',
    target.dest,
    target.path,
    target.iface,
    method,
    ...signatureAndArgs,
  ];
  return new Promise((resolve, reject) => {
    let settled = false;
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    let size = 0;
    const child = spawn(options.busctlPath ?? '/usr/bin/busctl', args, {
      env: busctlEnv(options),
      shell: false,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const finish = (error: BusctlError | null, reply?: BusctlReply): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        reject(error);
      } else resolve(reply!);
    };
    const timer = setTimeout(
      () => finish(new BusctlError('BUSCTL_TIMEOUT', `busctl ${method} timed out`)),
      options.timeoutMs ?? BUSCTL_TIMEOUT_MS,
    );
    const collect = (into: Buffer[]) => (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BUSCTL_OUTPUT) {
        finish(new BusctlError('BUSCTL_OUTPUT_TOO_LARGE', `busctl ${method}: output too large`));
        return;
      }
      into.push(chunk);
    };
    child.stdout.on('data', collect(stdout));
    child.stderr.on('data', collect(stderr));
    child.on('error', (error) =>
      finish(new BusctlError('BUSCTL_SPAWN', `busctl could not run: ${error.message}`)),
    );
    child.on('close', (code) => {
      if (code !== 0) {
        const why = Buffer.concat(stderr).toString('utf8').trim().slice(0, 200);
        finish(new BusctlError('BUSCTL_FAILED', `busctl ${method} failed (${code}): ${why}`));
        return;
      }
      try {
        finish(null, parseBusctlReply(Buffer.concat(stdout).toString('utf8')));
      } catch (error) {
        finish(error as BusctlError);
      }
    });
  });
}
