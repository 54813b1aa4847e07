// ESLint flat config. It follows Strapi's own packages (@strapi/eslint-config, used through
// packages/utils/eslint-config-custom in strapi/strapi): typescript-eslint's recommended rules, react-hooks
// for the browser code, eslint-config-prettier so that formatting is Prettier's job alone, unused
// variables allowed when prefixed with `_`, and type-only imports marked `import type`.
// On top of Strapi's set: a few type-aware rules that catch lost promises (a payment flow that is
// not awaited fails silently), and a 120-character line limit.
import js from '@eslint/js';
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const tsconfigRootDir = import.meta.dirname;

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/build/**',
      '**/.strapi/**',
      '**/.tmp/**',
      '**/coverage/**',
      'tests/app/database/**',
      'tests/app/public/**',
      'tests/artifacts/**',
      'bench/results/**',
    ],
  },
  {
    linterOptions: { reportUnusedDisableDirectives: 'error' },
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,

  // TypeScript: type information from each part's own tsconfig (the same ones `npm run typecheck` uses).
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: {
        project: [
          './server/tsconfig.json',
          './admin/tsconfig.json',
          './public/tsconfig.json',
          './tests/admin/tsconfig.json',
          './tests/tsconfig.json',
        ],
        tsconfigRootDir,
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/consistent-type-exports': 'error',
      '@typescript-eslint/no-import-type-side-effects': 'error',
      // Type-aware, chosen for what they catch in money code: a promise nobody awaits, a promise
      // passed where a callback's result is ignored, `await` on something that is not a promise.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/await-thenable': 'error',
    },
  },

  // Server side, tests, bench and scripts run on Node.
  {
    files: ['server/**', 'tests/**', 'bench/**', 'scripts/**', 'strapi-server.ts', '*.js', '*.mjs'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    files: ['tests/**'],
    languageOptions: { globals: { ...globals.jest } },
  },
  // Plain CommonJS build and test-app scripts: no type information, `require` is how they load modules.
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs', globals: { ...globals.node } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },

  // Browser code: the admin panel (React), the pay page, and the admin's component tests.
  {
    files: ['admin/**/*.{ts,tsx}', 'public/**/*.ts', 'tests/admin/**/*.{ts,tsx}', 'strapi-admin.ts'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      // The two classic hook rules, as in Strapi's front config (react-hooks 4 `recommended`). Version 7's
      // `recommended` adds the React Compiler rules (set-state-in-effect, purity, ...), which would ask for the
      // data-loading hooks to be rewritten; the admin is not compiled with the React Compiler.
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
      // As in Strapi's front config: warn and error reach the browser console on purpose; log does not.
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },

  // Last: switch off every rule Prettier owns, then set the line limit Prettier cannot keep alone.
  eslintConfigPrettier,
  {
    rules: {
      // Prettier wraps code at 120 (.prettierrc) but never breaks comments or string literals. Comments must
      // be wrapped by hand; long strings, template literals, regular expressions and URLs are left where
      // Prettier places them, because splitting a message or a URL makes it harder to search for.
      'max-len': [
        'error',
        {
          code: 120,
          tabWidth: 2,
          ignoreUrls: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
          ignoreRegExpLiterals: true,
        },
      ],
    },
  },
);
