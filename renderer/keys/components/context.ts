// React glue of the key manager: the store and its texts by context.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import type { KeysMessages } from '../i18n';
import { keysMessagesFor } from '../i18n';
import type { KeysActions, KeysState, KeysStore } from '../store';

export const KeysStoreContext = createContext<KeysStore | null>(null);

export function useKeys<T>(selector: (state: KeysState & KeysActions) => T): T {
  const store = useContext(KeysStoreContext);
  if (store === null) throw new Error('KeysStoreContext is missing');
  return useStore(store, selector);
}

export function useKeysT(): KeysMessages {
  return keysMessagesFor(useKeys((state) => state.info?.locale ?? 'en'));
}
