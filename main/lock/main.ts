// Entry of the Chromium-fallback session locker (bundled to build/dev/session-locker.mjs by
// scripts/build.mjs): what `bastion-greeter --session-locker` does where Electron's binary is
// absent, with the same blanker (bastion-session-blanker). Logs one line per event on stderr
// (`bastion-session-locker: …`); exits 1 with the reason when it does not apply here.
import { LockError, startSessionLocker } from './index';

const log = (line: string): void => console.error(`bastion-session-locker: ${line}`);

async function main(): Promise<void> {
  const running = await startSessionLocker({ env: process.env, log });
  const stop = (signal: string): void => {
    // The blanker is left as it is: a locker stopped while locked keeps the session covered.
    log(`${signal}: stopping${running.locker.isLocked ? ' (locked: the blanker stays up)' : ''}`);
    void running.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGHUP', () => stop('SIGHUP'));
}

main().catch((error: unknown) => {
  const code = error instanceof LockError ? ` [${error.code}]` : '';
  log(`refused${code}: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
