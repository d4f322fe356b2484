// The page's side of a served first paint, under Node: the state both renders start from, and
// the API that holds main's answers until hydration (the page itself: e2e/first-paint.test.ts).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuthSnapshot, BastionApi, GreeterInfo, ScreenOptions } from '../preload/api';
import { createDeliveryGate, firstPaintApi, firstPaintState } from './first-paint';
import { createGreeterStore } from './store/greeter-store';

const INFO = {
  mode: 'login',
  hostname: 'h',
  currentUser: null,
  locale: 'en',
  offline: false,
  host: 'electron',
} as GreeterInfo;
const SCREEN = {
  sessions: [],
  defaultSession: null,
  users: [{ name: 'ann', realName: 'Ann', icon: null, session: null }],
  lastUser: 'ann',
  notice: null,
  hidePowerActions: false,
  powerActions: [],
  keyboardLayouts: [],
  assistiveTools: { screenReader: false, onScreenKeyboard: false },
  keyboardSwitchable: false,
  keyboardCurrent: 0,
} as unknown as ScreenOptions;

test('the first paint state is what the answers make of the initial state (remembered user picked)', () => {
  const state = firstPaintState({ info: INFO, screen: SCREEN });
  assert.equal(state.info, INFO);
  assert.equal(state.startup, 'ready');
  assert.equal(state.chosenUser, 'ann');
  assert.equal(state.noticeAcknowledged, true);
});

test('firstPaintApi: info and screen from the data, every other answer and push held until open', async () => {
  const calls: string[] = [];
  let push: (snapshot: AuthSnapshot) => void = () => undefined;
  const idle = { phase: 'idle' } as AuthSnapshot;
  const api = new Proxy({} as BastionApi, {
    get: (_, name: string) => {
      if (name === 'onAuthSnapshot' || name === 'onKeySnapshot' || name === 'onSsoSnapshot') {
        return (listener: (snapshot: AuthSnapshot) => void) => {
          if (name === 'onAuthSnapshot') push = listener;
          return () => undefined;
        };
      }
      return () => {
        calls.push(name);
        return Promise.resolve(name === 'getAuthSnapshot' ? idle : {});
      };
    },
  });
  const gate = createDeliveryGate();
  const store = createGreeterStore(
    firstPaintApi(api, { info: INFO, screen: SCREEN }, gate),
    firstPaintState({ info: INFO, screen: SCREEN }),
  );
  const before = store.getState();
  store.getState().connect();
  push({ phase: 'authenticating' } as AuthSnapshot);
  await new Promise((resolve) => setTimeout(resolve, 10));
  // Asked at once, never getInfo/getScreenOptions; nothing delivered yet.
  assert.ok(calls.includes('getAuthSnapshot'));
  assert.ok(!calls.includes('getInfo') && !calls.includes('getScreenOptions'));
  assert.equal(store.getState().snapshot, before.snapshot);
  assert.equal(store.getState().screen, SCREEN);
  gate.open();
  await new Promise((resolve) => setTimeout(resolve, 10));
  // Delivered in arrival order (the fetched snapshot, then the push, which wins over it).
  assert.equal(store.getState().snapshot.phase, 'authenticating');
  // Once open, nothing is held.
  push({ phase: 'prompting' } as AuthSnapshot);
  assert.equal(store.getState().snapshot.phase, 'prompting');
});
