// `bastion-keys cache …`: administration of the OBCRED01 cache. Never prints a password
// hash or salt (EntryState has none to print); invalidation overwrites before unlinking.
import { OfflineCache, type EntryState, type ListedFile } from '../offline/cache';
import { OfflineCacheError, offlineCodeName, type OfflineCode } from '../offline/codes';
import { COMMON_OPTIONS_HELP, UsageError, parseArgs, type CliIo } from './args';
import type { CommandGroup } from './command-group';

const USAGE = [
  'bastion-keys cache list [--json]            cached users, expiry, lockout',
  'bastion-keys cache show USER [--json]       one entry (never its hash)',
  'bastion-keys cache invalidate USER          overwrite and remove one entry',
  'bastion-keys cache invalidate-all           overwrite and remove every entry',
  'bastion-keys cache unlock USER              clear a lockout',
  'bastion-keys cache cleanup [--json]         remove expired entries and abandoned temp files',
  'bastion-keys cache stats [--json]           counts',
];

const iso = (seconds: number): string =>
  seconds === 0 ? '-' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');

/** The entry as JSON, with the reference's field names. */
function entryJson(state: EntryState): Record<string, string | number> {
  const json: Record<string, string | number> = {
    user: state.user,
    file: state.file,
    created_at: state.createdAt,
    expires_at: state.expiresAt,
    last_success: state.lastSuccess,
    failed_attempts: state.failedAttempts,
    locked_until: state.lockedUntil,
  };
  if (state.gecos !== undefined) json.gecos = state.gecos;
  if (state.shell !== undefined) json.shell = state.shell;
  if (state.home !== undefined) json.home = state.home;
  return json;
}

function listedJson(listed: ListedFile): Record<string, unknown> {
  if (listed.ok) return entryJson(listed.entry);
  return {
    file: listed.file,
    error: {
      code: listed.code,
      name: offlineCodeName(listed.code as OfflineCode),
      reason: listed.reason,
    },
  };
}

function listedLine(listed: ListedFile): string {
  if (!listed.ok)
    return `${listed.file}  UNREADABLE ${offlineCodeName(listed.code as OfflineCode)}: ${listed.reason}`;
  const e = listed.entry;
  return [
    e.user,
    `expires=${iso(e.expiresAt)}`,
    `failed=${e.failedAttempts}`,
    `locked_until=${iso(e.lockedUntil)}`,
    `last_success=${iso(e.lastSuccess)}`,
  ].join('  ');
}

function oneUser(positionals: readonly string[], command: string): string {
  if (positionals.length !== 1) throw new UsageError(`cache ${command} needs exactly one USER`);
  return positionals[0]!;
}

function noArguments(positionals: readonly string[], command: string): void {
  if (positionals.length !== 0) throw new UsageError(`cache ${command} takes no arguments`);
}

async function runCache(
  command: string,
  positionals: string[],
  json: boolean,
  cache: OfflineCache,
  io: CliIo,
): Promise<number> {
  const print = (value: unknown, lines: () => string[]): void => {
    if (json) io.out(JSON.stringify(value, null, 2));
    else for (const line of lines()) io.out(line);
  };
  switch (command) {
    case 'list': {
      noArguments(positionals, command);
      const listed = cache.list();
      print(listed.map(listedJson), () =>
        listed.length === 0 ? ['(no cached users)'] : listed.map(listedLine),
      );
      return 0;
    }
    case 'show': {
      const state = cache.get(oneUser(positionals, command));
      print(entryJson(state), () =>
        Object.entries(entryJson(state)).map(
          ([k, v]) =>
            `${k}: ${k.endsWith('_at') || k === 'last_success' || k === 'locked_until' ? `${v} (${iso(Number(v))})` : v}`,
        ),
      );
      return 0;
    }
    case 'invalidate': {
      const user = oneUser(positionals, command);
      await cache.invalidate(user);
      io.out(`invalidated ${user}`);
      return 0;
    }
    case 'invalidate-all': {
      noArguments(positionals, command);
      io.out(`invalidated ${await cache.invalidateAll()} entries`);
      return 0;
    }
    case 'unlock': {
      const state = await cache.unlock(oneUser(positionals, command));
      io.out(`unlocked ${state.user}`);
      return 0;
    }
    case 'cleanup': {
      noArguments(positionals, command);
      const report = await cache.cleanup();
      print(
        {
          expired_removed: report.expiredRemoved,
          abandoned_temp_removed: report.abandonedTempRemoved,
          unreadable: report.unreadable,
        },
        () => [
          `removed ${report.expiredRemoved} expired entries and ${report.abandonedTempRemoved} abandoned temp files; ${report.unreadable} unreadable entries left in place`,
        ],
      );
      return 0;
    }
    case 'stats': {
      noArguments(positionals, command);
      const stats = cache.stats();
      print(stats, () => Object.entries(stats).map(([k, v]) => `${k}: ${v}`));
      return 0;
    }
    default:
      throw new UsageError(`unknown cache command ${command}`);
  }
}

export const cacheGroup: CommandGroup = {
  name: 'cache',
  usage: USAGE,
  async run(argv, io) {
    let cache: OfflineCache | null = null;
    try {
      const args = parseArgs(argv, true);
      if (args.help) {
        io.out(
          [
            ...USAGE,
            'options:',
            '  --json                   machine-readable output',
            ...COMMON_OPTIONS_HELP,
          ].join('\n'),
        );
        return 0;
      }
      const [command, ...positionals] = args.positionals;
      if (command === undefined) throw new UsageError('cache needs a command');
      cache = new OfflineCache(args.cache);
      return await runCache(command, positionals, args.json, cache, io);
    } catch (error) {
      if (error instanceof UsageError) {
        io.err(`bastion-keys: ${error.message}\n${USAGE.join('\n')}`);
        return 2;
      }
      if (error instanceof OfflineCacheError) {
        io.err(`bastion-keys: cache: ${offlineCodeName(error.code)}: ${error.reason}`);
        return 1;
      }
      throw error;
    } finally {
      cache?.close();
    }
  },
};
