// Password unlock with the SSO refresh alongside vs. the same password unlock without it,
// against the local LemonLDAP::NG rig (testkit/sso/llng-rig.ts; needs root), in the same run,
// through the same layers: the greeter backend on the unlock screen → the real helper (test
// build) → real libpam (pam_wrapper) → pam_exec running the PAM_OPENBASTION STAND-IN FOR TESTS
// (main/ipc/test/llng-unlock-fixture.ts), which checks the password with the rig's password
// grant. A stored refresh token never answers PAM (main/sso/TOKENS.md); what refresh at unlock
// costs is the refresh grant run before the password is sent (it picks the online or offline
// path), under the user's token lock with a store read and write.
//  * withRefreshAlongside: sso.conf unlock-with-refresh = true, tokens stored → refresh grant
//    → the password answers the prompt → success (the stored tokens refreshed).
//  * withoutRefresh: a backend whose sso.conf has unlock-with-refresh = false → the password
//    answers the prompt at once → success.
// Runs alternate (alongside, without, alongside, …) so both see the same machine load.
import { median, round, timeRuns } from './stats';
import { startLlngBenchSetup } from '../testkit/sso/llng-rig';
import { startLlngUnlockFixture } from '../main/ipc/test/llng-unlock-fixture';

const RUNS = 21;

const setup = await startLlngBenchSetup('dwho');
const alongside = await startLlngUnlockFixture(setup.rig, setup.user, { passwordGrant: false });
const without = await startLlngUnlockFixture(setup.rig, setup.user, { refreshAtUnlock: false });
try {
  const tokens = await alongside.client.passwordGrant(setup.user, setup.password);
  await alongside.saveTokens({
    accessToken: tokens.accessToken,
    refreshToken: tokens.refreshToken!,
    expiresAt: tokens.expiresAt,
  });
  const withRefreshAlongside = async (): Promise<void> => {
    const end = await alongside.unlock(setup.password);
    if (end.phase !== 'success') throw new Error(`unlock with refresh alongside: ${end.phase}`);
  };
  const withoutRefresh = async (): Promise<void> => {
    const end = await without.unlock(setup.password);
    if (end.phase !== 'success') throw new Error(`unlock without refresh: ${end.phase}`);
  };
  const refreshGrantOnly = async (): Promise<void> => {
    await alongside.client.refresh(tokens.refreshToken!);
  };
  // Warm-up: discovery, JWKS, the portal's caches, the helper's first start.
  await timeRuns(withRefreshAlongside, 0, 2);
  await timeRuns(withoutRefresh, 0, 2);
  const alongsideSamples: number[] = [];
  const withoutSamples: number[] = [];
  const grantSamples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    alongsideSamples.push(...(await timeRuns(withRefreshAlongside, 1, 0)));
    withoutSamples.push(...(await timeRuns(withoutRefresh, 1, 0)));
    grantSamples.push(...(await timeRuns(refreshGrantOnly, 1, 0)));
  }
  const alongsideMs = median(alongsideSamples);
  const withoutMs = median(withoutSamples);
  for (const fixture of [alongside, without]) {
    const lines = fixture.standInLines();
    if (lines.some((line) => line !== `accepted password ${setup.user}`)) {
      throw new Error(`the stand-in saw something else than accepted passwords: ${lines.join()}`);
    }
  }
  const stored = await alongside.store.load(setup.user);
  if (stored === null || stored.accessToken === tokens.accessToken) {
    throw new Error('the refresh alongside did not refresh the stored tokens');
  }
  console.log(
    JSON.stringify({
      runs: RUNS,
      password_unlock_with_refresh_alongside_median_ms: round(alongsideMs),
      password_unlock_without_refresh_median_ms: round(withoutMs),
      ratio_with_refresh_alongside_vs_without: round(alongsideMs / withoutMs),
      added_by_refresh_alongside_median_ms: round(alongsideMs - withoutMs),
      refresh_grant_alone_median_ms: round(median(grantSamples)),
      portal: 'LemonLDAP::NG 2.16 (Debian), local rig, HTTPS with pin',
      pam: 'helper test build (ASan) + pam_wrapper + pam_exec stand-in for pam_openbastion (password grant)',
    }),
  );
} finally {
  await alongside.close();
  await without.close();
  await setup.rig.stop();
}
