#!/usr/bin/env node
'use strict';
/**
 * `npm run test:faults`: the fault tests (tests/faults) against real Strapi processes of the test
 * app on PostgreSQL: two instances on one database, the database connection killed mid-burst,
 * SIGKILL and restart, Stripe answering 500/429/timing out, webhook secret rotation.
 * Builds the plugin if needed and starts PostgreSQL if it is down. Extra arguments go to jest.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
// Colleagues may be rebuilding dist/ at the same moment: build under the shared lock when flock exists.
const build = spawnSync(
  'flock',
  ['/tmp/ip-build.lock', process.execPath, path.join(root, 'scripts', 'build-plugin.js')],
  { cwd: root, stdio: 'inherit' },
);
if (build.error) require('./build-plugin').buildIfStale();
else if (build.status !== 0) process.exit(build.status ?? 1);
const up = spawnSync('bash', [path.join(root, 'scripts', 'ensure-databases.sh')], { stdio: 'inherit' });
if (up.status !== 0) {
  const pg = spawnSync(
    'pg_isready',
    ['-h', process.env.DATABASE_HOST || '127.0.0.1', '-p', process.env.DATABASE_PORT || '5432'],
    { stdio: 'inherit' },
  );
  if (pg.status !== 0) {
    console.error(
      '[faults] PostgreSQL is not reachable; the fault tests need it (DATABASE_HOST/PORT/USERNAME/PASSWORD).',
    );
    process.exit(1);
  }
}
const res = spawnSync(
  process.execPath,
  [
    path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--selectProjects',
    'faults',
    '--runInBand',
    ...process.argv.slice(2),
  ],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, DATABASE_CLIENT: 'postgres', STRAPI_TELEMETRY_DISABLED: 'true' },
  },
);
process.exit(res.status ?? 1);
