'use strict';
/**
 * Demo data, run from the test app's bootstrap when DEMO_SEED=true (npm run demo only):
 * a super admin, fake test-mode Stripe keys pointing at the stand-in, and sample invoices in
 * several currencies. Idempotent: on a restart it adds nothing that is already there.
 */
const INVOICE = 'plugin::invoice-payments.invoice';

async function ensureAdmin(strapi) {
  const email = process.env.DEMO_ADMIN_EMAIL || 'admin@example.com';
  const password = process.env.DEMO_ADMIN_PASSWORD || 'Demo-Admin-1234';
  if (await strapi.db.query('admin::user').findOne({ where: { email } })) return;
  const superAdmin = await strapi.service('admin::role').getSuperAdmin();
  await strapi
    .service('admin::user')
    .create({ email, password, firstname: 'Demo', lastname: 'Admin', isActive: true, roles: [superAdmin.id] });
}

async function ensureStripeKeys(strapi) {
  const settings = strapi.plugin('invoice-payments').service('settings');
  const current = await settings.get();
  if (current.secretKey.set) return;
  await settings.update(
    {
      publishableKey: 'pk_test_demoPublishableKey000000000000',
      secretKey: 'sk_test_demoSecretKey0000000000000000',
      webhookSecret: process.env.DEMO_WEBHOOK_SECRET,
      defaultCurrency: 'USD',
      // The Mollie stand-in (MOLLIE_API_ENDPOINT) takes any test_ key; pay links stay on Stripe
      // until the admin picks Mollie in Settings.
      ...(process.env.MOLLIE_API_ENDPOINT ? { mollieApiKey: 'test_demoMollieKey00000000000000000' } : {}),
    },
    { type: 'system', label: 'demo seed' },
  );
}

const SAMPLES = [
  // $1,500.00 + 12 × $20.00 + 2.5 h × $35.00 = $1,827.50
  {
    number: 'INV-1001',
    currency: 'USD',
    state: 'sent',
    billingName: 'Acme Corporation',
    billingEmail: 'ap@acme.example',
    taxRateBps: 0,
    lineItems: [
      { description: 'Website redesign (fixed fee)', quantity: 1, unitAmount: 150000 },
      { description: 'Hosting, 12 months', quantity: 12, unitAmount: 2000 },
      { description: 'Support hours', quantity: '2.5', unitAmount: 3500 },
    ],
  },
  {
    number: 'INV-1002',
    currency: 'JPY',
    state: 'sent',
    billingName: 'Tanaka Shoji K.K.',
    billingEmail: 'keiri@tanaka.example',
    taxRateBps: 1000,
    lineItems: [{ description: 'Translation, 12 pages', quantity: 12, unitAmount: 4500 }],
  },
  {
    number: 'INV-1003',
    currency: 'KWD',
    state: 'sent',
    billingName: 'Gulf Trading W.L.L.',
    billingEmail: 'finance@gulf.example',
    taxRateBps: 0,
    lineItems: [{ description: 'Audit services', quantity: 1, unitAmount: 375250 }],
  },
  {
    number: 'INV-1004',
    currency: 'EUR',
    state: 'viewed',
    billingName: 'Société Exemple SARL',
    billingEmail: 'compta@exemple.example',
    taxRateBps: 2000,
    lineItems: [{ description: 'Licence annuelle', quantity: 1, unitAmount: 49900 }],
  },
  {
    number: 'INV-1005',
    currency: 'GBP',
    state: 'draft',
    billingName: 'Example Ltd',
    billingEmail: 'accounts@example.co.uk',
    taxRateBps: 2000,
    lineItems: [{ description: 'Workshop day', quantity: 2, unitAmount: 85000 }],
  },
];

module.exports = async ({ strapi }) => {
  await ensureAdmin(strapi);
  await ensureStripeKeys(strapi);
  const today = new Date();
  const due = new Date(today.getTime() + 14 * 86400000);
  for (const sample of SAMPLES) {
    if (await strapi.db.query(INVOICE).findOne({ where: { number: sample.number } })) continue;
    await strapi.documents(INVOICE).create({
      data: { ...sample, issueDate: today.toISOString().slice(0, 10), dueDate: due.toISOString().slice(0, 10) },
    });
  }
  strapi.log.info(
    `[demo] ${SAMPLES.length} sample invoices ready; admin ${process.env.DEMO_ADMIN_EMAIL || 'admin@example.com'}`,
  );
};
