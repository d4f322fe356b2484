// The sign-in / unlock form. Simplest good flow: user name and password are typed together;
// Enter starts the attempt and the password answers the first secret PAM prompt. Any other
// prompt (a second factor, a visible question) is shown as its own field, labelled with the
// prompt text. The password is read from the (uncontrolled) field on Enter, the field is
// cleared at once, and the text waits in a ref only until the prompt arrives. (JS strings
// cannot be wiped; we hold them as briefly as we can and never in state or the DOM.)
import {
  useEffect,
  useLayoutEffect,
  useRef,
  useState,
  type FormEvent,
  type RefObject,
} from 'react';
import type { GreeterMode } from '../../preload/api';
import {
  selectAttemptActive,
  selectBusy,
  selectChosenUser,
  selectOtherUser,
  selectScreen,
  selectFailure,
  selectOpenPrompt,
  selectPhase,
  selectRequestFailed,
  selectThrottledUntil,
} from '../store/selectors';
import { useBefore, useGreeter, useGreeterStore, useT } from './context';
import { FAILURE_ID, REQUEST_ERROR_ID } from './MessagesArea';
import { SecretInput } from './SecretInput';

const TERMINAL_PHASES = new Set(['idle', 'success', 'failure', 'locked']);

/** Reads a field's text and empties the field in the same step. */
function takeValue(ref: RefObject<HTMLInputElement | null>): string {
  const input = ref.current;
  if (input === null) return '';
  const value = input.value;
  input.value = '';
  return value;
}

interface AuthFormProps {
  mode: GreeterMode;
  currentUser: string | null;
  headingId: string;
}

export function AuthForm({ mode, currentUser, headingId }: AuthFormProps) {
  const t = useT();
  const store = useGreeterStore();
  const openPrompt = useGreeter(selectOpenPrompt);
  const phase = useGreeter(selectPhase);
  const active = useGreeter(selectAttemptActive);
  const busy = useGreeter(selectBusy);
  const failure = useGreeter(selectFailure);
  const requestFailed = useGreeter(selectRequestFailed);
  const throttledUntil = useGreeter(selectThrottledUntil);
  const throttled = useBefore(throttledUntil);

  // The unlock screen names the locked session's user; should main not say who that is, the
  // person types it rather than facing a form that cannot be submitted.
  const showUserField = mode === 'login' || currentUser === null;
  const screen = useGreeter(selectScreen);
  const chosenUser = useGreeter(selectChosenUser);
  const otherUser = useGreeter(selectOtherUser);
  // Without a user list, the remembered user is typed in already.
  const [user, setUser] = useState(
    currentUser ?? chosenUser ?? (screen?.users === null ? screen.lastUser : null) ?? '',
  );
  // A name there from the start sends the focus to the password: as the field's autofocus, so
  // that a served first paint (../first-paint.ts) has it before the page's script runs.
  const [startInPassword] = useState(() => !showUserField || user !== '');
  const [userMissing, setUserMissing] = useState(false);
  const pendingPassword = useRef<string | null>(null);
  const userRef = useRef<HTMLInputElement | null>(null);
  const passwordRef = useRef<HTMLInputElement | null>(null);
  const promptRef = useRef<HTMLInputElement | null>(null);

  // Answer the first secret prompt of our attempt with the password typed before Enter; drop
  // the password when the attempt ends without asking for it.
  useEffect(
    () =>
      store.subscribe((state, previous) => {
        if (pendingPassword.current === null) return;
        const prompt = selectOpenPrompt(state);
        if (prompt !== null && prompt.secret) {
          const text = pendingPassword.current;
          pendingPassword.current = null;
          void state.answer(text);
        } else if (
          state.snapshot !== previous.snapshot &&
          TERMINAL_PHASES.has(state.snapshot.phase)
        ) {
          pendingPassword.current = null;
        }
      }),
    [store],
  );

  // A served first paint is typeable before hydration, which keeps what was typed in the DOM
  // but not in state: take it over before anything renders the field again (and empties it).
  useLayoutEffect(() => {
    const typed = userRef.current?.value;
    if (typed !== undefined && typed !== user) setUser(typed);
    // eslint-disable-next-line react-hooks/exhaustive-deps -- once, on the first commit
  }, []);

  // Picking in the user list: a listed user fills the name and moves on to the password;
  // "Other user…" empties the name field and focuses it. A name already there at the start
  // (the remembered user) sends the focus to the password as well.
  const [picked, setPicked] = useState({ chosenUser, otherUser });
  if (picked.chosenUser !== chosenUser || picked.otherUser !== otherUser) {
    // Adjusted while rendering (React's pattern for state derived from a changed input).
    setPicked({ chosenUser, otherUser });
    if (chosenUser !== null) {
      setUser(chosenUser);
      setUserMissing(false);
    } else if (otherUser) {
      setUser('');
    }
  }
  useEffect(() => {
    if (chosenUser !== null) passwordRef.current?.focus();
    else if (otherUser) userRef.current?.focus();
    else if (userRef.current !== null && userRef.current.value !== '') passwordRef.current?.focus();
  }, [chosenUser, otherUser]);

  // Focus follows the conversation: a new prompt takes focus; after a failure the password
  // field does, so the person can simply type again.
  useEffect(() => {
    if (openPrompt !== null) promptRef.current?.focus();
  }, [openPrompt]);
  // Keyed on the phase, not the failure object: a re-pushed copy of the same failure must not
  // pull focus away from a field the person has moved to since.
  const ended = phase === 'failure' || phase === 'locked';
  useEffect(() => {
    if (!ended) return;
    const userEmpty = userRef.current !== null && userRef.current.value.trim() === '';
    (userEmpty ? userRef : passwordRef).current?.focus();
  }, [ended]);

  const cancel = () => {
    pendingPassword.current = null;
    takeValue(passwordRef);
    takeValue(promptRef);
    const state = store.getState();
    if (selectAttemptActive(state)) void state.cancel();
  };

  // Esc cancels from anywhere on the screen, not only inside the form.
  const cancelRef = useRef(cancel);
  useEffect(() => {
    cancelRef.current = cancel;
  });
  useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && !event.defaultPrevented) {
        event.preventDefault();
        cancelRef.current();
      }
    };
    document.addEventListener('keydown', onKeyDown);
    return () => document.removeEventListener('keydown', onKeyDown);
  }, []);

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const actions = store.getState();
    if (openPrompt !== null) {
      void actions.answer(takeValue(promptRef));
      return;
    }
    if (busy || throttled || phase === 'success') return;
    const name = showUserField ? user.trim() : (currentUser ?? '');
    if (name === '') {
      setUserMissing(true);
      userRef.current?.focus();
      return;
    }
    setUserMissing(false);
    // An empty password is allowed: a security-key-only stack asks nothing, and any prompt
    // that does come is then shown as its own field.
    const password = takeValue(passwordRef);
    pendingPassword.current = password === '' ? null : password;
    void actions.startAuth(name).then((sent) => {
      if (!sent) pendingPassword.current = null;
    });
  };

  const errorIds = [
    ...(failure !== null ? [FAILURE_ID] : []),
    ...(requestFailed ? [REQUEST_ERROR_ID] : []),
  ];
  const attemptRunning = phase === 'success' || active;
  const userErrorId = 'user-error';

  return (
    <form className="form" onSubmit={submit} aria-labelledby={headingId} noValidate>
      {showUserField ? (
        <div className="field">
          <label htmlFor="user">{t.userLabel}</label>
          <input
            id="user"
            ref={userRef}
            className="input"
            type="text"
            value={user}
            onChange={(event) => {
              setUser(event.target.value);
              if (userMissing) setUserMissing(false);
            }}
            autoComplete="username"
            autoCapitalize="off"
            autoCorrect="off"
            spellCheck={false}
            readOnly={attemptRunning}
            aria-invalid={userMissing}
            aria-describedby={userMissing ? userErrorId : undefined}
            data-testid="user"
            autoFocus={!startInPassword}
          />
          {userMissing && (
            <p id={userErrorId} className="field-error" role="alert" data-testid="user-error">
              {t.userRequired}
            </p>
          )}
        </div>
      ) : (
        <div className="field current-user">
          <span className="current-user-label">{t.currentUserLabel}</span>
          <span className="current-user-name" data-testid="current-user">
            {currentUser}
          </span>
        </div>
      )}

      {openPrompt !== null ? (
        <SecretInput
          key={`${openPrompt.secret}:${openPrompt.text}`}
          id="prompt-answer"
          label={openPrompt.text.trim() === '' ? t.passwordLabel : openPrompt.text.trim()}
          ref={promptRef}
          secret={openPrompt.secret}
          describedBy={[...errorIds, 'form-hint']}
          readOnly={false}
          testId="prompt-answer"
        />
      ) : (
        <SecretInput
          id="password"
          label={t.passwordLabel}
          ref={passwordRef}
          secret
          describedBy={[...errorIds, 'form-hint']}
          readOnly={attemptRunning}
          testId="password"
          autoFocus={startInPassword}
        />
      )}

      <p id="form-hint" className="hint">
        {t.passwordHint}
      </p>

      <div className="actions">
        <button
          type="submit"
          className="primary"
          aria-disabled={(busy || throttled || phase === 'success') && openPrompt === null}
          data-testid="submit"
        >
          {mode === 'unlock' ? t.unlock : t.signIn}
        </button>
        {active && (
          <button type="button" className="secondary" onClick={cancel} data-testid="cancel">
            {t.cancel}
          </button>
        )}
      </div>
    </form>
  );
}
