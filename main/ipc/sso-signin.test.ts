// "Sign in with SSO" in main (./sso-signin, ./sso-settings): main/sso's real client against
// the DEVICE-GRANT TEST DOUBLE (testkit/sso/device-grant-double.ts), and a SCRIPTED PAM
// conversation stand-in for the helper (the real helper and PAM are e2e/sso-device.test.ts's).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { SsoSnapshot } from '../../preload/api';
import { AuthController } from '../auth/controller';
import type {
  AuthConversation,
  AuthTransport,
  ConversationEvent,
  ConversationOutcome,
} from '../auth/transport';
import {
  startDeviceGrantDouble,
  type DeviceGrantDouble,
} from '../../testkit/sso/device-grant-double';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSsoSignIn, isTokenAnswerablePrompt, signInUser } from './sso-signin';
import { ssoAccountRefusal } from './sso-account';
import { parseSsoSettings, type SsoSignInSettings } from './sso-settings';

const OK: ConversationOutcome = {
  ok: true,
  result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
};
const REFUSED: ConversationOutcome = {
  ok: false,
  kind: 'refused',
  result: { code: 7, name: 'PAM_AUTH_ERR', stage: 'authenticate' },
  exitCode: 1,
};

/** Asks one secret prompt (`Password: ` unless told); accepts the answer `accept` decides on. */
class ScriptedConversationForTest implements AuthConversation {
  readonly transport = 'stand-in';
  readonly answers: string[] = [];
  private queue: ConversationEvent[];
  private wake: (() => void) | null = null;
  constructor(
    private readonly accept: (answer: string) => boolean,
    prompt: { secret: boolean; text: string } = { secret: true, text: 'Password: ' },
  ) {
    this.queue = [{ type: 'prompt', ...prompt }];
  }
  answer(text: string): void {
    this.answers.push(text);
    this.queue.push({ type: 'result', outcome: this.accept(text) ? OK : REFUSED });
    this.wake?.();
  }
  cancel(): void {
    this.queue.push({ type: 'result', outcome: REFUSED });
    this.wake?.();
  }
  async *events(): AsyncGenerator<ConversationEvent> {
    for (;;) {
      while (this.queue.length === 0) await new Promise<void>((r) => (this.wake = r));
      const event = this.queue.shift()!;
      yield event;
      if (event.type === 'result') return;
    }
  }
}

class ScriptedTransportForTest implements AuthTransport {
  readonly kind = 'helper' as const;
  readonly runs: { user: string; conversation: ScriptedConversationForTest }[] = [];
  prompt: { secret: boolean; text: string } | undefined;
  constructor(private readonly accept: (answer: string) => boolean) {}
  begin(user: string): AuthConversation {
    const conversation = new ScriptedConversationForTest(this.accept, this.prompt);
    this.runs.push({ user, conversation });
    return conversation;
  }
}

let double: DeviceGrantDouble;
before(async () => {
  double = await startDeviceGrantDouble();
});
after(() => double.stop());

function settings(): SsoSignInSettings {
  const parsed = parseSsoSettings(
    `[sso]\nissuer = ${double.issuer}\nclient-id = ${double.clientId}\nsign-in = device\nallow-loopback-http = true\n`,
  );
  assert.ok(parsed);
  return parsed;
}

async function until(check: () => boolean, what: string): Promise<void> {
  const end = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A passwd and login.defs of our own (the machine's accounts are not the test's). */
const accountsDir = mkdtempSync(join(tmpdir(), 'bastion-sso-accounts-'));
const localAccounts = {
  passwdPath: join(accountsDir, 'passwd'),
  loginDefsPath: join(accountsDir, 'login.defs'),
};
writeFileSync(
  localAccounts.passwdPath,
  [
    'root:x:0:0:root:/root:/bin/bash',
    'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
    'lightdm:x:998:998:Light Display Manager:/var/lib/lightdm:/bin/false',
    'svc:x:1500:1500:a service:/srv:/usr/sbin/nologin',
    'alice:x:1001:1001:Alice:/home/alice:/bin/bash',
    'nobody:x:65534:65534:nobody:/nonexistent:/bin/sh',
    '',
  ].join('\n'),
);
writeFileSync(localAccounts.loginDefsPath, 'UID_MIN 1000\nUID_MAX 60000\n');
after(() => rmSync(accountsDir, { recursive: true, force: true }));

function setUp(accept: (answer: string) => boolean, mode: 'login' | 'unlock' = 'login') {
  const transport = new ScriptedTransportForTest(accept);
  const controller = new AuthController({
    transport,
    helperPath: '/nonexistent',
    service: 'bastion-greeter',
    // pam_openbastion site, believed offline: a typed answer would get `OFFLINE:`, a token never.
    offlineAnswerPrefix: true,
    offline: true,
  });
  const lines: string[] = [];
  const seen: SsoSnapshot[] = [];
  const sso = createSsoSignIn({
    settings: settings(),
    mode,
    controller,
    portal: null,
    localAccounts,
    log: (line) => lines.push(line),
  });
  sso.subscribe((s) => seen.push(s));
  return { transport, controller, sso, lines, seen };
}

describe('SSO sign-in in main (device grant double, scripted PAM)', () => {
  it('approval → the access token, verbatim, answers the PAM prompt of the token user', async () => {
    const m = setUp((answer) => double.issuedAccessTokens.includes(answer));
    assert.deepEqual(m.sso.snapshot().methods, ['device']);
    m.sso.start('device');
    await until(() => m.sso.snapshot().phase === 'device', 'the device code');
    const device = m.sso.snapshot().device!;
    assert.equal(device.userCode, double.userCodes.at(-1));
    assert.equal(
      device.verificationUriComplete,
      `${double.issuer}/activate?user_code=${device.userCode}`,
    );
    double.approve(device.userCode, 'alice');
    await until(() => m.controller.snapshot().phase === 'success', 'success');
    const token = double.issuedAccessTokens.at(-1)!;
    assert.deepEqual(
      m.transport.runs.map((r) => r.user),
      ['alice'],
    );
    assert.deepEqual(m.transport.runs[0]!.conversation.answers, [token], 'no OFFLINE: prefix');
    await until(() => m.sso.snapshot().phase === 'idle', 'idle again');
    // The token is in no snapshot and no log line.
    assert.ok(!JSON.stringify(m.seen).includes(token));
    assert.ok(m.lines.length > 0 && !m.lines.some((l) => l.includes(token)));
    await m.sso.close();
    await m.controller.close();
  });

  it('a token PAM refuses → SSO_TOKEN_REJECTED; a second start while one runs → SSO_BUSY', async () => {
    const m = setUp(() => false);
    m.sso.start('device');
    assert.throws(
      () => m.sso.start('device'),
      (e) => (e as { code?: string }).code === 'SSO_BUSY',
    );
    await until(() => m.sso.snapshot().phase === 'device', 'the device code');
    double.approve(m.sso.snapshot().device!.userCode, 'alice');
    await until(() => m.sso.snapshot().phase === 'failed', 'failed');
    assert.equal(m.sso.snapshot().problem, 'SSO_TOKEN_REJECTED');
    await m.sso.close();
    await m.controller.close();
  });

  it('a user name main would refuse → SSO_NO_USER, and no PAM attempt', async () => {
    const m = setUp(() => true);
    m.sso.start('device');
    await until(() => m.sso.snapshot().phase === 'device', 'the device code');
    double.approve(m.sso.snapshot().device!.userCode, '-rf /');
    await until(() => m.sso.snapshot().phase === 'failed', 'failed');
    assert.equal(m.sso.snapshot().problem, 'SSO_NO_USER');
    assert.equal(m.transport.runs.length, 0);
    await m.sso.close();
    await m.controller.close();
  });

  it('cancel stops polling and comes back idle; denial says SSO_ACCESS_DENIED', async () => {
    const m = setUp(() => true);
    m.sso.start('device');
    await until(() => m.sso.snapshot().phase === 'device', 'the device code');
    await m.sso.cancel();
    assert.equal(m.sso.snapshot().phase, 'idle');
    const polls = double.polls;
    await new Promise((r) => setTimeout(r, 1_300));
    assert.equal(double.polls, polls, 'no poll after cancel');
    m.sso.start('device');
    await until(() => m.sso.snapshot().phase === 'device', 'the device code');
    double.deny(m.sso.snapshot().device!.userCode);
    await until(() => m.sso.snapshot().phase === 'failed', 'failed');
    assert.equal(m.sso.snapshot().problem, 'SSO_ACCESS_DENIED');
    assert.equal(m.transport.runs.length, 0);
    await m.sso.close();
    await m.controller.close();
  });

  it('not offered on the unlock screen, nor for a method the site did not list', async () => {
    const unlock = setUp(() => true, 'unlock');
    assert.equal(unlock.sso.snapshot().phase, 'off');
    assert.throws(
      () => unlock.sso.start('device'),
      (e) => (e as { code?: string }).code === 'SSO_NOT_OFFERED',
    );
    const login = setUp(() => true);
    assert.throws(
      () => login.sso.start('portal'),
      (e) => (e as { code?: string }).code === 'SSO_NOT_OFFERED',
    );
    await Promise.all([unlock.controller.close(), login.controller.close()]);
  });
});

describe('which account, which prompt (review L1, L2)', () => {
  it('system accounts, nologin accounts and out-of-range uids are refused: SSO_WRONG_USER, no PAM attempt', async () => {
    for (const user of ['root', 'daemon', 'lightdm', 'svc', 'nobody']) {
      const m = setUp(() => true);
      m.sso.start('device');
      await until(() => m.sso.snapshot().phase === 'device', 'the device code');
      double.approve(m.sso.snapshot().device!.userCode, user);
      await until(() => m.sso.snapshot().phase === 'failed', `${user} refused`);
      assert.equal(m.sso.snapshot().problem, 'SSO_WRONG_USER', user);
      assert.equal(m.transport.runs.length, 0, `no PAM attempt for ${user}`);
      await m.sso.close();
      await m.controller.close();
    }
  });

  it('the account check: login range, login shell, directory accounts, unreadable passwd', () => {
    assert.equal(ssoAccountRefusal('alice', localAccounts), null);
    assert.equal(ssoAccountRefusal('carol', localAccounts), null, 'not local: a directory account');
    assert.match(ssoAccountRefusal('root', localAccounts) ?? '', /system account \(uid 0\)/);
    assert.match(ssoAccountRefusal('svc', localAccounts) ?? '', /login shell/);
    assert.match(
      ssoAccountRefusal('alice', { ...localAccounts, passwdPath: join(accountsDir, 'none') }) ?? '',
      /cannot be read/,
      'fail closed',
    );
    // UID_MIN from login.defs, not a constant.
    const defs = join(accountsDir, 'login.defs.high');
    writeFileSync(defs, 'UID_MIN 2000\n');
    assert.match(
      ssoAccountRefusal('alice', { ...localAccounts, loginDefsPath: defs }) ?? '',
      /uid 1001/,
    );
  });

  it('userinfo is asked only with an ID token subject to hold it to (USERINFO TEST DOUBLE)', async () => {
    const asked: (string | undefined)[] = [];
    // Stands in for main/sso's userinfo (which refuses an answer whose sub differs from the
    // expected one, oauth4webapi's check); records the subject it was held to.
    const userinfoTestDouble = {
      userinfo: async (_token: string, expectedSubject?: string) => {
        asked.push(expectedSubject);
        return { sub: expectedSubject ?? 'sub-anyone', preferred_username: 'alice' };
      },
    };
    const lines: string[] = [];
    // No ID token (no claims): no fallback, no user.
    assert.equal(
      await signInUser({ accessToken: 'at' }, userinfoTestDouble, (l) => lines.push(l)),
      null,
    );
    assert.deepEqual(asked, [], 'userinfo not asked without an ID token');
    // An ID token without preferred_username: userinfo asked, held to its `sub`.
    const claims = { sub: 'sub-alice' } as NonNullable<Parameters<typeof signInUser>[0]['claims']>;
    assert.equal(
      await signInUser({ accessToken: 'at', claims }, userinfoTestDouble, () => undefined),
      'alice',
    );
    assert.deepEqual(asked, ['sub-alice'], 'the subject the client checks userinfo against');
  });

  it('the token answers only the password prompt; an OTP prompt cancels: SSO_UNEXPECTED_PROMPT', async () => {
    for (const prompt of [
      { secret: true, text: 'Verification code: ' },
      { secret: true, text: 'Current password: ' },
      { secret: true, text: 'New password: ' },
      { secret: false, text: 'Password: ' },
    ]) {
      const m = setUp(() => true);
      m.transport.prompt = prompt;
      m.sso.start('device');
      await until(() => m.sso.snapshot().phase === 'device', 'the device code');
      double.approve(m.sso.snapshot().device!.userCode, 'alice');
      await until(() => m.sso.snapshot().phase === 'failed', `${prompt.text} refused`);
      assert.equal(m.sso.snapshot().problem, 'SSO_UNEXPECTED_PROMPT', prompt.text);
      assert.deepEqual(m.transport.runs[0]!.conversation.answers, [], 'the token was not sent');
      assert.notEqual(m.controller.snapshot().phase, 'success');
      await m.sso.close();
      await m.controller.close();
    }
    assert.equal(isTokenAnswerablePrompt('Password: '), true);
    assert.equal(isTokenAnswerablePrompt('Mot de passe : '), true);
    assert.equal(isTokenAnswerablePrompt("alice's Password: "), false);
    assert.equal(isTokenAnswerablePrompt('One-time password: '), false);
  });
});

describe('sso.conf', () => {
  it('a complete file gives the methods and the client settings', () => {
    const s = parseSsoSettings(
      '[sso]\nissuer = https://auth.example.com\nclient-id = bastion\nsign-in = device portal\n' +
        'redirect-uri = http://127.0.0.1/callback\npins = sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\ntls-min-version = TLSv1.2\n',
    );
    assert.deepEqual(s?.methods, ['device', 'portal']);
    assert.equal(s?.redirectUri, 'http://127.0.0.1/callback');
    assert.deepEqual(s?.client.tls, {
      minVersion: 'TLSv1.2',
      pins: ['sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='],
      allowLoopbackHttp: false,
    });
    assert.equal(s?.portalTimeoutMs, 300_000);
  });

  it('anything half understood means no SSO sign-in (fail closed)', () => {
    const base = '[sso]\nissuer = https://auth.example.com\nclient-id = bastion\n';
    for (const text of [
      '[sso]\nclient-id = bastion\nsign-in = device\n', // no issuer
      `${base}sign-in = device password\n`, // unknown method
      `${base}sign-in = device device\n`, // repeated method
      `${base}sign-in = portal\n`, // portal without a redirect URI
      `${base}sign-in = portal\nredirect-uri = http://127.0.0.1/cb?x=1\n`, // a query
      `${base}sign-in = device\ntls-min-version = TLSv1.0\n`,
      `${base}sign-in = device\nallow-loopback-http = yes\n`,
      `${base}sign-in = device\nissuer = https://other.example.com\n`, // repeated key
      `${base}sign-in = device\nportal-timeout-seconds = 0\n`,
    ]) {
      assert.equal(parseSsoSettings(text), null, text);
    }
    // No sign-in listed: parsed, but nothing offered.
    assert.deepEqual(parseSsoSettings(base)?.methods, []);
  });
});
