#!/usr/bin/env node
'use strict';
/**
 * Builds the admin panel of the test app (tests/app/dist/build) including this plugin's admin.
 *
 * Why not `strapi build`: its CLI looks for a tsconfig.json from the app folder upwards, finds the
 * repository's own (tests/, root) and then treats the JavaScript test app as a TypeScript app.
 * We call the same build function the CLI calls, with no tsconfig. Strapi is pinned at 5.54.0.
 */
const { existsSync, statSync } = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const appDir = path.join(root, 'tests', 'app');
const strapiDir = path.dirname(require.resolve('@strapi/strapi/package.json', { paths: [root] }));

function isStale() {
  const built = path.join(appDir, 'build', 'index.html');
  const pluginAdmin = path.join(root, 'dist', 'admin', 'index.mjs');
  if (!existsSync(built)) return true;
  return existsSync(pluginAdmin) && statSync(pluginAdmin).mtimeMs > statSync(built).mtimeMs;
}

async function buildAppAdmin({ force = false } = {}) {
  if (!force && !isStale()) return false;
  const { build } = require(path.join(strapiDir, 'dist', 'src', 'node', 'build.js'));
  const { createLogger } = require(path.join(strapiDir, 'dist', 'src', 'cli', 'utils', 'logger.js'));
  console.log('[invoice-payments] building the test app admin panel...');
  const previous = process.cwd();
  process.chdir(appDir);
  try {
    await build({
      cwd: appDir,
      logger: createLogger({ debug: false, silent: false, timestamp: false }),
      tsconfig: undefined,
      minify: true,
      sourcemap: false,
      stats: false,
      bundler: 'vite',
    });
  } finally {
    process.chdir(previous);
  }
  return true;
}

module.exports = { buildAppAdmin };
if (require.main === module) {
  // The build reads the app's config, which needs these set; values are irrelevant at build time.
  for (const k of [
    'APP_KEYS',
    'ADMIN_JWT_SECRET',
    'API_TOKEN_SALT',
    'TRANSFER_TOKEN_SALT',
    'ENCRYPTION_KEY',
    'JWT_SECRET',
  ])
    process.env[k] ??= 'build-time-placeholder';
  process.env.NODE_ENV ??= 'production';
  buildAppAdmin({ force: process.argv.includes('--force') }).catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
