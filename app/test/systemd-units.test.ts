// resources/systemd/: the socket-activated helper's units and the session guard's agree with what the greeter and the
// helper expect, keep away from the sandboxing settings that would break PAM modules, and
// pass `systemd-analyze verify` (in a throw-away root: no PID-1 systemd is needed).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_DEADLINE_MS } from '../../main/pam/helper-client';
import { HELPER_OUT, REPO_ROOT } from '../../testkit/paths';
import { fileExists, findExecutable, requireOrSkip } from '../../testkit/require';
import { DEFAULT_HELPER_PATH, DEFAULT_HELPER_SOCKET, PUBLIC_HELPER_SOCKET } from '../config';
import { DEFAULT_FORCE_ONLINE_PATH } from '../../main/monitor/force-online';
import { DEFAULT_GUARD_STATE_PATH } from '../../main/monitor/guard-state';
import { DEFAULT_OFFLINE_SESSIONS_DIR } from '../../main/monitor/offline-sessions';
import { DEFAULT_SSO_CONF } from '../../main/sso/site-config';

const UNITS = join(REPO_ROOT, 'resources', 'systemd');
const SOCKET_UNIT = 'bastion-pam-helper.socket';
const GREETER_SOCKET_UNIT = 'bastion-pam-helper-greeter.socket';
const GREETER_SERVICE_ALIAS = 'bastion-pam-helper-greeter@.service';
const SERVICE_UNIT = 'bastion-pam-helper@.service';
const SLICE_UNIT = 'system-bastion.slice';

/** `Key=value` lines of one section (comments and blank lines dropped). */
function section(unit: string, name: string): Map<string, string[]> {
  const text = readFileSync(join(UNITS, unit), 'utf8');
  const keys = new Map<string, string[]>();
  let current = '';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header) {
      current = header[1]!;
      continue;
    }
    if (current !== name) continue;
    const eq = line.indexOf('=');
    const key = line.slice(0, eq);
    keys.set(key, [...(keys.get(key) ?? []), line.slice(eq + 1)]);
  }
  return keys;
}

const one = (keys: Map<string, string[]>, key: string): string | undefined => {
  const values = keys.get(key);
  assert.ok(!values || values.length === 1, `${key} set more than once`);
  return values?.[0];
};

function seconds(value: string): number {
  const match = /^(\d+)(s|min)?$/.exec(value);
  assert.ok(match, `unexpected time span ${value}`);
  return Number(match[1]) * (match[2] === 'min' ? 60 : 1);
}

test("the greeter's socket: only the greeter group may connect, its instances are the same service", () => {
  const socket = section(GREETER_SOCKET_UNIT, 'Socket');
  assert.equal(one(socket, 'ListenStream'), DEFAULT_HELPER_SOCKET);
  assert.equal(one(socket, 'Accept'), 'yes');
  assert.equal(one(socket, 'SocketGroup'), 'bastion-greeter');
  assert.equal(one(socket, 'SocketMode'), '0660');
  assert.ok(Number(one(socket, 'MaxConnections')) > 0);
  assert.equal(one(socket, 'TriggerLimitIntervalSec'), '0');
  assert.equal(readlinkSync(join(UNITS, GREETER_SERVICE_ALIAS)), SERVICE_UNIT);
});

test('the public socket unit: Accept=yes on the in-session path, anyone may connect, bounded', () => {
  const socket = section(SOCKET_UNIT, 'Socket');
  assert.equal(one(socket, 'ListenStream'), PUBLIC_HELPER_SOCKET);
  assert.equal(one(socket, 'Accept'), 'yes');
  assert.equal(one(socket, 'SocketMode'), '0666');
  assert.ok(Number(one(socket, 'MaxConnections')) > 0);
  assert.ok(Number(one(socket, 'MaxConnectionsPerSource')) > 0);
  assert.ok(
    Number(one(socket, 'MaxConnectionsPerSource')) < Number(one(socket, 'MaxConnections')),
    'one caller cannot take every connection',
  );
  // The trigger limit would fail the socket unit for good under a flood: off.
  assert.equal(one(socket, 'TriggerLimitIntervalSec'), '0');
});

test('the service: the installed helper in --socket mode, its stream on the connection, bounded', () => {
  const unit = section(SERVICE_UNIT, 'Unit');
  const service = section(SERVICE_UNIT, 'Service');
  assert.equal(one(service, 'ExecStart'), `${DEFAULT_HELPER_PATH} --socket`);
  assert.equal(one(service, 'StandardInput'), 'socket');
  assert.equal(one(service, 'StandardOutput'), 'socket');
  assert.equal(one(service, 'StandardError'), 'journal');
  assert.equal(one(unit, 'CollectMode'), 'inactive-or-failed');
  assert.ok(Number(one(service, 'TasksMax')) > 0);
  assert.match(one(service, 'MemoryMax') ?? '', /^\d+[KMG]$/);
  const runtimeMax = seconds(one(service, 'RuntimeMaxSec') ?? '');
  assert.ok(
    runtimeMax * 1000 > DEFAULT_DEADLINE_MS && runtimeMax * 1000 <= DEFAULT_DEADLINE_MS + 30_000,
    'RuntimeMaxSec is a little over the helper deadline',
  );
  // Runs as root under the system slice, never as a user's.
  assert.equal(one(service, 'User'), undefined);
  assert.equal(one(service, 'DynamicUser'), undefined);
  assert.match(one(service, 'Slice') ?? '', /^system-[a-z]+\.slice$/);
  assert.ok(fileExists(join(UNITS, one(service, 'Slice')!)), 'the slice unit ships too');
});

test('no sandboxing that breaks PAM modules (homes, hidraw, /var, the JIT, root)', () => {
  const service = section(SERVICE_UNIT, 'Service');
  // pam_u2f reads ~/.config/Yubico/u2f_keys; PrivateDevices= and ProtectClock= install a
  // device allow-list without /dev/hidraw*; strict makes /var (offline cache) read-only;
  // bastion-offline runs Node (JIT); PAM needs full root.
  for (const key of [
    'ProtectHome',
    'PrivateDevices',
    'ProtectClock',
    'DeviceAllow',
    'DevicePolicy',
    'PrivateNetwork',
    'MemoryDenyWriteExecute',
    'CapabilityBoundingSet',
    'SystemCallFilter',
    'PrivateUsers',
  ]) {
    assert.equal(service.get(key), undefined, `${key}= would break a PAM stack`);
  }
  assert.notEqual(one(service, 'ProtectSystem'), 'strict');
});

test('systemd-analyze verify accepts the units', (t) => {
  const analyze = findExecutable('systemd-analyze');
  const helper = join(HELPER_OUT, 'bastion-pam-helper');
  if (
    !requireOrSkip(
      t,
      analyze !== null && fileExists(helper),
      'systemd-analyze and the release helper build',
    )
  )
    return;
  const root = mkdtempSync(join(tmpdir(), 'bastion-units-'));
  try {
    // The installed layout: the helper where ExecStart= points, the units, systemd's targets.
    const libexec = join(root, DEFAULT_HELPER_PATH, '..');
    mkdirSync(libexec, { recursive: true });
    copyFileSync(helper, join(root, DEFAULT_HELPER_PATH));
    const system = join(root, 'etc', 'systemd', 'system');
    mkdirSync(system, { recursive: true });
    for (const unit of [SOCKET_UNIT, GREETER_SOCKET_UNIT, SERVICE_UNIT, SLICE_UNIT]) {
      copyFileSync(join(UNITS, unit), join(system, unit));
    }
    symlinkSync(SERVICE_UNIT, join(system, GREETER_SERVICE_ALIAS)); // as the package ships it
    cpSync('/usr/lib/systemd/system', join(root, 'usr', 'lib', 'systemd', 'system'), {
      recursive: true,
      filter: (src) => !/\.(service|socket|mount|timer|path|device|swap|automount)$/.test(src),
    });
    const run = spawnSync(
      analyze!,
      [
        'verify',
        '--man=no',
        `--root=${root}`,
        SOCKET_UNIT,
        GREETER_SOCKET_UNIT,
        SERVICE_UNIT.replace('@', '@1-2-3'),
        GREETER_SERVICE_ALIAS.replace('@', '@1-2-3'),
        SLICE_UNIT,
      ],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    // Keys newer than the installed systemd are ignored with a notice; nothing else is said.
    const complaints = run.stderr
      .split('\n')
      .filter((line) => line.trim() !== '')
      .filter((line) => !/Unknown key '(PollLimitIntervalSec|PollLimitBurst)'/.test(line));
    assert.deepEqual(complaints, []);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

// The root session guard (bastion-offline guard, main/monitor/README.md): a oneshot pass every
// 60 s (ob-session-monitor's period), as root, sandboxed but still able to reach the portal,
// talk to logind on the system bus and write its state under /var/lib/bastion-greeter.
const GUARD_SERVICE = 'bastion-session-guard.service';
const GUARD_TIMER = 'bastion-session-guard.timer';
const INSTALLED_OFFLINE = join(DEFAULT_HELPER_PATH, '..', 'bastion-offline');

test('the session guard timer: every 60 s, started at boot', () => {
  const timer = section(GUARD_TIMER, 'Timer');
  assert.equal(seconds(one(timer, 'OnUnitActiveSec') ?? ''), 60);
  assert.ok(seconds(one(timer, 'OnBootSec') ?? '') <= 120);
  assert.ok(seconds(one(timer, 'AccuracySec') ?? '') <= 10, 'the period does not drift to 2 min');
  assert.equal(one(timer, 'Unit'), undefined, 'runs the service of the same name');
  assert.equal(one(section(GUARD_TIMER, 'Install'), 'WantedBy'), 'timers.target');
});

test('the session guard service: root, one pass, writes only /var/lib/bastion-greeter', () => {
  const unit = section(GUARD_SERVICE, 'Unit');
  const service = section(GUARD_SERVICE, 'Service');
  assert.equal(one(service, 'Type'), 'oneshot');
  assert.equal(one(service, 'ExecStart'), `${INSTALLED_OFFLINE} guard`);
  assert.equal(one(unit, 'ConditionPathExists'), DEFAULT_SSO_CONF);
  // Root: a guard the person could stop, or files they could write, would enforce nothing.
  for (const key of ['User', 'DynamicUser', 'PrivateUsers'])
    assert.equal(one(service, key), undefined, `${key}= would not be root`);
  // What it writes lives in its StateDirectory, the only writable place under strict.
  assert.equal(one(service, 'ProtectSystem'), 'strict');
  assert.equal(one(service, 'StateDirectory'), 'bastion-greeter');
  assert.equal(one(service, 'StateDirectoryMode'), '0700');
  for (const path of [
    DEFAULT_FORCE_ONLINE_PATH,
    DEFAULT_OFFLINE_SESSIONS_DIR,
    DEFAULT_GUARD_STATE_PATH,
  ])
    assert.ok(path.startsWith('/var/lib/bastion-greeter/'), `${path} is in the state directory`);
  assert.equal(service.get('ReadOnlyPaths'), undefined);
  assert.equal(service.get('InaccessiblePaths'), undefined);
  // The portal over IP and logind over the system bus (AF_UNIX), with the capability logind
  // asks of a TerminateSession caller; Node's JIT.
  const families = (one(service, 'RestrictAddressFamilies') ?? '').split(/\s+/);
  for (const family of ['AF_UNIX', 'AF_INET', 'AF_INET6']) assert.ok(families.includes(family));
  assert.match(one(service, 'CapabilityBoundingSet') ?? '', /\bCAP_KILL\b/);
  for (const key of ['PrivateNetwork', 'IPAddressDeny', 'MemoryDenyWriteExecute', 'BusPolicy'])
    assert.equal(service.get(key), undefined, `${key}= would stop the guard`);
  assert.equal(one(service, 'NoNewPrivileges'), 'yes');
  assert.ok(seconds(one(service, 'TimeoutStartSec') ?? '') > 0, 'a hung pass is bounded');
});

test('systemd-analyze verify accepts the session guard units', (t) => {
  const analyze = findExecutable('systemd-analyze');
  if (!requireOrSkip(t, analyze !== null, 'systemd-analyze')) return;
  const root = mkdtempSync(join(tmpdir(), 'bastion-guard-units-'));
  try {
    // ExecStart= must name an executable; any will do for verify.
    mkdirSync(join(root, INSTALLED_OFFLINE, '..'), { recursive: true });
    copyFileSync('/usr/bin/true', join(root, INSTALLED_OFFLINE));
    const system = join(root, 'etc', 'systemd', 'system');
    mkdirSync(system, { recursive: true });
    for (const unit of [GUARD_SERVICE, GUARD_TIMER, SLICE_UNIT])
      copyFileSync(join(UNITS, unit), join(system, unit));
    cpSync('/usr/lib/systemd/system', join(root, 'usr', 'lib', 'systemd', 'system'), {
      recursive: true,
      filter: (src) => !/\.(service|socket|mount|timer|path|device|swap|automount)$/.test(src),
    });
    const run = spawnSync(
      analyze!,
      ['verify', '--man=no', `--root=${root}`, GUARD_SERVICE, GUARD_TIMER],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(
      run.stderr.split('\n').filter((line) => line.trim() !== ''),
      [],
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
