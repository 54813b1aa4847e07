'use strict';
/**
 * The jest environment of the tests that boot Strapi in-process (integration, browser): Node's own,
 * plus `workerProcess`, which lets a jest worker load Strapi once for all its test files
 * (tests/support/strapi.ts) instead of once per file.
 * - `workerProcess.require`: Node's require, outside jest's per-file module registry. Strapi is
 *   ~2,200 modules; through jest they are read and compiled again for every file (about 3 s a file, a
 *   third of an integration file's time). Every file still boots its own Strapi on its own database.
 * - `workerProcess.guardListeners()`: Strapi's destroy() removes every listener of the process
 *   (core/Strapi.ts), the jest worker's IPC listener and jest's own error handlers among them; without
 *   the first the worker exits when idle, without the others a late error crashes the worker (which
 *   jest retries) instead of failing the file. The guard puts back what destroy() removed, except
 *   the listeners that Strapi instance added itself.
 * - `process.env` is the worker's own: jest gives each file a copy, which Strapi loaded by Node's
 *   require would never see. What a file changes is put back when it ends, so files stay independent.
 * - `Date` is the worker's, so a date a test hands to Strapi is one (knex and the SQLite driver check
 *   `instanceof Date`).
 */
const { TestEnvironment } = require('jest-environment-node');

function listenersNow() {
  return new Map(process.eventNames().map((event) => [event, process.rawListeners(event)]));
}

function restoreListeners(wanted) {
  for (const event of process.eventNames()) if (!wanted.has(event)) process.removeAllListeners(event);
  for (const [event, listeners] of wanted) {
    const now = process.rawListeners(event);
    if (now.length === listeners.length && now.every((listener, i) => listener === listeners[i])) continue;
    process.removeAllListeners(event);
    // rawListeners keeps once() wrappers, which remove themselves when they fire.
    for (const listener of listeners) process.on(event, listener);
  }
}

/** Call before creating a Strapi; `loaded()` after its load (or failure), `destroy(fn)` around its destroy. */
function guardListeners() {
  const before = listenersNow();
  const own = new Set();
  return {
    loaded() {
      for (const [event, listeners] of listenersNow()) {
        const earlier = before.get(event) ?? [];
        for (const listener of listeners) if (!earlier.includes(listener)) own.add(listener);
      }
    },
    async destroy(run) {
      const kept = new Map();
      for (const [event, listeners] of listenersNow()) {
        const others = listeners.filter((listener) => !own.has(listener));
        if (others.length) kept.set(event, others);
      }
      try {
        await run();
      } finally {
        restoreListeners(kept);
      }
    },
  };
}

class IntegrationEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.savedEnv = { ...process.env };
    this.savedListeners = listenersNow();
    this.global.process.env = process.env;
    this.global.Date = Date;
    this.global.workerProcess = { require, guardListeners };
  }

  async teardown() {
    if (this.savedListeners) restoreListeners(this.savedListeners);
    if (this.savedEnv) {
      for (const key of Object.keys(process.env)) if (!(key in this.savedEnv)) delete process.env[key];
      Object.assign(process.env, this.savedEnv);
    }
    await super.teardown();
  }
}

module.exports = IntegrationEnvironment;
module.exports.guardListeners = guardListeners;
