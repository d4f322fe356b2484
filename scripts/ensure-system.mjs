// Makes sure the Debian packages of scripts/setup-system.sh are present before `npm start`
// and `npm test`. As root it runs the (idempotent) script; otherwise it prints the one
// command to run and fails.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const script = join(dirname(fileURLToPath(import.meta.url)), 'setup-system.sh');

export function ensureSystemPackages() {
  const result = spawnSync('bash', [script], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(
      '\nSystem packages are missing. Run once, as root:\n  sudo bash scripts/setup-system.sh\n',
    );
    process.exit(1);
  }
}
