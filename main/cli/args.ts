// Option parsing shared by bastion-offline and bastion-keys. Strict: an unknown option or a
// missing value is a usage error (exit 2), never silently ignored.
import {
  DEFAULT_CACHE_DIR,
  DEFAULT_KEY_FILE,
  DEFAULT_MACHINE_ID_FILE,
  type OfflineCacheOptions,
} from '../offline/cache';

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface CliIo {
  /** One line on stdout (a newline is added). */
  out(line: string): void;
  /** Raw text on stdout, nothing added: for output piped into other programs as bytes. */
  write(text: string): void;
  err(line: string): void;
  env: Readonly<Record<string, string | undefined>>;
  /** Reads all of stdin, at most `maxBytes` (more is an error). */
  readStdin(maxBytes: number): Promise<Buffer>;
}

export interface ParsedArgs {
  positionals: string[];
  help: boolean;
  json: boolean;
  cache: OfflineCacheOptions;
}

const VALUE_OPTIONS = {
  '--cache-dir': 'cacheDir',
  '--key-file': 'keyFile',
  '--machine-id-file': 'machineIdFile',
  '--max-failures': 'maxFailedAttempts',
  '--lockout': 'lockoutSeconds',
  '--ttl': 'ttlSeconds',
} as const;
type ValueOption = keyof typeof VALUE_OPTIONS;
const NUMERIC = new Set(['maxFailedAttempts', 'lockoutSeconds', 'ttlSeconds']);

export const COMMON_OPTIONS_HELP = [
  `  --cache-dir DIR          cache directory (default ${DEFAULT_CACHE_DIR})`,
  `  --key-file FILE          32-byte key file (default ${DEFAULT_KEY_FILE}; "none": machine-id only)`,
  `  --machine-id-file FILE   machine id (default ${DEFAULT_MACHINE_ID_FILE})`,
  '  --max-failures N         failed attempts before lockout, 1..20 (default 5)',
  '  --lockout SECS           lockout duration, 60..86400 (default 300)',
  '  --ttl SECS               lifetime of a stored entry, 3600..2592000 (default 604800)',
  '  --help                   this text',
];

export function parseArgs(argv: readonly string[], allowJson: boolean): ParsedArgs {
  const parsed: ParsedArgs = { positionals: [], help: false, json: false, cache: {} };
  const cache = parsed.cache as Record<string, string | number | null>;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') parsed.help = true;
    else if (arg === '--json' && allowJson) parsed.json = true;
    else if (arg in VALUE_OPTIONS || arg.includes('=')) {
      const [name, inline] = arg.includes('=')
        ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)]
        : [arg, undefined];
      if (!(name in VALUE_OPTIONS)) throw new UsageError(`unknown option ${name}`);
      const value = inline ?? argv[++i];
      if (value === undefined || value === '') throw new UsageError(`${name} needs a value`);
      const key = VALUE_OPTIONS[name as ValueOption];
      if (NUMERIC.has(key)) {
        if (!/^[0-9]{1,9}$/.test(value)) throw new UsageError(`${name} needs a whole number`);
        cache[key] = Number(value);
      } else if (key === 'keyFile' && value === 'none') cache[key] = null;
      else cache[key] = value;
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
    else parsed.positionals.push(arg);
  }
  return parsed;
}

/** The real process's stdin/stdout/stderr. */
export function processIo(): CliIo {
  return {
    out: (line) => process.stdout.write(`${line}\n`),
    write: (text) => process.stdout.write(text),
    err: (line) => process.stderr.write(`${line}\n`),
    env: process.env,
    readStdin: async (maxBytes) => {
      const chunks: Buffer[] = [];
      let total = 0;
      for await (const chunk of process.stdin) {
        const buffer = chunk as Buffer;
        total += buffer.length;
        chunks.push(buffer);
        if (total > maxBytes) {
          for (const c of chunks) c.fill(0);
          throw new UsageError(`stdin longer than ${maxBytes} bytes`);
        }
      }
      const all = Buffer.concat(chunks);
      for (const c of chunks) c.fill(0);
      return all;
    },
  };
}
