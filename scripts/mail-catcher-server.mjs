#!/usr/bin/env node
/**
 * The mail catcher process that scripts/mail-catcher.js starts: maildev (a devDependency) through
 * its programmatic API (`new MailDev(config).start()`, the same servers as its CLI), SMTP and the
 * web inbox on 127.0.0.1. Arguments: <smtp port> <web port>. Stops on SIGTERM / SIGINT.
 *
 * One change to maildev: its inbox page answers a plain GET of "/". maildev 3 serves the page
 * (index.html) at "/" only to requests whose Accept header names text/html, as browsers send;
 * anything else, curl's default `Accept: *\/*` included, gets maildev's JSON 404
 * `{"error":"Not found"}` (the not-found handler of @maildev/ui/server). So the URL the demo
 * prints looked dead to anyone checking it with curl. A GET of "/" is given the Accept a browser
 * sends before maildev sees it; the API routes (/api/...) and everything else are untouched.
 */
import { MailDev } from 'maildev';

const [smtp, web] = process.argv.slice(2, 4).map(Number);
if (!Number.isInteger(smtp) || !Number.isInteger(web)) {
  console.error('usage: mail-catcher-server.mjs <smtp port> <web port>');
  process.exit(2);
}

const maildev = new MailDev({ smtp, web, ip: '127.0.0.1', webIp: '127.0.0.1', silent: true });
const servers = await maildev.start();
const http = servers.api?.server.server;
if (!http) throw new Error('maildev started without its web inbox');
// Before Fastify's own listener: the inbox page for any GET of "/" (with or without a query).
http.prependListener('request', (req) => {
  if (req.method !== 'GET' || !/^\/(\?|$)/.test(req.url ?? '')) return;
  const accept = req.headers.accept ?? '';
  if (!accept.includes('text/html')) req.headers.accept = accept ? `text/html, ${accept}` : 'text/html';
});

const stop = () =>
  maildev.stop().then(
    () => process.exit(0),
    () => process.exit(1),
  );
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
