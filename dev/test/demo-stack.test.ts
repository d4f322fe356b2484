// The demo stack the README lists, checked with the reference PAM client (pamtester) on real
// libpam through pam_wrapper: each demo user gets exactly the outcome and line it promises.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hasPamWrapper } from '../../testkit/pam-stack';
import { findExecutable, requireOrSkip } from '../../testkit/require';
import { DEMO_LOCK_SECONDS, GREETER_SERVICE, prepareDemoEnvironment } from '../demo-stack';

function pamtester(env: Record<string, string>, user: string, password: string) {
  const result = spawnSync('pamtester', [GREETER_SERVICE, user, 'authenticate', 'acct_mgmt'], {
    input: `${password}\n`,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    encoding: 'utf8',
  });
  const lines = `${result.stdout}${result.stderr}`.split('\n');
  return {
    ok: result.status === 0,
    offlineLines: lines.flatMap((l) => /(OFFLINE_(?:ERROR|OK):[-0-9:]+)/.exec(l)?.[1] ?? []),
  };
}

test('demo users get the promised outcome through real pam_matrix and pam_exec', (t) => {
  if (!requireOrSkip(t, hasPamWrapper(), 'libpam-wrapper')) return;
  if (!requireOrSkip(t, findExecutable('pamtester') !== null, 'pamtester')) return;
  const dir = mkdtempSync(join(tmpdir(), 'bastion-demo-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const demo = prepareDemoEnvironment(join(dir, 'demo'));
  assert.equal(statSync(join(dir, 'demo')).mode & 0o777, 0o700);
  assert.equal(statSync(demo.stack.passdb).mode & 0o777, 0o600);
  const env = demo.helperEnv;

  assert.deepEqual(pamtester(env, 'demo', 'demo-pass'), { ok: true, offlineLines: [] });
  assert.deepEqual(pamtester(env, 'demo', 'wrong'), { ok: false, offlineLines: [] });
  assert.deepEqual(pamtester(env, 'nobody', 'demo-pass'), { ok: false, offlineLines: [] });
  assert.deepEqual(pamtester(env, 'locked', 'any'), {
    ok: false,
    offlineLines: [`OFFLINE_ERROR:-6:${DEMO_LOCK_SECONDS}`],
  });
  assert.deepEqual(pamtester(env, 'expired', 'any'), {
    ok: false,
    offlineLines: ['OFFLINE_ERROR:-5'],
  });
  assert.deepEqual(pamtester(env, 'offline', 'wrong'), {
    ok: false,
    offlineLines: ['OFFLINE_ERROR:-8'],
  });
  const offline = pamtester(env, 'offline', 'offline-pass');
  assert.equal(offline.ok, true);
  assert.equal(offline.offlineLines.length, 1);
  const expiresAt = Number(offline.offlineLines[0]!.split(':')[1]);
  const weekFromNow = Math.floor(Date.now() / 1000) + 604_800;
  assert.ok(Math.abs(expiresAt - weekFromNow) < 60, `expires_at ${expiresAt}`);
});
