import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { AuthMessage, OfflineErrorName } from '../../preload/api';
import { PamClientError, type PamOutcome, type PamClientErrorCode } from '../pam/helper-client';
import { COUNTED_FAILURES } from './machine';
import { failureFromOutcome, reasonForResultName } from './failure';

function refused(
  code: number,
  name: string,
  stage: 'helper' | 'authenticate' | 'chauthtok' | 'acct_mgmt' = 'authenticate',
): PamOutcome {
  return { ok: false, kind: 'refused', result: { code, name, stage }, exitCode: 1 };
}
function broken(code: PamClientErrorCode): PamOutcome {
  return {
    ok: false,
    kind: 'client-error',
    error: new PamClientError(code, 'x'),
    result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' },
  };
}
const offline = (
  code: number,
  name: OfflineErrorName,
  lockSeconds: number | null = null,
): AuthMessage => ({
  kind: 'offline-error',
  code,
  name,
  lockSeconds,
});

describe('failureFromOutcome', () => {
  it('success has no failure', () => {
    assert.equal(
      failureFromOutcome(
        { ok: true, result: { code: 0, name: 'PAM_SUCCESS', stage: 'acct_mgmt' } },
        [],
      ),
      null,
    );
  });

  it('maps PAM and helper result names', () => {
    const cases: [string, string][] = [
      ['PAM_AUTH_ERR', 'credentials'],
      ['PAM_USER_UNKNOWN', 'credentials'],
      ['PAM_ACCT_EXPIRED', 'account'],
      ['PAM_PERM_DENIED', 'account'],
      ['PAM_NEW_AUTHTOK_REQD', 'new-password-required'],
      ['PAM_MAXTRIES', 'locked'],
      ['PAM_AUTHINFO_UNAVAIL', 'unavailable'],
      ['BASTION_THROTTLED', 'throttled'],
      ['BASTION_BUSY', 'throttled'],
      ['BASTION_CANCELLED', 'cancelled'],
      ['BASTION_TIMEOUT', 'timeout'],
      ['BASTION_SERVICE_NOT_ALLOWED', 'refused'],
      ['BASTION_CALLER_NOT_ALLOWED', 'refused'],
      ['BASTION_USER_CHANGED', 'refused'],
      ['BASTION_NOT_PRIVILEGED', 'unavailable'],
      ['BASTION_PROTOCOL', 'internal'],
      ['PAM_SOMETHING_NEW', 'internal'],
    ];
    for (const [name, reason] of cases) assert.equal(reasonForResultName(name), reason, name);
    assert.deepEqual(failureFromOutcome(refused(7, 'PAM_AUTH_ERR'), []), {
      reason: 'credentials',
      pamCode: 7,
      pamName: 'PAM_AUTH_ERR',
    });
  });

  it('client errors carry no PAM code (never a PAM_SUCCESS next to a failure)', () => {
    const cases: [PamClientErrorCode, string][] = [
      ['HELPER_NOT_FOUND', 'unavailable'],
      ['HELPER_NOT_EXECUTABLE', 'unavailable'],
      ['SOCKET_CONNECT_FAILED', 'unavailable'],
      ['SOCKET_BROKEN', 'unavailable'],
      ['MISSING_RESULT', 'internal'],
      ['KILLED', 'unavailable'],
      ['TIMEOUT', 'timeout'],
      ['CANCELLED', 'cancelled'],
      ['MALFORMED_FRAME', 'internal'],
      ['TRAILING_DATA', 'internal'],
      ['DUPLICATE_RESULT', 'internal'],
      ['INCONSISTENT_EXIT', 'internal'],
    ];
    for (const [code, reason] of cases) {
      assert.deepEqual(
        failureFromOutcome(broken(code), []),
        { reason, pamCode: null, pamName: null },
        code,
      );
    }
  });

  it('an offline LOCKED line makes any refusal a lockout', () => {
    for (const name of ['PAM_AUTH_ERR', 'PAM_SYSTEM_ERR', 'PAM_PERM_DENIED']) {
      assert.equal(
        failureFromOutcome(refused(7, name), [offline(-6, 'LOCKED', 240)])?.reason,
        'locked',
      );
    }
  });

  it('other offline-cache errors explain a credentials/unavailable refusal, except PASSWORD and NOTFOUND', () => {
    // No entry reads as a wrong password: the screen must not tell who has a cached login
    // (issue 7 finding 5; pam_openbastion's own cache may still print -4).
    assert.equal(
      failureFromOutcome(refused(7, 'PAM_AUTH_ERR'), [offline(-4, 'NOTFOUND')])?.reason,
      'credentials',
    );
    assert.equal(
      failureFromOutcome(refused(9, 'PAM_AUTHINFO_UNAVAIL'), [offline(-5, 'EXPIRED')])?.reason,
      'offline-cache',
    );
    assert.equal(
      failureFromOutcome(refused(7, 'PAM_AUTH_ERR'), [offline(-8, 'PASSWORD')])?.reason,
      'credentials',
    );
    assert.equal(
      failureFromOutcome(refused(13, 'PAM_ACCT_EXPIRED'), [offline(-4, 'NOTFOUND')])?.reason,
      'account',
    );
  });

  it('a failed change of an expired password (stage chauthtok) is new-password-rejected', () => {
    for (const name of ['PAM_AUTHTOK_ERR', 'PAM_AUTHTOK_RECOVERY_ERR', 'PAM_TRY_AGAIN']) {
      assert.equal(
        failureFromOutcome(refused(20, name, 'chauthtok'), [])?.reason,
        'new-password-rejected',
      );
    }
    // A cancel while changing it is a cancel, not a rejected password.
    assert.equal(failureFromOutcome(refused(26, 'PAM_ABORT', 'chauthtok'), [])?.reason, 'internal');
  });

  it('an offline PASSWORD line behind pam_exec (PAM_SYSTEM_ERR) is a wrong password, counted', () => {
    // pam_exec reports any non-zero exit of `bastion-offline verify` as PAM_SYSTEM_ERR.
    const failure = failureFromOutcome(refused(4, 'PAM_SYSTEM_ERR'), [offline(-8, 'PASSWORD')]);
    assert.equal(failure?.reason, 'credentials');
    assert.ok(COUNTED_FAILURES.has(failure.reason));
    assert.equal(
      failureFromOutcome(refused(4, 'PAM_SYSTEM_ERR'), [offline(-3, 'CRYPTO')])?.reason,
      'offline-cache',
    );
  });
});
