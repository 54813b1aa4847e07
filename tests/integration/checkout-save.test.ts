import { bootPayments, eventually, payableInvoice, readInvoice, type PaymentsEnv } from '../support/payments';
import { autopayHelpers } from '../support/autopay';
import { waitForIdle } from '../support/idle';

/**
 * Stripe Checkout offers "save this method for future invoices" as the payment drawer does
 * (services/payments checkoutSaving): on the logged-in client's own page the session carries the
 * client's Stripe Customer and `saved_payment_method_options.payment_method_save: enabled`, so
 * Checkout shows its own optional checkbox (https://docs.stripe.com/payments/checkout/save-during-payment).
 * A ticked box saves the method to the client's customer: the portal lists it and autopay charges
 * it on the due date. A pay link (which can be forwarded) never offers it, and never gets the
 * client's session.
 */
let env: PaymentsEnv;

interface AutopayApi {
  runDue(now?: Date): Promise<number>;
}
const autopay = () => env.app.strapi.plugin('invoice-payments').service('autopay') as unknown as AutopayApi;

beforeAll(async () => {
  env = await bootPayments({
    settings: {
      reminders: { enabled: false, beforeDays: [3], onDueDate: true, afterDays: [7], timeZone: 'UTC', sendHour: 9 },
      autopay: { enabled: true, retryDays: [1, 3, 7], chargeHour: 9 },
    },
  });
});
afterAll(async () => {
  await env?.close();
});

const { http, jwt, newClient, savedMethods, autopayOn, dueInvoice, attemptsOf, offSessionCreates } = autopayHelpers(
  () => env,
);

type Params = Record<string, unknown> & {
  customer?: string;
  customer_email?: string;
  saved_payment_method_options?: { payment_method_save?: string };
  custom_text?: { submit?: { message?: string } };
  payment_intent_data?: { setup_future_usage?: string };
};
const sessionParams = () => env.standin.control.requestLog('POST /v1/checkout/sessions').map((r) => r.params as Params);

/** Checkout from the client's own page (logged in, no pay-link token). */
const checkoutAsClient = (documentId: string, userId: number) =>
  http()
    .post(`/api/invoice-payments/invoices/${documentId}/checkout-session`)
    .set('Authorization', jwt(userId))
    .send({ uiMode: 'hosted' });
const checkoutByLink = (documentId: string, token: string) =>
  http().post(`/api/invoice-payments/invoices/${documentId}/checkout-session`).send({ token, uiMode: 'hosted' });

it('a card saved on Checkout by the logged-in client is listed in the portal and charged by autopay on the due date', async () => {
  const client = await newClient('cosaver');
  const inv = await payableInvoice(env, { customer: client.id, billingEmail: 'payer@example.test' });

  const before = sessionParams().length;
  const made = await checkoutAsClient(inv.documentId, client.id);
  expect(made.status).toBe(200);
  const sessionId = made.body.data.checkoutSessionId as string;
  const sent = sessionParams().slice(before);
  expect(sent).toHaveLength(1);
  const customerId = sent[0]!.customer!;
  expect(customerId).toMatch(/^cus_/);
  expect(sent[0]).toMatchObject({ saved_payment_method_options: { payment_method_save: 'enabled' } });
  // Checkout prefills the email from the Customer; the drawer's hint says what saving means.
  expect(sent[0]!.customer_email).toBeUndefined();
  expect(sent[0]!.custom_text?.submit?.message).toMatch(/invoices are charged on their due date/);
  // Saving stays the client's choice: never setup_future_usage, which saves whatever is ticked.
  expect(sent[0]!.payment_intent_data?.setup_future_usage).toBeUndefined();
  const session = await env.stripe.checkout.sessions.retrieve(sessionId);
  expect(session.customer).toBe(customerId);
  expect(session.saved_payment_method_options?.payment_method_save).toBe('enabled');

  // The client's hosted Checkout page shows Stripe's checkbox.
  const page = await fetch(made.body.data.url as string);
  expect(await page.text()).toContain('id="save"');

  // Asked again, the same session comes back (one live attempt per invoice).
  const again = await checkoutAsClient(inv.documentId, client.id);
  expect(again.body.data).toMatchObject({ checkoutSessionId: sessionId, reused: true });

  // The client ticks the box and pays.
  env.standin.control.completeCheckout(sessionId, { payment_method: 'pm_card_visa', save: true });
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
    5000,
    'the invoice paid through Checkout',
  );
  const listed = await eventually(
    () => savedMethods(client),
    (v) => v.methods.length === 1,
    5000,
    'the card saved on Checkout listed in the portal',
  );
  expect(listed.methods[0]).toMatchObject({ type: 'card', label: 'visa', last4: '4242', isDefault: true, customerId });
  const pm = await env.stripe.paymentMethods.retrieve(listed.methods[0]!.id);
  expect(pm.allow_redisplay).toBe('always');

  // Autopay charges it off-session on the due date of the next invoice.
  await autopayOn(client);
  const next = await dueInvoice(client, '2035-04-10');
  expect(await autopay().runDue(new Date('2035-04-10T09:00:30Z'))).toBe(1);
  expect(await attemptsOf(next.row.id)).toEqual([expect.objectContaining({ attemptNo: 0, status: 'succeeded' })]);
  expect(offSessionCreates(next.documentId).map((r) => r.params)).toEqual([
    expect.objectContaining({ customer: customerId, payment_method: listed.methods[0]!.id, off_session: 'true' }),
  ]);
  await eventually(
    () => readInvoice(env, next.documentId),
    (i) => i.state === 'paid',
    5000,
    'the next invoice paid by autopay',
  );
});

it('an unticked box saves nothing', async () => {
  const client = await newClient('conosave');
  const inv = await payableInvoice(env, { customer: client.id });
  const made = await checkoutAsClient(inv.documentId, client.id);
  expect(made.status).toBe(200);
  env.standin.control.completeCheckout(made.body.data.checkoutSessionId as string, { payment_method: 'pm_card_visa' });
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect((await savedMethods(client)).methods).toEqual([]);
});

it("a pay link never offers saving, and never gets the client's session (nor the client the link's)", async () => {
  const client = await newClient('colink');
  const inv = await payableInvoice(env, { customer: client.id });
  const before = sessionParams().length;

  const byLink = await checkoutByLink(inv.documentId, inv.token);
  expect(byLink.status).toBe(200);
  const linkParams = sessionParams().slice(before);
  expect(linkParams).toHaveLength(1);
  expect(linkParams[0]!.customer).toBeUndefined();
  expect(linkParams[0]!.saved_payment_method_options).toBeUndefined();
  const linkPage = await fetch(byLink.body.data.url as string);
  expect(await linkPage.text()).not.toContain('id="save"');

  // The client, logged in: a session that offers saving, the link's ended.
  const mine = await checkoutAsClient(inv.documentId, client.id);
  expect(mine.status).toBe(200);
  expect(mine.body.data.checkoutSessionId).not.toBe(byLink.body.data.checkoutSessionId);
  expect(sessionParams().slice(before)).toHaveLength(2);
  expect((await env.stripe.checkout.sessions.retrieve(byLink.body.data.checkoutSessionId)).status).toBe('expired');

  // The link again (forwarded to someone else): the client's session is ended, not handed out.
  const linkAgain = await checkoutByLink(inv.documentId, inv.token);
  expect(linkAgain.status).toBe(200);
  expect(linkAgain.body.data.checkoutSessionId).not.toBe(mine.body.data.checkoutSessionId);
  const third = sessionParams().slice(before)[2]!;
  expect(third.customer).toBeUndefined();
  expect((await env.stripe.checkout.sessions.retrieve(mine.body.data.checkoutSessionId)).status).toBe('expired');
  // And its holder cannot tick a box the session does not show.
  expect(() =>
    env.standin.control.completeCheckout(linkAgain.body.data.checkoutSessionId as string, {
      payment_method: 'pm_card_visa',
      save: true,
    }),
  ).toThrow(/does not offer to save/);
  expect((await savedMethods(client)).methods).toEqual([]);
});

/** The drawer (Payment Element): from the client's own page, or through a pay link. */
const intentAsClient = (documentId: string, userId: number) =>
  http().post(`/api/invoice-payments/invoices/${documentId}/payment-intent`).set('Authorization', jwt(userId)).send({});
const intentByLink = (documentId: string, token: string) =>
  http().post(`/api/invoice-payments/invoices/${documentId}/payment-intent`).send({ token });
const tickSave = (documentId: string, userId: number, providerPaymentId: string) =>
  http()
    .post(`/api/invoice-payments/invoices/${documentId}/save-method`)
    .set('Authorization', jwt(userId))
    .send({ providerPaymentId, save: true });

it("the drawer's saving payment is never handed to a pay link, and the client never gets the link's", async () => {
  const client = await newClient('pelink');
  const inv = await payableInvoice(env, { customer: client.id });

  // The client opens the drawer and ticks "save": the payment now saves to the client's customer.
  const mine = await intentAsClient(inv.documentId, client.id);
  expect(mine.status).toBe(200);
  const mineId = mine.body.data.providerPaymentId as string;
  expect((await tickSave(inv.documentId, client.id, mineId)).status).toBe(200);
  const saving = await env.stripe.paymentIntents.retrieve(mineId);
  expect(saving.customer).toMatch(/^cus_/);
  expect(saving.setup_future_usage).toBe('off_session');

  // The pay link (forwarded to someone else): another payment, saving nothing; the client's is ended.
  const byLink = await intentByLink(inv.documentId, inv.token);
  expect(byLink.status).toBe(200);
  expect(byLink.body.data.providerPaymentId).not.toBe(mineId);
  expect(byLink.body.data.clientSecret).not.toBe(mine.body.data.clientSecret);
  const linkPi = await env.stripe.paymentIntents.retrieve(byLink.body.data.providerPaymentId as string);
  expect(linkPi.customer).toBeNull();
  expect(linkPi.setup_future_usage).toBeNull();
  expect((await env.stripe.paymentIntents.retrieve(mineId)).status).toBe('canceled');

  // The reverse: the client, logged in, never gets the link's payment (the box would turn it into a
  // saving one in the link holder's hands); the link's is ended.
  const again = await intentAsClient(inv.documentId, client.id);
  expect(again.status).toBe(200);
  expect(again.body.data.providerPaymentId).not.toBe(linkPi.id);
  expect(again.body.data.clientSecret).not.toBe(byLink.body.data.clientSecret);
  expect((await env.stripe.paymentIntents.retrieve(linkPi.id)).status).toBe('canceled');
  // Each keeps its own payment when it asks again.
  const sameAgain = await intentAsClient(inv.documentId, client.id);
  expect(sameAgain.body.data.providerPaymentId).toBe(again.body.data.providerPaymentId);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
});

it('a payment made on a pay link is never saved to the client, even by the client logged in: 409, nothing changed', async () => {
  const client = await newClient('linksave');
  const inv = await payableInvoice(env, { customer: client.id });
  // The client opens their own pay link (or one forwarded to them) and pays there; then, logged in,
  // asks to save that payment's method.
  const byLink = await intentByLink(inv.documentId, inv.token);
  expect(byLink.status).toBe(200);
  const linkId = byLink.body.data.providerPaymentId as string;
  const customersBefore = env.standin.control.requestLog('POST /v1/customers').length;
  const updatesBefore = env.standin.control.requestLog('POST /v1/payment_intents/:id').length;
  const readsBefore = env.standin.control.requestLog('GET /v1/payment_intents/:id').length;
  const auditBefore = await env.app.strapi.db.query('plugin::invoice-payments.audit-entry').count();
  const accountsBefore = await env.app.strapi.db.query('plugin::invoice-payments.client-account').count();

  const res = await tickSave(inv.documentId, client.id, linkId);
  expect(res.status).toBe(409);
  expect(res.body.error.name).toBe('PaymentNotFromAccountPage');
  expect(res.body.error.message).toMatch(/^Save a method when paying from your account page/);
  // At most one provider read, nothing written there nor here.
  expect(env.standin.control.requestLog('GET /v1/payment_intents/:id').length - readsBefore).toBeLessThanOrEqual(1);
  expect(env.standin.control.requestLog('POST /v1/customers')).toHaveLength(customersBefore);
  expect(env.standin.control.requestLog('POST /v1/payment_intents/:id')).toHaveLength(updatesBefore);
  expect(await env.app.strapi.db.query('plugin::invoice-payments.audit-entry').count()).toBe(auditBefore);
  expect(await env.app.strapi.db.query('plugin::invoice-payments.client-account').count()).toBe(accountsBefore);
  const pi = await env.stripe.paymentIntents.retrieve(linkId);
  expect(pi.customer).toBeNull();
  expect(pi.setup_future_usage ?? null).toBeNull();
  // Unticking is refused the same way (the box never belonged to that payment).
  const off = await http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/save-method`)
    .set('Authorization', jwt(client.id))
    .send({ providerPaymentId: linkId, save: false });
  expect(off.status).toBe(409);

  // Paid, the card is not attached to any customer and nothing is listed for the client.
  await env.stripe.paymentIntents.confirm(linkId, { payment_method: 'pm_card_visa' });
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
    5000,
    'the pay-link payment booked',
  );
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(env.standin.control.requestLog('POST /v1/payment_methods/:id/attach')).toHaveLength(0);
  const paid = await env.stripe.paymentIntents.retrieve(linkId);
  expect(paid.customer).toBeNull();
  if (typeof paid.payment_method === 'string') {
    expect((await env.stripe.paymentMethods.retrieve(paid.payment_method)).customer).toBeNull();
  }
  expect((await savedMethods(client)).methods).toEqual([]);
});

it("a payment made on the client's own page still saves its method", async () => {
  const client = await newClient('ownsave');
  const inv = await payableInvoice(env, { customer: client.id });
  const mine = await intentAsClient(inv.documentId, client.id);
  expect(mine.status).toBe(200);
  const pid = mine.body.data.providerPaymentId as string;
  const res = await tickSave(inv.documentId, client.id, pid);
  expect(res.status).toBe(200);
  expect(res.body.data).toEqual({ saving: true });
  await env.stripe.paymentIntents.confirm(pid, { payment_method: 'pm_card_visa' });
  const listed = await eventually(
    () => savedMethods(client),
    (v) => v.methods.length === 1,
    5000,
    'the card saved on the own page listed in the portal',
  );
  expect(listed.methods[0]).toMatchObject({ type: 'card', last4: '4242' });
});
