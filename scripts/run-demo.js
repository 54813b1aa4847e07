#!/usr/bin/env node
'use strict';
/**
 * `npm run demo`: builds what is missing, starts the Stripe stand-in and the test app on SQLite
 * with sample invoices, fully offline. Development only: the keys are fake, the admin password is
 * printed, and Stripe itself is never contacted.
 */
const { spawn } = require('node:child_process');
const { existsSync, mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { randomBytes } = require('node:crypto');
const path = require('node:path');
const { buildIfStale } = require('./build-plugin');
const { buildAppAdmin } = require('./build-app-admin');
const { startMailCatcher } = require('./mail-catcher');

const root = path.resolve(__dirname, '..');
const appDir = path.join(root, 'tests', 'app');
const dataDir = path.join(appDir, '.tmp');
const port = Number(process.env.PORT || 1337);
const standinPort = Number(process.env.STANDIN_PORT || 12111);
const mollieStandinPort = Number(process.env.MOLLIE_STANDIN_PORT || 12112);
const publicUrl = process.env.PUBLIC_URL || `http://localhost:${port}`;
// The demo's mail catcher (maildev): Strapi's email plugin sends here, the inbox shows it all.
const mailSmtpPort = Number(process.env.MAIL_SMTP_PORT || 1025);
const mailWebPort = Number(process.env.MAIL_WEB_PORT || 1080);
const children = [];

/** Per-checkout demo secrets, kept beside the demo database so restarts can decrypt what was saved. */
function demoSecrets() {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, 'demo-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8'));
  const r = () => randomBytes(16).toString('base64');
  const secrets = {
    APP_KEYS: [r(), r()].join(','),
    ADMIN_JWT_SECRET: r(),
    API_TOKEN_SALT: r(),
    TRANSFER_TOKEN_SALT: r(),
    ENCRYPTION_KEY: r(),
    JWT_SECRET: r(),
    INVOICE_PAYMENTS_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    DEMO_WEBHOOK_SECRET: `whsec_demo${randomBytes(16).toString('hex')}`,
  };
  writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600 });
  return secrets;
}

async function main() {
  buildIfStale();
  for (const k of [
    'APP_KEYS',
    'ADMIN_JWT_SECRET',
    'API_TOKEN_SALT',
    'TRANSFER_TOKEN_SALT',
    'ENCRYPTION_KEY',
    'JWT_SECRET',
  ])
    process.env[k] ??= 'build-time-placeholder';
  await buildAppAdmin();

  const secrets = demoSecrets();
  const email = process.env.DEMO_ADMIN_EMAIL || 'admin@example.com';
  const password = process.env.DEMO_ADMIN_PASSWORD || 'Demo-Admin-1234';
  const webhookUrl = `http://127.0.0.1:${port}/api/invoice-payments/webhooks/stripe`;
  const env = {
    ...process.env,
    ...secrets,
    NODE_ENV: 'development',
    HOST: process.env.HOST || '0.0.0.0',
    PORT: String(port),
    PUBLIC_URL: publicUrl,
    SERVE_ADMIN_PANEL: 'true',
    DATABASE_CLIENT: 'sqlite',
    DATABASE_FILENAME: path.join(dataDir, 'demo.db'),
    STRIPE_API_BASE: `http://127.0.0.1:${standinPort}`,
    // The pay pages' card form: the stand-in's fake Stripe.js instead of https://js.stripe.com,
    // which cannot load offline (the plugin warns about it at startup: demos and tests only).
    STRIPE_JS_URL: `http://127.0.0.1:${standinPort}/_standin/stripe.js`,
    // Mollie's API: the Mollie stand-in (test keys only; refused with live keys and in production).
    MOLLIE_API_ENDPOINT: `http://127.0.0.1:${mollieStandinPort}/v2/`,
    DEMO_SEED: 'true',
    DEMO_ADMIN_EMAIL: email,
    DEMO_ADMIN_PASSWORD: password,
    STRAPI_TELEMETRY_DISABLED: 'true',
    STRAPI_STARTUP_LOG: 'true',
    // Strapi's email plugin (tests/app/config/plugins.js) → the demo's mail catcher.
    SMTP_HOST: '127.0.0.1',
    SMTP_PORT: String(mailSmtpPort),
  };

  const stopAll = (code) => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
    process.exit(code);
  };
  process.on('SIGINT', () => stopAll(0));
  process.on('SIGTERM', () => stopAll(0));

  const standin = spawn(
    process.execPath,
    [require.resolve('tsx/cli', { paths: [root] }), path.join(root, 'tests', 'support', 'stripe-standin', 'cli.ts')],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...env,
        STANDIN_PORT: String(standinPort),
        STANDIN_WEBHOOK_URL: webhookUrl,
        STANDIN_WEBHOOK_SECRET: secrets.DEMO_WEBHOOK_SECRET,
      },
    },
  );
  children.push(standin);
  const mollieStandin = spawn(
    process.execPath,
    [
      require.resolve('tsx/cli', { paths: [root] }),
      path.join(root, 'tests', 'support', 'mollie-standin', 'cli.ts'),
      '--port',
      String(mollieStandinPort),
    ],
    { cwd: root, stdio: 'inherit', env },
  );
  children.push(mollieStandin);
  // The mail catcher: Strapi's email plugin sends to it (SMTP_HOST/SMTP_PORT above).
  const mail = startMailCatcher({ smtpPort: mailSmtpPort, webPort: mailWebPort });
  if (mail) {
    children.push(mail.child);
    mail.child.on('exit', (code) => {
      if (code) console.error(`[demo] the mail catcher stopped (exit ${code}); emails cannot be sent until a restart.`);
    });
    await mail.ready;
  } else {
    console.warn('[demo] maildev is not installed (npm install): emails cannot be sent in this demo.');
  }
  const inbox = mail ? mail.url : null;

  console.log('');
  console.log('  Invoice payments demo (offline; development only)');
  console.log(`  Admin panel:   ${publicUrl}/admin`);
  console.log(`  Admin login:   ${email} / ${password}   (DEMO_ADMIN_EMAIL / DEMO_ADMIN_PASSWORD)`);
  console.log(
    `  Stripe:        stand-in at http://127.0.0.1:${standinPort} (test keys; Stripe itself is never called)`,
  );
  console.log(
    `  Mollie:        stand-in at http://127.0.0.1:${mollieStandinPort} (Settings → Mollie; pick Mollie for pay links to try it)`,
  );
  if (inbox)
    console.log(`  Email inbox:   ${inbox}   (maildev: every email the demo sends, with its PDF and Pay button)`);
  console.log(
    '  Test cards:    4242 4242 4242 4242 pays; 4000 0000 0000 0002 is declined; 4000 0025 0000 3155 asks for 3-D Secure',
  );
  console.log('');

  // bin/ is not in @strapi/strapi's exports map: resolve the package folder, then the file.
  const strapiBin = path.join(
    path.dirname(require.resolve('@strapi/strapi/package.json', { paths: [root] })),
    'bin',
    'strapi.js',
  );
  const strapi = spawn(process.execPath, [strapiBin, 'start'], { cwd: appDir, stdio: 'inherit', env });
  children.push(strapi);
  strapi.on('exit', (code) => stopAll(code ?? 0));
  standin.on('exit', (code) => {
    if (code) {
      console.error('[demo] the Stripe stand-in stopped; stopping the demo.');
      stopAll(code);
    }
  });
  mollieStandin.on('exit', (code) => {
    if (code) {
      console.error('[demo] the Mollie stand-in stopped; stopping the demo.');
      stopAll(code);
    }
  });
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  process.exit(1);
});
