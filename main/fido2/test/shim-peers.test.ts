// Peer checks through the fake-hidraw shim: Debian's python3-fido2 and libfido2 (fido2-tools,
// systemd-cryptenroll) talk to the software authenticator; our stack over node-hid must get
// the same hmac-secret bytes as python3-fido2, and unlock what systemd-cryptenroll enrolled.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FakeHidrawRig, hasFakeHidraw } from '../../../testkit/fido2/fake-hidraw-rig';
import type { DeviceSpec } from '../../../testkit/fido2/fake-hidraw-rig';
import {
  runChild,
  runHostDriver,
  runPythonPeer,
  SYSTEM_PYTHON,
} from '../../../testkit/fido2/peers';
import { findExecutable, requireOrSkip } from '../../../testkit/require';
import type { TestContext } from 'node:test';

async function startRig(t: TestContext, specs: DeviceSpec[] = [{}]): Promise<FakeHidrawRig | null> {
  if (!requireOrSkip(t, hasFakeHidraw(), 'native-helper/out/fake_hidraw.so (npm run build)'))
    return null;
  const rig = await FakeHidrawRig.start(specs);
  t.after(() => rig.stop());
  return rig;
}

const CLI = join(process.cwd(), 'main/cli/bastion-keys.ts');

describe('peers through the fake-hidraw shim', () => {
  it('node-hid (hidraw backend) and libfido2 enumerate the fake devices via the libudev answers', async (t) => {
    const rig = await startRig(t, [{}, {}]);
    if (!rig || !requireOrSkip(t, findExecutable('fido2-token') !== null, 'fido2-tools')) return;
    const listed = await runHostDriver(rig.env, { op: 'list' });
    const paths = (listed.devices as { path: string }[]).map((d) => d.path);
    assert.deepEqual(paths, [rig.devices[0]!.path, rig.devices[1]!.path]);
    const cliList = await runChild(
      process.execPath,
      ['--import', 'tsx', CLI, 'fido2', 'list', '--json'],
      { env: rig.env },
    );
    assert.equal(cliList.code, 0, cliList.stderr);
    assert.deepEqual(
      (JSON.parse(cliList.stdout) as { path: string; vendorId: number }[]).map((d) => [
        d.path,
        d.vendorId,
      ]),
      [
        [rig.devices[0]!.path, 0x1209],
        [rig.devices[1]!.path, 0x1209],
      ],
    );
    const cliInfo = await runChild(
      process.execPath,
      ['--import', 'tsx', CLI, 'fido2', 'info', '--device', rig.devices[1]!.path],
      { env: rig.env },
    );
    assert.equal(cliInfo.code, 0, cliInfo.stderr);
    const info = JSON.parse(cliInfo.stdout) as {
      versions: string[];
      pinUvAuthProtocols: number[];
      aaguid: string;
    };
    assert.deepEqual(info.versions, ['FIDO_2_0', 'FIDO_2_1']);
    assert.deepEqual(info.pinUvAuthProtocols, [2, 1]);
    assert.equal(info.aaguid, 'b4571e570a0b4e2e8f1d5eb1a57c0de1');
    const tokenList = await runChild('fido2-token', ['-L'], { env: rig.env });
    assert.equal(tokenList.code, 0, tokenList.stderr);
    assert.match(
      tokenList.stdout,
      new RegExp(`${rig.devices[1]!.path}: vendor=0x1209, product=0xb457`),
    );
  });

  it('fido2-cred makes and verifies a packed hmac-secret credential; fido2-assert matches our hmac-secret', async (t) => {
    const rig = await startRig(t);
    if (!rig || !requireOrSkip(t, findExecutable('fido2-cred') !== null, 'fido2-tools')) return;
    const dir = mkdtempSync(join(tmpdir(), 'bastion-fido2-tools-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const path = rig.devices[0]!.path;
    const cdh = randomBytes(32).toString('base64');
    writeFileSync(
      join(dir, 'cred.in'),
      `${cdh}\nexample.org\nalice\n${randomBytes(16).toString('base64')}\n`,
    );
    const made = await runChild('fido2-cred', ['-M', '-h', '-i', join(dir, 'cred.in'), path], {
      env: rig.env,
    });
    assert.equal(made.code, 0, made.stderr);
    writeFileSync(join(dir, 'cred.out'), made.stdout);
    const verified = await runChild('fido2-cred', ['-V', '-h', '-i', join(dir, 'cred.out')], {
      env: rig.env,
    });
    assert.equal(verified.code, 0, `fido2-cred -V rejected the attestation: ${verified.stderr}`);
    const credB64 = made.stdout.split('\n')[4]!;
    const salt = randomBytes(32);
    writeFileSync(
      join(dir, 'assert.in'),
      `${cdh}\nexample.org\n${credB64}\n${salt.toString('base64')}\n`,
    );
    const asserted = await runChild(
      'fido2-assert',
      ['-G', '-h', '-i', join(dir, 'assert.in'), path],
      { env: rig.env },
    );
    assert.equal(asserted.code, 0, asserted.stderr);
    const libfido2Hmac = Buffer.from(asserted.stdout.trim().split('\n').at(-1)!, 'base64').toString(
      'hex',
    );
    const ours = await runHostDriver(rig.env, {
      op: 'hmac',
      device: path,
      cred: Buffer.from(credB64, 'base64').toString('hex'),
      salt1: salt.toString('hex'),
    });
    assert.equal(ours.output1, libfido2Hmac);
  });

  for (const protocol of [1, 2] as const) {
    for (const pin of [undefined, '246810']) {
      it(`python3-fido2 and our stack agree byte for byte: PIN protocol ${protocol}, ${pin ? 'with' : 'without'} PIN`, async (t) => {
        const rig = await startRig(t, [{ config: { pin: pin ?? null } }]);
        if (!rig || !requireOrSkip(t, findExecutable(SYSTEM_PYTHON) !== null, 'python3-fido2'))
          return;
        const path = rig.devices[0]!.path;
        const made = await runPythonPeer(
          rig.env,
          ['make', '--device', path, '--rp', 'example.org', '--protocol', String(protocol)],
          pin,
        );
        assert.equal(made.hmacSecret, true);
        const salt1 = randomBytes(32).toString('hex');
        const salt2 = randomBytes(32).toString('hex');
        const common = [
          '--device',
          path,
          '--rp',
          'example.org',
          '--cred',
          String(made.credentialId),
          '--protocol',
          String(protocol),
          '--salt1',
          salt1,
        ];
        const theirs = await runPythonPeer(rig.env, ['hmac', ...common, '--salt2', salt2], pin);
        const ours = await runHostDriver(
          rig.env,
          { op: 'hmac', device: path, cred: String(made.credentialId), salt1, salt2, protocol },
          pin,
        );
        assert.equal(ours.error, undefined, JSON.stringify(ours));
        assert.equal(ours.output1, theirs.output1);
        assert.equal(ours.output2, theirs.output2);
        assert.equal(ours.uv, pin !== undefined);
        assert.equal(theirs.uv, pin !== undefined);
      });
    }
  }

  it('python3-fido2 (which always sends key 4) is rejected by a CTAP 2.0 key with protocol 1; we are not', async (t) => {
    const rig = await startRig(t, [{ config: { ctapVersion: '2.0' } }]);
    if (!rig || !requireOrSkip(t, findExecutable(SYSTEM_PYTHON) !== null, 'python3-fido2')) return;
    const path = rig.devices[0]!.path;
    const made = await runPythonPeer(rig.env, ['make', '--device', path, '--protocol', '1']);
    const salt1 = randomBytes(32).toString('hex');
    await assert.rejects(
      runPythonPeer(rig.env, [
        'hmac',
        '--device',
        path,
        '--cred',
        String(made.credentialId),
        '--protocol',
        '1',
        '--salt1',
        salt1,
      ]),
      /INVALID_PARAMETER/,
    );
    const ours = await runHostDriver(rig.env, {
      op: 'hmac',
      device: path,
      cred: String(made.credentialId),
      salt1,
      protocol: 1,
    });
    assert.match(String(ours.output1), /^[0-9a-f]{64}$/);
  });

  for (const pin of [undefined, '13579']) {
    it(`systemd-cryptenroll enrolls through the shim and our CLI derives its passphrase (${pin ? 'with' : 'without'} PIN)`, async (t) => {
      // The person touches after 150 ms: the CLI prompts only once the key awaits a touch.
      const rig = await startRig(t, [{ config: { pin: pin ?? null, touchDelayMs: 150 } }, {}]);
      const tools = ['systemd-cryptenroll', 'cryptsetup'].every(
        (x) => findExecutable(x) ?? findExecutable(`/usr/sbin/${x}`),
      );
      if (!rig || !requireOrSkip(t, tools, 'systemd-cryptenroll and cryptsetup (cryptsetup-bin)'))
        return;
      const cryptsetup = findExecutable('cryptsetup') ?? '/usr/sbin/cryptsetup';
      const dir = mkdtempSync(join(tmpdir(), 'bastion-luks-'));
      t.after(() => rmSync(dir, { recursive: true, force: true }));
      const image = join(dir, 'disk.img');
      writeFileSync(image, Buffer.alloc(20 * 1024 * 1024));
      const format = await runChild(
        cryptsetup,
        [
          'luksFormat',
          '--type',
          'luks2',
          '--batch-mode',
          '--pbkdf',
          'pbkdf2',
          '--pbkdf-force-iterations',
          '1000',
          image,
          '--key-file=-',
        ],
        { stdin: 'initial-pass' },
      );
      assert.equal(format.code, 0, format.stderr);
      const keyed = rig.devices[0]!;
      const enrollArgs = [
        `--fido2-device=${keyed.path}`,
        `--fido2-with-client-pin=${pin ? 'yes' : 'no'}`,
        image,
      ];
      // systemd 252 asks the PIN on a terminal only (no $PIN for cryptenroll): give it a pty via script(1).
      const enroll = pin
        ? await runChild(
            'script',
            ['-qec', ['systemd-cryptenroll', ...enrollArgs].join(' '), '/dev/null'],
            {
              env: { ...rig.env, PASSWORD: 'initial-pass' },
              stdin: `${pin}\n`,
              stdinAfter: /enter security token PIN/,
            },
          )
        : await runChild('systemd-cryptenroll', enrollArgs, {
            env: { ...rig.env, PASSWORD: 'initial-pass' },
          });
      assert.equal(enroll.code, 0, enroll.stderr);
      const exported = await runChild(cryptsetup, ['token', 'export', '--token-id', '0', image]);
      const tokenFile = join(dir, 'token.json');
      writeFileSync(tokenFile, exported.stdout);
      assert.equal(JSON.parse(exported.stdout)['fido2-clientPin-required'], pin !== undefined);
      // auto: two keys plugged in; the pre-flight up=false assertion finds the right one.
      const unlock = await runChild(
        process.execPath,
        [
          '--import',
          'tsx',
          CLI,
          'fido2',
          'systemd-unlock',
          '--device',
          'auto',
          '--token',
          tokenFile,
          ...(pin ? ['--pin-stdin'] : []),
        ],
        {
          env: rig.env,
          ...(pin ? { stdin: `${pin}\n` } : {}),
        },
      );
      assert.equal(unlock.code, 0, unlock.stderr);
      assert.match(unlock.stderr, /Touch your security key/);
      // As the issue says: piped into `cryptsetup --key-file=-`, which takes every byte.
      const opened = await runChild(
        cryptsetup,
        ['open', '--test-passphrase', '--key-file=-', image],
        { stdin: unlock.stdout },
      );
      assert.equal(opened.code, 0, `cryptsetup rejected the derived passphrase: ${opened.stderr}`);
      const wrong = await runChild(cryptsetup, ['open', '--test-passphrase', image], {
        stdin: 'not-it\n',
      });
      assert.notEqual(wrong.code, 0);
    });
  }
});
