// Renderer entry. The page is untrusted and sandboxed: its only door is window.bastion.
// early-store comes first on purpose (see there): keep it the first import.
import { firstPaint, hydrated, store } from './early-store';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { claimEarlyInput, replayEarlyInput } from './early-input-queue';
import { GreeterRoot } from './root';

const container = document.getElementById('root');
if (container === null) throw new Error('index.html has no #root element');

// Where the focus was at the first commit, before any effect ran.
let focusAtCommit: Element | null = null;
const onCommit = (): void => {
  focusAtCommit = document.activeElement;
};

/**
 * After the first commit's effects (on a first paint, the hydration's): main's held answers go
 * in, then what the person did on the served markup before React ran is replayed on it.
 */
const afterEffects = (): void => {
  // For bench/renderer.bench.ts: when the page started handling its own events.
  performance.mark('bastion-first-commit');
  const early = claimEarlyInput();
  // On a served first paint the focus is where its autofocus put it, or where the person moved
  // it since: the components' focus-on-mount effects must not pull it back.
  if (
    firstPaint !== null &&
    focusAtCommit instanceof HTMLElement &&
    focusAtCommit !== document.body &&
    focusAtCommit.isConnected &&
    document.activeElement !== focusAtCommit
  ) {
    focusAtCommit.focus();
  }
  hydrated.open();
  // With nothing to replay, nothing waits for the snapshot; with a held submit, its fields
  // stay read-only until the replay (see there).
  if (early.inputs.length > 0) afterSnapshot(() => replayEarlyInput(early));
  else early.thaw();
};

/**
 * Runs `replay` once main's snapshot is in (or start-up failed), in a task of its own: a
 * replayed Enter must not start an attempt that the start-up snapshot, landing after it,
 * would be taken to have ended (AuthForm then drops the password it holds for the prompt).
 */
function afterSnapshot(replay: () => void): void {
  const known = (state: ReturnType<typeof store.getState>): boolean =>
    state.snapshotReceived || state.startup === 'failed';
  const later = (): void => void setTimeout(replay, 0);
  if (known(store.getState())) return later();
  const unsubscribe = store.subscribe((state) => {
    if (!known(state)) return;
    unsubscribe();
    later();
  });
}

const tree = <GreeterRoot store={store} onCommit={onCommit} afterEffects={afterEffects} />;
if (firstPaint !== null) {
  hydrateRoot(container, tree, {
    // The served markup was not what this state renders, so React rendered it afresh: loud, as
    // what was typed into it is gone. e2e/first-paint.test.ts keeps it from happening.
    onRecoverableError: (error) => console.error('bastion first paint not hydrated:', error),
  });
} else {
  createRoot(container).render(tree);
}
