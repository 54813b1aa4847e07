#!/usr/bin/env node
'use strict';
/**
 * Builds the client pay pages' assets into dist/public/ (served by the plugin at
 * /invoice-payments/pay/assets/...): public/src/main.ts -> pay.js (bundled with esbuild,
 * minified; Stripe.js itself is never bundled, @stripe/stripe-js only loads it), public/pay.css ->
 * pay.css, plus .gz copies served to browsers that accept gzip. Prints the sizes.
 * Runs after `strapi-plugin build`, which empties dist/.
 */
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const esbuild = require('esbuild');

const root = path.resolve(__dirname, '..');
const out = path.join(root, 'dist', 'public');

function gzip(file) {
  const body = readFileSync(file);
  const gz = zlib.gzipSync(body, { level: 9 });
  writeFileSync(`${file}.gz`, gz);
  return { bytes: body.length, gzipBytes: gz.length };
}

async function buildPublic() {
  mkdirSync(out, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(root, 'public', 'src', 'main.ts')],
    outfile: path.join(out, 'pay.js'),
    bundle: true,
    minify: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020'],
    legalComments: 'none',
    logLevel: 'warning',
  });
  await esbuild.build({
    entryPoints: [path.join(root, 'public', 'pay.css')],
    outfile: path.join(out, 'pay.css'),
    bundle: true,
    minify: true,
    logLevel: 'warning',
  });
  const sizes = { 'pay.js': gzip(path.join(out, 'pay.js')), 'pay.css': gzip(path.join(out, 'pay.css')) };
  writeFileSync(path.join(out, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
  for (const [name, s] of Object.entries(sizes)) {
    console.log(
      `[invoice-payments] dist/public/${name}: ${(s.bytes / 1024).toFixed(1)} KB, ${(s.gzipBytes / 1024).toFixed(1)} KB gzipped`,
    );
  }
  return sizes;
}

module.exports = { buildPublic };
if (require.main === module) {
  buildPublic().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
