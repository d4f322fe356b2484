// Test helper: bastion-offline as it is installed — the bundle scripts/build.mjs makes, started
// by the shipped shell entry (resources/bin/bastion-offline) with only its CLI path rewritten.
// Built into a private folder under build/ (so `argon2` resolves from node_modules) and removed
// afterwards; never touches build/cli, which other test files may be running.
import { build } from 'esbuild';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, REPO_ROOT } from '../../../testkit/paths';

export const SHIPPED_ENTRY = join(REPO_ROOT, 'resources/bin/bastion-offline');
export const INSTALLED_ENTRY_PATH = '/usr/libexec/bastion-greeter/bastion-offline';

export interface InstalledEntry {
  /** The shell entry to put in PAM lines. */
  entry: string;
  bundle: string;
  cleanup(): void;
}

/** The ESM banner scripts/build.mjs gives the CLI bundles (read from it, so the test builds alike). */
function buildBanner(): string {
  const script = readFileSync(join(REPO_ROOT, 'scripts/build.mjs'), 'utf8');
  const banner = /part: 'cli',[\s\S]*?banner:\s*\{\s*js:\s*"([^"]+)",?\s*\}/.exec(script)?.[1];
  if (banner === undefined) throw new Error('no CLI banner found in scripts/build.mjs');
  return banner;
}

/** Bundles `main/cli/<name>.ts` as scripts/build.mjs does, into a private folder under build/. */
export async function bundleForTest(
  name: string,
): Promise<{ dir: string; bundle: string; cleanup(): void }> {
  mkdirSync(BUILD_DIR, { recursive: true });
  const dir = mkdtempSync(join(BUILD_DIR, '.test-cli-'));
  chmodSync(dir, 0o755);
  const bundle = join(dir, `${name}.mjs`);
  await build({
    entryPoints: [join(REPO_ROOT, `main/cli/${name}.ts`)],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['argon2', 'node-hid', 'cbor-extract', 'electron'],
    logLevel: 'warning',
    banner: { js: buildBanner() },
  });
  return { dir, bundle, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function installEntryForTest(): Promise<InstalledEntry> {
  const { dir, bundle, cleanup } = await bundleForTest('bastion-offline');
  const shipped = readFileSync(SHIPPED_ENTRY, 'utf8');
  const cliLine = /^BASTION_CLI=.*$/m;
  if (!cliLine.test(shipped))
    throw new Error('resources/bin/bastion-offline has no BASTION_CLI= line');
  const entry = join(dir, 'bastion-offline');
  writeFileSync(entry, shipped.replace(cliLine, `BASTION_CLI=${bundle}`), { mode: 0o755 });
  return { entry, bundle, cleanup };
}
