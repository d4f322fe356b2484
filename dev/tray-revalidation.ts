// TEST/DEV ONLY: the session guard behind the Chromium fallback's tray (./tray-server.ts), so
// the status view shows main/monitor's own revalidation against a real portal (the
// LemonLDAP::NG rig, with Open Bastion's /pam/userinfo). BASTION_DEV_TRAY_REVALIDATE names a
// JSON file (never the secrets themselves: they stay out of env and argv):
//
//   { "issuer": "https://auth.example.com:8443/",   the portal (https; http on loopback)
//     "caFile": "/…/ca.pem", "pins": ["sha256//…"],  optional TLS policy (main/sso)
//     "resolve": { "auth.example.com": "127.0.0.1" }, optional, test rigs only
//     "serverTokenFile": "/…/token",                  Open Bastion's server token (required)
//     "signingSecretFile": "/…/secret",               optional request signing secret
//     "stateDir": "/…/state" }                        offline-sessions/ and force-online/users
//
// Offline sessions are the real marker files (main/monitor/offline-sessions), force-online the
// real list; ending a session is a STAND-IN that only logs: a development server must never
// terminate the machine's logind sessions. Production runs none of this in the tray: the root
// guard (`bastion-offline guard`, main/monitor/root-guard.ts) does it from a systemd timer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createOpenBastionClient } from '../main/sso/index';
import { FileForceOnlineList } from '../main/monitor/force-online';
import { FileOfflineSessions } from '../main/monitor/offline-sessions';
import { PamUserinfoRevalidator } from '../main/monitor/revalidate';
import type { SessionEnder } from '../main/monitor/session-ender';
import { SessionGuard } from '../main/monitor/session-guard';

export class TrayRevalidationConfigError extends Error {
  readonly code = 'DEV_TRAY_REVALIDATE_INVALID';
  constructor(message: string) {
    super(`BASTION_DEV_TRAY_REVALIDATE: ${message}`);
    this.name = 'TrayRevalidationConfigError';
  }
}

export interface TrayRevalidationConfig {
  issuer: string;
  caFile?: string;
  pins?: string[];
  resolve?: Record<string, string>;
  serverTokenFile: string;
  signingSecretFile?: string;
  stateDir: string;
}

const KEYS = new Set([
  'issuer',
  'caFile',
  'pins',
  'resolve',
  'serverTokenFile',
  'signingSecretFile',
  'stateDir',
]);

const absolute = (json: Record<string, unknown>, key: string, required: boolean): string => {
  const value = json[key];
  if (value === undefined && !required) return '';
  if (typeof value !== 'string' || !value.startsWith('/'))
    throw new TrayRevalidationConfigError(`${key} must be an absolute path`);
  return value;
};

/** Strict: an unknown key or a mistyped value refuses the whole file. */
export function parseTrayRevalidationConfig(text: string): TrayRevalidationConfig {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new TrayRevalidationConfigError('not JSON');
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new TrayRevalidationConfigError('not a JSON object');
  const object = json as Record<string, unknown>;
  for (const key of Object.keys(object))
    if (!KEYS.has(key)) throw new TrayRevalidationConfigError(`unknown key ${key}`);
  if (typeof object.issuer !== 'string' || object.issuer === '')
    throw new TrayRevalidationConfigError('issuer must be a URL');
  const config: TrayRevalidationConfig = {
    issuer: object.issuer,
    serverTokenFile: absolute(object, 'serverTokenFile', true),
    stateDir: absolute(object, 'stateDir', true),
  };
  const caFile = absolute(object, 'caFile', false);
  if (caFile) config.caFile = caFile;
  const secret = absolute(object, 'signingSecretFile', false);
  if (secret) config.signingSecretFile = secret;
  if (object.pins !== undefined) {
    if (!Array.isArray(object.pins) || !object.pins.every((p) => typeof p === 'string'))
      throw new TrayRevalidationConfigError('pins must be a list of strings');
    config.pins = object.pins as string[];
  }
  if (object.resolve !== undefined) {
    const resolve = object.resolve;
    if (
      typeof resolve !== 'object' ||
      resolve === null ||
      Array.isArray(resolve) ||
      !Object.values(resolve).every((v) => typeof v === 'string')
    )
      throw new TrayRevalidationConfigError('resolve must map host names to addresses');
    config.resolve = resolve as Record<string, string>;
  }
  return config;
}

/** STAND-IN for logind's TerminateSession (./README: never end real sessions from dev). */
export class LoggingSessionEnderStandIn implements SessionEnder {
  constructor(private readonly log: (line: string) => void) {}
  async endSessionsOf(user: string, reason: string): Promise<number> {
    this.log(`(stand-in) the sessions of ${JSON.stringify(user)} would be ended (${reason})`);
    return 0;
  }
}

const secretFrom = (path: string): string => {
  const value = readFileSync(path, 'utf8').trim();
  if (value === '') throw new TrayRevalidationConfigError(`${path} is empty`);
  return value;
};

/** The guard the dev tray's OfflineModeMonitor runs after every check. */
export function trayRevalidationGuard(
  path: string,
  log: (line: string) => void,
): { guard: SessionGuard; sessions: FileOfflineSessions } {
  const config = parseTrayRevalidationConfig(readFileSync(path, 'utf8'));
  const sessions = new FileOfflineSessions(join(config.stateDir, 'offline-sessions'), log);
  const client = createOpenBastionClient({
    issuer: config.issuer,
    clientId: 'bastion-greeter',
    tls: {
      ...(config.caFile ? { caFile: config.caFile } : {}),
      ...(config.pins ? { pins: config.pins } : {}),
      allowLoopbackHttp: true,
    },
    timeoutMs: 4_000,
    ...(config.resolve ? { resolve: config.resolve } : {}),
    openBastion: {
      serverToken: secretFrom(config.serverTokenFile),
      ...(config.signingSecretFile ? { signingSecret: secretFrom(config.signingSecretFile) } : {}),
    },
    log,
  });
  const guard = new SessionGuard({
    sessions,
    revalidator: new PamUserinfoRevalidator(client),
    forceOnline: new FileForceOnlineList(join(config.stateDir, 'force-online', 'users')),
    ender: new LoggingSessionEnderStandIn(log),
    log,
  });
  return { guard, sessions };
}
