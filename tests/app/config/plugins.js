const path = require('node:path');

module.exports = ({ env }) => ({
  'invoice-payments': {
    enabled: true,
    // The plugin is this repository itself (its package.json exports the built dist/).
    resolve: path.resolve(__dirname, '..', '..', '..'),
    config: {
      // Where clients reach the pay pages (wallet domain registration reads its host name).
      publicUrl: env('INVOICE_PAYMENTS_PUBLIC_URL', null),
      stripe: {
        apiBase: env('STRIPE_API_BASE', null),
        maxNetworkRetries: env.int('STRIPE_MAX_NETWORK_RETRIES', 2),
        timeoutMs: env.int('STRIPE_TIMEOUT_MS', 20000),
      },
      worker: {
        enabled: env.bool('WORKER_ENABLED', true),
        intervalMs: env.int('WORKER_INTERVAL_MS', 5000),
        maxAttempts: env.int('WORKER_MAX_ATTEMPTS', 8),
        backoffMs: env.int('WORKER_BACKOFF_MS', 10000),
        maxBackoffMs: env.int('WORKER_MAX_BACKOFF_MS', 3600000),
        lockMs: env.int('WORKER_LOCK_MS', 60000),
      },
      reconciliation: {
        enabled: env.bool('RECONCILE_ENABLED', true),
        intervalMs: env.int('RECONCILE_INTERVAL_MS', 300000),
      },
      notifications: {
        retryAfterMs: env.int('NOTICE_RETRY_AFTER_MS', 300000),
        maxAttempts: env.int('NOTICE_MAX_ATTEMPTS', 10),
      },
      reminders: {
        enabled: env.bool('REMINDERS_ENABLED', true),
        intervalMs: env.int('REMINDERS_INTERVAL_MS', 60000),
      },
    },
  },
  email: {
    config: {
      provider: 'nodemailer',
      providerOptions: {
        host: env('SMTP_HOST', '127.0.0.1'),
        port: env.int('SMTP_PORT', 1025),
        secure: false,
        ignoreTLS: true,
        // A busy site reuses SMTP connections (nodemailer's pooled transport) instead of one
        // connection per email; the benchmarks run with it, the tests with one connection each.
        pool: env.bool('SMTP_POOL', false),
        // Nagle's algorithm off on the SMTP connections (src/smtp-socket.js: 40 ms less per email).
        ...(env.bool('SMTP_NO_DELAY', true) ? { getSocket: require('../src/smtp-socket') } : {}),
      },
      settings: {
        defaultFrom: env('EMAIL_FROM', 'billing@example.test'),
        defaultReplyTo: env('EMAIL_FROM', 'billing@example.test'),
      },
    },
  },
  'users-permissions': { config: { jwtSecret: env('JWT_SECRET') } },
});
