// A greetd of its own per case (testkit/dm/greetd-rig.ts, stopped with the case) running the
// real greeter, for the e2e files that drive it (e2e/dm-greetd*.test.ts): the page of its
// greeter, and what to show when a case fails.
import type { TestContext } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Locale } from '../../preload/api';
import { startGreetdRig, type GreetdRig, type GreetdRigOptions } from '../../testkit/dm/greetd-rig';
import type { DmGreeter } from './dm-greeter';
import { openDmPage, type DmPage } from './dm-screen';

export interface GreetdGreeterPage extends DmPage {
  rig: GreetdRig;
  /** The greeter run (its URL and stderr files). */
  run: number;
}

/** Starts greetd with `options` and `greeter` as its greeter in `locale`; opens its page. */
export async function startGreetdGreeter(
  t: TestContext,
  parts: { greeter: DmGreeter; browser: Browser },
  options: Omit<GreetdRigOptions, 'greeterCommand' | 'scenario'>,
  locale: Locale = 'en',
): Promise<GreetdGreeterPage> {
  const { greeter, browser } = parts;
  const run = greeter.started();
  greeter.setLocale(locale);
  const rig = await startGreetdRig({
    greeterCommand: greeter.command,
    scenario: { runs: [] },
    ...options,
  });
  t.after(() => rig.stop());
  let url: string;
  try {
    url = await greeter.waitForUrl(run);
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- greetd ---\n${rig.daemonLog()}`);
  }
  return { ...(await openDmPage(t, browser, url)), rig, run };
}

/** What the greeter run logged (never an answer) and greetd's own output. */
export function greetdDiagnostics(greeter: DmGreeter, rig: GreetdRig, run: number): string {
  return `${greeter.stderr(run)}\n--- greetd ---\n${rig.daemonLog()}`;
}
