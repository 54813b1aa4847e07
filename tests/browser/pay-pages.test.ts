import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PLAIN_PAGE_CSP, STRIPE_PAGE_CSP } from '../../server/src/pages/security';
import { createInvoice } from '../support/invoices';
import { payableInvoice, readInvoice, KEYS } from '../support/payments';
import { screenshot } from '../support/browser';
import {
  bootPayBrowser,
  CARDS,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';

/**
 * The pay pages as documents: headers (CSP as the browser finally receives it), friendly 404s,
 * escaping, the first view, the JSON API for custom front ends, the logged-in client's page, and
 * the pages' own assets.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const http = () => pb.env.app.http();
const AUDIT = 'plugin::invoice-payments.audit-entry';

async function customer(name: string) {
  const role = await pb.env.app.strapi.db
    .query('plugin::users-permissions.role')
    .findOne({ where: { type: 'authenticated' } });
  const user = await pb.env.app.strapi.db.query('plugin::users-permissions.user').create({
    data: {
      username: `${name}${Date.now()}`,
      email: `${name}${Date.now()}@example.test`,
      provider: 'local',
      confirmed: true,
      role: role.id,
    },
  });
  const jwt = pb.env.app.strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
  return { user, jwt };
}

describe('headers', () => {
  it('sends its own CSP (not helmet’s), no referrer, no caching', async () => {
    const inv = await payableInvoice(pb.env);
    const res = await http().get(`/invoice-payments/pay/${inv.token}`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['content-security-policy']).toBe(STRIPE_PAGE_CSP);
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['x-robots-tag']).toBe('noindex, nofollow');
    // The page loads no inline script: its data is a JSON block, its code a same-origin file.
    expect(res.text).not.toMatch(
      /<script(?![^>]*(type="application\/json"|src="\/invoice-payments\/pay\/assets\/pay\.js\?v=[0-9a-f]{16}"))/,
    );
    expect(res.text).not.toMatch(/ style=|<style/);
  });

  it('gives pages without Stripe a CSP without Stripe', async () => {
    const draft = await payableInvoice(pb.env, { state: 'draft' });
    const res = await http().get(`/invoice-payments/pay/${draft.token}`);
    expect(res.headers['content-security-policy']).toBe(PLAIN_PAGE_CSP);
    expect((await http().get('/invoice-payments/pay/cancel?invoice=nope')).headers['content-security-policy']).toBe(
      PLAIN_PAGE_CSP,
    );
  });
});

describe('links that do not work', () => {
  it('answers unknown, malformed and replaced links with a friendly 404 page', async () => {
    const inv = await payableInvoice(pb.env);
    const oldToken = inv.token;
    await pb.env.app.strapi
      .plugin('invoice-payments')
      .service('admin-payments')
      .regeneratePayLink(inv.documentId, { type: 'system' });
    for (const url of [
      `/invoice-payments/pay/${oldToken}`,
      '/invoice-payments/pay/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      '/invoice-payments/pay/%3Cscript%3Ealert(1)%3C%2Fscript%3E',
      '/invoice-payments/pay/success',
      '/invoice-payments/pay/success?session_id=x',
      '/invoice-payments/pay/cancel',
      '/invoice-payments/pay/invoice/NOT_AN_ID',
    ]) {
      const res = await http().get(url);
      expect([url, res.status]).toEqual([url, 404]);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.text).toContain('We couldn’t find this invoice');
      expect(res.text).not.toMatch(/\bat .+\.js:\d+|Error:|stack/i);
      expect(res.text).not.toContain('<script>alert');
    }
    const api = await http().get(`/api/invoice-payments/pay/${oldToken}`);
    expect(api.status).toBe(404);
    expect(api.body.error.message).toBe('Invoice not found.');
  });

  it('shows the 404 page in the browser', async () => {
    const { page, watch } = await pb.open('/invoice-payments/pay/this-link-was-never-issued-000000');
    await expectText(page.getByRole('heading', { level: 1 }), 'We couldn’t find this invoice');
    await screenshot(page, 'pay', 'not-found');
    expectCleanRun(watch);
  });
});

describe('what the client sees', () => {
  it('escapes everything the invoice holds', async () => {
    const evil = '"><img src=x onerror="window.__xss=1"></script><script>window.__xss=2</script>';
    const inv = await payableInvoice(pb.env, {
      billingName: evil,
      lineItems: [{ description: evil, quantity: 1, unitAmount: 1000 }],
    });
    const res = await http().get(`/invoice-payments/pay/${inv.token}`);
    expect(res.text).not.toContain('<img src=x');
    expect(res.text).not.toContain('<script>window');
    const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
    await expectText(page.locator('td').first(), evil);
    await page.getByRole('button', { name: 'Pay $10.00' }).click();
    await page.getByRole('dialog').getByLabel('Card number').waitFor();
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(await page.locator('img').count()).toBe(0);
    expectCleanRun(watch);
  });

  it("formats amounts for the invoice currency and speaks the browser's language", async () => {
    const inv = await payableInvoice(pb.env, { currency: 'EUR', taxRateBps: 1900 });
    const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`, { locale: 'de-DE' });
    // 1827.50 + 19 % tax (347.225, half up) = 2174.73; no invoice language: the browser's (German).
    await page.getByRole('button', { name: '2.174,73 € jetzt bezahlen' }).waitFor();
    await expectText(page.locator('.totals dt').filter({ hasText: 'MwSt.' }), 'MwSt. (19 %)');
    expectCleanRun(watch);
  });

  it('marks a sent invoice viewed on its first view, once', async () => {
    const inv = await payableInvoice(pb.env);
    expect(inv.row.state).toBe('sent');
    await http().get(`/invoice-payments/pay/${inv.token}`).expect(200);
    await http().get(`/invoice-payments/pay/${inv.token}`).expect(200);
    const row = await readInvoice(pb.env, inv.documentId);
    expect(row.state).toBe('viewed');
    expect(row.viewedAt).toBeTruthy();
    expect(
      await pb.env.app.strapi.db
        .query(AUDIT)
        .count({ where: { action: 'invoice.viewed', invoiceDocumentId: inv.documentId } }),
    ).toBe(1);
  });

  it.each([
    ['draft', 'This invoice is a draft and can’t be paid yet.', 'Draft'],
    ['void', 'This invoice has been voided. There is nothing to pay.', 'Void'],
  ])('shows a %s invoice without a Pay button', async (status, notice, label) => {
    const inv = await payableInvoice(pb.env, { state: status });
    const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
    await expectText(page.locator('#invoice-status'), `Status: ${label}`);
    await expectText(page.locator('#invoice-notice'), notice);
    expect(await page.getByRole('button').count()).toBe(0);
    expect((await readInvoice(pb.env, inv.documentId)).state).toBe(status);
    expectCleanRun(watch);
  });
});

describe('JSON API for sites with their own front end', () => {
  it('returns the client view by pay-link token: no token, no secret, no internal field', async () => {
    const inv = await payableInvoice(pb.env);
    const res = await http().get(`/api/invoice-payments/pay/${inv.token}`);
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({
      documentId: inv.documentId,
      number: inv.row.number,
      state: 'viewed',
      currency: 'USD',
      balanceDueMinor: 182750,
      pay: {
        mode: 'payment_element',
        publishableKey: KEYS.publishableKey,
        amount: 182750,
        amountFormatted: '$1,827.50',
      },
    });
    const text = JSON.stringify(res.body);
    for (const secret of [inv.token, KEYS.secretKey, KEYS.webhookSecret, 'payToken', 'needsAttention', '"id"'])
      expect(text).not.toContain(secret);
  });

  it("serves the logged-in customer's invoice with their JWT, and no one else's", async () => {
    const owner = await customer('owner');
    const stranger = await customer('stranger');
    const created = await createInvoice(pb.env.app.strapi, { customer: owner.user.id });
    const url = `/api/invoice-payments/invoices/${created.documentId}`;
    expect((await http().get(url).set('Authorization', `Bearer ${owner.jwt}`)).status).toBe(200);
    expect((await http().get(url).set('Authorization', `Bearer ${stranger.jwt}`)).status).toBe(404);
    expect((await http().get(url)).status).toBe(404);
    expect((await http().get(url).set('Authorization', 'Bearer not-a-jwt')).status).toBe(404);
  });

  it('lets the logged-in customer open and pay the invoice page with their JWT', async () => {
    const owner = await customer('payer');
    const created = await createInvoice(pb.env.app.strapi, { customer: owner.user.id });
    const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${created.documentId}#jwt=${owner.jwt}`);
    await expectText(page.getByRole('heading', { level: 1 }), created.number as string);
    // The JWT left the address bar at once.
    expect(new URL(page.url()).hash).toBe('');
    const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.click();
    const drawer = page.getByRole('dialog', { name: `Invoice ${created.number as string}` });
    await drawer.getByLabel('Card number').fill(CARDS.visa);
    const button = drawer.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => button.isEnabled(), Boolean, 'the drawer Pay button');
    await button.click();
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    await drawer.waitFor({ state: 'hidden', timeout: 8000 });
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expect((await readInvoice(pb.env, created.documentId)).state).toBe('paid');
    // Reloading works from this tab's session (the JWT is no longer in the URL).
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expectCleanRun(watch);
  });
});

describe('assets', () => {
  it('serves a versioned, cacheable, gzipped script that stays small', async () => {
    const html = (await http().get(`/invoice-payments/pay/${(await payableInvoice(pb.env)).token}`)).text;
    const src = /src="(\/invoice-payments\/pay\/assets\/pay\.js\?v=[0-9a-f]{16})"/.exec(html)![1];
    const res = await http().get(src).set('Accept-Encoding', 'gzip');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/javascript/);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect((await http().get('/invoice-payments/pay/assets/pay.js')).headers['cache-control']).toBe('no-cache');
    expect((await http().get('/invoice-payments/pay/assets/pay.css')).headers['content-type']).toMatch(/^text\/css/);
    for (const bad of [
      '/invoice-payments/pay/assets/sizes.json',
      '/invoice-payments/pay/assets/..%2F..%2Fpackage.json',
      '/invoice-payments/pay/assets/pay.js.gz',
    ]) {
      expect((await http().get(bad)).status).toBe(404);
    }
    // Well below Stripe.js itself (well over 100 KB gzipped): see docs/pay-pages.md.
    const gz = readFileSync(path.resolve(__dirname, '..', '..', 'dist', 'public', 'pay.js.gz'));
    expect(gz.length).toBeLessThan(20 * 1024);
  });
});

describe('Stripe not set up', () => {
  it('shows the invoice without a Pay button and says how to pay', async () => {
    await pb.env.app.strapi.plugin('invoice-payments').service('settings').disconnect({ type: 'system' });
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(`/invoice-payments/pay/${inv.token}`);
    await expectText(
      page.locator('#invoice-notice'),
      'Online payment isn’t available for this invoice yet. Please contact the sender to pay.',
    );
    expect(await page.getByRole('button').count()).toBe(0);
    expectCleanRun(watch);
  });
});
