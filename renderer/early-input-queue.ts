// The hand-over between early.js (./early-input.ts), which holds the events React would have
// handled before it runs, and the page (./index.tsx), which replays them once hydrated. Two
// bundles, so the queue travels on a window property defined once, read-only.
export const EARLY_INPUT_KEY = '__bastionEarlyInput';

/**
 * The attribute of `<div id="root">` in a served first paint that carries the localized
 * "did not start" text (main/screens/first-paint.ts puts it there; early.js shows it).
 */
export const START_STALLED_ATTRIBUTE = 'data-start-stalled';
export const START_STALLED_TEST_ID = 'start-stalled';
/**
 * How long early.js holds presses for a page that has not hydrated: app.js is a local file
 * that hydrates in ~100 ms, so this long means it never will.
 */
export const START_STALLED_MS = 10_000;

export type EarlyInput =
  /**
   * `byKeyboard`: Enter or Space on the focused button (not Enter in a field, which clicks the
   * form's submit button): after a held key was replayed (an arrow key moving along the user
   * list), it goes to the button focused by then, as it would have without the wait.
   */
  | { kind: 'click'; target: HTMLButtonElement; byKeyboard: boolean }
  | { kind: 'submit'; target: HTMLFormElement }
  | { kind: 'keydown'; target: Element; init: KeyboardEventInit };

export interface EarlyInputClaim {
  /** The held events, oldest first. */
  inputs: EarlyInput[];
  /** Makes editable again the fields early.js made read-only when it held their form's submit. */
  thaw(): void;
}

export interface EarlyInputQueue {
  /** Stops holding events and hands over those held so far. */
  claim(): EarlyInputClaim;
}

/** Takes over the held events (none when early.js did not run). */
export function claimEarlyInput(): EarlyInputClaim {
  const queue = (window as unknown as Record<string, EarlyInputQueue | undefined>)[EARLY_INPUT_KEY];
  return queue?.claim() ?? { inputs: [], thaw: () => undefined };
}

/**
 * Replays held events on the hydrated page; an element React replaced since is skipped. The
 * fields of a held submit's form become editable in the same task, just before the submit
 * makes them read-only again the page's way. The claim keeps no event afterwards.
 */
export function replayEarlyInput(claim: EarlyInputClaim): void {
  claim.thaw();
  let keysReplayed = false;
  for (const input of claim.inputs.splice(0)) {
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
