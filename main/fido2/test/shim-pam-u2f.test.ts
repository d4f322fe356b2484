// Bonus peer: pamu2fcfg enrolls and pam_u2f (libfido2, as a real PAM module under pam_wrapper
// and pamtester) authenticates against the software authenticator through the shim, which
// shows its libudev answers suffice for libfido2's device discovery inside PAM.
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { it } from 'node:test';
import {
  FAKE_HIDRAW_SO,
  FakeHidrawRig,
  hasFakeHidraw,
} from '../../../testkit/fido2/fake-hidraw-rig';
import { runChild } from '../../../testkit/fido2/peers';
import { createPamStack, hasPamWrapper } from '../../../testkit/pam-stack';
import { fileExists, findExecutable, requireOrSkip } from '../../../testkit/require';

const PAM_U2F = '/lib/x86_64-linux-gnu/security/pam_u2f.so';

it('pamu2fcfg enrolls and pam_u2f authenticates through the shim; a key without the credential is refused', async (t) => {
  const ready =
    hasFakeHidraw() &&
    hasPamWrapper() &&
    fileExists(PAM_U2F) &&
    findExecutable('pamu2fcfg') !== null &&
    findExecutable('pamtester') !== null;
  if (
    !requireOrSkip(t, ready, 'fake_hidraw.so, libpam-wrapper, libpam-u2f, pamu2fcfg and pamtester')
  )
    return;
  const rig = await FakeHidrawRig.start([{}]);
  t.after(() => rig.stop());
  const user = userInfo().username;
  const enrolled = await runChild(
    'pamu2fcfg',
    ['-u', user, '-o', 'pam://bastion', '-i', 'pam://bastion'],
    { env: rig.env },
  );
  assert.equal(enrolled.code, 0, enrolled.stderr);
  assert.match(enrolled.stdout, new RegExp(`^${user}:[^,]+,[^,]+,es256,\\+presence`));
  const authfile = join(rig.dir, 'u2f_keys');
  writeFileSync(authfile, enrolled.stdout, { mode: 0o600 });
  chmodSync(authfile, 0o600);
  const stack = createPamStack({
    services: {
      'bastion-u2f': `auth required ${PAM_U2F} authfile=${authfile} origin=pam://bastion appid=pam://bastion cue\naccount required pam_permit.so\n`,
    },
  });
  t.after(() => stack.cleanup());
  const env = { ...stack.env, ...rig.env, LD_PRELOAD: `${stack.env.LD_PRELOAD} ${FAKE_HIDRAW_SO}` };
  const ok = await runChild('pamtester', ['bastion-u2f', user, 'authenticate'], { env });
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.match(ok.stdout + ok.stderr, /Please touch the device/);
  assert.match(ok.stdout + ok.stderr, /successfully authenticated/);
  rig.devices[0]!.authenticator.credentials.length = 0; // the key no longer holds the credential
  const refused = await runChild('pamtester', ['bastion-u2f', user, 'authenticate'], { env });
  assert.notEqual(refused.code, 0);
});
