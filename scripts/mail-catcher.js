'use strict';
/**
 * The demo's mail catcher: maildev (a devDependency), an SMTP server and a web inbox on this
 * machine. `npm run demo` points Strapi's email plugin at it, so every email the demo sends (the
 * invoice with its PDF, confirmations with the receipt link, reminders) can be read in a browser.
 * tests/browser/demo-inbox.test.ts starts it the same way.
 */
const { spawn } = require('node:child_process');
const { existsSync } = require('node:fs');
const net = require('node:net');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

/** Resolves once something accepts TCP connections on 127.0.0.1:port; rejects after `timeoutMs`. */
function waitForPort(port, timeoutMs = 15000) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() - started > timeoutMs)
          reject(new Error(`nothing listens on port ${port} after ${timeoutMs} ms`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Starts maildev on 127.0.0.1 (`smtpPort` for SMTP, `webPort` for the inbox) in a child process
 * (scripts/mail-catcher-server.mjs). Returns null when maildev is not installed (a
 * production-only install), else { child, url, ready }: `url` is the inbox page, which answers
 * any GET with the page (see mail-catcher-server.mjs).
 */
function startMailCatcher({ smtpPort, webPort, stdio = ['ignore', 'inherit', 'inherit'] }) {
  if (!existsSync(path.join(root, 'node_modules', 'maildev', 'dist', 'index.js'))) return null;
  const server = path.join(__dirname, 'mail-catcher-server.mjs');
  const child = spawn(process.execPath, [server, String(smtpPort), String(webPort)], { cwd: root, stdio });
  const ready = Promise.all([waitForPort(smtpPort), waitForPort(webPort)]).then(() => undefined);
  return { child, url: `http://localhost:${webPort}`, ready };
}

module.exports = { startMailCatcher, waitForPort };
