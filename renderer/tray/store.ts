// The tray page's zustand store, fed by window.bastionTray: main's snapshot, the info, and
// whether the page could reach main. What the page shows is derived from these and the time.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { BastionTrayApi, TrayInfo, TraySnapshot } from '../../preload/tray-api';

export interface TrayState {
  info: TrayInfo | null;
  snapshot: TraySnapshot | null;
  startup: 'loading' | 'ready' | 'failed';
  /** The last request did not reach main or main refused it. */
  requestFailed: boolean;
  /** The key manager was started (Electron) or its page opened (fallback). */
  keyManagerOpened: boolean;
}

export interface TrayActions {
  connect(): () => void;
  retryNow(): Promise<boolean>;
  /** `open`: how the page opens a URL main hands back (window.open in the page). */
  openKeyManager(open: (url: string) => void): Promise<boolean>;
}

export type TrayStore = StoreApi<TrayState & TrayActions>;

export function createTrayStore(api: BastionTrayApi): TrayStore {
  return createStore<TrayState & TrayActions>()((set) => ({
    info: null,
    snapshot: null,
    startup: 'loading',
    requestFailed: false,
    keyManagerOpened: false,
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
    async retryNow() {
      set({ requestFailed: false });
      try {
        await api.retryNow();
        return true;
      } catch {
        set({ requestFailed: true });
        return false;
      }
    },
    async openKeyManager(open) {
      set({ requestFailed: false, keyManagerOpened: false });
      try {
        const result = await api.openKeyManager();
        if (result.opened === 'url') open(result.url);
        set({ keyManagerOpened: true });
        return true;
      } catch {
        set({ requestFailed: true });
        return false;
      }
    },
  }));
}
