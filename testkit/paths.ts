// Where built artefacts live, for tests. The build (scripts/build.mjs) puts them there.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_DIR = join(REPO_ROOT, 'build');
export const HELPER_OUT = join(REPO_ROOT, 'native-helper/out');
