// The backend's screen options and the chosen session: served once, checked on startAuth,
// remembered after a success and handed to the display manager's startSession. The
// conversation runs through the real helper (test build) and real libpam (pam_matrix); only
// the display manager's session start is recorded by a stand-in (no LightDM/greetd carrier
// exists in this test), named as such.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuthSnapshot, ScreenOptions } from '../../preload/api';
import { matrixService } from '../../testkit/pam-stack';
import { requireOrSkip } from '../../testkit/require';
import { helperTransport } from '../auth/helper-transport';
import type { AuthTransport, SessionRequest } from '../auth/transport';
import {
  createHelperFixture,
  hasHelperTestBuild,
  HELPER_TEST_BINARY,
} from '../pam/test/real-helper';
import { createGreeterBackend, type GreeterBackendOptions } from './greeter-backend';
import { IpcValidationError } from './validate';

const root = mkdtempSync(join(tmpdir(), 'bastion-backend-screens-'));
after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;

function sources(policy = '') {
  const dir = join(root, `case-${n++}`);
  const x11 = join(dir, 'xsessions');
  const wayland = join(dir, 'wayland-sessions');
  mkdirSync(x11, { recursive: true });
  mkdirSync(wayland, { recursive: true });
  writeFileSync(
    join(x11, 'openbox.desktop'),
    '[Desktop Entry]\nName=Openbox\nExec=openbox-session\nType=Application\n',
  );
  writeFileSync(
    join(wayland, 'sway.desktop'),
    '[Desktop Entry]\nName=Sway\nExec=sway --unsupported-gpu\nType=Application\nDesktopNames=sway\n',
  );
  writeFileSync(join(dir, 'passwd'), 'alice:x:1000:1000:Alice:/home/alice:/bin/bash\n');
  writeFileSync(join(dir, 'greeter.conf'), policy);
  return {
    dir,
    screen: {
      sessionDirs: { x11, wayland },
      policyPath: join(dir, 'greeter.conf'),
      passwdPath: join(dir, 'passwd'),
      loginDefsPath: join(dir, 'login.defs'),
      iconsDir: join(dir, 'icons'),
    },
  };
}

const base = (overrides: Partial<GreeterBackendOptions>): GreeterBackendOptions => ({
  mode: 'login',
  locale: 'en',
  host: 'dev-chromium',
  currentUser: null,
  helperPath: '/nonexistent/bastion-pam-helper',
  log: () => undefined,
  ...overrides,
});

describe('greeter backend: screen options and sessions', () => {
  it('getScreenOptions: sessions, users, policy; the same answer every time', async () => {
    const { dir, screen } = sources(
      '[greeter]\nbanner-message=Authorized use only\nhide-power-actions=true\n',
    );
    const backend = createGreeterBackend(base({ screen, stateDir: join(dir, 'state') }));
    const options = (await backend.handle('getScreenOptions', undefined)) as ScreenOptions;
    assert.deepEqual(options.sessions, [
      { id: 'openbox', name: 'Openbox', type: 'x11' },
      { id: 'sway', name: 'Sway', type: 'wayland' },
    ]);
    assert.equal(options.defaultSession, 'openbox');
    assert.deepEqual(options.users, [
      { name: 'alice', realName: 'Alice', icon: null, session: null },
    ]);
    assert.deepEqual(options.notice, { kind: 'site', text: 'Authorized use only' });
    assert.equal(options.hidePowerActions, true);
    assert.deepEqual(await backend.handle('getScreenOptions', undefined), options);
    await backend.close();
  });

  it('startAuth refuses a session it did not offer, and any session on the unlock screen', async () => {
    const { dir, screen } = sources();
    const login = createGreeterBackend(base({ screen, stateDir: join(dir, 'state') }));
    await assert.rejects(
      login.handle('startAuth', { user: 'alice', session: 'gnome' }),
      (e) => e instanceof IpcValidationError && e.code === 'SESSION_UNKNOWN',
    );
    assert.equal(
      ((await login.handle('getAuthSnapshot', undefined)) as AuthSnapshot).phase,
      'idle',
    );
    await login.close();
    const unlock = createGreeterBackend(
      base({ screen, stateDir: null, mode: 'unlock', currentUser: 'alice' }),
    );
    await assert.rejects(
      unlock.handle('startAuth', { user: 'alice', session: 'sway' }),
      (e) => e instanceof IpcValidationError && e.code === 'SESSION_UNKNOWN',
    );
    await unlock.close();
  });

  it('after a real PAM success: the chosen session goes to startSession and is remembered', async (t) => {
    if (!requireOrSkip(t, hasHelperTestBuild(), `the helper test build (${HELPER_TEST_BINARY})`))
      return;
    const fixture = createHelperFixture({
      services: { 'bastion-greeter': matrixService() },
      users: [{ user: 'alice', password: 'secret', service: 'bastion-greeter' }],
    });
    t.after(() => fixture.cleanup());
    const { dir, screen } = sources();
    const stateDir = join(dir, 'state');
    const started: SessionRequest[] = [];
    // The real helper carries the conversation; this stand-in display manager only records
    // the session it is asked to start.
    const recordingDisplayManagerStandIn: AuthTransport = {
      ...helperTransport({
        helperPath: HELPER_TEST_BINARY,
        service: 'bastion-greeter',
        env: fixture.env,
      }),
      async startSession(request) {
        started.push(request);
        return { ok: true };
      },
    };
    const backend = createGreeterBackend(
      base({
        screen,
        stateDir,
        helperPath: HELPER_TEST_BINARY,
        transport: recordingDisplayManagerStandIn,
      }),
    );
    const ended = new Promise<AuthSnapshot>((resolve) =>
      backend.subscribe((s) => {
        if (s.phase === 'prompting') void backend.handle('answer', { text: 'secret' });
        if (s.phase === 'success' || s.phase === 'failure') resolve(s);
      }),
    );
    await backend.handle('startAuth', { user: 'alice', session: 'sway' });
    assert.equal((await ended).phase, 'success');
    for (let i = 0; i < 50 && started.length === 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(started, [
      {
        name: 'sway',
        command: ['sway', '--unsupported-gpu'],
        env: ['XDG_SESSION_TYPE=wayland', 'XDG_SESSION_DESKTOP=sway', 'XDG_CURRENT_DESKTOP=sway'],
      },
    ]);
    await backend.close();
    for (let i = 0; i < 50; i++) {
      try {
        readFileSync(join(stateDir, 'screen-choices.json'));
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    const again = createGreeterBackend(base({ screen, stateDir }));
    const options = (await again.handle('getScreenOptions', undefined)) as ScreenOptions;
    assert.equal(options.lastUser, 'alice');
    assert.equal(options.defaultSession, 'sway');
    assert.equal(options.users?.[0]?.session, 'sway');
    await again.close();
  });
});
