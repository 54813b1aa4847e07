#!/usr/bin/env node
'use strict';
/**
 * First step of `npm test` and `npm run demo` on a fresh clone: installs the dependencies when
 * node_modules is missing or older than package-lock.json. Uses only Node built-ins.
 */
const { existsSync, statSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const marker = path.join(root, 'node_modules', '.package-lock.json');
const lock = path.join(root, 'package-lock.json');

const stale = !existsSync(marker) || statSync(marker).mtimeMs < statSync(lock).mtimeMs;
if (stale) {
  console.log('[invoice-payments] installing dependencies (npm ci)...');
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
