// `bastion-greeter --session-locker`: main/lock's in-session locker of the light-locker model
// (main/lock/README.md) under Electron. Its blanker is native-helper/bastion-session-blanker, a
// process of its own (not an Electron window: a window cannot grab the keyboard and pointer, and
// a window manager may restack it), so this process opens no window.
import type * as ElectronModule from 'electron';
import { startSessionLocker } from '../main/lock';

export async function runSessionLocker(
  electron: Pick<typeof ElectronModule, 'app'>,
): Promise<void> {
  await electron.app.whenReady();
  const log = (line: string): void => console.error(`bastion-session-locker: ${line}`);
  const running = await startSessionLocker({ env: process.env, log });
  process.once('SIGTERM', () => {
    log(`SIGTERM: stopping${running.locker.isLocked ? ' (locked: the blanker stays up)' : ''}`);
    void running.close().finally(() => electron.app.exit(0));
  });
}
