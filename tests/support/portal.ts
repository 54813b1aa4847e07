import { expect } from '@jest/globals';
import { INVOICE, PAYMENT, payWith, type PaymentsEnv } from './payments';
import { createInvoice } from './invoices';
import { waitForIdle } from './idle';

/**
 * The client portal's multi-invoice payments in integration tests (tests/integration/portal-*):
 * a client's JWT, invoices of theirs, a payment through the portal API, its shares in the ledger.
 */
export function portalHelpers(env: () => PaymentsEnv, label = 'Work', year = 2026) {
  let seq = 0;
  const jwt = (id: number) => ({
    Authorization: `Bearer ${env().app.strapi.plugin('users-permissions').service('jwt').issue({ id })}`,
  });

  /** An invoice of `customer` with one line of `amount` minor units, in the state asked for. */
  async function invoiceOf(
    customer: number,
    amount: number,
    opts: { currency?: string; state?: string; issueDate?: string } = {},
  ): Promise<string> {
    seq += 1;
    const created = await createInvoice(env().app.strapi, {
      customer,
      currency: opts.currency ?? 'USD',
      state: 'sent',
      lineItems: [{ description: `${label} ${seq}`, quantity: 1, unitAmount: amount }],
    });
    const data: Record<string, unknown> = { issueDate: opts.issueDate ?? `${year}-0${(seq % 9) + 1}-01` };
    if (opts.state && opts.state !== 'sent') data.state = opts.state;
    await env()
      .app.strapi.db.query(INVOICE)
      .update({ where: { documentId: created.documentId }, data });
    return created.documentId as string;
  }

  /** A logged-in client (users-permissions, authenticated role); `name` is made unique per run. */
  async function clientUser(name: string, extra: Record<string, unknown> = {}): Promise<{ id: number }> {
    const strapi = env().app.strapi;
    const role = await strapi.db.query('plugin::users-permissions.role').findOne({ where: { type: 'authenticated' } });
    const username = `${name}${Date.now()}`;
    return strapi.db.query('plugin::users-permissions.user').create({
      data: {
        username,
        email: `${username}@example.test`,
        provider: 'local',
        confirmed: true,
        role: role.id,
        ...extra,
      },
    });
  }

  const portalPay = (userId: number, body: unknown) =>
    env()
      .app.http()
      .post('/api/invoice-payments/portal/payments')
      .set(jwt(userId))
      .send(body as object);
  const sharesOf = (groupId: string) =>
    env()
      .app.strapi.db.query(PAYMENT)
      .findMany({ where: { paymentGroup: groupId }, populate: ['invoice'] });

  /** Pays a group at the stand-in and waits for every webhook to be processed. */
  async function paidGroup(userId: number, invoices: string[], method = 'pm_card_visa') {
    const res = await portalPay(userId, { invoices });
    expect(res.status).toBe(201);
    const piId = res.body.data.providerPaymentId as string;
    await payWith(env(), piId, method);
    await waitForIdle(env().app.strapi, 10_000, env().standin);
    return {
      group: res.body.data as { id: string; amount: number; allocation: Array<{ invoice: string; portion: number }> },
      piId,
    };
  }

  /** The sweep's step for abandoned portal payments (services/payment-groups endAbandoned), run now. */
  const endAbandoned = (label = 'test') =>
    (env().app.strapi.plugin('invoice-payments').service('payment-groups') as unknown as AbandonedSweep).endAbandoned(
      { abandonedAuthenticationMinutes: 10 },
      { type: 'system', label },
    );
  /** How many cancels of this PaymentIntent reached the Stripe stand-in. */
  const cancels = (piId: string) =>
    env()
      .standin.control.requestLog('POST /v1/payment_intents/:id/cancel')
      .filter((r) => r.path.includes(piId)).length;

  /**
   * The sweep, with `step` run between its read of the payment and its cancel of `piId` (the client
   * acting in that instant). The stand-in serialises requests on one PaymentIntent, so the
   * interleaving is made in-process: the provider's cancel first runs the step. `stepped` is the
   * step's result (`stepped` says whether the sweep reached the cancel of `piId` at all).
   */
  async function sweepWithStepBeforeCancel<T>(piId: string, step: () => Promise<T>) {
    const providers = env().app.strapi.plugin('invoice-payments').service('providers') as unknown as ProvidersApi;
    const original = providers.forRow.bind(providers);
    let stepped: { result: T } | undefined;
    providers.forRow = async (row: unknown) => {
      const provider = await original(row);
      return new Proxy(provider, {
        get(target, prop, receiver) {
          if (prop !== 'cancelPayment') return Reflect.get(target, prop, receiver) as unknown;
          return async (id: string, key: string) => {
            if (id === piId && stepped === undefined) stepped = { result: await step() };
            return target.cancelPayment(id, key);
          };
        },
      });
    };
    try {
      const ended = await endAbandoned();
      return { ended, stepped: stepped !== undefined, result: stepped?.result };
    } finally {
      providers.forRow = original;
    }
  }

  return {
    jwt,
    clientUser,
    invoiceOf,
    portalPay,
    sharesOf,
    paidGroup,
    endAbandoned,
    cancels,
    sweepWithStepBeforeCancel,
  };
}

/** The provider lookup the sweep uses (services/providers forRow), wrapped by sweepWithStepBeforeCancel. */
interface ProvidersApi {
  forRow(row: unknown): Promise<{ cancelPayment(id: string, key: string): Promise<unknown> }>;
}

/** The shape of services/payment-groups' sweep step (Strapi types services loosely). */
interface AbandonedSweep {
  endAbandoned(
    settings: { abandonedAuthenticationMinutes: number },
    actor: { type: 'system'; label: string },
  ): Promise<number>;
}
