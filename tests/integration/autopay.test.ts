import { bootPayments, eventually, payableInvoice, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
// A second autopay service on the same database, as another Strapi instance has.
import autopayService from '../../server/src/services/autopay';
import { autopayHelpers } from '../support/autopay';
import { mimeParts } from '../support/smtp';
import { waitForIdle } from '../support/idle';

/**
 * Saved payment methods and autopay (services/saved-methods, services/autopay, domain/autopay)
 * against the real Strapi and the Stripe stand-in: a client saves a card while paying, manages it,
 * the cron charges it off-session on the due date with a fake clock, declines follow the retry
 * schedule and stop, authentication sends the pay link, and the refusals that must never charge.
 * Each test uses due dates of its own year so the cron (every second here) never mixes them.
 */
let env: PaymentsEnv;
const AUDIT = 'plugin::invoice-payments.audit-entry';
const PAYMENT = 'plugin::invoice-payments.payment';
const INVOICE = 'plugin::invoice-payments.invoice';

interface AutopayApi {
  runDue(now?: Date): Promise<number>;
}
interface ClockApi {
  setClock(now: (() => Date) | null): void;
}
const autopay = () => env.app.strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;
const clock = () => env.app.strapi.plugin('invoice-payments').service('reminders') as unknown as ClockApi;

beforeAll(async () => {
  env = await bootPayments({
    env: { REMINDERS_INTERVAL_MS: '1000' },
    settings: {
      reminders: { enabled: false, beforeDays: [3], onDueDate: true, afterDays: [7], timeZone: 'UTC', sendHour: 9 },
      autopay: { enabled: true, retryDays: [1, 3, 7], chargeHour: 9 },
    },
  });
});
afterAll(async () => {
  clock()?.setClock(null);
  await env?.close();
});
afterEach(() => clock().setClock(null));

const {
  http,
  jwt,
  newClient,
  payAndSave,
  savedMethods,
  autopayOn,
  dueInvoice,
  attemptsOf,
  offSessionCreates,
  mailsTo,
  cronAt,
} = autopayHelpers(() => env);

it('a card saved while paying is charged off-session on the due date, once, whichever instance runs the cron', async () => {
  const client = await newClient('saver');
  await payAndSave(client);
  const saved = await eventually(
    () => savedMethods(client),
    (v) => v.methods.length === 1,
    5000,
    'the saved card listed',
  );
  expect(saved.methods[0]).toMatchObject({ label: 'visa', last4: '4242', isDefault: true });
  await autopayOn(client);

  const inv = await dueInvoice(client, '2033-02-10');
  // The hour before: nothing.
  expect(await autopay().runDue(new Date('2033-02-10T08:59:00Z'))).toBe(0);
  expect(offSessionCreates(inv.documentId)).toHaveLength(0);

  // Two instances at the same minute, and the cron on top: one claim, one charge.
  const now = new Date('2033-02-10T09:00:30Z');
  const other = autopayService({ strapi: env.app.strapi });
  const [a, b] = await Promise.all([autopay().runDue(now), other.runDue(now)]);
  expect(a + b).toBe(1);
  clock().setClock(() => now);
  expect(await autopay().runDue(now)).toBe(0);

  const rows = await attemptsOf(inv.row.id);
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ attemptNo: 0, status: 'succeeded' });
  const creates = offSessionCreates(inv.documentId);
  expect(creates).toHaveLength(1);
  expect(creates[0]!.params).toMatchObject({
    confirm: 'true',
    off_session: 'true',
    customer: saved.methods[0]!.customerId,
    payment_method: saved.methods[0]!.id,
  });
  const invoice = await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
    5000,
    'invoice paid by autopay',
  );
  expect(invoice.balanceDue).toBe(0);
  const audit = await env.app.strapi.db
    .query(AUDIT)
    .findMany({ where: { action: 'autopay.attempt', invoiceDocumentId: inv.documentId } });
  expect(audit).toHaveLength(1);
  expect(audit[0].outcome).toBe('ok');
  expect(audit[0].details).toMatchObject({ key: `autopay:${inv.documentId}:2033-02-10:0` });
  // The paid invoice is never charged again, whatever the clock says.
  expect(await autopay().runDue(new Date('2033-02-11T09:00:30Z'))).toBe(0);
  expect(offSessionCreates(inv.documentId)).toHaveLength(1);
});

it('a SEPA debit saved while paying is listed with its mandate reference, for the client and on the Autopay card', async () => {
  const client = await newClient('sepa');
  const inv = await payAndSave(client, 'pm_sepaDebit_success', 'EUR');
  const pid = (await env.app.strapi.db.query(PAYMENT).findOne({ where: { invoice: { id: inv.row.id } } }))
    .providerPaymentId as string;
  // The debit settles days later (https://docs.stripe.com/payments/sepa-debit); here on demand.
  env.standin.control.settleDelayed(pid);
  await eventually(
    () => readInvoice(env, inv.documentId),
    (row) => row.state === 'paid',
    10_000,
    'the SEPA-paid invoice paid',
  );
  const charge = await env.stripe.charges.list({ payment_intent: pid });
  const mandateId = String(charge.data[0].payment_method_details?.sepa_debit?.mandate);
  const mandate = await env.stripe.mandates.retrieve(mandateId);
  const reference = mandate.payment_method_details.sepa_debit?.reference;
  expect(reference).toMatch(/^[A-Z0-9]{16}$/);
  expect(mandate.type).toBe('multi_use');

  const saved = await eventually(
    () => savedMethods(client),
    (v) => v.methods.length === 1,
    5000,
    'the saved SEPA method listed',
  );
  expect(saved.methods[0]).toMatchObject({
    id: mandate.payment_method,
    type: 'sepa_debit',
    last4: '3201',
    mandate: { id: mandateId, reference },
  });
  const card = await http().get(`/invoice-payments/invoices/${inv.documentId}/autopay`).set(env.admin.auth);
  expect(card.status).toBe(200);
  expect(card.body.data.client.methods).toEqual([
    expect.objectContaining({ id: mandate.payment_method, mandate: { id: mandateId, reference } }),
  ]);
  // Cached per method: viewing the page again asks Stripe for no intents and no mandate.
  const lookups = () =>
    env.standin.control.requestLog('GET /v1/payment_intents').length +
    env.standin.control.requestLog('GET /v1/mandates/:id').length;
  const before = lookups();
  expect((await savedMethods(client)).methods[0].mandate).toEqual({ id: mandateId, reference });
  expect(lookups()).toBe(before);
});

it('an ACH bank account verified instantly and saved while paying is listed with its mandate, and autopay debits it under that mandate', async () => {
  // ACH Direct Debit with instant verification (Financial Connections, the default in Stripe's
  // hosted flows: https://docs.stripe.com/payments/ach-direct-debit/accept-a-payment): the debit
  // processes for days; saving it makes the mandate reusable (Mandate `multi_use`,
  // https://docs.stripe.com/api/mandates/object). ACH mandates have no reference of their own
  // (SDK 23.1.0 Mandate.PaymentMethodDetails.UsBankAccount): the mandate id is what is shown.
  const client = await newClient('ach');
  const inv = await payAndSave(client, 'pm_usBankAccount_success', 'USD');
  const pid = (await env.app.strapi.db.query(PAYMENT).findOne({ where: { invoice: { id: inv.row.id } } }))
    .providerPaymentId as string;
  expect((await env.app.strapi.db.query(PAYMENT).findOne({ where: { providerPaymentId: pid } })).status).toBe(
    'processing',
  );
  env.standin.control.settleDelayed(pid);
  await eventually(
    () => readInvoice(env, inv.documentId),
    (row) => row.state === 'paid',
    10_000,
    'the ACH-paid invoice paid',
  );
  const charge = (await env.stripe.charges.list({ payment_intent: pid })).data[0]!;
  const mandateId = String(charge.payment_method_details?.us_bank_account?.mandate);
  const mandate = await env.stripe.mandates.retrieve(mandateId);
  expect(mandate).toMatchObject({
    type: 'multi_use',
    status: 'active',
    payment_method_details: { type: 'us_bank_account' },
  });
  expect(mandate.customer_acceptance.type).toBe('online');
  const pm = await env.stripe.paymentMethods.retrieve(String(mandate.payment_method));
  // Verified instantly: the bank account came from a Financial Connections account.
  expect(pm.us_bank_account?.financial_connections_account).toMatch(/^fca_/);

  const saved = await eventually(
    () => savedMethods(client),
    (v) => v.methods.length === 1 && v.methods[0]!.mandate !== null,
    5000,
    'the saved ACH account listed with its mandate',
  );
  expect(saved.methods[0]).toMatchObject({
    id: pm.id,
    type: 'us_bank_account',
    label: 'STRIPE TEST BANK',
    last4: '6789',
    isDefault: true,
    mandate: { id: mandateId, reference: null },
  });
  const card = await http().get(`/invoice-payments/invoices/${inv.documentId}/autopay`).set(env.admin.auth);
  expect(card.status).toBe(200);
  expect(card.body.data.client.methods).toEqual([
    expect.objectContaining({ id: pm.id, mandate: { id: mandateId, reference: null } }),
  ]);
  // The client's page names the mandate the way the portal script does (public/src/saved-methods.ts).
  const listed = await http().get('/api/invoice-payments/saved-methods').set('Authorization', jwt(client.id));
  expect(listed.body.data.methods[0].mandate.id).toBe(mandateId);

  // Autopay debits the saved account off-session under the same mandate.
  await autopayOn(client);
  const next = await dueInvoice(client, '2036-05-12');
  expect(await autopay().runDue(new Date('2036-05-12T09:00:30Z'))).toBe(1);
  const [create] = offSessionCreates(next.documentId);
  expect(create?.params).toMatchObject({ customer: saved.methods[0]!.customerId, payment_method: pm.id });
  const [attempt] = await attemptsOf(next.row.id);
  expect(attempt).toMatchObject({ status: 'processing' });
  const debit = (await env.stripe.charges.list({ payment_intent: attempt!.providerPaymentId! })).data[0]!;
  expect(debit.payment_method_details?.us_bank_account?.mandate).toBe(mandateId);
});

it('a declined card is retried 1, 3 and 7 days after the due date, then autopay stops and tells admin and client', async () => {
  const client = await newClient('decliner');
  await payAndSave(client);
  const customerId = (await savedMethods(client)).methods[0]!.customerId;
  // The client's bank card on file now fails every charge (4000000000000341), made default by the client.
  const failing = await env.stripe.paymentMethods.attach('pm_card_chargeCustomerFail', { customer: customerId });
  const res = await http()
    .post(`/api/invoice-payments/saved-methods/${failing.id}/default`)
    .set('Authorization', jwt(client.id));
  expect(res.status).toBe(200);
  expect(res.body.data.methods.find((m: { isDefault: boolean }) => m.isDefault).last4).toBe('0341');
  await autopayOn(client);
  const email = `decline${Date.now()}@example.test`;
  const inv = await dueInvoice(client, '2034-05-10', email);

  let rows = await cronAt('2034-05-10T09:00:30Z', inv.row.id, 1);
  expect(rows[0]).toMatchObject({ attemptNo: 0, status: 'declined', code: 'generic_decline' });
  // Later that day, and the same minute again: nothing more.
  expect(await autopay().runDue(new Date('2034-05-10T09:00:30Z'))).toBe(0);
  expect(await autopay().runDue(new Date('2034-05-10T23:00:00Z'))).toBe(0);
  rows = await cronAt('2034-05-11T09:00:30Z', inv.row.id, 2);
  expect(await autopay().runDue(new Date('2034-05-12T09:00:30Z'))).toBe(0);
  rows = await cronAt('2034-05-13T09:00:30Z', inv.row.id, 3);
  expect(mailsTo(email)).toHaveLength(0);
  rows = await cronAt('2034-05-17T09:00:30Z', inv.row.id, 4);
  expect(rows.map((r) => [r.attemptNo, r.status])).toEqual([
    [0, 'declined'],
    [1, 'declined'],
    [2, 'declined'],
    [3, 'declined'],
  ]);
  // Four charges, each with its own deterministic key; then nothing more.
  expect(offSessionCreates(inv.documentId)).toHaveLength(4);
  expect(await autopay().runDue(new Date('2034-05-24T09:00:30Z'))).toBe(0);
  expect(offSessionCreates(inv.documentId)).toHaveLength(4);
  const client_ = await eventually(
    () => Promise.resolve(mailsTo(email)),
    (m) => m.length === 1,
    5000,
    'client told',
  );
  expect(client_[0]!.subject).toBe(`Automatic payment of invoice ${inv.row.number} failed`);
  await eventually(
    () => Promise.resolve(mailsTo('billing-admin@example.test').filter((m) => /Autopay stopped/.test(m.subject))),
    (m) => m.length === 1,
    5000,
    'admin told',
  );
  const audit = await eventually(
    () =>
      env.app.strapi.db.query(AUDIT).findMany({
        where: { action: 'autopay.attempt', invoiceDocumentId: inv.documentId },
        orderBy: { id: 'asc' },
      }),
    (rows) => rows.length >= 4,
    5000,
    'four attempts audited',
  );
  expect(audit.map((a: { outcome: string }) => a.outcome)).toEqual(['declined', 'declined', 'declined', 'declined']);
  expect(audit.map((a: { details: { key: string } }) => a.details.key)).toEqual(
    [0, 1, 2, 3].map((n) => `autopay:${inv.documentId}:2034-05-10:${n}`),
  );
  expect((await readInvoice(env, inv.documentId)).state).toBe('sent');
});

it('a bank asking for authentication gets the client an email with the pay link, and no retry', async () => {
  const client = await newClient('authn');
  await payAndSave(client);
  const customerId = (await savedMethods(client)).methods[0]!.customerId;
  // 4000002760003184: always requires authentication, off-session included.
  const card = await env.stripe.paymentMethods.attach('pm_card_authenticationRequired', { customer: customerId });
  await env.stripe.customers.update(customerId, { invoice_settings: { default_payment_method: card.id } });
  await autopayOn(client);
  const email = `authn${Date.now()}@example.test`;
  const inv = await dueInvoice(client, '2035-03-01', email);
  const rows = await cronAt('2035-03-01T09:00:30Z', inv.row.id, 1);
  expect(rows[0]).toMatchObject({ status: 'requires_action', code: 'authentication_required' });
  const mails = await eventually(
    () => Promise.resolve(mailsTo(email)),
    (m) => m.length === 1,
    5000,
    'pay link sent',
  );
  expect(mails[0]!.subject).toBe(`Please confirm the payment of invoice ${inv.row.number}`);
  expect(mails[0]!.raw.replace(/=\r?\n/g, '')).toContain(`/invoice-payments/pay/${inv.token}`);
  // Built like every email (branding/email.ts): an HTML part with the pay link as its button, and text.
  const parts = mimeParts(mails[0]!.raw);
  const html = parts.find((p) => p.contentType === 'text/html')!.body.toString('utf8');
  expect(html).toMatch(/<html lang="en">/);
  expect(html).toMatch(new RegExp(`<a href="[^"]*/invoice-payments/pay/${inv.token}"[^>]*>Pay or confirm online`));
  expect(parts.find((p) => p.contentType === 'text/plain')!.body.toString('utf8')).toContain(inv.token);
  expect(await autopay().runDue(new Date('2035-03-02T09:00:30Z'))).toBe(0);
  expect(await autopay().runDue(new Date('2035-03-08T09:00:30Z'))).toBe(0);
  expect(offSessionCreates(inv.documentId)).toHaveLength(1);
});

describe('a client paying by hand when autopay runs', () => {
  /** Every PaymentIntent made for the invoice (the drawer's and autopay's), in the order made. */
  const intentsFor = (documentId: string) =>
    env.standin.control
      .requestLog('POST /v1/payment_intents')
      .filter(
        (r) =>
          ((r.params as { metadata?: Record<string, string> }).metadata ?? {}).invoice_payments_invoice === documentId,
      );
  const auditOutcomes = async (documentId: string) =>
    (
      (await env.app.strapi.db.query(AUDIT).findMany({
        where: { action: 'autopay.attempt', invoiceDocumentId: documentId },
        orderBy: { id: 'asc' },
      })) as Array<{ outcome: string; details: Record<string, unknown> }>
    ).map((a) => [a.outcome, a.details.why ?? null]);
  /**
   * What Stripe holds for the invoice: the status of each PaymentIntent made for it (every one is
   * in the ledger or on an autopay attempt), checked against how many were created.
   */
  const stripeStatuses = async (documentId: string, invoiceId: number) => {
    const ledger = (await env.app.strapi.db
      .query(PAYMENT)
      .findMany({ where: { invoice: { id: invoiceId } }, select: ['providerPaymentId'] })) as Array<{
      providerPaymentId: string | null;
    }>;
    const ids = new Set(
      [
        ...ledger.map((r) => r.providerPaymentId),
        ...(await attemptsOf(invoiceId)).map((a) => a.providerPaymentId),
      ].filter((id): id is string => Boolean(id)),
    );
    expect(ids.size).toBe(intentsFor(documentId).length);
    return Promise.all([...ids].map(async (id) => (await env.stripe.paymentIntents.retrieve(id)).status));
  };

  /** The client opens the drawer of the due invoice's pay page and starts paying with `confirm`. */
  async function drawerPayment(inv: { documentId: string; token: string }) {
    const made = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    expect(made.status).toBe(200);
    return made.body.data.providerPaymentId as string;
  }
  const confirmHere = async (inv: { documentId: string; token: string }, pi: string) => {
    const res = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/confirm-payment`)
      .send({ token: inv.token, providerPaymentId: pi });
    expect(res.status).toBe(200);
    return res.body.data as { paymentStatus: string };
  };
  /** Starts a 3-D Secure step in the drawer and walks away from it; seen by the pay page. */
  async function walkAwayIn3ds(inv: { documentId: string; token: string }) {
    const pi = await drawerPayment(inv);
    await payWith(env, pi, 'pm_card_authenticationRequired');
    expect((await confirmHere(inv, pi)).paymentStatus).toBe('requires_action');
    return pi;
  }
  /** The 3-D Secure step was first seen waiting `minutes` ago (the abandonment clock is the real one). */
  const waitingSince = (pi: string, minutes: number) =>
    env.app.strapi.db
      .query(PAYMENT)
      .updateMany({ where: { providerPaymentId: pi }, data: { actionSince: new Date(Date.now() - minutes * 60_000) } });

  it('a 3-D Secure step abandoned longer than the setting is ended and autopay charges, once', async () => {
    const client = await newClient('abandon3ds');
    await payAndSave(client);
    await autopayOn(client);
    const inv = await dueInvoice(client, '2043-04-10');
    const pi = await walkAwayIn3ds(inv);
    // Abandoned: older than "abandonedAuthenticationMinutes" (10 by default).
    await waitingSince(pi, 11);

    const rows = await cronAt('2043-04-10T09:00:30Z', inv.row.id, 1);
    expect(rows[0]).toMatchObject({ attemptNo: 0, status: 'succeeded' });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('canceled');
    expect(offSessionCreates(inv.documentId)).toHaveLength(1);
    expect((await stripeStatuses(inv.documentId, inv.row.id)).sort()).toEqual(['canceled', 'succeeded']);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 0 });
    expect(await auditOutcomes(inv.documentId)).toEqual([['ok', null]]);
  });

  it('a fresh 3-D Secure step defers autopay; the next retry day charges once the client abandoned it', async () => {
    const client = await newClient('fresh3ds');
    await payAndSave(client);
    await autopayOn(client);
    const inv = await dueInvoice(client, '2044-04-10');
    const pi = await walkAwayIn3ds(inv);

    let rows = await cronAt('2044-04-10T09:00:30Z', inv.row.id, 1);
    expect(rows[0]).toMatchObject({ attemptNo: 0, status: 'deferred', code: 'payment_in_progress' });
    // The client may be confirming right now: left alone, nothing charged; not again that day.
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
    expect(await autopay().runDue(new Date('2044-04-10T22:00:00Z'))).toBe(0);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
    // The Autopay card shows the deferral and the next planned day.
    const card = await http().get(`/invoice-payments/invoices/${inv.documentId}/autopay`).set(env.admin.auth);
    expect(card.status).toBe(200);
    expect(card.body.data.attempts.map((a: { status: string }) => a.status)).toEqual(['deferred']);
    expect(card.body.data.next).toMatchObject({ attemptNo: 1, at: '2044-04-11T09:00:00.000Z' });

    // The client never came back: by the next retry day the step is abandoned, ended, and charged.
    await waitingSince(pi, 11);
    rows = await cronAt('2044-04-11T09:00:30Z', inv.row.id, 2);
    expect(rows.map((r) => [r.attemptNo, r.status])).toEqual([
      [0, 'deferred'],
      [1, 'succeeded'],
    ]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('canceled');
    expect(offSessionCreates(inv.documentId)).toHaveLength(1);
    expect((await stripeStatuses(inv.documentId, inv.row.id)).sort()).toEqual(['canceled', 'succeeded']);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 0 });
    expect(await auditOutcomes(inv.documentId)).toEqual([
      ['deferred', 'payment_in_progress'],
      ['ok', null],
    ]);
    // Paid: no later attempt.
    expect(await autopay().runDue(new Date('2044-04-13T09:00:30Z'))).toBe(0);
    expect(offSessionCreates(inv.documentId)).toHaveLength(1);
  });

  it('a payment still under way on the last retry day: autopay stops and tells the site, not the paying client', async () => {
    const client = await newClient('lastdefer');
    await payAndSave(client);
    await autopayOn(client);
    const email = `lastdefer${Date.now()}@example.test`;
    const inv = await dueInvoice(client, '2047-04-10', email);
    const pi = await walkAwayIn3ds(inv);
    // The client is at their 3-D Secure step at every run (its clock is the real one: fresh).
    await cronAt('2047-04-10T09:00:30Z', inv.row.id, 1);
    await cronAt('2047-04-11T09:00:30Z', inv.row.id, 2);
    await cronAt('2047-04-13T09:00:30Z', inv.row.id, 3);
    const adminStopped = () =>
      mailsTo('billing-admin@example.test').filter(
        (m) => m.subject === `Autopay stopped for invoice ${inv.row.number}`,
      );
    expect(adminStopped()).toHaveLength(0);
    const rows = await cronAt('2047-04-17T09:00:30Z', inv.row.id, 4);
    expect(rows.map((r) => [r.attemptNo, r.status])).toEqual([
      [0, 'deferred'],
      [1, 'deferred'],
      [2, 'deferred'],
      [3, 'deferred'],
    ]);
    const told = await eventually(
      () => Promise.resolve(adminStopped()),
      (m) => m.length === 1,
      5000,
      'the site told autopay stopped',
    );
    expect(told[0]!.raw.replace(/=\r?\n/g, '').replace(/\s+/g, ' ')).toContain(
      'a payment of the invoice was under way',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    // Once only, nothing charged, the client's payment left alone, and no autopay email to the client.
    expect(adminStopped()).toHaveLength(1);
    expect(mailsTo(email)).toHaveLength(0);
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('requires_action');
    expect(await autopay().runDue(new Date('2047-04-24T09:00:30Z'))).toBe(0);
    const audit = await auditOutcomes(inv.documentId);
    expect(audit).toHaveLength(4);
    expect(audit.every(([outcome]) => outcome === 'deferred')).toBe(true);
  });

  /** The client pays the due EUR invoice by SEPA Direct Debit in the drawer: processing for days. */
  async function sepaProcessing(client: { id: number; email: string }, dueDate: string, iban: string) {
    const inv = await payableInvoice(env, { customer: client.id, billingEmail: client.email, currency: 'EUR' });
    await env.app.strapi.db.query(INVOICE).update({ where: { id: inv.row.id }, data: { dueDate } });
    const pi = await drawerPayment(inv);
    const confirmed = await env.stripe.paymentIntents.confirm(pi, {
      payment_method_data: {
        type: 'sepa_debit',
        sepa_debit: { iban },
        billing_details: { name: 'Ada Client', email: client.email },
      },
      return_url: 'http://localhost/return',
    });
    expect(confirmed.status).toBe('processing');
    expect((await confirmHere(inv, pi)).paymentStatus).toBe('processing');
    return { inv, pi };
  }

  it('a bank debit processing defers autopay; when it fails later, the next retry day charges, once', async () => {
    const client = await newClient('sepafail');
    await payAndSave(client);
    await autopayOn(client);
    const { inv, pi } = await sepaProcessing(client, '2045-04-10', 'AT861904300235473202');

    let rows = await cronAt('2045-04-10T09:00:30Z', inv.row.id, 1);
    expect(rows[0]).toMatchObject({ attemptNo: 0, status: 'deferred', code: 'payment_in_progress' });
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
    expect((await env.stripe.paymentIntents.retrieve(pi)).status).toBe('processing');

    // Days later the bank refuses the debit: the balance is open again.
    env.standin.control.settleDelayed(pi, 'fail');
    await eventually(
      () => env.app.strapi.db.query(PAYMENT).findOne({ where: { providerPaymentId: pi } }),
      (p) => p?.status === 'failed',
      10_000,
      'the debit failed',
    );
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect((await readInvoice(env, inv.documentId)).balanceDue).toBeGreaterThan(0);

    rows = await cronAt('2045-04-11T09:00:30Z', inv.row.id, 2);
    expect(rows.map((r) => [r.attemptNo, r.status])).toEqual([
      [0, 'deferred'],
      [1, 'succeeded'],
    ]);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(offSessionCreates(inv.documentId)).toHaveLength(1);
    expect(offSessionCreates(inv.documentId)[0]!.params).toMatchObject({ currency: 'eur' });
    expect((await stripeStatuses(inv.documentId, inv.row.id)).filter((s) => s === 'succeeded')).toHaveLength(1);
    expect(await readInvoice(env, inv.documentId)).toMatchObject({ state: 'paid', balanceDue: 0, amountRefunded: 0 });
    expect(await auditOutcomes(inv.documentId)).toEqual([
      ['deferred', 'payment_in_progress'],
      ['ok', null],
    ]);
    expect(await autopay().runDue(new Date('2045-04-17T09:00:30Z'))).toBe(0);
    expect(offSessionCreates(inv.documentId)).toHaveLength(1);
  });

  it('a bank debit processing that succeeds pays the invoice: autopay never charges it', async () => {
    const client = await newClient('sepaok');
    await payAndSave(client);
    await autopayOn(client);
    const { inv, pi } = await sepaProcessing(client, '2046-04-10', 'AT611904300234573201');
    const rows = await cronAt('2046-04-10T09:00:30Z', inv.row.id, 1);
    expect(rows[0]).toMatchObject({ attemptNo: 0, status: 'deferred' });
    env.standin.control.settleDelayed(pi, 'succeed');
    await eventually(
      () => readInvoice(env, inv.documentId),
      (i) => i.state === 'paid',
      10_000,
      'paid by the debit',
    );
    for (const day of ['2046-04-11', '2046-04-13', '2046-04-17'])
      expect(await autopay().runDue(new Date(`${day}T09:00:30Z`))).toBe(0);
    await waitForIdle(env.app.strapi, 10_000, env.standin);
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
    expect(await attemptsOf(inv.row.id)).toHaveLength(1);
  });
});

describe('refusals: never a charge', () => {
  it("another client's saved method cannot be made default or removed (404), and nothing changes at Stripe", async () => {
    const alice = await newClient('alice');
    const mallory = await newClient('mallory');
    await payAndSave(alice);
    await payAndSave(mallory);
    const aliceCard = (await savedMethods(alice)).methods[0]!;
    const before = env.standin.control.requestLog('POST /v1/customers/:id').length;
    for (const req of [
      http().post(`/api/invoice-payments/saved-methods/${aliceCard.id}/default`),
      http().delete(`/api/invoice-payments/saved-methods/${aliceCard.id}`),
    ]) {
      const res = await req.set('Authorization', jwt(mallory.id));
      expect(res.status).toBe(404);
      expect(res.body.error.message).toBe('No such saved payment method.');
    }
    expect(env.standin.control.requestLog('POST /v1/customers/:id')).toHaveLength(before);
    expect(env.standin.control.requestLog('POST /v1/payment_methods/:id/detach')).toHaveLength(0);
    expect((await savedMethods(alice)).methods).toHaveLength(1);
    // Without a login: 401 with a message.
    const anonymous = await http().get('/api/invoice-payments/saved-methods');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error.message).toMatch(/Log in/);
  });

  it('a removed (detached) method and an expired card are refused before any charge', async () => {
    const client = await newClient('removed');
    await payAndSave(client);
    await autopayOn(client);
    const card = (await savedMethods(client)).methods[0]!;
    const del = await http()
      .delete(`/api/invoice-payments/saved-methods/${card.id}`)
      .set('Authorization', jwt(client.id));
    expect(del.status).toBe(200);
    expect(del.body.data.methods).toEqual([]);
    const inv = await dueInvoice(client, '2036-01-05');
    let rows = await cronAt('2036-01-05T09:00:30Z', inv.row.id, 1);
    expect(rows[0]).toMatchObject({ status: 'refused', code: 'no_saved_method' });

    const second = await newClient('expired');
    await payAndSave(second);
    await autopayOn(second);
    const saved = (await savedMethods(second)).methods[0]!;
    await env.stripe.rawRequest('POST', `/v1/test_helpers/payment_methods/${saved.id}/expire`, {});
    const inv2 = await dueInvoice(second, '2036-01-05');
    rows = await cronAt('2036-01-05T09:01:30Z', inv2.row.id, 1);
    expect(rows[0]).toMatchObject({ status: 'refused', code: 'method_expired' });
    expect(offSessionCreates(inv.documentId)).toHaveLength(0);
    expect(offSessionCreates(inv2.documentId)).toHaveLength(0);
    // Written right after the attempt row is finished (the cron may still be on it).
    const audit = await eventually(
      () =>
        env.app.strapi.db
          .query(AUDIT)
          .findMany({ where: { action: 'autopay.attempt', invoiceDocumentId: inv2.documentId } }),
      (rows) => rows.length >= 1,
      5000,
      'the refusal audited',
    );
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ outcome: 'refused' });
    // Making an expired card the default is refused too.
    const res = await http()
      .post(`/api/invoice-payments/saved-methods/${saved.id}/default`)
      .set('Authorization', jwt(second.id));
    expect(res.status).toBe(409);
  });

  it('void and paid invoices are never charged, nor invoices of clients without autopay', async () => {
    const client = await newClient('voidpaid');
    await payAndSave(client);
    const off = await newClient('noautopay');
    await payAndSave(off);
    await autopayOn(client);
    const voided = await dueInvoice(client, '2037-04-04');
    await http()
      .post(`/invoice-payments/invoices/${voided.documentId}/void`)
      .set(env.admin.auth)
      .send({ reason: 'Sent by mistake' })
      .expect(200);
    const paid = await dueInvoice(client, '2037-04-04');
    await http()
      .post(`/invoice-payments/invoices/${paid.documentId}/manual-payments`)
      .set(env.admin.auth)
      .send({ method: 'check', reference: 'T-1' })
      .expect(201);
    const notOn = await dueInvoice(off, '2037-04-04');
    expect((await readInvoice(env, paid.documentId)).state).toBe('paid');
    expect(await autopay().runDue(new Date('2037-04-04T09:00:30Z'))).toBe(0);
    for (const inv of [voided, paid, notOn]) {
      expect(await attemptsOf(inv.row.id)).toEqual([]);
      expect(offSessionCreates(inv.documentId)).toHaveLength(0);
      expect(await env.app.strapi.db.query(PAYMENT).count({ where: { invoice: { id: inv.row.id } } })).toBe(
        inv === paid ? 1 : 0,
      );
    }
  });

  it('the drawer cannot save a method for an invoice without a client, and bad input is a 400', async () => {
    const customersBefore = env.standin.control.requestLog('POST /v1/customers').length;
    const inv = await payableInvoice(env, {});
    const intent = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .send({ token: inv.token });
    const pid = intent.body.data.providerPaymentId as string;
    const res = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/save-method`)
      .send({ token: inv.token, providerPaymentId: pid, save: true });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not linked to a client account/);
    const bad = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/save-method`)
      .send({ token: inv.token, providerPaymentId: pid, save: 'yes' });
    expect(bad.status).toBe(400);
    expect(env.standin.control.requestLog('POST /v1/customers')).toHaveLength(customersBefore);
    expect(env.standin.control.requestLog('POST /v1/payment_intents/:id').filter((r) => r.path.endsWith(pid))).toEqual(
      [],
    );
  });
});

describe("the client's Stripe customer", () => {
  const CLIENT_ACCOUNT = 'plugin::invoice-payments.client-account';
  const INSTALLATION = 'plugin_invoice-payments_installation';
  interface CustomersApi {
    ensureCustomer(userId: number, provider: unknown): Promise<string>;
  }
  const saved = () => env.app.strapi.plugin('invoice-payments').service('saved-methods') as unknown as CustomersApi;
  const forgetCustomer = (userId: number) =>
    env.app.strapi.db.query(CLIENT_ACCOUNT).updateMany({ where: { userId }, data: { providerCustomerId: null } });
  const installationRows = () =>
    env.app.strapi.db.query('strapi::core-store').findMany({ where: { key: INSTALLATION } }) as Promise<
      Array<{ value: string }>
    >;

  it("is made under a key of this site: a retry gets the same customer, another site's client with the same id its own", async () => {
    const provider = await env.app.strapi.plugin('invoice-payments').service('providers').forNewPayments();
    // Made once at startup and kept: the key's site part.
    const [installation] = await installationRows();
    expect(JSON.parse(installation!.value)).toMatch(/^[A-Za-z0-9_]{16}$/);
    const client = await newClient('twosites');
    const first = await saved().ensureCustomer(client.id, provider);
    expect(await installationRows()).toHaveLength(1);

    // The answer was lost before it was stored: the same request again, and Stripe's first customer.
    await forgetCustomer(client.id);
    expect(await saved().ensureCustomer(client.id, provider)).toBe(first);

    // The site reinstalled (or another site on the same Stripe account): a new installation whose
    // client has the same database id and other details gets a customer of its own, never this one
    // (Stripe keeps idempotency keys per account: https://docs.stripe.com/api/idempotent_requests).
    await env.app.strapi.db.query('strapi::core-store').deleteMany({ where: { key: INSTALLATION } });
    await forgetCustomer(client.id);
    await env.app.strapi.db
      .query('plugin::users-permissions.user')
      .update({ where: { id: client.id }, data: { email: `other-site-${client.id}@example.test` } });
    const other = await saved().ensureCustomer(client.id, provider);
    expect(other).not.toBe(first);
    const made = (await env.stripe.customers.retrieve(other)) as { email: string | null };
    expect(made.email).toBe(`other-site-${client.id}@example.test`);
    const [fresh] = await installationRows();
    expect(fresh!.value).not.toBe(installation!.value);
  });
});
