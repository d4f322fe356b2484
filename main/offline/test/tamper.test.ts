// Tampering: every altered byte, every truncation, oversize, symlinks, foreign owner or mode,
// a file moved under another user's name, and a corrupt .cred_salt are refused with CRYPTO or
// INVALID (IO for an unsafe directory or key file), and nothing else in the directory changes.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  copyFileSync,
  readFileSync,
  renameSync,
  symlinkSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OfflineCache } from '../cache';
import { OfflineCacheError, OfflineCode } from '../codes';
import { cacheFileName } from '../format';
import { copyGolden, snapshotDir, type GoldenCopy } from './golden-fixture';

const NOW = 1_795_400_020;
const ALICE = cacheFileName('alice');
const ALICE_PASSWORD = Buffer.from('correct horse battery staple');

async function codeOf(promise: Promise<unknown>): Promise<{ code: number; reason: string }> {
  try {
    await promise;
    return { code: OfflineCode.OK, reason: '' };
  } catch (error) {
    assert.ok(error instanceof OfflineCacheError, String(error));
    return { code: error.code, reason: error.reason };
  }
}

function withCopy(
  run: (copy: GoldenCopy, cache: OfflineCache) => Promise<void>,
): () => Promise<void> {
  return async () => {
    const copy = copyGolden();
    const cache = new OfflineCache({ ...copy.options, now: () => NOW });
    try {
      await run(copy, cache);
    } finally {
      cache.close();
      copy.cleanup();
    }
  };
}

const CRYPTO_OR_INVALID = [OfflineCode.CRYPTO, OfflineCode.INVALID];

describe('tampered cache files', () => {
  test(
    'every single-byte flip → CRYPTO or INVALID, and the directory is left exactly as it was',
    withCopy(async (copy, cache) => {
      const path = join(copy.cacheDir, ALICE);
      const original = readFileSync(path);
      let flips = 0;
      for (let i = 0; i < original.length; i++) {
        for (const mask of [0x01, 0x80]) {
          const tampered = Buffer.from(original);
          tampered[i]! ^= mask;
          writeFileSync(path, tampered);
          const before = snapshotDir(copy.cacheDir);
          const { code } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
          assert.ok(
            CRYPTO_OR_INVALID.includes(code as -3 | -7),
            `byte ${i} ^ ${mask}: code ${code}`,
          );
          if (i < 8) assert.equal(code, OfflineCode.INVALID, 'magic flips are INVALID');
          assert.deepEqual(snapshotDir(copy.cacheDir), before, `byte ${i}: directory unchanged`);
          flips++;
        }
      }
      assert.equal(flips, original.length * 2);
      writeFileSync(path, original);
      assert.equal(
        (await cache.verify('alice', ALICE_PASSWORD)).expiresAt,
        1_796_004_800,
        'restored file verifies',
      );
    }),
  );

  test(
    'every truncation → CRYPTO or INVALID, file kept',
    withCopy(async (copy, cache) => {
      const path = join(copy.cacheDir, ALICE);
      const original = readFileSync(path);
      for (let length = 0; length < original.length; length++) {
        writeFileSync(path, original.subarray(0, length));
        const before = snapshotDir(copy.cacheDir);
        const { code } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
        assert.ok(CRYPTO_OR_INVALID.includes(code as -3 | -7), `length ${length}: code ${code}`);
        assert.deepEqual(snapshotDir(copy.cacheDir), before);
      }
    }),
  );

  test(
    'a file over 1 MiB → INVALID without being read whole',
    withCopy(async (copy, cache) => {
      const path = join(copy.cacheDir, ALICE);
      truncateSync(path, 1024 * 1024 + 1);
      const { code, reason } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
      assert.equal(code, OfflineCode.INVALID);
      assert.match(reason, /larger than 1048576 bytes/);
    }),
  );

  test(
    'a symlinked cache file → INVALID; the link and its target are left alone',
    withCopy(async (copy, cache) => {
      const path = join(copy.cacheDir, ALICE);
      const elsewhere = join(copy.root, 'alice-elsewhere.cred');
      renameSync(path, elsewhere);
      symlinkSync(elsewhere, path);
      const { code, reason } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
      assert.equal(code, OfflineCode.INVALID);
      assert.match(reason, /symlink/);
      assert.equal(readFileSync(path).length, readFileSync(elsewhere).length, 'link still there');
    }),
  );

  test(
    'a FIFO in place of the cache file → INVALID, no hang',
    withCopy(async (copy, cache) => {
      const path = join(copy.cacheDir, ALICE);
      unlinkSync(path);
      execFileSync('/usr/bin/mkfifo', ['-m', '600', path]);
      const { code, reason } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
      assert.equal(code, OfflineCode.INVALID);
      assert.match(reason, /not a regular file/);
    }),
  );

  test(
    'a cache file owned by another user or readable by group/world → INVALID',
    withCopy(async (copy, cache) => {
      const path = join(copy.cacheDir, ALICE);
      chownSync(path, 4242, 4242);
      assert.equal((await codeOf(cache.verify('alice', ALICE_PASSWORD))).code, OfflineCode.INVALID);
      chownSync(path, process.getuid!(), process.getgid!());
      for (const mode of [0o640, 0o604, 0o660]) {
        chmodSync(path, mode);
        const { code, reason } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
        assert.equal(code, OfflineCode.INVALID, `mode ${mode.toString(8)}`);
        assert.match(reason, /group\/world accessible/);
      }
      chmodSync(path, 0o600);
      assert.equal((await codeOf(cache.verify('alice', ALICE_PASSWORD))).code, OfflineCode.OK);
    }),
  );

  test(
    "another user's file under alice's name (user mismatch) → INVALID, kept",
    withCopy(async (copy, cache) => {
      copyFileSync(join(copy.cacheDir, cacheFileName('bob')), join(copy.cacheDir, ALICE));
      const before = snapshotDir(copy.cacheDir);
      const { code, reason } = await codeOf(cache.verify('alice', Buffer.from('b0b-pass')));
      assert.equal(code, OfflineCode.INVALID);
      assert.match(reason, /another user/);
      assert.deepEqual(snapshotDir(copy.cacheDir), before);
    }),
  );

  test('corrupt .cred_salt: short or long → INVALID, altered → CRYPTO, missing → CRYPTO; never regenerated', async () => {
    const cases: [string, (salt: string) => void, number][] = [
      ['truncated', (salt) => truncateSync(salt, 15), OfflineCode.INVALID],
      [
        'extended',
        (salt) => writeFileSync(salt, Buffer.concat([readFileSync(salt), Buffer.from([1])])),
        OfflineCode.INVALID,
      ],
      [
        'flipped',
        (salt) =>
          writeFileSync(
            salt,
            readFileSync(salt).map((b, i) => (i === 3 ? b ^ 1 : b)),
          ),
        OfflineCode.CRYPTO,
      ],
      ['missing', (salt) => unlinkSync(salt), OfflineCode.CRYPTO],
    ];
    for (const [what, corrupt, expected] of cases) {
      const copy = copyGolden();
      const cache = new OfflineCache({ ...copy.options, now: () => NOW });
      try {
        corrupt(join(copy.cacheDir, '.cred_salt'));
        const before = snapshotDir(copy.cacheDir);
        assert.equal((await codeOf(cache.verify('alice', ALICE_PASSWORD))).code, expected, what);
        assert.deepEqual(snapshotDir(copy.cacheDir), before, `${what}: nothing created or removed`);
      } finally {
        cache.close();
        copy.cleanup();
      }
    }
  });
});

describe('unsafe cache directory or key file: refused with a one-line reason', () => {
  test(
    'symlinked cache dir → IO',
    withCopy(async (copy) => {
      const link = join(copy.root, 'link-to-credentials');
      symlinkSync(copy.cacheDir, link);
      const cache = new OfflineCache({ ...copy.options, cacheDir: link, now: () => NOW });
      const { code, reason } = await codeOf(cache.verify('alice', ALICE_PASSWORD));
      assert.equal(code, OfflineCode.IO);
      assert.equal(reason, `cache dir ${link} is a symlink`);
      assert.equal((await codeOf(cache.store('zoe', Buffer.from('pw')))).code, OfflineCode.IO);
    }),
  );

  test(
    'cache dir owned by someone else or open to group/world → IO',
    withCopy(async (copy, cache) => {
      chmodSync(copy.cacheDir, 0o750);
      let result = await codeOf(cache.verify('alice', ALICE_PASSWORD));
      assert.equal(result.code, OfflineCode.IO);
      assert.match(result.reason, /group\/world accessible \(mode 0750\)$/);
      chmodSync(copy.cacheDir, 0o700);
      chownSync(copy.cacheDir, 4242, 4242);
      result = await codeOf(cache.verify('alice', ALICE_PASSWORD));
      assert.equal(result.code, OfflineCode.IO);
      assert.match(result.reason, /owned by uid 4242/);
      assert.doesNotMatch(result.reason, /\n/);
    }),
  );

  test(
    'key file: symlink, group-readable, foreign or short → IO; missing → machine-id only (another key: CRYPTO)',
    withCopy(async (copy) => {
      const verifyWith = async (keyFile: string): Promise<{ code: number; reason: string }> => {
        const cache = new OfflineCache({ ...copy.options, keyFile, now: () => NOW });
        try {
          return await codeOf(cache.verify('alice', ALICE_PASSWORD));
        } finally {
          cache.close();
        }
      };
      const link = join(copy.root, 'key-link');
      symlinkSync(copy.keyFile, link);
      assert.deepEqual(await verifyWith(link), {
        code: OfflineCode.IO,
        reason: `key file ${link} is a symlink`,
      });
      chmodSync(copy.keyFile, 0o640);
      assert.equal((await verifyWith(copy.keyFile)).code, OfflineCode.IO);
      chmodSync(copy.keyFile, 0o600);
      chownSync(copy.keyFile, 4242, 4242);
      assert.match((await verifyWith(copy.keyFile)).reason, /owned by uid 4242/);
      chownSync(copy.keyFile, process.getuid!(), process.getgid!());
      const short = join(copy.root, 'short.key');
      writeFileSync(short, Buffer.alloc(31, 7), { mode: 0o600 });
      assert.match((await verifyWith(short)).reason, /shorter than 32 bytes/);
      assert.equal((await verifyWith(join(copy.root, 'no-such.key'))).code, OfflineCode.CRYPTO);
      assert.equal((await verifyWith(copy.keyFile)).code, OfflineCode.OK);
    }),
  );
});
