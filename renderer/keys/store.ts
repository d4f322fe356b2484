// The key manager's zustand store, fed by window.bastionKeys: main's snapshot (the wizard's
// state), the info, and whether the page could reach main. Secrets never enter it: the
// password and PINs go from their fields straight to the API.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BastionKeysApi, KeysInfo, KeysSnapshot } from '../../preload/keys-api';

export interface KeysState {
  info: KeysInfo | null;
  snapshot: KeysSnapshot | null;
  startup: 'loading' | 'ready' | 'failed';
  /** The last request did not reach main or main refused it. */
  requestFailed: boolean;
}

export interface KeysActions {
  connect(): () => void;
  submitPassword(password: string): Promise<boolean>;
  refreshDevices(): Promise<boolean>;
  chooseDevice(id: string): Promise<boolean>;
  submitPin(pin: string, confirm: string | null): Promise<boolean>;
  submitName(name: string): Promise<boolean>;
  retry(): Promise<boolean>;
  enrollAnother(): Promise<boolean>;
  finish(): Promise<boolean>;
  cancel(): Promise<boolean>;
  restart(): Promise<boolean>;
}

export type KeysStore = StoreApi<KeysState & KeysActions>;

export function createKeysStore(api: BastionKeysApi): KeysStore {
  return createStore<KeysState & KeysActions>()((set) => {
    const call = async (run: () => Promise<void>): Promise<boolean> => {
      set({ requestFailed: false });
      try {
        await run();
        return true;
      } catch {
        set({ requestFailed: true });
        return false;
      }
    };
    return {
      info: null,
      snapshot: null,
      startup: 'loading',
      requestFailed: false,
      connect() {
        let unsubscribe: () => void;
        try {
          unsubscribe = api.onSnapshot((snapshot) => set({ snapshot, startup: 'ready' }));
        } catch {
          set({ startup: 'failed' });
          return () => undefined;
        }
        api.getInfo().then(
          (info) => set({ info }),
          () => set({ startup: 'failed' }),
        );
        api.getSnapshot().then(
          // A pushed snapshot may already be newer: the first fetch only fills an empty store.
          (snapshot) => set((state) => (state.snapshot ? {} : { snapshot, startup: 'ready' })),
          () => set({ startup: 'failed' }),
        );
        return unsubscribe;
      },
      submitPassword: (password) => call(() => api.submitPassword({ password })),
      refreshDevices: () => call(() => api.refreshDevices()),
      chooseDevice: (id) => call(() => api.chooseDevice({ id })),
      submitPin: (pin, confirm) =>
        call(() => api.submitPin(confirm === null ? { pin } : { pin, confirm })),
      submitName: (name) => call(() => api.submitName({ name })),
      retry: () => call(() => api.retry()),
      enrollAnother: () => call(() => api.enrollAnother()),
      finish: () => call(() => api.finish()),
      cancel: () => call(() => api.cancel()),
      restart: () => call(() => api.restart()),
    };
  });
}
