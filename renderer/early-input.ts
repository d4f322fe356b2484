// build/renderer/early.js: the first script of the page, about 2 KB run before the
// body is parsed. With a served first paint (./first-paint.ts) the form is on screen and
// typeable ~100 ms before React has hydrated it. Text typed into its fields stays in the DOM
// and is taken over on hydration (AuthForm, SessionChooser); what React alone would act on —
// a button's click (Enter in a field is a click on the submit button, Enter or Space on a
// button a click too), a form's submit, a key on a list or a menu button, Escape — would be
// lost. Until the page claims them (takeEarlyInput), such events are stopped here and queued,
// and the page replays them in order once React handles its events.
//
// Once a form's submit is held, its fields take no more text until the claim: in the live
// page that submit starts the attempt, the name field turns read-only and the focus moves to
// the prompt, so what is typed next is the password. Let into the name field, it would be
// shown in clear and sent as the user name (to PAM, whose modules log it). It is dropped, never
// replayed: the person types it again at the prompt, as the live page would have had them.
import {
  EARLY_INPUT_KEY,
  START_STALLED_ATTRIBUTE,
  START_STALLED_MS,
  START_STALLED_TEST_ID,
  type EarlyInput,
  type EarlyInputQueue,
} from './early-input-queue';

const queue: EarlyInput[] = [];
let claimed = false;
/** The page's script did not hydrate in time: nothing is held any more (see giveUp). */
let stalled = false;
/** Forms whose submit is held; their fields were made read-only here (until the replay). */
const submitted = new Set<HTMLFormElement>();
const madeReadOnly: HTMLInputElement[] = [];

/** Fields whose keys do their work natively (typing, caret moves): never held. */
function textField(target: EventTarget | null): HTMLInputElement | HTMLTextAreaElement | null {
  if (target instanceof HTMLTextAreaElement) return target;
  return target instanceof HTMLInputElement && target.type !== 'checkbox' && target.type !== 'radio'
    ? target
    : null;
}

/** A field of a form whose submit is held: it takes no text until the claim. */
function frozen(target: EventTarget | null): boolean {
  const field = textField(target);
  return field?.form != null && submitted.has(field.form);
}

function freeze(form: HTMLFormElement | null): void {
  if (form === null || submitted.has(form)) return;
  submitted.add(form);
  // Read-only as in the live page: no typing, paste, drop, IME or autofill gets in.
  for (const element of form.elements) {
    if (element instanceof HTMLInputElement && textField(element) && !element.readOnly) {
      element.readOnly = true;
      madeReadOnly.push(element);
    }
  }
}

/** A key that types a character by itself (no held handler acts on one). */
const printable = (event: KeyboardEvent): boolean =>
  [...event.key].length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey;

function stop(event: Event): void {
  event.preventDefault();
  event.stopImmediatePropagation();
}

function hold(event: Event, input: EarlyInput): void {
  stop(event);
  if (!stalled) queue.push(input);
}

window.addEventListener(
  'click',
  (event) => {
    if (claimed || !(event.target instanceof Element)) return;
    const button = event.target.closest('button');
    if (button === null) return;
    // A second submit of a form already submitted: in the live page it would answer the
    // prompt with what the person typed after the first one, which was dropped.
    if (button.type === 'submit' && button.form !== null && submitted.has(button.form)) {
      return stop(event);
    }
    if (stalled) return;
    // A click made by a key has a zero count (UI Events `detail`); Enter in a field clicks the
    // form's submit button without focusing it.
    const byKeyboard = event.detail === 0 && document.activeElement === button;
    hold(event, { kind: 'click', target: button, byKeyboard });
    if (button.type === 'submit') freeze(button.form);
  },
  true,
);
window.addEventListener(
  'submit',
  (event) => {
    if (claimed || !(event.target instanceof HTMLFormElement)) return;
    // Never a native submission (a GET with the fields in the URL), stalled or not.
    if (stalled || submitted.has(event.target)) return stop(event);
    hold(event, { kind: 'submit', target: event.target });
    freeze(event.target);
  },
  true,
);
// What the read-only fields would refuse anyway; stopped as well should one not be read-only
// (a field React rendered editable whatever its attribute says).
for (const type of ['beforeinput', 'paste', 'drop', 'cut']) {
  window.addEventListener(
    type,
    (event) => {
      if (!claimed && frozen(event.target)) event.preventDefault();
    },
    true,
  );
}
window.addEventListener(
  'keydown',
  (event) => {
    if (claimed || event.isComposing) return;
    if (textField(event.target)) {
      if (frozen(event.target) && (printable(event) || /^(Backspace|Delete)$/.test(event.key))) {
        event.preventDefault();
      } else if (event.key === 'Escape' && !stalled) {
        // The page's Escape (AuthForm: cancel, the password emptied) acts from any field.
        hold(event, { kind: 'keydown', target: event.target as Element, init: keyInit(event) });
      }
      return;
    }
    // Tab moves the focus natively; Enter and Space on a button come back as its click. A
    // printable key is no held handler's business: not kept (in memory) at all.
    if (stalled || event.key === 'Tab' || printable(event)) return;
    if ((event.key === 'Enter' || event.key === ' ') && event.target instanceof HTMLButtonElement) {
      return;
    }
    if (!(event.target instanceof Element)) return;
    hold(event, { kind: 'keydown', target: event.target, init: keyInit(event) });
  },
  true,
);

function keyInit(event: KeyboardEvent): KeyboardEventInit {
  return {
    key: event.key,
    code: event.code,
    shiftKey: event.shiftKey,
    altKey: event.altKey,
    ctrlKey: event.ctrlKey,
    metaKey: event.metaKey,
  };
}

/**
 * The page's script never hydrated (a broken install, a script that failed): rather than a
 * form that looks working and swallows every press, the served text (localized by main, in a
 * data attribute: no inline script under the CSP) says so, above the form and outside the
 * root React would hydrate. Later presses act natively (nothing, the buttons have no handler
 * yet); should the page hydrate after all, the claim removes the message.
 */
function giveUp(): void {
  if (claimed) return;
  stalled = true;
  queue.length = 0;
  const root = document.getElementById('root');
  const text = root?.getAttribute(START_STALLED_ATTRIBUTE);
  if (!root || !text) return;
  const message = document.createElement('p');
  message.className = 'card line line-error';
  message.setAttribute('role', 'alert');
  message.dataset.testid = START_STALLED_TEST_ID;
  message.textContent = text;
  root.before(message);
}
const stallTimer = setTimeout(giveUp, START_STALLED_MS);

const api: EarlyInputQueue = {
  claim() {
    claimed = true;
    clearTimeout(stallTimer);
    document.querySelector(`[data-testid="${START_STALLED_TEST_ID}"]`)?.remove();
    submitted.clear();
    // The fields stay read-only until the held submit is replayed (it may wait for main's
    // snapshot): typed into meanwhile, the name field would take the password after all.
    const frozenFields = madeReadOnly.splice(0);
    return {
      inputs: queue.splice(0),
      thaw: () => {
        for (const field of frozenFields.splice(0)) field.readOnly = false;
      },
    };
  },
};
Object.defineProperty(window, EARLY_INPUT_KEY, { value: Object.freeze(api) });
