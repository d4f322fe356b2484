// Test worker for the kill -9 test: rewrites eve's entry in a loop (unlock = read-modify-write
// with no Argon2, so nearly all its time is spent writing) and prints "writing" once started.
// argv: cacheDir keyFile machineIdFile
import { OfflineCache } from '../cache';

const [cacheDir, keyFile, machineIdFile] = process.argv.slice(2);
const cache = new OfflineCache({
  cacheDir: cacheDir!,
  keyFile: keyFile!,
  machineIdFile: machineIdFile!,
  now: () => 1_795_400_020,
});
let announced = false;
for (;;) {
  await cache.unlock('eve');
  if (!announced) {
    process.stdout.write('writing\n');
    announced = true;
  }
}
