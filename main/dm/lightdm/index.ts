// Bastion Greeter as a LightDM greeter. Start here.
//
// LightDM starts the greeter with two pipes, LIGHTDM_TO_SERVER_FD and LIGHTDM_FROM_SERVER_FD
// (numbers in its environment), and speaks a small binary protocol over them (./codec.ts:
// u32 BE id + u32 BE length + payload; REFERENCES.md "Real daemons" has the facts). This
// folder turns that into the AuthTransport of main/auth/transport.ts, so the auth state
// machine, OFFLINE_* parsing, countdowns and throttling run unchanged over LightDM.
//
//   codec.ts           framing both ways; strict, bounded, incremental (typed LightdmCodecError)
//   hints.ts           CONNECTED/RESET hints → LightdmHints; the autologin policy
//   greeter-client.ts  the connection: CONNECT, conversations, START_SESSION, RESET/IDLE, SIGTERM
//   pam-codes.ts       PAM result numbers → Linux-PAM names (the helper's spelling)
//
// How the app uses it:
//
//   const pipes = lightdmPipesFromEnvironment();          // null: not under LightDM
//   const greeter = await connectFromEnvironment();        // CONNECT (api 1, resettable)
//   greeter.hints  // hideUsers, showManualLogin, defaultSession, lockScreen (unlock mode), …
//   new AuthController({ transport: greeter.transport, … })   // conversations as usual
//   await greeter.transport.startSession!({ name, command: [], env: [] })  // after a success
//   greeter.onIdle(() => hide windows);  greeter.onReset((hints) => show, unlock if lockScreen)
//   greeter.ended.then(...)                                // the app quits here
//
// Decisions (DESIGN.md "Failure rules" applied to LightDM):
// * Only END_AUTHENTICATION result 0 for the conversation's own sequence (and user, when one
//   was named) is a success; anything else is `refused` (with the PAM code and its name,
//   stage 'authenticate') or a `client-error`. A protocol violation, a stalled message or the
//   end of the pipes closes the connection for good: the app should exit non-zero and
//   LightDM starts a fresh greeter.
// * Batching: one PROMPT_AUTHENTICATION may carry several PAM messages; each becomes one
//   event, in order, and CONTINUE_AUTHENTICATION is sent once every prompt of the batch has
//   its answer (exactly one string per prompt).
// * Cancel: CANCEL_AUTHENTICATION gets no reply from LightDM; the conversation ends locally
//   as CANCELLED and late messages of its sequence are dropped.
// * Autologin: refused on purpose (hints.ts AUTOLOGIN_POLICY). The hints are exposed so the
//   screen can say nothing misleading, but the greeter never counts down and refuses to
//   authenticate the autologin-user, which LightDM would do without a password.
// * Guest and remote logins are not offered (AUTHENTICATE_AS_GUEST/_REMOTE are never sent).
// * Size: LightDM cuts any message over 1 KiB while keeping its full length in the header;
//   such a header is refused at once (MESSAGE_TOO_LARGE) instead of waiting for bytes that
//   never come. Keep PAM texts well under ~990 bytes.
// * Timeouts (defaults): CONNECTED 10 s; one conversation 120 s (the helper's deadline);
//   SESSION_RESULT 30 s; a begun message must complete within 5 s; after SIGTERM, 300 ms to
//   read a SESSION_RESULT already written.
// * Session start: a non-resettable greeter is SIGTERMed by LightDM once the session is
//   accepted (SESSION_RESULT may come just before or after the signal), and LightDM starts
//   the session only after the greeter exits. With handleSigterm (connectFromEnvironment's
//   default) the client drains, resolves `ended` ('terminated', sessionStarted) and exits the
//   process. A resettable greeter instead gets IDLE and stays for the lock screen (RESET).
// * Answers are never logged; the Buffers holding them are zeroed once written.
export { AUTOLOGIN_POLICY, readHints, type AutologinHints, type LightdmHints } from './hints';
export {
  connectFromEnvironment,
  lightdmPipesFromEnvironment,
  LightdmClientError,
  LightdmGreeter,
  type LightdmClientErrorCode,
  type LightdmEnd,
  type LightdmGreeterOptions,
} from './greeter-client';
export { LightdmCodecError, type LightdmCodecErrorCode } from './codec';
export { pamCodeName } from './pam-codes';
