// Power actions through logind (org.freedesktop.login1.Manager) over busctl.
//
// Shown only when logind answers `yes` to Can*. `challenge` means polkit would ask for a
// password: the greeter runs as the display manager's greeter account with no polkit agent
// and calls with interactive=false, so the call would be refused — treated as not allowed
// (hidden), like `no`, `na` and any error. A hidden action is also refused when asked for.
import type { PowerAction } from '../../preload/api';
import { busctlCall, replyString, type BusctlOptions } from './busctl';

/** Every action, in menu order. */
export const POWER_ACTIONS: readonly PowerAction[] = ['suspend', 'reboot', 'power-off'];

const CAN_METHOD: Readonly<Record<PowerAction, string>> = {
  suspend: 'CanSuspend',
  reboot: 'CanReboot',
  'power-off': 'CanPowerOff',
};
const ACTION_METHOD: Readonly<Record<PowerAction, string>> = {
  suspend: 'Suspend',
  reboot: 'Reboot',
  'power-off': 'PowerOff',
};

/** What main needs from a power provider (logind, or the demo's stand-in). */
export interface PowerActions {
  /** The actions allowed right now, in menu order; never rejects (errors: none allowed). */
  allowed(): Promise<PowerAction[]>;
  /** Runs `action` if it is allowed right now; rejects with PowerActionError otherwise. */
  run(action: PowerAction): Promise<void>;
}

export type PowerActionErrorCode = 'POWER_NOT_ALLOWED' | 'POWER_FAILED';

export class PowerActionError extends Error {
  readonly code: PowerActionErrorCode;
  constructor(code: PowerActionErrorCode, message: string) {
    super(message);
    this.name = 'PowerActionError';
    this.code = code;
  }
}

/** logind's Can* answer → allowed. Only an exact `yes` is (see the file comment). */
export function canAnswerAllows(answer: string): boolean {
  return answer === 'yes';
}

export interface LogindPowerOptions extends BusctlOptions {
  /** Diagnostic lines (default: none). */
  log?: (line: string) => void;
}

export class LogindPowerActions implements PowerActions {
  constructor(private readonly options: LogindPowerOptions = {}) {}

  /** logind's answer to Can<action>, or null when it could not be asked. */
  async can(action: PowerAction): Promise<string | null> {
    try {
      return replyString(await busctlCall(this.options, CAN_METHOD[action]));
    } catch (error) {
      this.options.log?.(`${CAN_METHOD[action]}: ${(error as Error).message}`);
      return null;
    }
  }

  async allowed(): Promise<PowerAction[]> {
    const answers = await Promise.all(POWER_ACTIONS.map((action) => this.can(action)));
    return POWER_ACTIONS.filter((_, i) => {
      const answer = answers[i];
      return answer !== null && answer !== undefined && canAnswerAllows(answer);
    });
  }

  async run(action: PowerAction): Promise<void> {
    const answer = await this.can(action);
    if (answer === null || !canAnswerAllows(answer)) {
      throw new PowerActionError('POWER_NOT_ALLOWED', `${action} is not allowed here`);
    }
    try {
      // interactive=false: the greeter account has no polkit agent to answer a challenge.
      await busctlCall(this.options, ACTION_METHOD[action], ['b', 'false']);
    } catch (error) {
      throw new PowerActionError('POWER_FAILED', `${action}: ${(error as Error).message}`);
    }
  }
}
