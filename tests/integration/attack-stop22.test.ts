import { bootPayments, eventually, PAYMENT, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { portalHelpers } from '../support/portal';
import { autopayHelpers } from '../support/autopay';
// A second autopay service on the same database, as another Strapi instance has.
import autopayService from '../../server/src/services/autopay';
import { formatMinor } from '../../server/src/domain/money';

/**
 * Attacks on stop 22 (bcfc561): the sweep now also ends a portal (multi-invoice) payment left in
 * 3-D Secure on the same challenge for `abandonedAuthenticationMinutes`. Passing tests are
 * regression tests (the defence held); a failing one is a hole, described in its name and comment.
 */
let env: PaymentsEnv;
const GROUP = 'plugin::invoice-payments.payment-group';
const AUDIT = 'plugin::invoice-payments.audit-entry';
const { clientUser, invoiceOf, portalPay, sharesOf, endAbandoned, cancels, sweepWithStepBeforeCancel } = portalHelpers(
  () => env,
  'Atk22',
  2033,
);

const group = (documentId: string) => env.app.strapi.db.query(GROUP).findOne({ where: { documentId } });
const age = (documentId: string, minutes: number, data: Record<string, unknown> = {}) =>
  env.app.strapi.db
    .query(GROUP)
    .updateMany({ where: { documentId }, data: { ...data, updatedAt: new Date(Date.now() - minutes * 60_000) } });
/** As if the shares' current challenge had been waiting `minutes` (keeps its fingerprint). */
const clockBack = (groupId: string, minutes: number) =>
  env.app.strapi.db
    .query(PAYMENT)
    .updateMany({ where: { paymentGroup: groupId }, data: { actionSince: new Date(Date.now() - minutes * 60_000) } });
const abandonedAudit = async (documentId: string) =>
  (
    (await env.app.strapi.db.query(AUDIT).findMany({ where: { action: 'payment_group.abandoned' } })) as Array<{
      details: { paymentGroup?: string; stage?: string };
    }>
  ).filter((a) => a.details?.paymentGroup === documentId);

/** The client confirms with a card that asks for 3-D Secure: the PaymentIntent's status. */
const in3ds = async (piId: string) =>
  ((await payWith(env, piId, 'pm_card_authenticationRequired')) as { status?: string }).status;

/** A portal payment of `invoices` left at its 3-D Secure step, its clock `minutes` old, the group untouched for 30. */
async function leftIn3ds(ownerId: number, invoices: string[], minutes: number) {
  const res = await portalPay(ownerId, { invoices });
  expect(res.status).toBe(201);
  const groupId = res.body.data.id as string;
  const piId = res.body.data.providerPaymentId as string;
  expect(await in3ds(piId)).toBe('requires_action');
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect((await group(groupId)).status).toBe('requires_action');
  await clockBack(groupId, minutes);
  await age(groupId, 30);
  return { groupId, piId };
}

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

describe('the sweep and a 3-D Secure step finished in the instant it cancels', () => {
  it('authenticated (paid) between read and cancel: never canceled, booked once, invoices paid, not audited as abandoned', async () => {
    const owner = await clientUser('s22win');
    const x = await invoiceOf(owner.id, 1300);
    const y = await invoiceOf(owner.id, 700);
    const { groupId, piId } = await leftIn3ds(owner.id, [x, y], 11);
    const { ended, stepped } = await sweepWithStepBeforeCancel(piId, async () =>
      env.standin.control.authenticate(piId, 'succeed'),
    );
    expect(stepped).toBe(true);
    expect(ended).toBe(0);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('succeeded');
    expect((await group(groupId)).status).toBe('succeeded');
    const shares = (await sharesOf(groupId)) as Array<{ status: string; amount: number }>;
    expect(shares.map((s) => s.status).sort()).toEqual(['succeeded', 'succeeded']);
    for (const [inv, amount] of [
      [x, 1300],
      [y, 700],
    ] as const) {
      const row = await readInvoice(env, inv);
      expect(row).toMatchObject({ state: 'paid', balanceDue: 0 });
      const booked = (await env.app.strapi.db
        .query(PAYMENT)
        .findMany({ where: { invoice: { documentId: inv }, status: 'succeeded' } })) as Array<{ amount: number }>;
      expect(booked.map((b) => b.amount)).toEqual([amount]);
    }
    expect(await abandonedAudit(groupId)).toHaveLength(0);
  });

  it('authentication failed between read and cancel: canceled once, group and Stripe agree, invoices free', async () => {
    const owner = await clientUser('s22fail');
    const x = await invoiceOf(owner.id, 1500);
    const y = await invoiceOf(owner.id, 500);
    const { groupId, piId } = await leftIn3ds(owner.id, [x, y], 11);
    const { ended } = await sweepWithStepBeforeCancel(piId, async () => env.standin.control.authenticate(piId, 'fail'));
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const pi = await env.stripe.paymentIntents.retrieve(piId);
    const g = await group(groupId);
    expect(pi.status).toBe('canceled');
    expect(ended).toBe(1);
    expect(g.status).toBe('canceled');
    expect(((await sharesOf(groupId)) as Array<{ status: string }>).map((s) => s.status)).toEqual([
      'canceled',
      'canceled',
    ]);
    expect(await abandonedAudit(groupId)).toHaveLength(1);
    const again = await portalPay(owner.id, { invoices: [x, y] });
    expect(again.status).toBe(201);
  });

  it('the canceled payment cannot be completed late: the freed invoices are paid once by the next payment', async () => {
    const owner = await clientUser('s22late');
    const x = await invoiceOf(owner.id, 1200);
    const y = await invoiceOf(owner.id, 800);
    const { groupId, piId } = await leftIn3ds(owner.id, [x, y], 11);
    expect(await endAbandoned()).toBe(1);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await group(groupId)).status).toBe('canceled');
    // The client comes back to the old challenge window and finishes it: Stripe refuses (canceled).
    let late: unknown = null;
    try {
      late = env.standin.control.authenticate(piId, 'succeed');
    } catch (error) {
      late = error;
    }
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    void late;
    // The invoices are paid with a new portal payment, booked once each.
    const again = await portalPay(owner.id, { invoices: [x, y] });
    expect(again.status).toBe(201);
    await payWith(env, again.body.data.providerPaymentId as string, 'pm_card_visa');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    for (const inv of [x, y]) {
      expect(await readInvoice(env, inv)).toMatchObject({ state: 'paid', balanceDue: 0 });
      const booked = await env.app.strapi.db
        .query(PAYMENT)
        .findMany({ where: { invoice: { documentId: inv }, status: 'succeeded' } });
      expect(booked).toHaveLength(1);
    }
  });
});

describe('the abandonment clock', () => {
  it('a new challenge (its webhooks not seen yet) gets the whole time again, whatever the old clock says', async () => {
    const owner = await clientUser('s22new');
    const x = await invoiceOf(owner.id, 1100);
    const y = await invoiceOf(owner.id, 900);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    // Without return_url: the stand-in answers use_stripe_sdk with a new source each challenge.
    const first = await env.stripe.paymentIntents.confirm(piId, { payment_method: 'pm_card_authenticationRequired' });
    expect(first.status).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const firstKey = ((await sharesOf(groupId)) as Array<{ nextActionKey: string | null }>)[0]!.nextActionKey;
    expect(firstKey).toBeTruthy();
    env.standin.control.setWebhook({ enabled: false });
    try {
      // The client fails that challenge and is asked again with another card: nothing reached the site.
      env.standin.control.authenticate(piId, 'fail');
      const second = await env.stripe.paymentIntents.confirm(piId, {
        payment_method: 'pm_card_authenticationRequired',
      });
      expect(second.status).toBe('requires_action');
      // The first challenge's clock has run out; the second was just shown.
      await clockBack(groupId, 30);
      await age(groupId, 30);
      expect(await endAbandoned()).toBe(0);
      expect(cancels(piId)).toBe(0);
      expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
    } finally {
      env.standin.control.setWebhook({ enabled: true });
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    const clocks = (await sharesOf(groupId)) as Array<{ nextActionKey: string | null; actionSince: string }>;
    // The sweep started the new challenge's clock (not the old one's).
    expect(clocks.every((c) => c.nextActionKey && c.nextActionKey !== firstKey)).toBe(true);
    expect(clocks.every((c) => Date.now() - new Date(c.actionSince).getTime() < 5 * 60_000)).toBe(true);
    expect((await group(groupId)).status).toBe('requires_action');
  });

  it('two sweeps at once on an abandoned 3-D Secure step: canceled once, audited once', async () => {
    const owner = await clientUser('s22twice');
    const x = await invoiceOf(owner.id, 1000);
    const y = await invoiceOf(owner.id, 1000);
    const { groupId, piId } = await leftIn3ds(owner.id, [x, y], 11);
    const [a, b] = await Promise.all([endAbandoned('one'), endAbandoned('two')]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(a + b).toBe(1);
    expect(cancels(piId)).toBe(1);
    expect((await group(groupId)).status).toBe('canceled');
    const audit = await abandonedAudit(groupId);
    expect(audit).toHaveLength(1);
    expect(audit[0]!.details.stage).toBe('authentication');
  });
});

describe('a cancel Stripe refused once is not refused again for a day', () => {
  /**
   * Stripe keeps a key's answer, refusals included, for 24 hours
   * (https://docs.stripe.com/api/idempotent_requests). The sweep's cancel used one key per payment:
   * refused while a bank debit was processing, it would have been refused again, replayed, after the
   * debit failed and the payment waited for a method again, keeping the invoices reserved a day.
   */
  it('a bank debit started between the sweep read and its cancel, then refused by the bank: the next sweep ends it', async () => {
    const owner = await clientUser('s22sepa');
    const x = await invoiceOf(owner.id, 2100, { currency: 'EUR' });
    const y = await invoiceOf(owner.id, 900, { currency: 'EUR' });
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await age(groupId, 30);
    const { ended, stepped } = await sweepWithStepBeforeCancel(piId, () =>
      env.stripe.paymentIntents.confirm(piId, {
        payment_method_data: {
          type: 'sepa_debit',
          sepa_debit: { iban: 'AT861904300235473202' },
          billing_details: { name: 'Ada Client', email: 'ada@example.test' },
        },
        return_url: 'http://localhost/return',
      }),
    );
    expect(stepped).toBe(true);
    expect(ended).toBe(0);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    // Stripe refused the cancel (processing): the debit goes on, the group follows it.
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('processing');
    expect((await group(groupId)).status).toBe('processing');

    // Days later the bank refuses the debit: the payment waits for a method again.
    env.standin.control.settleDelayed(piId, 'fail');
    await eventually(
      () => group(groupId),
      (g: { status: string }) => g.status === 'failed',
      10_000,
      'the group back to waiting after the refused debit',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await age(groupId, 30);
    expect(await endAbandoned()).toBe(1);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    expect((await group(groupId)).status).toBe('canceled');
    expect(await abandonedAudit(groupId)).toHaveLength(1);
    expect((await portalPay(owner.id, { invoices: [x, y] })).status).toBe(201);
  });
});

describe('payments left alone however old', () => {
  it('a voucher under way is never canceled by the sweep', async () => {
    const owner = await clientUser('s22oxxo');
    const x = await invoiceOf(owner.id, 100000, { currency: 'MXN' });
    const y = await invoiceOf(owner.id, 50000, { currency: 'MXN' });
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await payWith(env, piId, 'pm_oxxo');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await group(groupId)).status).toBe('requires_action');
    await clockBack(groupId, 3 * 24 * 60);
    await age(groupId, 3 * 24 * 60);
    expect(await endAbandoned()).toBe(0);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
  });

  /**
   * Found by this attack: the sweep took the 50 oldest groups stored as waiting (requires_action
   * included), and a group it leaves alone (a voucher, a bank transfer: days to weeks) keeps its
   * status and its updatedAt, so 50 of them filled every batch and no newer abandoned payment was
   * ended. Now groups in requires_action are picked from their shares' authentication clocks only.
   */
  it('fifty long-lived vouchers do not starve an abandoned payment of the sweep', async () => {
    const owner = await clientUser('s22starve');
    const vouchers: Array<{ groupId: string; piId: string }> = [];
    for (let i = 0; i < 50; i++) {
      const v = await invoiceOf(owner.id, 20000 + i, { currency: 'MXN' });
      const res = await portalPay(owner.id, { invoices: [v] });
      expect(res.status).toBe(201);
      const piId = res.body.data.providerPaymentId as string;
      await payWith(env, piId, 'pm_oxxo');
      vouchers.push({ groupId: res.body.data.id as string, piId });
    }
    await waitForIdle(env.app.strapi, 20_000, env.standin);
    // Opened over the last days, paid at the store some time before each voucher expires.
    for (const [i, v] of vouchers.entries()) await age(v.groupId, 2 * 24 * 60 - i);

    // A payment the client opened half an hour ago and walked away from (no card entered).
    const x = await invoiceOf(owner.id, 1700);
    const y = await invoiceOf(owner.id, 300);
    const res = await portalPay(owner.id, { invoices: [x, y] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    await age(groupId, 30);

    try {
      // Several sweep runs (one every few minutes): the abandoned payment is ended by one of them.
      for (let run = 0; run < 3 && (await group(groupId)).status !== 'canceled'; run++) await endAbandoned();
      await waitForIdle(env.app.strapi, 10_000, env.standin);
      for (const v of vouchers) expect(cancels(v.piId)).toBe(0);
      expect((await group(groupId)).status).toBe('canceled');
      expect(cancels(piId)).toBe(1);
    } finally {
      // The vouchers are paid at the store: they leave the sweep's candidates (for the tests below).
      for (const v of vouchers) env.standin.control.payVoucher(v.piId);
      await waitForIdle(env.app.strapi, 20_000, env.standin);
    }
  }, 180_000);
});

interface AutopayApi {
  runDue(now?: Date): Promise<number>;
}
const autopay = () => env.app.strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;
const { newClient, payAndSave, autopayOn, dueInvoice, attemptsOf, offSessionCreates, mailsTo } = autopayHelpers(
  () => env,
);
const ADMIN = 'billing-admin@example.test';
const stoppedFor = (number: string) =>
  mailsTo(ADMIN).filter((m) => m.subject === `Autopay stopped for invoice ${number}`);
const flat = (raw: string) => raw.replace(/=\r?\n/g, '').replace(/\s+/g, ' ');

describe('autopay and portal payments left in 3-D Secure', () => {
  it('last retry day, two instances at once, the client at a portal 3-D Secure step: one deferral, the site emailed once, the client not', async () => {
    const client = await newClient('s22last');
    await payAndSave(client);
    await autopayOn(client);
    const email = `s22last${Date.now()}@example.test`;
    const inv = await dueInvoice(client, '2048-05-10', email);
    const res = await portalPay(client.id, { invoices: [inv.documentId] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    expect(await in3ds(piId)).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    // The last planned day (retryDays 1, 3, 7: attempt 3), run by two instances in the same minute.
    const now = new Date('2048-05-17T09:00:30Z');
    const other = autopayService({ strapi: env.app.strapi });
    const [a, b] = await Promise.all([autopay().runDue(now), other.runDue(now)]);
    expect(a + b).toBe(1);
    expect(await autopay().runDue(now)).toBe(0);
    const rows = await attemptsOf(inv.row.id);
    expect(rows.map((r) => [r.attemptNo, r.status, r.code])).toEqual([[3, 'deferred', 'payment_in_progress']]);
    const told = await eventually(
      () => Promise.resolve(stoppedFor(inv.row.number)),
      (m) => m.length === 1,
      5000,
      'the site told autopay stopped',
    );
    expect(flat(told[0]!.raw)).toContain('a payment of the invoice was under way');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(stoppedFor(inv.row.number)).toHaveLength(1);
    expect(mailsTo(email)).toHaveLength(0);
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
    expect(cancels(piId)).toBe(0);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('requires_action');
  });

  it('a portal payment walked away from in 3-D Secure: autopay defers, the sweep ends it, the next retry day charges once', async () => {
    const client = await newClient('s22free');
    await payAndSave(client);
    await autopayOn(client);
    const email = `s22free${Date.now()}@example.test`;
    const inv = await dueInvoice(client, '2049-05-10', email);
    const other = await dueInvoice(client, '2049-05-10', email);
    const res = await portalPay(client.id, { invoices: [inv.documentId, other.documentId] });
    expect(res.status).toBe(201);
    const groupId = res.body.data.id as string;
    const piId = res.body.data.providerPaymentId as string;
    expect(await in3ds(piId)).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);

    expect(await autopay().runDue(new Date('2049-05-10T09:00:30Z'))).toBe(2);
    expect((await attemptsOf(inv.row.id)).map((r) => r.status)).toEqual(['deferred']);
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);

    // Nobody finished the challenge: the sweep ends the payment.
    await clockBack(groupId, 11);
    await age(groupId, 30);
    // (Other tests' abandoned payments may be ended by the same run: this one's outcome is what counts.)
    await endAbandoned();
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(cancels(piId)).toBe(1);
    expect((await group(groupId)).status).toBe('canceled');
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');

    // The next retry day charges each invoice once; the old challenge finished late takes nothing.
    expect(await autopay().runDue(new Date('2049-05-11T09:00:30Z'))).toBe(2);
    try {
      env.standin.control.authenticate(piId, 'succeed');
    } catch {
      // refused: canceled
    }
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(piId)).status).toBe('canceled');
    for (const i of [inv, other]) {
      expect((await attemptsOf(i.row.id)).map((r) => r.status)).toEqual(['deferred', 'succeeded']);
      expect(offSessionCreates(i.documentId)).toHaveLength(1);
      expect(await readInvoice(env, i.documentId)).toMatchObject({ state: 'paid', balanceDue: 0 });
      const booked = await env.app.strapi.db
        .query(PAYMENT)
        .findMany({ where: { invoice: { documentId: i.documentId }, status: 'succeeded' } });
      expect(booked).toHaveLength(1);
      expect(stoppedFor(i.row.number)).toHaveLength(0);
    }
    expect(mailsTo(email).filter((m) => /utopay/.test(m.subject))).toHaveLength(0);
  });

  /**
   * Found by this attack: the deferred row recorded no amount, so the admin email, written when the
   * outbox sends it, showed the balance at sending time ($0.00 once the client's payment went
   * through while the mail server was down). The deferred row now keeps the balance it deferred.
   */
  it('mail server down at the last-day deferral, the client pays meanwhile: the admin email still names the amount that was due', async () => {
    const client = await newClient('s22smtp');
    await payAndSave(client);
    await autopayOn(client);
    const email = `s22smtp${Date.now()}@example.test`;
    const inv = await dueInvoice(client, '2050-05-10', email);
    const due = formatMinor(inv.row.balanceDue as number, inv.row.currency as string);
    const res = await portalPay(client.id, { invoices: [inv.documentId] });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    expect(await in3ds(piId)).toBe('requires_action');
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    env.smtp.failing(true);
    try {
      expect(await autopay().runDue(new Date('2050-05-17T09:00:30Z'))).toBe(1);
      expect((await attemptsOf(inv.row.id)).map((r) => r.status)).toEqual(['deferred']);
      // The client finishes their 3-D Secure step: the invoice is paid.
      env.standin.control.authenticate(piId, 'succeed');
      await eventually(
        () => readInvoice(env, inv.documentId),
        (i) => i.state === 'paid',
        10_000,
        'the client payment booked',
      );
    } finally {
      env.smtp.failing(false);
    }
    // The outbox worker's next pass (its retry delay brought forward).
    const [row] = (await attemptsOf(inv.row.id)) as Array<{ id?: number }>;
    await env.app.strapi.db.query('plugin::invoice-payments.notice').updateMany({
      where: { autopayAttemptId: row!.id, status: 'due' },
      data: { dueAt: new Date(Date.now() - 1000) },
    });
    await (
      env.app.strapi.plugin('invoice-payments').service('notifications') as unknown as { sendDue(): Promise<number> }
    ).sendDue();
    const told = await eventually(
      () => Promise.resolve(stoppedFor(inv.row.number)),
      (m) => m.length === 1,
      10_000,
      'the site told autopay stopped',
    );
    expect(flat(told[0]!.raw)).toContain(`(${due})`);
  }, 60_000);
});
