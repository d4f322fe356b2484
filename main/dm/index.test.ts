// The display manager's word on mode and seat (main/dm/index.ts), without a daemon: the hints
// as LightDM sends them on a lock that names the user, one that names nobody, and a login.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuthTransport } from '../auth/transport';
import { displayManagerChoices, type DisplayManagerConnection } from './index';

const transport: AuthTransport = {
  kind: 'lightdm',
  begin: () => {
    throw new Error('not used');
  },
};

function lightdm(lockScreen: boolean, selectUser: string | null): DisplayManagerConnection {
  return {
    kind: 'lightdm',
    transport,
    hints: {
      defaultSession: null,
      hideUsers: false,
      showManualLogin: true,
      lockScreen,
      selectUser,
    },
    exit: new Promise(() => undefined),
    onReset: () => () => undefined,
  };
}

const fallback = { mode: 'login' as const, currentUser: null };

test("a lock naming its user is that user's unlock screen, on a locked seat", () => {
  const choices = displayManagerChoices(lightdm(true, 'alice'), fallback);
  assert.deepEqual(
    [choices.mode, choices.currentUser, choices.seatLocked],
    ['unlock', 'alice', true],
  );
});

test('a lock naming nobody (Seat.Lock, dm-tool lock) is a login screen, but the seat stays locked', () => {
  const choices = displayManagerChoices(lightdm(true, null), fallback);
  assert.deepEqual([choices.mode, choices.currentUser, choices.seatLocked], ['login', null, true]);
});

test('a plain LightDM login: login screen, seat not locked', () => {
  const choices = displayManagerChoices(lightdm(false, null), fallback);
  assert.deepEqual([choices.mode, choices.currentUser, choices.seatLocked], ['login', null, false]);
});
