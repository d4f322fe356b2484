// Test-only greeter that real greetd launches (testkit/dm/greetd-rig.ts bundles it with
// esbuild into a file the `_greetd` account can read). It drives the project's greetd client
// (main/dm/greetd) through a JSON scenario and writes what happened as JSON lines — never an
// answer — for the test to read.
//
// Env: GREETD_SOCK (from greetd), BASTION_GREETER_SCENARIO (JSON file), BASTION_GREETER_LOG.
// Scenario: {"runs": [[step, …], …]}: the n-th greeter greetd starts plays runs[n] (the last
// one repeats). Steps:
//   {"op":"login","user":U,"answers":[…],"cancelOnPrompt":false}
//   {"op":"start_session","cmd":[…],"env":[…]}   then exits at once, as the app must
//   {"op":"exit","code":0}
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { greetdTransportFromEnv } from '../../main/dm/greetd';
import type { ConversationOutcome } from '../../main/auth/transport';

type Step =
  | { op: 'login'; user: string; answers?: string[]; cancelOnPrompt?: boolean }
  | { op: 'start_session'; cmd: string[]; env?: string[] }
  | { op: 'exit'; code?: number };

const logPath = process.env.BASTION_GREETER_LOG ?? '/dev/null';
function log(ev: string, fields: Record<string, unknown> = {}): void {
  appendFileSync(
    logPath,
    JSON.stringify({ ev, t: Date.now(), pid: process.pid, ...fields }) + '\n',
  );
}

function summary(outcome: ConversationOutcome): Record<string, unknown> {
  if (outcome.ok) return { ok: true, result: outcome.result };
  if (outcome.kind === 'refused') return { ok: false, kind: 'refused', result: outcome.result };
  return {
    ok: false,
    kind: 'client-error',
    code: outcome.error.code,
    message: outcome.error.message,
  };
}

async function main(): Promise<number> {
  const scenario = JSON.parse(readFileSync(process.env.BASTION_GREETER_SCENARIO ?? '', 'utf8')) as {
    runs: Step[][];
  };
  const countFile = `${logPath}.count`;
  let run = 0;
  try {
    run = Number(readFileSync(countFile, 'utf8')) || 0;
  } catch {
    run = 0;
  }
  writeFileSync(countFile, String(run + 1));
  const steps = scenario.runs[Math.min(run, scenario.runs.length - 1)] ?? [];
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(GREETD|XDG|USER|HOME|SHELL|TERM)/.test(k) && v !== undefined) env[k] = v;
  }
  log('start', { run, uid: process.getuid?.(), env });
  const transport = greetdTransportFromEnv();
  if (!transport) {
    log('no-greetd');
    return 3;
  }
  for (const step of steps) {
    if (step.op === 'login') {
      const t0 = performance.now();
      const answers = [...(step.answers ?? [])];
      const conversation = transport.begin(step.user);
      for await (const event of conversation.events()) {
        if (event.type === 'result') {
          log('outcome', { ...summary(event.outcome), ms: +(performance.now() - t0).toFixed(1) });
          break;
        }
        log('event', { event });
        if (event.type === 'prompt') {
          if (step.cancelOnPrompt) conversation.cancel();
          else conversation.answer(answers.shift() ?? '');
        }
      }
    } else if (step.op === 'start_session') {
      const t0 = performance.now();
      const outcome = await transport.startSession({
        name: '',
        command: step.cmd,
        env: step.env ?? [],
      });
      log('session', {
        outcome: outcome.ok ? { ok: true } : { ok: false, code: outcome.error.code },
        mustExitBy: transport.mustExitBy,
        ms: +(performance.now() - t0).toFixed(1),
      });
      if (outcome.ok) {
        // greetd starts the session once we are gone: exit now.
        transport.close();
        log('exit', { code: 0 });
        return 0;
      }
    } else if (step.op === 'exit') {
      transport.close();
      log('exit', { code: step.code ?? 0 });
      return step.code ?? 0;
    }
  }
  transport.close();
  log('steps-done');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log('crash', { what: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown' });
    process.exit(9);
  },
);
