import type { Browser, BrowserContext, Page } from 'playwright-core';
import Stripe from 'stripe';
import { existsSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, launchBrowser, screenshot, loginAdmin } from '../support/browser';
import { adminSession, type AdminSession } from '../support/admin';
import {
  bootPayments,
  eventually,
  INVOICE,
  KEYS,
  PAYMENT,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';
import { cardFee } from '../support/stripe-standin/resources/account';

/**
 * The plugin's admin screens in Debian's Chromium, against the built admin panel of the test app
 * (tests/app/build, from `node scripts/build-app-admin.js`): a site admin's whole day, end to end.
 * The tests run in order and share one browser page, like one admin session.
 */
const GROUP = 'admin';
jest.setTimeout(120000);
const EVENT = 'plugin::invoice-payments.webhook-event';

let env: PaymentsEnv;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let base: string;

/** Invoices prepared through the real payment paths before the browser opens. */
const data: {
  cheque?: { documentId: string; number: string };
  card?: { documentId: string; number: string };
  dead?: { documentId: string; eventId: string };
  /** Paid by card after a first try with a declined card (same PaymentIntent). */
  history?: { documentId: string; number: string; chargeId: string; token: string };
} = {};

async function cardPaidInvoice(amount: number) {
  const inv = await payableInvoice(env, {
    lineItems: [{ description: 'Design work', quantity: 1, unitAmount: amount }],
    billingName: 'Grace Hopper',
    billingEmail: `grace${Date.now()}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  const piId = res.body.data.providerPaymentId as string;
  await payWith(env, piId, 'pm_card_visa');
  return { ...inv, piId };
}

/**
 * An invoice the client paid by card on the second try: the first card was declined, the next one
 * went through on the same PaymentIntent. Waits until Stripe's fee (read from the charge's balance
 * transaction) is stored, so the history shows it on first load.
 */
async function cardPaidAfterDecline(amount: number) {
  const inv = await payableInvoice(env, {
    lineItems: [{ description: 'Annual maintenance', quantity: 1, unitAmount: amount }],
    billingName: 'Katherine Johnson',
    billingEmail: `katherine${Date.now()}@example.test`,
  });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  const piId = res.body.data.providerPaymentId as string;
  const byInvoice = { where: { invoice: { documentId: inv.documentId } } };
  await payWith(env, piId, 'pm_card_chargeDeclined');
  await eventually(
    () => env.app.strapi.db.query(PAYMENT).findOne(byInvoice),
    (p) => typeof p?.failureMessage === 'string',
    10000,
    'the decline to be recorded',
  );
  await payWith(env, piId, 'pm_card_visa');
  await eventually(
    () => env.app.strapi.db.query(PAYMENT).findOne(byInvoice),
    (p) => p?.status === 'succeeded' && p?.providerFee != null,
    10000,
    'the payment and its Stripe fee to be stored',
  );
  const pi = await env.stripe.paymentIntents.retrieve(piId);
  return {
    documentId: inv.documentId,
    number: inv.row.number as string,
    chargeId: pi.latest_charge as string,
    token: inv.token,
  };
}

/**
 * An event that fails every attempt (Stripe answers 500) until dead-lettered. A
 * payment_intent.succeeded shows a final state and is booked without reading Stripe, so the event
 * delivered is its `payment_intent.processing` twin (a state that can still change: settlement
 * reads the PaymentIntent, where the fault is), signed with the webhook secret as Stripe signs.
 */
async function deadLetteredEvent() {
  env.standin.control.setWebhook({ enabled: false });
  const inv = await cardPaidInvoice(4200);
  env.standin.control.setWebhook({ enabled: true });
  env.standin.control.addFault({ method: 'GET', path: `/v1/payment_intents/${inv.piId}`, status: 500, times: 1000 });
  const succeeded = env.standin.control
    .events()
    .find(
      (e) => e.type === 'payment_intent.succeeded' && (e.data as { object: { id: string } }).object.id === inv.piId,
    );
  if (!succeeded) throw new Error('no payment_intent.succeeded event');
  const data = succeeded.data as { object: Record<string, unknown> };
  const processing = {
    ...succeeded,
    id: `${String(succeeded.id)}_processing`,
    type: 'payment_intent.processing',
    data: { ...data, object: { ...data.object, status: 'processing', amount_received: 0 } },
  };
  const raw = JSON.stringify(processing);
  const delivered = await env.app
    .http()
    .post('/api/invoice-payments/webhooks/stripe')
    .set('Content-Type', 'application/json')
    .set('Stripe-Signature', Stripe.webhooks.generateTestHeaderString({ payload: raw, secret: KEYS.webhookSecret }))
    .send(raw);
  if (delivered.status !== 200) throw new Error(`the event was not accepted: ${delivered.status}`);
  const row = await eventually(
    () => env.app.strapi.db.query(EVENT).findOne({ where: { providerEventId: processing.id } }),
    (r) => r?.status === 'dead_lettered',
    15000,
  );
  if (row?.status !== 'dead_lettered') throw new Error(`event not dead-lettered: ${row?.status}`);
  return { documentId: inv.documentId, eventId: processing.id };
}

const login = (p: Page, session: Pick<AdminSession, 'email' | 'password'>) => loginAdmin(p, base, session);

/** A calendar date `offset` days from today, as invoices store it (YYYY-MM-DD). */
const day = (offset: number) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);

/** Polls a value from the page until it matches (jest has no expect.poll). */
async function settle<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10000): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!ok(value) && Date.now() - started < timeoutMs) {
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}

/** Strapi's notifications stack up over the page; close them so they never hide a button. */
async function closeToasts(p: Page) {
  for (const button of await p.getByRole('button', { name: 'Close' }).all())
    await button.click({ timeout: 1000 }).catch(() => undefined);
  await p.waitForTimeout(300);
}

beforeAll(async () => {
  // Screenshots of this run only: a stale one from an earlier run would be misleading.
  // Only this file's own (numbered) ones: other suites keep committed screenshots in the same folder.
  const dir = path.join(ARTIFACTS, GROUP);
  if (existsSync(dir))
    for (const f of readdirSync(dir)) if (/^(\d\d-|failed-)/.test(f)) rmSync(path.join(dir, f), { force: true });
  env = await bootPayments({ env: { SERVE_ADMIN_PANEL: 'true', WORKER_MAX_ATTEMPTS: '2' } });
  base = env.app.url!;
  const cheque = await payableInvoice(env, { billingName: 'Ada Lovelace', billingEmail: 'ada@example.test' });
  // Ten days late, so the list shows the overdue marker.
  await env.app.strapi.db
    .query(INVOICE)
    .update({ where: { documentId: cheque.documentId }, data: { issueDate: day(-40), dueDate: day(-10) } });
  data.cheque = { documentId: cheque.documentId, number: cheque.row.number as string };
  const card = await cardPaidInvoice(10000);
  await env.app.strapi.db
    .query(INVOICE)
    .update({ where: { documentId: card.documentId }, data: { issueDate: day(-5), dueDate: day(25) } });
  await eventually(
    () => readInvoice(env, card.documentId),
    (i) => i.state === 'paid',
  );
  data.card = { documentId: card.documentId, number: card.row.number as string };
  data.dead = await deadLetteredEvent();
  data.history = await cardPaidAfterDecline(182750);
  await env.app.strapi.db
    .query(INVOICE)
    .update({ where: { documentId: data.history.documentId }, data: { issueDate: day(-3), dueDate: day(11) } });
  browser = await launchBrowser();
  context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
  await login(page, env.admin);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

afterEach(async () => {
  // On failure the last screen is the first thing to look at.
  const state = expect.getState();
  if (page && state.currentTestName && state.assertionCalls !== state.numPassingAsserts) {
    await screenshot(page, GROUP, `failed-${state.currentTestName.replace(/\W+/g, '-')}`).catch(() => undefined);
  }
});

describe('Settings → Invoice payments → Stripe', () => {
  it('disconnects, refuses malformed and mismatched keys field by field, then saves test keys: Connected and TEST MODE', async () => {
    await page.goto(`${base}/admin/settings/invoice-payments/stripe`);
    await page.getByText(/Connected to Stripe account/).waitFor();
    await page.getByRole('button', { name: 'Disconnect' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    await page.getByText('No Stripe keys saved yet.').waitFor();
    await closeToasts(page);

    const publishable = page.getByLabel('Publishable key');
    const secret = page.getByLabel('Secret key', { exact: true });
    const webhookSecret = page.getByLabel('Webhook signing secret', { exact: true });
    // A publishable key pasted into the secret field.
    await publishable.fill(KEYS.publishableKey);
    await secret.fill(KEYS.publishableKey);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .getByText('This is a publishable key. The secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_.')
      .waitFor();
    // A live secret key next to a test publishable key.
    await secret.fill('sk_live' + '_51LiveSecretKey000000000000000');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page
      .getByText(
        /The keys are from different modes: the publishable key is a test key but the secret key is a live key/,
      )
      .waitFor();
    await webhookSecret.fill('not-a-secret');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/The webhook signing secret starts with whsec_/).waitFor();
    await screenshot(page, GROUP, '01-settings-validation');

    await secret.fill(KEYS.secretKey);
    await webhookSecret.fill(KEYS.webhookSecret);
    await page.getByLabel('Notification email').fill('billing-admin@example.test');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByText(/Connected to Stripe account acct_/).waitFor();
    await page.getByText('TEST MODE').first().waitFor();
    await screenshot(page, GROUP, '02-settings-connected');
  });

  it('shows the secrets masked after a reload, with Replace', async () => {
    await page.reload();
    const masked = page.getByTestId('secretKey-masked');
    await masked.waitFor();
    expect(await masked.inputValue()).toBe(`sk_test_••••${KEYS.secretKey.slice(-4)}`);
    expect(await page.getByTestId('webhookSecret-masked').inputValue()).toMatch(/^whsec_••••/);
    expect(await page.content()).not.toContain(KEYS.secretKey);
    await page.getByRole('button', { name: 'Replace' }).first().waitFor();
    await page.getByText(/Connected to Stripe account acct_/).waitFor();
    await screenshot(page, GROUP, '03-settings-masked-after-reload');
  });
});

describe('Invoices', () => {
  it('lists invoices with TEST MODE in the header and finds one by number', async () => {
    await page.goto(`${base}/admin/plugins/invoice-payments/invoices`);
    await page.getByRole('tab', { name: 'Invoices' }).waitFor();
    await page.getByText('TEST MODE').first().waitFor();
    await page.getByTestId('invoice-row').first().waitFor();
    expect(await page.getByTestId('invoice-row').count()).toBeGreaterThanOrEqual(3);
    const chequeRow = page.getByTestId('invoice-row').filter({ hasText: data.cheque!.number });
    expect(await chequeRow.innerText()).toMatch(/Ada Lovelace[\s\S]*\$1,827\.50[\s\S]*Sent[\s\S]*Overdue/i);
    await screenshot(page, GROUP, '04-invoices-list');
    // Filter by status (server side): only paid invoices.
    await page.getByRole('combobox', { name: 'Status' }).click();
    await page.getByRole('option', { name: 'Paid', exact: true }).click();
    await page.waitForURL(/state(\]|%5D)=paid/);
    expect(
      await settle(
        () => page.getByTestId('invoice-row').filter({ hasText: data.cheque!.number }).count(),
        (n) => n === 0,
      ),
    ).toBe(0);
    await page.getByTestId('invoice-row').filter({ hasText: data.card!.number }).waitFor();
    await page.getByRole('button', { name: 'Clear' }).first().click();
    await page.getByPlaceholder('Search by number or client').fill(data.cheque!.number);
    expect(
      await settle(
        () => page.getByTestId('invoice-row').count(),
        (v) => v === 1,
      ),
    ).toBe(1);
    await page.getByRole('link', { name: data.cheque!.number }).click();
    await page.getByRole('heading', { name: `Invoice ${data.cheque!.number}` }).waitFor();
  });

  it('marks an invoice paid by cheque: overpayment is refused, then status Paid and the entry in the history', async () => {
    await page.getByRole('button', { name: 'Mark as paid' }).click();
    const dialog = page.getByRole('dialog');
    const amount = dialog.getByLabel('Amount');
    expect(await amount.inputValue()).toBe('1827.50');
    await amount.fill('2000');
    await dialog.getByRole('button', { name: 'Record payment' }).click();
    await dialog.getByText('That is more than the balance due ($1,827.50).').waitFor();
    await screenshot(page, GROUP, '05-mark-paid-overpayment');
    await amount.fill('1827.50');
    await dialog.getByLabel('Reference').fill('CHK-1042');
    await dialog.getByRole('button', { name: 'Record payment' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = page.getByTestId('payment-row').filter({ hasText: 'CHK-1042' });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/Check[\s\S]*\$1,827\.50[\s\S]*Succeeded/i);
    expect(
      await settle(
        () => page.getByTestId('invoice-status').first().innerText(),
        (v) => /^paid$/i.test(v),
      ),
    ).toMatch(/^paid$/i);
    expect(await page.getByTestId('invoice-balance').innerText()).toBe('$0.00');
    await closeToasts(page);
    await screenshot(page, GROUP, '06-invoice-paid-by-cheque');
    expect(await readInvoice(env, data.cheque!.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
  });

  it('refunds part of a card payment after a confirmation step, and the balance reopens', async () => {
    await page.goto(`${base}/admin/plugins/invoice-payments/invoices/${data.card!.documentId}`);
    await page.getByRole('heading', { name: `Invoice ${data.card!.number}` }).waitFor();
    const payment = page.getByTestId('payment-row').first();
    expect(await payment.getByRole('link').first().getAttribute('href')).toMatch(
      /^https:\/\/dashboard\.stripe\.com\/test\/payments\/pi_/,
    );
    await payment.getByRole('button', { name: 'Refund' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByText('Partial refund').click();
    await dialog.getByLabel('Amount to refund').fill('30');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    await dialog
      .getByTestId('refund-confirmation')
      .getByText(/Refund \$30\.00 to the card/)
      .waitFor();
    await screenshot(page, GROUP, '07-refund-confirmation');
    await dialog.getByRole('button', { name: 'Refund $30.00' }).click();
    await dialog.waitFor({ state: 'detached' });
    expect(
      await settle(
        () => page.getByTestId('invoice-balance').innerText(),
        (v) => v === '$30.00',
      ),
    ).toBe('$30.00');
    expect(await page.getByTestId('invoice-status').first().innerText()).toMatch(/partially paid/i);
    await page.getByTestId('refund-row').first().waitFor();
    expect(await page.getByTestId('refund-row').first().innerText()).toMatch(/−\$30\.00/);
    await closeToasts(page);
    await screenshot(page, GROUP, '08-invoice-partially-refunded');
    expect(await readInvoice(env, data.card!.documentId)).toMatchObject({
      state: 'partially_paid',
      balanceDue: 3000,
      amountRefunded: 3000,
    });
  });
});

/** What a site admin sees at a common laptop size (issue 11: the history must fit at 1280 px). */
const LAPTOP = { width: 1280, height: 800 };
const DESKTOP = { width: 1440, height: 1000 };

/** Nothing wider than the window: no horizontal scroll of the page, nor of any table's own scroller. */
async function horizontalOverflow(p: Page) {
  return p.evaluate(() => {
    const doc = document.scrollingElement!;
    const tables = Array.from(document.querySelectorAll('table'))
      .map((t) => t.parentElement!)
      .filter((box) => box.scrollWidth > box.clientWidth);
    return { page: doc.scrollWidth - doc.clientWidth, tables: tables.map((box) => box.scrollWidth - box.clientWidth) };
  });
}

describe('Payment history, refund choice and audit sentences at 1280 px (issue 11)', () => {
  const usd = (minor: number) =>
    new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(minor / 100);

  beforeAll(async () => {
    await page.setViewportSize(LAPTOP);
  });
  afterAll(async () => {
    await page.setViewportSize(DESKTOP);
  });

  it('shows the charge id and Stripe’s fee, no stale decline, and the Refund button on screen', async () => {
    const h = data.history!;
    await page.goto(`${base}/admin/plugins/invoice-payments/invoices/${h.documentId}`);
    await page.getByRole('heading', { name: `Invoice ${h.number}` }).waitFor();
    const rows = page.getByTestId('payment-row');
    await rows.first().waitFor();
    // One attempt: declined, then paid on the same PaymentIntent, so one row.
    expect(await rows.count()).toBe(1);
    const row = rows.first();
    const text = await row.innerText();
    expect(h.chargeId).toMatch(/^ch_/);
    expect(text).toContain(h.chargeId);
    expect(text).toMatch(/\$1,827\.50[\s\S]*Succeeded/i);
    expect(await row.getByTestId('stripe-fee').innerText()).toBe(usd(cardFee(182750)));
    // The earlier decline is history: not shown on the payment that went through.
    expect(await row.getByTestId('payment-failure').count()).toBe(0);
    expect(text).not.toMatch(/declined/i);
    // The columns fit: the Refund button is inside the window, and nothing scrolls sideways.
    const refund = row.getByRole('button', { name: 'Refund' });
    const box = await refund.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(LAPTOP.width);
    expect(await horizontalOverflow(page)).toEqual({ page: 0, tables: [] });
    await screenshot(page, GROUP, 'payment-history');
  });

  it('refunds part with "Keep the invoice paid": the confirmation says so, the invoice stays Paid, the pay page asks nothing', async () => {
    const h = data.history!;
    const policy = (await env.app.strapi.plugin('invoice-payments').service('settings').load()).refundPolicy as string;
    const defaultLabel = policy === 'keep_paid' ? 'Keep the invoice paid' : 'Reopen the balance (client owes it again)';
    await page.getByTestId('payment-row').first().getByRole('button', { name: 'Refund' }).click();
    const dialog = page.getByRole('dialog');
    const effect = dialog.getByRole('radiogroup', { name: 'What does this refund mean for the invoice?' });
    await effect.waitFor();
    expect(await effect.getByRole('radio').count()).toBe(2);
    for (const name of ['Reopen the balance (client owes it again)', 'Keep the invoice paid'])
      expect(await effect.getByRole('radio', { name, exact: true }).count()).toBe(1);
    // The default comes from Settings → Refunds.
    expect(await effect.getByRole('radio', { name: defaultLabel, exact: true }).getAttribute('aria-checked')).toBe(
      'true',
    );
    await dialog.getByText('Partial refund').click();
    await dialog.getByLabel('Amount to refund').fill('500');
    await effect.getByRole('radio', { name: 'Keep the invoice paid', exact: true }).click();
    expect(
      await effect.getByRole('radio', { name: 'Keep the invoice paid', exact: true }).getAttribute('aria-checked'),
    ).toBe('true');
    await screenshot(page, GROUP, 'refund-dialog');
    await dialog.getByRole('button', { name: 'Continue' }).click();
    const said = dialog.getByTestId('refund-effect-confirmation');
    await said.waitFor();
    expect(await said.innerText()).toBe(
      `Invoice ${h.number} stays paid: the client will not be asked to pay $500.00 again.`,
    );
    await screenshot(page, GROUP, 'refund-dialog-confirmation');
    await dialog.getByRole('button', { name: 'Refund $500.00' }).click();
    await dialog.waitFor({ state: 'detached' });

    const refundRow = page.getByTestId('refund-row').first();
    await refundRow.waitFor();
    expect(await refundRow.innerText()).toMatch(/−\$500\.00[\s\S]*Invoice kept paid/);
    expect(await page.getByTestId('invoice-refunded').innerText()).toBe('$500.00');
    expect(await page.getByTestId('invoice-status').first().innerText()).toMatch(/^paid$/i);
    expect(await page.getByTestId('invoice-balance').innerText()).toBe('$0.00');
    await closeToasts(page);
    expect(await horizontalOverflow(page)).toEqual({ page: 0, tables: [] });
    await page.getByTestId('refund-row').first().scrollIntoViewIfNeeded();
    await screenshot(page, GROUP, 'payment-history-refunded');
    expect(await readInvoice(env, h.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 50000 });

    // The client's pay link, as the client opens it: Paid, nothing to pay.
    const link = new URL(await page.getByTestId('pay-link').inputValue());
    expect(link.pathname).toBe(`/invoice-payments/pay/${h.token}`);
    const client = await context.newPage();
    try {
      // The link's host is the app's public URL (PUBLIC_URL); the test app listens on a random port.
      await client.goto(`${base}${link.pathname}`, { waitUntil: 'networkidle' });
      expect(await client.locator('#invoice-status').innerText()).toMatch(/Paid$/);
      expect(await client.locator('.balance dd').innerText()).toBe('$0.00');
      expect(await client.locator('#pay-button').count()).toBe(0);
      expect(await client.getByRole('button', { name: /^Pay\b/ }).count()).toBe(0);
      await screenshot(client, GROUP, 'refund-kept-paid-pay-page');
    } finally {
      await client.close();
    }
  });

  it('audit entries read as sentences with formatted amounts, raw details one click away', async () => {
    await page.goto(`${base}/admin/plugins/invoice-payments/audit`);
    const rows = page.getByTestId('audit-row');
    await rows.first().waitFor();
    const manual = rows.filter({ hasText: data.cheque!.number }).filter({ hasText: 'payment.manual' });
    expect(await manual.getByTestId('audit-sentence').innerText()).toMatch(
      /^Manual payment of \$1,827\.50 by check, ref CHK-1042, recorded by \S/,
    );
    const refund = rows.filter({ hasText: data.history!.number }).filter({ hasText: 'refund.requested' });
    expect(await refund.getByTestId('audit-sentence').innerText()).toMatch(
      /^Refund of \$500\.00 made by \S.*; the invoice stays paid$/,
    );
    // No minor units in any sentence.
    for (const sentence of await page.getByTestId('audit-sentence').allInnerTexts())
      expect(sentence).not.toMatch(/\b(182750|50000)\b/);
    expect(await page.getByTestId('audit-details').count()).toBe(0);
    await refund.getByRole('button', { name: 'Show details' }).click();
    const details = page.getByTestId('audit-details');
    await details.waitFor();
    const json = JSON.parse(await details.innerText()) as Record<string, unknown>;
    expect(json).toMatchObject({ amount: 50000, currency: 'USD', invoiceEffect: 'keep_paid' });
    expect(await refund.getByRole('button', { name: 'Hide details' }).getAttribute('aria-expanded')).toBe('true');
    expect(await horizontalOverflow(page)).toEqual({ page: 0, tables: [] });
    await screenshot(page, GROUP, 'audit-log');
  });
});

describe('Webhook deliveries', () => {
  it('shows the health line and replays a dead-lettered event', async () => {
    await page.goto(`${base}/admin/plugins/invoice-payments/webhooks`);
    await page.getByTestId('webhook-health').waitFor();
    expect(await page.getByTestId('webhook-health').innerText()).toMatch(/Last event received[\s\S]*in the last 24 h/);
    const row = page.getByTestId('webhook-row').filter({ hasText: data.dead!.eventId });
    await row.waitFor();
    expect(await row.innerText()).toMatch(/Dead-lettered/i);
    expect(await row.innerText()).toMatch(/not answering|500|Stripe/i);
    await screenshot(page, GROUP, '09-webhooks-dead-lettered');
    env.standin.control.clearFaults();
    await row.getByRole('button', { name: 'Replay' }).click();
    await page.getByText('Event replayed: Processed.').waitFor();
    expect(
      await settle(
        () => row.innerText(),
        (v) => /Processed/i.test(v),
      ),
    ).toMatch(/Processed/i);
    await closeToasts(page);
    await screenshot(page, GROUP, '10-webhooks-replayed');
    expect((await readInvoice(env, data.dead!.documentId)).state).toBe('paid');
  });

  it('shows which provider sent each event, and filters by provider', async () => {
    // A Mollie delivery as the Mollie webhook stores it (this app runs the Stripe stand-in only).
    await env.app.strapi.documents(EVENT).create({
      data: {
        providerEventId: 'tr_browserMollie1:paid',
        provider: 'mollie',
        type: 'payment.paid',
        objectId: 'tr_browserMollie1',
        status: 'ignored',
        attempts: 1,
        ignoredReason: 'Mollie payment tr_browserMollie1 was not made by invoice-payments.',
      } as never,
    });
    await page.goto(`${base}/admin/plugins/invoice-payments/webhooks`);
    const mollieRow = page.getByTestId('webhook-row').filter({ hasText: 'tr_browserMollie1:paid' });
    const stripeRow = page.getByTestId('webhook-row').filter({ hasText: data.dead!.eventId });
    await mollieRow.waitFor();
    expect(await page.locator('thead').getByText('Provider', { exact: true }).count()).toBe(1);
    expect(await mollieRow.getByTestId('webhook-provider').innerText()).toBe('Mollie');
    expect(await stripeRow.getByTestId('webhook-provider').innerText()).toBe('Stripe');
    expect(await horizontalOverflow(page)).toEqual({ page: 0, tables: [] });
    await screenshot(page, GROUP, '10b-webhooks-providers');

    await page.getByRole('combobox', { name: 'Provider' }).click();
    await page.getByRole('option', { name: 'Mollie' }).click();
    await page.waitForURL((url) => url.search.includes('provider'));
    await stripeRow.waitFor({ state: 'detached' });
    expect(
      await settle(
        () => page.getByTestId('webhook-provider').allInnerTexts(),
        (v) => v.length > 0 && v.every((p) => p === 'Mollie'),
      ),
    ).toEqual(['Mollie']);
    await screenshot(page, GROUP, '10c-webhooks-mollie-only');
  });
});

describe('Audit log', () => {
  it('filters by invoice, actor and action', async () => {
    await page.goto(`${base}/admin/plugins/invoice-payments/audit`);
    await page.getByTestId('audit-row').first().waitFor();
    await page.getByLabel('Invoice number').fill(data.cheque!.number);
    await page.getByLabel('Action starts with').fill('payment.manual');
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(
      await settle(
        () => page.getByTestId('audit-row').count(),
        (v) => v === 1,
      ),
    ).toBe(1);
    const only = page.getByTestId('audit-row').first();
    expect(await only.getByTestId('audit-sentence').innerText()).toMatch(/CHK-1042/);
    expect(await only.innerText()).toMatch(/payment\.manual/);
    await screenshot(page, GROUP, '11-audit-log-filtered');
  });
});

describe('a role without the settings permission', () => {
  let limited: AdminSession;
  let limitedPage: Page;

  beforeAll(async () => {
    limited = await adminSession(env.app.strapi, ['plugin::invoice-payments.payments.read']);
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-US' });
    limitedPage = await ctx.newPage();
    limitedPage.setDefaultTimeout(20000);
    await login(limitedPage, limited);
  });

  it('cannot open the settings page, sees no button it cannot use, and the API answers 403', async () => {
    await limitedPage.goto(`${base}/admin/settings/invoice-payments/stripe`);
    await limitedPage.getByText(/don't have the permissions/i).waitFor();
    expect(await limitedPage.getByLabel('Publishable key').count()).toBe(0);
    await screenshot(limitedPage, GROUP, '12-settings-forbidden');

    await limitedPage.goto(`${base}/admin/plugins/invoice-payments/invoices/${data.card!.documentId}`);
    await limitedPage.getByRole('heading', { name: `Invoice ${data.card!.number}` }).waitFor();
    await limitedPage.getByText('TEST MODE').first().waitFor();
    await limitedPage.getByRole('button', { name: 'Resync payments' }).waitFor();
    for (const name of ['Mark as paid', 'Send invoice', 'Refund', 'New link']) {
      expect(await limitedPage.getByRole('button', { name, exact: true }).count()).toBe(0);
    }
    await limitedPage.goto(`${base}/admin/plugins/invoice-payments/invoices`);
    await limitedPage.getByTestId('invoice-row').first().waitFor();
    expect(await limitedPage.getByRole('tab', { name: 'Webhook deliveries' }).count()).toBe(0);
    expect(await limitedPage.getByRole('tab', { name: 'Audit log' }).count()).toBe(0);
    await screenshot(limitedPage, GROUP, '13-limited-role-invoices');

    const http = () => env.app.http();
    expect((await http().get('/invoice-payments/settings').set(limited.auth)).status).toBe(403);
    expect(
      (await http().put('/invoice-payments/settings').set(limited.auth).send({ partialPayments: true })).status,
    ).toBe(403);
    expect((await http().post('/invoice-payments/settings/disconnect').set(limited.auth)).status).toBe(403);
    expect((await http().get('/invoice-payments/status').set(limited.auth)).status).toBe(200);
  });
});
