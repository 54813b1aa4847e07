import {
  bootPayments,
  eventually,
  payableInvoice,
  payWith,
  readInvoice,
  INVOICE,
  PAYMENT,
  type PaymentsEnv,
} from '../support/payments';
import { adminSession } from '../support/admin';
import { editorApi, editorForm } from '../support/editor';

/**
 * The plugin's invoice editor (Invoices → Create / Edit) and invoice actions, through the admin
 * API the screens use: money typed in major units, stored in minor units; the same rules as the
 * form; Mark as sent, Void with a reason, Duplicate, Copy pay link, each audited.
 */
let env: PaymentsEnv;
const AUDIT = 'plugin::invoice-payments.audit-entry';

beforeAll(async () => {
  env = await bootPayments();
});
afterAll(async () => {
  await env?.close();
});

const api = editorApi(() => env);
const form = editorForm('ED', {
  lines: [
    { description: 'Design', quantity: '3', unitPrice: '450.00' },
    { description: 'Hosting', quantity: '1,5', unitPrice: '19.99' },
    { description: 'Domain', quantity: '1', unitPrice: '1,250.00' },
  ],
  taxRate: '8.25',
  discount: '10',
  notes: 'Thank you',
});
const auditOf = (documentId: string, action: string) =>
  env.app.strapi.db.query(AUDIT).findMany({ where: { invoiceDocumentId: documentId, action } });
const countInvoices = () => env.app.strapi.db.query(INVOICE).count({});

describe('the editor form', () => {
  it('starts with the next number, today, the due date from the payment term and the default currency', async () => {
    const res = await api('get', '/invoice-form');
    expect(res.status).toBe(200);
    const { values, paymentTermDays, currencies } = res.body.data;
    const today = new Date().toISOString().slice(0, 10);
    expect(values.issueDate).toBe(today);
    expect(paymentTermDays).toBe(14);
    expect(new Date(`${values.dueDate}T00:00:00Z`).getTime() - new Date(`${today}T00:00:00Z`).getTime()).toBe(
      14 * 86_400_000,
    );
    expect(values.currency).toBe('USD');
    expect(currencies).toEqual(
      expect.arrayContaining([
        { code: 'JPY', exponent: 0 },
        { code: 'KWD', exponent: 3 },
      ]),
    );
  });

  it('creates a USD invoice from major units: totals in cents, a draft with a pay token, audited', async () => {
    const res = await api('post', '/invoices', form());
    expect([res.status, res.body.error?.message]).toEqual([201, undefined]);
    const row = await readInvoice(env, res.body.data.documentId);
    // 3 × 450.00 + 1.5 × 19.99 (29.985 → 29.99) + 1,250.00 = 2,629.99; − 10.00 = 2,619.99; tax 8.25 % = 216.15
    expect(row).toMatchObject({
      state: 'draft',
      currency: 'USD',
      subtotal: 262999,
      discountAmount: 1000,
      taxRateBps: 825,
      tax: 21615,
      total: 283614,
      balanceDue: 283614,
    });
    expect(row.lineItems.map((l: { unitAmount: number }) => l.unitAmount)).toEqual([45000, 1999, 125000]);
    expect(row.payToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await auditOf(res.body.data.documentId, 'invoice.created')).toHaveLength(1);
  });

  it('JPY has no decimals: "1,500" yen is 1500, "1500.5" is refused on the field', async () => {
    const ok = await api(
      'post',
      '/invoices',
      form({
        currency: 'JPY',
        lines: [{ description: 'Tea', quantity: '2', unitPrice: '1,500' }],
        taxRate: '10',
        discount: '',
      }),
    );
    expect(ok.status).toBe(201);
    expect(await readInvoice(env, ok.body.data.documentId)).toMatchObject({ subtotal: 3000, tax: 300, total: 3300 });
    const bad = await api(
      'post',
      '/invoices',
      form({ currency: 'JPY', lines: [{ description: 'Tea', quantity: '1', unitPrice: '1500.5' }] }),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.errors).toEqual([
      { path: ['lines', '0', 'unitPrice'], message: 'JPY amounts have no decimals.' },
    ]);
  });

  it.each([
    ['no lines', { lines: [] }, ['lines'], /at least one line/],
    [
      'a negative quantity',
      { lines: [{ description: 'x', quantity: '-1', unitPrice: '10' }] },
      ['lines', '0', 'quantity'],
      /above zero/,
    ],
    [
      'a negative price',
      { lines: [{ description: 'x', quantity: '1', unitPrice: '-10' }] },
      ['lines', '0', 'unitPrice'],
      /negative/,
    ],
    ['an unknown currency', { currency: 'ABC' }, ['currency'], /Choose a currency/],
    ['a due date before the issue date', { dueDate: '2026-11-01' }, ['dueDate'], /before the issue date/],
    [
      'a total over Stripe’s 8-digit cap',
      { lines: [{ description: 'x', quantity: '2', unitPrice: '600,000.00' }], discount: '' },
      ['lines'],
      /cannot be more than \$999,999\.99/,
    ],
    ['no client', { billingName: '', customer: null }, ['billingName'], /Choose a client/],
    ['a bad email', { billingEmail: 'not-an-email' }, ['billingEmail'], /not an email/],
    [
      'a discount above the subtotal',
      { lines: [{ description: 'x', quantity: '1', unitPrice: '5' }], discount: '6' },
      ['discount'],
      /larger than the subtotal/,
    ],
    ['an unknown client id', { customer: 999999 }, ['customer'], /no longer exists/],
  ])('refuses %s with a message on the field, and saves nothing', async (_what, over, path, message) => {
    const before = await countInvoices();
    const res = await api('post', '/invoices', form(over));
    expect(res.status).toBe(400);
    const problem = (res.body.error.details.errors as Array<{ path: string[]; message: string }>).find(
      (p) => p.path.join('.') === path.join('.'),
    );
    expect(problem?.message).toMatch(message);
    expect(await countInvoices()).toBe(before);
  });

  it('a role without the edit permission gets 403 and nothing is created', async () => {
    const reader = await adminSession(env.app.strapi, ['plugin::invoice-payments.payments.read']);
    const before = await countInvoices();
    expect((await api('post', '/invoices', form(), reader.auth)).status).toBe(403);
    expect((await api('get', '/invoice-form', undefined, reader.auth)).status).toBe(403);
    expect(await countInvoices()).toBe(before);
  });
});

describe('editing', () => {
  it('round-trips an invoice through the form and saves an edit', async () => {
    const created = await api(
      'post',
      '/invoices',
      form({
        currency: 'KWD',
        lines: [{ description: 'Survey', quantity: '1', unitPrice: '12.340' }],
        taxRate: '',
        discount: '',
      }),
    );
    const id = created.body.data.documentId as string;
    const loaded = await api('get', `/invoice-form/${id}`);
    expect(loaded.body.data.values.lines).toEqual([{ description: 'Survey', quantity: '1', unitPrice: '12.340' }]);
    const saved = await api('put', `/invoices/${id}`, {
      ...loaded.body.data.values,
      lines: [{ description: 'Survey', quantity: '2', unitPrice: '12.340' }],
    });
    expect([saved.status, saved.body.error?.message]).toEqual([200, undefined]);
    expect(await readInvoice(env, id)).toMatchObject({ total: 24680, currency: 'KWD' });
    expect(await auditOf(id, 'invoice.updated')).toHaveLength(1);
  });

  it('with payments: the currency is locked and the total cannot go below what was paid', async () => {
    const inv = await payableInvoice(env, { lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }] });
    await api('post', `/invoices/${inv.documentId}/manual-payments`, { amount: 6000, method: 'wire' });
    const loaded = (await api('get', `/invoice-form/${inv.documentId}`)).body.data;
    expect(loaded.limits).toMatchObject({ currencyLocked: true, minimumTotal: 6000, minimumTotalFormatted: '$60.00' });
    const lower = await api('put', `/invoices/${inv.documentId}`, {
      ...loaded.values,
      lines: [{ description: 'x', quantity: '1', unitPrice: '50' }],
    });
    expect(lower.status).toBe(400);
    expect(lower.body.error.message).toMatch(/below what has already been paid/);
    const euro = await api('put', `/invoices/${inv.documentId}`, { ...loaded.values, currency: 'EUR' });
    expect(euro.status).toBe(400);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ total: 10000, currency: 'USD', amountPaid: 6000 });
    const higher = await api('put', `/invoices/${inv.documentId}`, {
      ...loaded.values,
      lines: [{ description: 'x', quantity: '1', unitPrice: '120' }],
    });
    expect(higher.status).toBe(200);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({
      total: 12000,
      balanceDue: 6000,
      state: 'partially_paid',
    });
  });
});

describe('actions', () => {
  it('Mark as sent: a draft becomes sent without an email; anything else is refused', async () => {
    const created = await api('post', '/invoices', form());
    const id = created.body.data.documentId as string;
    const res = await api('post', `/invoices/${id}/mark-sent`, {});
    expect(res.status).toBe(200);
    expect(await readInvoice(env, id)).toMatchObject({ state: 'sent' });
    expect((await readInvoice(env, id)).sentAt).toBeTruthy();
    expect(await auditOf(id, 'invoice.marked_sent')).toHaveLength(1);
    expect((await api('post', `/invoices/${id}/mark-sent`, {})).status).toBe(409);
  });

  it('Void: needs a reason, ends the open card attempt, and stops the pay link', async () => {
    const inv = await payableInvoice(env);
    const intent = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect(intent.status).toBe(200);
    expect((await api('post', `/invoices/${inv.documentId}/void`, {})).status).toBe(400);
    const res = await api('post', `/invoices/${inv.documentId}/void`, { reason: 'Sent to the wrong client' });
    expect([res.status, res.body.error?.message]).toEqual([200, undefined]);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({
      state: 'void',
      voidReason: 'Sent to the wrong client',
    });
    // The client can no longer pay what was open: Stripe reports the intent canceled.
    expect((await env.stripe.paymentIntents.retrieve(intent.body.data.providerPaymentId)).status).toBe('canceled');
    await expect(payWith(env, intent.body.data.providerPaymentId, 'pm_card_visa')).rejects.toThrow(/canceled/);
    const again = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect(again.status).toBe(409);
    const [entry] = await auditOf(inv.documentId, 'invoice.voided');
    expect(entry.details).toMatchObject({ reason: 'Sent to the wrong client' });
    expect((await api('put', `/invoices/${inv.documentId}`, form())).status).toBe(409);
  });

  it('Void is refused while money is held, with what to do; nothing changes', async () => {
    const inv = await payableInvoice(env, { lineItems: [{ description: 'x', quantity: 1, unitAmount: 10000 }] });
    const intent = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    await payWith(env, intent.body.data.providerPaymentId, 'pm_card_visa');
    await eventually(
      () => readInvoice(env, inv.documentId),
      (i) => i.state === 'paid',
    );
    const res = await api('post', `/invoices/${inv.documentId}/void`, { reason: 'Client cancelled' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toBe(
      '$100.00 has been paid on this invoice. Refund it from the payment history first, then void the invoice.',
    );
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid' });
    expect(await auditOf(inv.documentId, 'invoice.voided')).toHaveLength(0);
  });

  it('Void is refused while a bank transfer or voucher may still be paid', async () => {
    // OXXO vouchers are MXN only (https://docs.stripe.com/payments/oxxo).
    const inv = await payableInvoice(env, {
      currency: 'MXN',
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 100000 }],
    });
    const intent = await env.app
      .http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    await payWith(env, intent.body.data.providerPaymentId, 'pm_oxxo');
    await eventually(
      () =>
        env.app.strapi.db.query(PAYMENT).findOne({ where: { providerPaymentId: intent.body.data.providerPaymentId } }),
      (p) => p?.status === 'requires_action',
    );
    const res = await api('post', `/invoices/${inv.documentId}/void`, { reason: 'Client cancelled' });
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/still on its way/);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'sent' });
  });

  it('Duplicate: a new draft with the same lines and client, a new number and pay token, no payments', async () => {
    const inv = await payableInvoice(env, { lineItems: [{ description: 'Retainer', quantity: 1, unitAmount: 10000 }] });
    await api('post', `/invoices/${inv.documentId}/manual-payments`, { method: 'wire' });
    const res = await api('post', `/invoices/${inv.documentId}/duplicate`, {});
    expect(res.status).toBe(201);
    const copy = await readInvoice(env, res.body.data.documentId);
    const original = await readInvoice(env, inv.documentId);
    expect(copy).toMatchObject({
      state: 'draft',
      total: 10000,
      amountPaid: 0,
      balanceDue: 10000,
      billingName: original.billingName,
      currency: 'USD',
    });
    expect(copy.number).not.toBe(original.number);
    expect(copy.payToken).not.toBe(original.payToken);
    expect(await env.app.strapi.db.query(PAYMENT).count({ where: { invoice: { documentId: copy.documentId } } })).toBe(
      0,
    );
    expect(await env.app.strapi.db.query(PAYMENT).count({ where: { invoice: { documentId: inv.documentId } } })).toBe(
      1,
    );
    expect(await auditOf(copy.documentId, 'invoice.duplicated')).toHaveLength(1);
  });

  it('Copy pay link is audited; the detail never carries the lease or the bare token', async () => {
    const inv = await payableInvoice(env);
    expect((await api('post', `/invoices/${inv.documentId}/pay-link/copied`, {})).status).toBe(200);
    expect(await auditOf(inv.documentId, 'invoice.link_copied')).toHaveLength(1);
    const detail = await api('get', `/invoices/${inv.documentId}`);
    expect(detail.body.data.invoice).not.toHaveProperty('payToken');
    expect(detail.body.data.invoice).not.toHaveProperty('attemptLockToken');
  });

  it('clients: users-permissions users found by email', async () => {
    const user = await env.app.strapi.db.query('plugin::users-permissions.user').create({
      data: {
        username: `client${Date.now()}`,
        email: `findme${Date.now()}@example.test`,
        provider: 'local',
        confirmed: true,
      },
    });
    const res = await api('get', `/clients?q=findme`);
    expect(res.status).toBe(200);
    expect(res.body.results).toEqual(
      expect.arrayContaining([{ id: user.id, email: user.email, username: user.username }]),
    );
    const created = await api('post', '/invoices', form({ customer: user.id, billingName: '' }));
    expect(created.status).toBe(201);
    const loaded = await api('get', `/invoice-form/${created.body.data.documentId}`);
    expect(loaded.body.data.values.customer).toBe(user.id);
    expect(loaded.body.data.client).toMatchObject({ id: user.id, email: user.email });
  });
});
