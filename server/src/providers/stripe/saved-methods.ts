import Stripe from 'stripe';
import type { ChargeSavedMethodInput, OffSessionCharge, SavedMethod, SavedMethodsApi } from '../types';
import { toStripeMetadata } from './mappers';
import { toRequestError } from './provider';

const idOf = (v: string | { id: string } | null | undefined): string | null =>
  v == null ? null : typeof v === 'string' ? v : v.id;

/** Card brand / bank and last four of a PaymentMethod (SDK 23.1.0 PaymentMethod.Card, SepaDebit, UsBankAccount). */
export function mapSavedMethod(pm: Stripe.PaymentMethod, mandate: SavedMethod['mandate'] = null): SavedMethod {
  const base = { id: pm.id, type: pm.type, customerId: idOf(pm.customer), mandate };
  if (pm.card)
    return {
      ...base,
      label: pm.card.brand,
      last4: pm.card.last4,
      expMonth: pm.card.exp_month,
      expYear: pm.card.exp_year,
    };
  if (pm.sepa_debit)
    return {
      ...base,
      // bank_code is a number (19043), not a name a client recognises.
      label: 'SEPA Direct Debit',
      last4: pm.sepa_debit.last4,
      expMonth: null,
      expYear: null,
    };
  if (pm.us_bank_account)
    return {
      ...base,
      label: pm.us_bank_account.bank_name ?? 'Bank account',
      last4: pm.us_bank_account.last4,
      expMonth: null,
      expYear: null,
    };
  return { ...base, label: null, last4: null, expMonth: null, expYear: null };
}

type Mandate = NonNullable<SavedMethod['mandate']>;

/** Per method id: found mandates for 10 minutes, "none yet" for 30 s (a pending debit may add one). */
const MANDATE_TTL_MS = 10 * 60_000;
const NO_MANDATE_TTL_MS = 30_000;
const MANDATE_CACHE_LIMIT = 1000;
const mandateCache = new Map<string, { mandate: Mandate | null; expires: number }>();

function rememberMandate(methodId: string, mandate: Mandate | null, now: number): void {
  if (mandateCache.size >= MANDATE_CACHE_LIMIT) mandateCache.delete(mandateCache.keys().next().value as string);
  mandateCache.set(methodId, { mandate, expires: now + (mandate ? MANDATE_TTL_MS : NO_MANDATE_TTL_MS) });
}

/**
 * Stripe Customers and saved PaymentMethods, and off-session charges:
 * - saving during a payment: the PaymentIntent gets `customer` and `setup_future_usage: 'off_session'`;
 *   Stripe attaches its PaymentMethod to the Customer once it succeeds
 *   (https://docs.stripe.com/payments/save-during-payment);
 * - the default method is the Customer's `invoice_settings.default_payment_method`
 *   (https://docs.stripe.com/api/customers/update#update_customer-invoice_settings-default_payment_method);
 * - removing is a detach, after which the method cannot be used again
 *   (https://docs.stripe.com/api/payment_methods/detach);
 * - charging later: `off_session: true, confirm: true` with `customer` and `payment_method`; a
 *   decline or a bank asking for authentication is a 402 card error (`authentication_required`),
 *   the intent left in `requires_payment_method` for the customer to finish on-session
 *   (https://docs.stripe.com/payments/save-during-payment#charge-saved-payment-method).
 */
export class StripeSavedMethods implements SavedMethodsApi {
  constructor(private readonly stripe: Stripe) {}

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toRequestError(error);
    }
  }

  async createCustomer(input: {
    clientRef: string;
    email: string | null;
    name: string | null;
    idempotencyKey: string;
  }) {
    const customer = await this.call(() =>
      this.stripe.customers.create(
        {
          metadata: { invoice_payments_client: input.clientRef },
          ...(input.email ? { email: input.email } : {}),
          ...(input.name ? { name: input.name } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      ),
    );
    return { id: customer.id };
  }

  async saveOnPayment(paymentId: string, customerId: string | null): Promise<void> {
    // With a secret key setup_future_usage may be set, or cleared with '' (SDK: Emptyable), before confirmation.
    await this.call(() =>
      this.stripe.paymentIntents.update(
        paymentId,
        customerId ? { customer: customerId, setup_future_usage: 'off_session' } : { setup_future_usage: '' },
      ),
    );
  }

  async listMethods(customerId: string): Promise<{ methods: SavedMethod[]; defaultId: string | null }> {
    const customer = await this.call(() => this.stripe.customers.retrieve(customerId));
    if ((customer as Stripe.DeletedCustomer).deleted) return { methods: [], defaultId: null };
    const live = customer as Stripe.Customer;
    const list = await this.call(() => this.stripe.customers.listPaymentMethods(customerId, { limit: 100 }));
    // The mandate is shown for information only: a failed lookup must not hide the method.
    const mandates = await this.mandatesOf(customerId, list.data).catch(() => new Map<string, Mandate>());
    const methods = list.data.map((pm) => mapSavedMethod(pm, mandates.get(pm.id) ?? null));
    return { methods, defaultId: idOf(live.invoice_settings?.default_payment_method ?? null) };
  }

  /**
   * The mandates the customer's bank debit methods charge under. A PaymentMethod does not name its
   * mandate (https://docs.stripe.com/api/payment_methods/object) and Stripe has no mandate list
   * (https://docs.stripe.com/api/mandates); the charge made with the method does
   * (Charge.payment_method_details.sepa_debit.mandate / us_bank_account.mandate,
   * https://docs.stripe.com/api/charges/object), and the Mandate carries the reference
   * (Mandate.payment_method_details.sepa_debit.reference, https://docs.stripe.com/api/mandates/object).
   * So: one list of the customer's recent PaymentIntents with `expand[]=data.latest_charge`
   * (https://docs.stripe.com/api/expanding_objects: `data.` on lists), then one retrieve per mandate.
   * Found mandates are cached per method id (a method's mandate does not change), misses briefly, so
   * viewing the page repeatedly costs no Stripe calls (https://docs.stripe.com/rate-limits).
   */
  private async mandatesOf(customerId: string, pms: Stripe.PaymentMethod[]): Promise<Map<string, Mandate>> {
    const found = new Map<string, Mandate>();
    const wanted = new Set<string>();
    const now = Date.now();
    for (const pm of pms) {
      if (pm.type !== 'sepa_debit' && pm.type !== 'us_bank_account') continue;
      const cached = mandateCache.get(pm.id);
      if (cached && cached.expires > now) {
        if (cached.mandate) found.set(pm.id, cached.mandate);
      } else wanted.add(pm.id);
    }
    if (wanted.size === 0) return found;
    const intents = await this.call(() =>
      this.stripe.paymentIntents.list({ customer: customerId, limit: 100, expand: ['data.latest_charge'] }),
    );
    const mandateIds = new Map<string, string>();
    for (const pi of intents.data) {
      // Charge.payment_method is the PaymentMethod's id (string | null, never expanded here).
      const charge = pi.latest_charge && typeof pi.latest_charge === 'object' ? pi.latest_charge : null;
      const methodId = charge?.payment_method ?? null;
      if (!methodId || !wanted.has(methodId) || mandateIds.has(methodId)) continue;
      const details = charge?.payment_method_details;
      const mandateId = idOf(details?.sepa_debit?.mandate ?? details?.us_bank_account?.mandate ?? null);
      if (mandateId) mandateIds.set(methodId, mandateId);
    }
    for (const methodId of wanted) {
      const mandateId = mandateIds.get(methodId);
      let mandate: Mandate | null = null;
      if (mandateId) {
        const m = await this.call(() => this.stripe.mandates.retrieve(mandateId));
        // SEPA mandates carry the reference the client's bank shows; ACH mandates have none
        // (SDK 23.1.0 Mandate.PaymentMethodDetails.UsBankAccount): their id is shown instead.
        mandate = { id: m.id, reference: m.payment_method_details.sepa_debit?.reference ?? null };
        found.set(methodId, mandate);
      }
      rememberMandate(methodId, mandate, now);
    }
    return found;
  }

  async retrieveMethod(methodId: string): Promise<SavedMethod> {
    return mapSavedMethod(await this.call(() => this.stripe.paymentMethods.retrieve(methodId)));
  }

  async detachMethod(methodId: string, idempotencyKey: string): Promise<void> {
    await this.call(() => this.stripe.paymentMethods.detach(methodId, {}, { idempotencyKey }));
  }

  async setDefaultMethod(customerId: string, methodId: string | null, idempotencyKey: string): Promise<void> {
    await this.call(() =>
      this.stripe.customers.update(
        customerId,
        { invoice_settings: { default_payment_method: methodId ?? '' } },
        { idempotencyKey },
      ),
    );
  }

  async chargeOffSession(input: ChargeSavedMethodInput): Promise<OffSessionCharge> {
    try {
      const pi = await this.stripe.paymentIntents.create(
        {
          amount: input.amount,
          currency: input.currency.toLowerCase(),
          customer: input.customerId,
          payment_method: input.methodId,
          off_session: true,
          confirm: true,
          description: input.description,
          metadata: toStripeMetadata(input.metadata),
          ...(input.receiptEmail ? { receipt_email: input.receiptEmail } : {}),
        },
        { idempotencyKey: input.idempotencyKey },
      );
      const outcome =
        pi.status === 'succeeded'
          ? 'succeeded'
          : pi.status === 'processing'
            ? 'processing'
            : pi.status === 'requires_action'
              ? 'authentication_required'
              : 'declined';
      const error = pi.last_payment_error;
      return {
        outcome,
        paymentId: pi.id,
        code: error?.code ?? null,
        declineCode: error?.decline_code ?? null,
        message: error?.message ?? null,
      };
    } catch (error) {
      if (error instanceof Stripe.errors.StripeCardError) {
        const raw = error.raw as { payment_intent?: { id?: string } };
        return {
          outcome: error.code === 'authentication_required' ? 'authentication_required' : 'declined',
          paymentId: raw.payment_intent?.id ?? null,
          code: error.code ?? null,
          declineCode: error.decline_code ?? null,
          message: error.message ?? null,
        };
      }
      throw toRequestError(error);
    }
  }
}
