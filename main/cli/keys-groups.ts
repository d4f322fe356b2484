// The command groups of bastion-keys. Add a group by importing its module here.
import type { CommandGroup } from './command-group';
import { cacheGroup } from './keys-cache';
import { fido2Group } from './keys-fido2';
import { keysGroup } from './keys-keys';

export const KEY_COMMAND_GROUPS: readonly CommandGroup[] = [cacheGroup, fido2Group, keysGroup];
