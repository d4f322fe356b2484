// Power actions (logind Can*/Suspend/Reboot/PowerOff over busctl) and lock before suspend
// (a logind delay inhibitor held by a child process). No electron, no npm D-Bus library.
export {
  BusctlError,
  busctlCall,
  parseBusctlReply,
  replyString,
  MAX_BUSCTL_OUTPUT,
  type BusctlErrorCode,
  type BusctlOptions,
  type BusctlReply,
} from './busctl';
export {
  LogindPowerActions,
  PowerActionError,
  POWER_ACTIONS,
  canAnswerAllows,
  type LogindPowerOptions,
  type PowerActionErrorCode,
  type PowerActions,
} from './logind';
export {
  SleepInhibitor,
  SleepInhibitorError,
  MAX_SETTLE_MS,
  parsePrepareForSleep,
  startSleepLockGuard,
  type SleepInhibitorOptions,
  type SleepLockGuard,
  type SleepLockGuardOptions,
} from './sleep-inhibitor';
