// FakeBastionApiForPreview: a TEST DOUBLE of window.bastion for looking at the screens in
// Chromium without main, the helper or PAM. It is bundled only by renderer/test/screens.test.ts
// and injected with Playwright's addInitScript; the production bundle never contains it.
// The real end-to-end path (real main + helper + PAM) is the e2e/ suite's job.
import type {
  AuthFailureReason,
  AuthMessage,
  AuthSnapshot,
  BastionApi,
  GreeterInfo,
  ScreenOptions,
  SecurityKeySnapshot,
  SsoSnapshot,
} from '../../preload/api';
import { SECURITY_KEY_OFF, SSO_OFF } from '../../preload/api';
import { IDLE_SNAPSHOT } from '../store/state';

export interface PreviewConfig {
  info: GreeterInfo;
  /** The password the fake accepts. */
  password: string;
  /** What a wrong password leads to. */
  wrongOutcome: 'credentials' | 'offline-locked';
  /** Messages and offline expiry that come with a success (e.g. an OFFLINE_OK). */
  successMessages: AuthMessage[];
  offlineValidUntil: number | null;
  /** Sessions, user list and notice; none of them when unset. */
  screen?: ScreenOptions;
  /** What getAuthSnapshot answers at start (e.g. a lock that outlived a greeter restart). */
  initialSnapshot?: AuthSnapshot;
}

export interface PreviewCall {
  call:
    | 'startAuth'
    | 'answer'
    | 'cancelAuth'
    | 'powerAction'
    | 'startAssistiveTool'
    | 'setKeyboardLayout'
    | 'answerKeyPin'
    | 'cancelKey'
    | 'cancelSso';
  payload: unknown;
}

declare global {
  interface Window {
    __bastionPreviewConfig?: PreviewConfig;
    __bastionPreviewCalls: PreviewCall[];
    __bastionPreviewPush(snapshot: AuthSnapshot): void;
  }
}

const STEP_MS = 40;

/** `offline`: the fake main's belief about the portal, carried by every snapshot it pushes. */
function idleSnapshot(offline: boolean): AuthSnapshot {
  return { ...IDLE_SNAPSHOT, messages: [], offline };
}

function failed(user: string, reason: AuthFailureReason, offline: boolean): AuthSnapshot {
  return {
    ...idleSnapshot(offline),
    phase: 'failure',
    user,
    failure: { reason, pamCode: 7, pamName: 'PAM_AUTH_ERR' },
  };
}

class FakeBastionApiForPreview implements BastionApi {
  private snapshot: AuthSnapshot;
  private readonly listeners = new Set<(snapshot: AuthSnapshot) => void>();

  constructor(private readonly config: PreviewConfig) {
    this.snapshot = config.initialSnapshot ?? idleSnapshot(config.info.offline);
  }

  /** A fresh snapshot keeping the current offline belief (a test may push a change). */
  private idle(): AuthSnapshot {
    return idleSnapshot(this.snapshot.offline);
  }

  push(snapshot: AuthSnapshot): void {
    this.snapshot = snapshot;
    // Structured-clone like IPC does, so the renderer never shares objects with the fake.
    for (const listener of this.listeners) listener(structuredClone(snapshot));
  }

  private later(snapshot: AuthSnapshot): void {
    setTimeout(() => this.push(snapshot), STEP_MS);
  }

  async getInfo(): Promise<GreeterInfo> {
    return structuredClone(this.config.info);
  }

  async getScreenOptions(): Promise<ScreenOptions> {
    return structuredClone(
      this.config.screen ?? {
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
      },
    );
  }

  async getAuthSnapshot(): Promise<AuthSnapshot> {
    return structuredClone(this.snapshot);
  }

  async startAuth(request: { user: string; session?: string }): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'startAuth', payload: request });
    const user = request.user;
    this.push({ ...this.idle(), phase: 'authenticating', user });
    this.later({
      ...this.idle(),
      phase: 'prompting',
      user,
      prompt: { secret: true, text: 'Password: ' },
    });
  }

  async answer(request: { text: string }): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'answer', payload: request });
    const user = this.snapshot.user ?? '';
    this.push({ ...this.snapshot, phase: 'authenticating', prompt: null });
    if (request.text === this.config.password) {
      this.later({
        ...this.idle(),
        phase: 'success',
        user,
        messages: this.config.successMessages,
        offlineValidUntil: this.config.offlineValidUntil,
      });
    } else if (this.config.wrongOutcome === 'offline-locked') {
      this.later({
        ...failed(user, 'locked', this.snapshot.offline),
        phase: 'locked',
        messages: [{ kind: 'offline-error', code: -6, name: 'LOCKED', lockSeconds: 240 }],
        lockedUntil: Date.now() + 240_000,
      });
    } else {
      this.later(failed(user, 'credentials', this.snapshot.offline));
    }
  }

  async cancelAuth(): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'cancelAuth', payload: null });
    this.push(failed(this.snapshot.user ?? '', 'cancelled', this.snapshot.offline));
  }

  /** Records the request only: a preview never reaches logind. */
  async powerAction(request: { action: string }): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'powerAction', payload: request });
  }

  /** Records the request only: a preview starts no program. */
  async startAssistiveTool(request: { tool: string }): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'startAssistiveTool', payload: request });
  }

  /** Records the request only: a preview changes no keyboard layout. */
  async setKeyboardLayout(request: { index: number }): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'setKeyboardLayout', payload: request });
  }

  onAuthSnapshot(listener: (snapshot: AuthSnapshot) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** No key side in a preview: always off. */
  async getKeySnapshot(): Promise<SecurityKeySnapshot> {
    return SECURITY_KEY_OFF;
  }

  /** Records the request only (the PIN itself is not kept). */
  async answerKeyPin(): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'answerKeyPin', payload: null });
  }

  async cancelKey(): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'cancelKey', payload: null });
  }

  onKeySnapshot(): () => void {
    return () => undefined;
  }

  /** No SSO sign-in in a preview: always off. */
  async getSsoSnapshot(): Promise<SsoSnapshot> {
    return SSO_OFF;
  }

  async startSso(): Promise<void> {
    throw new Error('no SSO sign-in in a preview');
  }

  async cancelSso(): Promise<void> {
    window.__bastionPreviewCalls.push({ call: 'cancelSso', payload: null });
  }

  onSsoSnapshot(): () => void {
    return () => undefined;
  }
}

const config = window.__bastionPreviewConfig;
if (config !== undefined) {
  const fake = new FakeBastionApiForPreview(config);
  window.__bastionPreviewCalls = [];
  window.__bastionPreviewPush = (snapshot) => fake.push(snapshot);
  window.bastion = fake;
}
