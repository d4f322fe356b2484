// `bastion-keys keys …`: enroll a security key for pam_u2f into a mapping file, and list a
// mapping file — what the enrollment wizard does, for administrators and scripts. The PIN is
// read from stdin only (never argv or the environment); prompts go to stderr, and "touch your
// key" only when the key says it awaits a touch. Ctrl-C before the write leaves the file as it
// was.
import type { CliIo } from './args';
import type { CommandGroup } from './command-group';
import { openAuthenticator, parseDeviceChoice } from '../fido2/device-choice';
import { listFidoDevices, openHidDevice } from '../fido2/hid-device';
import type { EnrollProgress, Requirement } from '../keys';
import { asKeysError, KeysError } from '../keys/errors';
import { defaultOrigin, enrollIntoAuthfile, listAuthfile } from '../keys';

const USAGE = [
  'bastion-keys keys enroll --user NAME --device PATH|auto --authfile FILE [--origin pam://HOST]',
  '                         [--pin-stdin] [--name LABEL] [--require presence|pin|verification] [--json]',
  '                                            enroll a security key for pam_u2f (touch, then a test touch)',
  'bastion-keys keys list --authfile FILE [--json]',
  '                                            list the keys of a pam_u2f mapping file',
];

interface KeysArgs {
  command: string;
  user?: string;
  device?: string;
  authfile?: string;
  origin?: string;
  name?: string;
  require: Requirement;
  pinStdin: boolean;
  json: boolean;
}

class KeysUsageError extends Error {}

const REQUIREMENTS: readonly Requirement[] = ['presence', 'pin', 'verification'];

function parse(argv: readonly string[]): KeysArgs {
  const args: KeysArgs = {
    command: argv[0] ?? '',
    require: 'presence',
    pinStdin: false,
    json: false,
  };
  const seen = new Set<string>();
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined || v === '') throw new KeysUsageError(`${arg} needs a value`);
      if (seen.has(arg)) throw new KeysUsageError(`${arg} given twice`);
      seen.add(arg);
      return v;
    };
    if (arg === '--user') args.user = value();
    else if (arg === '--device') args.device = value();
    else if (arg === '--authfile') args.authfile = value();
    else if (arg === '--origin') args.origin = value();
    else if (arg === '--name') args.name = value();
    else if (arg === '--require') {
      const v = value();
      if (!REQUIREMENTS.includes(v as Requirement))
        throw new KeysUsageError('--require is presence, pin or verification');
      args.require = v as Requirement;
    } else if (arg === '--pin-stdin') args.pinStdin = true;
    else if (arg === '--json') args.json = true;
    else if (arg === '--pin')
      throw new KeysUsageError('the PIN is read from stdin only: use --pin-stdin');
    else throw new KeysUsageError(`unknown option ${arg}`);
  }
  return args;
}

/** The first line of stdin as bytes; every other copy is wiped. */
async function readPin(io: CliIo): Promise<Buffer> {
  const raw = await io.readStdin(256);
  try {
    let end = raw.indexOf(0x0a);
    if (end === -1) end = raw.length;
    if (end > 0 && raw[end - 1] === 0x0d) end--;
    if (end === 0) throw new KeysError('BAD_INPUT', 'No PIN on standard input.');
    return Buffer.from(raw.subarray(0, end));
  } finally {
    raw.fill(0);
  }
}

async function chooseDevice(args: KeysArgs, io: CliIo): Promise<string> {
  const choice = parseDeviceChoice(args.device ?? io.env.BASTION_FIDO2_DEVICE);
  if (choice.kind === 'path') return choice.path;
  if (choice.kind === 'none')
    throw new KeysUsageError(
      'no device chosen: pass --device PATH|auto or set BASTION_FIDO2_DEVICE',
    );
  const devices = await listFidoDevices();
  if (devices.length === 0) throw new KeysError('KEY_NOT_FOUND', 'No security key is plugged in.');
  if (devices.length > 1)
    throw new KeysError(
      'BAD_INPUT',
      `Several security keys are plugged in: pass --device with one of ${devices.map((d) => d.path).join(', ')}.`,
    );
  return devices[0]!.path;
}

function prompter(io: CliIo): (event: EnrollProgress) => void {
  return (event) => {
    if (event.step !== 'touch') return;
    io.err(
      event.purpose === 'create'
        ? 'Touch your security key now.'
        : 'Touch your security key again to test it.',
    );
  };
}

async function enroll(args: KeysArgs, io: CliIo): Promise<number> {
  if (args.user === undefined) throw new KeysUsageError('enroll needs --user NAME');
  if (args.authfile === undefined) throw new KeysUsageError('enroll needs --authfile FILE');
  if (args.origin !== undefined && !/^[\x21-\x7e]{1,255}$/.test(args.origin))
    throw new KeysUsageError('--origin is one word of printable characters, like pam://host');
  const path = await chooseDevice(args, io);
  const pin = args.pinStdin ? await readPin(io) : undefined;
  const controller = new AbortController();
  const onSigint = (): void => controller.abort();
  process.once('SIGINT', onSigint);
  try {
    const opened = await openAuthenticator(openHidDevice, path);
    try {
      const result = await enrollIntoAuthfile(opened.client, {
        user: args.user,
        authfile: args.authfile,
        origin: args.origin ?? defaultOrigin(),
        requirement: args.require,
        signal: controller.signal,
        onProgress: prompter(io),
        ...(pin ? { pin } : {}),
        ...(args.name !== undefined ? { label: args.name } : {}),
      });
      const keyHandle = result.credential.credentialId.toString('base64');
      if (args.json)
        io.out(
          JSON.stringify({
            user: args.user,
            authfile: args.authfile,
            origin: result.credential.origin,
            credential: keyHandle,
            flags: result.credential.flags,
            name: result.label,
          }),
        );
      else io.out(`Enrolled a security key for ${args.user} in ${args.authfile}.`);
      return 0;
    } finally {
      await opened.close();
    }
  } finally {
    pin?.fill(0);
    process.removeListener('SIGINT', onSigint);
  }
}

function flagText(flags: { presence: boolean; verification: boolean; pin: boolean }): string {
  const parts = [
    flags.presence ? 'presence' : null,
    flags.pin ? 'pin' : null,
    flags.verification ? 'verification' : null,
  ].filter((p): p is string => p !== null);
  return parts.length === 0 ? 'none' : parts.join('+');
}

function list(args: KeysArgs, io: CliIo): number {
  if (args.authfile === undefined) throw new KeysUsageError('list needs --authfile FILE');
  const listing = listAuthfile(args.authfile);
  if (args.json) io.out(JSON.stringify(listing.credentials));
  else if (listing.credentials.length === 0)
    io.out(`No security key is enrolled in ${args.authfile}.`);
  else
    for (const c of listing.credentials)
      io.out(
        [
          c.user,
          c.name ?? '-',
          c.resident ? '(resident)' : `${c.credential.slice(0, 16)}…`,
          c.type,
          flagText(c.flags),
        ].join('\t'),
      );
  for (const line of listing.ignoredLines)
    io.err(
      `bastion-keys keys: line ${line} is ignored by pam_u2f (a later line names the same user).`,
    );
  if (listing.labelsProblem) io.err(`bastion-keys keys: ${listing.labelsProblem}`);
  for (const problem of listing.problems)
    io.err(`bastion-keys keys: ${problem.message} [MAPPING_CORRUPT]`);
  return listing.problems.length > 0 ? 1 : 0;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let args: KeysArgs;
  try {
    args = parse(argv);
  } catch (err) {
    io.err(`bastion-keys keys: ${(err as Error).message}`);
    return 2;
  }
  try {
    switch (args.command) {
      case 'enroll':
        return await enroll(args, io);
      case 'list':
        return list(args, io);
      default:
        io.err(`bastion-keys keys: unknown command "${args.command}"`);
        for (const line of USAGE) io.err(`  ${line}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof KeysUsageError) {
      io.err(`bastion-keys keys: ${err.message}`);
      return 2;
    }
    const error = asKeysError(err);
    io.err(`bastion-keys keys: ${error.message} [${error.code}]`);
    return 1;
  }
}

export const keysGroup: CommandGroup = { name: 'keys', usage: USAGE, run };

/** Entry for callers without the dispatcher (tests). */
export function runKeysCommand(argv: readonly string[], io: CliIo): Promise<number> {
  return run(argv, io);
}
