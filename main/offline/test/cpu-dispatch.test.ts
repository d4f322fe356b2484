// The Argon2id backend (libsodium through sodium-native) picks AVX-512/AVX2/SSSE3/portable code
// at run time: on a CPU without AVX2 it must still run (never SIGILL) and agree bit for bit.
// The older CPU is qemu-x86_64 -cpu Nehalem (SSE4.2, no AVX); a control program proves that
// this emulated CPU really refuses an AVX2 instruction. The whole installed command runs there:
// a verifier stored natively (AVX-512/AVX2 path) verifies under the generic path, and back.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findExecutable, requireOrSkip } from '../../../testkit/require';
import { installEntryForTest, type InstalledEntry } from '../../cli/test/installed-entry';
import { OfflineCache } from '../cache';
import { copyGolden, storeFresh, type GoldenCopy } from './golden-fixture';

const QEMU = findExecutable('/usr/bin/qemu-x86_64');
const OLD_CPU = 'Nehalem';

describe(`Argon2id on a CPU without AVX2 (qemu-x86_64 -cpu ${OLD_CPU})`, () => {
  let scratch: string;
  let installed: InstalledEntry;
  let copy: GoldenCopy;
  before(async () => {
    scratch = mkdtempSync(join(tmpdir(), 'cpu-'));
    installed = await installEntryForTest();
    copy = copyGolden();
    await storeFresh(copy, 'native', 'stored with the fast path');
  });
  after(() => {
    rmSync(scratch, { recursive: true, force: true });
    installed.cleanup();
    copy.cleanup();
  });

  test('control: the emulated CPU raises SIGILL on an AVX2 instruction', (t) => {
    if (process.arch !== 'x64') return t.skip('x86-64 only');
    if (!requireOrSkip(t, QEMU !== null, 'qemu-x86_64 (Debian qemu-user)')) return;
    const source = join(scratch, 'avx2.c');
    writeFileSync(
      source,
      'int main(void) { __asm__ volatile("vpaddd %%ymm0, %%ymm0, %%ymm0" ::: "xmm0"); return 0; }\n',
    );
    const binary = join(scratch, 'avx2');
    execFileSync('/usr/bin/cc', ['-O0', source, '-o', binary]);
    assert.equal(spawnSync(QEMU!, ['-cpu', 'max', binary]).status, 0, 'runs where AVX2 exists');
    assert.equal(spawnSync(QEMU!, ['-cpu', OLD_CPU, binary]).signal, 'SIGILL');
  });

  test('bastion-offline verify runs there and agrees with the native hash, both ways', async (t) => {
    if (process.arch !== 'x64') return t.skip('x86-64 only');
    if (!requireOrSkip(t, QEMU !== null, 'qemu-x86_64 (Debian qemu-user)')) return;
    const underOldCpu = (command: string, user: string, password: string) =>
      spawnSync(
        QEMU!,
        ['-cpu', OLD_CPU, process.execPath, installed.bundle, command, ...copy.cliOptions],
        { env: { PAM_USER: user }, input: `${password}\0`, encoding: 'utf8', timeout: 120_000 },
      );
    // Stored natively, verified on the old CPU.
    const ok = underOldCpu('verify', 'native', 'stored with the fast path');
    assert.equal(ok.signal, null, ok.stderr);
    assert.match(ok.stdout.trim(), /^OFFLINE_OK:\d+$/, ok.stderr);
    const wrong = underOldCpu('verify', 'native', 'stored with the fast path!');
    assert.equal(wrong.stdout.trim(), 'OFFLINE_ERROR:-8', wrong.stderr);
    // Stored on the old CPU, verified natively.
    const stored = underOldCpu('store', 'old-cpu', 'stored with the generic path');
    assert.equal(stored.status, 0, stored.stderr);
    const cache = new OfflineCache(copy.options);
    try {
      const result = await cache.verify('old-cpu', Buffer.from('stored with the generic path'));
      assert.equal(result.entry.user, 'old-cpu');
    } finally {
      cache.close();
    }
  });
});
