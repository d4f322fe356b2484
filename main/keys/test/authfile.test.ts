// The authfile on disk: symlinks and special files refused with nothing followed or written,
// damaged files left alone, 0700/0600 creation, concurrent writers without a lost update.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
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
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { KeysError } from '../errors';
import { listAuthfile, readLabels, updateAuthfile } from '../index';
import { addCredential, formatCredential, parseAuthfile } from '../u2f-mapping';
import type { AuthfileDocument } from '../u2f-mapping';
import { es256Raw } from './helpers';

const root = mkdtempSync(join(tmpdir(), 'bastion-authfile-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const freshDir = (): string => {
  const dir = join(root, `case${counter++}`);
  mkdirSync(dir, { mode: 0o700 });
  return dir;
};
const credential = () => ({
  credentialId: randomBytes(48),
  publicKey: es256Raw(),
  flags: { presence: true, pin: false, verification: false },
});
const adder =
  (user: string, c = credential()) =>
  (doc: AuthfileDocument | null) => ({
    doc: addCredential(doc ?? parseAuthfile(Buffer.alloc(0)), user, c),
    value: c,
  });

async function codeOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof KeysError, String(error));
    return error.code;
  }
  return 'no error';
}

describe('pam_u2f authfile on disk', () => {
  it('creates ~/.config/Yubico 0700 and the file 0600, atomically, leaving no temp file', async () => {
    const home = freshDir();
    const file = join(home, '.config/Yubico/u2f_keys');
    const { value, written } = await updateAuthfile(file, adder('alice'));
    assert.equal(written, true);
    assert.equal(statSync(join(home, '.config/Yubico')).mode & 0o777, 0o700);
    assert.equal(statSync(join(home, '.config')).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(readFileSync(file, 'utf8'), `alice:${formatCredential(value)}\n`);
    assert.deepEqual(readdirSync(join(home, '.config/Yubico')), ['u2f_keys']);
  });

  it('refuses a symlinked authfile: the target is neither read for writing nor changed', async () => {
    const dir = freshDir();
    const target = join(dir, 'elsewhere');
    writeFileSync(target, 'root:precious\n', { mode: 0o600 });
    const file = join(dir, 'u2f_keys');
    symlinkSync(target, file);
    assert.equal(await codeOf(() => updateAuthfile(file, adder('alice'))), 'MAPPING_UNSAFE');
    assert.equal(readFileSync(target, 'utf8'), 'root:precious\n');
    assert.deepEqual(readdirSync(dir).sort(), ['elsewhere', 'u2f_keys']);
    assert.throws(() => listAuthfile(file), /symbolic link/);
  });

  it('refuses a FIFO without blocking, and a directory', async () => {
    const dir = freshDir();
    execFileSync('mkfifo', [join(dir, 'u2f_keys')]);
    assert.equal(
      await codeOf(() => updateAuthfile(join(dir, 'u2f_keys'), adder('alice'))),
      'MAPPING_UNSAFE',
    );
    mkdirSync(join(dir, 'sub'));
    assert.equal(
      await codeOf(() => updateAuthfile(join(dir, 'sub'), adder('alice'))),
      'MAPPING_UNSAFE',
    );
  });

  it('refuses a directory others may write in', async () => {
    const dir = freshDir();
    chmodSync(dir, 0o777);
    assert.equal(
      await codeOf(() => updateAuthfile(join(dir, 'u2f_keys'), adder('alice'))),
      'MAPPING_UNSAFE',
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('leaves a damaged, truncated or oversized file exactly as it is', async () => {
    const dir = freshDir();
    const file = join(dir, 'u2f_keys');
    const good = formatCredential(credential());
    const truncated = `bob:${good}\nalice:${good.slice(0, 70)}`;
    for (const [content, code] of [
      [truncated, 'MAPPING_CORRUPT'],
      [`bob:${'x'.repeat(100_000)}\n`, 'MAPPING_TOO_LARGE'],
      [`bob:${good}\n`.repeat(7000), 'MAPPING_TOO_LARGE'], // over 1 MiB
    ] as const) {
      writeFileSync(file, content, { mode: 0o600 });
      assert.equal(await codeOf(() => updateAuthfile(file, adder('alice'))), code);
      assert.equal(readFileSync(file, 'utf8'), content);
    }
    assert.deepEqual(readdirSync(dir), ['u2f_keys']);
  });

  it('loses no update when several writers add at once (directory flock, re-read under it)', async () => {
    const dir = freshDir();
    const file = join(dir, 'u2f_keys');
    writeFileSync(file, 'bob:something-of-bob\n', { mode: 0o600 });
    const writers = Array.from({ length: 6 }, (_, i) =>
      updateAuthfile(file, adder(i % 2 ? 'alice' : 'carol')),
    );
    const results = await Promise.all(writers);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('bob:something-of-bob\n'));
    for (const { value } of results) assert.ok(text.includes(formatCredential(value)));
    assert.equal(text.trimEnd().split('\n').length, 3);
  });

  it('writes nothing when cancelled before the commit', async () => {
    const dir = freshDir();
    const file = join(dir, 'u2f_keys');
    const controller = new AbortController();
    controller.abort();
    assert.equal(
      await codeOf(() => updateAuthfile(file, adder('alice'), { signal: controller.signal })),
      'CANCELLED',
    );
    assert.deepEqual(readdirSync(dir), []);
  });

  it('keeps names beside the file; a damaged names file is reported, never overwritten', async () => {
    const dir = freshDir();
    const file = join(dir, 'u2f_keys');
    const c = credential();
    await updateAuthfile(file, (doc) => ({
      ...adder('alice', c)(doc),
      labels: new Map([[c.credentialId.toString('base64'), 'Blue key']]),
    }));
    assert.equal(listAuthfile(file).credentials[0]!.name, 'Blue key');
    writeFileSync(`${file}.labels`, '{oops', { mode: 0o600 });
    assert.throws(() => readLabels(file), /damaged/);
    const listing = listAuthfile(file);
    assert.equal(listing.credentials[0]!.name, null);
    assert.match(listing.labelsProblem!, /damaged/);
  });
});
