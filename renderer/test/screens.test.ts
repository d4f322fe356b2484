// Looks at the built renderer in the system Chromium with a test double of window.bastion
// (FakeBastionApiForPreview): screenshots of every state in en and fr under
// e2e/artifacts/renderer/, axe-core on both screens, keyboard flow, CSP cleanliness.
import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { AuthSnapshot, GreeterInfo, Locale } from '../../preload/api';
import { BUILD_DIR, REPO_ROOT } from '../../testkit/paths';
import { fileExists, requireOrSkip } from '../../testkit/require';
import type { PreviewCall, PreviewConfig } from './fake-bastion-api-for-preview';
import { IDLE_SNAPSHOT } from '../store/state';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../testkit/chromium';

const ARTIFACTS = join(REPO_ROOT, 'e2e/artifacts/renderer');
const RENDERER_DIR = join(BUILD_DIR, 'renderer');
const AXE_PATH = join(REPO_ROOT, 'node_modules/axe-core/axe.min.js');
const AXE_URL = '/__test__/axe.min.js';
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

let server: Server | null = null;
let origin = '';
let browser: Browser | null = null;
let fakeScript = '';

function info(overrides: Partial<GreeterInfo> = {}): GreeterInfo {
  return {
    mode: 'login',
    hostname: 'ws-paris-042',
    currentUser: null,
    locale: 'en',
    offline: false,
    host: 'dev-chromium',
    ...overrides,
  };
}

function config(overrides: Partial<PreviewConfig> = {}): PreviewConfig {
  return {
    info: info(),
    password: 'correct horse',
    wrongOutcome: 'credentials',
    successMessages: [],
    offlineValidUntil: null,
    ...overrides,
  };
}

interface OpenedScreen {
  page: Page;
  /** Console errors mentioning the Content Security Policy. */
  cspErrors: string[];
  close(): Promise<void>;
}

async function open(previewConfig: PreviewConfig): Promise<OpenedScreen> {
  const context = await browser!.newContext({
    viewport: { width: 1280, height: 800 },
    reducedMotion: 'reduce',
    locale: previewConfig.info.locale === 'fr' ? 'fr-FR' : 'en-GB',
    timezoneId: 'Europe/Paris',
  });
  const page = await context.newPage();
  const cspErrors: string[] = [];
  page.on('console', (message) => {
    const text = message.text();
    // A <meta> CSP cannot carry frame-ancestors (Chromium says so); Electron/dev hosts send it
    // as a header. Anything else about the policy is a real violation.
    if (/Content Security Policy/i.test(text) && !/frame-ancestors/.test(text))
      cspErrors.push(text);
  });
  page.on('pageerror', (error) => cspErrors.push(`page error: ${error.message}`));
  await page.addInitScript(
    `window.__bastionPreviewConfig = ${JSON.stringify(previewConfig)};\n${fakeScript}`,
  );
  await page.goto(`${origin}/index.html`);
  await page.getByRole('heading', { level: 1 }).waitFor();
  return { page, cspErrors, close: () => context.close() };
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}

async function seriousAxeViolations(page: Page): Promise<string[]> {
  await page.addScriptTag({ url: AXE_URL });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as {
        axe: {
          run(): Promise<{ violations: { id: string; impact: string | null; nodes: unknown[] }[] }>;
        };
      }
    ).axe;
    const result = await axe.run();
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }));
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}, ${v.nodes} nodes)`);
}

async function calls(page: Page): Promise<PreviewCall[]> {
  return page.evaluate(() => window.__bastionPreviewCalls);
}

async function focusedTestId(page: Page): Promise<string | null> {
  return page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? null);
}

async function push(page: Page, snapshot: AuthSnapshot): Promise<void> {
  await page.evaluate((s) => window.__bastionPreviewPush(s), snapshot);
}

function snapshot(overrides: Partial<AuthSnapshot>): AuthSnapshot {
  return { ...IDLE_SNAPSHOT, messages: [], ...overrides };
}

/** The m:ss inside a countdown line, in seconds. */
function secondsIn(text: string): number {
  const match = /(\d+):(\d\d)/.exec(text);
  assert.ok(match, `no m:ss in ${JSON.stringify(text)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function assertSecondsBetween(text: string, low: number, high: number): void {
  const seconds = secondsIn(text);
  assert.ok(seconds >= low && seconds <= high, `${text}: expected ${low}..${high} s`);
}

function ready(t: TestContext): boolean {
  return requireOrSkip(
    t,
    fileExists(CHROMIUM_PATH) && browser !== null,
    'chromium (/usr/bin/chromium)',
  );
}

before(async () => {
  const built = spawnSync(process.execPath, ['scripts/build.mjs', 'renderer'], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
  });
  assert.equal(built.status, 0, `renderer build failed: ${built.stderr}`);
  mkdirSync(ARTIFACTS, { recursive: true });
  const bundled = await build({
    entryPoints: [join(REPO_ROOT, 'renderer/test/fake-bastion-api-for-preview.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'chrome120',
  });
  fakeScript = bundled.outputFiles[0]!.text;

  server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const file =
      path === AXE_URL
        ? AXE_PATH
        : join(RENDERER_DIR, normalize(path).replace(/^(\.\.[/\\])+/, ''));
    try {
      const body = readFileSync(file);
      response.writeHead(200, {
        'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  if (fileExists(CHROMIUM_PATH)) {
    browser = await chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS],
    });
  }
});

after(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
});

test('the production bundle is small and carries no preview double', () => {
  const bundle = readFileSync(join(RENDERER_DIR, 'app.js'));
  const gzipKiB = gzipSync(bundle, { level: 9 }).length / 1024;
  assert.ok(gzipKiB <= 150, `app.js is ${gzipKiB.toFixed(1)} KiB gzip (goal ≤ 150)`);
  const text = bundle.toString('utf8');
  assert.ok(!text.includes('__bastionPreview'), 'the test double leaked into the bundle');
  const html = readFileSync(join(RENDERER_DIR, 'index.html'), 'utf8');
  assert.ok(
    !/<script>|<script [^>]*>[^<]|style=/.test(html),
    'no inline script or style in index.html',
  );
});

for (const locale of ['en', 'fr'] as Locale[]) {
  describe(`screens in ${locale}`, () => {
    test('login: no serious axe violations, lang set, CSP clean, no inline styles', async (t) => {
      if (!ready(t)) return;
      const screen = await open(config({ info: info({ locale }) }));
      try {
        const { page } = screen;
        await shot(page, `login-${locale}`);
        assert.equal(await page.evaluate(() => document.documentElement.lang), locale);
        assert.equal(await page.locator('h1').count(), 1);
        const styled = await page.evaluate(() =>
          // Chromium's autofill adds an empty style="" to login fields by itself; ours are classes.
          [...document.querySelectorAll('[style]:not([style=""])')].map((e) =>
            e.outerHTML.slice(0, 200),
          ),
        );
        assert.deepEqual(styled, [], 'inline style attributes break CSP');
        assert.deepEqual(await seriousAxeViolations(page), []);
        assert.deepEqual(screen.cspErrors, []);
      } finally {
        await screen.close();
      }
    });

    test('wrong password: failure sentence, password cleared and focused', async (t) => {
      if (!ready(t)) return;
      const screen = await open(config({ info: info({ locale }) }));
      try {
        const { page } = screen;
        await page.getByTestId('user').fill('alice');
        await page.getByTestId('password').fill('nope');
        await page.getByTestId('password').press('Enter');
        const failure = page.getByTestId('auth-failure');
        await failure.waitFor();
        assert.match(
          (await failure.textContent()) ?? '',
          locale === 'en' ? /Wrong user name or password/ : /mot de passe incorrect/,
        );
        assert.equal(await failure.getAttribute('role'), 'alert');
        assert.equal(await page.getByTestId('password').inputValue(), '');
        assert.equal(await focusedTestId(page), 'password');
        const describedBy =
          (await page.getByTestId('password').getAttribute('aria-describedby')) ?? '';
        assert.ok(describedBy.split(' ').includes('auth-failure'), describedBy);
        await shot(page, `wrong-password-${locale}`);
        assert.deepEqual(await seriousAxeViolations(page), []);
      } finally {
        await screen.close();
      }
    });

    test('locked: live m:ss countdown from lockedUntil', async (t) => {
      if (!ready(t)) return;
      const screen = await open(config({ info: info({ locale }), wrongOutcome: 'offline-locked' }));
      try {
        const { page } = screen;
        await page.getByTestId('user').fill('alice');
        await page.getByTestId('password').fill('nope');
        await page.keyboard.press('Enter');
        const countdown = page.getByTestId('lockout-countdown');
        await countdown.waitFor();
        const first = (await countdown.textContent()) ?? '';
        if (locale === 'en') assert.match(first, /locked, \d+:\d\d left/i);
        // The lock is 240 s from the fake's answer; a loaded machine may show it a little late.
        assertSecondsBetween(first, 225, 240);
        await page.waitForFunction(
          (before) =>
            document.querySelector('[data-testid="lockout-countdown"]')?.textContent !== before,
          first,
          { timeout: 5_000 },
        );
        const later = (await countdown.textContent()) ?? '';
        assert.ok(
          secondsIn(later) < secondsIn(first),
          `countdown did not go down: ${first} → ${later}`,
        );
        assert.match(
          (await page.getByTestId('messages').textContent()) ?? '',
          locale === 'en' ? /Offline sign-in is locked/ : /hors ligne est verrouillée/,
        );
        await shot(page, `locked-${locale}`);
      } finally {
        await screen.close();
      }
    });

    test('offline banner, then cached login valid until after an offline success', async (t) => {
      if (!ready(t)) return;
      const expiresAt = Date.UTC(2026, 10, 30, 17, 30) / 1000;
      const screen = await open(
        config({
          info: info({ locale, offline: true }),
          successMessages: [{ kind: 'offline-ok', expiresAt }],
          offlineValidUntil: expiresAt,
        }),
      );
      try {
        const { page } = screen;
        const banner = page.getByTestId('offline-banner');
        assert.match(
          (await banner.textContent()) ?? '',
          locale === 'en'
            ? /Offline mode: the sign-in portal cannot be reached/
            : /Mode hors ligne/,
        );
        await shot(page, `offline-banner-${locale}`);
        await page.getByTestId('user').fill('alice');
        await page.getByTestId('password').fill('correct horse');
        await page.keyboard.press('Enter');
        const cached = page.getByTestId('cached-valid-until');
        await cached.waitFor();
        const text = (await cached.textContent()) ?? '';
        assert.match(
          text,
          locale === 'en' ? /Cached login valid until .*2026.*18:30/ : /valable jusqu.*2026.*18:30/,
        );
        await page.getByTestId('auth-success').waitFor();
        await shot(page, `offline-success-${locale}`);
        assert.deepEqual(await seriousAxeViolations(page), []);
      } finally {
        await screen.close();
      }
    });

    test('unlock: current user shown, password answers, Unlocked; no serious axe violations', async (t) => {
      if (!ready(t)) return;
      const screen = await open(
        config({ info: info({ locale, mode: 'unlock', currentUser: 'alice' }) }),
      );
      try {
        const { page } = screen;
        assert.equal(await page.getByTestId('current-user').textContent(), 'alice');
        assert.equal(await page.getByTestId('user').count(), 0);
        assert.equal(await focusedTestId(page), 'password');
        await shot(page, `unlock-${locale}`);
        assert.deepEqual(await seriousAxeViolations(page), []);
        await page.keyboard.type('correct horse');
        await page.keyboard.press('Enter');
        await page.getByTestId('auth-success').waitFor();
        assert.match(
          (await page.getByTestId('auth-success').textContent()) ?? '',
          locale === 'en' ? /Unlocked/ : /Déverrouillé/,
        );
        assert.deepEqual(
          (await calls(page)).map((c) => c.call),
          ['startAuth', 'answer'],
        );
        assert.deepEqual((await calls(page))[0]!.payload, { user: 'alice' });
        await shot(page, `unlock-success-${locale}`);
      } finally {
        await screen.close();
      }
    });

    test('PAM prompts as they come: visible prompt as text field, touch cue, throttle', async (t) => {
      if (!ready(t)) return;
      const screen = await open(config({ info: info({ locale }) }));
      try {
        const { page } = screen;
        await push(
          page,
          snapshot({
            phase: 'prompting',
            user: 'alice',
            prompt: { secret: false, text: 'Verification code:' },
          }),
        );
        const field = page.getByLabel('Verification code:');
        await field.waitFor();
        assert.equal(await field.getAttribute('type'), 'text');
        assert.equal(await focusedTestId(page), 'prompt-answer');
        await shot(page, `prompting-${locale}`);
        await page.keyboard.type('123456');
        await page.keyboard.press('Enter');
        assert.deepEqual((await calls(page)).at(-1), {
          call: 'answer',
          payload: { text: '123456' },
        });
        await page.getByTestId('auth-failure').waitFor(); // the fake's verdict, before the next push

        await push(
          page,
          snapshot({
            phase: 'authenticating',
            user: 'alice',
            messages: [{ kind: 'touch', text: 'Please touch the device.' }],
          }),
        );
        await page.getByTestId('touch-prompt').waitFor();
        assert.match(
          (await page.getByTestId('touch-prompt').textContent()) ?? '',
          locale === 'en' ? /Touch your security key/ : /Touchez votre clé de sécurité/,
        );
        await shot(page, `touch-${locale}`);

        await push(
          page,
          snapshot({
            phase: 'failure',
            user: 'alice',
            failure: { reason: 'throttled', pamCode: null, pamName: null },
            throttledUntil: Date.now() + 30_000,
          }),
        );
        const throttle = page.getByTestId('throttle-countdown');
        await throttle.waitFor();
        assertSecondsBetween((await throttle.textContent()) ?? '', 15, 30);
        assert.equal(await page.getByTestId('submit').getAttribute('aria-disabled'), 'true');
        await shot(page, `throttled-${locale}`);
        assert.deepEqual(await seriousAxeViolations(page), []);
      } finally {
        await screen.close();
      }
    });
  });
}

describe('keyboard flow and controls', () => {
  test('Tab order, Enter submits with the typed password, password not kept in the DOM', async (t) => {
    if (!ready(t)) return;
    const screen = await open(config());
    try {
      const { page } = screen;
      assert.equal(await focusedTestId(page), 'user', 'the user field has focus at start');
      await page.keyboard.type('alice');
      await page.keyboard.press('Tab');
      assert.equal(await focusedTestId(page), 'password');
      await page.keyboard.type('correct horse');
      assert.equal(await page.getByTestId('password').inputValue(), 'correct horse');
      assert.ok(
        !(await page.locator('body').innerHTML()).includes('correct horse'),
        'the typed password must not be mirrored into the markup',
      );
      await page.keyboard.press('Tab');
      assert.equal(await focusedTestId(page), 'password-reveal');
      await page.keyboard.press('Tab');
      assert.equal(await focusedTestId(page), 'submit');
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Shift+Tab');
      await page.keyboard.press('Enter');
      await page.getByTestId('auth-success').waitFor();
      assert.deepEqual(await calls(page), [
        { call: 'startAuth', payload: { user: 'alice' } },
        { call: 'answer', payload: { text: 'correct horse' } },
      ]);
      assert.equal(await page.getByTestId('password').inputValue(), '');
      await shot(page, 'login-success-en');
    } finally {
      await screen.close();
    }
  });

  test('Esc cancels a running attempt through cancelAuth', async (t) => {
    if (!ready(t)) return;
    const screen = await open(config());
    try {
      const { page } = screen;
      await page.getByTestId('user').fill('alice');
      await page.getByTestId('user').press('Enter'); // no password typed: the prompt is shown
      await page.getByTestId('prompt-answer').waitFor();
      assert.equal(await page.getByTestId('prompt-answer').getAttribute('type'), 'password');
      await page.getByTestId('cancel').waitFor();
      await page.keyboard.press('Escape');
      await page.getByTestId('auth-failure').waitFor();
      assert.deepEqual(
        (await calls(page)).map((c) => c.call),
        ['startAuth', 'cancelAuth'],
      );
      assert.match((await page.getByTestId('auth-failure').textContent()) ?? '', /cancelled/);
    } finally {
      await screen.close();
    }
  });

  test('empty user name is refused on the page with a labelled error', async (t) => {
    if (!ready(t)) return;
    const screen = await open(config());
    try {
      const { page } = screen;
      await page.getByTestId('password').fill('x');
      await page.keyboard.press('Enter');
      await page.getByTestId('user-error').waitFor();
      assert.equal(await page.getByTestId('user').getAttribute('aria-invalid'), 'true');
      assert.equal(await focusedTestId(page), 'user');
      assert.deepEqual(await calls(page), []);
    } finally {
      await screen.close();
    }
  });

  test('reveal toggle flips aria-pressed and the field type', async (t) => {
    if (!ready(t)) return;
    const screen = await open(config());
    try {
      const { page } = screen;
      const toggle = page.getByRole('button', { name: 'Show password' });
      assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
      assert.equal(await page.getByTestId('password').getAttribute('type'), 'password');
      await toggle.press('Space');
      assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
      assert.equal(await page.getByTestId('password').getAttribute('type'), 'text');
    } finally {
      await screen.close();
    }
  });

  test('Caps Lock warning appears, is announced and described, and goes away', async (t) => {
    if (!ready(t)) return;
    const screen = await open(config());
    try {
      const { page } = screen;
      const password = page.getByTestId('password');
      await password.focus();
      // Playwright cannot latch Caps Lock; a key event carrying the modifier is what the
      // browser delivers when it is on.
      const key = (capsLock: boolean) =>
        password.evaluate((input, on) => {
          input.dispatchEvent(
            new KeyboardEvent('keydown', { key: 'A', bubbles: true, modifierCapsLock: on }),
          );
        }, capsLock);
      await key(true);
      const warning = page.getByTestId('caps-lock-warning');
      await warning.waitFor();
      assert.equal(await warning.textContent(), 'Caps Lock is on.');
      const describedBy = (await password.getAttribute('aria-describedby')) ?? '';
      assert.ok(describedBy.split(' ').includes((await warning.getAttribute('id'))!), describedBy);
      await shot(page, 'caps-lock-en');
      await key(false);
      await warning.waitFor({ state: 'detached' });
    } finally {
      await screen.close();
    }
  });

  test('a lock still running when the greeter (re)starts is counted down at once', async (t) => {
    if (!ready(t)) return;
    const screen = await open(
      config({
        initialSnapshot: snapshot({
          phase: 'locked',
          user: 'alice',
          messages: [{ kind: 'offline-error', code: -6, name: 'LOCKED', lockSeconds: 90 }],
          failure: { reason: 'locked', pamCode: null, pamName: null },
          lockedUntil: Date.now() + 90_000,
        }),
      }),
    );
    try {
      const countdown = screen.page.getByTestId('lockout-countdown');
      await countdown.waitFor();
      const text = (await countdown.textContent()) ?? '';
      assert.match(text, /^Locked, \d+:\d\d left$/);
      assertSecondsBetween(text, 75, 90);
    } finally {
      await screen.close();
    }
  });

  test('the offline banner follows pushed snapshots without a reload, and is announced', async (t) => {
    if (!ready(t)) return;
    const screen = await open(config());
    try {
      const { page } = screen;
      const banner = page.getByTestId('offline-banner');
      const status = page.getByTestId('offline-status');
      assert.equal(await status.getAttribute('role'), 'status');
      assert.equal(await banner.count(), 0, 'online at start: no banner');
      assert.equal((await status.textContent()) ?? '', '', 'nothing announced on first paint');
      await page.getByTestId('user').fill('alice');
      await push(page, snapshot({ offline: true }));
      await banner.waitFor();
      assert.match((await status.textContent()) ?? '', /^Offline mode: the sign-in portal/);
      assert.equal(await page.getByTestId('user').inputValue(), 'alice', 'the form was kept');
      await push(page, snapshot({ offline: false }));
      await banner.waitFor({ state: 'detached' });
      assert.equal(
        await status.textContent(),
        'Back online: the sign-in portal can be reached again.',
      );
      assert.deepEqual(await seriousAxeViolations(page), []);
    } finally {
      await screen.close();
    }
  });

  test('no bridge: a clear start-up error instead of a blank page', async (t) => {
    if (!ready(t)) return;
    const context = await browser!.newContext();
    try {
      const page = await context.newPage();
      await page.goto(`${origin}/index.html`);
      const error = page.getByTestId('startup-error');
      await error.waitFor();
      assert.equal(await error.getAttribute('role'), 'alert');
    } finally {
      await context.close();
    }
  });
});
