/**
 * Mandates: the customer's permission to debit a bank account (SEPA Direct Debit, ACH Direct Debit).
 *
 * - Object: https://docs.stripe.com/api/mandates/object (SDK 23.1.0 `Mandate`): `id` (`mandate_…`),
 *   `customer_acceptance`, `payment_method`, `payment_method_details.<type>` (SEPA: `reference`, the unique
 *   mandate reference, and `url`, the mandate page to share with the customer only; ACH: `{}`), `status`
 *   (`active` | `inactive` | `pending`), `type` (`multi_use` | `single_use`, with `single_use.amount/currency`
 *   for a one-off mandate).
 * - Retrieve: https://docs.stripe.com/api/mandates/retrieve — `GET /v1/mandates/:id`, 404 for an unknown id.
 *   Stripe has no list endpoint for mandates.
 * - A charge names its mandate in `payment_method_details.sepa_debit.mandate` /
 *   `us_bank_account.mandate` (https://docs.stripe.com/api/charges/object).
 * - Saving during a payment (`setup_future_usage`, or Checkout's ticked "save" box:
 *   https://docs.stripe.com/payments/checkout/save-during-payment, "You can use Checkout to save cards
 *   and other payment methods to charge them off-session") makes the mandate reusable (`multi_use`); later
 *   off-session debits on the same PaymentMethod charge under it
 *   (https://docs.stripe.com/payments/sepa-debit/set-up-payment: "the mandate … for future payments");
 *   without `setup_future_usage` the mandate covers that one payment (`single_use`).
 *
 * Stand-in rules: the mandate is `active` from the first charge (Stripe's test mode does not wait for
 * the bank), the reference is 16 uppercase letters and digits like Stripe's generated references, and
 * the url is a stand-in page.
 */
import { randomBytes } from 'node:crypto';
import { findRecord, type Engine } from '../engine';
import type { ParamReader } from '../form';
import { newId, nowSeconds } from '../ids';
import type { JsonObject, PaymentIntentRecord, PaymentMethodRecord, RequestContext } from '../types';
import { templateOf } from './payment-methods';

export type MandateMethodType = 'sepa_debit' | 'us_bank_account';

export interface MandateRecord {
  id: string;
  seq: number;
  livemode: boolean;
  created: number;
  payment_method: string;
  method_type: MandateMethodType;
  type: 'multi_use' | 'single_use';
  /** single_use only: the payment it covers. */
  amount: number | null;
  currency: string | null;
  /** SEPA only. */
  reference: string | null;
}

const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function mandateReference(): string {
  return Array.from(randomBytes(16), (byte) => UPPER_ALNUM[byte % UPPER_ALNUM.length]).join('');
}

/**
 * The mandate a bank debit charge is made under, or null for methods without one: the PaymentMethod's
 * multi_use mandate if it has one, else a new mandate (multi_use when the intent saves the method).
 */
export function mandateForCharge(engine: Engine, pi: PaymentIntentRecord, pm: PaymentMethodRecord): string | null {
  const methodType = templateOf(pm).type;
  if (methodType !== 'sepa_debit' && methodType !== 'us_bank_account') return null;
  const reusable = [...engine.store.mandates.values()].find(
    (m) => m.payment_method === pm.id && m.type === 'multi_use',
  );
  if (reusable) return reusable.id;
  // Saved for later debits (setup_future_usage, or Checkout's ticked "save" box): reusable.
  const multi = pi.setup_future_usage === 'off_session' || pi.setup_future_usage === 'on_session' || !!pi.checkout_save;
  const record: MandateRecord = {
    id: newId('mandate'),
    seq: engine.store.nextSeq(),
    livemode: pi.livemode,
    created: nowSeconds(),
    payment_method: pm.id,
    method_type: methodType,
    type: multi ? 'multi_use' : 'single_use',
    amount: multi ? null : pi.amount,
    currency: multi ? null : pi.currency,
    reference: methodType === 'sepa_debit' ? mandateReference() : null,
  };
  engine.store.mandates.set(record.id, record);
  return record.id;
}

export function renderMandate(record: MandateRecord): JsonObject {
  const details: JsonObject =
    record.method_type === 'sepa_debit'
      ? {
          type: 'sepa_debit',
          sepa_debit: {
            reference: record.reference,
            url: `https://payments.stripe.com/sepa_debit/mandate/standin/${record.id}`,
          },
        }
      : { type: 'us_bank_account', us_bank_account: {} };
  return {
    id: record.id,
    object: 'mandate',
    customer_acceptance: {
      accepted_at: record.created,
      online: { ip_address: '127.0.0.1', user_agent: 'Stripe stand-in' },
      type: 'online',
    },
    livemode: record.livemode,
    ...(record.type === 'multi_use'
      ? { multi_use: {} }
      : { single_use: { amount: record.amount, currency: record.currency } }),
    payment_method: record.payment_method,
    payment_method_details: details,
    status: 'active',
    type: record.type,
  };
}

export function retrieveMandate(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderMandate(findRecord(engine.store.mandates, id, 'mandate', ctx.livemode));
}
