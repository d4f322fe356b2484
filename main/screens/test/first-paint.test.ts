// main/screens/first-paint.ts with the REAL renderer bundle (build/app/first-paint.cjs, the
// renderer's components) and a backend answering as main's does; the page's side (hydration,
// typing before it) is e2e/first-paint.test.ts.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { GreeterInfo, ScreenOptions } from '../../../preload/api';
import { BUILD_DIR } from '../../../testkit/paths';
import { requireOrSkip } from '../../../testkit/require';
import {
  FIRST_PAINT_DATA_ID,
  FirstPaintError,
  composeFirstPaintDocument,
  createFirstPaint,
  firstPaintFromFile,
  jsonForScriptBlock,
  loadFirstPaintRenderer,
  type FirstPaintSource,
} from '../first-paint';

const BUNDLE = join(BUILD_DIR, 'app', 'first-paint.cjs');
const TEMPLATE_FILE = join(BUILD_DIR, 'renderer', 'index.html');

const INFO: GreeterInfo = {
  mode: 'login',
  hostname: 'ws-<1>',
  currentUser: null,
  locale: 'fr',
  offline: false,
  host: 'electron',
};
const SCREEN: ScreenOptions = {
  sessions: [],
  defaultSession: null,
  users: null,
  lastUser: null,
  notice: { kind: 'site', text: 'Usage autorisé </script><script>alert(1)</script> $& $1' },
  hidePowerActions: false,
  powerActions: [],
  keyboardLayouts: [],
  assistiveTools: { screenReader: false, onScreenKeyboard: false },
  keyboardSwitchable: false,
  keyboardCurrent: 0,
};

const source = (screen: ScreenOptions = SCREEN, delayMs = 0): FirstPaintSource => ({
  handle: async (call) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    if (call === 'getInfo') return INFO;
    if (call === 'getScreenOptions') return screen;
    throw new Error(`unexpected call ${call}`);
  },
});

test('jsonForScriptBlock: no <, > or & survives, and it parses back to the same value', () => {
  const value = { a: '</script><!-- & > \u2028' };
  const json = jsonForScriptBlock(value);
  assert.doesNotMatch(json, /[<>&\u2028]/);
  assert.deepEqual(JSON.parse(json), value);
});

test('composeFirstPaintDocument: markup in the root, data block after it, lang and title set', () => {
  const template =
    '<html lang="en"><head><title>x</title></head><body><div id="root"></div></body></html>';
  const html = composeFirstPaintDocument(
    template,
    { info: INFO, screen: SCREEN },
    {
      markup: '<p>$& $1</p>',
      lang: 'fr',
      title: 'Écran <de> connexion',
      startStalled: 'Pas "démarré" <ici> & $&',
    },
  );
  assert.match(html, /^<html lang="fr">/);
  assert.match(html, /<title>Écran &lt;de&gt; connexion<\/title>/);
  // The "did not start" text rides on the root as an attribute, escaped: never markup.
  assert.match(
    html,
    /<div id="root" data-start-stalled="Pas &quot;démarré&quot; &lt;ici&gt; &amp; \$&amp;"><p>\$& \$1<\/p><\/div>/,
  );
  const block = new RegExp(
    `<script type="application/json" id="${FIRST_PAINT_DATA_ID}">([^<]*)</script>`,
  ).exec(html);
  assert.ok(block);
  assert.deepEqual(JSON.parse(block[1]!), { info: INFO, screen: SCREEN });
  // Exactly one script block: the notice's </script> stayed inside the JSON string.
  assert.equal(html.match(/<script/g)?.length, 1);
  for (const bad of ['<body></body>', '<div id="root"></div><div id="root"></div>']) {
    assert.throws(
      () =>
        composeFirstPaintDocument(
          bad,
          { info: INFO, screen: SCREEN },
          { markup: '', lang: 'en', title: '', startStalled: '' },
        ),
      (error: unknown) => error instanceof FirstPaintError && error.code === 'FIRST_PAINT_NO_ROOT',
    );
  }
});

test('the real bundle: the notice is rendered in place of the form, in the locale, from the data', async (t) => {
  if (
    !requireOrSkip(
      t,
      existsSync(BUNDLE) && existsSync(TEMPLATE_FILE),
      'build/app/first-paint.cjs (node scripts/build.mjs renderer)',
    )
  )
    return;
  const render = firstPaintFromFile(source(), BUNDLE);
  const html = await render(readFileSync(TEMPLATE_FILE, 'utf8'));
  assert.match(html, /<html lang="fr">/);
  assert.match(html, /<div id="root" data-start-stalled="L'écran de connexion n'a pas fini/);
  assert.match(html, /data-testid="legal-notice"/);
  assert.doesNotMatch(html, /data-testid="user"/);
  assert.match(html, /ws-&lt;1&gt;/);
  // The only <script> elements: files, and the data block.
  const scripts = [...html.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]!);
  assert.ok(
    scripts.every((a) => /\bsrc="[a-z-]+\.js"/.test(a) || a.includes(FIRST_PAINT_DATA_ID)),
    scripts.join('|'),
  );
  // Without a notice: the form, the name field focused at first paint.
  const form = await firstPaintFromFile(
    source({ ...SCREEN, notice: null }),
    BUNDLE,
  )(readFileSync(TEMPLATE_FILE, 'utf8'));
  assert.match(form, /<input id="user"[^>]*autofocus=""/);
});

test('anything wrong serves the plain page: no renderer, a slow or failing backend, a bad template', async () => {
  const template = '<html><body><div id="root"></div></body></html>';
  const lines: string[] = [];
  const log = (line: string) => lines.push(line);
  const renderer = () => ({ markup: '<p>x</p>', lang: 'en', title: 't', startStalled: 's' });
  assert.equal(await createFirstPaint({ source: source(), renderer: null })(template), template);
  const slow = createFirstPaint({ source: source(SCREEN, 200), renderer, timeoutMs: 20, log });
  assert.equal(await slow(template), template);
  assert.match(lines[0]!, /FIRST_PAINT_TIMEOUT/);
  const failing: FirstPaintSource = { handle: () => Promise.reject(new Error('bridge gone')) };
  assert.equal(await createFirstPaint({ source: failing, renderer })(template), template);
  const throwing = () => {
    throw new Error('render failed');
  };
  assert.equal(
    await createFirstPaint({ source: source(), renderer: throwing })(template),
    template,
  );
  assert.equal(
    await createFirstPaint({ source: source(), renderer })('<body></body>'),
    '<body></body>',
  );
  assert.throws(
    () => loadFirstPaintRenderer('/nonexistent/first-paint.cjs'),
    (error: unknown) =>
      error instanceof FirstPaintError && error.code === 'FIRST_PAINT_RENDERER_MISSING',
  );
  const missing = firstPaintFromFile(source(), '/nonexistent/first-paint.cjs', log);
  assert.equal(await missing(template), template);
  assert.match(lines.at(-1)!, /FIRST_PAINT_RENDERER_MISSING/);
});
