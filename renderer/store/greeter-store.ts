// The zustand store, fed by window.bastion. Components read it through selectors and call
// the actions below; no component touches the API object directly.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { AssistiveTool, BastionApi, PowerAction, SsoMethod } from '../../preload/api';
import {
  initialState,
  withAnswerSent,
  withFetchedSnapshot,
  withInfo,
  withPushedSnapshot,
  withRequestFailed,
  withRequestStarted,
  withChosenUser,
  withUserListShown,
  withNoticeAcknowledged,
  withScreen,
  withSession,
  withStartupFailed,
  withFetchedKeySnapshot,
  withPushedKeySnapshot,
  withFetchedSsoSnapshot,
  withPushedSsoSnapshot,
  type GreeterState,
} from './state';

export interface GreeterActions {
  /** Subscribes to snapshots, then loads info and the current snapshot. Returns the unsubscribe. */
  connect(): () => void;
  startAuth(user: string): Promise<boolean>;
  /** Sends an answer to the open prompt. The text is passed through, never stored. */
  answer(text: string): Promise<boolean>;
  cancel(): Promise<boolean>;
  acknowledgeNotice(): void;
  /** Picks a listed user, or null for "Other user…". */
  chooseUser(name: string | null): void;
  /** Shows the whole list again after a pick. */
  showUserList(): void;
  chooseSession(id: string): void;
  /** Asks main for a confirmed power action; false when main refused or the bridge failed. */
  powerAction(action: PowerAction): Promise<boolean>;
  /** Asks main to start an installed assistive tool; false when refused or it failed. */
  startAssistiveTool(tool: AssistiveTool): Promise<boolean>;
  /** Asks main to make `keyboardLayouts[index]` active; false when refused or it failed. */
  setKeyboardLayout(index: number): Promise<boolean>;
  /**
   * Sends the security key's PIN (typed into the key's own field, never the password field);
   * false when main refused it (the key no longer asks, or the PIN's shape). Never stored.
   */
  answerKeyPin(pin: string): Promise<boolean>;
  /** "Use password instead": ends the key's side; false when main refused or it failed. */
  cancelKey(): Promise<boolean>;
  /** "Sign in with SSO" with an offered method; false when main refused it. */
  startSso(method: SsoMethod): Promise<boolean>;
  /** Ends the SSO sign-in in progress; false when main refused or it failed. */
  cancelSso(): Promise<boolean>;
}

export type GreeterStore = StoreApi<GreeterState & GreeterActions>;

/**
 * `start`: the state to begin from (default: nothing known yet). It is also what zustand hands
 * React as the server snapshot, so a served first paint (../first-paint.ts) passes its own.
 */
export function createGreeterStore(
  api: BastionApi,
  start: GreeterState = initialState(),
): GreeterStore {
  return createStore<GreeterState & GreeterActions>()((set, get) => {
    const apply = (reduce: (state: GreeterState) => GreeterState) => set((state) => reduce(state));

    const call = async (run: () => Promise<void>): Promise<boolean> => {
      apply(withRequestStarted);
      try {
        await run();
        return true;
      } catch {
        // Main rejected the payload or the bridge is gone: nothing was authenticated.
        apply(withRequestFailed);
        return false;
      }
    };

    return {
      ...start,
      connect() {
        let unsubscribe: () => void;
        try {
          unsubscribe = api.onAuthSnapshot((snapshot) =>
            apply((state) => withPushedSnapshot(state, snapshot)),
          );
        } catch {
          // No bridge (window.bastion missing or broken): say so instead of a blank screen.
          apply(withStartupFailed);
          return () => undefined;
        }
        api.getInfo().then(
          (info) => apply((state) => withInfo(state, info)),
          () => apply(withStartupFailed),
        );
        // Without its screen options (the site's notice among them) the form does not show.
        api.getScreenOptions().then(
          (screen) => apply((state) => withScreen(state, screen)),
          () => apply(withStartupFailed),
        );
        api.getAuthSnapshot().then(
          (snapshot) => apply((state) => withFetchedSnapshot(state, snapshot)),
          () => apply(withStartupFailed),
        );
        // The key's side is optional: without it the password form works as before.
        let unsubscribeKey: () => void = () => undefined;
        try {
          unsubscribeKey = api.onKeySnapshot((key) =>
            apply((state) => withPushedKeySnapshot(state, key)),
          );
          api.getKeySnapshot().then(
            (key) => apply((state) => withFetchedKeySnapshot(state, key)),
            () => undefined,
          );
        } catch {
          // An older bridge without the key channel: the key area stays off.
        }
        // The SSO sign-in is optional too (no sso.conf: off).
        let unsubscribeSso: () => void = () => undefined;
        try {
          unsubscribeSso = api.onSsoSnapshot((sso) =>
            apply((state) => withPushedSsoSnapshot(state, sso)),
          );
          api.getSsoSnapshot().then(
            (sso) => apply((state) => withFetchedSsoSnapshot(state, sso)),
            () => undefined,
          );
        } catch {
          // A bridge without the SSO channel: no "Sign in with SSO".
        }
        return () => {
          unsubscribe();
          unsubscribeKey();
          unsubscribeSso();
        };
      },
      startAuth: (user) => {
        const { info, session } = get();
        // The chosen session travels with the request on the login screen only.
        const withSession = info?.mode === 'login' && session !== null;
        return call(() => api.startAuth(withSession ? { user, session } : { user }));
      },
      acknowledgeNotice: () => apply(withNoticeAcknowledged),
      chooseUser: (name) => apply((state) => withChosenUser(state, name)),
      showUserList: () => apply(withUserListShown),
      chooseSession: (id) => apply((state) => withSession(state, id)),
      answer: (text) => {
        if (get().snapshot.phase !== 'prompting') return Promise.resolve(false);
        apply(withAnswerSent);
        return call(() => api.answer({ text }));
      },
      cancel: () => call(() => api.cancelAuth()),
      // Not through `call`: a refused power action is no sign-in failure; PowerMenu says so.
      powerAction: (action) =>
        api.powerAction({ action }).then(
          () => true,
          () => false,
        ),
      startAssistiveTool: (tool) =>
        api.startAssistiveTool({ tool }).then(
          () => true,
          () => false,
        ),
      setKeyboardLayout: (index) =>
        api.setKeyboardLayout({ index }).then(
          () => true,
          () => false,
        ),
      // Not through `call`: a refused PIN is no sign-in failure of the password side.
      answerKeyPin: (pin) =>
        api.answerKeyPin({ pin }).then(
          () => true,
          () => false,
        ),
      cancelKey: () =>
        api.cancelKey().then(
          () => true,
          () => false,
        ),
      // Not through `call`: the SSO snapshot says what went wrong, not the form.
      startSso: (method) =>
        api.startSso({ method }).then(
          () => true,
          () => false,
        ),
      cancelSso: () =>
        api.cancelSso().then(
          () => true,
          () => false,
        ),
    };
  });
}
