/**
 * Projects:
 *  - unit: plain TypeScript (domain, crypto, the Stripe stand-in); no Strapi, runs in parallel.
 *  - integration: boots the real test app in tests/app; one Strapi per file.
 *  - faults: real Strapi processes on PostgreSQL, with faults injected; `npm run test:faults`.
 *  - browser: Chromium (playwright-core) against the real app; `npm run test:browser`.
 *  - admin: the admin panel's pages and forms in jsdom, rendered with Strapi's own test providers.
 */
const transform = {
  '^.+\\.(t|j)sx?$': [
    '@swc/jest',
    { jsc: { parser: { syntax: 'typescript', tsx: true }, target: 'es2022' }, module: { type: 'commonjs' } },
  ],
};

module.exports = {
  // Jest 30 reads testTimeout only here, not per project. Booting Strapi on a loaded 2-core machine
  // can take several seconds, far past jest's 5 s default for a hook.
  testTimeout: 120000,
  projects: [
    {
      displayName: 'unit',
      testEnvironment: 'node',
      roots: ['<rootDir>/tests/unit'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      displayName: 'integration',
      // Node's environment, with Strapi loaded once per worker (tests/support/integration-environment.js).
      testEnvironment: '<rootDir>/tests/support/integration-environment.js',
      roots: ['<rootDir>/tests/integration'],
      testMatch: ['**/*.test.ts'],
      transform,
      // Secret scan of every log line and response of the run (tests/support/log-scan.ts).
      globalSetup: '<rootDir>/tests/support/log-scan-setup.ts',
      globalTeardown: '<rootDir>/tests/support/log-scan-teardown.ts',
    },
    {
      // Admin pages and forms (admin/src) in jsdom with Strapi's test providers; the API is mocked.
      displayName: 'admin',
      testEnvironment: 'jsdom',
      roots: ['<rootDir>/tests/admin'],
      testMatch: ['**/*.test.tsx', '**/*.test.ts'],
      transform: {
        '^.+\\.(t|j)sx?$': [
          '@swc/jest',
          {
            jsc: {
              parser: { syntax: 'typescript', tsx: true },
              target: 'es2022',
              transform: { react: { runtime: 'automatic' } },
            },
            module: { type: 'commonjs' },
          },
        ],
      },
      // Strapi's `render` (@strapi/strapi/admin/test) imports two of @strapi/admin's devDependencies
      // at load time (@strapi/admin-test-utils, msw); they are not installed, and our tests need
      // neither (see the stubs).
      moduleNameMapper: {
        // `@strapi/strapi/admin` re-exports @strapi/admin's helpers plus every core admin plugin
        // (upload, content manager...); the plugin only uses the helpers, so load just those.
        '^@strapi/strapi/admin$': '<rootDir>/node_modules/@strapi/admin/dist/admin/index.js',
        '^@strapi/admin-test-utils$': '<rootDir>/tests/admin/support/stub-admin-test-utils.ts',
        '^msw$': '<rootDir>/tests/admin/support/stub-msw.ts',
        '^msw/node$': '<rootDir>/tests/admin/support/stub-msw.ts',
        '\\.(css|png|svg|jpe?g|gif|webp|woff2?)$': '<rootDir>/tests/admin/support/stub-file.ts',
      },
      // A few of the admin's dependencies ship ES modules only: compile those too.
      transformIgnorePatterns: [
        '/node_modules/(?!(fractional-indexing|react-dnd|dnd-core|@react-dnd/invariant|@react-dnd/asap|@react-dnd/shallowequal|react-dnd-html5-backend)/)',
      ],
      setupFilesAfterEnv: ['<rootDir>/tests/admin/support/setup.ts'],
    },
    {
      // Real Chromium against the real app: run with `npm run test:browser` (needs the admin build).
      displayName: 'browser',
      // Boots Strapi in-process like the integration tests: the same environment.
      testEnvironment: '<rootDir>/tests/support/integration-environment.js',
      roots: ['<rootDir>/tests/browser'],
      testMatch: ['**/*.test.ts'],
      transform,
      // Secret scan of every log line and response of the run (tests/support/log-scan.ts).
      globalSetup: '<rootDir>/tests/support/log-scan-setup.ts',
      globalTeardown: '<rootDir>/tests/support/log-scan-teardown.ts',
    },
    {
      // Real Strapi processes on one PostgreSQL database, killed and cut off mid-burst:
      // `npm run test:faults` (scripts/run-faults.js). Files run one at a time (--runInBand).
      displayName: 'faults',
      testEnvironment: 'node',
      roots: ['<rootDir>/tests/faults'],
      testMatch: ['**/*.test.ts'],
      transform,
      // Secret scan of every log line and response of the run (tests/support/log-scan.ts).
      globalSetup: '<rootDir>/tests/support/log-scan-setup.ts',
      globalTeardown: '<rootDir>/tests/support/log-scan-teardown.ts',
    },
  ],
};
