// Test helper: the bastion-offline CLI from its sources (tsx), run as a child process WITHOUT
// blocking this process's event loop (spawnSync would freeze a loopback portal served from the
// test itself). Bounded: killed (by its pid) after `timeoutMs`.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../testkit/paths';

export const SOURCE_CLI = join(REPO_ROOT, 'main/cli/bastion-offline.ts');

export interface CliRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function runOfflineCli(
  args: readonly string[],
  options: { env?: Record<string, string>; input?: string; uid?: number; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SOURCE_CLI, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: '/usr/bin:/bin', ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
      ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout: stdout.trim(), stderr: stderr.trim() });
    });
    child.stdin.end(options.input ?? '');
  });
}
