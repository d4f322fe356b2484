// `bastion-keys fido2 …`: list keys (only when run), getInfo as JSON, and derive the passphrase
// of a systemd-fido2 LUKS2 token (stdout, for `cryptsetup --key-file=-`; prompts on stderr).
// Devices are touched only by these commands: nothing here runs at import time.
import { readFileSync } from 'node:fs';
import type { CliIo } from './args';
import type { CommandGroup } from './command-group';
import type { DeviceChoice } from '../fido2/device-choice';
import {
  findAuthenticatorWithCredential,
  openAuthenticator,
  parseDeviceChoice,
} from '../fido2/device-choice';
import { Fido2Error } from '../fido2/errors';
import { listFidoDevices, openHidDevice } from '../fido2/hid-device';
import { parseSystemdFido2Token } from '../fido2/systemd-token';
import { deriveSystemdPassphrase } from '../fido2/systemd-unlock';
import type { KeepaliveEvent } from '../fido2/transport';

const USAGE = [
  'bastion-keys fido2 list [--json]            list plugged-in FIDO2 security keys',
  'bastion-keys fido2 info --device PATH       print the key’s getInfo as JSON',
  'bastion-keys fido2 systemd-unlock --device PATH|auto --token FILE [--pin-stdin]',
  '                                            print a systemd-fido2 token’s LUKS passphrase, no',
  '                                            newline (pipe into cryptsetup --key-file=-)',
];

interface Fido2Args {
  command: string;
  device: string | undefined;
  token: string | undefined;
  pinStdin: boolean;
  json: boolean;
}

class Fido2UsageError extends Error {}

function parse(argv: readonly string[]): Fido2Args {
  const args: Fido2Args = {
    command: argv[0] ?? '',
    device: undefined,
    token: undefined,
    pinStdin: false,
    json: false,
  };
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Fido2UsageError(`${arg} needs a value`);
      return v;
    };
    if (arg === '--device') args.device = value();
    else if (arg === '--token') args.token = value();
    else if (arg === '--pin-stdin') args.pinStdin = true;
    else if (arg === '--json') args.json = true;
    else throw new Fido2UsageError(`unknown option ${arg}`);
  }
  return args;
}

function deviceChoice(args: Fido2Args, io: CliIo): DeviceChoice {
  const choice = parseDeviceChoice(args.device ?? io.env.BASTION_FIDO2_DEVICE);
  if (choice.kind === 'none')
    throw new Fido2UsageError(
      'no device chosen: pass --device PATH|auto or set BASTION_FIDO2_DEVICE',
    );
  return choice;
}

/**
 * One touch prompt per command, on the key's first "touch needed" keepalive only: a prompt
 * printed up front would also show before a refusal that never reaches the key (PIN_REQUIRED).
 */
function touchPrompter(io: CliIo): { onKeepalive(event: KeepaliveEvent): void } {
  let prompted = false;
  return {
    onKeepalive: (event) => {
      if (event.kind !== 'touch-needed' || prompted) return;
      prompted = true;
      io.err('Touch your security key now.');
    },
  };
}

async function readPin(io: CliIo): Promise<string> {
  const raw = await io.readStdin(256);
  const text = raw.toString('utf8');
  raw.fill(0);
  const pin = text.split('\n')[0]!.replace(/\r$/, '');
  if (pin === '') throw new Fido2Error('BAD_INPUT', 'No PIN on standard input.');
  return pin;
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  let args: Fido2Args;
  try {
    args = parse(argv);
  } catch (err) {
    io.err(`bastion-keys fido2: ${(err as Error).message}`);
    return 2;
  }
  try {
    switch (args.command) {
      case 'list': {
        const devices = await listFidoDevices();
        if (args.json) io.out(JSON.stringify(devices));
        else if (devices.length === 0) io.out('No security key is plugged in.');
        else
          for (const d of devices)
            io.out(
              `${d.path}\t${d.vendorId.toString(16).padStart(4, '0')}:${d.productId.toString(16).padStart(4, '0')}\t${d.manufacturer} ${d.product}`.trimEnd(),
            );
        return 0;
      }
      case 'info': {
        const choice = deviceChoice(args, io);
        if (choice.kind !== 'path') throw new Fido2UsageError('info needs --device PATH');
        const opened = await openAuthenticator(openHidDevice, choice.path);
        try {
          const info = await opened.client.getInfo();
          io.out(
            JSON.stringify(
              { path: choice.path, ...info, aaguid: Buffer.from(info.aaguid).toString('hex') },
              null,
              2,
            ),
          );
        } finally {
          await opened.close();
        }
        return 0;
      }
      case 'systemd-unlock': {
        const choice = deviceChoice(args, io);
        if (args.token === undefined)
          throw new Fido2UsageError('systemd-unlock needs --token FILE');
        const token = parseSystemdFido2Token(readFileSync(args.token, 'utf8'));
        const pin = args.pinStdin ? await readPin(io) : undefined;
        const paths =
          choice.kind === 'path' ? [choice.path] : (await listFidoDevices()).map((d) => d.path);
        const prompt = touchPrompter(io);
        const callOptions = { onKeepalive: prompt.onKeepalive };
        const opened =
          paths.length === 1
            ? await openAuthenticator(openHidDevice, paths[0]!, callOptions)
            : await findAuthenticatorWithCredential(
                openHidDevice,
                paths,
                token.rpId,
                [token.credentialId],
                callOptions,
                { credentialMayRequireUv: token.uvRequired },
              );
        try {
          // No trailing newline: `cryptsetup --key-file=-` takes every byte of stdin as the key.
          io.write(await deriveSystemdPassphrase(opened, token, pin !== undefined ? { pin } : {}));
        } finally {
          await opened.close();
        }
        return 0;
      }
      default:
        io.err(`bastion-keys fido2: unknown command "${args.command}"`);
        for (const line of USAGE) io.err(`  ${line}`);
        return 2;
    }
  } catch (err) {
    if (err instanceof Fido2UsageError) {
      io.err(`bastion-keys fido2: ${err.message}`);
      return 2;
    }
    if (err instanceof Fido2Error) {
      io.err(`bastion-keys fido2: ${err.message} [${err.code}]`);
      return 1;
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      io.err(`bastion-keys fido2: ${(err as Error).message}`);
      return 1;
    }
    throw err;
  }
}

export const fido2Group: CommandGroup = { name: 'fido2', usage: USAGE, run };

/** Entry for callers without the dispatcher. */
export function runFido2Command(argv: string[], io: CliIo): Promise<number> {
  return run(argv, io);
}
