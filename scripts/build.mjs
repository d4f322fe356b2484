#!/usr/bin/env node
// Builds everything into build/: the renderer (browser bundle), preload (CJS for Electron's
// sandbox), the Electron entry, the CLIs, the development bridge, and the C parts (make).
// Run by `npm install` (prepare), `npm start` and `npm test`.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'build');
const only = process.argv.slice(2); // e.g. `node scripts/build.mjs renderer`
const want = (part) => only.length === 0 || only.includes(part);

// Native modules stay outside bundles: they are loaded from node_modules at run time.
const nativeExternals = ['sodium-native', 'node-hid', 'cbor-extract', 'electron'];

const parts = [
  {
    part: 'renderer',
    entry: 'renderer/index.tsx',
    options: {
      outfile: join(out, 'renderer/app.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      jsx: 'automatic',
      legalComments: 'none',
    },
  },
  // The served first paint (main/screens/first-paint.ts): early.js holds what is clicked or
  // pressed on the served markup until the page hydrates it; first-paint.cjs is the same
  // components rendered to markup in main's process, loaded by path (main never imports the
  // renderer), beside the app's entry so that it is packaged with it.
  {
    part: 'renderer',
    entry: 'renderer/early-input.ts',
    options: {
      outfile: join(out, 'renderer/early.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
      legalComments: 'none',
    },
  },
  {
    part: 'renderer',
    entry: 'renderer/first-paint-server.tsx',
    options: {
      outfile: join(out, 'app/first-paint.cjs'),
      platform: 'node',
      format: 'cjs',
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      jsx: 'automatic',
      legalComments: 'none',
    },
  },
  {
    part: 'preload',
    entry: 'preload/index.ts',
    options: {
      outfile: join(out, 'preload/index.cjs'),
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
    },
  },
  {
    part: 'app',
    entry: 'app/main.ts',
    options: {
      outfile: join(out, 'app/main.cjs'),
      platform: 'node',
      format: 'cjs',
      external: nativeExternals,
    },
  },
  {
    part: 'dev',
    entry: 'dev/server.ts',
    options: {
      outfile: join(out, 'dev/server.mjs'),
      platform: 'node',
      format: 'esm',
      external: nativeExternals,
      banner: {
        js: "import { createRequire as __bastionCreateRequire } from 'node:module'; const require = __bastionCreateRequire(import.meta.url);",
      },
    },
  },
  {
    part: 'dev',
    entry: 'dev/bridge-client.ts',
    options: {
      outfile: join(out, 'dev/bridge-client.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
    },
  },
  {
    // The in-session locker, Chromium fallback (main/lock; the Electron entry: --session-locker;
    // both start native-helper/bastion-session-blanker).
    part: 'dev',
    entry: 'main/lock/main.ts',
    options: {
      outfile: join(out, 'dev/session-locker.mjs'),
      platform: 'node',
      format: 'esm',
    },
  },
  {
    // CommonJS: the PAM stack starts this once per offline login, and node loads a CJS script
    // 6-10 ms faster than an ES module. CJS has no import.meta: main/offline/hash.ts then finds
    // the Argon2id addon from __filename (main/cli/test/installed-entry.ts builds alike).
    part: 'cli',
    entry: 'main/cli/bastion-offline.ts',
    options: {
      outfile: join(out, 'cli/bastion-offline.cjs'),
      platform: 'node',
      format: 'cjs',
      external: nativeExternals,
      define: { 'import.meta.url': 'undefined' },
    },
  },
  {
    // `bastion-offline online`'s SSO client (openid-client, undici, jose): its own bundle,
    // required by path from bastion-offline.cjs for `online` only, so that an offline verify
    // does not load it (main/cli/bastion-sso-online.ts).
    part: 'cli',
    entry: 'main/cli/bastion-sso-online.ts',
    options: {
      outfile: join(out, 'cli/bastion-sso-online.cjs'),
      platform: 'node',
      format: 'cjs',
      external: nativeExternals,
    },
  },
  {
    part: 'cli',
    entry: 'main/cli/bastion-keys.ts',
    options: {
      outfile: join(out, 'cli/bastion-keys.mjs'),
      platform: 'node',
      format: 'esm',
      external: nativeExternals,
      banner: {
        js: "import { createRequire as __bastionCreateRequire } from 'node:module'; const require = __bastionCreateRequire(import.meta.url);",
      },
    },
  },
  // The key manager (`bastion-greeter --keys`, `npm start -- --keys`): its page, its own
  // preload, and the Chromium fallback's bridge client for that page.
  {
    part: 'renderer',
    entry: 'renderer/keys/index.tsx',
    options: {
      outfile: join(out, 'renderer/keys.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      jsx: 'automatic',
      legalComments: 'none',
    },
  },
  {
    part: 'preload',
    entry: 'preload/keys-preload.ts',
    options: {
      outfile: join(out, 'preload/keys.cjs'),
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
    },
  },
  {
    part: 'dev',
    entry: 'dev/keys-bridge-client.ts',
    options: {
      outfile: join(out, 'dev/keys-bridge-client.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
    },
  },
  // The tray (`bastion-greeter --tray`, `npm start -- --tray`): its status page, its own
  // preload, and the Chromium fallback's bridge client for that page.
  {
    part: 'renderer',
    entry: 'renderer/tray/index.tsx',
    options: {
      outfile: join(out, 'renderer/tray.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
      define: { 'process.env.NODE_ENV': '"production"' },
      jsx: 'automatic',
      legalComments: 'none',
    },
  },
  {
    part: 'preload',
    entry: 'preload/tray-preload.ts',
    options: {
      outfile: join(out, 'preload/tray.cjs'),
      platform: 'node',
      format: 'cjs',
      external: ['electron'],
    },
  },
  {
    part: 'dev',
    entry: 'dev/tray-bridge-client.ts',
    options: {
      outfile: join(out, 'dev/tray-bridge-client.js'),
      platform: 'browser',
      format: 'iife',
      target: 'chrome120',
      minify: true,
    },
  },
];

const started = Date.now();
for (const { part, entry, options } of parts) {
  if (!want(part)) continue;
  if (!existsSync(join(root, entry))) {
    console.log(`build: ${entry} not present yet, skipped`);
    continue;
  }
  await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    sourcemap: false,
    logLevel: 'warning',
    target: options.target ?? 'node20',
    ...options,
  });
}

// The offline CLI was an ES module bundle before: do not ship a stale copy beside the new one.
if (want('cli')) rmSync(join(out, 'cli/bastion-offline.mjs'), { force: true });

if (want('renderer') && existsSync(join(root, 'renderer/static'))) {
  mkdirSync(join(out, 'renderer'), { recursive: true });
  cpSync(join(root, 'renderer/static'), join(out, 'renderer'), { recursive: true });
}
if (want('renderer') && existsSync(join(root, 'renderer/keys/static'))) {
  cpSync(join(root, 'renderer/keys/static'), join(out, 'renderer'), { recursive: true });
}

if (want('renderer') && existsSync(join(root, 'renderer/tray/static'))) {
  cpSync(join(root, 'renderer/tray/static'), join(out, 'renderer'), { recursive: true });
  // The status page shows the tray's own icons (resources/icons/*.svg).
  mkdirSync(join(out, 'renderer/tray-icons'), { recursive: true });
  for (const name of readdirSync(join(root, 'resources/icons')).filter((n) => n.endsWith('.svg')))
    cpSync(join(root, 'resources/icons', name), join(out, 'renderer/tray-icons', name));
}

if (want('native')) {
  for (const dir of ['native-helper', 'native-helper/test/fake-hidraw']) {
    if (existsSync(join(root, dir, 'Makefile'))) {
      execFileSync('make', ['-s', '-C', join(root, dir)], { stdio: 'inherit' });
    }
  }
}

if (only.includes('clean')) rmSync(out, { recursive: true, force: true });
console.log(`build: done in ${Date.now() - started} ms`);
