// The real helper's TEST build (testkit/paths.ts HELPER_TEST_BUILD, ASan+UBSan) on a
// throw-away pam_wrapper stack, for client and controller tests.
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createPamStack,
  hasPamWrapper,
  type PamStack,
  type PamStackOptions,
} from '../../../testkit/pam-stack';
import { HELPER_TEST_BUILD } from '../../../testkit/paths';
import { fileExists } from '../../../testkit/require';

export const HELPER_TEST_BINARY = HELPER_TEST_BUILD;
export const PAM_EXEC = '/usr/lib/x86_64-linux-gnu/security/pam_exec.so';

export function hasHelperTestBuild(): boolean {
  return fileExists(HELPER_TEST_BINARY) && hasPamWrapper();
}

export interface HelperFixture {
  stack: PamStack;
  /** The helper's environment: pam_wrapper's plus the test build's own state dir. */
  env: Record<string, string>;
  /** A scratch dir for scripts (pam_exec) and state. */
  dir: string;
  /** Writes an executable /bin/sh script into `dir` and returns its path. */
  script(name: string, body: string): string;
  cleanup(): void;
}

export function createHelperFixture(
  options: PamStackOptions,
  extraEnv: Record<string, string> = {},
): HelperFixture {
  const stack = createPamStack(options);
  const dir = mkdtempSync(join(tmpdir(), 'bastion-helper-fixture-'));
  return {
    stack,
    dir,
    env: {
      ...stack.env,
      // The sanitized test build cannot dlopen libpam with RTLD_DEEPBIND (pam_wrapper's default).
      UID_WRAPPER_DISABLE_DEEPBIND: '1',
      BASTION_TEST_STATE_DIR: join(dir, 'ratelimit'),
      ...extraEnv,
    },
    script(name: string, body: string): string {
      const path = join(dir, name);
      writeFileSync(path, `#!/bin/sh\n${body}\n`);
      chmodSync(path, 0o755);
      return path;
    },
    cleanup(): void {
      stack.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
