// What a packaged build contains. electron-builder's `dir` target runs for real, offline,
// with `electronDist` pointing at ElectronDistStandInForTest (no Electron binary can be
// downloaded here; the stand-in only has to be copied). The produced app.asar is then
// listed and read with @electron/asar, and every other produced file is read from disk.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { test } from 'node:test';
import * as asar from '@electron/asar';
import { build, Platform } from 'electron-builder';
import { BUILD_DIR, HELPER_OUT, HELPER_TEST_BUILD, REPO_ROOT } from '../../testkit/paths';

/** Marks of the development bridge that must never ship (searched case-insensitively). */
// `BASTION_TEST_` is in every build with test hooks (the helper's test and bench builds read
// BASTION_TEST_* switches): no packaged file may carry it.
const DEV_ONLY_MARKS = ['x-bastion-token', 'BASTION_DEV_URL', 'bridge-client', 'BASTION_TEST_'];

/** Electron's fuse sentinel and a V1 wire of 8 fuses in Electron's default states. */
const FUSE_SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const DEFAULT_FUSE_WIRE = Buffer.from([1, 8, ...Buffer.from('10110001')]);

function makeElectronDistStandInForTest(dir: string): string {
  const dist = join(dir, 'ElectronDistStandInForTest');
  mkdirSync(join(dist, 'resources'), { recursive: true });
  // Not Electron: a script that fails if run, carrying a fuse wire so the real fuse flipper
  // (@electron/fuses, run by electron-builder) has something to flip.
  const executable = Buffer.concat([
    Buffer.from('#!/bin/sh\necho "stand-in, not Electron" >&2\nexit 1\n# '),
    Buffer.from(FUSE_SENTINEL),
    DEFAULT_FUSE_WIRE,
    Buffer.from('\n'),
  ]);
  writeFileSync(join(dist, 'electron'), executable);
  chmodSync(join(dist, 'electron'), 0o755);
  writeFileSync(join(dist, 'version'), 'stand-in');
  return dist;
}

/** The packaged executable's fuse states, by Electron's fuse order, as '0'/'1'. */
function fuseStates(executable: string): string {
  const bytes = readFileSync(executable);
  const at = bytes.indexOf(FUSE_SENTINEL) + FUSE_SENTINEL.length;
  assert.ok(at >= FUSE_SENTINEL.length, 'fuse sentinel present');
  return bytes.subarray(at + 2, at + 2 + bytes[at + 1]!).toString('latin1');
}

function ensureBuilt(): void {
  const needed = [
    'app/main.cjs',
    'preload/index.cjs',
    'renderer/index.html',
    'dev/bridge-client.js',
  ];
  if (needed.every((file) => existsSync(join(BUILD_DIR, file)))) return;
  const result = spawnSync(
    process.execPath,
    ['scripts/build.mjs', 'renderer', 'preload', 'app', 'dev', 'cli'],
    {
      cwd: REPO_ROOT,
      stdio: 'inherit',
    },
  );
  assert.equal(result.status, 0, 'build failed');
}

function walk(dir: string, acc: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stats = statSync(path);
    if (stats.isDirectory()) walk(path, acc);
    else acc.push(path);
  }
  return acc;
}

function containsMark(bytes: Buffer): string | null {
  const text = bytes.toString('latin1').toLowerCase();
  return DEV_ONLY_MARKS.find((mark) => text.includes(mark.toLowerCase())) ?? null;
}

test(
  'the packaged app holds the built app only: no dev bridge, no test helper',
  { timeout: 180_000 },
  async (t) => {
    ensureBuilt();
    // The dev bridge really is built in this tree, so its absence below means something.
    assert.ok(existsSync(join(BUILD_DIR, 'dev', 'bridge-client.js')));
    assert.ok(containsMark(readFileSync(join(BUILD_DIR, 'dev', 'bridge-client.js'))));
    // …and so does a helper build with test hooks, while the release helper has none.
    assert.equal(containsMark(readFileSync(HELPER_TEST_BUILD)), 'BASTION_TEST_');
    assert.equal(containsMark(readFileSync(join(HELPER_OUT, 'bastion-pam-helper'))), null);

    const dir = mkdtempSync(join(tmpdir(), 'bastion-package-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const output = join(dir, 'out');
    await build({
      targets: Platform.LINUX.createTarget('dir'),
      projectDir: REPO_ROOT,
      publish: 'never',
      // Merged over electron-builder.yml, which electron-builder loads itself.
      config: { electronDist: makeElectronDistStandInForTest(dir), directories: { output } },
    });
    const unpacked = join(output, 'linux-unpacked');
    const asarPath = join(unpacked, 'resources', 'app.asar');
    assert.ok(existsSync(asarPath), 'app.asar was produced');

    const entries = asar
      .listPackage(asarPath, { isPack: false })
      .map((p) => p.replaceAll('\\', '/'));
    // What must be there.
    for (const file of [
      '/package.json',
      '/build/app/main.cjs',
      '/build/preload/index.cjs',
      '/build/renderer/index.html',
      '/build/renderer/app.js',
    ]) {
      assert.ok(entries.includes(file), `${file} is packaged`);
    }
    assert.ok(
      entries.some((p) => p.startsWith('/node_modules/react/')),
      'production dependencies are packaged',
    );
    // What must not.
    const forbidden = entries.filter(
      (p) =>
        /^\/(dev|e2e|testkit|native-helper|renderer|main|app|preload|scripts)(\/|$)/.test(p) ||
        /^\/build\/(dev|demo)(\/|$)/.test(p) ||
        /^\/node_modules\/(electron|electron-builder|playwright-core|typescript|esbuild|tsx|eslint|axe-core)\//.test(
          p,
        ),
    );
    assert.deepEqual(forbidden, [], 'sources, dev files and devDependencies stay out');

    // No dev-bridge code anywhere in the archive.
    const marked: string[] = [];
    for (const entry of entries) {
      let stats: { size?: number; files?: unknown } | undefined;
      try {
        stats = asar.statFile(asarPath, entry.slice(1), false) as {
          size?: number;
          files?: unknown;
        };
      } catch {
        continue;
      }
      if (!stats || stats.files !== undefined || stats.size === undefined) continue;
      if ((stats as { unpacked?: boolean }).unpacked) continue; // read from disk below
      const mark = containsMark(asar.extractFile(asarPath, entry.slice(1)));
      if (mark) marked.push(`${entry} (${mark})`);
    }
    assert.deepEqual(marked, [], 'no file of the archive carries dev-bridge code');

    // Everything outside the archive (unpacked natives, resources, helper) too.
    const onDisk = walk(unpacked).filter((p) => p !== asarPath);
    const names = onDisk.map((p) => relative(unpacked, p));
    assert.deepEqual(
      names.filter((n) =>
        /bastion-pam-helper-test|test-build-|pam_envdump|bridge-client|server\.mjs/.test(n),
      ),
      [],
    );
    assert.deepEqual(
      onDisk
        .filter((p) => statSync(p).size < 64 * 1024 * 1024 && containsMark(readFileSync(p)))
        .map((p) => relative(unpacked, p)),
      [],
    );
    // Fuses: RunAsNode on, cookie encryption on, NODE_OPTIONS off, --inspect off, ASAR
    // integrity untouched (not on Linux), only app.asar, V8 snapshot untouched, file://
    // extra privileges off (the page is served from app://greeter/, app/scheme.ts).
    assert.equal(fuseStates(join(unpacked, 'bastion-greeter')), '11000100');
    // The release helper ships as an extra resource when it has been built.
    if (existsSync(join(HELPER_OUT, 'bastion-pam-helper'))) {
      assert.ok(names.includes('resources/bastion-pam-helper'), 'release helper packaged');
    }
  },
);
