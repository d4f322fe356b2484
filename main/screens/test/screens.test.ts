// Sessions, site policy, user list and remembered choices over fixture directories.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listSessions, sessionRequest } from '../sessions';
import { DEFAULT_POLICY, loadPolicy, parsePolicy, REFUSED_POLICY } from '../policy';
import { listUsers, parseLoginDefs, parsePasswd, pictureDataUrl } from '../users';
import { ChoicesStore, CHOICES_FILE_NAME } from '../choices';
import { ScreenService } from '../screen-options';

const root = mkdtempSync(join(tmpdir(), 'bastion-screens-'));
after(() => rmSync(root, { recursive: true, force: true }));
let counter = 0;
const fresh = (name: string): string => {
  const dir = join(root, `${name}-${counter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
};
const entry = (name: string, exec: string, extra = ''): string =>
  `[Desktop Entry]\nName=${name}\nExec=${exec}\nType=Application\n${extra}`;

function sessionDirs() {
  const x11 = fresh('xsessions');
  const wayland = fresh('wayland-sessions');
  const bin = fresh('bin');
  writeFileSync(join(bin, 'present-wm'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(
    join(x11, 'xfce.desktop'),
    entry('Xfce Session', 'startxfce4', 'Name[fr]=Session Xfce\nDesktopNames=XFCE\n'),
  );
  writeFileSync(
    join(x11, 'present.desktop'),
    entry('Present', 'present-wm', 'TryExec=present-wm\n'),
  );
  writeFileSync(
    join(x11, 'missing.desktop'),
    entry('Missing', 'missing-wm', 'TryExec=missing-wm\n'),
  );
  writeFileSync(join(x11, 'hidden.desktop'), entry('Hidden', 'x', 'Hidden=true\n'));
  writeFileSync(join(x11, 'nodisplay.desktop'), entry('NoDisplay', 'x', 'NoDisplay=true\n'));
  writeFileSync(join(x11, 'broken.desktop'), '[Desktop Entry]\nName=Broken\n');
  writeFileSync(
    join(x11, 'huge.desktop'),
    entry('Huge', 'x', `Comment=${'a'.repeat(70 * 1024)}\n`),
  );
  writeFileSync(
    join(x11, 'badutf8.desktop'),
    Buffer.concat([
      Buffer.from('[Desktop Entry]\nName=\xff'),
      Buffer.from([0xff]),
      Buffer.from('\nExec=x\nType=Application\n'),
    ]),
  );
  writeFileSync(join(x11, 'notes.txt'), 'not a session');
  writeFileSync(join(wayland, 'sway.desktop'), entry('Sway', 'sway', 'DesktopNames=sway\n'));
  writeFileSync(join(wayland, 'xfce.desktop'), entry('Xfce on Wayland', 'x'));
  // Symlinks: one inside the directory (accepted), one leading out of it (refused).
  writeFileSync(join(wayland, '.real-river'), entry('River', 'river'));
  symlinkSync(join(wayland, '.real-river'), join(wayland, 'river.desktop'));
  const outside = fresh('outside');
  writeFileSync(join(outside, 'evil.desktop'), entry('Evil', 'evil'));
  symlinkSync(join(outside, 'evil.desktop'), join(wayland, 'evil.desktop'));
  mkdirSync(join(wayland, 'dir.desktop'));
  writeFileSync(join(wayland, 'bad name!.desktop'), entry('Bad', 'x'));
  return { x11, wayland, bin };
}

describe('sessions', () => {
  it('lists what may be offered; refuses the rest with a logged reason', () => {
    const { x11, wayland, bin } = sessionDirs();
    const lines: string[] = [];
    const sessions = listSessions({ dirs: { x11, wayland }, path: bin, log: (l) => lines.push(l) });
    assert.deepEqual(
      sessions.map((s) => `${s.type}:${s.id}`),
      ['x11:present', 'x11:xfce', 'wayland:river', 'wayland:sway'],
    );
    const log = lines.join('\n');
    for (const reason of [
      /missing\.desktop hidden: TryExec missing-wm/,
      /broken\.desktop skipped: Type is not Application/,
      /huge\.desktop skipped: .*larger than 65536/,
      /badutf8\.desktop skipped: not valid UTF-8/,
      /evil\.desktop skipped: symlink leads out/,
      /dir\.desktop skipped: not a regular file/,
      /bad name!\.desktop skipped: not a plain session name/,
      /xfce\.desktop skipped: xfce is already offered/,
    ]) {
      assert.match(log, reason);
    }
  });

  it('builds the SessionRequest: LightDM name, greetd command and environment', () => {
    const { x11, wayland, bin } = sessionDirs();
    const sessions = listSessions({ dirs: { x11, wayland }, path: bin });
    assert.deepEqual(sessionRequest(sessions.find((s) => s.id === 'xfce')!), {
      name: 'xfce',
      command: ['startxfce4'],
      env: ['XDG_SESSION_TYPE=x11', 'XDG_SESSION_DESKTOP=xfce', 'XDG_CURRENT_DESKTOP=XFCE'],
    });
    assert.deepEqual(sessionRequest(sessions.find((s) => s.id === 'river')!).env, [
      'XDG_SESSION_TYPE=wayland',
      'XDG_SESSION_DESKTOP=river',
    ]);
  });

  it('missing directories give an empty list, silently', () => {
    const lines: string[] = [];
    assert.deepEqual(
      listSessions({
        dirs: { x11: join(root, 'none1'), wayland: join(root, 'none2') },
        log: (l) => lines.push(l),
      }),
      [],
    );
    assert.deepEqual(lines, []);
  });
});

describe('site policy', () => {
  it('reads every key; unknown keys and lines are logged and ignored', () => {
    const lines: string[] = [];
    const policy = parsePolicy(
      [
        '# site policy',
        '[greeter]',
        'banner-message = Authorized use only.\\nActivity is monitored.',
        'hide-user-list=true',
        'hide-power-actions = true',
        'remember-last-user = false',
        'remember-last-session = false',
        'colour = blue',
        'no equals sign',
        '[other]',
        'x = 1',
      ].join('\n'),
      (l) => lines.push(l),
    );
    assert.deepEqual(policy, {
      notice: { kind: 'site', text: 'Authorized use only.\nActivity is monitored.' },
      hideUserList: true,
      hidePowerActions: true,
      rememberLastUser: false,
      rememberLastSession: false,
    });
    const log = lines.join('\n');
    assert.match(log, /line 8: unknown key colour ignored/);
    assert.match(log, /line 9: not a key = value line/);
    assert.match(log, /unknown group \[other\]/);
    assert.match(log, /line 11: x outside \[greeter\]/);
  });

  it('bad values take the safe value, not the default', () => {
    const policy = parsePolicy(
      '[greeter]\nhide-user-list=yes\nhide-power-actions=1\nremember-last-user=nope\nremember-last-session=\nbanner-message=bad \\q escape\n',
    );
    assert.deepEqual(policy, { ...REFUSED_POLICY });
    assert.deepEqual(parsePolicy(`[greeter]\nbanner-message=${'x'.repeat(9000)}\n`).notice, {
      kind: 'fallback',
    });
    assert.deepEqual(parsePolicy('[greeter]\nbanner-message=  \n').notice, null);
  });

  it('absent file: defaults; oversized, symlinked or bad UTF-8 file: the strictest settings', () => {
    const dir = fresh('policy');
    assert.deepEqual(loadPolicy(join(dir, 'absent.conf')), DEFAULT_POLICY);
    writeFileSync(join(dir, 'big.conf'), `[greeter]\n#${'x'.repeat(65 * 1024)}\n`);
    const lines: string[] = [];
    assert.deepEqual(
      loadPolicy(join(dir, 'big.conf'), (l) => lines.push(l)),
      REFUSED_POLICY,
    );
    assert.match(lines.join('\n'), /refused .*larger than 65536/);
    writeFileSync(join(dir, 'real.conf'), '[greeter]\nhide-user-list=true\n');
    symlinkSync(join(dir, 'real.conf'), join(dir, 'link.conf'));
    assert.deepEqual(loadPolicy(join(dir, 'link.conf')), REFUSED_POLICY);
    writeFileSync(join(dir, 'latin1.conf'), Buffer.from([0x5b, 0x67, 0x5d, 0x0a, 0xe9, 0x0a]));
    assert.deepEqual(loadPolicy(join(dir, 'latin1.conf')), REFUSED_POLICY);
    assert.equal(loadPolicy(join(dir, 'real.conf')).hideUserList, true);
  });
});

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  'daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin',
  'alice:x:1000:1000:Alice Martin,Room 4,,:/home/alice:/bin/bash',
  'bob:x:1001:1001::/home/bob:/bin/zsh',
  'svc:x:1002:1002:Service:/srv:/usr/sbin/nologin',
  'nope:x:1003:1003:No:/:/bin/false',
  'big:x:70000:70000:Big:/:/bin/sh',
  '-bad:x:1004:1004::/:/bin/sh',
  'short:x:1005',
  'alice:x:1006:1006:Second Alice:/:/bin/sh',
  'émile:x:1007:1007::/:/bin/sh',
  'carol:x:1008:1008:Carol\u0007:/home/carol:',
].join('\n');

describe('user list', () => {
  it('login.defs: UID_MIN/UID_MAX, hex and octal, bad values keep defaults', () => {
    assert.deepEqual(parseLoginDefs('UID_MIN 500\nUID_MAX\t0x7530\n'), { min: 500, max: 30000 });
    assert.deepEqual(parseLoginDefs('UID_MIN lots\n#UID_MAX 5\n'), { min: 1000, max: 60000 });
    assert.deepEqual(parseLoginDefs('UID_MIN 9000\nUID_MAX 10\n'), { min: 1000, max: 60000 });
  });

  it('passwd: login range, real shells, valid names, first entry of a name', () => {
    assert.deepEqual(
      parsePasswd(PASSWD, { min: 1000, max: 60000 }).map((u) => [u.name, u.realName]),
      [
        ['alice', 'Alice Martin'],
        ['bob', 'bob'],
        ['carol', 'Carol'],
      ],
    );
  });

  it('pictures: PNG and JPEG as data: URLs; other files, symlinks and large files: none', () => {
    const dir = fresh('users');
    const icons = fresh('icons');
    writeFileSync(join(dir, 'passwd'), PASSWD);
    writeFileSync(join(dir, 'login.defs'), 'UID_MIN 1000\nUID_MAX 60000\n');
    const png = Buffer.concat([
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
      Buffer.alloc(20),
    ]);
    writeFileSync(join(icons, 'alice'), png);
    writeFileSync(join(icons, 'elsewhere'), png);
    symlinkSync(join(icons, 'elsewhere'), join(icons, 'bob'));
    writeFileSync(join(icons, 'carol'), '<svg onload="alert(1)"/>');
    const users = listUsers({
      passwdPath: join(dir, 'passwd'),
      loginDefsPath: join(dir, 'login.defs'),
      iconsDir: icons,
    });
    assert.equal(users.length, 3);
    assert.equal(users[0]!.icon, `data:image/png;base64,${png.toString('base64')}`);
    assert.equal(users[1]!.icon, null, 'a symlinked picture is not followed');
    assert.equal(users[2]!.icon, null, 'only PNG and JPEG');
    assert.equal(
      pictureDataUrl(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(200 * 1024)])),
      null,
    );
  });
});

describe('remembered choices and the screen service', () => {
  function service(policyText: string | null, stateDir: string, extra = {}) {
    const { x11, wayland, bin } = sessionDirs();
    const dir = fresh('etc');
    writeFileSync(join(dir, 'passwd'), PASSWD);
    if (policyText !== null) writeFileSync(join(dir, 'greeter.conf'), policyText);
    return new ScreenService({
      mode: 'login',
      locale: 'fr',
      stateDir,
      sessionDirs: { x11, wayland },
      path: bin,
      policyPath: join(dir, 'greeter.conf'),
      passwdPath: join(dir, 'passwd'),
      loginDefsPath: join(dir, 'none'),
      iconsDir: join(dir, 'none'),
      ...extra,
    });
  }

  it('remembers user and session atomically in a 0600 file, and preselects them', async () => {
    const state = join(fresh('state'), 'greeter');
    const first = service(null, state);
    assert.equal(first.options().defaultSession, 'present');
    assert.equal(first.options().sessions.find((s) => s.id === 'xfce')?.name, 'Session Xfce');
    await first.remember('bob', 'sway');
    assert.equal(statSync(join(state, CHOICES_FILE_NAME)).mode & 0o777, 0o600);
    assert.equal(statSync(state).mode & 0o777, 0o700);
    const second = service(null, state).options();
    assert.equal(second.lastUser, 'bob');
    assert.equal(second.defaultSession, 'sway');
    assert.equal(second.users?.find((u) => u.name === 'bob')?.session, 'sway');
    assert.equal(second.users?.find((u) => u.name === 'alice')?.session, null);
  });

  it('policy: nothing remembered, no user list, the notice', async () => {
    const state = join(fresh('state'), 'greeter');
    const strict = service(
      '[greeter]\nremember-last-user=false\nremember-last-session=false\nhide-user-list=true\nbanner-message=Hi\n',
      state,
    );
    await strict.remember('bob', 'sway');
    assert.throws(() => statSync(join(state, CHOICES_FILE_NAME)));
    const options = strict.options();
    assert.equal(options.users, null);
    assert.deepEqual(options.notice, { kind: 'site', text: 'Hi' });
    assert.equal(options.lastUser, null);
  });

  it("the display manager's hide-users hint hides the list; its default session is preselected", () => {
    const options = service(null, join(fresh('state'), 'g'), {
      dmHideUsers: true,
      dmDefaultSession: 'sway',
    }).options();
    assert.equal(options.users, null);
    assert.equal(options.defaultSession, 'sway');
  });

  it('unlock: no sessions, no users, no notice', () => {
    const options = new ScreenService({
      mode: 'unlock',
      locale: 'en',
      stateDir: null,
      policyPath: join(root, 'none.conf'),
      keyboardPath: join(root, 'none.keyboard'),
    }).options();
    assert.deepEqual(options, {
      sessions: [],
      defaultSession: null,
      users: null,
      lastUser: null,
      notice: null,
      hidePowerActions: false,
      keyboardLayouts: [],
    });
  });

  it('a corrupt or tampered choices file is reported and read as empty', () => {
    const state = join(fresh('state'), 'greeter');
    mkdirSync(state, { mode: 0o700 });
    writeFileSync(join(state, CHOICES_FILE_NAME), '{"v":1,"lastUser":"-rf","sessions":{}}', {
      mode: 0o600,
    });
    const lines: string[] = [];
    const store = new ChoicesStore(state, (l) => lines.push(l));
    assert.equal(store.load().lastUser, null);
    assert.match(lines.join('\n'), /bad lastUser/);
    chmodSync(join(state, CHOICES_FILE_NAME), 0o644);
    lines.length = 0;
    store.load();
    assert.match(lines.join('\n'), /group or world accessible/);
  });
});
