/**
 * Two projects:
 *  - unit: plain TypeScript (domain, crypto, the Stripe stand-in); no Strapi, runs in parallel.
 *  - integration: boots the real test app in tests/app; one Strapi per file.
 *  - browser: Chromium (playwright-core) against the real app; `npm run test:browser`.
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
      testEnvironment: 'node',
      roots: ['<rootDir>/tests/integration'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
    {
      // Real Chromium against the real app: run with `npm run test:browser` (needs the admin build).
      displayName: 'browser',
      testEnvironment: 'node',
      roots: ['<rootDir>/tests/browser'],
      testMatch: ['**/*.test.ts'],
      transform,
    },
  ],
};
