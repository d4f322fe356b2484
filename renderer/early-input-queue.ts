// The hand-over between early.js (./early-input.ts), which holds the events React would have
// handled before it runs, and the page (./index.tsx), which replays them once hydrated. Two
// bundles, so the queue travels on a window property defined once, read-only.
export const EARLY_INPUT_KEY = '__bastionEarlyInput';

export type EarlyInput =
  /**
   * `byKeyboard`: Enter or Space on the focused button (not Enter in a field, which clicks the
   * form's submit button): after a held key was replayed (an arrow key moving along the user
   * list), it goes to the button focused by then, as it would have without the wait.
   */
  | { kind: 'click'; target: HTMLButtonElement; byKeyboard: boolean }
  | { kind: 'submit'; target: HTMLFormElement }
  | { kind: 'keydown'; target: Element; init: KeyboardEventInit };

export interface EarlyInputQueue {
  /** Stops holding events and hands over those held so far, oldest first. */
  claim(): EarlyInput[];
}

/** Takes over the held events (none when early.js did not run). */
export function claimEarlyInput(): EarlyInput[] {
  const queue = (window as unknown as Record<string, EarlyInputQueue | undefined>)[EARLY_INPUT_KEY];
  return queue?.claim() ?? [];
}

/** Replays held events on the hydrated page; an element React replaced since is skipped. */
export function replayEarlyInput(inputs: EarlyInput[]): void {
  let keysReplayed = false;
  for (const input of inputs) {
    if (input.kind === 'click') {
      const focused = document.activeElement;
      const pressed =
        input.byKeyboard && keysReplayed && focused instanceof HTMLButtonElement
          ? focused
          : input.target;
      if (pressed.isConnected) pressed.click();
    } else if (!input.target.isConnected) {
      continue;
    } else if (input.kind === 'submit') {
      input.target.requestSubmit();
    } else {
      keysReplayed = true;
      input.target.dispatchEvent(
        new KeyboardEvent('keydown', { ...input.init, bubbles: true, cancelable: true }),
      );
    }
  }
}
