// Every expectation of the golden set written by Open Bastion's reference C code
// (testkit/fixtures/obcred01/manifest.json), each from a pristine copy.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { OfflineCache } from '../cache';
import { OfflineCacheError, OfflineCode } from '../codes';
import { cacheFileName } from '../format';
import { copyGolden, goldenManifest } from './golden-fixture';

const manifest = goldenManifest();

describe('golden OBCRED01 set of the reference implementation', () => {
  test('the manifest limits are our defaults', () => {
    const cache = new OfflineCache({});
    assert.equal(cache.maxFailedAttempts, manifest.max_failed_attempts);
    assert.equal(cache.lockoutSeconds, manifest.lockout_seconds);
    assert.equal(cache.ttlSeconds, manifest.ttl_seconds);
  });

  for (const entry of manifest.entries) {
    if (entry.file) {
      test(`${entry.user}: file name is SHA-256("cred:"+user)[0..32].cred`, () => {
        assert.equal(cacheFileName(entry.user), entry.file);
      });
    }
    entry.expect.forEach((expectation, index) => {
      test(`${entry.user} #${index}: now=${expectation.now} → code ${expectation.code}`, async () => {
        const copy = copyGolden();
        try {
          const cache = new OfflineCache({ ...copy.options, now: () => expectation.now });
          let code: number = OfflineCode.OK;
          let lockRemaining: number | null = null;
          try {
            await cache.verify(entry.user, Buffer.from(expectation.password, 'utf8'));
          } catch (error) {
            assert.ok(error instanceof OfflineCacheError, String(error));
            code = error.code;
            lockRemaining = error.lockRemaining;
          }
          assert.equal(code, expectation.code);
          if (expectation.lock_remaining !== undefined)
            assert.equal(lockRemaining, expectation.lock_remaining);
          const path = join(copy.cacheDir, cacheFileName(entry.user));
          if (expectation.file_removed)
            assert.equal(existsSync(path), false, 'expired entry removed');
          if (expectation.failed_attempts_after !== undefined) {
            assert.equal(cache.get(entry.user).failedAttempts, expectation.failed_attempts_after);
          }
          if (code === OfflineCode.OK) {
            const state = cache.get(entry.user);
            assert.equal(state.lastSuccess, expectation.now);
            assert.equal(state.lockedUntil, 0);
          }
          cache.close();
        } finally {
          copy.cleanup();
        }
      });
    });
  }
});
