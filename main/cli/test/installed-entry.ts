// Test helper: bastion-offline as it is installed — the bundle scripts/build.mjs makes, started
// by the shipped static launcher (native-helper/bastion-offline-launcher.c), built by the
// Makefile's own rule with only its two compile-time paths pointing at this checkout.
// Built into a private folder under build/ (so sodium-native resolves from node_modules) and
// removed afterwards; never touches build/cli or native-helper/out, which other tests may be using.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { BUILD_DIR, REPO_ROOT } from '../../../testkit/paths';

export const LAUNCHER_SOURCE = join(REPO_ROOT, 'native-helper/bastion-offline-launcher.c');
export const INSTALLED_ENTRY_PATH = '/usr/libexec/bastion-greeter/bastion-offline';

/** The runtime flags the launcher passes before the script (read from its source). */
export const LAUNCHER_RUNTIME_FLAGS: readonly string[] = (() => {
  const source = readFileSync(LAUNCHER_SOURCE, 'utf8');
  const list = /\{BASTION_RUNTIME,([^}]*?)BASTION_OFFLINE_SCRIPT\}/.exec(source)?.[1];
  if (list === undefined) throw new Error("cannot find the launcher's argument list");
  return [...list.matchAll(/"([^"]*)"/g)].map((match) => match[1]!);
})();

export interface InstalledEntry {
  /** The launcher to put in PAM lines. */
  entry: string;
  bundle: string;
  cleanup(): void;
}

interface CliBuild {
  /** The bundle's file name in build/cli (its extension tells node how to load it). */
  file: string;
  format: 'esm' | 'cjs';
  banner?: string;
  define?: Record<string, string>;
}

/**
 * How scripts/build.mjs bundles `main/cli/<name>.ts`: read from its 'cli' part (file name,
 * format, banner, the import.meta.url define), so the tests build exactly what ships.
 */
export function cliBuildOf(name: string): CliBuild {
  const script = readFileSync(join(REPO_ROOT, 'scripts/build.mjs'), 'utf8');
  const at = script.indexOf(`entry: 'main/cli/${name}.ts'`);
  if (at < 0) throw new Error(`no build of main/cli/${name}.ts in scripts/build.mjs`);
  const next = script.indexOf('part:', at);
  const block = script.slice(at, next < 0 ? undefined : next);
  const file = /outfile: join\(out, 'cli\/([\w.-]+)'\)/.exec(block)?.[1];
  const format = /format: '(esm|cjs)'/.exec(block)?.[1] as CliBuild['format'] | undefined;
  if (file === undefined || format === undefined)
    throw new Error(`cannot read the build of ${name} in scripts/build.mjs`);
  const built: CliBuild = { file, format };
  const banner = /banner:\s*\{\s*js:\s*"([^"]+)",?\s*\}/.exec(block)?.[1];
  if (banner !== undefined) built.banner = banner;
  const metaUrl = /define: \{ 'import\.meta\.url': '(\w+)' \}/.exec(block)?.[1];
  if (metaUrl !== undefined) built.define = { 'import.meta.url': metaUrl };
  if (format === 'esm' && banner === undefined) throw new Error(`no ESM banner for ${name}`);
  return built;
}

/** Bundles `main/cli/<name>.ts` as scripts/build.mjs does, into a private folder under build/. */
export async function bundleForTest(
  name: string,
): Promise<{ dir: string; bundle: string; cleanup(): void }> {
  const how = cliBuildOf(name);
  mkdirSync(BUILD_DIR, { recursive: true });
  const dir = mkdtempSync(join(BUILD_DIR, '.test-cli-'));
  chmodSync(dir, 0o755);
  const bundle = join(dir, how.file);
  await build({
    entryPoints: [join(REPO_ROOT, `main/cli/${name}.ts`)],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: how.format,
    target: 'node20',
    external: ['sodium-native', 'node-hid', 'cbor-extract', 'electron'],
    logLevel: 'warning',
    ...(how.banner === undefined ? {} : { banner: { js: how.banner } }),
    ...(how.define === undefined ? {} : { define: how.define }),
  });
  return { dir, bundle, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Builds the launcher with the Makefile's rule into `dir`, starting `runtime` on `script`.
 * The paths become C string literals: refuse characters the make/shell quoting cannot carry.
 */
export function buildLauncherForTest(dir: string, runtime: string, script: string): string {
  for (const path of [dir, runtime, script]) {
    if (!/^\/[\w./-]+$/.test(path)) throw new Error(`unsupported path for the launcher: ${path}`);
  }
  const launcher = join(dir, 'bastion-offline');
  execFileSync(
    'make',
    [
      '-s',
      '-C',
      join(REPO_ROOT, 'native-helper'),
      `OUT=${dir}`,
      `BASTION_RUNTIME=${runtime}`,
      `BASTION_OFFLINE_SCRIPT=${script}`,
      join(dir, 'bastion-offline-launcher'),
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  renameSync(join(dir, 'bastion-offline-launcher'), launcher);
  return launcher;
}

export async function installEntryForTest(): Promise<InstalledEntry> {
  const { dir, bundle, cleanup } = await bundleForTest('bastion-offline');
  const entry = buildLauncherForTest(dir, process.execPath, bundle);
  return { entry, bundle, cleanup };
}

/**
 * Builds two test libraries whose constructors create a marker file when a dynamic loader
 * loads them: `lib<kind>-marker.so` for kind `preload` and `audit`, in `dir`. Returns the
 * marker paths. A marker that exists proves the loader honoured LD_PRELOAD/LD_AUDIT.
 */
export function buildLdMarkersForTest(dir: string): { preload: string; audit: string } {
  const marks = { preload: join(dir, 'ran-preload'), audit: join(dir, 'ran-audit') };
  for (const [kind, marker] of Object.entries(marks)) {
    execFileSync('/usr/bin/cc', [
      '-Wall',
      '-Wextra',
      '-Werror',
      '-fPIC',
      '-shared',
      `-DMARKER_PATH="${marker}"`,
      join(import.meta.dirname, 'ld_marker_for_test.c'),
      '-o',
      join(dir, `lib${kind}-marker.so`),
    ]);
  }
  return marks;
}
