import { randomInt } from 'node:crypto';
import fc from 'fast-check';

/**
 * fast-check settings for every property test. `npm test` and CI run with a fixed seed, so a run
 * fails or passes the same way every time; the seed is printed, and FC_SEED=<n> reruns any seed
 * (fast-check also prints the seed and path of a counterexample). `npm run test:explore` sets
 * FC_EXPLORE=true: a random seed each run and FC_RUNS_FACTOR (default 10) times more runs, to find
 * new counterexamples; each one found becomes a deterministic regression test (see
 * tests/integration/hostile-webhook.test.ts, hostile-content-api.test.ts). Importing this module
 * configures fast-check globally for the test file.
 */
export const FIXED_SEED = 20261110;

const explore = process.env.FC_EXPLORE === 'true' || process.env.FC_EXPLORE === '1';
const given = process.env.FC_SEED ?? process.env.HOSTILE_SEED;
if (given !== undefined && !/^-?\d+$/.test(given)) throw new Error(`FC_SEED must be an integer, got "${given}".`);
const seed = given !== undefined ? Number(given) : explore ? randomInt(2 ** 31) : FIXED_SEED;
const factor = explore ? Number(process.env.FC_RUNS_FACTOR ?? 10) : 1;

export const PROPERTY = {
  seed,
  explore,
  /** `n` runs, times FC_RUNS_FACTOR when exploring. */
  runs: (n: number) => Math.max(1, Math.round(n * factor)),
};

fc.configureGlobal({ seed });
process.stderr.write(
  `[fast-check] seed ${seed} (${given !== undefined ? 'FC_SEED' : explore ? 'random, test:explore' : 'fixed'}); rerun with FC_SEED=${seed}\n`,
);
