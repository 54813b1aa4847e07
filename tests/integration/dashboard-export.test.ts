import { parse } from 'csv-parse/sync';
import { adminSession } from '../support/admin';
import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  PAYMENT,
  INVOICE,
  type PaymentsEnv,
} from '../support/payments';

/**
 * The plugin's home (GET /dashboard) and the CSV exports, on a real Strapi with a known ledger:
 * USD, JPY (no decimals) and KWD (3 decimals); open, overdue, paid, draft and void invoices; a card
 * payment partly refunded, manual payments this month and last month, a voided manual payment.
 */
let env: PaymentsEnv;

const DAY = 86_400_000;
const now = new Date();
const isoDay = (d: Date) => d.toISOString().slice(0, 10);
const yesterday = isoDay(new Date(now.getTime() - DAY));
const nextMonth = isoDay(new Date(now.getTime() + 30 * DAY));
const thisMonth = isoDay(now).slice(0, 7);
// A date in the previous calendar month (UTC): the 1st, never in the future.
const lastMonthDay = isoDay(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1)));

const get = (path: string, auth = env.admin.auth) => env.app.http().get(`/invoice-payments${path}`).set(auth);
const post = (path: string, body: Record<string, unknown>) =>
  env.app.http().post(`/invoice-payments${path}`).set(env.admin.auth).send(body);
/** The CSV as a spreadsheet reads it (BOM stripped), one object per row keyed by header. */
const rowsOf = (text: string) =>
  parse(text, { columns: true, bom: true, skip_empty_lines: true, relax_column_count: false }) as Array<
    Record<string, string>
  >;
const download = (path: string) =>
  get(path)
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => done(null, text));
    });

async function invoice(input: { currency: string; amount: number; due?: string; state?: string; name?: string }) {
  const inv = await payableInvoice(env, {
    currency: input.currency,
    state: input.state ?? 'sent',
    lineItems: [{ description: 'Work', quantity: 1, unitAmount: input.amount }],
    billingName: input.name ?? 'Ada Lovelace',
    billingEmail: `c${Math.random().toString(36).slice(2, 8)}@example.test`,
  });
  if (input.due)
    await env.app.strapi.db
      .query(INVOICE)
      .update({ where: { documentId: inv.documentId }, data: { dueDate: input.due } });
  return inv;
}

const manual = async (documentId: string, amount: number, date?: string) => {
  const res = await post(`/invoices/${documentId}/manual-payments`, {
    amount,
    method: 'wire',
    ...(date ? { date } : {}),
  });
  expect(res.status).toBe(201);
  return res.body.data.payment as { documentId: string };
};

const ids: Record<string, { documentId: string; number: string }> = {};
const stateOf = (row: Record<string, unknown>) => String(row.state);
/** What the card invoice still owes after its partial refund: 0, or 50.00 if the refund reopened it. */
async function cardInvoiceOpen() {
  const row = await readInvoice(env, ids.usdCard!.documentId);
  return ['sent', 'viewed', 'partially_paid'].includes(stateOf(row))
    ? { balance: row.balanceDue as number, count: 1 }
    : { balance: 0, count: 0 };
}

beforeAll(async () => {
  env = await bootPayments();
  const remember = async <T extends { documentId: string; row: { number: string } }>(key: string, p: Promise<T>) => {
    const inv = await p;
    ids[key] = { documentId: inv.documentId, number: inv.row.number };
    return inv;
  };
  // USD: overdue and untouched (1000.00); part-paid, due later (500.00 - 200.00 manual today).
  await remember(
    'usdOverdue',
    invoice({ currency: 'USD', amount: 100000, due: yesterday, name: '=HYPERLINK("http://evil.test","click")' }),
  );
  const usdPart = await remember('usdPart', invoice({ currency: 'USD', amount: 50000, due: nextMonth }));
  await manual(usdPart.documentId, 20000);
  // USD paid by card (250.00), then 50.00 refunded (whether that reopens the balance is the refund's
  // business: the expectations read the invoice's state back).
  const card = await remember('usdCard', invoice({ currency: 'USD', amount: 25000, due: nextMonth, name: '+Mallory' }));
  const pi = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${card.documentId}/payment-intent`)
    .send({ token: card.token });
  await payWith(env, pi.body.data.providerPaymentId, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, card.documentId),
    (i) => i.state === 'paid',
  );
  const [cardPayment] = await env.app.strapi.db
    .query(PAYMENT)
    .findMany({ where: { invoice: { documentId: card.documentId } } });
  const refund = await post(`/payments/${cardPayment.documentId}/refunds`, {
    amount: 5000,
    idempotencyKey: 'dash-refund-1',
  });
  expect(refund.status).toBe(200);
  await eventually(
    () => env.app.strapi.db.query('plugin::invoice-payments.refund').findMany({}),
    (rows) => rows.some((r: { status: string }) => r.status === 'succeeded'),
  );
  // USD manual payment voided: never collected. USD draft: never outstanding.
  const voided = await remember('usdVoided', invoice({ currency: 'USD', amount: 7000, due: nextMonth }));
  const vp = await manual(voided.documentId, 7000);
  expect((await post(`/payments/${vp.documentId}/void`, { reason: 'Bounced' })).status).toBe(200);
  await remember('usdDraft', invoice({ currency: 'USD', amount: 99900, state: 'draft', due: yesterday }));
  // JPY: 15000 due yesterday, 5000 paid today -> 10000 outstanding and overdue.
  const jpy = await remember('jpy', invoice({ currency: 'JPY', amount: 15000, due: yesterday, name: '@Tanaka' }));
  await manual(jpy.documentId, 5000);
  // KWD: 12.340 open (due later); 3.000 paid in full on the 1st of last month.
  await remember('kwdOpen', invoice({ currency: 'KWD', amount: 12340, due: nextMonth }));
  const kwdPaid = await remember('kwdPaid', invoice({ currency: 'KWD', amount: 3000, due: nextMonth }));
  await manual(kwdPaid.documentId, 3000, lastMonthDay);
});
afterAll(async () => {
  await env?.close();
});

describe('dashboard', () => {
  it('outstanding, overdue and collected this month per currency, summed by the database', async () => {
    const res = await get('/dashboard');
    expect(res.status).toBe(200);
    const { currencies, month, months, timeZone } = res.body.data;
    expect(month).toBe(thisMonth);
    expect(timeZone).toBe('UTC');
    expect(months).toHaveLength(12);
    expect(months.at(-1)).toBe(thisMonth);
    const by = Object.fromEntries(currencies.map((c: { currency: string }) => [c.currency, c]));
    expect(Object.keys(by)).toEqual(['JPY', 'KWD', 'USD']);
    // USD: 1000.00 overdue + 300.00 left on the part-paid one + 70.00 reopened by the voided payment.
    const card = await cardInvoiceOpen();
    expect(by.USD).toMatchObject({
      outstanding: 137000 + card.balance,
      overdue: 100000,
      outstandingCount: 3 + card.count,
      overdueCount: 1,
      collectedThisMonth: 45000,
      refundedThisMonth: 5000,
      netThisMonth: 40000,
      exponent: 2,
    });
    expect(by.USD.formatted).toMatchObject({
      outstanding: card.balance ? '$1,420.00' : '$1,370.00',
      overdue: '$1,000.00',
      collectedThisMonth: '$450.00',
      refundedThisMonth: '$50.00',
      netThisMonth: '$400.00',
    });
    expect(by.JPY).toMatchObject({
      outstanding: 10000,
      overdue: 10000,
      collectedThisMonth: 5000,
      refundedThisMonth: 0,
      exponent: 0,
    });
    expect(by.JPY.formatted.outstanding).toBe('¥10,000');
    // KWD: the 3.000 came last month, so nothing this month.
    expect(by.KWD).toMatchObject({ outstanding: 12340, overdue: 0, collectedThisMonth: 0, exponent: 3 });
    expect(by.KWD.formatted.outstanding).toBe('KWD\u00a012.340'); // Intl puts a no-break space after the code
  });

  it('a payment flagged for a mismatch (not booked on its invoice) is not counted as collected', async () => {
    const before = await get('/dashboard');
    const usd = (r: typeof before) =>
      r.body.data.currencies.find((c: { currency: string }) => c.currency === 'USD').collectedThisMonth;
    const invoiceRow = await env.app.strapi.db
      .query(INVOICE)
      .findOne({ where: { documentId: ids.usdDraft!.documentId } });
    // What settlement writes for a payment whose amount differs from what was asked (services/settlement.ts).
    const flagged = await env.app.strapi.db.query(PAYMENT).create({
      data: {
        invoice: invoiceRow.id,
        kind: 'card',
        provider: 'stripe',
        status: 'succeeded',
        amount: 12345,
        currency: 'USD',
        paidAt: new Date(),
        mismatch: 'Payment received 12345 instead of 99900; it was not booked.',
      },
    });
    try {
      const after = await get('/dashboard');
      expect(after.status).toBe(200);
      expect(usd(after)).toBe(usd(before));
    } finally {
      await env.app.strapi.db.query(PAYMENT).delete({ where: { id: flagged.id } });
    }
  });

  it('12 months per currency, zero-filled, last month and this month in their place', async () => {
    const { series, months } = (await get('/dashboard')).body.data;
    const kwd = series.find((s: { currency: string }) => s.currency === 'KWD');
    expect(kwd.points.map((p: { month: string }) => p.month)).toEqual(months);
    expect(kwd.points.at(-2)).toEqual({ month: lastMonthDay.slice(0, 7), collected: 3000, refunded: 0, net: 3000 });
    expect(kwd.points.at(-1)).toMatchObject({ collected: 0 });
    expect(kwd.points.slice(0, -2).every((p: { collected: number }) => p.collected === 0)).toBe(true);
    const usd = series.find((s: { currency: string }) => s.currency === 'USD');
    expect(usd.points.at(-1)).toEqual({ month: thisMonth, collected: 45000, refunded: 5000, net: 40000 });
  });

  it('needs an admin session and the payments.read permission', async () => {
    expect((await env.app.http().get('/invoice-payments/dashboard')).status).toBe(401);
    const auditor = await adminSession(env.app.strapi, ['plugin::invoice-payments.audit.read']);
    expect((await get('/dashboard', auditor.auth)).status).toBe(403);
    expect((await get('/exports/invoices.csv', auditor.auth)).status).toBe(403);
    expect((await get('/exports/payments.csv', auditor.auth)).status).toBe(403);
    expect((await env.app.http().get('/invoice-payments/exports/invoices.csv')).status).toBe(401);
    const reader = await adminSession(env.app.strapi, ['plugin::invoice-payments.payments.read']);
    expect((await get('/dashboard', reader.auth)).status).toBe(200);
  });
});

describe('CSV export', () => {
  it('invoices: a download named for today, amounts in major units with the currency decimals, no pay token', async () => {
    const res = await download('/exports/invoices.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="invoices-\d{4}-\d{2}-\d{2}\.csv"$/);
    expect(res.headers['cache-control']).toBe('no-store');
    const text = res.body as string;
    const rows = rowsOf(text);
    expect(rows).toHaveLength(Object.keys(ids).length);
    const byNumber = Object.fromEntries(rows.map((r) => [r.Number, r]));
    expect(byNumber[ids.usdPart!.number]).toMatchObject({
      Currency: 'USD',
      Total: '500.00',
      'Amount paid': '200.00',
      'Balance due': '300.00',
      Status: 'partially_paid',
      'Due date': nextMonth,
    });
    expect(byNumber[ids.jpy!.number]).toMatchObject({ Currency: 'JPY', Total: '15000', 'Balance due': '10000' });
    expect(byNumber[ids.kwdOpen!.number]).toMatchObject({ Currency: 'KWD', Total: '12.340', 'Balance due': '12.340' });
    const cardRow = await readInvoice(env, ids.usdCard!.documentId);
    expect(byNumber[ids.usdCard!.number]).toMatchObject({
      'Amount paid': '250.00',
      'Amount refunded': '50.00',
      Status: stateOf(cardRow),
      'Balance due': (cardRow.balanceDue / 100).toFixed(2),
    });
    // No secrets: the pay tokens of these invoices appear nowhere.
    const tokens = (await env.app.strapi.db.query(INVOICE).findMany({ select: ['payToken'] }))
      .map((r: { payToken: string }) => r.payToken)
      .filter(Boolean);
    expect(tokens.length).toBeGreaterThan(0);
    for (const t of tokens) expect(text).not.toContain(t);
    expect(Object.keys(rows[0]!)).not.toEqual(expect.arrayContaining(['payToken']));
  });

  it('client-typed text cannot become a spreadsheet formula', async () => {
    const rows = rowsOf((await download('/exports/invoices.csv')).body);
    const names = rows.map((r) => r['Billing name']);
    expect(names).toContain(`'=HYPERLINK("http://evil.test","click")`);
    expect(names).toContain("'+Mallory");
    expect(names).toContain("'@Tanaka");
    expect(names.filter((n) => /^[=+\-@\t\r]/.test(n!))).toEqual([]);
  });

  it('respects the list filters: status, overdue, search', async () => {
    const part = rowsOf((await download('/exports/invoices.csv?state=partially_paid')).body);
    const expected: string[] = [];
    for (const k of ['usdPart', 'jpy', 'usdCard'])
      if (stateOf(await readInvoice(env, ids[k]!.documentId)) === 'partially_paid') expected.push(ids[k]!.number);
    expect(expected).toEqual(expect.arrayContaining([ids.usdPart!.number, ids.jpy!.number]));
    expect(part.map((r) => r.Number).sort()).toEqual(expected.sort());
    const overdue = rowsOf((await download('/exports/invoices.csv?overdue=true')).body);
    // The draft is due yesterday too, but a draft is not owed yet.
    expect(overdue.map((r) => r.Number).sort()).toEqual([ids.usdOverdue!.number, ids.jpy!.number].sort());
    const search = rowsOf((await download(`/exports/invoices.csv?q=${encodeURIComponent(ids.kwdPaid!.number)}`)).body);
    expect(search.map((r) => r.Number)).toEqual([ids.kwdPaid!.number]);
  });

  it('payments: the ledger of the filtered invoices, voided entries marked, fees apart', async () => {
    const res = await download('/exports/payments.csv');
    expect(res.status).toBe(200);
    expect(res.headers['content-disposition']).toMatch(/filename="payments-\d{4}-\d{2}-\d{2}\.csv"/);
    const rows = rowsOf(res.body);
    expect(rows).toHaveLength(5);
    const of = (key: string) => rows.filter((r) => r['Invoice number'] === ids[key]!.number);
    expect(of('usdCard')[0]).toMatchObject({
      Kind: 'card',
      Status: 'partially_refunded',
      Currency: 'USD',
      Amount: '250.00',
      'Amount refunded': '50.00',
    });
    expect(of('usdCard')[0]!['Provider payment']).toMatch(/^pi_/);
    expect(of('usdCard')[0]!.Provider).toBe('Stripe');
    expect(of('usdVoided')[0]).toMatchObject({
      Provider: '',
      Kind: 'manual',
      Status: 'voided',
      Amount: '70.00',
      'Void reason': 'Bounced',
    });
    expect(of('jpy')[0]).toMatchObject({ Currency: 'JPY', Amount: '5000' });
    expect(of('kwdPaid')[0]).toMatchObject({ Currency: 'KWD', Amount: '3.000' });
    expect(of('kwdPaid')[0]!['Paid at']!.slice(0, 10)).toBe(lastMonthDay);
    const jpyOnly = rowsOf((await download(`/exports/payments.csv?q=${encodeURIComponent(ids.jpy!.number)}`)).body);
    expect(jpyOnly.map((r) => r['Invoice number'])).toEqual([ids.jpy!.number]);
  });

  it.each([
    ['/exports/invoices.csv?state=unpaid', /state/i],
    // The old parameter name is refused, not ignored (ignoring it would export every invoice).
    ['/exports/invoices.csv?status=sent', /status/i],
    ['/exports/payments.csv?overdue=maybe', /overdue/i],
    ['/exports/invoices.csv?q=' + 'x'.repeat(101), /q/],
  ])('%s is refused with a 400 and a message, no CSV', async (path, message) => {
    const res = await get(path);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/application\/json/);
    expect(res.body.error.message).toMatch(message);
  });

  it('reads the table one page at a time by id (export.pageSize), every row once, in order', async () => {
    const strapi = env.app.strapi;
    const previous = strapi.config.get('plugin::invoice-payments.export.pageSize');
    strapi.config.set('plugin::invoice-payments.export.pageSize', 3);
    const reads: string[] = [];
    const listen = (q: { sql: string }) => {
      // Only the export's keyset reads (`id > ?`, its own column list): the expiry cron and the
      // reminders sweep may read the same table meanwhile, the sweep by id too (`select t0.*`).
      const exportRead =
        /from [`"]?invoice_payments_invoices[`"]?/i.test(q.sql) &&
        /[`"]?id[`"]? > /i.test(q.sql) &&
        /[`"]t0[`"]\.[`"]number[`"],/.test(q.sql);
      if (exportRead && /limit/i.test(q.sql)) reads.push(q.sql);
    };
    strapi.db.connection.on('query', listen);
    try {
      const rows = rowsOf((await download('/exports/invoices.csv')).body);
      const all = await strapi.db.query(INVOICE).findMany({ select: ['id', 'number'], orderBy: { id: 'asc' } });
      expect(rows.map((r) => r.Number)).toEqual(all.map((r: { number: string }) => r.number));
      // 8 invoices, 3 per read: reads of 3, 3 and 2 rows.
      expect(all).toHaveLength(8);
      expect(reads).toHaveLength(3);
    } finally {
      strapi.db.connection.off('query', listen);
      strapi.config.set('plugin::invoice-payments.export.pageSize', previous);
    }
  });
});
