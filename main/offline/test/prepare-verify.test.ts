// OfflineCache.prepareVerify (bastion-offline verify starts PBKDF2 in the thread pool and loads
// the Argon2id backend while it reads stdin and locks the entry): the same key, the same answers
// and the same errors in the same place as without it, and no key left behind by close().
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OfflineCache } from '../cache';
import { OfflineCacheError, OfflineCode } from '../codes';
import { deriveCacheKey, deriveCacheKeyAsync, type KeySources } from '../keys';
import { copyGolden } from './golden-fixture';

const pw = (s: string): Buffer => Buffer.from(s, 'utf8');

/** The code and reason of a verify (0 and '' on success). */
async function outcome(
  cache: OfflineCache,
  user: string,
  password: string,
): Promise<[number, string]> {
  try {
    await cache.verify(user, pw(password));
    return [OfflineCode.OK, ''];
  } catch (error) {
    assert.ok(error instanceof OfflineCacheError, String(error));
    return [error.code, error.reason];
  }
}

describe('prepareVerify', () => {
  test('the key derived in the thread pool is the key derived synchronously', async () => {
    const copy = copyGolden();
    try {
      const sources: KeySources[] = [
        { cacheDir: copy.cacheDir, keyFile: copy.keyFile, machineIdFile: copy.machineIdFile },
        { cacheDir: copy.cacheDir, keyFile: null, machineIdFile: copy.machineIdFile },
      ];
      for (const source of sources) {
        const sync = deriveCacheKey(source, false);
        const async = await deriveCacheKeyAsync(source);
        assert.equal(async.length, 32);
        assert.deepEqual(async, sync);
      }
    } finally {
      copy.cleanup();
    }
  });

  test('right, wrong and unknown: the same answers with and without it', async () => {
    const copy = copyGolden();
    try {
      const clock = () => 1_800_000_000;
      const writer = new OfflineCache({ ...copy.options, now: clock });
      await writer.store('ann', pw('s3cret'));
      writer.close();
      for (const [user, password] of [
        ['ann', 's3cret'],
        ['ann', 'wrong'],
        ['nobody-here', 's3cret'],
      ] as const) {
        const plain = new OfflineCache({ ...copy.options, now: clock });
        const prepared = new OfflineCache({ ...copy.options, now: clock });
        prepared.prepareVerify();
        const expected = await outcome(plain, user, password);
        assert.deepEqual(await outcome(prepared, user, password), expected, `${user}`);
        plain.close();
        prepared.close();
      }
    } finally {
      copy.cleanup();
    }
  });

  test('a bad key file: the same error, met where verify meets it without prepareVerify', async () => {
    const copy = copyGolden();
    try {
      chmodSync(copy.keyFile, 0o640);
      const user = 'alice';
      const plain = new OfflineCache(copy.options);
      const prepared = new OfflineCache(copy.options);
      prepared.prepareVerify();
      const expected = await outcome(plain, user, 'anything');
      assert.equal(expected[0], OfflineCode.IO);
      assert.match(expected[1], /key file .* group\/world accessible/);
      assert.deepEqual(await outcome(prepared, user, 'anything'), expected);
      plain.close();
      prepared.close();
    } finally {
      copy.cleanup();
    }
  });

  test('a salt created after prepareVerify (first store racing a verify) is used', async () => {
    const copy = copyGolden();
    try {
      const cacheDir = join(copy.root, 'fresh');
      mkdirSync(cacheDir, { mode: 0o700 });
      const options = { ...copy.options, cacheDir };
      const prepared = new OfflineCache(options);
      prepared.prepareVerify(); // no .cred_salt yet: this derivation fails, and is dropped
      const writer = new OfflineCache(options);
      await writer.store('ann', pw('s3cret'));
      writer.close();
      assert.deepEqual(await outcome(prepared, 'ann', 's3cret'), [OfflineCode.OK, '']);
      prepared.close();
    } finally {
      copy.cleanup();
    }
  });

  test('close() while the derivation runs: the key it ends with is wiped, not kept', async () => {
    const copy = copyGolden();
    try {
      const cache = new OfflineCache(copy.options);
      cache.prepareVerify();
      const internals = cache as unknown as {
        pendingKey: Promise<void> | null;
        key: Buffer | null;
      };
      const pending = internals.pendingKey;
      assert.ok(pending !== null, 'a derivation is running');
      cache.close();
      await pending;
      assert.equal(internals.key, null);
    } finally {
      copy.cleanup();
    }
  });
});
