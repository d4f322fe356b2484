// replayEarlyInput's bookkeeping under Node: the fields are thawed before anything is
// replayed, and the claim keeps no held event afterwards (a held key could otherwise sit in
// memory for the page's life). The DOM here is a minimal stand-in (named as such); the real
// early.js and replay in Chromium: e2e/first-paint.test.ts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { claimEarlyInput, replayEarlyInput, type EarlyInput } from './early-input-queue';

test('replay thaws first, replays in order, then holds nothing', () => {
  const order: string[] = [];
  const domStandIn = globalThis as unknown as { document?: unknown; window?: unknown };
  domStandIn.document = { activeElement: null };
  try {
    const button = (name: string) =>
      ({
        isConnected: true,
        click: () => order.push(`click:${name}`),
      }) as unknown as HTMLButtonElement;
    const inputs: EarlyInput[] = [
      { kind: 'click', target: button('submit'), byKeyboard: false },
      { kind: 'click', target: button('again'), byKeyboard: false },
    ];
    const claim = { inputs, thaw: () => order.push('thaw') };
    replayEarlyInput(claim);
    assert.deepEqual(order, ['thaw', 'click:submit', 'click:again']);
    assert.equal(claim.inputs.length, 0);
    assert.equal(inputs.length, 0, 'the same array, emptied');
  } finally {
    delete domStandIn.document;
  }
});

test('without early.js (a plain page): nothing to replay, thaw is harmless', () => {
  const domStandIn = globalThis as unknown as { window?: unknown };
  domStandIn.window = {};
  try {
    const claim = claimEarlyInput();
    assert.deepEqual(claim.inputs, []);
    claim.thaw();
  } finally {
    delete domStandIn.window;
  }
});
