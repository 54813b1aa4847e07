'use strict';
const net = require('node:net');

/**
 * nodemailer's `getSocket` option: opens its SMTP connections with Nagle's algorithm off.
 *
 * nodemailer writes a message's body and the `.` that ends it as two writes. With Nagle on, the
 * second waits until the mail server acknowledges the first, and a mail server delays that
 * acknowledgement (40 ms on Linux) because it has nothing to answer yet: every email waits 40 ms
 * for nothing, so a pooled transport of 5 connections sends about 110 emails a second at most,
 * however fast the mail server is (docs/performance.md, "Email throughput"). The same stall is
 * known from other SMTP clients (lettre#1159, swiftmailer#99).
 *
 * The socket is handed back at once, still connecting: nodemailer sets up the session on it (TLS
 * with `secure: true`, STARTTLS, certificate checks against `host`/`servername`) as on its own, and
 * its own handlers see a refused or failed connection (ESOCKET), so a pooled transport drops that
 * connection and opens another later. Reporting the failure through the callback instead would
 * leave the pool's slot taken for good (nodemailer's pool-resource.js only removes a slot on the
 * connection's 'error' event). A server that never answers is given up by nodemailer's
 * `greetingTimeout` (30 s), which here includes connecting.
 */
module.exports = function smtpSocket(options, callback) {
  const socket = net.connect({
    host: options.host || 'localhost',
    port: options.port || (options.secure ? 465 : 587),
    localAddress: options.localAddress,
    noDelay: true,
    // nodemailer turns keep-alive on for the sockets it opens itself.
    keepAlive: true,
  });
  callback(null, { connection: socket });
};
