// `bastion-keys keys enroll|list` over node-hid's real native path through the fake-hidraw
// shim, against the software authenticator — and the format test: pamu2fcfg (Debian) and our
// enroll agree field by field on the same authenticator, and real pam_u2f (pamtester under
// pam_wrapper) accepts both; +pin demands the PIN. Also the two `fido2` fixes of issue #9.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { describe, it } from 'node:test';
import type { DeviceSpec } from '../../../testkit/fido2/fake-hidraw-rig';
import {
  FAKE_HIDRAW_SO,
  FakeHidrawRig,
  hasFakeHidraw,
} from '../../../testkit/fido2/fake-hidraw-rig';
import type { ChildResult } from '../../../testkit/fido2/peers';
import { runChild } from '../../../testkit/fido2/peers';
import { createPamStack, hasPamWrapper } from '../../../testkit/pam-stack';
import { REPO_ROOT } from '../../../testkit/paths';
import { fileExists, findExecutable, requireOrSkip } from '../../../testkit/require';

const CLI = join(REPO_ROOT, 'main/cli/bastion-keys.ts');
const PAM_U2F = '/lib/x86_64-linux-gnu/security/pam_u2f.so';
const ORIGIN = 'pam://bastion';
const USER = userInfo().username;

async function startRig(t: TestContext, specs: DeviceSpec[]): Promise<FakeHidrawRig | null> {
  if (!requireOrSkip(t, hasFakeHidraw(), 'native-helper/out/fake_hidraw.so (npm run build)'))
    return null;
  const rig = await FakeHidrawRig.start(specs);
  t.after(() => rig.stop());
  return rig;
}

function tempDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-keys-cli-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function keys(rig: FakeHidrawRig, args: string[], stdin?: string): Promise<ChildResult> {
  return runChild(process.execPath, ['--import', 'tsx', CLI, ...args], {
    env: rig.env,
    ...(stdin !== undefined ? { stdin } : {}),
  });
}

const enrollArgs = (device: string, authfile: string, ...more: string[]): string[] => [
  'keys',
  'enroll',
  '--user',
  USER,
  '--device',
  device,
  '--authfile',
  authfile,
  '--origin',
  ORIGIN,
  ...more,
];

/** Runs the CLI and calls `onTouch` once stderr shows the touch prompt. */
function keysWhileTouching(
  rig: FakeHidrawRig,
  args: string[],
  onTouch: (child: ReturnType<typeof spawn>) => void,
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLI, ...args], {
      env: { ...process.env, ...rig.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: REPO_ROOT,
    });
    let stdout = '';
    let stderr = '';
    let fired = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (!fired && /Touch your security key/.test(stderr)) {
        fired = true;
        onTouch(child);
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

interface Fields {
  user: string;
  keyHandle: Buffer;
  keyHandleText: string;
  publicKey: Buffer;
  publicKeyText: string;
  type: string;
  attributes: string;
}

function fields(line: string): Fields {
  const [user, credential, ...rest] = line.trim().split(':');
  assert.equal(rest.length, 0, `one credential on the line: ${line}`);
  const [kh, pk, type, attributes, ...extra] = credential!.split(',');
  assert.equal(extra.length, 0);
  return {
    user: user!,
    keyHandle: Buffer.from(kh!, 'base64'),
    keyHandleText: kh!,
    publicKey: Buffer.from(pk!, 'base64'),
    publicKeyText: pk!,
    type: type!,
    attributes: attributes ?? '',
  };
}

function pamReady(t: TestContext): boolean {
  return requireOrSkip(
    t,
    hasPamWrapper() &&
      fileExists(PAM_U2F) &&
      findExecutable('pamu2fcfg') !== null &&
      findExecutable('pamtester') !== null,
    'libpam-wrapper, libpam-u2f, pamu2fcfg and pamtester',
  );
}

function pamU2f(t: TestContext, rig: FakeHidrawRig, authfile: string) {
  const stack = createPamStack({
    services: {
      'bastion-u2f': `auth required ${PAM_U2F} authfile=${authfile} origin=${ORIGIN} appid=${ORIGIN} cue\naccount required pam_permit.so\n`,
    },
  });
  t.after(() => stack.cleanup());
  const env = { ...stack.env, ...rig.env, LD_PRELOAD: `${stack.env.LD_PRELOAD} ${FAKE_HIDRAW_SO}` };
  return (stdin = ''): Promise<ChildResult> =>
    runChild('pamtester', ['bastion-u2f', USER, 'authenticate'], { env, stdin });
}

describe('bastion-keys keys through the fake-hidraw shim', () => {
  it('format test: pamu2fcfg and keys enroll agree field by field, and pam_u2f accepts both', async (t) => {
    const rig = await startRig(t, [{}, {}]);
    if (!rig || !pamReady(t)) return;
    const dir = tempDir(t);
    const device = rig.devices[0]!;
    const theirs = await runChild('pamu2fcfg', ['-u', USER, '-o', ORIGIN, '-i', ORIGIN], {
      env: rig.env,
    });
    assert.equal(theirs.code, 0, theirs.stderr);
    const ourFile = join(dir, 'ours', 'u2f_keys');
    const ours = await keys(rig, enrollArgs(device.path, ourFile, '--name', 'Blue key'));
    assert.equal(ours.code, 0, ours.stderr);
    assert.equal(ours.stdout.trim(), `Enrolled a security key for ${USER} in ${ourFile}.`);
    const a = fields(theirs.stdout);
    const b = fields(readFileSync(ourFile, 'utf8'));
    assert.equal(b.user, a.user);
    assert.equal(b.keyHandle.length, a.keyHandle.length, 'same credential id length (same key)');
    assert.equal(b.keyHandleText, b.keyHandle.toString('base64'), 'canonical padded base64');
    assert.equal(a.keyHandleText, a.keyHandle.toString('base64'));
    assert.equal(b.publicKey.length, 64);
    assert.equal(a.publicKey.length, 64, 'pamu2fcfg writes the raw x‖y point too');
    assert.equal(b.publicKeyText.length, a.publicKeyText.length);
    assert.equal(b.type, a.type);
    assert.equal(b.attributes, a.attributes);
    assert.equal(b.attributes, '+presence');
    assert.notDeepEqual(b.keyHandle, a.keyHandle);
    assert.equal(device.authenticator.credentials.length, 2);
    // -N on another (PIN-less) key: pamu2fcfg writes +presence+pin, as our --require pin does.
    const theirsPin = await runChild('pamu2fcfg', ['-u', USER, '-o', ORIGIN, '-i', ORIGIN, '-N'], {
      env: { ...rig.env },
    });
    assert.equal(fields(theirsPin.stdout).attributes, '+presence+pin');

    // Each file holds one credential only: pam_u2f must use that one.
    const theirFile = join(dir, 'theirs_u2f_keys');
    writeFileSync(theirFile, theirs.stdout, { mode: 0o600 });
    chmodSync(ourFile, 0o600);
    for (const file of [theirFile, ourFile]) {
      const login = await pamU2f(t, rig, file)();
      assert.equal(login.code, 0, `${file}: ${login.stdout}${login.stderr}`);
      assert.match(login.stdout + login.stderr, /successfully authenticated/);
    }
    // keys list reads both formats alike, with our name.
    const listed = await keys(rig, ['keys', 'list', '--authfile', ourFile, '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(JSON.parse(listed.stdout), [
      {
        user: USER,
        credential: b.keyHandleText,
        type: 'es256',
        flags: { presence: true, verification: false, pin: false },
        resident: false,
        oldFormat: false,
        name: 'Blue key',
        line: 1,
      },
    ]);
    // A key without the credential is refused.
    device.authenticator.credentials.length = 0;
    const refused = await pamU2f(t, rig, ourFile)();
    assert.notEqual(refused.code, 0);
  });

  it('+pin: enroll with the PIN on stdin; pam_u2f then demands that PIN', async (t) => {
    const rig = await startRig(t, [{ config: { pin: '24680', touchDelayMs: 150 } }]);
    if (!rig || !pamReady(t)) return;
    const dir = tempDir(t);
    const device = rig.devices[0]!;
    const file = join(dir, 'u2f_keys');
    // No PIN given: refused before any touch, and no touch prompt.
    const noPin = await keys(rig, enrollArgs(device.path, file, '--require', 'pin'));
    assert.equal(noPin.code, 1);
    assert.match(noPin.stderr, /\[PIN_REQUIRED\]/);
    assert.doesNotMatch(noPin.stderr, /Touch/);
    const wrong = await keys(
      rig,
      enrollArgs(device.path, file, '--require', 'pin', '--pin-stdin'),
      '1111\n',
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /Wrong PIN: 7 attempts left\. \[PIN_INVALID\]/);
    assert.doesNotMatch(wrong.stderr, /Touch/);
    assert.equal(existsSync(file), false);
    const ok = await keys(
      rig,
      enrollArgs(device.path, file, '--require', 'pin', '--pin-stdin', '--json'),
      '24680\n',
    );
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(
      ok.stderr,
      /Touch your security key now\.\nTouch your security key again to test it\./,
    );
    assert.deepEqual(JSON.parse(ok.stdout).flags, {
      presence: true,
      pin: true,
      verification: false,
    });
    assert.equal(fields(readFileSync(file, 'utf8')).attributes, '+presence+pin');
    assert.equal(device.authenticator.pinRetries, 8, 'the right PIN reset the counter');
    // Enrolling the same key again: refused without a touch (pre-flight), file unchanged.
    const before = readFileSync(file);
    const again = await keys(
      rig,
      enrollArgs(device.path, file, '--require', 'pin', '--pin-stdin'),
      '24680\n',
    );
    assert.equal(again.code, 1);
    assert.match(again.stderr, /\[ALREADY_ENROLLED\]/);
    assert.deepEqual(readFileSync(file), before);

    const login = pamU2f(t, rig, file);
    const withPin = await login('24680\n');
    assert.equal(withPin.code, 0, withPin.stdout + withPin.stderr);
    const wrongPin = await login('13579\n');
    assert.notEqual(wrongPin.code, 0);
    assert.equal(device.authenticator.pinRetries, 7, 'pam_u2f sent the wrong PIN to the key');
    const noPinLogin = await login('');
    assert.notEqual(noPinLogin.code, 0);
  });

  it('key removed mid-touch, and Ctrl-C during the touch: typed errors, the file unchanged', async (t) => {
    const rig = await startRig(t, [
      { config: { touchDelayMs: null } },
      { config: { touchDelayMs: null } },
    ]);
    if (!rig) return;
    const dir = tempDir(t);
    const file = join(dir, 'u2f_keys');
    const original = `someone:${randomBytes(48).toString('base64')},keep,es256,+presence\r\nodd line of another tool\n`;
    writeFileSync(file, original, { mode: 0o600 });
    const removed = await keysWhileTouching(rig, enrollArgs(rig.devices[0]!.path, file), () =>
      rig.devices[0]!.unplug(),
    );
    assert.equal(removed.code, 1, removed.stderr);
    assert.match(removed.stderr, /removed.*\[KEY_REMOVED\]/);
    const cancelled = await keysWhileTouching(
      rig,
      enrollArgs(rig.devices[1]!.path, file),
      (child) => child.kill('SIGINT'),
    );
    assert.equal(cancelled.code, 1, cancelled.stderr);
    assert.match(cancelled.stderr, /\[CANCELLED\]/);
    assert.equal(readFileSync(file, 'utf8'), original);
  });

  it('list: [] for an absent or empty file; damaged lines reported; a symlink refused', async (t) => {
    const rig = await startRig(t, []);
    if (!rig) return;
    const dir = tempDir(t);
    const absent = await keys(rig, ['keys', 'list', '--authfile', join(dir, 'none'), '--json']);
    assert.equal(absent.code, 0, absent.stderr);
    assert.equal(absent.stdout, '[]\n');
    writeFileSync(join(dir, 'empty'), '');
    const empty = await keys(rig, ['keys', 'list', '--authfile', join(dir, 'empty')]);
    assert.equal(empty.code, 0);
    assert.match(empty.stdout, /No security key is enrolled/);
    writeFileSync(join(dir, 'bad'), 'alice:zz!,yy,es256,+presence\n');
    const bad = await keys(rig, ['keys', 'list', '--authfile', join(dir, 'bad'), '--json']);
    assert.equal(bad.code, 1);
    assert.equal(bad.stdout, '[]\n');
    assert.match(bad.stderr, /Line 1 .*alice.*damaged.*\[MAPPING_CORRUPT\]/);
    const { symlinkSync } = await import('node:fs');
    symlinkSync(join(dir, 'bad'), join(dir, 'link'));
    const link = await keys(rig, ['keys', 'list', '--authfile', join(dir, 'link')]);
    assert.equal(link.code, 1);
    assert.match(link.stderr, /symbolic link.*\[MAPPING_UNSAFE\]/);
    const pinArgv = await keys(rig, ['keys', 'enroll', '--pin', '1234']);
    assert.equal(pinArgv.code, 2);
    assert.match(pinArgv.stderr, /stdin only/);
  });

  it('fido2 list with no key says so; systemd-unlock prints no touch prompt before PIN_REQUIRED', async (t) => {
    const none = await startRig(t, []);
    if (!none) return;
    const listed = await keys(none, ['fido2', 'list']);
    assert.equal(listed.code, 0, listed.stderr);
    assert.equal(listed.stdout, 'No security key is plugged in.\n');
    const json = await keys(none, ['fido2', 'list', '--json']);
    assert.equal(json.stdout, '[]\n');

    const rig = await startRig(t, [{ config: { pin: '24680', touchDelayMs: 150 } }]);
    if (!rig) return;
    const dir = tempDir(t);
    const token = join(dir, 'token.json');
    writeFileSync(
      token,
      JSON.stringify({
        type: 'systemd-fido2',
        keyslots: ['0'],
        'fido2-credential': randomBytes(48).toString('base64'),
        'fido2-salt': randomBytes(32).toString('base64'),
        'fido2-rp': 'io.systemd.cryptsetup',
        'fido2-clientPin-required': true,
        'fido2-up-required': true,
      }),
    );
    const unlock = await keys(rig, [
      'fido2',
      'systemd-unlock',
      '--device',
      rig.devices[0]!.path,
      '--token',
      token,
    ]);
    assert.equal(unlock.code, 1);
    assert.match(unlock.stderr, /\[PIN_REQUIRED\]/);
    assert.doesNotMatch(unlock.stderr, /Touch/);
  });
});
