import eslint from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** Import rules from docs/architecture.md: the linter says what to use instead when one is broken. */
const platform = ['src/platform/**/*.ts', 'src/config.ts', 'src/errors.ts'];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'dist/', 'dist.*/', 'bench/results/', 'console/dist/', 'console/dist.*/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // tsc checks bin/'s JavaScript (checkJs), Node's globals included.
    files: ['bin/**/*.js'],
    rules: { 'no-undef': 'off' },
  },
  {
    // Sources import with the .js of the file they compile to; the resolver finds the .ts beside it.
    // Nothing imports a test file, so none can be in a cycle: not walking from them saves most of the time.
    files: ['**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.js'],
      // Packages cannot import our files back: not parsed at all.
      'import-x/ignore': ['node_modules'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js'], extensionAlias: { '.js': ['.ts', '.js'] } })],
    },
    rules: {
      // No two files import each other, even through others and even for types only: a cycle is a layer that knows its user.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
    },
  },
  {
    files: platform,
    // Their tests may build a world through the domains, as any test does.
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/domains/**', '**/seed/**', '**/cli/**'],
              message: 'platform/, config.ts and errors.ts import no domain: the entry points (app.ts, server.ts, job-handlers.ts, cli/) pass what they need.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/domains/**/*.ts'],
    ignores: ['src/domains/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.js$).+',
              message: "Reach another domain only through its index.ts: import from '../<domain>/index.js'.",
            },
          ],
        },
      ],
    },
  },
);
