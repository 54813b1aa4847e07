#!/usr/bin/env node
'use strict';
/**
 * Builds the plugin (dist/) with @strapi/sdk-plugin when a source file is newer than the build.
 * The test app loads dist/, so tests and the demo always run what would be published.
 */
const { existsSync, readdirSync, statSync } = require('node:fs');
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return latest;
}

function buildIfStale({ force = false } = {}) {
  const marker = path.join(root, 'dist', 'server', 'index.js');
  const adminMarker = path.join(root, 'dist', 'admin', 'index.js');
  const sources = Math.max(newest(path.join(root, 'server', 'src')), newest(path.join(root, 'admin', 'src')), statSync(path.join(root, 'package.json')).mtimeMs);
  const built = existsSync(marker) && existsSync(adminMarker) ? Math.min(statSync(marker).mtimeMs, statSync(adminMarker).mtimeMs) : 0;
  if (!force && built > sources) return false;
  console.log('[invoice-payments] building the plugin (strapi-plugin build)...');
  const res = spawnSync(path.join(root, 'node_modules', '.bin', 'strapi-plugin'), ['build'], { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
  if (res.status !== 0) process.exit(res.status ?? 1);
  return true;
}

module.exports = { buildIfStale };
if (require.main === module) buildIfStale({ force: process.argv.includes('--force') });
