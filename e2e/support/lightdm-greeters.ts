// The greeters a LightDM rig starts one after another, for the e2e files that drive the real
// greeter under it (e2e/dm-lightdm*.test.ts): each case takes the next greeter's page and ends
// with a started session, after which LightDM starts the next greeter.
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import type { LightdmRig } from '../../testkit/dm/lightdm-rig';
import type { DmGreeter } from './dm-greeter';
import { openDmPage, type DmPage } from './dm-screen';

export interface LightdmGreeters {
  /** The page of the next greeter LightDM starts, with its run number. */
  next(t: TestContext): Promise<DmPage & { run: number }>;
  /** What the greeter run logged (never an answer) and LightDM's log. */
  diagnostics(run: number): string;
  /** Waits for the session script's start line number `count`; returns the newest. */
  sessionStarted(count: number): Promise<string>;
}

/** `parts` is read at each call: the rig, greeter and browser are made in the file's `before`. */
export function lightdmGreeters(
  parts: () => { rig: LightdmRig; greeter: DmGreeter; browser: Browser },
): LightdmGreeters {
  let nextRun = 0;
  /** Whether the last case's greeter ended with a session (LightDM then starts the next). */
  let sessionSincePage = true;
  return {
    async next(t) {
      if (!sessionSincePage) {
        throw new Error('the previous case ended without a session: its greeter is still up');
      }
      sessionSincePage = false;
      const { rig, greeter, browser } = parts();
      const run = nextRun;
      nextRun += 1;
      let url: string;
      try {
        url = await greeter.waitForUrl(run);
      } catch (error) {
        throw new Error(`${(error as Error).message}\n--- lightdm ---\n${rig.log()}`);
      }
      return { ...(await openDmPage(t, browser, url)), run };
    },
    diagnostics(run) {
      const { rig, greeter } = parts();
      return `${greeter.stderr(run)}\n--- lightdm ---\n${rig.log()}`;
    },
    async sessionStarted(count) {
      const { rig } = parts();
      try {
        const newest = (await rig.waitSessionStarts(count, 15_000)).at(-1)!;
        sessionSincePage = true;
        return newest;
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${rig.log()}`);
      }
    },
  };
}
