// Where built artefacts live, for tests. The build (scripts/build.mjs) puts them there.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = join(REPO_ROOT, 'build');
export const HELPER_OUT = join(REPO_ROOT, 'native-helper/out');
/** Test-only builds of the helper: outside `out/`, named so that no install glob for
 *  `bastion-*` or `native-helper/out/*` can pick them up (they honour BASTION_TEST_* switches). */
export const HELPER_TEST_ONLY_DIR = join(REPO_ROOT, 'native-helper/test-only-builds');
/** ASan + UBSan, -DBASTION_TEST_BUILD: what the tests run. */
export const HELPER_TEST_BUILD = join(HELPER_TEST_ONLY_DIR, 'test-build-pam-helper-asan');
/** Release flags + -DBASTION_TEST_BUILD, no sanitizers: what the bench runs. */
export const HELPER_BENCH_BUILD = join(HELPER_TEST_ONLY_DIR, 'test-build-pam-helper-bench');
/** The session blanker (native-helper/bastion-session-blanker.c), release build. */
export const SESSION_BLANKER = join(HELPER_OUT, 'bastion-session-blanker');
/** The session blanker with ASan + UBSan (native-helper/Makefile). */
export const SESSION_BLANKER_TEST_BUILD = join(
  HELPER_TEST_ONLY_DIR,
  'test-build-session-blanker-asan',
);
/** Test-only X client (native-helper/test/x11-probe.c): grabs, raises, types through XTEST. */
export const X11_PROBE = join(HELPER_TEST_ONLY_DIR, 'test-x11-probe');
