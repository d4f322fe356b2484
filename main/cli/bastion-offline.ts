// Entry of `bastion-offline` (bundled to build/cli/bastion-offline.mjs). The command itself is
// offline-command.ts; this file only binds it to the real process. PAM_USER is read from the
// initial environment as bytes (/proc/self/environ): process.env has already decoded it, and
// replaced invalid UTF-8 with U+FFFD.
import { readFileSync } from 'node:fs';
import { processIo } from './args';
import { bastionOffline } from './offline-command';

function environ(): Buffer | null {
  try {
    return readFileSync('/proc/self/environ');
  } catch {
    return null;
  }
}

process.exitCode = await bastionOffline(process.argv.slice(2), processIo(), environ);
