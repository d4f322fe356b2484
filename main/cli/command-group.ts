// A command group of bastion-keys (`bastion-keys <group> <command> …`). Each group lives in
// its own module (keys-cache.ts, later keys-fido2.ts …) and is listed in keys-groups.ts.
import type { CliIo } from './args';

export interface CommandGroup {
  /** First word on the command line, e.g. "cache". */
  name: string;
  /** One line per command for `bastion-keys --help`. */
  usage: string[];
  /** Runs `bastion-keys <name> ...argv`; returns the exit status. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
