// Authorization code + S256 PKCE through the real LemonLDAP::NG portal form, in Chromium
// (playwright-core, Debian's /usr/bin/chromium): the test opens the authorization URL, the
// person types login and password into the portal's own page, the portal redirects to the
// registered redirect URI (caught here, never loaded), the code is exchanged, and the ID
// token is verified against the portal's JWKS.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import { Agent, fetch } from 'undici';
import { createSsoClient } from '../main/sso/index';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../testkit/chromium';
import { fileExists, requireOrSkip } from '../testkit/require';
import { llngRigMissing, startLlngRig, type LlngRig } from '../testkit/sso/llng-rig';

const missing = llngRigMissing() ?? (fileExists(CHROMIUM_PATH) ? null : 'chromium');

/** The portal's form, filled as a person would; returns the URL the portal redirected to. */
async function loginInPortal(
  browser: Browser,
  rig: LlngRig,
  authorizeUrl: string,
  user: string,
  password: string,
  redirectUri: string,
): Promise<string> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    let redirectedTo: string | null = null;
    // The redirect URI is never loaded: main intercepts it in the product, the test here.
    // A loopback URI is a request Playwright can route; a custom scheme never becomes one
    // (Chromium aborts the navigation), so the portal's 302 Location is read from the raw
    // response headers (CDP Network.responseReceivedExtraInfo).
    await page.route(`${redirectUri}**`, async (route) => {
      redirectedTo = route.request().url();
      await route.fulfill({ status: 204, body: '' });
    });
    const cdp = await context.newCDPSession(page);
    await cdp.send('Network.enable');
    cdp.on('Network.responseReceivedExtraInfo', (event) => {
      const headers = event.headers as Record<string, string>;
      const location = headers['location'] ?? headers['Location'];
      if (event.statusCode >= 300 && event.statusCode < 400 && location?.startsWith(redirectUri)) {
        redirectedTo = location;
      }
    });
    await page.goto(authorizeUrl);
    await page.locator('input[name="user"]').fill(user);
    await page.locator('input[name="password"]').fill(password);
    await page.locator('button[type="submit"]').first().click();
    const end = Date.now() + 15_000;
    while (redirectedTo === null) {
      if (Date.now() > end) {
        throw new Error(`no redirect to ${redirectUri}; page at ${page.url()}\n${rig.log()}`);
      }
      await page.waitForTimeout(50);
    }
    return redirectedTo;
  } finally {
    await context.close();
  }
}

describe(
  'SSO: code + PKCE through the real LemonLDAP::NG form in Chromium',
  { timeout: 120_000 },
  () => {
    let rig: LlngRig | undefined;
    let browser: Browser | undefined;
    let agent: Agent | undefined;

    before(async () => {
      if (missing) return;
      rig = await startLlngRig();
      agent = new Agent({ connect: { ca: rig.caPem, lookup: rig.lookup } });
      browser = await chromium.launch({
        executablePath: CHROMIUM_PATH,
        args: [...CHROMIUM_ARGS, ...rig.chromiumArgs()],
        headless: true,
      });
    });
    after(async () => {
      await browser?.close();
      await agent?.close();
      await rig?.stop();
    });

    it('logs dwho in, exchanges the code with its verifier, verifies the ID token', async (t) => {
      if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig + Chromium (${missing})`)) return;
      const r = rig!;
      const redirectUri = r.publicClient.redirectUris.loopback;
      const verifier = randomBytes(32).toString('base64url');
      const challenge = createHash('sha256').update(verifier).digest('base64url');
      const state = randomBytes(16).toString('base64url');
      const nonce = randomBytes(16).toString('base64url');
      const authorize = new URL('oauth2/authorize', r.issuer);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: r.publicClient.clientId,
        redirect_uri: redirectUri,
        scope: 'openid profile email offline_access',
        state,
        nonce,
        code_challenge: challenge,
        code_challenge_method: 'S256',
      }).toString();

      const t0 = Date.now();
      const callback = new URL(
        await loginInPortal(browser!, r, authorize.href, 'dwho', 'dwho', redirectUri),
      );
      t.diagnostic(`portal form → redirect ${Date.now() - t0} ms`);
      assert.equal(callback.searchParams.get('state'), state);
      const code = callback.searchParams.get('code');
      assert.ok(code);

      const exchange = (codeVerifier: string) =>
        fetch(new URL('oauth2/token', r.issuer), {
          method: 'POST',
          dispatcher: agent,
          body: new URLSearchParams({
            grant_type: 'authorization_code',
            client_id: r.publicClient.clientId,
            redirect_uri: redirectUri,
            code,
            code_verifier: codeVerifier,
          }),
        });
      const res = await exchange(verifier);
      const tokens = (await res.json()) as Record<string, unknown>;
      assert.equal(res.status, 200, JSON.stringify(tokens));
      assert.equal(typeof tokens.refresh_token, 'string');
      const jwks = (await (
        await fetch(new URL('oauth2/jwks', r.issuer), { dispatcher: agent })
      ).json()) as JSONWebKeySet;
      const { payload } = await jwtVerify(tokens.id_token as string, createLocalJWKSet(jwks), {
        issuer: r.issuer,
        audience: r.publicClient.clientId,
      });
      assert.equal(payload.sub, 'dwho');
      assert.equal(payload.nonce, nonce);
      // The code is single use: a second exchange is refused.
      const replay = await exchange(verifier);
      assert.equal(replay.status, 400);
      await replay.text();
    });

    it('refuses a code exchanged with the wrong verifier (PKCE required)', async (t) => {
      if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig + Chromium (${missing})`)) return;
      const r = rig!;
      const redirectUri = r.publicClient.redirectUris.customScheme;
      const verifier = randomBytes(32).toString('base64url');
      const authorize = new URL('oauth2/authorize', r.issuer);
      authorize.search = new URLSearchParams({
        response_type: 'code',
        client_id: r.publicClient.clientId,
        redirect_uri: redirectUri,
        scope: 'openid',
        state: 's',
        nonce: 'n',
        code_challenge: createHash('sha256').update(verifier).digest('base64url'),
        code_challenge_method: 'S256',
      }).toString();
      const callback = new URL(
        await loginInPortal(browser!, r, authorize.href, 'rtyler', 'rtyler', redirectUri),
      );
      const code = callback.searchParams.get('code');
      assert.ok(code);
      const res = await fetch(new URL('oauth2/token', r.issuer), {
        method: 'POST',
        dispatcher: agent,
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          client_id: r.publicClient.clientId,
          redirect_uri: redirectUri,
          code,
          code_verifier: randomBytes(32).toString('base64url'),
        }),
      });
      assert.equal(res.status, 400);
      assert.equal(((await res.json()) as { error?: string }).error, 'invalid_grant');
    });

    it('main/sso: beginAuthorization → real portal form → completeAuthorization', async (t) => {
      if (!requireOrSkip(t, missing === null, `LemonLDAP::NG rig + Chromium (${missing})`)) return;
      const r = rig!;
      const redirectUri = r.publicClient.redirectUris.customScheme;
      const client = await createSsoClient({
        issuer: r.issuer,
        clientId: r.publicClient.clientId,
        redirectUri,
        tls: { caFile: r.caFile, pins: [r.spkiPin] },
        resolve: r.resolve,
      });
      try {
        const { url, pending } = client.beginAuthorization();
        const authorizeUrl = new URL(url);
        assert.equal(authorizeUrl.searchParams.get('code_challenge_method'), 'S256');
        const t0 = Date.now();
        const callback = await loginInPortal(browser!, r, url, 'rtyler', 'rtyler', redirectUri);
        const tokens = await client.completeAuthorization(callback, pending);
        t.diagnostic(`form + code exchange through main/sso ${Date.now() - t0} ms`);
        assert.equal(tokens.claims?.sub, 'rtyler');
        assert.ok(tokens.refreshToken);
        const again = await client.refresh(tokens.refreshToken);
        assert.ok(again.accessToken);
      } finally {
        await client.close();
      }
    });
  },
);
