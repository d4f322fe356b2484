// The greeter's hold on one pending authorization (main/sso/portal-flow.ts). The client is a
// TEST DOUBLE recording what reaches it: the point here is what never does (a forged, stray,
// late or second callback); the real code exchange is e2e/sso-portal.test.ts's and the SSO
// client's own suite's.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PendingAuthorization, TokenSet } from '../client';
import { isSsoError } from '../errors';
import { createPortalFlow, PortalFlowError } from '../portal-flow';

const REDIRECT = 'http://127.0.0.1:41234/callback';
const TOKENS: TokenSet = { accessToken: 'at-ok', expiresAt: Date.now() + 60_000 };

class ClientTestDouble {
  begun = 0;
  readonly completed: string[] = [];
  state = (n: number): string => `state-${n}-abcdefghijkl`;
  beginAuthorization(): { url: string; pending: PendingAuthorization } {
    this.begun++;
    const url = new URL('https://auth.example.test/oauth2/authorize');
    url.searchParams.set('state', this.state(this.begun));
    url.searchParams.set('redirect_uri', REDIRECT);
    return {
      url: url.href,
      pending: Object.freeze({ id: `p${this.begun}`, createdAt: Date.now() }),
    };
  }
  completeAuthorization(callbackUrl: string): Promise<TokenSet> {
    this.completed.push(callbackUrl);
    return Promise.resolve(TOKENS);
  }
}

const code = (error: unknown): string => (error as { code?: string }).code ?? 'none';

function setUp(timeoutMs?: number, onExpired?: () => void) {
  const client = new ClientTestDouble();
  const flow = createPortalFlow(client, {
    redirectUri: REDIRECT,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(onExpired ? { onExpired } : {}),
  });
  return { client, flow };
}

describe('portal flow', () => {
  it('begin → url; the callback with the pending state completes once', async () => {
    const { client, flow } = setUp();
    const { url, expiresAt } = flow.begin();
    assert.equal(new URL(url).searchParams.get('state'), client.state(1));
    assert.ok(expiresAt > Date.now());
    assert.equal(flow.pending, true);
    assert.equal(flow.pendingState, client.state(1));
    const tokens = await flow.complete(`${REDIRECT}?code=c0de&state=${client.state(1)}`);
    assert.equal(tokens, TOKENS);
    assert.equal(client.completed.length, 1);
    assert.equal(flow.pending, false);
    // Spent: the same callback again never reaches the client.
    await assert.rejects(flow.complete(`${REDIRECT}?code=c0de&state=${client.state(1)}`), (e) => {
      assert.equal(code(e), 'PORTAL_FLOW_NONE');
      return true;
    });
    assert.equal(client.completed.length, 1);
  });

  it('a state mismatch is refused before the token endpoint and spends the pending one', async () => {
    const { client, flow } = setUp();
    flow.begin();
    await assert.rejects(flow.complete(`${REDIRECT}?code=c0de&state=forged`), (e) => {
      assert.ok(isSsoError(e));
      assert.equal(code(e), 'SSO_STATE_MISMATCH');
      assert.ok(!(e as Error).message.includes('forged'));
      return true;
    });
    assert.equal(client.completed.length, 0);
    assert.equal(flow.pending, false);
    // The right state after that is too late: the forged call spent it (fail closed).
    await assert.rejects(
      flow.complete(`${REDIRECT}?code=c0de&state=${client.state(1)}`),
      (e) => code(e) === 'PORTAL_FLOW_NONE',
    );
    // No state at all is a mismatch too.
    flow.begin();
    await assert.rejects(
      flow.complete(`${REDIRECT}?code=c0de`),
      (e) => code(e) === 'SSO_STATE_MISMATCH',
    );
    assert.equal(client.completed.length, 0);
  });

  it('a second pending authorization is refused while one is pending', () => {
    const { client, flow } = setUp();
    flow.begin();
    assert.throws(
      () => flow.begin(),
      (e) => e instanceof PortalFlowError && e.code === 'PORTAL_FLOW_BUSY',
    );
    assert.equal(client.begun, 1, 'the client was not asked for a second one');
    flow.cancel();
    assert.equal(flow.pending, false);
    flow.begin();
    assert.equal(client.begun, 2);
    flow.cancel();
  });

  it('times out: the pending authorization is dropped, the callback then refused as expired', async () => {
    let expiredCalls = 0;
    const { client, flow } = setUp(40, () => expiredCalls++);
    flow.begin();
    await new Promise((resolve) => setTimeout(resolve, 90));
    assert.equal(expiredCalls, 1);
    assert.equal(flow.pending, false);
    await assert.rejects(
      flow.complete(`${REDIRECT}?code=c0de&state=${client.state(1)}`),
      (e) => code(e) === 'PORTAL_FLOW_EXPIRED',
    );
    assert.equal(client.completed.length, 0);
    // A new one may begin after the expiry.
    flow.begin();
    flow.cancel();
    assert.throws(() => createPortalFlow(client, { redirectUri: REDIRECT, timeoutMs: 0 }));
  });

  it('callback parsing is strict: another origin, path, a fragment, repeats, credentials', async () => {
    const { client, flow } = setUp();
    const state = (): string => {
      flow.begin();
      return client.state(client.begun);
    };
    const refused = [
      (s: string) => `http://127.0.0.1:41235/callback?code=c&state=${s}`, // another port
      (s: string) => `http://localhost:41234/callback?code=c&state=${s}`, // another host
      (s: string) => `https://127.0.0.1:41234/callback?code=c&state=${s}`, // another scheme
      (s: string) => `http://127.0.0.1:41234/callback/x?code=c&state=${s}`, // another path
      (s: string) => `http://127.0.0.1:41234/callback?code=c&state=${s}#frag`, // fragment
      (s: string) => `http://127.0.0.1:41234/callback?code=c&code=d&state=${s}`, // repeated code
      (s: string) => `http://127.0.0.1:41234/callback?code=c&state=${s}&state=${s}`, // repeated state
      (s: string) => `http://u:p@127.0.0.1:41234/callback?code=c&state=${s}`, // credentials
      () => 'not a url',
    ];
    for (const make of refused) {
      const url = make(state());
      await assert.rejects(flow.complete(url), (e) => {
        assert.ok(isSsoError(e), url);
        assert.ok(
          ['SSO_BAD_RESPONSE', 'SSO_STATE_MISMATCH'].includes(code(e)),
          `${url}: ${code(e)}`,
        );
        return true;
      });
      assert.equal(flow.pending, false, url);
    }
    assert.equal(client.completed.length, 0, 'none reached the token endpoint');
  });
});
