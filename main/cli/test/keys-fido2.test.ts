// `bastion-keys fido2` argument handling that needs no device (device paths are covered by
// main/fido2/test/shim-peers.test.ts through the fake-hidraw shim).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { CliIo } from '../args';
import { runFido2Command } from '../keys-fido2';

function capture(
  env: Record<string, string> = {},
): CliIo & { outLines: string[]; errLines: string[] } {
  const outLines: string[] = [];
  const errLines: string[] = [];
  return {
    outLines,
    errLines,
    out: (l) => outLines.push(l),
    write: (text) => outLines.push(text),
    err: (l) => errLines.push(l),
    env,
    readStdin: async () => Buffer.from('1234\n'),
  };
}

describe('bastion-keys fido2', () => {
  it('rejects unknown commands and options with usage (exit 2)', async () => {
    const io = capture();
    assert.equal(await runFido2Command(['frobnicate'], io), 2);
    assert.match(io.errLines.join('\n'), /systemd-unlock/);
    assert.equal(await runFido2Command(['info', '--bogus'], capture()), 2);
    assert.equal(await runFido2Command(['info', '--device'], capture()), 2);
  });

  it('never picks a device on its own: no --device and BASTION_FIDO2_DEVICE unset is a usage error', async () => {
    const io = capture();
    assert.equal(await runFido2Command(['info'], io), 2);
    assert.match(io.errLines[0]!, /no device chosen/);
    assert.equal(await runFido2Command(['info'], capture({ BASTION_FIDO2_DEVICE: 'none' })), 2);
    assert.equal(
      await runFido2Command(['info'], capture({ BASTION_FIDO2_DEVICE: 'auto' })),
      2,
      'info needs one path',
    );
  });

  it('reports a malformed token as BAD_TOKEN (exit 1) before touching any device', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bastion-fido2-cli-'));
    try {
      const file = join(dir, 'token.json');
      writeFileSync(file, '{"type":"systemd-tpm2"}');
      const io = capture();
      assert.equal(
        await runFido2Command(
          ['systemd-unlock', '--device', '/nonexistent/hidraw9', '--token', file],
          io,
        ),
        1,
      );
      assert.match(io.errLines.join('\n'), /BAD_TOKEN/);
      assert.deepEqual(io.outLines, []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
