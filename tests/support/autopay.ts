import { eventually, payableInvoice, payWith, type PaymentsEnv } from './payments';

/** Shared by the autopay integration tests: clients, saving a card while paying, the fake-clock cron. */
const ATTEMPT = 'plugin::invoice-payments.autopay-attempt';
const INVOICE = 'plugin::invoice-payments.invoice';

interface ClockApi {
  setClock(now: (() => Date) | null): void;
}

export function autopayHelpers(env: () => PaymentsEnv) {
  const clock = () => env().app.strapi.plugin('invoice-payments').service('reminders') as unknown as ClockApi;
  const http = () => env().app.http();
  const up = () => env().app.strapi.plugin('users-permissions');
  const jwt = (id: number) => `Bearer ${up().service('jwt').issue({ id }) as string}`;

  async function newClient(name: string) {
    const role = await env()
      .app.strapi.db.query('plugin::users-permissions.role')
      .findOne({ where: { type: 'authenticated' } });
    const user = (await env()
      .app.strapi.db.query('plugin::users-permissions.user')
      .create({
        data: {
          username: `${name}${Date.now()}`,
          email: `${name}${Date.now()}@example.test`,
          provider: 'local',
          confirmed: true,
          role: role.id,
        },
      })) as { id: number; email: string };
    return user;
  }

  /** Pays an invoice of `client` in the drawer of their own (logged-in) page with "Save for future invoices" ticked. */
  async function payAndSave(client: { id: number }, alias = 'pm_card_visa', currency?: string) {
    const inv = await payableInvoice(env(), { customer: client.id, billingEmail: 'payer@example.test', currency });
    // On the client's own page (logged in, no pay-link token): only such a payment may save.
    const intent = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/payment-intent`)
      .set('Authorization', jwt(client.id))
      .send({});
    expect(intent.status).toBe(200);
    const pid = intent.body.data.providerPaymentId as string;
    const save = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/save-method`)
      .set('Authorization', jwt(client.id))
      .send({ providerPaymentId: pid, save: true });
    expect(save.status).toBe(200);
    await payWith(env(), pid, alias);
    const confirm = await http()
      .post(`/api/invoice-payments/invoices/${inv.documentId}/confirm-payment`)
      .set('Authorization', jwt(client.id))
      .send({ providerPaymentId: pid });
    expect(confirm.status).toBe(200);
    return inv;
  }

  const savedMethods = async (client: { id: number }) => {
    const res = await http().get('/api/invoice-payments/saved-methods').set('Authorization', jwt(client.id));
    expect(res.status).toBe(200);
    return res.body.data as {
      supported: boolean;
      methods: Array<{
        id: string;
        type: string;
        label: string;
        last4: string;
        isDefault: boolean;
        customerId: string;
        mandate: { id: string; reference: string | null } | null;
      }>;
    };
  };

  async function autopayOn(client: { id: number }) {
    const res = await http()
      .put(`/invoice-payments/clients/${client.id}/autopay`)
      .set(env().admin.auth)
      .send({ enabled: true });
    expect(res.status).toBe(200);
    expect(res.body.data.autopayEnabled).toBe(true);
  }

  /** An open invoice of `client` due on `dueDate`. */
  async function dueInvoice(client: { id: number; email: string }, dueDate: string, billingEmail = client.email) {
    const inv = await payableInvoice(env(), { customer: client.id, billingEmail });
    await env()
      .app.strapi.db.query(INVOICE)
      .update({ where: { id: inv.row.id }, data: { dueDate } });
    return inv;
  }

  const attemptsOf = (invoiceId: number) =>
    env()
      .app.strapi.db.query(ATTEMPT)
      .findMany({ where: { invoiceId }, orderBy: { attemptNo: 'asc' } }) as Promise<
      Array<{ attemptNo: number; status: string; code: string | null; providerPaymentId: string | null }>
    >;
  const offSessionCreates = (documentId: string) =>
    env()
      .standin.control.requestLog('POST /v1/payment_intents')
      .filter(
        (r) =>
          (r.params as Record<string, unknown>).off_session === 'true' &&
          ((r.params as { metadata?: Record<string, string> }).metadata ?? {}).invoice_payments_invoice === documentId,
      );
  const mailsTo = (email: string) => env().smtp.mails.filter((m) => m.to.includes(email));

  /** Moves the fake clock to `iso` and waits for the cron (every second) to make `count` attempts. */
  async function cronAt(iso: string, invoiceId: number, count: number) {
    const now = new Date(iso);
    clock().setClock(() => now);
    return eventually(
      () => attemptsOf(invoiceId),
      (rows) => rows.length === count && rows.every((r) => r.status !== 'charging'),
      10_000,
      `${count} finished autopay attempts at ${iso}`,
    );
  }
  return {
    http,
    up,
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
  };
}
