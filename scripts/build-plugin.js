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

/** The pay pages' script and stylesheet (public/ -> dist/public/, scripts/build-public.js). */
function buildPublicAssets() {
  const res = spawnSync(process.execPath, [path.join(__dirname, 'build-public.js')], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

function buildIfStale({ force = false } = {}) {
  const marker = path.join(root, 'dist', 'server', 'index.js');
  const adminMarker = path.join(root, 'dist', 'admin', 'index.js');
  const publicMarker = path.join(root, 'dist', 'public', 'pay.js');
  // The server bundle also holds server/src/pages/*, which the public bundle imports: both count.
  const serverSources = Math.max(
    newest(path.join(root, 'server', 'src')),
    newest(path.join(root, 'admin', 'src')),
    statSync(path.join(root, 'package.json')).mtimeMs,
  );
  const publicSources = Math.max(newest(path.join(root, 'public')), newest(path.join(root, 'server', 'src')));
  const built =
    existsSync(marker) && existsSync(adminMarker)
      ? Math.min(statSync(marker).mtimeMs, statSync(adminMarker).mtimeMs)
      : 0;
  const publicBuilt = existsSync(publicMarker) ? statSync(publicMarker).mtimeMs : 0;
  if (!force && built > serverSources) {
    if (publicBuilt > publicSources) return false;
    console.log('[invoice-payments] building the pay pages (public/)...');
    buildPublicAssets();
    return true;
  }
  console.log('[invoice-payments] building the plugin (strapi-plugin build)...');
  const res = spawnSync(path.join(root, 'node_modules', '.bin', 'strapi-plugin'), ['build'], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (res.status !== 0) process.exit(res.status ?? 1);
  // strapi-plugin build empties dist/, so the pay pages are built after it.
  buildPublicAssets();
  return true;
}

module.exports = { buildIfStale };
if (require.main === module) buildIfStale({ force: process.argv.includes('--force') });
