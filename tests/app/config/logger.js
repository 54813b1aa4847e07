const { winston, formats } = require('@strapi/logger');

const level = process.env.STRAPI_LOG_LEVEL || 'info';

module.exports = {
  level,
  transports: [
    new winston.transports.Console({ level, format: formats.prettyPrint({ timestamps: 'YYYY-MM-DD hh:mm:ss.SSS' }) }),
  ],
};
