import type { Page } from 'playwright-core';
import { screenshot } from '../support/browser';
import { payableInvoice, readInvoice } from '../support/payments';
import { STRIPE_JS_STANDIN_PATH } from '../support/stripe-js-standin/paths';
import {
  bootPayBrowser,
  CARDS,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';
import { PLAIN_PAGE_CSP, STRIPE_PAGE_CSP } from '../../server/src/pages/security';
import { PAGE_DATA_ID } from '../../server/src/pages/view';

/**
 * The offline demo's pay page (`npm run demo`): the plugin's stripe.jsUrl (STRIPE_JS_URL) points
 * the pages at the Stripe stand-in's fake Stripe.js, which calls the stand-in directly. Unlike the
 * pay-*.test.ts files, the browser routes nothing to Stripe here: it loads exactly what a person
 * trying the demo would, and every off-machine request is still refused, proving it is offline.
 * The CSP the browser receives must name the stand-in and no Stripe origin.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
let standin: string;
beforeAll(async () => {
  pb = await bootPayBrowser({ stripeJs: 'standin' });
  standin = pb.env.standin.url;
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const payUrl = (token: string) => `/invoice-payments/pay/${token}`;

function directives(csp: string): Map<string, string[]> {
  return new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .map(([name, ...sources]) => [name, sources]),
  );
}

/** The JSON the server put in a page for its script. */
function pageData(html: string): Record<string, unknown> {
  const match = new RegExp(`<script type="application/json" id="${PAGE_DATA_ID}">(.*?)</script>`, 's').exec(html);
  if (!match) throw new Error('no page data in the page');
  return JSON.parse(match[1]) as Record<string, unknown>; // the server's own JSON block
}

async function openDrawer(page: Page, number: string) {
  const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
  await until(() => pay.isEnabled(), Boolean, 'the Pay button to be ready');
  await pay.click();
  const drawer = page.getByRole('dialog', { name: `Invoice ${number}` });
  await drawer.getByLabel('Card number').waitFor();
  return drawer;
}

async function payIn(drawer: ReturnType<Page['getByRole']>, card: string) {
  await drawer.getByLabel('Card number').fill(card);
  const button = drawer.getByRole('button', { name: 'Pay $1,827.50' });
  await until(() => button.isEnabled(), Boolean, 'the drawer Pay button to be enabled');
  await button.click();
}

describe('stripe.jsUrl set (the offline demo)', () => {
  it('warns at startup that Stripe.js is not Stripe’s', () => {
    const warning = pb.env.app.logs.find((line) => line.includes('load Stripe.js from'));
    expect(warning).toContain(`${standin}${STRIPE_JS_STANDIN_PATH}`);
    expect(warning).toContain('never set this in production');
  });

  it('sends a CSP naming the stand-in’s origin and no Stripe origin, and the script URL in the page data', async () => {
    const inv = await payableInvoice(pb.env);
    const res = await pb.env.app.http().get(payUrl(inv.token));
    expect(res.status).toBe(200);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).not.toMatch(/stripe\.com/);
    const d = directives(csp);
    expect(d.get('script-src')).toEqual(["'self'", standin]);
    expect(d.get('connect-src')).toEqual(["'self'", standin]);
    expect(d.get('frame-src')).toEqual([standin]);
    expect(d.get('img-src')).toEqual(["'self'", standin]);
    // Everything else as strict as in production.
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(pageData(res.text).stripeJsUrl).toBe(`${standin}${STRIPE_JS_STANDIN_PATH}`);

    // The logged-in client's page may pay too; pages that cannot pay stay without any Stripe.
    const customer = await pb.env.app.http().get('/invoice-payments/pay/invoice/abcdefghij0123456789');
    expect(customer.headers['content-security-policy']).toBe(csp);
    expect(pageData(customer.text).stripeJsUrl).toBe(`${standin}${STRIPE_JS_STANDIN_PATH}`);
    const cancel = await pb.env.app.http().get('/invoice-payments/pay/cancel?invoice=nope');
    expect(cancel.headers['content-security-policy']).toBe(PLAIN_PAGE_CSP);
    const draft = await payableInvoice(pb.env, { state: 'draft' });
    const draftPage = await pb.env.app.http().get(payUrl(draft.token));
    expect(draftPage.headers['content-security-policy']).toBe(PLAIN_PAGE_CSP);
    expect(pageData(draftPage.text).stripeJsUrl).toBeUndefined();
  });

  it('pays in the drawer with 4242 4242 4242 4242: Stripe.js and the API both come from the stand-in, nothing else is reached', async () => {
    const inv = await payableInvoice(pb.env, { billingEmail: 'demo@example.test' });
    const { page, watch } = await pb.open(payUrl(inv.token));
    await expectText(page.locator('#invoice-status'), 'Status: Due');
    // What a browser asks for on its own with every page: the demo app answered it with a 500.
    // (Asked from outside the page: the pay page's CSP rightly lets its scripts fetch nothing but the API.)
    expect((await fetch(`${pb.base}/favicon.ico`)).status).toBeLessThan(500);

    const drawer = await openDrawer(page, inv.row.number);
    await expectText(drawer.locator('.standin-payment-element p').first(), 'Stripe.js stand-in (test only)');
    await payIn(drawer, CARDS.visa);
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    await screenshot(page, 'demo', 'drawer-paid');
    await drawer.waitFor({ state: 'hidden', timeout: 8000 });
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({
      state: 'paid',
      balanceDue: 0,
      amountPaid: 182750,
    });

    // The page itself fetched the fake from the stand-in and confirmed there, with no routing.
    expect(watch.stripeCalls[0]).toBe(`GET ${STRIPE_JS_STANDIN_PATH}`);
    expect(watch.stripeCalls).toContainEqual(expect.stringMatching(/^POST \/v1\/payment_intents\/pi_\w+\/confirm$/));
    await page.reload();
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expectCleanRun(watch);
    // No request of the whole pay-page load (page, assets, favicon, API) answered with a 5xx.
    expect(watch.serverErrors).toEqual([]);
  });

  it('runs the 3-D Secure challenge against the stand-in’s control route', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const drawer = await openDrawer(page, inv.row.number);
    await payIn(drawer, CARDS.threeDSecure);
    const challenge = page.getByRole('dialog', { name: '3D Secure authentication' });
    await challenge.getByRole('button', { name: 'Complete authentication' }).click();
    await expectText(drawer.getByRole('alert'), 'Payment successful! Invoice marked as paid.');
    expect((await readInvoice(pb.env, inv.documentId)).state).toBe('paid');
    expect(watch.stripeCalls).toContainEqual(
      expect.stringMatching(/^POST \/_standin\/payment_intents\/pi_\w+\/authenticate$/),
    );
    expectCleanRun(watch);
  });

  it('mounts embedded Checkout from the stand-in; paying lands on the success page', async () => {
    await pb.settings({ checkoutMode: 'embedded' });
    try {
      const inv = await payableInvoice(pb.env);
      const { page, watch } = await pb.open(payUrl(inv.token));
      const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
      await until(() => pay.isEnabled(), Boolean, 'the Pay button');
      await pay.click();
      const embed = page.getByRole('region', { name: 'Secure checkout' });
      await embed.getByRole('button', { name: 'Pay with test card' }).click();
      await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/success');
      await expectText(page.locator('#invoice-status'), 'Status: Paid');
      expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
      expectCleanRun(watch);
    } finally {
      await pb.settings({ checkoutMode: 'payment_element' });
    }
  });
});

describe('stripe.jsUrl not set (production)', () => {
  it('names js.stripe.com in the CSP and no replacement script in the page data', async () => {
    const saved = process.env.STRIPE_JS_URL;
    // The plugin reads the variable on each page (as it reads STRIPE_API_BASE on each call).
    delete process.env.STRIPE_JS_URL;
    try {
      const inv = await payableInvoice(pb.env);
      const res = await pb.env.app.http().get(payUrl(inv.token));
      expect(res.headers['content-security-policy']).toBe(STRIPE_PAGE_CSP);
      // Stripe's security guide: Stripe.js, plus checkout.stripe.com for Checkout (issue 10, defect 6).
      expect(directives(STRIPE_PAGE_CSP).get('script-src')).toEqual([
        "'self'",
        'https://js.stripe.com',
        'https://*.js.stripe.com',
        'https://checkout.stripe.com',
      ]);
      expect(STRIPE_PAGE_CSP).not.toContain(standin);
      expect(pageData(res.text)).not.toHaveProperty('stripeJsUrl');
    } finally {
      process.env.STRIPE_JS_URL = saved;
    }
  });
});
