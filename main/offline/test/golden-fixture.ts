// Test helper: a private, writable copy of the golden OBCRED01 set (testkit/fixtures/obcred01),
// with the modes its manifest asks for (dir 0700, files 0600).
import { chmodSync, cpSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from '../../../testkit/paths';
import type { OfflineCacheOptions } from '../cache';

export const GOLDEN_DIR = join(REPO_ROOT, 'testkit/fixtures/obcred01');

export interface GoldenExpectation {
  now: number;
  password: string;
  code: number;
  lock_remaining?: number;
  failed_attempts_after?: number;
  file_removed?: boolean;
}

export interface GoldenManifest {
  written_at: number;
  key_file: string;
  machine_id_file: string;
  cache_dir: string;
  max_failed_attempts: number;
  lockout_seconds: number;
  ttl_seconds: number;
  entries: { user: string; file?: string; expect: GoldenExpectation[] }[];
}

export const goldenManifest = (): GoldenManifest =>
  JSON.parse(readFileSync(join(GOLDEN_DIR, 'manifest.json'), 'utf8')) as GoldenManifest;

export interface GoldenCopy {
  root: string;
  cacheDir: string;
  keyFile: string;
  machineIdFile: string;
  /** Engine options pointing at this copy (clock not set). */
  options: OfflineCacheOptions;
  /** bastion-offline / bastion-keys options pointing at this copy. */
  cliOptions: string[];
  cleanup(): void;
}

export function copyGolden(): GoldenCopy {
  const manifest = goldenManifest();
  const root = mkdtempSync(join(tmpdir(), 'obcred-'));
  chmodSync(root, 0o700);
  cpSync(GOLDEN_DIR, join(root, 'set'), { recursive: true });
  const set = join(root, 'set');
  chmodSync(set, 0o700);
  const cacheDir = join(set, manifest.cache_dir);
  chmodSync(cacheDir, 0o700);
  for (const name of readdirSync(cacheDir)) chmodSync(join(cacheDir, name), 0o600);
  const keyFile = join(set, manifest.key_file);
  const machineIdFile = join(set, manifest.machine_id_file);
  chmodSync(keyFile, 0o600);
  chmodSync(machineIdFile, 0o644);
  return {
    root,
    cacheDir,
    keyFile,
    machineIdFile,
    options: { cacheDir, keyFile, machineIdFile },
    cliOptions: [
      '--cache-dir',
      cacheDir,
      '--key-file',
      keyFile,
      '--machine-id-file',
      machineIdFile,
    ],
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** name → content of every file in `dir`, for "nothing else changed" checks. */
export function snapshotDir(dir: string): Map<string, string> {
  return new Map(
    readdirSync(dir)
      .sort()
      .map((name) => [name, readFileSync(join(dir, name)).toString('hex')]),
  );
}

/**
 * Stores `user` in `copy` with the real clock (or `now`), for tests that run the command,
 * which has no clock option: golden entries expire on 2026-11-30 and would make them time bombs.
 */
export async function storeFresh(
  copy: GoldenCopy,
  user: string,
  password: string,
  now?: number,
): Promise<void> {
  const { OfflineCache } = await import('../cache');
  const cache = new OfflineCache(
    now === undefined ? copy.options : { ...copy.options, now: () => now },
  );
  try {
    await cache.store(user, Buffer.from(password, 'utf8'));
  } finally {
    cache.close();
  }
}
