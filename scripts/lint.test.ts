// The project's static checks run as part of `npm test`, so CI enforces them:
// ESLint (including the per-folder layering rules), TypeScript strict, Prettier.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const bin = (name: string): string => join(root, 'node_modules/.bin', name);

function check(command: string, args: string[]): void {
  const run = spawnSync(bin(command), args, {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 32 * 1024 * 1024,
  });
  assert.equal(run.status, 0, `${command} ${args.join(' ')} failed:\n${run.stdout}\n${run.stderr}`);
}

test('eslint: clean, including the layering rules of DESIGN.md', () => {
  check('eslint', ['--max-warnings=0', '.']);
});

test('tsc: strict type check of every folder', () => {
  check('tsc', ['-p', 'tsconfig.json', '--noEmit']);
});

test('prettier: formatted', () => {
  check('prettier', ['--check', '.']);
});
