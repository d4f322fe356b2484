// Tests that need a daemon, tool or file of this machine call these before using it.
// Locally a missing tool skips the test with its reason; under CI=true a skip is a failure,
// so a missing install step can never hide behind a green run.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { TestContext } from 'node:test';

export function findExecutable(name: string): string | null {
  if (name.includes('/')) {
    try {
      accessSync(name, constants.X_OK);
      return name;
    } catch {
      return null;
    }
  }
  for (const dir of (process.env.PATH ?? '/usr/bin:/bin').split(delimiter)) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

export function fileExists(path: string): boolean {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Returns true when `available`; otherwise skips `t` (locally) or throws (under CI=true).
 * Usage: `if (!requireOrSkip(t, hasPamWrapper(), 'libpam-wrapper')) return;`
 */
export function requireOrSkip(t: TestContext, available: boolean, what: string): boolean {
  if (available) return true;
  const reason = `${what} is not available (install it with: sudo bash scripts/setup-system.sh)`;
  if (process.env.CI === 'true') throw new Error(`CI=true forbids skipping: ${reason}`);
  t.skip(reason);
  return false;
}
