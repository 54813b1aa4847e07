'use strict';
const net = require('node:net');

/**
 * nodemailer's `getSocket` option: opens its SMTP connections with Nagle's algorithm off.
 *
 * nodemailer writes a message's body and the `.` that ends it as two writes. With Nagle on, the
 * second waits until the mail server acknowledges the first, and a mail server delays that
 * acknowledgement (40 ms on Linux) because it has nothing to answer yet: every email waits 40 ms
 * for nothing, so a pooled transport of 5 connections sends about 110 emails a second at most,
 * however fast the mail server is (measured in docs/performance.md, "Email throughput"). The same
 * stall is known from other SMTP clients (lettre#1159, swiftmailer#99).
 *
 * nodemailer opens the session on the socket handed back as `connection`: TLS (`secure: true`)
 * and STARTTLS are set up on it as on its own sockets.
 */
module.exports = function smtpSocket(options, callback) {
  const socket = net.connect({
    host: options.host || 'localhost',
    port: options.port || (options.secure ? 465 : 587),
    localAddress: options.localAddress,
    noDelay: true,
  });
  let settled = false;
  const fail = (error) => {
    if (settled) return;
    settled = true;
    socket.destroy();
    callback(error);
  };
  // nodemailer's own connection timeout starts only once it has the socket.
  socket.setTimeout(options.connectionTimeout || 120_000, () => fail(new Error('SMTP connection timed out')));
  socket.once('error', fail);
  socket.once('connect', () => {
    if (settled) return;
    settled = true;
    socket.setTimeout(0);
    socket.removeListener('error', fail);
    callback(null, { connection: socket });
  });
};
