#!/usr/bin/env node
// `npx bastion-keys …` in a checkout: runs the bundle built by `npm install` (prepare) or
// `npm run build`.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../build/cli/bastion-keys.mjs', import.meta.url));
if (!existsSync(bundle)) {
  console.error('bastion-keys: build/cli/bastion-keys.mjs is missing: run `npm run build` first');
  process.exit(2);
}
await import(bundle);
