#!/usr/bin/env node
'use strict';
/**
 * `npm run test:explore`: the property-based tests (fast-check) with a random seed and ten times
 * more runs (FC_RUNS_FACTOR), to look for new counterexamples. `npm test` and CI run the same
 * properties with a fixed seed (tests/support/property.ts), so they never fail at random. A
 * failure prints its seed: rerun it with FC_SEED=<seed>, then turn the counterexample into a
 * deterministic regression test. Extra arguments (--db=postgres, a file pattern) go to run-tests.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const files = args.some((a) => !a.startsWith('-'))
  ? []
  : [
      'tests/unit/domain/fees.test.ts',
      'tests/integration/hostile-webhook.test.ts',
      'tests/integration/hostile-content-api.test.ts',
    ];
const res = spawnSync(process.execPath, [path.join(__dirname, 'run-tests.js'), '--runInBand', ...files, ...args], {
  stdio: 'inherit',
  env: { ...process.env, FC_EXPLORE: 'true', FC_RUNS_FACTOR: process.env.FC_RUNS_FACTOR || '10' },
});
process.exit(res.status ?? 1);
