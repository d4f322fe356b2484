// Test-only helpers to run child processes (peers, our host driver) against a rig without
// blocking the event loop the software authenticator runs on.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../paths';
import type { DriverRequest } from './host-driver';

export const SYSTEM_PYTHON = '/usr/bin/python3';
export const PYTHON_PEER = join(REPO_ROOT, 'testkit/fido2/python_fido2_peer.py');
export const HOST_DRIVER = join(REPO_ROOT, 'testkit/fido2/host-driver.ts');

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runChild(
  command: string,
  args: string[],
  options: {
    env?: Record<string, string>;
    stdin?: string;
    /** Send `stdin` only once stdout matches this (answer a prompt when it is shown). */
    stdinAfter?: RegExp;
    timeoutMs?: number;
    cwd?: string;
  } = {},
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      cwd: options.cwd ?? REPO_ROOT,
    });
    let stdout = '';
    let stderr = '';
    let answered = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (options.stdinAfter && !answered && options.stdinAfter.test(stdout)) {
        answered = true;
        child.stdin.end(options.stdin ?? '');
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.stdin.on('error', () => undefined); // a child that exits without reading stdin
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (!options.stdinAfter) child.stdin.end(options.stdin ?? '');
  });
}

export function parseJsonLine(result: ChildResult): Record<string, unknown> {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    throw new Error(
      `child printed no JSON (exit ${result.code}): ${result.stdout}\n${result.stderr}`,
    );
  }
}

/** Our host stack over node-hid in a child with the shim preloaded. */
export async function runHostDriver(
  env: Record<string, string>,
  request: DriverRequest,
  pin?: string,
): Promise<Record<string, unknown>> {
  const result = await runChild(
    process.execPath,
    ['--import', 'tsx', HOST_DRIVER, JSON.stringify({ ...request, pinStdin: pin !== undefined })],
    {
      env,
      ...(pin !== undefined ? { stdin: `${pin}\n` } : {}),
    },
  );
  return parseJsonLine(result);
}

/** python3-fido2 in a child with the shim preloaded. */
export async function runPythonPeer(
  env: Record<string, string>,
  args: string[],
  pin?: string,
): Promise<Record<string, unknown>> {
  const result = await runChild(
    SYSTEM_PYTHON,
    [PYTHON_PEER, ...args, ...(pin !== undefined ? ['--pin-stdin'] : [])],
    {
      env,
      ...(pin !== undefined ? { stdin: `${pin}\n` } : {}),
    },
  );
  if (result.code !== 0)
    throw new Error(`python3-fido2 peer failed (${result.code}): ${result.stderr}`);
  return parseJsonLine(result);
}
