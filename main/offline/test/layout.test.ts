// Files the engine writes have the reference layout, checked by tools that share no code with
// it: Python's cryptography/hashlib decrypt them, Debian's argon2(1) re-hashes the password.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileExists } from '../../../testkit/require';
import { requireOrSkip } from '../../../testkit/require';
import { OfflineCache } from '../cache';
import { cacheFileName } from '../format';
import { copyGolden } from './golden-fixture';

const PYTHON = '/usr/bin/python3';
const CHECKER = join(import.meta.dirname, 'independent-check.py');

function pythonHasCryptography(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import cryptography.hazmat.primitives.ciphers.aead'], {
      stdio: 'ignore',
    });
    return true;
  } catch {
    return false;
  }
}

interface IndependentView {
  magic: string;
  iv_len: number;
  ciphertext_len: number;
  plaintext_len: number;
  entry: Record<string, unknown>;
  types: Record<string, string>;
  salt_len: number;
  hash_len: number;
  stored_hex: string;
  argon2_hex: string | null;
}

function readIndependently(
  copy: ReturnType<typeof copyGolden>,
  user: string,
  password: string,
): IndependentView {
  const out = execFileSync(
    PYTHON,
    [
      CHECKER,
      copy.keyFile,
      copy.machineIdFile,
      join(copy.cacheDir, '.cred_salt'),
      join(copy.cacheDir, cacheFileName(user)),
    ],
    { input: Buffer.from(password, 'utf8') },
  );
  return JSON.parse(out.toString('utf8')) as IndependentView;
}

describe('written files, read back by independent tools', () => {
  test('store: magic, IV, tag, JSON field set and types, Argon2id v=19 m=65536 t=3 p=1', async (t) => {
    if (!requireOrSkip(t, fileExists('/usr/bin/argon2'), 'Debian argon2 command')) return;
    if (!requireOrSkip(t, pythonHasCryptography(), 'python3-cryptography for /usr/bin/python3'))
      return;
    const copy = copyGolden();
    try {
      const cache = new OfflineCache({ ...copy.options, now: () => 1_800_000_000 });
      const password = 'pässword/with "quotes" \\ and spaces';
      let view: IndependentView | null = null;
      // argv cannot carry a NUL: in the ~6% of stores whose random salt has one, store again.
      for (let attempt = 0; attempt < 8 && (view === null || view.argon2_hex === null); attempt++) {
        await cache.store('frank', Buffer.from(password, 'utf8'), {
          gecos: 'Frank/F',
          shell: '/bin/sh',
          home: '/home/frank',
        });
        view = readIndependently(copy, 'frank', password);
      }
      assert.ok(view);
      const file = readFileSync(join(copy.cacheDir, cacheFileName('frank')));
      assert.equal(view.magic, 'OBCRED01');
      assert.equal(view.iv_len, 12);
      assert.equal(
        file.length,
        8 + 12 + view.plaintext_len + 16,
        'magic ‖ IV ‖ ciphertext (= plaintext length, GCM) ‖ tag',
      );
      assert.deepEqual(Object.keys(view.entry).sort(), [
        'created_at',
        'expires_at',
        'failed_attempts',
        'gecos',
        'home',
        'last_success',
        'locked_until',
        'password_hash',
        'salt',
        'shell',
        'user',
        'v',
      ]);
      assert.deepEqual(view.types, {
        v: 'int',
        user: 'str',
        created_at: 'int',
        expires_at: 'int',
        last_success: 'int',
        failed_attempts: 'int',
        locked_until: 'int',
        password_hash: 'str',
        salt: 'str',
        gecos: 'str',
        shell: 'str',
        home: 'str',
      });
      assert.equal(view.entry.v, 1);
      assert.equal(view.entry.user, 'frank');
      assert.equal(view.entry.created_at, 1_800_000_000);
      assert.equal(view.entry.expires_at, 1_800_000_000 + 604_800);
      assert.equal(view.entry.home, '/home/frank');
      assert.equal(view.salt_len, 16);
      assert.equal(view.hash_len, 32);
      assert.match(String(view.entry.password_hash), /^[A-Za-z0-9+/]{43}=$/);
      assert.match(String(view.entry.salt), /^[A-Za-z0-9+/]{22}==$/);
      assert.notEqual(view.argon2_hex, null, 'a NUL-free salt within 8 stores');
      assert.equal(view.argon2_hex, view.stored_hex, 'argon2(1) recomputes the stored hash');
      cache.close();
    } finally {
      copy.cleanup();
    }
  });

  test('a failed verify rewrites the file in the same layout with the counter raised', async (t) => {
    if (!requireOrSkip(t, pythonHasCryptography(), 'python3-cryptography for /usr/bin/python3'))
      return;
    const copy = copyGolden();
    try {
      const cache = new OfflineCache({ ...copy.options, now: () => 1_795_400_020 });
      await assert.rejects(cache.verify('eve', Buffer.from('nope')));
      const view = readIndependently(copy, 'eve', 'nope');
      assert.equal(view.magic, 'OBCRED01');
      assert.equal(view.entry.failed_attempts, 3);
      assert.equal(view.entry.shell, '/bin/bash', 'optional fields survive a rewrite');
      assert.equal(view.types.locked_until, 'int');
      cache.close();
    } finally {
      copy.cleanup();
    }
  });
});
