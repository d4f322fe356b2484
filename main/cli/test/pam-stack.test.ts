// The shipped PAM service files (resources/pam/) run for real: libpam through pam_wrapper,
// driven by our setuid helper's test build over its frames (main/pam/frames.ts), with the
// installed bastion-offline entry (the static launcher, built for the test). The online module
// (pam_unix / pam_openbastion in the shipped files) is replaced by:
//  * reachable: pam_exec running a password check — a module that takes the password the way
//    pam_unix/pam_sss do (pam_get_authtok, PAM_AUTHTOK kept for the next modules). pam_matrix
//    cannot play this part: it wipes PAM_AUTHTOK in place after checking it, so `store` would
//    get an empty token;
//  * unreachable: pam_matrix without a passdb, which returns PAM_AUTHINFO_UNAVAIL — what an
//    online module says when the directory or portal cannot be reached.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FrameType } from '../../pam/frames';
import { OfflineCache } from '../../offline/cache';
import { copyGolden, storeFresh, type GoldenCopy } from '../../offline/test/golden-fixture';
import {
  createPamStack,
  hasPamWrapper,
  PAM_MATRIX,
  type PamStack,
} from '../../../testkit/pam-stack';
import { HELPER_TEST_BUILD, REPO_ROOT } from '../../../testkit/paths';
import { fileExists, requireOrSkip } from '../../../testkit/require';
import { runHelper, type HelperRun } from '../../../native-helper/test/driver';
import {
  buildLdMarkersForTest,
  INSTALLED_ENTRY_PATH,
  installEntryForTest,
  type InstalledEntry,
} from './installed-entry';

const HELPER = HELPER_TEST_BUILD;
const SHIPPED_UNIX = readFileSync(join(REPO_ROOT, 'resources/pam/unix/bastion-greeter'), 'utf8');
const SHIPPED_OPENBASTION = readFileSync(
  join(REPO_ROOT, 'resources/pam/openbastion/bastion-greeter'),
  'utf8',
);
const SHIPPED_STATUS = readFileSync(join(REPO_ROOT, 'resources/pam/bastion-status'), 'utf8');

/**
 * The shipped file with only what must differ in a test: the auth pam_unix / pam_openbastion →
 * `onlineModule`, the account pam_unix / pam_openbastion → pam_permit, the installed entry path → the test entry, plus the test
 * cache's options.
 * `prelude` lines go first (used to put hostile variables into the PAM environment).
 */
function adapt(
  shipped: string,
  entry: string,
  copy: GoldenCopy,
  onlineModule: string,
  prelude = '',
): string {
  const body = shipped
    .replace(/^(auth\s.*)\bpam_(unix|openbastion)\.so\b/m, `$1${onlineModule}`)
    // The account source is not under test (and pam_exec cannot expose a token in account).
    .replace(/^(account\s.*)\bpam_(unix|openbastion)\.so\b/m, '$1pam_permit.so')
    .replaceAll(
      new RegExp(`${INSTALLED_ENTRY_PATH} (verify|store|status)`, 'g'),
      `${entry} $1 ${copy.cliOptions.join(' ')}`,
    );
  assert.ok(
    !body.includes(INSTALLED_ENTRY_PATH) && !/\bpam_(unix|openbastion)\.so/.test(body),
    'every line adapted',
  );
  return prelude + body;
}

describe('PAM stack through the helper: online first, offline cache when unreachable', () => {
  let installed: InstalledEntry | null = null;
  let copy: GoldenCopy;
  let scratch: string;
  let reachable: string;
  let unreachable: string;
  let putenvModule: string;
  const stacks: PamStack[] = [];

  before(async () => {
    installed = await installEntryForTest();
    copy = copyGolden();
    scratch = mkdtempSync(join(copy.root, 'scratch-'));
    chmodSync(scratch, 0o755);
    const check = join(scratch, 'online-check');
    writeFileSync(check, '#!/bin/sh\nIFS= read -r password\n[ "$password" = "online-secret" ]\n', {
      mode: 0o755,
    });
    reachable = `pam_exec.so expose_authtok ${check}`;
    unreachable = `${PAM_MATRIX} passdb=${join(scratch, 'no-passdb')}`;
    // A test-only module that puts its NAME=value arguments into the PAM environment, which
    // pam_exec hands to its command (pam_exec(8): the user can influence it, e.g. through
    // ~/.pam_environment).
    putenvModule = join(scratch, 'pam_putenv_for_test.so');
    execFileSync('/usr/bin/cc', [
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fPIC',
      '-shared',
      join(import.meta.dirname, 'pam_putenv_for_test.c'),
      '-o',
      putenvModule,
      '-lpam',
    ]);
    await storeFresh(copy, 'heidi', 'heidi-pass');
  });
  after(() => {
    installed?.cleanup();
    for (const stack of stacks) stack.cleanup();
    copy.cleanup();
  });

  const available = (t: { skip(reason: string): void }): boolean =>
    requireOrSkip(t as never, hasPamWrapper(), 'libpam-wrapper') &&
    requireOrSkip(t as never, fileExists(HELPER), `${HELPER} (make -C native-helper)`);

  /** One transaction of `service` for `user`, answering every password prompt with `answer`. */
  async function login(
    services: Record<string, string>,
    user: string,
    answer: string,
    service = 'bastion-greeter',
  ): Promise<HelperRun> {
    const stack = createPamStack({ services });
    stacks.push(stack);
    const run = await runHelper({
      binary: HELPER,
      // A fresh rate-limit dir per run: the helper's own throttle must not mask the cache's lockout.
      env: {
        ...stack.env,
        UID_WRAPPER_DISABLE_DEEPBIND: '1', // pam_wrapper's switch: ASan refuses RTLD_DEEPBIND
        BASTION_TEST_STATE_DIR: mkdtempSync(join(scratch, 'rl-')),
      },
      service,
      user,
      onPrompt: () => ({ answer }),
      limitMs: 30_000,
    });
    assert.equal(run.decodeError, null);
    return run;
  }

  const online = (stack: string) => ({ 'bastion-greeter': stack });
  const info = (run: HelperRun): string[] => run.texts(FrameType.INFO);
  const entryState = (user: string) => {
    const cache = new OfflineCache(copy.options);
    try {
      return cache.get(user);
    } finally {
      cache.close();
    }
  };

  test('online success → bastion-offline store records the verifier; a wrong online password records nothing', async (t) => {
    if (!available(t)) return;
    const wrong = await login(
      online(adapt(SHIPPED_UNIX, installed!.entry, copy, reachable)),
      'frank',
      'not-it',
    );
    assert.equal(wrong.success, false);
    assert.throws(() => entryState('frank'), /NOTFOUND/);
    const run = await login(
      online(adapt(SHIPPED_UNIX, installed!.entry, copy, reachable)),
      'frank',
      'online-secret',
    );
    assert.equal(run.success, true, `${run.result} ${run.stderr}`);
    const state = entryState('frank');
    assert.equal(state.failedAttempts, 0);
    assert.ok(state.expiresAt > Date.now() / 1000 + 604_000);
  });

  test('online unavailable → verify: OFFLINE_OK reaches main as INFO; wrong → OFFLINE_ERROR:-8; 5th → locked -6:<secs>', async (t) => {
    if (!available(t)) return;
    const offline = online(adapt(SHIPPED_UNIX, installed!.entry, copy, unreachable));
    const ok = await login(offline, 'frank', 'online-secret');
    assert.equal(ok.success, true, `${ok.result} ${ok.stderr}`);
    assert.deepEqual(info(ok), [`OFFLINE_OK:${entryState('frank').expiresAt}`]);
    const offlinePrefixed = await login(offline, 'frank', 'OFFLINE:online-secret');
    assert.equal(offlinePrefixed.success, true);
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await login(offline, 'frank', 'guess');
      assert.equal(wrong.success, false);
      assert.deepEqual(info(wrong), ['OFFLINE_ERROR:-8'], `attempt ${attempt}`);
      assert.match(wrong.result ?? '', /^\d+:PAM_\w+:authenticate$/);
    }
    const locked = await login(offline, 'frank', 'online-secret');
    assert.equal(locked.success, false);
    assert.equal(info(locked).length, 1);
    assert.match(info(locked)[0]!, /^OFFLINE_ERROR:-6:(2[5-9]\d|300)$/);
    // Unknown user while offline: the same line as a wrong password (no enumeration), fails.
    const unknown = await login(offline, 'nobody', 'x');
    assert.deepEqual([unknown.success, info(unknown)], [false, ['OFFLINE_ERROR:-8']]);
  });

  test('bastion-status prints the state for the tray and never authenticates', async (t) => {
    if (!available(t)) return;
    const run = await login(
      { 'bastion-status': adapt(SHIPPED_STATUS, installed!.entry, copy, unreachable) },
      'frank',
      'unused',
      'bastion-status',
    );
    const state = entryState('frank');
    assert.deepEqual(info(run), [`OFFLINE_STATUS:${state.expiresAt}:${state.lockedUntil}`]);
    assert.equal(run.success, false, 'pam_deny ends the status service');
    assert.equal(
      run.frames.filter((f) => f.type === FrameType.PROMPT_ECHO_OFF).length,
      0,
      'no password asked',
    );
  });

  test('NODE_OPTIONS=--require=<evil> and NODE_PATH in the PAM environment never reach bastion-offline', async (t) => {
    if (!available(t)) return;
    const marker = join(scratch, 'evil-ran');
    const evil = join(scratch, 'evil.cjs');
    writeFileSync(evil, `require('node:fs').writeFileSync(${JSON.stringify(marker)}, 'ran');\n`);
    const prelude = `auth optional ${putenvModule} NODE_OPTIONS=--require=${evil} NODE_PATH=${scratch}\n`;
    // Control: the same PAM environment does reach a command that does not clear it.
    const probe = join(scratch, 'print-env');
    writeFileSync(probe, '#!/bin/sh\necho "NODE_OPTIONS=$NODE_OPTIONS NODE_PATH=$NODE_PATH"\n', {
      mode: 0o755,
    });
    const control = await login(
      {
        'bastion-greeter': `${prelude}auth required pam_exec.so seteuid stdout ${probe}\naccount required pam_permit.so\n`,
      },
      'frank',
      'x',
    );
    assert.deepEqual(info(control), [`NODE_OPTIONS=--require=${evil} NODE_PATH=${scratch}`]);
    const run = await login(
      online(adapt(SHIPPED_UNIX, installed!.entry, copy, unreachable, prelude)),
      'frank',
      'wrong-again',
    );
    assert.match(info(run)[0] ?? '', /^OFFLINE_ERROR:-6:\d+$/, 'bastion-offline ran and answered');
    assert.equal(existsSync(marker), false, 'evil.cjs never ran');
    rmSync(evil);
  });

  test('LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT in the PAM environment load nothing into root code', async (t) => {
    if (!available(t)) return;
    const dir = mkdtempSync(join(scratch, 'ld-'));
    chmodSync(dir, 0o755);
    const marks = buildLdMarkersForTest(dir);
    // A bare LD_PRELOAD name is looked up through LD_LIBRARY_PATH: its marker covers both.
    const prelude =
      `auth optional ${putenvModule} LD_PRELOAD=libpreload-marker.so LD_LIBRARY_PATH=${dir} ` +
      `LD_AUDIT=${join(dir, 'libaudit-marker.so')}\n`;
    const seen = () => [existsSync(marks.preload), existsSync(marks.audit)];
    // Control: pam_exec seteuid runs a dynamically linked command as root with these applied.
    const control = await login(
      {
        'bastion-greeter': `${prelude}auth required pam_exec.so seteuid /bin/true\naccount required pam_permit.so\n`,
      },
      'heidi',
      'x',
    );
    assert.equal(control.success, true, `${control.result} ${control.stderr}`);
    assert.deepEqual(seen(), [true, true], 'control: the loader applied both variables');
    rmSync(marks.preload);
    rmSync(marks.audit);
    for (const shipped of [SHIPPED_UNIX, SHIPPED_OPENBASTION]) {
      const run = await login(
        online(adapt(shipped, installed!.entry, copy, unreachable, prelude)),
        'heidi',
        'OFFLINE:heidi-pass',
      );
      assert.equal(run.success, true, `${run.result} ${run.stderr}`);
      assert.match(info(run)[0] ?? '', /^OFFLINE_OK:\d+$/, 'bastion-offline verify answered');
      assert.deepEqual(seen(), [false, false], 'no marker library ran');
    }
  });

  test('Open Bastion stack: token accepted online → success, nothing recorded; unreachable → verify', async (t) => {
    if (!available(t)) return;
    const accepted = await login(
      online(adapt(SHIPPED_OPENBASTION, installed!.entry, copy, reachable)),
      'ivan',
      'online-secret',
    );
    assert.equal(accepted.success, true, `${accepted.result} ${accepted.stderr}`);
    assert.throws(() => entryState('ivan'), /NOTFOUND/, 'pam_openbastion records, not store');
    const refused = await login(
      online(adapt(SHIPPED_OPENBASTION, installed!.entry, copy, reachable)),
      'heidi',
      'heidi-pass',
    );
    assert.deepEqual([refused.success, info(refused)], [false, []], 'refused online: no fallback');
    const offline = online(adapt(SHIPPED_OPENBASTION, installed!.entry, copy, unreachable));
    const ok = await login(offline, 'heidi', 'OFFLINE:heidi-pass');
    assert.equal(ok.success, true, `${ok.result} ${ok.stderr}`);
    assert.deepEqual(info(ok), [`OFFLINE_OK:${entryState('heidi').expiresAt}`]);
    const wrong = await login(offline, 'ivan', 'OFFLINE:online-secret');
    assert.deepEqual([wrong.success, info(wrong)], [false, ['OFFLINE_ERROR:-8']]);
  });
});

describe('shipped PAM service files', () => {
  test('every pam_exec line has seteuid, and bastion-offline lines run the installed entry', () => {
    let execLines = 0;
    for (const file of ['unix/bastion-greeter', 'openbastion/bastion-greeter', 'bastion-status']) {
      const lines = readFileSync(join(REPO_ROOT, 'resources/pam', file), 'utf8')
        .split('\n')
        .filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
      for (const line of lines.filter((l) => /\bpam_exec\.so\b/.test(l))) {
        execLines++;
        const [, options] = /pam_exec\.so((?:\s+[a-z_]+(?:=\S+)?)*)\s+\//.exec(line) ?? [];
        assert.ok(options?.split(/\s+/).includes('seteuid'), `${file}: ${line}`);
        assert.ok(line.includes(`${INSTALLED_ENTRY_PATH} `), `${file}: ${line}`);
      }
    }
    assert.equal(execLines, 4);
  });

  test('only the pam_unix site runs `store`: pam_openbastion records its verifiers itself', () => {
    const storeLines = (text: string) =>
      text.split('\n').filter((l) => !l.trimStart().startsWith('#') && / store\b/.test(l));
    assert.equal(storeLines(SHIPPED_UNIX).length, 1);
    assert.deepEqual(storeLines(SHIPPED_OPENBASTION), []);
  });
});
