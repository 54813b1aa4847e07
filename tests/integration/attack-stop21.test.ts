import { bootPayments, payableInvoice, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';
import { autopayHelpers } from '../support/autopay';

/**
 * Attacks on stop 21: save-method only for payments made on the client's own page, the sweep
 * ending abandoned portal payments, same-requestKey retries. Passing tests are regression tests
 * (the defence held); a failing one is a hole, described in its name and comment.
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
const {
  clientUser,
  invoiceOf,
  portalPay,
  sharesOf,
  jwt: portalJwt,
  endAbandoned,
  cancels,
  sweepWithStepBeforeCancel,
} = portalHelpers(() => env, 'Atk21', 2032);
const { http, jwt } = autopayHelpers(() => env);

const piUpdates = () => env.standin.control.requestLog('POST /v1/payment_intents/:id').length;
const customerCreates = () => env.standin.control.requestLog('POST /v1/customers').length;
const group = (documentId: string) => env.app.strapi.db.query(GROUP).findOne({ where: { documentId } });
const age = (documentId: string, minutes: number, data: Record<string, unknown> = {}) =>
  env.app.strapi.db
    .query(GROUP)
    .updateMany({ where: { documentId }, data: { ...data, updatedAt: new Date(Date.now() - minutes * 60_000) } });

const intentAsClient = (documentId: string, userId: number) =>
  http().post(`/api/invoice-payments/invoices/${documentId}/payment-intent`).set('Authorization', jwt(userId)).send({});
const saveAs = (documentId: string, userId: number | null, body: Record<string, unknown>) => {
  const req = http().post(`/api/invoice-payments/invoices/${documentId}/save-method`);
  if (userId !== null) req.set('Authorization', jwt(userId));
  return req.send(body);
};

beforeAll(async () => {
  env = await bootPayments({
    settings: {
      reminders: { enabled: false, beforeDays: [3], onDueDate: true, afterDays: [7], timeZone: 'UTC', sendHour: 9 },
      autopay: { enabled: true, retryDays: [1, 3, 7], chargeHour: 9 },
    },
  });
}, 120_000);
afterAll(async () => {
  await env?.close();
});

describe('save-method refuses what is not the logged-in client own-page payment', () => {
  it('a group (portal multi-invoice) payment id: refused on every invoice it covers, nothing changed', async () => {
    const owner = await clientUser('s21grp');
    const x = await invoiceOf(owner.id, 1100);
    const y = await invoiceOf(owner.id, 900);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const [u0, c0] = [piUpdates(), customerCreates()];
    for (const inv of [x, y]) {
      const r = await saveAs(inv, owner.id, { providerPaymentId: piId, save: true });
      expect([404, 409]).toContain(r.status);
    }
    expect(piUpdates()).toBe(u0);
    expect(customerCreates()).toBe(c0);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    expect(pi.setup_future_usage ?? null).toBeNull();
  });

  it('forged id, another invoice payment id, unauthenticated, another client, blocked user: refused, nothing changed', async () => {
    const a = await clientUser('s21a');
    const b = await clientUser('s21b');
    const inv = await payableInvoice(env, { customer: a.id });
    const other = await payableInvoice(env, { customer: a.id });
    const mine = await intentAsClient(inv.documentId, a.id);
    expect(mine.status).toBe(200);
    const pid = mine.body.data.providerPaymentId as string;
    const otherPi = await intentAsClient(other.documentId, a.id);
    const [u0, c0] = [piUpdates(), customerCreates()];

    // Forged id (not ours at all) and a real id of another invoice.
    expect((await saveAs(inv.documentId, a.id, { providerPaymentId: 'pi_forged123', save: true })).status).toBe(404);
    const cross = await saveAs(inv.documentId, a.id, {
      providerPaymentId: otherPi.body.data.providerPaymentId as string,
      save: true,
    });
    expect(cross.status).toBe(404);
    // The pay link holder (no login) on the client's own-page payment.
    const byLink = await saveAs(inv.documentId, null, { providerPaymentId: pid, save: true, token: inv.token });
    expect(byLink.status).toBe(403);
    // Another logged-in client: the invoice is not theirs.
    expect((await saveAs(inv.documentId, b.id, { providerPaymentId: pid, save: true })).status).toBe(404);
    // Another logged-in client holding the pay link.
    const bLink = await saveAs(inv.documentId, b.id, { providerPaymentId: pid, save: true, token: inv.token });
    expect(bLink.status).toBe(403);
    // The owner, blocked meanwhile.
    await env.app.strapi.db
      .query('plugin::users-permissions.user')
      .update({ where: { id: a.id }, data: { blocked: true } });
    try {
      const blocked = await saveAs(inv.documentId, a.id, { providerPaymentId: pid, save: true });
      expect([401, 403, 404]).toContain(blocked.status);
    } finally {
      await env.app.strapi.db
        .query('plugin::users-permissions.user')
        .update({ where: { id: a.id }, data: { blocked: false } });
    }
    expect(piUpdates()).toBe(u0);
    expect(customerCreates()).toBe(c0);
    expect((await env.stripe.paymentIntents.retrieve(pid)).setup_future_usage ?? null).toBeNull();
  });

  it('replay after a paid save: refused (PaymentStarted), nothing changed', async () => {
    const a = await clientUser('s21replay');
    const inv = await payableInvoice(env, { customer: a.id });
    const mine = await intentAsClient(inv.documentId, a.id);
    const pid = mine.body.data.providerPaymentId as string;
    expect((await saveAs(inv.documentId, a.id, { providerPaymentId: pid, save: true })).status).toBe(200);
    await payWith(env, pid, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const [u0, c0] = [piUpdates(), customerCreates()];
    const again = await saveAs(inv.documentId, a.id, { providerPaymentId: pid, save: false });
    expect(again.status).toBe(409);
    expect(piUpdates()).toBe(u0);
    expect(customerCreates()).toBe(c0);
  });

  /**
   * forClient is a bare flag ("made on the page of a logged-in client"), not WHICH client. An invoice
   * reassigned (admin changes its customer) after client A opened the drawer on their own page
   * keeps A's open PaymentIntent; B, now the invoice's customer, may tick "save" on A's payment:
   * the card A types in is then saved to B's Stripe customer and charged by B's autopay.
   */
  it('a payment opened by client A on their own page cannot be saved to client B after the invoice moves to B', async () => {
    const a = await clientUser('s21movea');
    const b = await clientUser('s21moveb');
    const inv = await payableInvoice(env, { customer: a.id });
    const mine = await intentAsClient(inv.documentId, a.id);
    expect(mine.status).toBe(200);
    const pid = mine.body.data.providerPaymentId as string;
    await env.app.strapi.db
      .query('plugin::invoice-payments.invoice')
      .update({ where: { documentId: inv.documentId }, data: { customer: b.id } });
    const [u0, c0] = [piUpdates(), customerCreates()];
    const res = await saveAs(inv.documentId, b.id, { providerPaymentId: pid, save: true });
    expect(res.status).toBe(409);
    expect(piUpdates()).toBe(u0);
    expect(customerCreates()).toBe(c0);
    expect((await env.stripe.paymentIntents.retrieve(pid)).customer ?? null).toBeNull();
  });
  /**
   * Same root cause: after the invoice moves from A to B, B's drawer on their own page is handed A's
   * still-open own-page PaymentIntent (same clientSecret): planAttempts reuses any forClient payment,
   * whoever's page made it. With the save above, the card A then types in A's open drawer is saved
   * to B's Stripe customer as B's default (reproduced: B's saved methods list A's mastercard 4444,
   * A's list is empty), and B's autopay charges A's card on B's next due date.
   */
  it("after the invoice moves from A to B, B is never handed A's open own-page payment", async () => {
    const a = await clientUser('s21handa');
    const b = await clientUser('s21handb');
    const inv = await payableInvoice(env, { customer: a.id });
    const mine = await intentAsClient(inv.documentId, a.id);
    expect(mine.status).toBe(200);
    await env.app.strapi.db
      .query('plugin::invoice-payments.invoice')
      .update({ where: { documentId: inv.documentId }, data: { customer: b.id } });
    const theirs = await intentAsClient(inv.documentId, b.id);
    expect(theirs.status).toBe(200);
    expect(theirs.body.data.clientSecret).not.toBe(mine.body.data.clientSecret);
    expect(theirs.body.data.providerPaymentId).not.toBe(mine.body.data.providerPaymentId);
  });
});

describe('the abandoned-group sweep never loses money', () => {
  it('a group paid (webhook lost) swept twice concurrently while the client confirms: booked once, never canceled', async () => {
    const owner = await clientUser('s21race');
    const x = await invoiceOf(owner.id, 1300);
    const y = await invoiceOf(owner.id, 700);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    env.standin.control.setWebhook({ enabled: false });
    try {
      await payWith(env, piId, 'pm_card_visa');
    } finally {
      env.standin.control.setWebhook({ enabled: true });
    }
    await age(groupId, 30);
    const confirm = env.app
      .http()
      .post(`/api/invoice-payments/portal/payments/${groupId}/confirm`)
      .set(portalJwt(owner.id))
      .send({});
    const [, , c] = await Promise.all([endAbandoned(), endAbandoned(), confirm]);
    expect(c.status).toBeLessThan(500);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('succeeded');
    expect((await group(groupId)).status).toBe('succeeded');
    const shares = await sharesOf(groupId);
    expect(shares.map((s: { status: string }) => s.status).sort()).toEqual(['succeeded', 'succeeded']);
    for (const inv of [x, y]) expect((await readInvoice(env, inv)).state).toBe('paid');
  });

  it('a group in 3-D Secure is left by concurrent sweeps; once ended, its invoices are payable again exactly once', async () => {
    const owner = await clientUser('s21tds');
    const x = await invoiceOf(owner.id, 1500);
    const res = await portalPay(owner.id, { invoices: [x] });
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await payWith(env, piId, 'pm_card_authenticationRequired');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    // Stale stored status (its webhook late): still a candidate, Stripe's answer must keep it.
    await age(groupId, 30, { status: 'pending' });
    await Promise.all([endAbandoned(), endAbandoned()]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    // Still reserved: a second portal payment of the same invoice is refused.
    expect((await portalPay(owner.id, { invoices: [x] })).status).toBe(409);
  });
});

describe('the sweep racing the client confirming at Stripe (between its read and its cancel)', () => {
  it('paid by card in that instant: never canceled, booked once, invoices paid', async () => {
    const owner = await clientUser('s21hang');
    const x = await invoiceOf(owner.id, 1400);
    const y = await invoiceOf(owner.id, 600);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await age(groupId, 30);
    const { ended, result: confirmed } = await sweepWithStepBeforeCancel(piId, () =>
      payWith(env, piId, 'pm_card_visa'),
    );
    expect((confirmed as { status: string }).status).toBe('succeeded');
    expect(ended).toBe(0);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('succeeded');
    expect((await group(groupId)).status).toBe('succeeded');
    for (const inv of [x, y]) expect((await readInvoice(env, inv)).state).toBe('paid');
    // Filtered here, not in SQL: `details` is JSON (jsonb on PostgreSQL, where LIKE does not apply).
    const abandoned = (await env.app.strapi.db
      .query('plugin::invoice-payments.audit-entry')
      .findMany({ where: { action: 'payment_group.abandoned' } })) as Array<{ details: { paymentGroup?: string } }>;
    expect(abandoned.filter((a) => a.details?.paymentGroup === groupId)).toHaveLength(0);
  });

  it('3-D Secure started in that instant: whatever Stripe does, the group and Stripe agree', async () => {
    const owner = await clientUser('s21hang3ds');
    const x = await invoiceOf(owner.id, 1600);
    const res = await portalPay(owner.id, { invoices: [x] });
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await age(groupId, 30);
    const { result: confirmed } = await sweepWithStepBeforeCancel(piId, () =>
      payWith(env, piId, 'pm_card_authenticationRequired'),
    );
    expect((confirmed as { status: string }).status).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    const g = await group(groupId);
    if (pi.status === 'canceled') {
      // Stripe lets a requires_action payment be canceled: the group is closed with it, the invoice free.
      expect(g.status).toBe('canceled');
      expect((await portalPay(owner.id, { invoices: [x] })).status).toBe(201);
    } else {
      expect(pi.status).toBe('requires_action');
      expect(g.status).not.toBe('canceled');
    }
  });
});

describe('same-requestKey retries', () => {
  it('concurrent retries with one key: one payable PaymentIntent for the invoices', async () => {
    const owner = await clientUser('s21key');
    const x = await invoiceOf(owner.id, 2100);
    const y = await invoiceOf(owner.id, 400);
    const body = { invoices: [x, y], requestKey: 'atk21-concurrent-key' };
    const answers = await Promise.all([
      portalPay(owner.id, body),
      portalPay(owner.id, body),
      portalPay(owner.id, body),
    ]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const ok = answers.filter((r) => r.status < 300);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const ids = new Set(ok.map((r) => r.body.data.providerPaymentId as string));
    expect(ids.size).toBe(1);
    const shares = await env.app.strapi.db
      .query('plugin::invoice-payments.payment')
      .findMany({ where: { invoice: { documentId: { $in: [x, y] } } } });
    const pis = new Set(shares.map((s: { sharedPaymentId: string | null }) => s.sharedPaymentId).filter(Boolean));
    let payable = 0;
    for (const id of pis) if ((await env.stripe.paymentIntents.retrieve(id as string)).status !== 'canceled') payable++;
    expect(payable).toBe(1);
    // The key with another selection: refused, nothing new.
    const other = await portalPay(owner.id, { invoices: [x], requestKey: 'atk21-concurrent-key' });
    expect(other.status).toBe(409);
  });

  it('a canceled group is never replayed: the retry gets a new payable one, the old stays canceled', async () => {
    const owner = await clientUser('s21cxl');
    const x = await invoiceOf(owner.id, 1900);
    const body = { invoices: [x], requestKey: 'atk21-cancel-key' };
    const first = await portalPay(owner.id, body);
    expect(first.status).toBe(201);
    const groupId = first.body.data.id as string;
    const piId = first.body.data.providerPaymentId as string;
    await age(groupId, 30);
    await endAbandoned();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    const again = await portalPay(owner.id, body);
    expect(again.status).toBeLessThan(300);
    expect(again.body.data.providerPaymentId).not.toBe(piId);
    expect(again.body.data.replayed).toBe(false);
    const third = await portalPay(owner.id, body);
    expect(third.body.data.providerPaymentId).toBe(again.body.data.providerPaymentId);
  });
});

describe('same-requestKey retries after the sweep canceled the first payment', () => {
  it('three concurrent retries of a canceled key: one new payable payment, all three get it', async () => {
    const owner = await clientUser('s21keyrace');
    const x = await invoiceOf(owner.id, 2200);
    const y = await invoiceOf(owner.id, 300);
    const body = { invoices: [x, y], requestKey: 'atk21-canceled-race' };
    const first = await portalPay(owner.id, body);
    expect(first.status).toBe(201);
    const oldPi = first.body.data.providerPaymentId as string;
    await age(first.body.data.id as string, 30);
    await endAbandoned();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(oldPi)).status).toBe('canceled');
    const answers = await Promise.all([
      portalPay(owner.id, body),
      portalPay(owner.id, body),
      portalPay(owner.id, body),
    ]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const ok = answers.filter((r) => r.status < 300);
    for (const r of answers) expect([200, 201, 409]).toContain(r.status);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    const handed = new Set(ok.map((r) => r.body.data.providerPaymentId as string));
    expect(handed.size).toBe(1);
    expect(handed.has(oldPi)).toBe(false);
    const live = (
      (await env.app.strapi.db.query(GROUP).findMany({ where: { status: { $ne: 'canceled' } } })) as Array<{
        providerPaymentId: string | null;
        shares: Array<{ invoiceDocumentId: string }>;
      }>
    ).filter((g) => g.shares.some((sh) => sh.invoiceDocumentId === x));
    // Exactly one payment of these invoices can still take money, the one handed out, open at Stripe.
    expect(live).toHaveLength(1);
    expect(live[0]!.providerPaymentId).toBe([...handed][0]);
    expect((await env.stripe.paymentIntents.retrieve([...handed][0]!)).status).toBe('requires_payment_method');
    // And a later retry with the key gets that same one back.
    const later = await portalPay(owner.id, body);
    expect(later.body.data.providerPaymentId).toBe([...handed][0]);
  });
});

describe('autopay never charges twice nor ends a payment the client is authenticating', () => {
  interface AutopayApi {
    runDue(now?: Date): Promise<number>;
  }
  const autopay = () => env.app.strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;
  const helpers = autopayHelpers(() => env);

  it('a portal group payment of the due invoice paid at Stripe (event late): autopay books it, no off-session charge', async () => {
    const client = await helpers.newClient('s21apgrp');
    await helpers.payAndSave(client);
    await helpers.autopayOn(client);
    const inv = await helpers.dueInvoice(client, '2043-03-01');
    const res = await portalPay(client.id, { invoices: [inv.documentId] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    env.standin.control.setDelivery({ paused: true });
    try {
      await payWith(env, piId, 'pm_card_visa');
      expect(await autopay().runDue(new Date('2043-03-01T09:00:30Z'))).toBe(1);
      expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
    expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
  });

  it('client in 3-D Secure in the portal on the due date: autopay defers, the group payment is not canceled; paid later, the next day charges nothing', async () => {
    const client = await helpers.newClient('s21ap3ds');
    await helpers.payAndSave(client);
    await helpers.autopayOn(client);
    const inv = await helpers.dueInvoice(client, '2044-03-01');
    const res = await portalPay(client.id, { invoices: [inv.documentId] });
    const piId = res.body.data.providerPaymentId as string;
    await payWith(env, piId, 'pm_card_authenticationRequired');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await autopay().runDue(new Date('2044-03-01T09:00:30Z'))).toBe(1);
    expect((await helpers.attemptsOf(inv.row.id)).map((a) => a.status)).toEqual(['deferred']);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
    // The client completes the challenge; its event is late. The deferred schedule looks again the next day.
    env.standin.control.setDelivery({ paused: true });
    try {
      env.standin.control.authenticate(piId, 'succeed');
      expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('succeeded');
      await autopay().runDue(new Date('2044-03-02T09:00:30Z'));
      expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
  });

  it('a bank debit processing in a portal group on the due date: autopay defers, nothing charged, the debit left', async () => {
    const client = await helpers.newClient('s21apach');
    await helpers.payAndSave(client);
    await helpers.autopayOn(client);
    const inv = await helpers.dueInvoice(client, '2046-03-01');
    const other = await invoiceOf(client.id, 800);
    const res = await portalPay(client.id, { invoices: [inv.documentId, other] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    env.standin.control.setDelivery({ paused: true });
    try {
      const debit = await payWith(env, piId, 'pm_usBankAccount_success');
      expect('status' in debit && debit.status).toBe('processing');
      expect(await autopay().runDue(new Date('2046-03-01T09:00:30Z'))).toBe(1);
      expect(await autopay().runDue(new Date('2046-03-02T09:00:30Z'))).toBeGreaterThanOrEqual(0);
      expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
      expect(cancels(piId)).toBe(0);
    } finally {
      env.standin.control.setDelivery({ paused: false });
      await env.standin.control.flush();
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
    expect((await helpers.attemptsOf(inv.row.id))[0]).toMatchObject({ status: 'deferred' });
  });

  it("client in 3-D Secure in their own drawer on the due date: autopay defers, the drawer's payment is left", async () => {
    const client = await helpers.newClient('s21apdrw');
    await helpers.payAndSave(client);
    await helpers.autopayOn(client);
    const inv = await helpers.dueInvoice(client, '2045-03-01');
    const mine = await intentAsClient(inv.documentId, client.id);
    const pid = mine.body.data.providerPaymentId as string;
    await payWith(env, pid, 'pm_card_authenticationRequired');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(await autopay().runDue(new Date('2045-03-01T09:00:30Z'))).toBe(1);
    expect(cancels(pid)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(pid)).status).toBe('requires_action');
    expect(helpers.offSessionCreates(inv.documentId)).toHaveLength(0);
    expect((await helpers.attemptsOf(inv.row.id)).map((a) => a.status)).toEqual(['deferred']);
  });
});
