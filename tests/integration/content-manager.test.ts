import { adminSessionWithRole, type AdminSession } from '../support/admin';
import { invoiceNumber } from '../support/invoices';
import { waitForIdle } from '../support/idle';
import {
  bootPayments,
  eventually,
  INVOICE,
  PAYMENT,
  payableInvoice,
  payWith,
  readInvoice,
  type PaymentsEnv,
} from '../support/payments';

/**
 * Strapi's Content Manager on the plugin's types, as Strapi's default Editor and Author roles (no
 * plugin permission) and as a super admin: ledger links are never written there, money and
 * recorded fields never change, a clone carries nothing of the ledger, and no answer holds a pay token.
 */
let env: PaymentsEnv;
let root: AdminSession;
let editor: AdminSession;
let author: AdminSession;
/** Paid by card through the pay flow: its payment must stay its own. */
let paid: { documentId: string; token: string; paymentDocumentId: string };
/** Sent and unpaid: the invoice someone would move that payment to. */
let open: { documentId: string; token: string };

const CM = `/content-manager/collection-types/${INVOICE}`;
const CM_PAYMENT = `/content-manager/collection-types/${PAYMENT}`;
const MONEY = [
  'subtotal',
  'tax',
  'total',
  'amountPaid',
  'amountRefunded',
  'balanceDue',
  'needsAttention',
  'disputeOpen',
  'sentAt',
  'viewedAt',
  'paidAt',
  'voidReason',
  'voidedAt',
  'payToken',
];
const stateField = () => ('state' in env.app.strapi.getModel(INVOICE).attributes ? 'state' : 'status');

/** Every answer of this file, to search for pay tokens at the end. */
const answers: string[] = [];
const record = <T extends { text: string }>(res: T): T => {
  answers.push(res.text ?? '');
  return res;
};
const cm = {
  get: (path: string, who: AdminSession) => env.app.http().get(path).set(who.auth).then(record),
  post: (path: string, who: AdminSession, body: Record<string, unknown> = {}) =>
    env.app.http().post(path).set(who.auth).send(body).then(record),
  put: (path: string, who: AdminSession, body: Record<string, unknown>) =>
    env.app.http().put(path).set(who.auth).send(body).then(record),
};

const paymentOwner = async (paymentDocumentId: string) =>
  (
    (await env.app.strapi.db
      .query(PAYMENT)
      .findOne({ where: { documentId: paymentDocumentId }, populate: { invoice: { select: ['documentId'] } } })) as {
      invoice: { documentId: string } | null;
    }
  ).invoice?.documentId;

/** The money and recorded fields of an invoice, as stored. */
async function ledgerState(documentId: string) {
  const row = (await readInvoice(env, documentId)) as Record<string, unknown>;
  const picked = Object.fromEntries(
    [...MONEY, stateField()].map((k) => [k, row[k] instanceof Date ? (row[k] as Date).toISOString() : row[k]]),
  );
  const payments = await env.app.strapi.db
    .query(PAYMENT)
    .findMany({ where: { invoice: { documentId } }, select: ['documentId'] });
  return { ...picked, payments: payments.map((p: { documentId: string }) => p.documentId).sort() };
}

beforeAll(async () => {
  env = await bootPayments();
  root = env.admin;
  editor = await adminSessionWithRole(env.app.strapi, 'strapi-editor');
  author = await adminSessionWithRole(env.app.strapi, 'strapi-author');
  const p = await payableInvoice(env, { lineItems: [{ description: 'Audit', quantity: 1, unitAmount: 50000 }] });
  const intent = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${p.documentId}/payment-intent`)
    .send({ token: p.token });
  await payWith(env, intent.body.data.providerPaymentId, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, p.documentId),
    (i) => i[stateField()] === 'paid',
  );
  const [payment] = await env.app.strapi.db
    .query(PAYMENT)
    .findMany({ where: { invoice: { documentId: p.documentId } } });
  paid = { documentId: p.documentId, token: p.token, paymentDocumentId: payment.documentId };
  open = await payableInvoice(env);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
}, 120_000);

afterAll(async () => {
  await env?.close();
});

describe.each([
  ['Editor', () => editor],
  ['Author', () => author],
])('as %s (Strapi default role, no plugin permission)', (_role, who) => {
  let own: string;
  let before: { paid: unknown; open: unknown };

  beforeAll(async () => {
    before = { paid: await ledgerState(paid.documentId), open: await ledgerState(open.documentId) };
  });

  afterEach(async () => {
    // Whatever was tried, the card payment still belongs to the invoice it paid, and neither invoice moved.
    expect(await paymentOwner(paid.paymentDocumentId)).toBe(paid.documentId);
    expect(await ledgerState(paid.documentId)).toEqual(before.paid);
    expect(await ledgerState(open.documentId)).toEqual(before.open);
  });

  it('creating an invoice that connects a payment: refused or ignored, the new invoice has no payment', async () => {
    const res = await cm.post(CM, who(), {
      number: invoiceNumber('CM'),
      currency: 'USD',
      lineItems: [{ description: 'Work', quantity: 1, unitAmount: 1000 }],
      payments: { connect: [{ documentId: paid.paymentDocumentId }] },
      total: 1,
      amountPaid: 1000,
      balanceDue: 0,
      paidAt: '2026-01-01T00:00:00.000Z',
      sentAt: '2026-01-01T00:00:00.000Z',
      needsAttention: true,
      payToken: 'chosen-by-the-editor',
    });
    expect([201, 400, 403]).toContain(res.status);
    const created = await env.app.strapi.db
      .query(INVOICE)
      .findOne({ where: { number: res.body?.data?.number ?? '-' } });
    if (res.status === 201) {
      expect(created).toMatchObject({
        total: 1000,
        amountPaid: 0,
        balanceDue: 1000,
        needsAttention: false,
        paidAt: null,
        sentAt: null,
      });
      expect(created.payToken).not.toBe('chosen-by-the-editor');
      // Issued today when the form leaves the date empty.
      expect(String(created.issueDate)).toContain(new Date().toISOString().slice(0, 10));
      expect(await ledgerState(created.documentId)).toMatchObject({ payments: [] });
      own = created.documentId;
    } else {
      expect(res.body.error.message).toMatch(/Payments are linked to invoices only by Invoice payments/);
    }
  });

  it.each([
    ['connect', { connect: [{ documentId: 'PAYMENT' }] }],
    ['set', { set: [{ documentId: 'PAYMENT' }] }],
    ['a plain list', ['PAYMENT']],
  ])('updating an invoice with payments %s: nothing moves', async (_how, ops) => {
    const target = own ?? open.documentId;
    const body = JSON.parse(JSON.stringify({ payments: ops }).replace('PAYMENT', paid.paymentDocumentId));
    const res = await cm.put(`${CM}/${target}`, who(), body);
    expect([200, 400, 403]).toContain(res.status);
    expect(await ledgerState(target)).toMatchObject({ payments: [] });
  });

  it("disconnecting or emptying the paid invoice's payments: nothing moves", async () => {
    for (const payments of [{ disconnect: [{ documentId: paid.paymentDocumentId }] }, { set: [] }]) {
      const res = await cm.put(`${CM}/${paid.documentId}`, who(), { payments });
      expect([200, 400, 403]).toContain(res.status);
    }
  });

  it('money, recorded and secret fields sent in an update are not taken', async () => {
    const target = own ?? open.documentId;
    const was = await ledgerState(target);
    const res = await cm.put(`${CM}/${target}`, who(), {
      total: 1,
      subtotal: 1,
      tax: 1,
      amountPaid: 999999,
      amountRefunded: 5,
      balanceDue: 0,
      needsAttention: true,
      disputeOpen: true,
      sentAt: '2020-01-01T00:00:00.000Z',
      viewedAt: '2020-01-01T00:00:00.000Z',
      paidAt: '2020-01-01T00:00:00.000Z',
      voidReason: 'typed by hand',
      voidedAt: '2020-01-01T00:00:00.000Z',
      payToken: 'chosen-by-the-editor',
    });
    expect([200, 400, 403]).toContain(res.status);
    expect(await ledgerState(target)).toEqual(was);
  });

  it('a payment cannot be pointed at another invoice through the Content Manager', async () => {
    const res = await cm.put(`${CM_PAYMENT}/${paid.paymentDocumentId}`, who(), {
      invoice: { connect: [{ documentId: open.documentId }] },
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
  });

  it('the relations endpoints do not list payment ids', async () => {
    for (const path of [
      `/content-manager/relations/${INVOICE}/${paid.documentId}/payments`,
      `/content-manager/relations/${INVOICE}/payments`,
      `/content-manager/relations/${PAYMENT}/${paid.paymentDocumentId}/invoice`,
      `/content-manager/relations/${PAYMENT}/invoice`,
    ]) {
      const res = await cm.get(path, who());
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.text).not.toContain(paid.paymentDocumentId);
    }
  });

  it("the paid invoice's payments are not in a Content Manager read", async () => {
    const res = await cm.get(`${CM}/${paid.documentId}`, who());
    expect(res.text).not.toContain(paid.paymentDocumentId);
  });
});

describe('cloning ("Duplicate") a paid invoice', () => {
  it('an Editor gets a new draft with no payments, no amounts paid and a new pay token; the original keeps its payment', async () => {
    const was = await ledgerState(paid.documentId);
    const res = await cm.post(`${CM}/clone/${paid.documentId}`, editor, {
      number: invoiceNumber('COPY'),
      payments: { connect: [{ documentId: paid.paymentDocumentId }] },
    });
    expect(res.status).toBe(200);
    const copy = await readInvoice(env, res.body.data.documentId);
    expect(copy).toMatchObject({
      [stateField()]: 'draft',
      total: 50000,
      amountPaid: 0,
      amountRefunded: 0,
      balanceDue: 50000,
      paidAt: null,
      sentAt: null,
      viewedAt: null,
      needsAttention: false,
    });
    expect(copy.payToken).toEqual(expect.any(String));
    expect(copy.payToken).not.toBe(paid.token);
    expect(await ledgerState(copy.documentId)).toMatchObject({ payments: [] });
    expect(await ledgerState(paid.documentId)).toEqual(was);
    expect(await paymentOwner(paid.paymentDocumentId)).toBe(paid.documentId);
  });

  it('an Author cannot clone an invoice it cannot read', async () => {
    const res = await cm.post(`${CM}/clone/${paid.documentId}`, author, { number: invoiceNumber('COPY') });
    expect(res.status).toBe(403);
    expect(res.text).not.toContain('Audit');
    expect(
      await env.app.strapi.db
        .query(INVOICE)
        .count({ where: { number: { $startsWith: 'COPY' }, createdBy: { email: author.email } } }),
    ).toBe(0);
  });
});

describe('as a super admin', () => {
  it('payment links sent through the Content Manager are refused or ignored', async () => {
    const was = { paid: await ledgerState(paid.documentId), open: await ledgerState(open.documentId) };
    const put = await cm.put(`${CM}/${open.documentId}`, root, {
      payments: { connect: [{ documentId: paid.paymentDocumentId }] },
    });
    expect([200, 400, 403]).toContain(put.status);
    const pay = await cm.put(`${CM_PAYMENT}/${paid.paymentDocumentId}`, root, { invoice: open.documentId });
    expect(pay.status).toBe(403);
    const del = await env.app.http().delete(`${CM_PAYMENT}/${paid.paymentDocumentId}`).set(root.auth).then(record);
    expect(del.status).toBe(403);
    expect(await ledgerState(paid.documentId)).toEqual(was.paid);
    expect(await ledgerState(open.documentId)).toEqual(was.open);
  });

  it('a total below what was paid is refused, and nothing changes', async () => {
    const was = await ledgerState(paid.documentId);
    const res = await cm.put(`${CM}/${paid.documentId}`, root, {
      lineItems: [{ description: 'Audit', quantity: 1, unitAmount: 100 }],
    });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/below what has already been paid/);
    expect(await ledgerState(paid.documentId)).toEqual(was);
  });

  it('can still edit the invoice fields people type', async () => {
    const res = await cm.put(`${CM}/${open.documentId}`, root, {
      notes: 'Thanks!',
      lineItems: [{ description: 'Consulting', quantity: 2, unitAmount: 182750 }],
    });
    expect(res.status).toBe(200);
    expect(await readInvoice(env, open.documentId)).toMatchObject({
      notes: 'Thanks!',
      total: 365500,
      balanceDue: 365500,
    });
  });

  it('the edit view shows words, hides internal fields and makes computed ones read-only', async () => {
    const res = await cm.get(`/content-manager/content-types/${INVOICE}/configuration`, root);
    expect(res.status).toBe(200);
    const { metadatas, layouts } = res.body.data.contentType;
    const editFields = (layouts.edit as Array<Array<{ name: string }>>).flat().map((f) => f.name);
    for (const hidden of [
      'payToken',
      'attemptLockToken',
      'attemptLockUntil',
      'payments',
      'total',
      'amountPaid',
      'balanceDue',
    ])
      expect(editFields).not.toContain(hidden);
    expect(editFields).toEqual(
      expect.arrayContaining(['number', 'currency', 'lineItems', 'issueDate', 'dueDate', 'billingEmail']),
    );
    expect(metadatas.number.edit.label).toBe('Invoice number');
    expect(metadatas.sentAt.edit.editable).toBe(false);
    expect(metadatas.total.edit.editable).toBe(false);
    expect(layouts.list).toEqual(expect.arrayContaining(['number', 'billingName']));
  });

  it('no Content Manager answer holds a pay token: find, findOne, create, update, clone, relations', async () => {
    await cm.get(`${CM}?page=1&pageSize=100`, root);
    await cm.get(`${CM}/${paid.documentId}`, root);
    await cm.get(`${CM}/${open.documentId}`, root);
    await cm.get(`${CM_PAYMENT}/${paid.paymentDocumentId}?populate=*`, root);
    await cm.get(`${CM_PAYMENT}?page=1&pageSize=100`, root);
    await cm.get(`/content-manager/relations/${INVOICE}/${paid.documentId}/payments`, root);
    await cm.get(`/content-manager/relations/${PAYMENT}/${paid.paymentDocumentId}/invoice`, root);
    await cm.get(`/content-manager/relations/${PAYMENT}/invoice`, root);
    await cm.get(`/content-manager/relations/${INVOICE}/${paid.documentId}/customer`, root);
    const created = await cm.post(CM, root, {
      number: invoiceNumber('CMT'),
      currency: 'USD',
      lineItems: [{ description: 'Work', quantity: 1, unitAmount: 1000 }],
    });
    expect(created.status).toBe(201);
    await cm.put(`${CM}/${created.body.data.documentId}`, root, { notes: 'updated' });
    const clone = await cm.post(`${CM}/clone/${paid.documentId}`, root, { number: invoiceNumber('CMC') });
    expect(clone.status).toBe(200);
    const tokens = (
      (await env.app.strapi.db.query(INVOICE).findMany({ select: ['payToken'] })) as Array<{ payToken: string }>
    ).map((r) => r.payToken);
    expect(tokens.length).toBeGreaterThan(3);
    expect(answers.length).toBeGreaterThan(20);
    for (const text of answers) {
      expect(text).not.toMatch(/payToken|attemptLock/);
      for (const token of tokens) expect(text).not.toContain(token);
    }
  });
});
