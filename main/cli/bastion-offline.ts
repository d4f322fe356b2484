// Entry of `bastion-offline` (bundled to build/cli/bastion-offline.cjs: CommonJS starts 6-10 ms
// faster than an ES module bundle). The command itself is offline-command.ts; this file only
// binds it to the real process. PAM_USER is read from the initial environment as bytes
// (/proc/self/environ): process.env has already decoded it, and replaced invalid UTF-8 with
// U+FFFD.
// stdin and stdout are read and written with read(2)/write(2) on fds 0 and 1, not through
// process.stdin/stdout: node's stream stack (net, stream) costs ~5 ms of compiling under the
// launcher's --disallow-code-generation-from-strings (V8 then rejects node's code cache for its
// own modules), and PBKDF2 shares the CPU with it. pam_exec writes the token and closes the pipe
// before it waits, so the blocking read ends at once; a non-blocking descriptor with nothing to
// read yet (EAGAIN) takes the stream's path, as before.
import { readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError, processIo, type CliIo } from './args';
import { bastionOffline } from './offline-command';
import type { PasswordGrantClientFactory } from './sso-online';
import type * as SsoOnlineBundle from './bastion-sso-online';

/**
 * `online`'s SSO client from its own bundle beside this one (build/cli/bastion-sso-online.cjs;
 * ./bastion-sso-online.ts): required by path only when `online` runs, so an offline verify
 * never reads it. A variable path keeps the bundler from inlining it.
 */
const SSO_BUNDLE = 'bastion-sso-online.cjs';
const bundledSsoClient: PasswordGrantClientFactory = async (config) => {
  const path = join(__dirname, SSO_BUNDLE);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a run-time path, CJS bundle
  const sso = require(path) as typeof SsoOnlineBundle;
  return sso.createSsoClient(config);
};

/** `guard` (./guard-command.ts, root's periodic pass) from the same bundle as `online`'s client. */
const bundledGuardCommand = async (): Promise<Pick<typeof SsoOnlineBundle, 'bastionGuard'>> => {
  const path = join(__dirname, SSO_BUNDLE);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- a run-time path, CJS bundle
  return require(path) as typeof SsoOnlineBundle;
};

function environ(): Buffer | null {
  try {
    return readFileSync('/proc/self/environ');
  } catch {
    return null;
  }
}

const wouldBlock = (error: unknown): boolean =>
  (error as NodeJS.ErrnoException | null)?.code === 'EAGAIN';

/** Reads all of fd 0, at most `maxBytes` (more is a usage error, as processIo's reader says). */
async function readAllStdin(maxBytes: number, streamed: CliIo['readStdin']): Promise<Buffer> {
  const buffer = Buffer.alloc(maxBytes + 1);
  let filled = 0;
  try {
    for (;;) {
      const n = readSync(0, buffer, filled, buffer.length - filled, null);
      if (n === 0) return buffer.subarray(0, filled);
      filled += n;
      if (filled > maxBytes) throw new UsageError(`stdin longer than ${maxBytes} bytes`);
    }
  } catch (error) {
    if (!wouldBlock(error)) {
      buffer.fill(0);
      throw error;
    }
  }
  const rest = await streamed(maxBytes).catch((error: unknown) => {
    buffer.fill(0);
    throw error;
  });
  const all = Buffer.concat([buffer.subarray(0, filled), rest]);
  buffer.fill(0);
  rest.fill(0);
  if (all.length > maxBytes) {
    all.fill(0);
    throw new UsageError(`stdin longer than ${maxBytes} bytes`);
  }
  return all;
}

/** Writes all of `text` on fd 1 now; a full non-blocking pipe (EAGAIN) takes the stream's path. */
function writeStdout(text: string): void {
  const bytes = Buffer.from(text, 'utf8');
  let written = 0;
  try {
    while (written < bytes.length) written += writeSync(1, bytes, written);
  } catch (error) {
    if (!wouldBlock(error)) throw error;
    process.stdout.write(bytes.subarray(written));
  }
}

const streams = processIo();
const io: CliIo = {
  ...streams,
  out: (line) => writeStdout(`${line}\n`),
  write: writeStdout,
  readStdin: (maxBytes) => readAllStdin(maxBytes, streams.readStdin),
};

// The CommonJS bundle has __dirname, and its SSO bundle beside it; the sources run under tsx
// (tests) have neither and load main/sso from the sources (offline-command.ts's defaults).
const bundled = typeof __dirname === 'string';
void bastionOffline(
  process.argv.slice(2),
  io,
  environ,
  bundled ? { ssoClient: bundledSsoClient, guardCommand: bundledGuardCommand } : {},
).then((code) => {
  process.exitCode = code;
});
