'use strict';

/** The test app adds nothing of its own; the demo seeds sample data through scripts/demo-seed.js. */
module.exports = {
  register() {},
  async bootstrap({ strapi }) {
    if (process.env.DEMO_SEED === 'true') {
      await require('../../../scripts/demo-seed.js')({ strapi });
    }
  },
};
