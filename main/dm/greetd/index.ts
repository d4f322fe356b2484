// greetd (https://git.sr.ht/~kennylevinsen/greetd, Debian's 0.9) as the carrier of the
// login conversation: start here.
//
// When greetd is the display manager it starts the greeter (us, under the `cage` kiosk
// compositor: resources/greetd/config.toml) as its greeter account with GREETD_SOCK set.
// `greetdTransportFromEnv()` then gives the AuthTransport (main/auth/transport.ts) the auth
// controller uses, exactly as it uses the PAM helper's: the renderer never knows which runs.
//
//   begin(user)         → create_session {username}
//     auth_message secret/visible → a `prompt` event; answer() → post_auth_message_response
//     auth_message info/error     → an `info`/`error` event, acknowledged at once with
//                                   `response: null` (OFFLINE_ERROR:<code>:<secs> lines from
//                                   pam_exec arrive this way)
//     success             → outcome ok (the only success)
//     error auth_error    → refused: PAM's code from greetd's `pam_<fn>: <NAME>` description
//                           (`pam_authenticate: AUTH_ERR` → 7 PAM_AUTH_ERR, stage
//                           authenticate; `pam_acct_mgmt: …` → stage acct_mgmt), else 7
//     error error         → the same when the description names a PAM verdict, else
//                           client-error GREETD_ERROR (greetd's own failure, never "wrong
//                           password"); its description, cleaned to one line, in the message
//     after any error     → cancel_session, before the outcome is told: greetd keeps a failed
//                           session half-made until then and refuses the next create_session
//   cancel()            → cancel_session (after the reply in flight, if one is)
//   startSession({command, env}) → start_session {cmd, env} → success: the app must exit
//                         now (`onSessionStarted`, `mustExitBy`): greetd starts the session
//                         only once the greeter is gone, and kills it after 5 s.
//
// Failure rules (DESIGN.md): connection lost, a timeout, malformed bytes (bad JSON, unknown
// type, wrong field types, a length above MAX_REPLY_BYTES, a reply cut or dripped slower than
// the message bound), a reply nobody asked for: client-error with a typed code, and the
// connection is dropped (the next attempt reconnects and sends cancel_session first).
// greetd itself never times out a greeter, so every bound here is ours.
//
// Files: ./codec.ts (wire format, strict decoding), ./greetd-client.ts (connection,
// conversation, transport). Tests: ./codec.test.ts (incl. property tests),
// ./greetd-client.test.ts (a hostile stand-in socket), ./greetd-client.greetd.test.ts (real
// greetd as root, through testkit/dm/greetd-rig.ts).
//
// greetd has no screen lock: a session locks with its own ext-session-lock locker
// (DESIGN.md, issue 8 item 5). This transport serves the login screen only.
export {
  encodeRequest,
  GreetdCodecError,
  MAX_ANSWER_BYTES,
  MAX_REPLY_BYTES,
  MAX_REQUEST_BYTES,
  parseReply,
  ReplyDecoder,
  type AuthMessageType,
  type GreetdCodecErrorCode,
  type GreetdErrorType,
  type GreetdReply,
  type GreetdRequest,
} from './codec';
export {
  cleanDescription,
  DEFAULT_DEADLINE_MS,
  DEFAULT_MESSAGE_TIMEOUT_MS,
  DEFAULT_REPLY_TIMEOUT_MS,
  GREETER_EXIT_DEADLINE_MS,
  greetdTransport,
  greetdTransportFromEnv,
  GreetdClientError,
  GreetdTransport,
  isGreetdEnvironment,
  pamResultFromDescription,
  type GreetdClientErrorCode,
  type GreetdTransportOptions,
} from './greetd-client';
