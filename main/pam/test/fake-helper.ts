// Installs the test double `fake-helper-for-test.mjs` as an executable with an absolute-path
// shebang (the client gives the helper an empty environment, so `env node` would not resolve).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export interface FakeHelperForTest {
  path: string;
  cleanup(): void;
}

export function installFakeHelperForTest(): FakeHelperForTest {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-fake-helper-'));
  const path = join(dir, 'fake-helper-for-test');
  const script = join(dirname(fileURLToPath(import.meta.url)), 'fake-helper-for-test.mjs');
  writeFileSync(
    path,
    `#!${process.execPath}\nimport(${JSON.stringify(pathToFileURL(script).href)});\n`,
  );
  chmodSync(path, 0o700);
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}
