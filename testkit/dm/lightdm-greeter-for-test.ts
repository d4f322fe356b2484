// The greeter LightDM launches in the LightDM integration tests (testkit/dm/lightdm-rig.ts
// bundles it and names it in the greeter .desktop file). It runs the real code path,
// main/dm/lightdm over LightDM's pipes, scripted by the scenario the test wrote for this
// greeter process (`$BASTION_RIG_DIR/scenario-<n>.json`, n = how many greeters started before
// it), and reports one JSON line per event to `$BASTION_RIG_DIR/greeter.jsonl`.
// Answers are never reported; prompt and message texts are.
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConversationOutcome } from '../../main/auth/transport';
import { connectFromEnvironment, type LightdmGreeter } from '../../main/dm/lightdm/index';
import type { GreeterScenario } from './lightdm-rig';

const dir = process.env.BASTION_RIG_DIR ?? '/nonexistent';
const countFile = join(dir, 'greeter-count');
const runNumber = existsSync(countFile) ? Number(readFileSync(countFile, 'utf8')) : 0;
writeFileSync(countFile, String(runNumber + 1));

function report(ev: string, fields: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ run: runNumber, pid: process.pid, t: Date.now(), ev, ...fields });
  appendFileSync(join(dir, 'greeter.jsonl'), `${line}\n`);
}

function describe(outcome: ConversationOutcome): Record<string, unknown> {
  if (outcome.ok) return { ok: true, result: outcome.result };
  if (outcome.kind === 'refused') return { ok: false, kind: 'refused', result: outcome.result };
  return {
    ok: false,
    kind: 'client-error',
    code: outcome.error.code,
    message: outcome.error.message,
  };
}

async function scenario(): Promise<GreeterScenario> {
  const path = join(dir, `scenario-${runNumber}.json`);
  const end = Date.now() + 20_000;
  while (!existsSync(path)) {
    if (Date.now() > end) throw new Error(`no ${path}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return JSON.parse(readFileSync(path, 'utf8')) as GreeterScenario;
}

function nextOf<T>(subscribe: (listener: (value: T) => void) => () => void): () => Promise<T> {
  const seen: T[] = [];
  const waiting: ((value: T) => void)[] = [];
  subscribe((value) => {
    const w = waiting.shift();
    if (w) w(value);
    else seen.push(value);
  });
  return () =>
    seen.length > 0 ? Promise.resolve(seen.shift()!) : new Promise<T>((r) => waiting.push(r));
}

async function login(
  greeter: LightdmGreeter,
  user: string,
  answers: string[],
  cancelAtPrompt: boolean,
): Promise<void> {
  const started = Date.now();
  const conversation = greeter.transport.begin(user);
  for await (const event of conversation.events()) {
    if (event.type === 'result') {
      report('outcome', { user, ms: Date.now() - started, outcome: describe(event.outcome) });
      break;
    }
    report('event', { event });
    if (event.type !== 'prompt') continue;
    if (cancelAtPrompt) {
      conversation.cancel();
      continue;
    }
    const answer = answers.shift();
    if (answer === undefined) conversation.cancel();
    else conversation.answer(answer);
  }
}

async function main(): Promise<void> {
  report('start');
  const plan = await scenario();
  const greeter = await connectFromEnvironment({
    resettable: plan.resettable,
    version: 'bastion-greeter-test',
    exitProcess: (code) => process.exit(code),
  });
  report('connected', {
    server: greeter.server,
    hints: greeter.hints,
    raw: Object.fromEntries(greeter.hints.raw),
  });
  const nextReset = nextOf(greeter.onReset.bind(greeter));
  const nextIdle = nextOf(greeter.onIdle.bind(greeter));
  greeter.onReset((hints) => report('reset', { hints, raw: Object.fromEntries(hints.raw) }));
  greeter.onIdle(() => report('idle'));
  void greeter.ended.then((end) => {
    report('ended', {
      end: {
        ...end,
        error: end.error ? { code: end.error.code, message: end.error.message } : null,
      },
    });
    if (end.reason !== 'terminated') process.exit(end.reason === 'protocol-error' ? 3 : 0);
  });
  for (const step of plan.steps) {
    switch (step.op) {
      case 'login':
        await login(greeter, step.user, [...(step.answers ?? [])], step.cancelAtPrompt ?? false);
        break;
      case 'start_session': {
        const started = Date.now();
        const outcome = await greeter.transport.startSession!({
          name: step.name,
          command: [],
          env: [],
        });
        report('session', {
          ms: Date.now() - started,
          ok: outcome.ok,
          ...(outcome.ok ? {} : { code: outcome.error.code, message: outcome.error.message }),
        });
        break;
      }
      case 'wait_reset':
        await nextReset();
        break;
      case 'wait_idle':
        await nextIdle();
        break;
    }
  }
  report('steps-done');
}

main().catch((error: unknown) => {
  const e = error as { code?: unknown; message?: unknown };
  report('crash', { code: e.code ?? null, message: String(e.message ?? error) });
  process.exit(9);
});
