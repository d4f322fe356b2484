// A full file system (issue 7, finding 9): any user can fill /var on a default install, and that
// must not refuse an offline login with the right password. Real ENOSPC: the cache lives on a
// tiny tmpfs mounted for the test (root only) and filled to the last page.
//  * right password → success; the bookkeeping that cannot be written is reported, not fatal;
//  * wrong password → refused with IO when the failure cannot be recorded (fail closed), and
//    nothing is counted or torn;
//  * no file is ever created by verify (the lock is a flock on the entry itself).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  closeSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { requireOrSkip } from '../../../testkit/require';
import { OfflineCache } from '../cache';
import { OfflineCode, type OfflineCacheError } from '../codes';
import { copyGolden, snapshotDir, storeFresh, type GoldenCopy } from './golden-fixture';

const NOW = 1_795_400_020; // golden entries are valid then
const CLI = join(REPO_ROOT, 'main/cli/bastion-offline.ts');

/** Mounts a 1 MiB tmpfs on `dir`; false when we may not (not root, no mount in a container). */
function mountTinyTmpfs(dir: string): boolean {
  if (process.geteuid?.() !== 0) return false;
  return (
    spawnSync('/usr/bin/mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', dir]).status ===
    0
  );
}

/** Writes `filler` until the file system refuses with ENOSPC; returns the bytes written. */
function fillUp(filler: string): number {
  const fd = openSync(filler, 'w', 0o600);
  let written = 0;
  try {
    for (const size of [65536, 4096, 512, 1]) {
      const chunk = Buffer.alloc(size, 0x5a);
      for (;;) {
        try {
          written += writeSync(fd, chunk);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
          break;
        }
      }
    }
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('a full disk (real ENOSPC on a tiny tmpfs)', () => {
  let copy: GoldenCopy;
  let mountPoint: string;
  let mounted = false;
  let cacheDir: string;
  before(() => {
    copy = copyGolden();
    mountPoint = mkdtempSync(join(tmpdir(), 'obcred-full-'));
    mounted = mountTinyTmpfs(mountPoint);
    if (!mounted) return;
    cacheDir = join(mountPoint, 'credentials');
    mkdirSync(cacheDir, { mode: 0o700 });
    cpSync(copy.cacheDir, cacheDir, { recursive: true });
    chmodSync(cacheDir, 0o700);
    for (const name of readdirSync(cacheDir)) chmodSync(join(cacheDir, name), 0o600);
  });
  after(() => {
    if (mounted) spawnSync('/usr/bin/umount', [mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
    copy.cleanup();
  });

  test('right password verifies (the command refuses: no session marker), wrong one fails closed (IO), nothing counted, no file created', async (t) => {
    if (!requireOrSkip(t, mounted, 'mount -t tmpfs (root)')) return;
    const files = { cacheDir, keyFile: copy.keyFile, machineIdFile: copy.machineIdFile };
    const options = { ...files, now: () => NOW };
    // A live entry for the command (real clock), written while there is room.
    await storeFresh({ ...copy, cacheDir, options: files }, 'dave', 'dave-pass');
    const filler = join(mountPoint, 'filler');
    assert.ok(fillUp(filler) > 0);
    const before = snapshotDir(cacheDir);
    const cache = new OfflineCache(options);
    try {
      // eve: 2 failures recorded by the reference. The right password logs in.
      const ok = await cache.verify('eve', Buffer.from('eve-pass'));
      assert.equal(ok.entry.user, 'eve');
      assert.match(ok.bookkeepingError ?? '', /^success not recorded: cannot write .*ENOSPC/);
      // The success could not be recorded: the entry on disk is the previous one (stricter).
      assert.equal(cache.get('eve').failedAttempts, 2);
      // A wrong password whose failure cannot be recorded is refused with IO, not counted.
      await assert.rejects(
        cache.verify('eve', Buffer.from('nope')),
        (e: OfflineCacheError) => e.code === OfflineCode.IO && /ENOSPC/.test(e.reason),
      );
      assert.equal(cache.get('eve').failedAttempts, 2);
      // No entry, no lock file, no temp file: the directory is byte for byte as before.
      assert.deepEqual(snapshotDir(cacheDir), before);
    } finally {
      cache.close();
    }

    // The command, as pam_exec runs it. The right password verifies, but the offline session
    // marker (next to the cache, on the same full file system) cannot be written, and without
    // it the root session guard could never revalidate that session: refused (fail closed),
    // OFFLINE_ERROR:-2 with the reason for the administrator, nothing written.
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        CLI,
        'verify',
        '--cache-dir',
        cacheDir,
        '--key-file',
        copy.keyFile,
        '--machine-id-file',
        copy.machineIdFile,
      ],
      { env: { PATH: '/usr/bin:/bin', PAM_USER: 'dave' }, input: 'dave-pass\0', encoding: 'utf8' },
    );
    assert.equal(run.stdout.trim(), 'OFFLINE_ERROR:-2', run.stderr);
    assert.notEqual(run.status, 0);
    assert.match(run.stderr, /offline session marker not written/);
    assert.deepEqual(snapshotDir(cacheDir), before);

    // With room again, bookkeeping resumes.
    unlinkSync(filler);
    const again = new OfflineCache(options);
    try {
      const ok = await again.verify('eve', Buffer.from('eve-pass'));
      assert.equal(ok.bookkeepingError, undefined);
      assert.equal(again.get('eve').failedAttempts, 0);
    } finally {
      again.close();
    }
  });
});
