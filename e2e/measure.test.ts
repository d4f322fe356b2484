// The benchmark hook keeps working: it starts the server process and Chromium, sees the
// login form become interactive, and cleans up.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { test } from 'node:test';
import { measureNavigationToInteractiveLogin } from './support/measure';
import { requireE2ePrerequisites } from './support/session';

test('measureNavigationToInteractiveLogin times real navigations to an interactive form', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  // A temporary directory of its own: other suites' servers run at the same time in the
  // shared one, and their demo dirs come and go while this test looks.
  const ownTmp = mkdtempSync(join(tmpdir(), 'bastion-measure-'));
  t.after(() => rmSync(ownTmp, { recursive: true, force: true }));
  const timings = await measureNavigationToInteractiveLogin(3, { TMPDIR: ownTmp });
  assert.equal(timings.runsMs.length, 3);
  for (const ms of timings.runsMs) assert.ok(ms > 0 && ms < 10_000, `${ms} ms`);
  assert.equal(timings.medianMs, [...timings.runsMs].sort((a, b) => a - b)[1]);
  // dev/server.ts serves the first paint (main/screens/first-paint.ts): the form is there and
  // typeable before React's first commit, not after it.
  assert.ok(timings.firstCommitMedianMs > timings.medianMs, JSON.stringify(timings));
  const leftovers = readdirSync(ownTmp).filter((n) => n.startsWith('bastion-devserver-'));
  assert.deepEqual(leftovers, [], 'the server process cleaned up its demo dir');
});
