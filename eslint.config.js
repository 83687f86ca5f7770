import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';

/** Import rules from docs/architecture.md: the linter says what to use instead when one is broken. */
const lowerLayers = ['db', 'shared'];

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'bench/results/'] },
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
    files: lowerLayers.map((layer) => `src/${layer}/**/*.ts`).concat('src/errors.ts'),
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/modules/**'], message: 'db/, shared/ and errors.ts import no module: pass what they need as arguments.' }] },
      ],
    },
  },
  {
    files: ['src/modules/**/*.ts'],
    ignores: ['src/modules/**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.js$).+',
              message: "Reach another module only through its index.ts: import from '../<module>/index.js'.",
            },
          ],
        },
      ],
    },
  },
);
