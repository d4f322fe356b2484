// A throw-away PAM configuration for tests: service files in a temp dir, read by real libpam
// through pam_wrapper (Debian libpam-wrapper), with pam_wrapper's test modules available.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO_ROOT } from './paths';
import { fileExists } from './require';

export const PAM_WRAPPER_LIB = '/usr/lib/x86_64-linux-gnu/libpam_wrapper.so';
export const PAM_WRAPPER_MODULES = '/usr/lib/x86_64-linux-gnu/pam_wrapper';
/** Absolute paths of pam_wrapper's test modules, for service files. */
export const PAM_MATRIX = `${PAM_WRAPPER_MODULES}/pam_matrix.so`;
export const PAM_CHATTY = `${PAM_WRAPPER_MODULES}/pam_chatty.so`;
export const PAM_SET_ITEMS = `${PAM_WRAPPER_MODULES}/pam_set_items.so`;
export const PAM_GET_ITEMS = `${PAM_WRAPPER_MODULES}/pam_get_items.so`;

export function hasPamWrapper(): boolean {
  return fileExists(PAM_WRAPPER_LIB) && fileExists(PAM_MATRIX);
}

export interface PamMatrixUser {
  user: string;
  password: string;
  /** Service the password is valid for (pam_matrix checks it). */
  service: string;
}

export interface PamStackOptions {
  /** Service name → service file body. Use `{passdb}` to refer to the pam_matrix file. */
  services: Record<string, string>;
  users?: PamMatrixUser[];
}

export interface PamStack {
  dir: string;
  passdb: string;
  /** Environment that makes a process (and its children) use this stack via pam_wrapper. */
  env: Record<string, string>;
  cleanup(): void;
}

export function createPamStack(options: PamStackOptions): PamStack {
  const dir = mkdtempSync(join(tmpdir(), 'bastion-pam-'));
  const passdb = join(dir, 'passdb');
  writeFileSync(
    passdb,
    (options.users ?? []).map((u) => `${u.user}:${u.password}:${u.service}\n`).join(''),
    { mode: 0o600 },
  );
  for (const [service, body] of Object.entries(options.services)) {
    writeFileSync(join(dir, service), body.replaceAll('{passdb}', passdb).trim() + '\n');
  }
  return {
    dir,
    passdb,
    env: {
      LD_PRELOAD: PAM_WRAPPER_LIB,
      PAM_WRAPPER: '1',
      PAM_WRAPPER_SERVICE_DIR: dir,
      PAM_MATRIX_PASSWD: passdb,
      // The sanitized helper test build aborts on pam_wrapper's RTLD_DEEPBIND without this.
      UID_WRAPPER_DISABLE_DEEPBIND: '1',
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The usual test stack: pam_matrix for auth and account. */
export function matrixService(): string {
  return `auth required ${PAM_MATRIX} passdb={passdb}\naccount required ${PAM_MATRIX} passdb={passdb}\n`;
}

/**
 * A command prefix that runs the rest in a mount namespace whose /tmp is a fresh directory of
 * its own (under `scratch`) with the stack's dir, `scratch` and the checkout bound at their
 * paths when they live under /tmp (a fresh clone in CI), and `env` without pam_wrapper, which
 * the prefix preloads only once /tmp is private. Why: pam_wrapper (1.1.4) makes its runtime dir
 * /tmp/pam.<c> in every process it is preloaded into, c starting at getpid() % 70, checked with
 * lstat and then mkdir'ed ignoring EEXIST, with no setting for another place: two processes
 * started at once (two test files running side by side) can share one, and one then reads the
 * OTHER's service files. Each process started through this prefix has its own. Root only.
 */
export function privateTmpForPamWrapper(
  stackEnv: Record<string, string>,
  scratch: string,
): { isolate: string[]; env: Record<string, string> } {
  const { LD_PRELOAD: preload, ...env } = stackEnv;
  const shared = [stackEnv.PAM_WRAPPER_SERVICE_DIR ?? '', scratch, REPO_ROOT].filter((dir) =>
    dir.startsWith('/tmp/'),
  );
  const quote = (text: string): string => `'${text.replaceAll("'", `'\\''`)}'`;
  const script = [
    'set -e',
    `priv=$(/usr/bin/mktemp -d ${quote(join(scratch, 'private-tmp-XXXXXX'))})`,
    ...shared.flatMap((dir) => [
      `/usr/bin/mkdir -p "$priv"/${quote(dir.slice('/tmp/'.length))}`,
      `/usr/bin/mount --bind ${quote(dir)} "$priv"/${quote(dir.slice('/tmp/'.length))}`,
    ]),
    '/usr/bin/mount --rbind "$priv" /tmp',
    `export LD_PRELOAD=${quote(preload ?? PAM_WRAPPER_LIB)}`,
    'exec "$0" "$@"',
  ].join('\n');
  return {
    isolate: ['/usr/bin/unshare', '-m', '--propagation', 'private', '/bin/sh', '-c', script],
    env,
  };
}
