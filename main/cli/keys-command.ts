// bastion-keys: the administrator's command (root). Dispatches `bastion-keys <group> …` to
// the command group of that name. Exit status: 0 success, 1 refused/failed, 2 usage error.
import type { CliIo } from './args';
import type { CommandGroup } from './command-group';

export function keysHelp(groups: readonly CommandGroup[]): string {
  return [
    'usage: bastion-keys <group> <command> [options]',
    ...groups.flatMap((g) => g.usage),
    'common options: see bastion-keys <group> --help',
  ].join('\n');
}

export async function bastionKeys(
  argv: readonly string[],
  io: CliIo,
  groups: readonly CommandGroup[],
): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h') {
    io[name === undefined ? 'err' : 'out'](keysHelp(groups));
    return name === undefined ? 2 : 0;
  }
  const group = groups.find((g) => g.name === name);
  if (!group) {
    io.err(`bastion-keys: unknown command group ${name}\n${keysHelp(groups)}`);
    return 2;
  }
  return group.run(rest, io);
}
