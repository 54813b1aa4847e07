import { bootPayments, eventually, payableInvoice, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';
import { autopayHelpers } from '../support/autopay';

/**
 * Attacks on saved methods and autopay (issue 13, "Bad input and safety"): emails that must not be
 * lost to an SMTP outage, and who may save a method onto a client's provider customer.
 * Due dates of their own years, apart from tests/integration/autopay.test.ts.
 */
let env: PaymentsEnv;
const NOTICE = 'plugin::invoice-payments.notice';

interface AutopayApi {
  runDue(now?: Date): Promise<number>;
}
const autopay = () => env.app.strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;

beforeAll(async () => {
  env = await bootPayments({
    env: { NOTICE_RETRY_AFTER_MS: '600', NOTICE_MAX_ATTEMPTS: '5' },
    settings: {
      reminders: { enabled: false, beforeDays: [3], onDueDate: true, afterDays: [7], timeZone: 'UTC', sendHour: 9 },
      autopay: { enabled: true, retryDays: [1], chargeHour: 9 },
    },
  });
});
afterAll(async () => {
  env?.smtp.failing(false);
  await env?.close();
});

const {
  http,
  jwt,
  newClient,
  payAndSave,
  savedMethods,
  autopayOn,
  dueInvoice,
  attemptsOf,
  mailsTo,
  offSessionCreates,
} = autopayHelpers(() => env);

const noticesOf = (attemptIds: number[]) =>
  env.app.strapi.db
    .query(NOTICE)
    .findMany({ where: { autopayAttemptId: { $in: attemptIds } }, orderBy: { id: 'asc' } });

it('mail server down when the bank asks for authentication: the email stays due and the worker sends it later', async () => {
  const client = await newClient('smtpauth');
  await payAndSave(client);
  const customerId = (await savedMethods(client)).methods[0]!.customerId;
  const card = await env.stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customerId });
  await env.stripe.customers.update(customerId, { invoice_settings: { default_payment_method: card.id } });
  await autopayOn(client);
  const email = `smtpauth${Date.now()}@example.test`;
  const inv = await dueInvoice(client, '2038-03-01', email);
  env.smtp.failing(true);
  let ids: number[];
  try {
    expect(await autopay().runDue(new Date('2038-03-01T09:00:30Z'))).toBe(1);
    const rows = (await attemptsOf(inv.row.id)) as Array<{ id?: number; status: string }>;
    expect(rows.map((r) => r.status)).toEqual(['requires_action']);
    ids = rows.map((r) => r.id!);
    const [notice] = await noticesOf(ids);
    expect(notice).toMatchObject({ kind: 'autopay_authenticate', status: 'due' });
    expect(notice.attempts).toBeGreaterThanOrEqual(1);
    expect(mailsTo(email)).toHaveLength(0);
  } finally {
    env.smtp.failing(false);
  }
  const mails = await eventually(
    async () => mailsTo(email),
    (m) => m.length === 1,
    10_000,
    'the worker sends the authentication email',
  );
  expect(mails[0]!.subject).toBe(`Please confirm the payment of invoice ${inv.row.number}`);
  expect(mails[0]!.raw.replace(/=\r?\n/g, '')).toContain(`/invoice-payments/pay/${inv.token}`);
  await eventually(
    () => noticesOf(ids),
    (n) => n.length === 1 && n[0].status === 'sent',
    5000,
    'notice marked sent',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(mailsTo(email)).toHaveLength(1);
});

it('mail server down when autopay stops: client and admin emails stay due, then each goes out once', async () => {
  const client = await newClient('smtpstop');
  await payAndSave(client);
  const customerId = (await savedMethods(client)).methods[0]!.customerId;
  const failing = await env.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customerId });
  await env.stripe.customers.update(customerId, { invoice_settings: { default_payment_method: failing.id } });
  await autopayOn(client);
  const email = `smtpstop${Date.now()}@example.test`;
  const inv = await dueInvoice(client, '2039-03-01', email);
  // Each declined charge also sends the usual "Payment failed" notice; these are autopay's own.
  const stopped = () => mailsTo('billing-admin@example.test').filter((m) => /Autopay stopped/.test(m.subject));
  const adminBefore = stopped().length;
  expect(await autopay().runDue(new Date('2039-03-01T09:00:30Z'))).toBe(1);
  env.smtp.failing(true);
  let ids: number[];
  try {
    expect(await autopay().runDue(new Date('2039-03-02T09:00:30Z'))).toBe(1);
    const rows = (await attemptsOf(inv.row.id)) as Array<{ id?: number; status: string }>;
    expect(rows.map((r) => r.status)).toEqual(['declined', 'declined']);
    ids = rows.map((r) => r.id!);
    const notices = await noticesOf(ids);
    expect(notices.map((n: { kind: string; status: string }) => [n.kind, n.status])).toEqual([
      ['autopay_stopped', 'due'],
      ['autopay_stopped_admin', 'due'],
    ]);
    expect(mailsTo(email)).toHaveLength(0);
  } finally {
    env.smtp.failing(false);
  }
  await eventually(
    async () => [...mailsTo(email), ...stopped().slice(adminBefore)],
    (m) => m.length === 2,
    10_000,
    'client and admin told',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(mailsTo(email).map((m) => m.subject)).toEqual([`Automatic payment of invoice ${inv.row.number} failed`]);
  expect(
    stopped()
      .slice(adminBefore)
      .map((m) => m.subject),
  ).toEqual([`Autopay stopped for invoice ${inv.row.number}`]);
});

it("a pay-link holder who is not logged in as the client cannot save a card onto the client's customer", async () => {
  const client = await newClient('linkholder');
  await payAndSave(client);
  const customerId = (await savedMethods(client)).methods[0]!.customerId;
  const inv = await payableInvoice(env, { customer: client.id, billingEmail: 'forwarded@example.test' });
  const intent = await http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  const pid = intent.body.data.providerPaymentId as string;
  const updatesBefore = env.standin.control.requestLog('POST /v1/payment_intents/:id').length;
  const res = await http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/save-method`)
    .send({ token: inv.token, providerPaymentId: pid, save: true });
  expect(res.status).toBe(403);
  expect(res.body.error.message).toMatch(/Log in/);
  expect(env.standin.control.requestLog('POST /v1/payment_intents/:id')).toHaveLength(updatesBefore);
  const pi = await env.stripe.paymentIntents.retrieve(pid);
  expect(pi.customer).toBeNull();
  expect(pi.setup_future_usage ?? null).toBeNull();
  // The pay-link page does not offer the box; the client's own page does.
  const byToken = await http().get(`/api/invoice-payments/pay/${inv.token}`);
  expect(byToken.body.data.pay.canSaveMethod).toBe(false);
  const mine = await http()
    .get(`/api/invoice-payments/invoices/${inv.documentId}`)
    .set('Authorization', jwt(client.id));
  expect(mine.body.data.pay.canSaveMethod).toBe(true);
  expect((await savedMethods(client)).methods.map((m) => m.customerId)).toEqual([customerId]);
});

it('a drawer payment that succeeded at Stripe but is not booked yet (webhook late, tab closed) is never charged again by autopay', async () => {
  const client = await newClient('drawerrace');
  await payAndSave(client);
  await autopayOn(client);
  const inv = await dueInvoice(client, '2040-03-01');
  const intent = await http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  expect(intent.status).toBe(200);
  const pid = intent.body.data.providerPaymentId as string;
  env.standin.control.setDelivery({ paused: true });
  try {
    // The client pays in the drawer at 08:59:59 and closes the tab; Stripe's event is still on its way.
    const paid = await env.stripe.paymentIntents.confirm(pid, {
      payment_method: 'pm_card_visa',
      return_url: 'http://localhost/return',
    });
    expect(paid.status).toBe('succeeded');
    expect(await autopay().runDue(new Date('2040-03-01T09:00:30Z'))).toBe(1);
    const [attempt] = await attemptsOf(inv.row.id);
    expect(attempt).toMatchObject({ status: 'refused' });
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
  } finally {
    env.standin.control.setDelivery({ paused: false });
    await env.standin.control.flush();
  }
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const invoice = await readInvoice(env, inv.documentId);
  expect(invoice).toMatchObject({ state: 'paid', balanceDue: 0, amountPaid: inv.row.total });
  expect(offSessionCreates(inv.documentId)).toHaveLength(0);
});

it('a charge whose answer was lost is looked up before it is repeated a day later (Stripe prunes keys after 24 h): one charge', async () => {
  const client = await newClient('lostanswer');
  await payAndSave(client);
  await autopayOn(client);
  const inv = await dueInvoice(client, '2042-03-01');
  const control = env.standin.control;
  const madeFor = async () =>
    (await env.stripe.paymentIntents.list({ limit: 100 })).data.filter(
      (pi) => pi.metadata.invoice_payments_invoice === inv.documentId,
    );
  control.setDelivery({ paused: true });
  try {
    // Stripe makes the payment, then the answer is a 500 (saved under the key, replayed to the SDK's retries).
    control.addFault({ method: 'POST', path: '/v1/payment_intents', afterProcessing: true, times: 1 });
    expect(await autopay().runDue(new Date('2042-03-01T09:00:30Z'))).toBe(1);
    expect((await attemptsOf(inv.row.id))[0]).toMatchObject({ status: 'charging' });
    expect(await madeFor()).toHaveLength(1);
    // A day passes: the key is gone at Stripe, and the claim has run out.
    control.forgetIdempotencyKeys();
    expect(await autopay().runDue(new Date('2042-03-02T08:00:00Z'))).toBe(1);
  } finally {
    control.clearFaults();
    control.setDelivery({ paused: false });
    await control.flush();
  }
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  const made = await madeFor();
  expect(made).toHaveLength(1);
  const [attempt] = await attemptsOf(inv.row.id);
  expect(attempt).toMatchObject({ status: 'succeeded', providerPaymentId: made[0]!.id });
  expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', amountPaid: inv.row.total });
});

it("a balance below Stripe's minimum charge is refused before any call, with a reason, not failed at Stripe", async () => {
  const client = await newClient('tinybalance');
  await payAndSave(client);
  await autopayOn(client);
  const inv = await dueInvoice(client, '2041-03-01');
  // What a partial payment can leave: USD 0.30, under Stripe's USD 0.50 minimum
  // (https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
  await env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .update({ where: { id: inv.row.id }, data: { balanceDue: 30, state: 'partially_paid' } });
  expect(await autopay().runDue(new Date('2041-03-01T09:00:30Z'))).toBe(1);
  const [attempt] = await attemptsOf(inv.row.id);
  expect(attempt).toMatchObject({ status: 'refused', code: 'below_minimum' });
  expect(offSessionCreates(inv.documentId)).toHaveLength(0);
  // Refused stops the schedule: no call on the retry day either.
  expect(await autopay().runDue(new Date('2041-03-02T09:00:30Z'))).toBe(0);
  expect(offSessionCreates(inv.documentId)).toHaveLength(0);
});

it('a charge the provider refuses outright (not a decline) on the last attempt stops autopay and tells client and admin', async () => {
  const client = await newClient('refused');
  await payAndSave(client);
  await autopayOn(client);
  const email = `refused${Date.now()}@example.test`;
  const inv = await dueInvoice(client, '2041-03-01', email);
  const stopped = () => mailsTo('billing-admin@example.test').filter((m) => /Autopay stopped/.test(m.subject));
  const adminBefore = stopped().length;
  // A 400 (invalid_request_error, Stripe-Should-Retry: false) is neither a decline nor retried.
  const refuse = () =>
    env.standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', status: 400, shouldRetry: false });
  try {
    refuse();
    expect(await autopay().runDue(new Date('2041-03-01T09:00:30Z'))).toBe(1);
    expect(((await attemptsOf(inv.row.id)) as Array<{ status: string }>).map((r) => r.status)).toEqual(['failed']);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    // Not the last attempt: nobody is told yet.
    expect(mailsTo(email)).toHaveLength(0);
    refuse();
    expect(await autopay().runDue(new Date('2041-03-02T09:00:30Z'))).toBe(1);
  } finally {
    env.standin.control.clearFaults();
  }
  expect(((await attemptsOf(inv.row.id)) as Array<{ status: string }>).map((r) => r.status)).toEqual([
    'failed',
    'failed',
  ]);
  await eventually(
    async () => [...mailsTo(email), ...stopped().slice(adminBefore)],
    (m) => m.length === 2,
    10_000,
    'client and admin told',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(mailsTo(email).map((m) => m.subject)).toEqual([`Automatic payment of invoice ${inv.row.number} failed`]);
  expect(stopped().slice(adminBefore)).toHaveLength(1);
  // And no third run: the schedule is over.
  expect(await autopay().runDue(new Date('2041-03-09T09:00:30Z'))).toBe(0);
  expect(offSessionCreates(inv.row.documentId)).toHaveLength(2);
});
