// Entry of `bastion-keys` (bundled to build/cli/bastion-keys.mjs).
import { processIo } from './args';
import { bastionKeys } from './keys-command';
import { KEY_COMMAND_GROUPS } from './keys-groups';

process.exitCode = await bastionKeys(process.argv.slice(2), processIo(), KEY_COMMAND_GROUPS);
