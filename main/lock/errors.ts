// Typed errors of the session locker (main/lock).
export type LockErrorCode =
  | 'LOCK_NOT_LIGHTDM' // no XDG_SESSION_PATH / XDG_SEAT_PATH: LightDM did not start this session
  | 'LOCK_NOT_X11' // no X display (Wayland or a text session): the light-locker model does not apply
  | 'LOCK_NO_SESSION' // the logind session could not be found
  | 'LOCK_BAD_PATH' // an object path or id of an unexpected shape
  | 'LOCK_SCREEN_UNSUPPORTED' // DISPLAY names an X screen other than 0 (multi-screen setups)
  | 'BLANKER_FAILED' // the blanker did not come up (could not start, or no covering window in time)
  | 'DM_LOCK_FAILED'; // LightDM refused or did not answer the lock request

export class LockError extends Error {
  readonly code: LockErrorCode;
  constructor(code: LockErrorCode, message: string) {
    super(message);
    this.name = 'LockError';
    this.code = code;
  }
}
