// The site's say over the key side: greeter.conf `security-keys` / `lock-on-key-removal`
// (strict booleans, safe values on bad input, ignored by the login screen's own parser), and
// when the backend may run the key transaction at all (setting on, helper carrier only).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthTransport } from '../auth/transport';
import {
  DEFAULT_SECURITY_KEY_SETTINGS,
  loadSecurityKeySettings,
  parsePolicy,
  parseSecurityKeySettings,
} from '../screens/policy';
import { keySide, sessionLockFromEnvironment, type SecurityKeyWiring } from './security-keys';

const dir = mkdtempSync(join(tmpdir(), 'bastion-key-settings-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const WIRING: SecurityKeyWiring = {
  devices: {
    list: () => Promise.reject(new Error('no device may be listed by this test')),
    open: () => Promise.reject(new Error('no device may be opened by this test')),
  },
};

function sideFor(policy: string, dmTransport: AuthTransport | null = null) {
  const path = join(dir, `greeter-${Math.random().toString(16).slice(2)}.conf`);
  writeFileSync(path, policy);
  const lines: string[] = [];
  const side = keySide({
    wiring: WIRING,
    dmTransport,
    policyPath: path,
    helperPath: '/nonexistent/helper',
    socketPath: null,
    helperEnv: {},
    deadlineMs: undefined,
    log: (line) => lines.push(line),
  });
  return { side, lines };
}

describe('greeter.conf security-keys and lock-on-key-removal', () => {
  it('default off; true/false as written; a bad value takes the safe one and is logged', () => {
    assert.deepEqual(parseSecurityKeySettings(''), DEFAULT_SECURITY_KEY_SETTINGS);
    assert.deepEqual(
      parseSecurityKeySettings('[greeter]\nsecurity-keys = true\nlock-on-key-removal=true\n'),
      { securityKeys: true, lockOnKeyRemoval: true },
    );
    const log: string[] = [];
    assert.deepEqual(
      parseSecurityKeySettings('[greeter]\nsecurity-keys = yes\nlock-on-key-removal = 0\n', (l) =>
        log.push(l),
      ),
      { securityKeys: false, lockOnKeyRemoval: true },
    );
    assert.equal(log.length, 2);
    // Outside [greeter], commented out, or repeated (the first wins): not taken.
    assert.deepEqual(
      parseSecurityKeySettings(
        'security-keys=true\n[other]\nsecurity-keys=true\n[greeter]\n# security-keys=true\n',
      ),
      DEFAULT_SECURITY_KEY_SETTINGS,
    );
    assert.equal(
      parseSecurityKeySettings('[greeter]\nsecurity-keys=false\nsecurity-keys=true\n').securityKeys,
      false,
    );
  });

  it("the login screen's parser does not call them unknown keys", () => {
    const log: string[] = [];
    parsePolicy('[greeter]\nsecurity-keys = true\nlock-on-key-removal = false\n', (l) =>
      log.push(l),
    );
    assert.deepEqual(log, []);
  });

  it('a file that cannot be accepted turns keys off (and removal locking on)', () => {
    const target = join(dir, 'real.conf');
    writeFileSync(target, '[greeter]\nsecurity-keys = true\n');
    const link = join(dir, 'link.conf');
    symlinkSync(target, link);
    assert.deepEqual(loadSecurityKeySettings(link), {
      securityKeys: false,
      lockOnKeyRemoval: true,
    });
    assert.deepEqual(
      loadSecurityKeySettings(join(dir, 'absent.conf')),
      DEFAULT_SECURITY_KEY_SETTINGS,
    );
    const bad = join(dir, 'bad-utf8.conf');
    writeFileSync(bad, Buffer.from([0x5b, 0xff, 0xfe]));
    assert.equal(loadSecurityKeySettings(bad).securityKeys, false);
  });
});

describe('when the key side runs', () => {
  it('off unless the site turns it on; no device is touched to decide', () => {
    const { side } = sideFor('[greeter]\n');
    assert.equal(side.enabled, false);
    assert.deepEqual(side.controller, {});
  });

  it('on with the helper: a key transport of its own service, readiness by listing', () => {
    const { side } = sideFor('[greeter]\nsecurity-keys = true\n');
    assert.equal(side.enabled, true);
    assert.equal(side.controller.keyTransport?.kind, 'helper');
    assert.equal(typeof side.controller.keyReady, 'function');
    assert.equal(typeof side.controller.keyPinRetries, 'function');
  });

  it('under a display manager: both sides take turns on its one conversation, and says so', () => {
    const dm: AuthTransport = {
      kind: 'lightdm',
      begin: () => {
        throw new Error('not started here');
      },
      startSession: async () => ({ ok: true }),
    } as unknown as AuthTransport;
    const { side, lines } = sideFor('[greeter]\nsecurity-keys = true\n', dm);
    assert.equal(side.enabled, true);
    // The route's two sides replace the display manager's transport in the controller.
    assert.equal(side.controller.transport?.kind, 'lightdm');
    assert.notEqual(side.controller.transport, dm);
    assert.equal(side.controller.keyTransport?.kind, 'lightdm');
    assert.equal(typeof side.controller.transport?.startSession, 'function');
    assert.match(lines.join('\n'), /taking turns on lightdm/);
  });

  it('the session lock exists only on the unlock screen with a plausible XDG_SESSION_ID', () => {
    const none = () => undefined;
    assert.equal(sessionLockFromEnvironment('login', { XDG_SESSION_ID: '2' }, none), null);
    assert.equal(sessionLockFromEnvironment('unlock', {}, none), null);
    assert.equal(sessionLockFromEnvironment('unlock', { XDG_SESSION_ID: '2; rm' }, none), null);
    assert.equal(
      typeof sessionLockFromEnvironment('unlock', { XDG_SESSION_ID: 'c1' }, none),
      'function',
    );
  });
});
