'use strict';

const UID = 'api::bench-row.bench-row';

/** One insert of the request body under its unique id; nothing else (see routes/bench-row.js). */
module.exports = ({ strapi }) => ({
  async create(ctx) {
    if (process.env.BENCH_FLOOR !== 'true') return ctx.notFound();
    const body = ctx.request.body;
    const key = body && typeof body.id === 'string' ? body.id.slice(0, 255) : null;
    if (!key) return ctx.badRequest('id is required');
    try {
      await strapi.db
        .query(UID)
        .create({ data: { key, type: typeof body.type === 'string' ? body.type.slice(0, 255) : null, payload: body } });
    } catch {
      ctx.status = 503;
      ctx.body = { error: 'not stored' };
      return;
    }
    ctx.status = 200;
    ctx.body = { received: true };
  },
});
