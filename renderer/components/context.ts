// React glue: the store and the catalogue travel by context so components stay props-light.
import { createContext, useContext, useSyncExternalStore } from 'react';
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

// One shared ticker for the clock and countdowns. Derived values are computed from the live
// time, so a deadline that has just arrived never reads against a stale clock; the ticker
// only says "look again".
const TICK_MS = 250;
const tickListeners = new Set<() => void>();
let ticker: ReturnType<typeof setInterval> | null = null;

function subscribeTick(listener: () => void): () => void {
  tickListeners.add(listener);
  ticker ??= setInterval(() => tickListeners.forEach((notify) => notify()), TICK_MS);
  return () => {
    tickListeners.delete(listener);
    if (tickListeners.size === 0 && ticker !== null) {
      clearInterval(ticker);
      ticker = null;
    }
  };
}

/** Re-renders only when `derive(now)` changes; return a primitive (string, number, boolean). */
export function useFromNow<T extends string | number | boolean>(derive: (nowMs: number) => T): T {
  return useSyncExternalStore(subscribeTick, () => derive(Date.now()));
}
