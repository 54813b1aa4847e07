#!/usr/bin/env node
'use strict';
/**
 * `npm run bench`: builds the plugin if needed, makes sure PostgreSQL is up, then runs bench/run.ts
 * (autocannon against real Strapi processes of the test app). Arguments go to bench/run.ts:
 *   --db=sqlite,postgres  --events=1000000  --invoices=100000  --rate=N (default: half the floor)  --quick  --no-docs
 * Results: bench/results/latest.json (+ a dated copy), docs/performance.md, docs/bench-*.svg.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const dbs = (args.find((a) => a.startsWith('--db=')) || '--db=sqlite,postgres').slice(5).split(',');

// Colleagues may be rebuilding dist/ at the same moment: build under the shared lock when flock exists.
const build = spawnSync(
  'flock',
  ['/tmp/ip-build.lock', process.execPath, path.join(root, 'scripts', 'build-plugin.js')],
  { cwd: root, stdio: 'inherit' },
);
if (build.error) require('./build-plugin').buildIfStale();
else if (build.status !== 0) process.exit(build.status ?? 1);
if (dbs.includes('postgres')) {
  const up = spawnSync('bash', [path.join(root, 'scripts', 'ensure-databases.sh')], { stdio: 'inherit' });
  if (up.status !== 0)
    console.warn('[bench] scripts/ensure-databases.sh reported a problem; PostgreSQL runs may fail.');
}
const res = spawnSync(
  process.execPath,
  [require.resolve('tsx/cli', { paths: [root] }), path.join(root, 'bench', 'run.ts'), ...args],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, STRAPI_TELEMETRY_DISABLED: 'true' },
  },
);
process.exit(res.status ?? 1);
