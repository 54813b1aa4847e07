#!/usr/bin/env node
'use strict';
/**
 * Makes `npm ci` accept package-lock.json on machines whose registry mirror does not carry every
 * platform build of packages such as rollup, @swc/core and unrs-resolver.
 *
 * npm records a package's optional platform builds (darwin, win32, ...) in the lockfile only when
 * the registry can serve them; `npm ci` then refuses the lockfile ("Missing: @rollup/rollup-
 * darwin-arm64@ from lock file"). This adds those entries with the `os`/`cpu`/`libc` their names
 * declare, so `npm ci` validates and skips them on this platform, as it would with a full lock.
 * Idempotent; run it after any `npm install` that rewrites the lockfile.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const lockPath = path.resolve(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = [
  ['arm64', 'arm64'],
  ['x64', 'x64'],
  ['ia32', 'ia32'],
  ['arm-', 'arm'],
  ['ppc64', 'ppc64'],
  ['s390x', 's390x'],
  ['riscv64', 'riscv64'],
  ['loong64', 'loong64'],
  ['mips64el', 'mips64el'],
  ['wasm32', 'wasm32'],
];

/** Platform fields from a build's name, e.g. rollup-linux-x64-musl → linux / x64 / musl. */
function platformOf(name) {
  const base = name.split('/').pop();
  const os = OS.find((o) => base.includes(`-${o}-`) || base.endsWith(`-${o}`));
  const cpuEntry = CPU.find(([token]) => base.includes(`-${token}`));
  if (!os || !cpuEntry) return null;
  const fields = { os: [os], cpu: [cpuEntry[1]] };
  if (os === 'linux') {
    if (/-musl/.test(base)) fields.libc = ['musl'];
    else if (/-gnu/.test(base)) fields.libc = ['glibc'];
  }
  return fields;
}

let added = 0;
for (const [parentPath, parent] of Object.entries(packages)) {
  const optional = parent.optionalDependencies;
  if (!parentPath || !optional) continue;
  const parentDir = `${parentPath}/node_modules/`;
  for (const [name, version] of Object.entries(optional)) {
    const platform = platformOf(name);
    if (!platform) continue;
    // Resolution order: nested under the parent, else hoisted to the nearest node_modules.
    const candidates = [`${parentDir}${name}`];
    let dir = parentPath;
    while (dir.includes('node_modules/')) {
      dir = dir.slice(0, dir.lastIndexOf('node_modules/'));
      candidates.push(`${dir}node_modules/${name}`);
      dir = dir.replace(/\/$/, '');
    }
    if (candidates.some((c) => packages[c] && packages[c].version === version)) continue;
    // Place it where its installed siblings (same parent) live, else at the top level.
    const sibling = Object.keys(optional)
      .map((n) => candidates.map((c) => c.replace(name, n)).find((c) => packages[c]))
      .find(Boolean);
    const target = sibling
      ? sibling.slice(0, sibling.length - sibling.split('node_modules/').pop().length) + name
      : `node_modules/${name}`;
    if (packages[target]) continue;
    packages[target] = {
      version,
      ...platform,
      optional: true,
      ...(parent.dev ? { dev: true } : {}),
      ...(parent.peer ? { peer: true } : {}),
    };
    added += 1;
  }
}

// npm writes keys in sorted order; keep that so diffs stay small.
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))),
);
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`[lockfile] added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
