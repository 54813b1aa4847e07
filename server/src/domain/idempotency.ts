import { normalizeCurrency } from './currency-table';
import { DomainError } from './errors';

/**
 * Stripe idempotency keys derived from our own records, never random: a retry
 * of the same logical operation (double click, worker restart, webhook replay)
 * must produce the same key so Stripe returns the original object instead of
 * charging or refunding twice. Changing anything meaningful (amount, attempt
 * number, refund sequence) yields a new key.
 *
 * Format: `ip-<op>-<part>-<part>...`. Parts are percent-encoded and '-' is
 * encoded too, so distinct inputs can never collide on the separator.
 */

export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
const PREFIX = 'ip';

function encodePart(part: string | number, name: string): string {
  const text = typeof part === 'number' ? String(part) : part.trim();
  if (text === '') {
    throw new DomainError('idempotency_key_invalid', `Cannot build an idempotency key without ${name}.`, { part: name });
  }
  return encodeURIComponent(text).replace(/-/g, '%2D');
}

function counter(value: number, name: string, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new DomainError('idempotency_key_invalid', `The ${name} must be an integer >= ${min}.`, { part: name, value });
  }
  return value;
}

function build(op: string, parts: Array<[string | number, string]>): string {
  const key = [PREFIX, op, ...parts.map(([value, name]) => encodePart(value, name))].join('-');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    // Truncating would risk two operations sharing a key; refuse instead.
    throw new DomainError('idempotency_key_too_long', 'The idempotency key would exceed 255 characters.', {
      length: key.length,
    });
  }
  return key;
}

/** `ip-pi-<invoice>-<amount>-<currency>-<attempt>`: one PaymentIntent per invoice, amount and attempt. */
export function paymentIntentCreateKey(
  invoiceDocumentId: string,
  amount: number,
  currency: string,
  attempt: number,
): string {
  return build('pi', [
    [invoiceDocumentId, 'the invoice id'],
    [counter(amount, 'amount', 1), 'the amount'],
    [normalizeCurrency(currency).toLowerCase(), 'the currency'],
    [counter(attempt, 'attempt', 0), 'the attempt'],
  ]);
}

/** `ip-piu-<paymentIntentId>-<amount>-<revision>`: updating an open intent's amount. */
export function paymentIntentUpdateKey(paymentIntentId: string, amount: number, revision: number): string {
  return build('piu', [
    [paymentIntentId, 'the payment intent id'],
    [counter(amount, 'amount', 1), 'the amount'],
    [counter(revision, 'revision', 0), 'the revision'],
  ]);
}

/** `ip-pic-<paymentIntentId>`: canceling an intent is a one-off. */
export function paymentIntentCancelKey(paymentIntentId: string): string {
  return build('pic', [[paymentIntentId, 'the payment intent id']]);
}

/** `ip-cs-<invoice>-<amount>-<attempt>`: one Checkout Session per invoice, amount and attempt. */
export function checkoutSessionKey(invoiceDocumentId: string, amount: number, attempt: number): string {
  return build('cs', [
    [invoiceDocumentId, 'the invoice id'],
    [counter(amount, 'amount', 1), 'the amount'],
    [counter(attempt, 'attempt', 0), 'the attempt'],
  ]);
}

/** `ip-re-<payment>-<seq>`: the n-th refund of a payment (seq from our refund records). */
export function refundKey(paymentId: string, refundSeq: number): string {
  return build('re', [
    [paymentId, 'the payment id'],
    [counter(refundSeq, 'refund sequence', 1), 'the refund sequence'],
  ]);
}

/** `ip-cus-<clientId>`: one Stripe Customer per client record. */
export function customerCreateKey(clientId: string): string {
  return build('cus', [[clientId, 'the client id']]);
}
