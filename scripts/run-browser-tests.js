#!/usr/bin/env node
'use strict';
/**
 * `npm run test:browser`: installs Chromium if missing, builds the plugin and the test app's admin
 * panel, then runs the browser suites (tests/browser) one file at a time. Screenshots go to
 * tests/artifacts/.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { buildIfStale } = require('./build-plugin');
const { buildAppAdmin } = require('./build-app-admin');

const root = path.resolve(__dirname, '..');

async function main() {
  const chromium = spawnSync('bash', [path.join(__dirname, 'ensure-chromium.sh')], { stdio: 'inherit' });
  if (chromium.status !== 0) process.exit(chromium.status ?? 1);
  const pdfTools = spawnSync('bash', [path.join(__dirname, 'ensure-pdf-tools.sh')], { stdio: 'inherit' });
  if (pdfTools.status !== 0) process.exit(pdfTools.status ?? 1);
  buildIfStale();
  for (const k of [
    'APP_KEYS',
    'ADMIN_JWT_SECRET',
    'API_TOKEN_SALT',
    'TRANSFER_TOKEN_SALT',
    'ENCRYPTION_KEY',
    'JWT_SECRET',
  ])
    process.env[k] ??= 'build-time-placeholder';
  await buildAppAdmin();
  const res = spawnSync(
    process.execPath,
    [
      path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
      '--selectProjects',
      'browser',
      '--runInBand',
      ...process.argv.slice(2),
    ],
    { cwd: root, stdio: 'inherit' },
  );
  process.exit(res.status ?? 1);
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
