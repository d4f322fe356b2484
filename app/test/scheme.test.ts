import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  APP_SCHEME_PRIVILEGES,
  GREETER_INDEX_URL,
  GREETER_ORIGIN,
  registerAppSchemeAsPrivileged,
} from '../scheme';
import { FakeElectronForTest } from './fake-electron';

test('the greeter page lives at app://greeter/index.html', () => {
  assert.equal(GREETER_ORIGIN, 'app://greeter');
  assert.equal(GREETER_INDEX_URL, 'app://greeter/index.html');
});

test('app is registered privileged with exactly the chosen privileges', () => {
  const electron = new FakeElectronForTest();
  registerAppSchemeAsPrivileged(electron.asSchemeElectron());
  assert.deepEqual(electron.protocol.privilegedSchemes, [
    [
      {
        scheme: 'app',
        privileges: {
          standard: true,
          secure: true,
          supportFetchAPI: false,
          corsEnabled: false,
          stream: false,
        },
      },
    ],
  ]);
  // Nothing that would weaken the page: no CSP bypass, no service workers, no code cache.
  const privileges: Record<string, boolean> = electron.protocol.privilegedSchemes[0]![0]!
    .privileges as Record<string, boolean>;
  for (const off of ['bypassCSP', 'allowServiceWorkers', 'codeCache', 'allowExtensions']) {
    assert.equal(privileges[off], undefined, off);
  }
  // The registered object is a copy: the frozen constant cannot be changed through it.
  assert.ok(Object.isFrozen(APP_SCHEME_PRIVILEGES));
  assert.notEqual(privileges, APP_SCHEME_PRIVILEGES);
});

test('like Electron, the stand-in refuses privileges after ready', () => {
  const electron = new FakeElectronForTest();
  electron.protocol.appReady = true;
  assert.throws(() => registerAppSchemeAsPrivileged(electron.asSchemeElectron()), /after ready/);
});
