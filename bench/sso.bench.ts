// Unlock with the saved sign-in vs. with the password, against the local LemonLDAP::NG rig
// (testkit/sso/llng-rig.ts; needs root), in the same run, through the same layers: the greeter
// backend on the unlock screen → the real helper (test build) → real libpam (pam_wrapper) →
// pam_exec running the PAM_OPENBASTION STAND-IN FOR TESTS (main/ipc/test/llng-unlock-fixture.ts),
// which asks the rig: introspection (confidential RP) for a token, the password grant for a
// password.
//  * withRefresh: Enter with an empty field → refresh grant (main/sso, under the user's token
//    lock, store read + write) → the PAM prompt answered with the fresh access token → success.
//  * withPassword: the same attempt answered with the typed password.
// Runs alternate (refresh, password, refresh, …) so both see the same machine load.
import { median, round, timeRuns } from './stats';
import { startLlngBenchSetup } from '../testkit/sso/llng-rig';
import { startLlngUnlockFixture } from '../main/ipc/test/llng-unlock-fixture';

const RUNS = 21;

const setup = await startLlngBenchSetup('dwho');
const fixture = await startLlngUnlockFixture(setup.rig, setup.user, { passwordGrant: false });
try {
  const tokens = await fixture.client.passwordGrant(setup.user, setup.password);
  await fixture.saveTokens({
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken!,
    expiresAt: tokens.expiresAt,
  });
  const withRefresh = async (): Promise<void> => {
    const end = await fixture.unlock('');
    if (end.phase !== 'success') throw new Error(`unlock with refresh: ${end.phase}`);
  };
  const withPassword = async (): Promise<void> => {
    const end = await fixture.unlock(setup.password);
    if (end.phase !== 'success') throw new Error(`unlock with password: ${end.phase}`);
  };
  const refreshOnly = async (): Promise<void> => {
    await fixture.client.refresh(tokens.refreshToken!);
  };
  // Warm-up: discovery, JWKS, the portal's caches, the helper's first start.
  await timeRuns(withRefresh, 0, 2);
  await timeRuns(withPassword, 0, 2);
  const refreshSamples: number[] = [];
  const passwordSamples: number[] = [];
  const grantSamples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    refreshSamples.push(...(await timeRuns(withRefresh, 1, 0)));
    passwordSamples.push(...(await timeRuns(withPassword, 1, 0)));
    grantSamples.push(...(await timeRuns(refreshOnly, 1, 0)));
  }
  const refreshMs = median(refreshSamples);
  const passwordMs = median(passwordSamples);
  const accepted = fixture.standInLines();
  if (accepted.some((line) => !line.startsWith('accepted '))) {
    throw new Error('the stand-in refused an unlock');
  }
  console.log(
    JSON.stringify({
      runs: RUNS,
      unlock_with_refresh_median_ms: round(refreshMs),
      unlock_with_password_median_ms: round(passwordMs),
      ratio_refresh_vs_password: round(refreshMs / passwordMs),
      refresh_grant_alone_median_ms: round(median(grantSamples)),
      portal: 'LemonLDAP::NG 2.16 (Debian), local rig, HTTPS with pin',
      pam: 'helper test build (ASan) + pam_wrapper + pam_exec stand-in for pam_openbastion',
    }),
  );
} finally {
  await fixture.close();
  await setup.rig.stop();
}
