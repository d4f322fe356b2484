// Entry of `bastion-offline` (bundled to build/cli/bastion-offline.mjs). The command itself is
// offline-command.ts; this file only binds it to the real process.
import { processIo } from './args';
import { bastionOffline } from './offline-command';

process.exitCode = await bastionOffline(process.argv.slice(2), processIo());
