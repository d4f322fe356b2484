#!/usr/bin/env node
// `npx bastion-offline …` in a checkout: runs the bundle built by `npm install` (prepare) or
// `npm run build`. The installed PAM entry is resources/bin/bastion-offline, not this file:
// this one keeps the caller's environment and is for development only.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const bundle = fileURLToPath(new URL('../build/cli/bastion-offline.cjs', import.meta.url));
if (!existsSync(bundle)) {
  console.error(
    'bastion-offline: build/cli/bastion-offline.cjs is missing: run `npm run build` first',
  );
  console.log('OFFLINE_ERROR:-2');
  process.exit(2);
}
await import(bundle);
