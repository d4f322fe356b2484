// The page's React tree, shared by index.tsx (the page) and first-paint-server.tsx (main's
// render of the first paint): hydration needs both to be the same tree, down to the position
// of every component (useId's ids are derived from it).
import { StrictMode, useEffect, useLayoutEffect } from 'react';
import { App } from './components/App';
import { GreeterStoreContext } from './components/context';
import type { GreeterStore } from './store/greeter-store';

export interface GreeterRootProps {
  store: GreeterStore;
  /** At the first commit, before any effect of App's (a layout effect placed before App). */
  onCommit?: () => void;
  /** After every effect of App's first commit (a passive effect placed after App). */
  afterEffects?: () => void;
}

function AtCommit({ run }: { run?: () => void }) {
  useLayoutEffect(() => run?.(), [run]);
  return null;
}

function AfterEffects({ run }: { run?: () => void }) {
  useEffect(() => run?.(), [run]);
  return null;
}

export function GreeterRoot({ store, onCommit, afterEffects }: GreeterRootProps) {
  return (
    <StrictMode>
      <GreeterStoreContext value={store}>
        <AtCommit run={onCommit} />
        <App />
        <AfterEffects run={afterEffects} />
      </GreeterStoreContext>
    </StrictMode>
  );
}
