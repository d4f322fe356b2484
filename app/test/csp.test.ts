import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../../preload/api';
import { REPO_ROOT } from '../../testkit/paths';

test('the CSP header of app/ and dev/ is the policy of the page meta tag', () => {
  const html = readFileSync(join(REPO_ROOT, 'renderer/static/index.html'), 'utf8');
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]+)"/i.exec(html);
  assert.ok(meta, 'renderer/static/index.html has a CSP meta tag');
  const directives = (policy: string) =>
    policy
      .split(';')
      .map((d) => d.trim().replace(/\s+/g, ' '))
      .filter(Boolean)
      .sort();
  assert.deepEqual(directives(CONTENT_SECURITY_POLICY), directives(meta[1]!));
  // The properties the security e2e relies on.
  assert.match(CONTENT_SECURITY_POLICY, /default-src 'none'/);
  assert.match(CONTENT_SECURITY_POLICY, /script-src 'self'(;|$)/);
  assert.doesNotMatch(CONTENT_SECURITY_POLICY, /unsafe-inline|unsafe-eval/);
});
