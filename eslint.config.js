// ESLint flat config. The per-folder `no-restricted-imports` rules enforce the process
// layering of DESIGN.md ("Folders"): imports only go downhill.
//   renderer/ -> preload/api (types only)      preload/ -> electron, preload/api
//   main/     -> node built-ins, npm deps, preload/api (types only); never electron
//   app/      -> electron, main/, preload/      dev/ -> main/, preload/api (never electron)
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import reactHooks from 'eslint-plugin-react-hooks';

const electronBan = {
  name: 'electron',
  message: 'main/ and dev/ never import electron (DESIGN.md).',
};
const up = (folder) => ({
  group: [`**/${folder}/**`, `../${folder}/*`, `../../${folder}/*`, `../../../${folder}/*`],
  message: `imports only go downhill: this folder may not import ${folder}/ (DESIGN.md "Folders").`,
});
const testkitBan = {
  group: ['**/testkit/**'],
  message: 'testkit/ is test-only: production code never imports it.',
};

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'build/**',
      'dist/**',
      'e2e/artifacts/**',
      'native-helper/out/**',
      '.fuzz/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    languageOptions: {
      ecmaVersion: 2023,
      sourceType: 'module',
      globals: {
        console: 'readonly',
        process: 'readonly',
        Buffer: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        URL: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        fetch: 'readonly',
        window: 'readonly',
        document: 'readonly',
        navigator: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-console': 'off',
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}'],
    ignores: ['renderer/**/*.test.ts', 'renderer/**/test/**'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'electron',
              message: 'the renderer is sandboxed: it only sees window.bastion.',
            },
          ],
          patterns: [
            up('main'),
            up('app'),
            up('dev'),
            testkitBan,
            {
              group: ['node:*', 'fs', 'path', 'child_process', 'os', 'crypto', 'net'],
              message: 'the renderer has no Node.',
            },
            {
              group: [
                '**/preload/*',
                '!**/preload/api',
                '!**/preload/keys-api',
                '!**/preload/tray-api',
              ],
              message: 'the renderer may import only preload/api (types).',
            },
          ],
        },
      ],
    },
  },
  {
    // Renderer tests run under Node (node:test, Playwright); they still never reach main/app/dev.
    files: ['renderer/**/*.test.ts', 'renderer/**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [electronBan], patterns: [up('main'), up('app'), up('dev')] },
      ],
    },
  },
  {
    files: ['renderer/**/*.{ts,tsx}', 'main/**/*.ts', 'dev/**/*.ts'],
    rules: {
      // Type-only imports of the contract are allowed; value imports of preload code are not.
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['main/**/*.ts'],
    ignores: ['main/**/*.test.ts', 'main/**/test/**'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [electronBan],
          patterns: [
            up('app'),
            up('renderer'),
            up('dev'),
            up('e2e'),
            testkitBan,
            {
              group: [
                '**/preload/*',
                '!**/preload/api',
                '!**/preload/keys-api',
                '!**/preload/tray-api',
              ],
              message: 'main/ may import only the preload/api contract, and only its types.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['main/**/*.test.ts', 'main/**/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [electronBan], patterns: [up('app'), up('renderer'), up('dev')] },
      ],
    },
  },
  {
    files: ['preload/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [up('main'), up('app'), up('renderer'), up('dev'), testkitBan] },
      ],
    },
  },
  {
    files: ['app/**/*.ts'],
    ignores: ['app/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { patterns: [up('renderer'), up('dev'), up('e2e'), testkitBan] },
      ],
    },
  },
  {
    files: ['dev/**/*.ts'],
    ignores: ['dev/**/*.test.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        { paths: [electronBan], patterns: [up('app'), up('renderer'), up('e2e'), testkitBan] },
      ],
    },
  },
);
