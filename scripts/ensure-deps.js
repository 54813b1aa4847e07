#!/usr/bin/env node
'use strict';
/**
 * First step of `npm test` and `npm run demo` on a fresh clone: runs `npm ci` when a package the
 * project declares is not installed. Uses only Node built-ins, so it works before any install.
 */
const { existsSync, lstatSync, readFileSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const declared = Object.keys({ ...pkg.dependencies, ...pkg.devDependencies });
const missing = declared.filter((name) => !existsSync(path.join(root, 'node_modules', name, 'package.json')));

if (missing.length > 0) {
  // A node_modules that is a link to another checkout's (a git worktree sharing one install):
  // `npm ci` here would empty the other checkout's packages through the link. Say so instead.
  const modules = path.join(root, 'node_modules');
  if (existsSync(modules) && lstatSync(modules).isSymbolicLink()) {
    console.error(
      `[invoice-payments] missing: ${missing.join(', ')}. node_modules is a link to another checkout's; ` +
        'install them there (npm ci in that checkout), not through the link.',
    );
    process.exit(1);
  }
  console.log(
    `[invoice-payments] installing dependencies (npm ci); missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', ...' : ''}`,
  );
  const res = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
