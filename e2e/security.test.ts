// The renderer hardening, proven by its effects in Chromium over the real backend: the CSP
// blocks inline and eval'd code, the page has no Node, and every payload-taking call of
// window.bastion rejects wrong types in main (validated there, never in the page).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { MAX_ANSWER_BYTES, MAX_USER_BYTES } from '../preload/api';
import { saveScreenshot } from './support/browser';
import { e2ePrerequisites } from './support/greeter-harness';
import { launchChromium, openGreeter, requireE2ePrerequisites } from './support/session';

let browser: Browser | null = null;
before(async () => {
  if (e2ePrerequisites().every((p) => p.available)) browser = await launchChromium();
});
after(async () => {
  await browser?.close();
});

test('an inline <script> injected into the page does not run (CSP), nor does eval', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page } = await openGreeter(t, browser!);
  const outcome = await page.evaluate(`new Promise((resolve) => {
    const violations = [];
    document.addEventListener('securitypolicyviolation', (e) => violations.push(e.violatedDirective));
    const script = document.createElement('script');
    script.textContent = 'window.__inlineRan = true;';
    document.body.appendChild(script);
    const handler = document.createElement('img');
    handler.setAttribute('onerror', 'window.__handlerRan = true');
    handler.src = 'data:,not-an-image';
    document.body.appendChild(handler);
    // DevTools evaluation may eval; the page may not. Run the eval later, from the page's
    // own event loop, where only the page's CSP applies.
    let evalBlocked = false;
    setTimeout(() => {
      try { window.eval('1 + 1'); } catch (e) { evalBlocked = e instanceof EvalError; }
    }, 0);
    setTimeout(() => resolve({
      inlineRan: window.__inlineRan === true,
      handlerRan: window.__handlerRan === true,
      evalBlocked,
      violations,
    }), 300);
  })`);
  const result = outcome as {
    inlineRan: boolean;
    handlerRan: boolean;
    evalBlocked: boolean;
    violations: string[];
  };
  assert.equal(result.inlineRan, false, 'inline script ran');
  assert.equal(result.handlerRan, false, 'inline event handler ran');
  assert.equal(result.evalBlocked, true, 'eval was allowed');
  assert.ok(
    result.violations.some((d) => d.startsWith('script-src')),
    `a script-src violation was reported: ${JSON.stringify(result.violations)}`,
  );
});

test('the page has no Node: require, process, module, Buffer are undefined', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page } = await openGreeter(t, browser!);
  const types = await page.evaluate(
    `({ require: typeof require, process: typeof process, module: typeof module,
        Buffer: typeof Buffer, global: typeof global, __dirname: typeof __dirname })`,
  );
  assert.deepEqual(types, {
    require: 'undefined',
    process: 'undefined',
    module: 'undefined',
    Buffer: 'undefined',
    global: 'undefined',
    __dirname: 'undefined',
  });
});

test('window.bastion is exactly the contract and cannot be replaced', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page } = await openGreeter(t, browser!);
  const shape = await page.evaluate(`(() => {
    const keys = Object.keys(window.bastion).sort();
    const original = window.bastion;
    try { window.bastion = { getInfo: () => 'hijacked' }; } catch {}
    try { window.bastion.getInfo = () => 'hijacked'; } catch {}
    return { keys, same: window.bastion === original,
             getInfoIntact: window.bastion.getInfo.toString().indexOf('hijacked') === -1 };
  })()`);
  assert.deepEqual(shape, {
    keys: [
      'answer',
      'answerKeyPin',
      'cancelAuth',
      'cancelKey',
      'cancelSso',
      'getAuthSnapshot',
      'getInfo',
      'getKeySnapshot',
      'getScreenOptions',
      'getSsoSnapshot',
      'onAuthSnapshot',
      'onKeySnapshot',
      'onSsoSnapshot',
      'powerAction',
      'setKeyboardLayout',
      'startAssistiveTool',
      'startAuth',
      'startSso',
    ],
    same: true,
    getInfoIntact: true,
  });
});

/** Calls `window.bastion[method](...args)` in the page; returns how it settled. */
async function settle(
  page: Page,
  method: string,
  args: unknown[],
): Promise<{ ok: boolean; code?: string; name?: string }> {
  return page.evaluate(
    async ([m, a]) => {
      try {
        const api = window.bastion as unknown as Record<string, (...x: unknown[]) => unknown>;
        await api[m as string]!(...(a as unknown[]));
        return { ok: true };
      } catch (error) {
        const e = error as { code?: string; name?: string };
        return { ok: false, code: e.code, name: e.name };
      }
    },
    [method, args] as const,
  );
}

test('every window.bastion call rejects wrong types, extra keys, oversized, missing or extra args', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page, harness } = await openGreeter(t, browser!);
  const longUser = 'a'.repeat(MAX_USER_BYTES + 1);
  const longAnswer = 'x'.repeat(MAX_ANSWER_BYTES + 1);
  const cases: [string, unknown[], string][] = [
    ['startAuth', [], 'NOT_AN_OBJECT'],
    ['startAuth', [42], 'NOT_AN_OBJECT'],
    ['startAuth', ['demo'], 'NOT_AN_OBJECT'],
    ['startAuth', [null], 'NOT_AN_OBJECT'],
    ['startAuth', [['demo']], 'NOT_AN_OBJECT'],
    ['startAuth', [{}], 'MISSING_KEY'],
    ['startAuth', [{ user: 7 }], 'WRONG_TYPE'],
    ['startAuth', [{ user: { toString: 'demo' } }], 'WRONG_TYPE'],
    ['startAuth', [{ user: 'demo', extra: true }], 'EXTRA_KEY'],
    ['startAuth', [{ user: longUser }], 'USER_TOO_LONG'],
    ['startAuth', [{ user: '../../etc/passwd' }], 'USER_INVALID'],
    ['answer', [], 'NOT_AN_OBJECT'],
    ['answer', [12345], 'NOT_AN_OBJECT'],
    ['answer', [{}], 'MISSING_KEY'],
    ['answer', [{ text: 5 }], 'WRONG_TYPE'],
    ['answer', [{ text: 'pw', again: 'pw' }], 'EXTRA_KEY'],
    ['answer', [{ text: longAnswer }], 'ANSWER_TOO_LONG'],
    ['answer', [{ text: 'a\u0000b' }], 'ANSWER_HAS_NUL'],
    ['getInfo', [5], 'UNEXPECTED_PAYLOAD'],
    ['getInfo', [{ user: 'root' }], 'UNEXPECTED_PAYLOAD'],
    ['getAuthSnapshot', ['x'.repeat(100_000 / 8)], 'UNEXPECTED_PAYLOAD'],
    ['cancelAuth', [null], 'UNEXPECTED_PAYLOAD'],
    ['cancelAuth', [false], 'UNEXPECTED_PAYLOAD'],
    ['powerAction', [], 'NOT_AN_OBJECT'],
    ['powerAction', [{ action: 'halt' }], 'POWER_ACTION_INVALID'],
    ['powerAction', [{ action: 'reboot', now: true }], 'EXTRA_KEY'],
    // Well-formed, but this backend offers no power action (no provider): refused in main.
    ['powerAction', [{ action: 'reboot' }], 'POWER_ACTION_NOT_OFFERED'],
    ['startAssistiveTool', [], 'NOT_AN_OBJECT'],
    ['startAssistiveTool', [{ tool: '/bin/sh' }], 'ASSISTIVE_TOOL_INVALID'],
    ['startAssistiveTool', [{ tool: 'screen-reader', args: ['-c'] }], 'EXTRA_KEY'],
    ['setKeyboardLayout', [], 'NOT_AN_OBJECT'],
    ['setKeyboardLayout', [{ index: '1' }], 'WRONG_TYPE'],
    ['setKeyboardLayout', [{ index: 1.5 }], 'KEYBOARD_LAYOUT_INVALID'],
    ['setKeyboardLayout', [{ index: 0, layout: 'fr;sh' }], 'EXTRA_KEY'],
    // Well-formed, but this backend has no keyboard switch (none given): refused in main.
    ['setKeyboardLayout', [{ index: 1 }], 'KEYBOARD_LAYOUT_NOT_OFFERED'],
    ['getKeySnapshot', [{}], 'UNEXPECTED_PAYLOAD'],
    ['cancelKey', ['now'], 'UNEXPECTED_PAYLOAD'],
    ['getSsoSnapshot', [{}], 'UNEXPECTED_PAYLOAD'],
    ['cancelSso', ['now'], 'UNEXPECTED_PAYLOAD'],
    ['startSso', [], 'NOT_AN_OBJECT'],
    ['startSso', ['device'], 'NOT_AN_OBJECT'],
    ['startSso', [{}], 'MISSING_KEY'],
    ['startSso', [{ method: 1 }], 'WRONG_TYPE'],
    ['startSso', [{ method: 'device', user: 'root' }], 'EXTRA_KEY'],
    ['startSso', [{ method: 'password' }], 'SSO_METHOD_INVALID'],
    // Well-formed, but this screen has no sso.conf: refused in main.
    ['startSso', [{ method: 'device' }], 'SSO_NOT_OFFERED'],
    ['answerKeyPin', [], 'NOT_AN_OBJECT'],
    ['answerKeyPin', ['1234'], 'NOT_AN_OBJECT'],
    ['answerKeyPin', [{}], 'MISSING_KEY'],
    ['answerKeyPin', [{ pin: 1234 }], 'WRONG_TYPE'],
    ['answerKeyPin', [{ pin: '1234', text: 'pw' }], 'EXTRA_KEY'],
    ['answerKeyPin', [{ pin: '9'.repeat(64) }], 'PIN_TOO_LONG'],
    ['answerKeyPin', [{ pin: 'é'.repeat(32) }], 'PIN_TOO_LONG'],
    ['answerKeyPin', [{ pin: '123' }], 'PIN_TOO_SHORT'],
    ['answerKeyPin', [{ pin: '12\u000034' }], 'PIN_HAS_NUL'],
    ['answerKeyPin', [{ pin: '\ud800abcd' }], 'NOT_WELL_FORMED'],
    // Well-formed, but no key is asking for a PIN (keys are off here): refused in main.
    ['answerKeyPin', [{ pin: '2468' }], 'KEY_NOT_ASKING'],
  ];
  for (const [method, args, code] of cases) {
    const result = await settle(page, method, args);
    assert.equal(result.ok, false, `${method}(${JSON.stringify(args).slice(0, 60)}) resolved`);
    assert.equal(result.code, code, `${method}(${JSON.stringify(args).slice(0, 60)})`);
    assert.equal(result.name, 'IpcValidationError');
  }
  // More than one argument is refused before the payload is even looked at.
  for (const [method, args] of [
    ['startAuth', [{ user: 'demo' }, 'extra']],
    ['getInfo', [1, 2]],
  ] as const) {
    assert.deepEqual(await settle(page, method, [...args]), {
      ok: false,
      code: 'IPC_TOO_MANY_ARGUMENTS',
      name: 'IpcRefusedError',
    });
  }
  // What cannot be sent as it is (a function member) fails in the page and sends nothing.
  const unsendable = await page.evaluate(`window.bastion
    .startAuth({ user: 'demo', hook() { return 1; } })
    .then(() => 'resolved', (e) => e.name)`);
  assert.equal(unsendable, 'TypeError');
  for (const [method, args] of [
    ['getInfo', []],
    ['getAuthSnapshot', [undefined]],
    ['cancelAuth', []],
    ['getKeySnapshot', []],
    ['cancelKey', []],
    ['getSsoSnapshot', []],
    ['cancelSso', []],
  ] as const) {
    assert.deepEqual(await settle(page, method, [...args]), { ok: true }, method);
  }
  const onSnapshot = await page.evaluate(`(() => {
    try { window.bastion.onAuthSnapshot(5); return 'accepted'; }
    catch (e) { return e instanceof TypeError ? 'TypeError' : String(e); }
  })()`);
  assert.equal(onSnapshot, 'TypeError');
  // None of the rejected calls started anything.
  const snapshot = (await harness.backend.handle('getAuthSnapshot', undefined)) as {
    phase: string;
    user: string | null;
  };
  assert.equal(snapshot.phase, 'idle');
  assert.equal(snapshot.user, null);
  await saveScreenshot(page, 'security-after-bad-calls');
});

test('the bridge token leaves the address bar and history as soon as the page loads', async (t) => {
  if (!requireE2ePrerequisites(t)) return;
  const { page, harness } = await openGreeter(t, browser!);
  // The page's secret path stays (it is not the token): /<secret>/ (dev/bridge-server.ts).
  const withoutToken = harness.bridge.pageUrl.replace(/#.*$/, '');
  assert.match(withoutToken, /^http:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}\/$/);
  assert.equal(page.url(), withoutToken);
  assert.deepEqual(await page.evaluate(`({ hash: location.hash, href: location.href })`), {
    hash: '',
    href: withoutToken,
  });
  // The entry was replaced, not added: one step back is the tab's blank start page, and
  // forward again is the token-free URL.
  await page.goBack();
  assert.equal(page.url(), 'about:blank');
  await page.goForward();
  assert.equal(page.url(), withoutToken);
  // Without the token, the page's own origin gets nothing from the API.
  const status = await page.evaluate(
    `fetch('/api/getInfo', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' }).then((r) => r.status)`,
  );
  assert.equal(status, 403);
});
