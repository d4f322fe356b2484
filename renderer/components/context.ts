// React glue: the store and the catalogue travel by context so components stay props-light.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { GreeterActions, GreeterStore } from '../store/greeter-store';
import type { GreeterState } from '../store/state';
import { messagesFor, type Messages } from '../i18n';

export const GreeterStoreContext = createContext<GreeterStore | null>(null);

export function useGreeterStore(): GreeterStore {
  const store = useContext(GreeterStoreContext);
  if (store === null) throw new Error('GreeterStoreContext is missing: render inside <App>.');
  return store;
}

export function useGreeter<T>(selector: (state: GreeterState & GreeterActions) => T): T {
  return useStore(useGreeterStore(), selector);
}

/** The catalogue of the locale main reported (English until info has arrived). */
export function useT(): Messages {
  const locale = useGreeter((state) => state.info?.locale ?? 'en');
  return messagesFor(locale);
}

// The time hooks live in ../logic/time (the tray's page uses them too).
export { MAX_SLEEP_MS, useBefore, useMinute, useSecondsLeft } from '../logic/time';
