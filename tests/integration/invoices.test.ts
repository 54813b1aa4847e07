import { bootStrapi, type TestStrapi } from '../support/strapi';
import { adminSession, type AdminSession } from '../support/admin';
import { INVOICE_UID, invoiceNumber } from '../support/invoices';

/** Invoices as admins create them in the Content Manager: computed money, unique numbers. */
let app: TestStrapi;
let admin: AdminSession;
const CM = `/content-manager/collection-types/${INVOICE_UID}`;

beforeAll(async () => {
  app = await bootStrapi();
  admin = await adminSession(app.strapi);
});
afterAll(async () => {
  await app?.close();
});

const createViaCM = (data: Record<string, unknown>) => app.http().post(CM).set(admin.auth).send(data);

describe('totals are computed in minor units of the invoice currency', () => {
  it('USD: several lines, fractional quantity, 8.25% tax', async () => {
    const res = await createViaCM({
      number: invoiceNumber(),
      currency: 'usd',
      lineItems: [
        { description: 'Design', quantity: 3, unitAmount: 45000 },
        { description: 'Hosting', quantity: '1.5', unitAmount: 1999 },
        { description: 'Domain', quantity: 1, unitAmount: 1250 },
      ],
      taxRateBps: 825,
      // Typed by hand: must be ignored.
      total: 1,
      balanceDue: 1,
      amountPaid: 999,
    });
    expect(res.status).toBe(201);
    const d = res.body.data;
    // 135000 + 2998.5→2999 + 1250 = 139249; tax 139249*0.0825 = 11488.04→11488
    expect(d.currency).toBe('USD');
    expect(d.subtotal).toBe(139249);
    expect(d.tax).toBe(11488);
    expect(d.total).toBe(150737);
    expect(d.amountPaid).toBe(0);
    expect(d.balanceDue).toBe(150737);
    expect(d.lineItems.map((l: { lineTotal: number }) => l.lineTotal)).toEqual([135000, 2999, 1250]);
  });

  it('JPY: no minor digits, 10% tax rounds half up to whole yen', async () => {
    const res = await createViaCM({
      number: invoiceNumber(),
      currency: 'JPY',
      lineItems: [
        { description: 'Lesson', quantity: 3, unitAmount: 3333 },
        { description: 'Book', quantity: 1, unitAmount: 1505 },
      ],
      taxRateBps: 1000,
    });
    expect(res.status).toBe(201);
    // 9999 + 1505 = 11504; tax 1150.4 → 1150; total 12654 yen
    expect(res.body.data).toMatchObject({ subtotal: 11504, tax: 1150, total: 12654, balanceDue: 12654 });
  });

  it('KWD: three decimals, every amount a multiple of 10 fils', async () => {
    const res = await createViaCM({
      number: invoiceNumber(),
      currency: 'KWD',
      lineItems: [
        { description: 'Audit', quantity: 2, unitAmount: 12500 },
        { description: 'Travel', quantity: '1.333', unitAmount: 7550 },
      ],
      taxRateBps: 500,
    });
    expect(res.status).toBe(201);
    // 25000 + 10064.15 → 10060 (step 10); subtotal 35060; tax 1753 → 1750; total 36810 (36.810 KWD)
    expect(res.body.data).toMatchObject({ subtotal: 35060, tax: 1750, total: 36810 });
    for (const v of [res.body.data.subtotal, res.body.data.tax, res.body.data.total]) expect(v % 10).toBe(0);
  });

  it('recomputes on update and ignores hand-typed balances', async () => {
    const created = await createViaCM({
      number: invoiceNumber(),
      currency: 'USD',
      lineItems: [{ description: 'A', quantity: 1, unitAmount: 1000 }],
    });
    const id = created.body.data.documentId;
    const res = await app
      .http()
      .put(`${CM}/${id}`)
      .set(admin.auth)
      .send({ lineItems: [{ description: 'A', quantity: 2, unitAmount: 1000 }], balanceDue: 5 });
    expect(res.status).toBe(200);
    expect(res.body.data).toMatchObject({ total: 2000, balanceDue: 2000 });
  });

  it.each([
    [{ lineItems: [] }, /at least one line item/i],
    [{ lineItems: [{ description: 'x', quantity: 1, unitAmount: 10.5 }] }, /unit/i],
    [{ lineItems: [{ description: 'x', quantity: 0, unitAmount: 100 }] }, /quantity/i],
    [{ currency: 'ABC', lineItems: [{ description: 'x', quantity: 1, unitAmount: 100 }] }, /currency/i],
    [{ state: 'paid', lineItems: [{ description: 'x', quantity: 1, unitAmount: 100 }] }, /./],
  ])('refuses %j with a 400 and stores nothing', async (data, message) => {
    const number = invoiceNumber();
    const res = await createViaCM({ number, currency: 'USD', ...data });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(message);
    expect(await app.strapi.db.query(INVOICE_UID).count({ where: { number } })).toBe(0);
  });
});

describe('invoice numbers are unique', () => {
  it('refuses a second invoice with the same number', async () => {
    const number = invoiceNumber();
    const line = [{ description: 'x', quantity: 1, unitAmount: 100 }];
    expect((await createViaCM({ number, lineItems: line })).status).toBe(201);
    const second = await createViaCM({ number, lineItems: line });
    expect(second.status).toBe(400);
    expect(await app.strapi.db.query(INVOICE_UID).count({ where: { number } })).toBe(1);
  });

  it('stores one of ten concurrent saves with the same number, and answers the rest 400', async () => {
    const number = invoiceNumber();
    const line = [{ description: 'x', quantity: 1, unitAmount: 100 }];
    const results = await Promise.all(Array.from({ length: 10 }, () => createViaCM({ number, lineItems: line })));
    const statuses = results.map((r) => r.status).sort();
    if (process.env.TEST_DEBUG) console.log(results.map((r) => [r.status, JSON.stringify(r.body).slice(0, 300)]));
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(9);
    expect(await app.strapi.db.query(INVOICE_UID).count({ where: { number } })).toBe(1);
  });

  it('is enforced by the database itself: raw concurrent inserts below Strapi keep one row', async () => {
    const number = invoiceNumber();
    const knex = app.strapi.db.connection;
    const row = (i: number) => ({
      document_id: `raw${i}${Date.now()}`,
      number,
      state: 'draft',
      currency: 'USD',
      line_items: '[]',
      pay_token: `tok-${number}-${i}`,
    });
    const results = await Promise.allSettled([0, 1, 2, 3].map((i) => knex('invoice_payments_invoices').insert(row(i))));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const [{ n }] = await knex('invoice_payments_invoices').where({ number }).count({ n: '*' });
    expect(Number(n)).toBe(1);
  });
});

describe('the pay-link token', () => {
  it('is generated on create and stripped from any content-API output (private attribute)', async () => {
    const res = await createViaCM({
      number: invoiceNumber(),
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 100 }],
    });
    const row = await app.strapi.db.query(INVOICE_UID).findOne({ where: { documentId: res.body.data.documentId } });
    expect(row.payToken).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const schema = app.strapi.getModel(INVOICE_UID);
    const sanitized = await app.strapi.contentAPI.sanitize.output(row, schema, { auth: undefined });
    expect(sanitized).not.toHaveProperty('payToken');
    expect(sanitized).toHaveProperty('number', row.number);
  });

  it('cannot be set or changed through the Content Manager', async () => {
    const res = await createViaCM({
      number: invoiceNumber(),
      payToken: 'chosen-by-hand',
      lineItems: [{ description: 'x', quantity: 1, unitAmount: 100 }],
    });
    const row = await app.strapi.db.query(INVOICE_UID).findOne({ where: { documentId: res.body.data.documentId } });
    expect(row.payToken).not.toBe('chosen-by-hand');
    await app.http().put(`${CM}/${row.documentId}`).set(admin.auth).send({ payToken: 'changed' });
    const after = await app.strapi.db.query(INVOICE_UID).findOne({ where: { documentId: row.documentId } });
    expect(after.payToken).toBe(row.payToken);
  });
});
