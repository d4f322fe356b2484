import { test } from 'node:test';
import assert from 'node:assert/strict';
import type {
  AuthSnapshot,
  BastionApi,
  GreeterInfo,
  PowerAction,
  AssistiveTool,
  ScreenOptions,
  SecurityKeySnapshot,
  SsoSnapshot,
} from '../../preload/api';
import { SECURITY_KEY_OFF, SSO_OFF } from '../../preload/api';
import { createGreeterStore } from './greeter-store';
import { IDLE_SNAPSHOT } from './state';

// RecordingBastionApiForTest: a test double of window.bastion (the real one is Electron IPC,
// which does not exist under Node). It records calls and lets the test decide when the
// start-up promises resolve and whether a call is rejected.
class RecordingBastionApiForTest implements BastionApi {
  calls: [string, unknown][] = [];
  listeners = new Set<(snapshot: AuthSnapshot) => void>();
  rejectNext = false;
  resolveInfo: (info: GreeterInfo) => void = () => undefined;
  rejectInfo: (error: Error) => void = () => undefined;
  resolveSnapshot: (snapshot: AuthSnapshot) => void = () => undefined;

  getInfo(): Promise<GreeterInfo> {
    return new Promise((resolve, reject) => {
      this.resolveInfo = resolve;
      this.rejectInfo = reject;
    });
  }
  getAuthSnapshot(): Promise<AuthSnapshot> {
    return new Promise((resolve) => (this.resolveSnapshot = resolve));
  }
  screen: ScreenOptions = {
    sessions: [],
    defaultSession: null,
    users: null,
    lastUser: null,
    notice: null,
    hidePowerActions: false,
    powerActions: [],
    keyboardLayouts: [],
    assistiveTools: { screenReader: false, onScreenKeyboard: false },
    keyboardSwitchable: false,
    keyboardCurrent: 0,
  };
  getScreenOptions(): Promise<ScreenOptions> {
    return Promise.resolve(structuredClone(this.screen));
  }
  private record(name: string, payload: unknown): Promise<void> {
    this.calls.push([name, payload]);
    if (this.rejectNext) {
      this.rejectNext = false;
      return Promise.reject(new Error('IpcValidationError'));
    }
    return Promise.resolve();
  }
  startAuth(request: { user: string; session?: string }) {
    return this.record('startAuth', request);
  }
  answer(request: { text: string }) {
    return this.record('answer', request);
  }
  cancelAuth() {
    return this.record('cancelAuth', null);
  }
  powerAction(request: { action: PowerAction }) {
    return this.record('powerAction', request);
  }
  startAssistiveTool(request: { tool: AssistiveTool }) {
    return this.record('startAssistiveTool', request);
  }
  setKeyboardLayout(request: { index: number }) {
    return this.record('setKeyboardLayout', request);
  }
  onAuthSnapshot(listener: (snapshot: AuthSnapshot) => void) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  keyListeners = new Set<(snapshot: SecurityKeySnapshot) => void>();
  getKeySnapshot(): Promise<SecurityKeySnapshot> {
    return Promise.resolve(SECURITY_KEY_OFF);
  }
  answerKeyPin(request: { pin: string }) {
    return this.record('answerKeyPin', request);
  }
  cancelKey() {
    return this.record('cancelKey', null);
  }
  onKeySnapshot(listener: (snapshot: SecurityKeySnapshot) => void) {
    this.keyListeners.add(listener);
    return () => this.keyListeners.delete(listener);
  }
  pushKey(snapshot: SecurityKeySnapshot) {
    for (const listener of this.keyListeners) listener(snapshot);
  }
  ssoListeners = new Set<(snapshot: SsoSnapshot) => void>();
  ssoFetched: SsoSnapshot = SSO_OFF;
  getSsoSnapshot(): Promise<SsoSnapshot> {
    return Promise.resolve(this.ssoFetched);
  }
  startSso(request: { method: 'device' | 'portal' }) {
    return this.record('startSso', request);
  }
  cancelSso() {
    return this.record('cancelSso', null);
  }
  onSsoSnapshot(listener: (snapshot: SsoSnapshot) => void) {
    this.ssoListeners.add(listener);
    return () => this.ssoListeners.delete(listener);
  }
  pushSso(snapshot: SsoSnapshot) {
    for (const listener of this.ssoListeners) listener(snapshot);
  }
  push(snapshot: AuthSnapshot) {
    for (const listener of this.listeners) listener(snapshot);
  }
}

const INFO: GreeterInfo = {
  mode: 'unlock',
  hostname: 'ws-1',
  currentUser: 'alice',
  locale: 'en',
  offline: false,
  host: 'electron',
};
const PROMPTING: AuthSnapshot = {
  ...IDLE_SNAPSHOT,
  phase: 'prompting',
  user: 'alice',
  prompt: { secret: true, text: 'Password: ' },
};

test('connect subscribes before fetching, so a push during start-up is never lost', async () => {
  const api = new RecordingBastionApiForTest();
  const store = createGreeterStore(api);
  const unsubscribe = store.getState().connect();
  assert.equal(api.listeners.size, 1);
  api.push(PROMPTING);
  api.resolveSnapshot({ ...IDLE_SNAPSHOT });
  api.resolveInfo(INFO);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(store.getState().snapshot.phase, 'prompting');
  assert.equal(store.getState().info, INFO);
  assert.equal(store.getState().startup, 'ready');
  unsubscribe();
  assert.equal(api.listeners.size, 0);
});

test('start-up fails visibly when getInfo rejects or the bridge is missing', async () => {
  const api = new RecordingBastionApiForTest();
  const store = createGreeterStore(api);
  store.getState().connect();
  api.rejectInfo(new Error('bridge gone'));
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(store.getState().startup, 'failed');

  const missing = createGreeterStore(undefined as unknown as BastionApi);
  missing.getState().connect();
  assert.equal(missing.getState().startup, 'failed');
});

test('answer is sent only while prompting, and the text is not kept in the store', async () => {
  const api = new RecordingBastionApiForTest();
  const store = createGreeterStore(api);
  store.getState().connect();
  assert.equal(await store.getState().answer('too early'), false);
  assert.deepEqual(api.calls, []);
  api.push(PROMPTING);
  assert.equal(await store.getState().answer('s3cret'), true);
  assert.deepEqual(api.calls, [['answer', { text: 's3cret' }]]);
  assert.ok(!JSON.stringify(store.getState()).includes('s3cret'));
});

test('a rejected call sets requestFailed; the next call clears it', async () => {
  const api = new RecordingBastionApiForTest();
  const store = createGreeterStore(api);
  store.getState().connect();
  api.rejectNext = true;
  assert.equal(await store.getState().startAuth('alice'), false);
  assert.equal(store.getState().requestFailed, true);
  assert.equal(await store.getState().cancel(), true);
  assert.equal(store.getState().requestFailed, false);
  assert.deepEqual(api.calls, [
    ['startAuth', { user: 'alice' }],
    ['cancelAuth', null],
  ]);
});

test('screen options: the chosen session travels with startAuth on the login screen only', async () => {
  const api = new RecordingBastionApiForTest();
  api.screen = {
    ...api.screen,
    sessions: [
      { id: 'xfce', name: 'Xfce', type: 'x11' },
      { id: 'sway', name: 'Sway', type: 'wayland' },
    ],
    defaultSession: 'xfce',
    users: [{ name: 'bob', realName: 'Bob', icon: null, session: 'sway' }],
    notice: { kind: 'site', text: 'Authorized use only' },
  };
  const store = createGreeterStore(api);
  store.getState().connect();
  api.resolveInfo({ ...INFO, mode: 'login', currentUser: null });
  await new Promise((resolve) => setImmediate(resolve));
  const state = store.getState();
  assert.equal(state.session, 'xfce');
  assert.equal(state.noticeAcknowledged, false);
  state.acknowledgeNotice();
  state.chooseSession('nope');
  assert.equal(store.getState().session, 'xfce', 'an id main did not offer is ignored');
  state.chooseUser('bob');
  assert.equal(store.getState().session, 'sway', "the user's last session comes with them");
  state.chooseUser('mallory');
  assert.equal(store.getState().chosenUser, 'bob', 'an unlisted name is ignored');
  state.chooseUser(null);
  assert.equal(store.getState().otherUser, true);
  await store.getState().startAuth('carol');
  assert.deepEqual(api.calls.at(-1), ['startAuth', { user: 'carol', session: 'sway' }]);
  assert.equal(store.getState().noticeAcknowledged, true);
});

test('screen options: the unlock screen sends no session', async () => {
  const api = new RecordingBastionApiForTest();
  api.screen = {
    ...api.screen,
    sessions: [{ id: 'xfce', name: 'Xfce', type: 'x11' }],
    defaultSession: 'xfce',
  };
  const store = createGreeterStore(api);
  store.getState().connect();
  api.resolveInfo(INFO);
  await new Promise((resolve) => setImmediate(resolve));
  await store.getState().startAuth('alice');
  assert.deepEqual(api.calls.at(-1), ['startAuth', { user: 'alice' }]);
});

test('powerAction goes to the API and reports a refusal without a sign-in failure', async () => {
  const api = new RecordingBastionApiForTest();
  const store = createGreeterStore(api);
  assert.equal(await store.getState().powerAction('reboot'), true);
  api.rejectNext = true;
  assert.equal(await store.getState().powerAction('suspend'), false);
  assert.deepEqual(api.calls, [
    ['powerAction', { action: 'reboot' }],
    ['powerAction', { action: 'suspend' }],
  ]);
  assert.equal(store.getState().requestFailed, false);
});

test('SSO snapshots: fetched at start, a push wins over a late fetch; start and cancel are sent', async () => {
  const api = new RecordingBastionApiForTest();
  const idle: SsoSnapshot = { ...SSO_OFF, phase: 'idle', methods: ['device'] };
  api.ssoFetched = idle;
  const store = createGreeterStore(api);
  const disconnect = store.getState().connect();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(store.getState().sso, idle);
  const failed: SsoSnapshot = {
    ...idle,
    phase: 'failed',
    method: 'device',
    problem: 'SSO_DEVICE_EXPIRED',
  };
  api.pushSso(failed);
  assert.deepEqual(store.getState().sso, failed);
  assert.equal(await store.getState().startSso('device'), true);
  assert.equal(await store.getState().cancelSso(), true);
  assert.deepEqual(
    api.calls.filter(([name]) => name === 'startSso' || name === 'cancelSso'),
    [
      ['startSso', { method: 'device' }],
      ['cancelSso', null],
    ],
  );
  disconnect();
  assert.equal(api.ssoListeners.size, 0);
});
