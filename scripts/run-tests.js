#!/usr/bin/env node
'use strict';
/**
 * `npm test`: builds the plugin if needed, then runs the unit and integration suites with jest
 * against a real Strapi. The database is SQLite unless DATABASE_CLIENT=postgres|mysql is set;
 * `--db=postgres` / `--db=mysql` is a shortcut. Extra arguments go to jest.
 */
const { spawnSync } = require('node:child_process');
const path = require('node:path');
const { buildIfStale } = require('./build-plugin');

const root = path.resolve(__dirname, '..');
const args = process.argv.slice(2);
const env = { ...process.env };
const jestArgs = [];
for (const a of args) {
  const m = /^--db=(sqlite|postgres|mysql)$/.exec(a);
  if (m) env.DATABASE_CLIENT = m[1];
  else jestArgs.push(a);
}

buildIfStale();
// The PDF tests read the rendered PDFs with poppler's pdftotext.
const pdfTools = spawnSync('bash', [path.join(__dirname, 'ensure-pdf-tools.sh')], { stdio: 'inherit' });
if (pdfTools.status !== 0) process.exit(pdfTools.status ?? 1);
console.log(`[invoice-payments] running tests on ${env.DATABASE_CLIENT || 'sqlite'}`);
const res = spawnSync(
  process.execPath,
  // Unit, admin (jsdom) and integration by default; browser and faults have their own commands.
  [
    path.join(root, 'node_modules', 'jest', 'bin', 'jest.js'),
    '--maxWorkers=2',
    ...(jestArgs.some((a) => a === '--selectProjects') ? [] : ['--selectProjects', 'unit', 'admin', 'integration']),
    ...jestArgs,
  ],
  { cwd: root, stdio: 'inherit', env },
);
process.exit(res.status ?? 1);
