// What the login screen shows around the form (preload/api.ts ScreenOptions), gathered once:
// desktop sessions (./sessions), the user list (./users), the site policy (./policy) and the
// remembered choices (./choices). The backend (main/ipc/greeter-backend.ts) serves it to the
// renderer, checks the session a sign-in names against it and, after a success, builds the
// SessionRequest for the display manager and remembers the choice.
import type { GreeterMode, Locale, ScreenOptions } from '../../preload/api';
import type { SessionRequest } from '../auth/transport';
import { ChoicesStore } from './choices';
import { DEFAULT_POLICY_PATH, loadPolicy, type GreeterPolicy } from './policy';
import {
  listSessions,
  sessionOption,
  sessionRequest,
  SYSTEM_SESSION_DIRS,
  type DesktopSession,
  type SessionDirs,
} from './sessions';
import { DEFAULT_KEYBOARD_PATH, loadKeyboardLayouts } from './keyboard';
import { listUsers } from './users';

/** Where the screen's facts come from; every path has the system's default. */
export interface ScreenSources {
  sessionDirs?: SessionDirs;
  /** PATH for TryExec (default: this process's). */
  path?: string;
  /** greeter.conf (default /etc/bastion-greeter/greeter.conf). */
  policyPath?: string;
  passwdPath?: string;
  loginDefsPath?: string;
  iconsDir?: string;
  /** /etc/default/keyboard (default), for the layout indicator. */
  keyboardPath?: string;
  /** The display manager's `hide-users` hint (LightDM): no user list. */
  dmHideUsers?: boolean;
  /** The display manager's `default-session` hint, preselected when offered. */
  dmDefaultSession?: string | null;
}

export interface ScreenServiceOptions extends ScreenSources {
  mode: GreeterMode;
  locale: Locale;
  /** The greeter account's state dir (remembered choices); null: nothing is remembered. */
  stateDir: string | null;
  log?: (line: string) => void;
}

interface Loaded {
  options: ScreenLayout;
  policy: GreeterPolicy;
  sessions: Map<string, DesktopSession>;
}

/**
 * ScreenOptions without the power actions (asked from logind by the backend each time), the
 * assistive tools (checked by the backend's launcher each time) and the keyboard switch
 * (the backend's switcher and the layout it made active).
 */
export type ScreenLayout = Omit<
  ScreenOptions,
  'powerActions' | 'assistiveTools' | 'keyboardSwitchable' | 'keyboardCurrent'
>;

export class ScreenService {
  private loaded: Loaded | null = null;
  private readonly store: ChoicesStore | null;
  private readonly log: (line: string) => void;

  constructor(private readonly config: ScreenServiceOptions) {
    this.log = config.log ?? (() => undefined);
    this.store = config.stateDir === null ? null : new ChoicesStore(config.stateDir, this.log);
  }

  /** The screen options, read on first use and kept (the renderer asks once). */
  options(): ScreenLayout {
    return structuredClone(this.load().options);
  }

  policy(): GreeterPolicy {
    return this.load().policy;
  }

  /** Whether `id` is one of the sessions offered. */
  offers(id: string): boolean {
    return this.load().sessions.has(id);
  }

  /**
   * The SessionRequest for `id` (an offered session), or for the default session when null;
   * null when no session is offered at all (the display manager's default then applies).
   */
  sessionRequest(id: string | null): SessionRequest | null {
    const loaded = this.load();
    const chosen = id ?? loaded.options.defaultSession;
    const session = chosen === null ? undefined : loaded.sessions.get(chosen);
    return session === undefined ? null : sessionRequest(session);
  }

  /** After a successful sign-in: remembers user and session as the policy allows. */
  async remember(user: string, session: string | null): Promise<void> {
    if (this.config.mode !== 'login' || this.store === null) return;
    const policy = this.policy();
    const update = {
      user: policy.rememberLastUser,
      session:
        policy.rememberLastSession && session !== null && this.offers(session) ? session : null,
    };
    if (!update.user && update.session === null) return;
    try {
      await this.store.remember(user, update);
    } catch (error) {
      this.log(`choices: not written (${(error as Error).message})`);
    }
  }

  private load(): Loaded {
    if (this.loaded !== null) return this.loaded;
    const { config, log } = this;
    const policy = loadPolicy(config.policyPath ?? DEFAULT_POLICY_PATH, log);
    const keyboardLayouts = loadKeyboardLayouts(config.keyboardPath ?? DEFAULT_KEYBOARD_PATH, log);
    if (config.mode === 'unlock') {
      // The unlock screen shows neither sessions nor other users, and asks no notice again.
      this.loaded = {
        policy,
        sessions: new Map(),
        options: {
          sessions: [],
          defaultSession: null,
          users: null,
          lastUser: null,
          notice: null,
          hidePowerActions: policy.hidePowerActions,
          keyboardLayouts,
        },
      };
      return this.loaded;
    }
    const found = listSessions({
      dirs: config.sessionDirs ?? SYSTEM_SESSION_DIRS,
      ...(config.path === undefined ? {} : { path: config.path }),
      log,
    });
    const sessions = new Map(found.map((s) => [s.id, s]));
    const choices = this.store?.load() ?? { lastUser: null, sessions: new Map<string, string>() };
    const remembered = (user: string): string | null => {
      const id = policy.rememberLastSession ? choices.sessions.get(user) : undefined;
      return id !== undefined && sessions.has(id) ? id : null;
    };
    const hideUsers = policy.hideUserList || config.dmHideUsers === true;
    const users = hideUsers
      ? null
      : listUsers({
          ...(config.passwdPath === undefined ? {} : { passwdPath: config.passwdPath }),
          ...(config.loginDefsPath === undefined ? {} : { loginDefsPath: config.loginDefsPath }),
          ...(config.iconsDir === undefined ? {} : { iconsDir: config.iconsDir }),
          log,
        }).map((user) => ({ ...user, session: remembered(user.name) }));
    const lastUser = policy.rememberLastUser ? choices.lastUser : null;
    const hint = config.dmDefaultSession ?? null;
    const defaultSession =
      (lastUser === null ? null : remembered(lastUser)) ??
      (hint !== null && sessions.has(hint) ? hint : null) ??
      found[0]?.id ??
      null;
    this.loaded = {
      policy,
      sessions,
      options: {
        sessions: found.map((s) => sessionOption(s, config.locale)),
        defaultSession,
        users,
        lastUser,
        notice: policy.notice,
        hidePowerActions: policy.hidePowerActions,
        keyboardLayouts,
      },
    };
    return this.loaded;
  }
}
