import { bootPayments, PAYMENT, payWith, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';

/**
 * Portal payments (several invoices, one PaymentIntent) the client opened and walked away from:
 * the background sweep ends them after `abandonedAuthenticationMinutes` (default 10) once Stripe,
 * read again, says they still wait for a payment method, or for a 3-D Secure step unanswered that
 * long; one paid meanwhile is settled, one being completed is left alone. And a request retried
 * under the same requestKey gets its old payment back only while that can still be paid, is being
 * paid or was paid.
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
const AUDIT = 'plugin::invoice-payments.audit-entry';
let owner: { id: number };
const { clientUser, invoiceOf, portalPay, sharesOf, endAbandoned, cancels } = portalHelpers(() => env, 'Walk', 2031);

interface Sweeps {
  sweep(olderThanMs?: number): Promise<number>;
}
const sweep = () => (env.app.strapi.plugin('invoice-payments').service('background') as unknown as Sweeps).sweep();
const group = (documentId: string) => env.app.strapi.db.query(GROUP).findOne({ where: { documentId } });
/** As if nothing touched the group for `minutes` (the stored clock the sweep reads). */
const age = (documentId: string, minutes: number, data: Record<string, unknown> = {}) =>
  env.app.strapi.db
    .query(GROUP)
    .updateMany({ where: { documentId }, data: { ...data, updatedAt: new Date(Date.now() - minutes * 60_000) } });
const abandonedAudit = (documentId: string) =>
  env.app.strapi.db
    .query(AUDIT)
    .findMany({ where: { action: 'payment_group.abandoned' } })
    .then((rows: Array<{ details: { paymentGroup?: string } }>) =>
      rows.filter((r) => r.details?.paymentGroup === documentId),
    );

beforeAll(async () => {
  env = await bootPayments();
  owner = await clientUser('walkowner');
}, 60_000);
afterAll(async () => {
  await env?.close();
});

async function openGroup(invoices: string[], body: Record<string, unknown> = {}) {
  const res = await portalPay(owner.id, { invoices, ...body });
  expect(res.status).toBe(201);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  return { groupId: res.body.data.id as string, piId: res.body.data.providerPaymentId as string };
}

describe('the sweep and abandoned portal payments', () => {
  it('leaves one younger than the setting, ends it once older: canceled at Stripe, invoices free again', async () => {
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 2500);
    const { groupId, piId } = await openGroup([x, y]);
    await age(groupId, 9);
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await group(groupId)).status).toBe('pending');
    expect(cancels(piId)).toBe(0);

    await age(groupId, 11);
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await group(groupId)).status).toBe('canceled');
    const shares = await sharesOf(groupId);
    expect(shares.map((s: { status: string }) => s.status)).toEqual(['canceled', 'canceled']);
    expect(await abandonedAudit(groupId)).toHaveLength(1);
    // Nothing reserved any more: a new payment of the same invoices is made at once.
    const again = await portalPay(owner.id, { invoices: [x, y] });
    expect(again.status).toBe(201);
    expect(again.body.data.providerPaymentId).not.toBe(piId);
  });

  it('ends one whose card was declined and no other tried (Stripe hands it back for another card)', async () => {
    const x = await invoiceOf(owner.id, 1700);
    const { groupId, piId } = await openGroup([x]);
    await env.stripe.paymentIntents
      .confirm(piId, { payment_method: 'pm_card_chargeDeclined' })
      .catch((error: unknown) => error);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_payment_method');
    expect((await group(groupId)).status).toBe('failed');
    await age(groupId, 11);
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await group(groupId)).status).toBe('canceled');
    expect(await abandonedAudit(groupId)).toHaveLength(1);
  });

  it('settles one that was paid meanwhile (its webhook lost) instead of canceling it', async () => {
    const x = await invoiceOf(owner.id, 1200);
    const y = await invoiceOf(owner.id, 800);
    const { groupId, piId } = await openGroup([x, y]);
    env.standin.control.setWebhook({ enabled: false });
    try {
      await payWith(env, piId, 'pm_card_visa');
    } finally {
      env.standin.control.setWebhook({ enabled: true });
    }
    await age(groupId, 30);
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('succeeded');
    expect((await group(groupId)).status).toBe('succeeded');
    const shares = await sharesOf(groupId);
    expect(shares.map((s: { status: string }) => s.status)).toEqual(['succeeded', 'succeeded']);
    expect(await abandonedAudit(groupId)).toHaveLength(0);
  });

  it('leaves one waiting for a fresh 3-D Secure step alone, even when the stored status is stale', async () => {
    const x = await invoiceOf(owner.id, 1500);
    const { groupId, piId } = await openGroup([x]);
    const confirmed = await env.stripe.paymentIntents.confirm(piId, {
      payment_method: 'pm_card_authenticationRequired',
      return_url: 'http://localhost/return',
    });
    expect(confirmed.status).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    // As if its webhook had not come: the row still says it waits for a method.
    await age(groupId, 30, { status: 'pending' });
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    expect((await group(groupId)).status).toBe('requires_action');
    expect(await abandonedAudit(groupId)).toHaveLength(0);
  });

  it('ends one left in 3-D Secure on the same challenge for the whole time: canceled at Stripe, invoices free', async () => {
    const x = await invoiceOf(owner.id, 1400);
    const y = await invoiceOf(owner.id, 700);
    const { groupId, piId } = await openGroup([x, y]);
    expect(((await payWith(env, piId, 'pm_card_authenticationRequired')) as { status?: string }).status).toBe(
      'requires_action',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await group(groupId)).status).toBe('requires_action');
    // Settlement started each share's abandonment clock when Stripe asked for the authentication.
    const clocks = (await sharesOf(groupId)) as Array<{ actionSince: string | null; nextActionKey: string | null }>;
    expect(clocks.every((c) => c.actionSince && c.nextActionKey)).toBe(true);
    // The group untouched for long, but the challenge only just shown: left alone.
    await age(groupId, 30);
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(0);
    expect((await group(groupId)).status).toBe('requires_action');

    // The same challenge unanswered for 11 minutes (the setting is 10).
    await env.app.strapi.db
      .query(PAYMENT)
      .updateMany({ where: { paymentGroup: groupId }, data: { actionSince: new Date(Date.now() - 11 * 60_000) } });
    await age(groupId, 30);
    await sweep();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(1);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await group(groupId)).status).toBe('canceled');
    expect((await sharesOf(groupId)).map((s: { status: string }) => s.status)).toEqual(['canceled', 'canceled']);
    const audit = await abandonedAudit(groupId);
    expect(audit).toHaveLength(1);
    expect((audit[0].details as { stage?: string }).stage).toBe('authentication');
    // Nothing reserved any more: the invoices can be paid again (autopay too).
    const again = await portalPay(owner.id, { invoices: [x, y] });
    expect(again.status).toBe(201);
    expect(again.body.data.providerPaymentId).not.toBe(piId);
  });

  it('two sweeps at once cancel it once and audit it once', async () => {
    const x = await invoiceOf(owner.id, 1100);
    const y = await invoiceOf(owner.id, 900);
    const { groupId, piId } = await openGroup([x, y]);
    await age(groupId, 20);
    const [a, b] = await Promise.all([endAbandoned(), endAbandoned()]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(a + b).toBe(1);
    expect(cancels(piId)).toBe(1);
    expect((await group(groupId)).status).toBe('canceled');
    expect(await abandonedAudit(groupId)).toHaveLength(1);
  });
});

describe('a retry under the same requestKey', () => {
  it('replays a payment that can still be paid', async () => {
    const x = await invoiceOf(owner.id, 1300);
    const first = await portalPay(owner.id, { invoices: [x], requestKey: 'retry-payable-1' });
    expect(first.status).toBe(201);
    const again = await portalPay(owner.id, { invoices: [x], requestKey: 'retry-payable-1' });
    expect(again.status).toBe(201);
    expect(again.body.data.replayed).toBe(true);
    expect(again.body.data.providerPaymentId).toBe(first.body.data.providerPaymentId);
    expect(again.body.data.clientSecret).toBeTruthy();
  });

  it('makes a new payment when the old one was canceled meanwhile', async () => {
    const x = await invoiceOf(owner.id, 1400);
    const y = await invoiceOf(owner.id, 600);
    const { groupId, piId } = await openGroup([x, y], { requestKey: 'retry-canceled-1' });
    await age(groupId, 20);
    await endAbandoned();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    const again = await portalPay(owner.id, { invoices: [x, y], requestKey: 'retry-canceled-1' });
    expect(again.status).toBe(201);
    expect(again.body.data.replayed).toBe(false);
    expect(again.body.data.providerPaymentId).not.toBe(piId);
    expect(again.body.data.id).not.toBe(groupId);
    expect((await group(groupId)).requestKey).toBeNull();
    // And the new one is what a further retry replays.
    const third = await portalPay(owner.id, { invoices: [x, y], requestKey: 'retry-canceled-1' });
    expect(third.body.data.replayed).toBe(true);
    expect(third.body.data.providerPaymentId).toBe(again.body.data.providerPaymentId);
  });

  it('makes a new payment after the first answer was lost (a 502), the old one canceled at Stripe', async () => {
    const x = await invoiceOf(owner.id, 1600);
    // Made at Stripe, then answered 500 (saved under its key: the SDK's retries get the same 500).
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', afterProcessing: true, times: 1 });
    const refused = await portalPay(owner.id, { invoices: [x], requestKey: 'retry-refused-1' });
    expect(refused.status).toBe(502);
    const [share] = await env.app.strapi.db
      .query(PAYMENT)
      .findMany({ where: { invoice: { documentId: x }, paymentGroup: { $notNull: true } } });
    const refusedGroup = String(share.paymentGroup);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const again = await portalPay(owner.id, { invoices: [x], requestKey: 'retry-refused-1' });
    expect(again.status).toBe(201);
    expect(again.body.data.replayed).toBe(false);
    expect(again.body.data.clientSecret).toBeTruthy();
    const made = (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
      (pi) => pi.metadata?.invoice_payments_group && pi.id !== again.body.data.providerPaymentId,
    );
    const lost = made.filter((pi) => pi.metadata.invoice_payments_group === refusedGroup);
    expect(lost.map((pi) => pi.status)).toEqual(['canceled']);
    const live = await env.app.strapi.db
      .query(PAYMENT)
      .findMany({ where: { invoice: { documentId: x }, status: 'pending', paymentGroup: { $notNull: true } } });
    expect(live).toHaveLength(1);
  });
});
