import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { parse } from 'csv-parse/sync';
import { launchBrowser, screenshot, loginAdmin } from '../support/browser';
import {
  bootPayments,
  eventually,
  INVOICE,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';

/**
 * The plugin's home as a site admin uses it, in Debian's Chromium against the built admin panel:
 * an empty dashboard, then totals per currency and the monthly chart once money moved, then the
 * invoice list's "Export invoices (CSV)" for the current filters, opened as a spreadsheet would.
 * Screenshots: tests/artifacts/admin/dashboard*.png (committed, see .gitignore).
 */
const GROUP = 'admin';
jest.setTimeout(120000);

let env: PaymentsEnv;
let browser: Browser;
let page: Page;
let base: string;

const day = (offset: number) => new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
const now = new Date();
const lastMonthDay = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)).toISOString().slice(0, 10);
const numbers: Record<string, string> = {};

async function invoice(key: string, input: { currency: string; amount: number; due: string; name: string }) {
  const inv = await payableInvoice(env, {
    currency: input.currency,
    lineItems: [{ description: 'Work', quantity: 1, unitAmount: input.amount }],
    billingName: input.name,
    billingEmail: `${key.toLowerCase()}@example.test`,
  });
  await env.app.strapi.db
    .query(INVOICE)
    .update({ where: { documentId: inv.documentId }, data: { issueDate: day(-20), dueDate: input.due } });
  numbers[key] = inv.row.number as string;
  return inv;
}

const manual = async (documentId: string, amount: number, date?: string) => {
  const res = await env.app
    .http()
    .post(`/invoice-payments/invoices/${documentId}/manual-payments`)
    .set(env.admin.auth)
    .send({ amount, method: 'wire', ...(date ? { date } : {}) });
  if (res.status !== 201) throw new Error(`manual payment: ${res.status} ${JSON.stringify(res.body)}`);
};

beforeAll(async () => {
  env = await bootPayments({ env: { SERVE_ADMIN_PANEL: 'true' } });
  base = env.app.url!;
  browser = await launchBrowser();
  const context = await browser.newContext({
    viewport: { width: 1440, height: 1000 },
    locale: 'en-US',
    acceptDownloads: true,
  });
  page = await context.newPage();
  page.setDefaultTimeout(20000);
  await loginAdmin(page, base, env.admin);
});

afterAll(async () => {
  await browser?.close();
  await env?.close();
});

afterEach(async () => {
  const state = expect.getState();
  if (page && state.currentTestName && state.assertionCalls !== state.numPassingAsserts) {
    await screenshot(page, 'admin-dashboard-failures', `failed-${state.currentTestName.replace(/\W+/g, '-')}`).catch(
      () => undefined,
    );
  }
});

describe('dashboard', () => {
  it('a new site: the home says nothing is owed or collected yet', async () => {
    await page.goto(`${base}/admin/plugins/invoice-payments`);
    await page.getByRole('tab', { name: 'Dashboard', selected: true }).waitFor();
    await page.getByText(/No open invoices and nothing collected yet/).waitFor();
    await page.getByText('Nothing collected in the last 12 months yet.').waitFor();
    expect(await page.getByTestId('collected-chart').count()).toBe(0);
    await screenshot(page, GROUP, 'dashboard-empty');
  });

  it('shows outstanding, overdue and collected this month per currency, and the monthly chart', async () => {
    // USD: 1,000.00 ten days late; 250.00 paid by card today. JPY: 15,000 due 3 days ago, 5,000 paid.
    // KWD: 12.340 due next month; 3.000 paid on the 1st of last month.
    await invoice('usdLate', {
      currency: 'USD',
      amount: 100000,
      due: day(-10),
      name: '=HYPERLINK("http://evil.test","Ada")',
    });
    const card = await invoice('usdCard', { currency: 'USD', amount: 25000, due: day(20), name: 'Grace Hopper' });
    const pi = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${card.documentId}/payment-intent`)
      .send({ token: card.token });
    await payWith(env, pi.body.data.providerPaymentId, 'pm_card_visa');
    await eventually(
      () => readInvoice(env, card.documentId),
      (i) => i.balanceDue === 0,
    );
    const jpy = await invoice('jpy', { currency: 'JPY', amount: 15000, due: day(-3), name: 'Tanaka Kogyo' });
    await manual(jpy.documentId, 5000);
    await invoice('kwdOpen', { currency: 'KWD', amount: 12340, due: day(30), name: 'Gulf Trading' });
    const kwdPaid = await invoice('kwdPaid', { currency: 'KWD', amount: 3000, due: day(30), name: 'Gulf Trading' });
    await manual(kwdPaid.documentId, 3000, lastMonthDay);

    await page.goto(`${base}/admin/plugins/invoice-payments`);
    const text = async (id: string) => (await page.getByTestId(id).innerText()).replace(/\u00a0/g, ' ');
    await page.getByTestId('outstanding-USD').waitFor();
    expect(await text('outstanding-USD')).toBe('$1,000.00');
    expect(await text('overdue-USD')).toBe('$1,000.00');
    expect(await text('collected-USD')).toBe('$250.00');
    expect(await text('outstanding-JPY')).toBe('¥10,000');
    expect(await text('overdue-JPY')).toBe('¥10,000');
    expect(await text('collected-JPY')).toBe('¥5,000');
    expect(await text('outstanding-KWD')).toBe('KWD 12.340');
    expect(await text('overdue-KWD')).toBe('KWD 0.000');
    expect(await text('collected-KWD')).toBe('KWD 0.000');

    // The chart (its own lazily loaded chunk) draws an SVG with a bar per month that had money.
    const chart = page.getByTestId('collected-chart');
    await chart.locator('svg.recharts-surface[role="application"]').waitFor();
    // JPY comes first: one bar, this month.
    expect(
      await settle(
        () => chart.locator('.recharts-bar-rectangle path').count(),
        (n) => n === 1,
      ),
    ).toBe(1);
    await page.getByRole('combobox', { name: 'Currency' }).click();
    await page.getByRole('option', { name: 'KWD' }).click();
    // KWD: last month's 3.000 only, on the second-to-last month.
    expect(
      await settle(
        () => chart.locator('.recharts-bar-rectangle path').count(),
        (n) => n === 1,
      ),
    ).toBe(1);
    // One tick per month of the window.
    const labels = Array.from({ length: 12 }, (_, i) =>
      new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11 + i, 1)).toLocaleDateString('en-US', {
        month: 'short',
        year: '2-digit',
        timeZone: 'UTC',
      }),
    );
    expect(await chart.locator('.recharts-xAxis-tick-labels text').allTextContents()).toEqual(labels);
    await page.getByRole('combobox', { name: 'Currency' }).click();
    await page.getByRole('option', { name: 'USD' }).click();
    expect(
      await settle(
        () => chart.locator('.recharts-bar-rectangle path').count(),
        (n) => n === 1,
      ),
    ).toBe(1);
    await page.mouse.move(0, 0);
    // Tall enough for the cards and the whole chart (the admin scrolls inside its own frame).
    await page.setViewportSize({ width: 1440, height: 1420 });
    await screenshot(page, GROUP, 'dashboard');
    await page.setViewportSize({ width: 1440, height: 1000 });
  });
});

describe('CSV export from the invoice list', () => {
  it('downloads the invoices of the current filters; the file opens with major units and no formulas', async () => {
    await page.getByRole('tab', { name: 'Invoices' }).click();
    await page.waitForURL(/\/plugins\/invoice-payments\/invoices/);
    await page.getByTestId('invoice-row').first().waitFor();
    await page.getByRole('checkbox', { name: 'Overdue only' }).click();
    await page.waitForURL(/overdue(\]|%5D)=true/);
    expect(
      await settle(
        () => page.getByTestId('invoice-row').count(),
        (n) => n === 2,
      ),
    ).toBe(2);
    await screenshot(page, GROUP, 'dashboard-invoices-export');

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export invoices (CSV)' }).click(),
    ]);
    expect(download.suggestedFilename()).toMatch(/^invoices-\d{4}-\d{2}-\d{2}\.csv$/);
    const file = await download.path();
    const rows = parse(readFileSync(file, 'utf8'), { columns: true, bom: true }) as Array<Record<string, string>>;
    expect(rows.map((r) => r.Number).sort()).toEqual([numbers.usdLate, numbers.jpy].sort());
    const byNumber = Object.fromEntries(rows.map((r) => [r.Number, r]));
    expect(byNumber[numbers.usdLate!]).toMatchObject({
      Currency: 'USD',
      Total: '1000.00',
      'Balance due': '1000.00',
      'Due date': day(-10),
      'Billing name': `'=HYPERLINK("http://evil.test","Ada")`,
    });
    expect(byNumber[numbers.jpy!]).toMatchObject({
      Currency: 'JPY',
      Total: '15000',
      'Amount paid': '5000',
      'Balance due': '10000',
    });

    const [payments] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export payments (CSV)' }).click(),
    ]);
    const paymentRows = parse(readFileSync(await payments.path(), 'utf8'), { columns: true, bom: true }) as Array<
      Record<string, string>
    >;
    // Of the two overdue invoices, only the JPY one has a payment.
    expect(paymentRows).toEqual([
      expect.objectContaining({ 'Invoice number': numbers.jpy, Kind: 'manual', Currency: 'JPY', Amount: '5000' }),
    ]);
  });
});

/** Polls a value from the page until it matches (jest has no expect.poll); throws on timeout. */
async function settle<T>(read: () => Promise<T>, ok: (value: T) => boolean, timeoutMs = 10000): Promise<T> {
  const started = Date.now();
  let value = await read();
  while (!ok(value)) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting; last value ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
    value = await read();
  }
  return value;
}
