'use strict';

/**
 * The test app adds the booking example (docs/booking-example.md: src/booking/, the booking
 * content type and the hook below); the demo seeds sample data through scripts/demo-seed.js.
 * With SQL_STATS=<file> (bench/cost.ts), it counts the SQL statements and transactions the app
 * runs: SIGUSR2 writes the counts since the last SIGUSR2 to the file as JSON and starts again.
 */
module.exports = {
  register({ strapi }) {
    require('./booking/routes.js')(strapi);
  },
  async bootstrap({ strapi }) {
    if (process.env.DEMO_SEED === 'true') {
      await require('../../../scripts/demo-seed.js')({ strapi });
    }
    if (process.env.SQL_STATS) countStatements(strapi, process.env.SQL_STATS);
    if (process.env.EVENTS_SINK_URL) forwardEvents(strapi, process.env.EVENTS_SINK_URL);
    bookingExample(strapi);
  },
};

function countStatements(strapi, file) {
  let stats = new Map();
  let autocommits = 0;
  const open = new Set();
  const normalize = (sql) =>
    sql
      .replace(/\d+/g, 'N')
      .replace(/\?(, \?)+/g, '?…')
      .slice(0, 160);
  strapi.db.connection.on('query', (q) => {
    const key = normalize(q.sql);
    stats.set(key, (stats.get(key) || 0) + 1);
    // A write outside a transaction commits on its own (a disk flush on SQLite). Whether the
    // connection is inside one is followed from its own BEGIN and COMMIT/ROLLBACK statements.
    if (/^begin/i.test(q.sql)) open.add(q.__knexUid);
    else if (/^(commit|rollback)/i.test(q.sql)) open.delete(q.__knexUid);
    else if (!open.has(q.__knexUid) && /^(insert|update|delete)/i.test(q.sql)) autocommits += 1;
  });
  process.on('SIGUSR2', () => {
    const byStatement = Object.fromEntries([...stats].sort((a, b) => b[1] - a[1]));
    const total = [...stats.values()].reduce((a, b) => a + b, 0);
    const count = (re) => [...stats].filter(([k]) => re.test(k)).reduce((a, [, n]) => a + n, 0);
    require('node:fs').writeFileSync(
      file,
      JSON.stringify(
        { total, transactions: count(/^commit/i), autocommits, commits: count(/^commit/i) + autocommits, byStatement },
        null,
        2,
      ),
    );
    stats = new Map();
    autocommits = 0;
  });
}

/**
 * Site code as a site would write it (docs/api.md "Hooks in site code"): every event out of the
 * plugin is posted to EVENTS_SINK_URL with the process id, so fault tests count what each
 * instance delivered. A failed post throws: the plugin retries the hook.
 */
function forwardEvents(strapi, url) {
  strapi
    .plugin('invoice-payments')
    .service('hooks')
    .register('test-sink', '*', async (payload) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ pid: process.pid, payload }),
      });
      if (!res.ok) throw new Error(`sink answered ${res.status}`);
    });
}

/**
 * The booking example (docs/booking-example.md): a booking is confirmed when its invoice is paid
 * and released (cancelled) when the invoice expires or is voided unpaid.
 */
function bookingExample(strapi) {
  const BOOKING = 'api::booking.booking';
  strapi
    .plugin('invoice-payments')
    .service('hooks')
    .register('booking-example', ['invoice.paid', 'invoice.expired', 'invoice.voided'], async (event) => {
      const entity = event.invoice.entity;
      if (!entity || entity.uid !== BOOKING) return;
      const status = event.type === 'invoice.paid' ? 'confirmed' : 'cancelled';
      const booking = await strapi.documents(BOOKING).findOne({ documentId: entity.documentId });
      // A confirmed booking is never released by a late event about an older invoice.
      if (!booking || booking.status === 'confirmed') return;
      await strapi.documents(BOOKING).update({ documentId: entity.documentId, data: { status } });
    });
}
