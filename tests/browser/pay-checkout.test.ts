import { payableInvoice, readInvoice, PAYMENT } from '../support/payments';
import { screenshot } from '../support/browser';
import {
  bootPayBrowser,
  expectCleanRun,
  expectText,
  until,
  type PayBrowser,
} from '../support/stripe-js-standin/pay-harness';
import { SAVE_DETAILS_LABEL } from '../support/stripe-standin/checkout-text';

/**
 * Stripe Checkout instead of the drawer (settings → Payment page): hosted (redirect to the Stripe
 * stand-in's page) and embedded (mounted by Stripe.js in the pay page); then the success and cancel
 * pages, which ask the server (which asks Stripe) instead of trusting their URL.
 */
jest.setTimeout(60_000);
let pb: PayBrowser;
beforeAll(async () => {
  pb = await bootPayBrowser();
}, 120_000);
afterAll(async () => {
  await pb?.close();
}, 60_000);

const payUrl = (token: string) => `/invoice-payments/pay/${token}`;
const checkoutRows = (documentId: string) =>
  pb.env.app.strapi.db.query(PAYMENT).findMany({ where: { invoice: { documentId }, kind: 'checkout' } });

describe('hosted Checkout', () => {
  beforeAll(() => pb.settings({ checkoutMode: 'hosted' }));

  it('redirects to Stripe, and the success page shows the paid invoice (number and status only)', async () => {
    const inv = await payableInvoice(pb.env, { billingName: 'Grace Hopper', billingEmail: 'grace@example.test' });
    const { page, watch } = await pb.open(payUrl(inv.token));
    const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.click();
    await page.waitForURL((url) => url.href.startsWith(`${pb.env.standin.url}/_standin/checkout/`));
    await page.getByRole('button', { name: 'Pay' }).click();

    await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/success');
    await expectText(page.getByRole('heading', { level: 1 }), 'Payment received');
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    const text = await page.locator('main').innerText();
    expect(text).toContain(inv.row.number);
    for (const secret of ['Grace', 'grace@example.test', '1,827.50', inv.token]) expect(text).not.toContain(secret);
    await screenshot(page, 'pay', 'checkout-success');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect((await checkoutRows(inv.documentId))[0]).toMatchObject({ status: 'succeeded' });

    // Back to the invoice (the link is remembered in this tab only, never put in a URL).
    await page.getByRole('link', { name: 'Return to your invoice' }).click();
    await page.waitForURL((url) => url.pathname === payUrl(inv.token));
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expectCleanRun(watch);
  });

  it('canceled: the cancel page says nothing was charged and the invoice stays due', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.click();
    await page.waitForURL((url) => url.href.startsWith(`${pb.env.standin.url}/_standin/checkout/`));
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/cancel');
    await expectText(page.getByRole('heading', { level: 1 }), 'Payment canceled');
    await expectText(page.locator('.message'), 'You left the checkout before paying. Nothing was charged.');
    await expectText(page.locator('#invoice-status'), 'Status: Due');
    await screenshot(page, 'pay', 'checkout-canceled');
    const row = await readInvoice(pb.env, inv.documentId);
    expect(row.balanceDue).toBe(182750);
    expect(row.amountPaid).toBe(0);

    await page.getByRole('link', { name: 'Return to your invoice' }).click();
    await page.waitForURL((url) => url.pathname === payUrl(inv.token));
    await page.getByRole('button', { name: 'Pay $1,827.50' }).waitFor();
    expectCleanRun(watch);
  });
});

describe('embedded Checkout', () => {
  beforeAll(() => pb.settings({ checkoutMode: 'embedded' }));

  it('mounts Checkout in the page; paying lands on the success page', async () => {
    const inv = await payableInvoice(pb.env);
    const { page, watch } = await pb.open(payUrl(inv.token));
    const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.click();
    const embed = page.getByRole('region', { name: 'Secure checkout' });
    await embed.getByRole('button', { name: 'Pay with test card' }).waitFor();
    await screenshot(page, 'pay', 'checkout-embedded');
    // A pay link never offers saving (the link can be forwarded).
    expect(await embed.getByLabel(SAVE_DETAILS_LABEL).count()).toBe(0);
    await embed.getByRole('button', { name: 'Pay with test card' }).click();
    await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/success');
    await expectText(page.getByRole('heading', { level: 1 }), 'Payment received');
    await expectText(page.locator('#invoice-status'), 'Status: Paid');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expectCleanRun(watch);
  });

  it("on the client's own page the box to save the card shows; ticked, the card is saved to the client", async () => {
    const strapi = pb.env.app.strapi;
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'authenticated' } });
    const user = (await strapi.db.query('plugin::users-permissions.user').create({
      data: {
        username: `embedsaver${Date.now()}`,
        email: `embedsaver${Date.now()}@example.test`,
        provider: 'local',
        confirmed: true,
        role: role.id,
      },
    })) as { id: number };
    const jwt = strapi.plugin('users-permissions').service('jwt').issue({ id: user.id }) as string;
    const inv = await payableInvoice(pb.env, { customer: user.id });
    const { page, watch } = await pb.open(`/invoice-payments/pay/invoice/${inv.documentId}#jwt=${jwt}`);
    const pay = page.getByRole('button', { name: 'Pay $1,827.50' });
    await until(() => pay.isEnabled(), Boolean, 'the Pay button');
    await pay.click();
    const embed = page.getByRole('region', { name: 'Secure checkout' });
    const box = embed.getByLabel(SAVE_DETAILS_LABEL);
    await box.waitFor();
    await box.check();
    await screenshot(page, 'pay', 'checkout-embedded-save-ticked');
    await embed.getByRole('button', { name: 'Pay with test card' }).click();
    await page.waitForURL((url) => url.pathname === '/invoice-payments/pay/success');
    await expectText(page.getByRole('heading', { level: 1 }), 'Payment received');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    const saved = await until(
      async () =>
        (await pb.env.app.http().get('/api/invoice-payments/saved-methods').set('Authorization', `Bearer ${jwt}`)).body
          .data as { methods: Array<{ type: string; last4: string }> },
      (v) => v.methods.length === 1,
      'the card saved on embedded Checkout',
    );
    expect(saved.methods[0]).toMatchObject({ type: 'card', last4: '4242' });
    expectCleanRun(watch);
  });
});

describe('the success page never trusts its URL', () => {
  it('shows "not completed" for an open session, and a 404 page for an unknown one', async () => {
    const inv = await payableInvoice(pb.env);
    const created = await pb.env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/checkout-session`)
      .send({ token: inv.token, uiMode: 'hosted' });
    const sessionId = created.body.data.checkoutSessionId as string;

    const { page, watch } = await pb.open(`/invoice-payments/pay/success?session_id=${sessionId}`);
    await expectText(page.getByRole('heading', { level: 1 }), 'Payment not completed');
    await expectText(page.locator('#invoice-status'), 'Status: Due');

    const forged = await page.goto(
      `${pb.base}/invoice-payments/pay/success?session_id=cs_test_a1forgedSessionId000000000000000000000000000000000000000000`,
    );
    expect(forged?.status()).toBe(404);
    await expectText(page.getByRole('heading', { level: 1 }), 'We couldn’t find this invoice');
    expect(await readInvoice(pb.env, inv.documentId)).toMatchObject({ balanceDue: 182750 });
    expectCleanRun(watch);
  });
});
