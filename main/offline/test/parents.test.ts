// Review finding 13: a cache dir or key file under a parent someone else can write is refused
// (after our checks, they could rename a directory on the path and swap what we open). The rule
// and its /tmp exception (sticky, with a trusted entry) are documented in secure-fs.ts.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  cpSync,
  existsSync,
  lchownSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  chownSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { REPO_ROOT } from '../../../testkit/paths';
import { requireOrSkip } from '../../../testkit/require';
import { OfflineCacheError, OfflineCode } from '../codes';
import { readKeyFile } from '../keys';
import { checkPrivateDir, ensurePrivateDir, readPrivateFile } from '../secure-fs';
import { copyGolden, type GoldenCopy } from './golden-fixture';

const OTHER_UID = 4243;
const isRoot = process.getuid?.() === 0;

/** The one-line reason of the OfflineCacheError `run` throws, with its code. */
function refusal(run: () => unknown): { code: number; reason: string } {
  try {
    run();
  } catch (error) {
    if (error instanceof OfflineCacheError) return { code: error.code, reason: error.reason };
    throw error;
  }
  assert.fail('expected a refusal');
}

describe('parents of the cache dir and key file', () => {
  let copy: GoldenCopy;
  let base: string;
  before(() => {
    copy = copyGolden();
    // A private root of our own, under /tmp (root-owned, sticky, world-writable: allowed
    // because the entry we traverse, our 0700 dir, is owned by us).
    base = mkdtempSync(join(tmpdir(), 'parents-'));
    chmodSync(base, 0o700);
  });
  after(() => {
    copy.cleanup();
    rmSync(base, { recursive: true, force: true });
  });

  /** base/<name>/cache: a 0700 cache dir (and a copy of the key) under a parent of `mode`. */
  function cacheUnder(name: string, mode: number, owner?: number): { parent: string; dir: string } {
    const parent = join(base, name);
    mkdirSync(parent);
    chmodSync(parent, mode);
    if (owner !== undefined) chownSync(parent, owner, owner);
    const dir = join(parent, 'cache');
    mkdirSync(dir, { mode: 0o700 });
    cpSync(copy.keyFile, join(dir, 'key'));
    chmodSync(join(dir, 'key'), 0o600);
    return { parent, dir };
  }

  test('a trusted chain under /tmp is accepted; a missing parent means "no cache yet"', () => {
    const { dir } = cacheUnder('ok', 0o755);
    assert.equal(checkPrivateDir(dir), true);
    assert.equal(readKeyFile(join(dir, 'key'))?.length, 32);
    assert.equal(checkPrivateDir(join(base, 'missing', 'cache')), false);
    assert.equal(readKeyFile(join(base, 'missing', 'key')), null);
  });

  test('a 0777 (or group-writable) parent is refused, naming the parent', () => {
    for (const [name, mode] of [
      ['open', 0o777],
      ['group', 0o775],
    ] as const) {
      const { parent, dir } = cacheUnder(name, mode);
      const shown = mode.toString(8).padStart(4, '0');
      assert.deepEqual(
        refusal(() => checkPrivateDir(dir)),
        {
          code: OfflineCode.IO,
          reason: `cache dir ${dir}: parent dir ${parent} is group/world-writable (mode ${shown})`,
        },
      );
      const key = join(dir, 'key');
      assert.deepEqual(
        refusal(() => readKeyFile(key)),
        {
          code: OfflineCode.IO,
          reason: `key file ${key}: parent dir ${parent} is group/world-writable (mode ${shown})`,
        },
      );
    }
  });

  test('a parent owned by another uid is refused, even 0755', (t) => {
    if (!requireOrSkip(t, isRoot, 'root (chown)')) return;
    const { parent, dir } = cacheUnder('foreign', 0o755, OTHER_UID);
    assert.equal(
      refusal(() => checkPrivateDir(dir)).reason,
      `cache dir ${dir}: parent dir ${parent} is owned by uid ${OTHER_UID}, not by root or uid 0`,
    );
    assert.match(refusal(() => readKeyFile(join(dir, 'key'))).reason, /owned by uid 4243/);
  });

  test('sticky world-writable parent: allowed for a trusted entry, refused for a foreign one', (t) => {
    if (!requireOrSkip(t, isRoot, 'root (chown)')) return;
    const { parent, dir } = cacheUnder('sticky', 0o1777);
    assert.equal(checkPrivateDir(dir), true);
    // Someone else planted the intermediate directory: the sticky bit lets them rename it.
    const planted = join(parent, 'planted');
    mkdirSync(planted, { mode: 0o755 });
    chownSync(planted, OTHER_UID, OTHER_UID);
    const inner = join(planted, 'cache');
    mkdirSync(inner, { mode: 0o700 });
    assert.equal(
      refusal(() => checkPrivateDir(inner)).reason,
      `cache dir ${inner}: parent dir ${parent} is group/world-writable (mode 1777)`,
    );
    // The same for the last component itself (checked before its own owner check).
    const foreignEntry = join(parent, 'cache-foreign');
    mkdirSync(foreignEntry, { mode: 0o700 });
    chownSync(foreignEntry, OTHER_UID, OTHER_UID);
    assert.equal(
      refusal(() => checkPrivateDir(foreignEntry)).reason,
      `cache dir ${foreignEntry}: parent dir ${parent} is group/world-writable (mode 1777)`,
    );
  });

  test('symlinks on the way are followed and their targets checked alike', (t) => {
    if (!requireOrSkip(t, isRoot, 'root (lchown)')) return;
    const trusted = cacheUnder('target-ok', 0o755);
    const open = cacheUnder('target-open', 0o777);
    const links = join(base, 'links');
    mkdirSync(links, { mode: 0o755 });
    symlinkSync(trusted.parent, join(links, 'good'));
    symlinkSync('../target-open', join(links, 'bad'));
    assert.equal(checkPrivateDir(join(links, 'good', 'cache')), true);
    assert.equal(
      refusal(() => checkPrivateDir(join(links, 'bad', 'cache'))).reason,
      `cache dir ${join(links, 'bad', 'cache')}: parent dir ${open.parent} is group/world-writable (mode 0777)`,
    );
    // A link another user owns in a sticky dir could be replaced by them: refused.
    const sticky = join(base, 'sticky-links');
    mkdirSync(sticky);
    chmodSync(sticky, 0o1777);
    const theirs = join(sticky, 'theirs');
    symlinkSync(trusted.parent, theirs);
    lchownSync(theirs, OTHER_UID, OTHER_UID);
    assert.match(
      refusal(() => checkPrivateDir(join(theirs, 'cache'))).reason,
      new RegExp(`parent dir ${sticky} is group/world-writable \\(mode 1777\\)$`),
    );
    // A loop ends with a reason, not a hang.
    symlinkSync('loop-b', join(links, 'loop-a'));
    symlinkSync('loop-a', join(links, 'loop-b'));
    assert.match(refusal(() => checkPrivateDir(join(links, 'loop-a', 'cache'))).reason, /symlinks/);
  });

  test('".." in a path is refused: checked and opened paths must be the same', () => {
    // link/.. is the link target's parent for the kernel, but base for a textual resolve().
    const open = cacheUnder('dotdot-open', 0o777);
    const links = join(base, 'dotdot-links');
    mkdirSync(links, { mode: 0o755 });
    symlinkSync(join(open.parent, 'cache'), join(links, 'into-open'));
    const tricky = `${links}/into-open/../cache2`;
    assert.match(refusal(() => checkPrivateDir(tricky)).reason, /"\.\." in the path is refused/);
    assert.match(refusal(() => ensurePrivateDir(tricky)).reason, /"\.\." in the path is refused/);
    assert.equal(existsSync(join(open.parent, 'cache2')), false, 'nothing created');
  });

  test("readPrivateFile reports an untrusted parent with the caller's code", () => {
    const { parent, dir } = cacheUnder('open-file', 0o777);
    const file = join(dir, 'key');
    const seen = refusal(() =>
      readPrivateFile(file, { what: 'salt file', maxBytes: 4096, badCode: OfflineCode.INVALID }),
    );
    assert.deepEqual(seen, {
      code: OfflineCode.INVALID,
      reason: `salt file ${file}: parent dir ${parent} is group/world-writable (mode 0777)`,
    });
  });

  test('bastion-offline verify under an open parent: OFFLINE_ERROR:-2 and the one-line reason', () => {
    const { parent, dir } = cacheUnder('cli-open', 0o777);
    const run = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(REPO_ROOT, 'main/cli/bastion-offline.ts'),
        'verify',
        '--cache-dir',
        dir,
        '--key-file',
        copy.keyFile,
      ],
      { env: { PATH: '/usr/bin:/bin', PAM_USER: 'alice' }, input: 'x\0', encoding: 'utf8' },
    );
    assert.deepEqual([run.status, run.stdout.trim()], [1, 'OFFLINE_ERROR:-2']);
    assert.equal(
      run.stderr.trim(),
      `bastion-offline: cache dir ${dir}: parent dir ${parent} is group/world-writable (mode 0777)`,
    );
  });
});
