// build/renderer/early.js: the first script of the page, a few hundred bytes run before the
// body is parsed. With a served first paint (./first-paint.ts) the form is on screen and
// typeable ~100 ms before React has hydrated it. Text typed into its fields stays in the DOM
// and is taken over on hydration (AuthForm, SessionChooser); what React alone would act on —
// a button's click (Enter in a field is a click on the submit button, Enter or Space on a
// button a click too), a form's submit, a key on a list or a menu button — would be lost.
// Until the page claims them (takeEarlyInput), such events are stopped here and queued, and
// the page replays them in order once React handles its events.
import { EARLY_INPUT_KEY, type EarlyInput, type EarlyInputQueue } from './early-input-queue';

const queue: EarlyInput[] = [];
let claimed = false;

/** Fields whose keys do their work natively (typing, caret moves): never held. */
function typesText(target: EventTarget | null): boolean {
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  return (
    target instanceof HTMLInputElement && target.type !== 'checkbox' && target.type !== 'radio'
  );
}

function hold(event: Event, input: EarlyInput): void {
  event.preventDefault();
  event.stopImmediatePropagation();
  queue.push(input);
}

window.addEventListener(
  'click',
  (event) => {
    if (claimed || !(event.target instanceof Element)) return;
    const button = event.target.closest('button');
    // A click made by a key has a zero count (UI Events `detail`); Enter in a field clicks the
    // form's submit button without focusing it.
    if (button !== null) {
      const byKeyboard = event.detail === 0 && document.activeElement === button;
      hold(event, { kind: 'click', target: button, byKeyboard });
    }
  },
  true,
);
window.addEventListener(
  'submit',
  (event) => {
    if (!claimed && event.target instanceof HTMLFormElement) {
      hold(event, { kind: 'submit', target: event.target });
    }
  },
  true,
);
window.addEventListener(
  'keydown',
  (event) => {
    if (claimed || event.isComposing || typesText(event.target)) return;
    // Tab moves the focus natively; Enter and Space on a button come back as its click.
    if (event.key === 'Tab') return;
    if ((event.key === 'Enter' || event.key === ' ') && event.target instanceof HTMLButtonElement) {
      return;
    }
    if (!(event.target instanceof Element)) return;
    hold(event, {
      kind: 'keydown',
      target: event.target,
      init: {
        key: event.key,
        code: event.code,
        shiftKey: event.shiftKey,
        altKey: event.altKey,
        ctrlKey: event.ctrlKey,
        metaKey: event.metaKey,
      },
    });
  },
  true,
);

const api: EarlyInputQueue = {
  claim() {
    claimed = true;
    return queue.splice(0);
  },
};
Object.defineProperty(window, EARLY_INPUT_KEY, { value: Object.freeze(api) });
