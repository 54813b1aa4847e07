import { bootPayments, eventually, payableInvoice, payWith, readInvoice, type PaymentsEnv } from '../support/payments';
import { waitForIdle } from '../support/idle';

/**
 * Payment emails go through an outbox (`notice` rows written with the settlement): the settling
 * process sends them at once, and the worker sends what it could not (SMTP down, or a crash between
 * commit and send, see tests/faults/process-killed.test.ts), once, after `retryAfterMs`.
 */
let env: PaymentsEnv;
const NOTICE = 'plugin::invoice-payments.notice';
const AUDIT = 'plugin::invoice-payments.audit-entry';

beforeAll(async () => {
  env = await bootPayments({ env: { NOTICE_RETRY_AFTER_MS: '600', NOTICE_MAX_ATTEMPTS: '3' } });
});
afterAll(async () => {
  await env?.close();
});

async function pay(email: string) {
  const inv = await payableInvoice(env, { billingEmail: email });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  await payWith(env, res.body.data.providerPaymentId as string, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
  );
  return inv;
}
const mailsTo = (email: string) => env.smtp.mails.filter((m) => m.to.includes(email));
const noticesFor = async (email: string) => {
  const payments = await env.app.strapi.db
    .query('plugin::invoice-payments.payment')
    .findMany({ where: { invoice: { billingEmail: email } } });
  return env.app.strapi.db
    .query(NOTICE)
    .findMany({ where: { paymentId: { $in: payments.map((p: { id: number }) => p.id) } } });
};

it('sent at once when the mail server answers: one email, the outbox row marked sent', async () => {
  await pay('outbox-ok@example.test');
  const [mail] = await eventually(
    async () => mailsTo('outbox-ok@example.test'),
    (m) => m.length === 1,
  );
  const [notice] = await eventually(
    () => noticesFor('outbox-ok@example.test'),
    (n) => n.length === 1 && n[0].status === 'sent',
  );
  expect(notice).toMatchObject({ kind: 'confirmation', status: 'sent', attempts: 1, lastError: null });
  // A stable Message-ID: a resend after a crash is recognisably the same email.
  expect(mail!.raw).toMatch(
    new RegExp(`^Message-ID: <invoice-payments\\.confirmation\\.${notice.paymentId}\\.${notice.id}@`, 'mi'),
  );
});

it('mail server down while the payment settles: the invoice is paid, the email goes out once the server is back', async () => {
  env.smtp.failing(true);
  try {
    await pay('outbox-later@example.test');
    // The first try failed and was recorded; the invoice is paid regardless. (The claim counts the
    // attempt before the hand-off, so the wait is for the recorded error, not the count.)
    const [failed] = await eventually(
      () => noticesFor('outbox-later@example.test'),
      (n) => n.length === 1 && n[0].attempts >= 1 && n[0].lastError !== null,
    );
    expect(failed.status).toBe('due');
    expect(failed.lastError).toMatch(/Temporary failure/);
    expect(mailsTo('outbox-later@example.test')).toHaveLength(0);
  } finally {
    env.smtp.failing(false);
  }
  // The worker retries after retryAfterMs (doubling): exactly one email, then nothing more.
  await eventually(
    async () => mailsTo('outbox-later@example.test'),
    (m) => m.length === 1,
    10_000,
  );
  const [sent] = await eventually(
    () => noticesFor('outbox-later@example.test'),
    (n) => n[0].status === 'sent',
  );
  expect(sent.attempts).toBeGreaterThanOrEqual(2);
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(mailsTo('outbox-later@example.test')).toHaveLength(1);
  const audits = await eventually(
    () => env.app.strapi.db.query(AUDIT).findMany({ where: { action: 'email.confirmation' } }),
    (all) => all.some((a: { details: { paymentId: number } }) => a.details.paymentId === sent.paymentId),
  );
  expect(audits.filter((a: { details: { paymentId: number } }) => a.details.paymentId === sent.paymentId)).toHaveLength(
    1,
  );
});

it('a mail server that never recovers: given up after maxAttempts, recorded in the audit log, no email', async () => {
  env.smtp.failing(true);
  try {
    await pay('outbox-never@example.test');
    const [gaveUp] = await eventually(
      () => noticesFor('outbox-never@example.test'),
      (n) => n.length === 1 && n[0].status === 'failed',
      15_000,
    );
    expect(gaveUp.attempts).toBe(3);
    // The audit entry is written right after the row is closed: wait for it rather than race it.
    const mine = (audits: Array<{ details: { paymentId: number } }>) =>
      audits.filter((a) => a.details.paymentId === gaveUp.paymentId);
    const audits = await eventually(
      () => env.app.strapi.db.query(AUDIT).findMany({ where: { action: 'email.failed' } }),
      (all) => mine(all).length > 0,
    );
    expect(mine(audits)).toHaveLength(1);
  } finally {
    env.smtp.failing(false);
  }
  await waitForIdle(env.app.strapi, 10_000, env.standin);
  expect(mailsTo('outbox-never@example.test')).toHaveLength(0);
});

it('a payment with no billing address: the outbox row is closed as skipped, never retried', async () => {
  const inv = await payableInvoice(env);
  await env.app.strapi.db
    .query('plugin::invoice-payments.invoice')
    .update({ where: { documentId: inv.documentId }, data: { billingEmail: null } });
  const res = await env.app
    .http()
    .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
    .send({ token: inv.token });
  await payWith(env, res.body.data.providerPaymentId as string, 'pm_card_visa');
  await eventually(
    () => readInvoice(env, inv.documentId),
    (i) => i.state === 'paid',
  );
  const payment = await env.app.strapi.db
    .query('plugin::invoice-payments.payment')
    .findOne({ where: { invoice: { documentId: inv.documentId } } });
  const notices = await eventually(
    () => env.app.strapi.db.query(NOTICE).findMany({ where: { paymentId: payment.id } }),
    (n) => n.length === 1 && n[0].status !== 'due',
  );
  expect(notices[0]).toMatchObject({ status: 'skipped', attempts: 1 });
});
