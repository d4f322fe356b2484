// Tokens, passwords and secrets never reach the module's log, in success and in failure: the
// log is first shown to be non-empty, then searched for each secret raw, base64url- and
// JSON-escaped. The default logger (console.error) is captured too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSsoClient } from '../client';
import { createOpenBastionClient } from '../open-bastion';
import { startRig } from './sso-rig';

function forms(secret: string): string[] {
  return [
    secret,
    Buffer.from(secret, 'utf8').toString('base64url'),
    Buffer.from(secret, 'utf8').toString('base64'),
    JSON.stringify(secret).slice(1, -1),
    encodeURIComponent(secret),
  ];
}

test('no token, password or secret in the logs', async () => {
  const password = 'p@ss "w\\ord" é';
  const ob = { serverToken: 'srv-token-0123456789', signingSecret: 'sign-secret-0123456789' };
  const rig = await startRig({ users: { dwho: password }, openBastion: ob });
  const captured: string[] = [];
  const originalError = console.error;
  console.error = (...args: unknown[]) => {
    captured.push(args.map(String).join(' '));
  };
  const secrets: string[] = [
    password,
    ob.serverToken,
    ob.signingSecret,
    'client-secret-0123456789',
  ];
  try {
    // One client logs through config.log, one through the default (console.error).
    const viaOption = await createSsoClient(
      rig.config({ allowPasswordGrant: true, clientSecret: 'client-secret-0123456789' }),
    );
    const { log: _drop, ...withoutLog } = rig.config({ allowPasswordGrant: true });
    const viaDefault = await createSsoClient(withoutLog);
    for (const client of [viaOption, viaDefault]) {
      const set = await client.passwordGrant('dwho', password);
      const refreshed = await client.refresh(set.refreshToken!);
      await client.userinfo(refreshed.accessToken);
      secrets.push(
        set.accessToken,
        set.refreshToken!,
        set.idToken!,
        refreshed.accessToken,
        refreshed.idToken!,
      );
      const { url, pending } = client.beginAuthorization();
      const callback = rig.double.approve(url);
      secrets.push(
        new URL(callback).searchParams.get('code')!,
        new URL(url).searchParams.get('state')!,
        new URL(url).searchParams.get('nonce')!,
      );
      secrets.push((await client.completeAuthorization(callback, pending)).accessToken);
      // Failures log too: a refused password, a dead refresh token, a rejected access token.
      await assert.rejects(client.passwordGrant('dwho', `${password}x`));
      await assert.rejects(client.refresh(set.refreshToken!));
      await assert.rejects(client.userinfo(`${set.accessToken}x`));
      const obClient = createOpenBastionClient(rig.config({ openBastion: ob }));
      await obClient.verify(refreshed.accessToken);
      await obClient.heartbeat(refreshed.refreshToken!);
      await obClient.close();
      await client.close();
    }
  } finally {
    console.error = originalError;
    await rig.close();
  }
  const log = [...rig.logs, ...captured].join('\n');
  assert.ok(rig.logs.length > 10, `the module logged (${rig.logs.length} lines)`);
  assert.ok(
    captured.some((line) => line.startsWith('sso: ')),
    'the default logger wrote too',
  );
  assert.match(log, /SSO_INVALID_GRANT/);
  for (const secret of secrets) {
    assert.ok(secret.length >= 8, 'a real secret');
    for (const form of forms(secret)) {
      assert.equal(
        log.includes(form),
        false,
        `a secret appears in the log (${secret.slice(0, 4)}…)`,
      );
    }
  }
});
