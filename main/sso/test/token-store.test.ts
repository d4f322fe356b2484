// The token store on the real file system: AES-256-GCM records, modes, tampering, swapping,
// key problems, wipe, and two real processes writing the same user at once.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FileTokenStore,
  TOKEN_FILE_PATTERN,
  TOKEN_HEADER,
  TokenStoreError,
  ensureTokenKey,
  tokenFileName,
  type StoredTokenSet,
} from '../token-store';

const RUNNER = join(import.meta.dirname, 'token-store-runner-for-test.ts');
const TOKENS: StoredTokenSet = {
  accessToken: 'at-4f1c9e2a-secret-access',
  refreshToken: 'rt-93b7d2c0-secret-refresh',
  idToken: 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkd2hvIn0.c2ln',
  expiresAt: 4_102_444_800_000,
  claims: { sub: 'dwho', preferred_username: 'dwho' },
};

let root: string;
let counter = 0;
function fresh(): { dir: string; keyFile: string; store: FileTokenStore } {
  const base = join(root, `case-${++counter}`);
  mkdirSync(base, { mode: 0o700 });
  const dir = join(base, 'tokens');
  const keyFile = join(base, 'key', 'token.key');
  assert.equal(ensureTokenKey(keyFile), true);
  return { dir, keyFile, store: new FileTokenStore({ dir, keyFile, lockTimeoutMs: 2_000 }) };
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof TokenStoreError, `not a TokenStoreError: ${String(error)}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

function run(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, ...args], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('FileTokenStore', () => {
  before(() => {
    root = mkdtempSync(join(tmpdir(), 'bastion-tokens-'));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('round trip; 0600 file named by hash in a 0700 dir; no token or user name in the bytes', async () => {
    const { dir, keyFile, store } = fresh();
    assert.equal(await store.load('dwho'), null);
    await store.save('dwho', TOKENS);
    assert.deepEqual(await store.load('dwho'), TOKENS);
    const name = tokenFileName('dwho');
    assert.match(name, TOKEN_FILE_PATTERN);
    assert.ok(readdirSync(dir).includes(name));
    assert.ok(readdirSync(dir).every((entry) => !entry.includes('dwho')));
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(statSync(join(dir, name)).mode & 0o777, 0o600);
    assert.equal(statSync(keyFile).mode & 0o777, 0o600);
    assert.equal(statSync(join(keyFile, '..')).mode & 0o777, 0o700);
    assert.equal(readFileSync(keyFile).length, 32);
    const bytes = readFileSync(join(dir, name));
    assert.ok(bytes.subarray(0, TOKEN_HEADER.length).equals(TOKEN_HEADER));
    for (const needle of [TOKENS.accessToken, TOKENS.refreshToken!, 'dwho', 'secret']) {
      assert.equal(bytes.includes(Buffer.from(needle)), false, `${needle} in clear`);
    }
    // Each save uses a new nonce.
    await store.save('dwho', TOKENS);
    assert.notDeepEqual(readFileSync(join(dir, name)), bytes);
  });

  it('every flipped byte, a truncation, an appended byte → TOKEN_FILE_INVALID', async () => {
    const { dir, store } = fresh();
    await store.save('dwho', TOKENS);
    const path = join(dir, tokenFileName('dwho'));
    const good = readFileSync(path);
    // header, version, nonce, ciphertext start/middle, tag end
    for (const at of [0, 4, 5, 16, 17, Math.floor(good.length / 2), good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at]! ^= 0x01;
      writeFileSync(path, bad, { mode: 0o600 });
      await rejectsWith(store.load('dwho'), 'TOKEN_FILE_INVALID');
    }
    for (const bad of [good.subarray(0, good.length - 1), good.subarray(0, 20), Buffer.alloc(0)]) {
      writeFileSync(path, bad, { mode: 0o600 });
      await rejectsWith(store.load('dwho'), 'TOKEN_FILE_INVALID');
    }
    writeFileSync(path, Buffer.concat([good, Buffer.from([0])]), { mode: 0o600 });
    await rejectsWith(store.load('dwho'), 'TOKEN_FILE_INVALID');
    writeFileSync(path, good, { mode: 0o600 });
    assert.deepEqual(await store.load('dwho'), TOKENS);
  });

  it('a file copied over another user is refused (AAD binds the user name)', async () => {
    const { dir, store } = fresh();
    await store.save('dwho', TOKENS);
    await store.save('rtyler', { ...TOKENS, accessToken: 'rtyler-at' });
    writeFileSync(
      join(dir, tokenFileName('rtyler')),
      readFileSync(join(dir, tokenFileName('dwho'))),
      {
        mode: 0o600,
      },
    );
    await rejectsWith(store.load('rtyler'), 'TOKEN_FILE_INVALID');
    assert.deepEqual(await store.load('dwho'), TOKENS);
  });

  it('a store file read with another key (copied to another machine) is refused', async () => {
    const a = fresh();
    const b = fresh();
    await a.store.save('dwho', TOKENS);
    await b.store.save('msmith', TOKENS);
    writeFileSync(
      join(b.dir, tokenFileName('dwho')),
      readFileSync(join(a.dir, tokenFileName('dwho'))),
      { mode: 0o600 },
    );
    await rejectsWith(b.store.load('dwho'), 'TOKEN_FILE_INVALID');
  });

  it('key file: missing, group-readable, a symlink, wrong size → typed errors; never replaced', async () => {
    const { keyFile, store } = fresh();
    await store.save('dwho', TOKENS);
    const key = readFileSync(keyFile);
    assert.equal(ensureTokenKey(keyFile), false, 'an existing key is kept');
    assert.deepEqual(readFileSync(keyFile), key);

    chmodSync(keyFile, 0o640);
    await rejectsWith(store.load('dwho'), 'TOKEN_KEY_INSECURE');
    await rejectsWith(store.save('dwho', TOKENS), 'TOKEN_KEY_INSECURE');
    chmodSync(keyFile, 0o600);

    rmSync(keyFile);
    await rejectsWith(store.load('dwho'), 'TOKEN_KEY_MISSING');
    await rejectsWith(store.save('dwho', TOKENS), 'TOKEN_KEY_MISSING');

    const elsewhere = join(root, `key-target-${counter}`);
    writeFileSync(elsewhere, key, { mode: 0o600 });
    symlinkSync(elsewhere, keyFile);
    await rejectsWith(store.load('dwho'), 'TOKEN_KEY_INSECURE');
    assert.equal(ensureTokenKey(keyFile), false, 'a symlink in its place is not followed');
    rmSync(keyFile);

    writeFileSync(keyFile, key.subarray(0, 16), { mode: 0o600 });
    await rejectsWith(store.load('dwho'), 'TOKEN_KEY_INVALID');
    writeFileSync(keyFile, key, { mode: 0o600 });
    assert.deepEqual(await store.load('dwho'), TOKENS);
  });

  it('an open token directory or token file is refused', async () => {
    const { dir, store } = fresh();
    await store.save('dwho', TOKENS);
    chmodSync(join(dir, tokenFileName('dwho')), 0o644);
    await rejectsWith(store.load('dwho'), 'TOKEN_FILE_INVALID');
    chmodSync(join(dir, tokenFileName('dwho')), 0o600);
    chmodSync(dir, 0o755);
    await rejectsWith(store.load('dwho'), 'TOKEN_STORE_INSECURE');
    await rejectsWith(store.save('dwho', TOKENS), 'TOKEN_STORE_INSECURE');
    chmodSync(dir, 0o700);
    assert.deepEqual(await store.load('dwho'), TOKENS);
  });

  it('wipe removes the file (other users untouched); a second wipe says there was nothing', async () => {
    const { dir, store } = fresh();
    await store.save('dwho', TOKENS);
    await store.save('msmith', TOKENS);
    assert.equal(await store.wipe('dwho'), true);
    assert.equal(await store.wipe('dwho'), false);
    assert.equal(await store.load('dwho'), null);
    assert.ok(!readdirSync(dir).includes(tokenFileName('dwho')));
    assert.deepEqual(await store.load('msmith'), TOKENS);
  });

  it('bad user names and token sets are refused before any file is touched', async () => {
    const { store } = fresh();
    for (const user of ['', 'a\nb', 'x'.repeat(257), 'nul\0']) {
      await rejectsWith(store.save(user, TOKENS), 'TOKEN_USER_INVALID');
    }
    await rejectsWith(store.save('dwho', { ...TOKENS, accessToken: '' }), 'TOKEN_FILE_INVALID');
    await rejectsWith(
      store.save('dwho', { ...TOKENS, expiresAt: Number.NaN }),
      'TOKEN_FILE_INVALID',
    );
  });

  it('two processes updating the same user: no lost update; blind saves: no torn file', async () => {
    const { dir, keyFile, store } = fresh();
    const rounds = 15;
    const codes = await Promise.all([
      run([dir, keyFile, 'dwho', 'update', String(rounds), 'a']),
      run([dir, keyFile, 'dwho', 'update', String(rounds), 'b']),
    ]);
    assert.deepEqual(codes, [0, 0]);
    const counted = await store.load('dwho');
    assert.equal(counted?.accessToken, `count:${2 * rounds}`, 'every locked update counted');

    const blind = await Promise.all([
      run([dir, keyFile, 'rtyler', 'save', String(rounds), 'p']),
      run([dir, keyFile, 'rtyler', 'save', String(rounds), 'q']),
    ]);
    assert.deepEqual(blind, [0, 0]);
    const last = await store.load('rtyler');
    assert.ok(last !== null && /^[pq]:x{2000}$/.test(last.accessToken), 'a whole record');
    // No temp file left behind.
    assert.deepEqual(
      readdirSync(dir).filter((entry) => entry.includes('.tmp.')),
      [],
    );
  });
});
