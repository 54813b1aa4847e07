import { adminSessionWithRole, type AdminSession } from '../support/admin';
import { bootPayments, INVOICE, PAYMENT, payableInvoice, type PaymentsEnv } from '../support/payments';

/**
 * Attacks on the Content Manager safety of issue 11 (independent review): pay-token oracles
 * through the Content Manager's search, filters and sort, and spoofing the guard's path check.
 */
let env: PaymentsEnv;
let root: AdminSession;
let editor: AdminSession;
let target: { documentId: string; token: string; number: string };

const CM = `/content-manager/collection-types/${INVOICE}`;

beforeAll(async () => {
  env = await bootPayments();
  root = env.admin;
  editor = await adminSessionWithRole(env.app.strapi, 'strapi-editor');
  const p = await payableInvoice(env);
  const row = await env.app.strapi.db.query(INVOICE).findOne({ where: { documentId: p.documentId } });
  target = { documentId: p.documentId, token: row.payToken, number: row.number };
}, 120_000);

afterAll(async () => {
  await env?.close();
});

const ids = (body: { results?: Array<{ documentId: string }> }) => (body.results ?? []).map((r) => r.documentId);

describe.each([
  ['Editor', () => editor],
  ['super admin', () => root],
])('pay token oracles as %s', (_who, who) => {
  it('the Content Manager search (_q) does not match on the pay token', async () => {
    // A piece of the secret token that no other field contains: if the invoice comes back, the
    // search is an oracle that spells out the token character by character.
    const piece = target.token.slice(4, 16);
    const res = await env.app.http().get(CM).query({ _q: piece, page: 1, pageSize: 10 }).set(who().auth);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain(target.token);
    expect(ids(res.body)).not.toContain(target.documentId);
  });

  it('a filter on the pay token is not applied (or refused)', async () => {
    const res = await env.app
      .http()
      .get(CM)
      .query(
        `filters[payToken][$startsWith]=${encodeURIComponent(target.token.slice(0, 10))}&filters[number][$eq]=${encodeURIComponent(target.number)}`,
      )
      .set(who().auth);
    expect(res.text).not.toContain(target.token);
    if (res.status === 200) {
      const wrong = await env.app
        .http()
        .get(CM)
        .query(`filters[payToken][$startsWith]=zzzzzzzzzz&filters[number][$eq]=${encodeURIComponent(target.number)}`)
        .set(who().auth);
      // The same answer for the right and a wrong prefix: the filter tells nothing.
      expect(ids(res.body)).toEqual(ids(wrong.body));
    } else {
      expect([400, 403]).toContain(res.status);
    }
  });

  it('sorting and field selection by the pay token reveal nothing', async () => {
    const sorted = await env.app
      .http()
      .get(CM)
      .query({ sort: 'payToken:asc', 'fields[0]': 'payToken' })
      .set(who().auth);
    expect(sorted.text).not.toContain(target.token);
    const one = await env.app
      .http()
      .get(`${CM}/${target.documentId}`)
      .query({ 'fields[0]': 'payToken', 'populate[payments]': '*' })
      .set(who().auth);
    expect(one.text).not.toContain(target.token);
    expect(one.body?.data?.payments).toBeUndefined();
  });
});

describe("the guard's trusted /invoice-payments/ path cannot be spoofed to reach the Content Manager", () => {
  const stateBefore = async () =>
    env.app.strapi.db
      .query(INVOICE)
      .findOne({ where: { documentId: target.documentId }, select: ['state', 'voidReason', 'total', 'sentAt'] });

  it.each([
    `/invoice-payments/../content-manager/collection-types/${INVOICE}/DOC`,
    `/invoice-payments/%2e%2e/content-manager/collection-types/${INVOICE}/DOC`,
    `/invoice-payments/..%2fcontent-manager/collection-types/${INVOICE}/DOC`,
    `/invoice-payments//../content-manager/collection-types/${INVOICE}/DOC`,
  ])('PUT %s changes nothing', async (path) => {
    const before = await stateBefore();
    const res = await env.app
      .http()
      .put(path.replace('DOC', target.documentId))
      .set(editor.auth)
      .send({ voidReason: 'spoofed', sentAt: '2020-01-01T00:00:00.000Z', state: 'void' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(await stateBefore()).toEqual(before);
  });

  it('an Editor (no plugin permission) on the plugin editor route is refused', async () => {
    const before = await stateBefore();
    const res = await env.app
      .http()
      .put(`/invoice-payments/invoices/${target.documentId}`)
      .set(editor.auth)
      .send({ state: 'void', voidReason: 'x' });
    expect(res.status).toBe(403);
    expect(await stateBefore()).toEqual(before);
  });
});

describe('voiding through the Content Manager (state: void) keeps the plugin Void rules', () => {
  it('refused while a payment is on its way (Stripe processing), as the plugin Void action refuses it', async () => {
    const inv = await payableInvoice(env);
    const row = await env.app.strapi.db.query(INVOICE).findOne({ where: { documentId: inv.documentId } });
    await env.app.strapi.db.query(PAYMENT).create({
      data: {
        invoice: row.id,
        kind: 'card',
        provider: 'stripe',
        status: 'processing',
        amount: row.total,
        currency: row.currency,
        providerPaymentId: 'pi_attack_processing',
      },
    });
    // The plugin's own Void action says no (money on its way)...
    const own = await env.app
      .http()
      .post(`/invoice-payments/invoices/${inv.documentId}/void`)
      .set(root.auth)
      .send({ reason: 'client cancelled' });
    expect(own.status).toBe(409);
    // ...the Content Manager, as an Editor with no plugin permission, must say no as well.
    const res = await env.app.http().put(`${CM}/${inv.documentId}`).set(editor.auth).send({ state: 'void' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    const after = await env.app.strapi.db
      .query(INVOICE)
      .findOne({ where: { documentId: inv.documentId }, select: ['state'] });
    expect(after.state).toBe('sent');
  });

  it('a void in the Content Manager is refused with where to do it, so every void has a reason and an audit entry', async () => {
    const inv = await payableInvoice(env);
    const res = await env.app.http().put(`${CM}/${inv.documentId}`).set(editor.auth).send({ state: 'void' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/More → Void invoice/);
    const after = await env.app.strapi.db
      .query(INVOICE)
      .findOne({ where: { documentId: inv.documentId }, select: ['state', 'voidedAt'] });
    expect(after).toMatchObject({ state: 'sent', voidedAt: null });
  });
});
