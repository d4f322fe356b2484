// Test-only: runs RemovalWatch over node-hid's real native path in a child process that has
// the fake-hidraw shim preloaded, with logind on the test's private bus. argv[2] is JSON:
// { rpId, authfile, user, address, sessionId, intervalMs }. Prints one JSON line per event:
// {"watching":[paths]} (or {"watching":null}), then {"lockRequested":true}.
import { listFidoDevices, openHidDevice } from '../../fido2/hid-device';
import { enrolledWatchCredentials, RemovalWatch, logindLockSession } from '../removal-watch';

interface RunnerRequest {
  rpId: string;
  authfile: string;
  user: string;
  address: string;
  sessionId: string;
  intervalMs: number;
}

const request = JSON.parse(process.argv[2]!) as RunnerRequest;
if (!request.address.startsWith('unix:path=/tmp/')) throw new Error('private test bus only');
const lock = logindLockSession({ systemBusAddress: request.address, sessionId: request.sessionId });
const watch = await RemovalWatch.start({
  devices: { list: listFidoDevices, open: openHidDevice },
  rpId: request.rpId,
  credentials: enrolledWatchCredentials(request.authfile, request.user),
  intervalMs: request.intervalMs,
  log: (line) => process.stderr.write(`removal watch: ${line}\n`),
  lock: async () => {
    await lock();
    process.stdout.write(`${JSON.stringify({ lockRequested: true })}\n`);
    process.exit(0);
  },
});
process.stdout.write(`${JSON.stringify({ watching: watch ? watch.watched : null })}\n`);
if (!watch) process.exit(0);
// The watcher's timer is unref'ed (it must not keep an app alive): keep this process up.
setInterval(() => undefined, 60_000);
