'use strict';
/**
 * The integration tests' jest environment: Node's own, plus what lets a jest worker load Strapi once
 * for all its test files (tests/support/strapi.ts) instead of once per file.
 * - `nodeRequire`: Node's require, outside jest's per-file module registry. Strapi is ~2,200
 *   modules; through jest they are read and compiled again for every file (about 3 s a file, a third
 *   of an integration file's time). Every file still boots its own Strapi on its own database.
 * - `process.env` is the worker's own: jest gives each file a copy, which Strapi loaded by Node's
 *   require would never see. What a file changes is put back when it ends, so files stay independent.
 * - `Date` is the worker's, so a date a test hands to Strapi is one (knex and the SQLite driver
 *   check `instanceof Date`).
 * - `restoreProcessListeners()`: Strapi's destroy() removes every listener of the process
 *   (core/Strapi.ts), the jest worker's own message listener too, after which the worker exits as soon
 *   as it is idle. The listeners the file started with are put back after each destroy.
 */
const { TestEnvironment } = require('jest-environment-node');

function listenersNow() {
  return new Map(process.eventNames().map((event) => [event, process.rawListeners(event)]));
}

function restoreListeners(baseline) {
  for (const event of process.eventNames()) if (!baseline.has(event)) process.removeAllListeners(event);
  for (const [event, listeners] of baseline) {
    const now = process.rawListeners(event);
    if (now.length === listeners.length && now.every((listener, i) => listener === listeners[i])) continue;
    process.removeAllListeners(event);
    // rawListeners keeps once() wrappers, which remove themselves when they fire.
    for (const listener of listeners) process.on(event, listener);
  }
}

class IntegrationEnvironment extends TestEnvironment {
  async setup() {
    await super.setup();
    this.savedEnv = { ...process.env };
    this.savedListeners = listenersNow();
    this.global.process.env = process.env;
    this.global.nodeRequire = require;
    this.global.Date = Date;
    this.global.restoreProcessListeners = () => restoreListeners(this.savedListeners);
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
