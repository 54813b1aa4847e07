'use strict';

/**
 * The benchmark floor (npm run bench): a plain public route of the same app that stores one row of
 * about the size of a webhook event, so bench results can show what the plugin itself costs.
 * The controller answers 404 unless the process runs with BENCH_FLOOR=true.
 */
module.exports = {
  routes: [{ method: 'POST', path: '/bench-rows', handler: 'bench-row.create', config: { auth: false } }],
};
