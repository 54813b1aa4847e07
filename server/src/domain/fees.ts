import { amountStep, normalizeCurrency } from './currency-table';
import { DomainError } from './errors';
import { divCeil, divRoundHalfUp } from './integer-math';

/**
 * Card-fee passthrough: the client pays a surcharge so that, after the
 * processor takes `percent * charge + fixed`, the merchant still nets at least
 * the invoice amount.
 */

export interface FeePassthrough {
  /** 290 = 2.9 %. */
  percentBps: number;
  /** Fixed part per charge, in minor units of the charge currency. */
  fixedMinor: number;
}

/** Above 20 % the gross-up explodes and is almost certainly a typo (2900 for 2.9 %). */
export const MAX_FEE_PERCENT_BPS = 2000;
const BPS = 10_000n;

export type RefundFeePolicy = 'keep_fee' | 'refund_fee';

export function validateFeePassthrough(config: FeePassthrough): void {
  const { percentBps, fixedMinor } = config;
  if (!Number.isInteger(percentBps) || percentBps < 0 || percentBps > MAX_FEE_PERCENT_BPS) {
    throw new DomainError(
      'fee_percent_invalid',
      'The card fee percentage must be between 0% and 20% (0 to 2000 basis points).',
      { field: 'percentBps', value: percentBps },
    );
  }
  if (!Number.isSafeInteger(fixedMinor) || fixedMinor < 0) {
    throw new DomainError('fee_fixed_invalid', 'The fixed card fee must be zero or more, in whole minor units.', {
      field: 'fixedMinor',
      value: fixedMinor,
    });
  }
}

/**
 * Surcharge for an invoice amount: gross = ceil((amount + fixed) / (1 - rate)),
 * rounded up to the currency step, surcharge = gross - amount. Rounding up
 * (never half-up) is what guarantees gross * (1 - rate) - fixed >= amount.
 */
export function feeSurcharge(amountMinor: number, currency: string, config: FeePassthrough): number {
  validateFeePassthrough(config);
  if (!Number.isSafeInteger(amountMinor) || amountMinor < 0) {
    throw new DomainError('amount_not_integer', 'The amount must be a whole, non-negative number of minor units.', {
      amount: amountMinor,
    });
  }
  if (config.percentBps === 0 && config.fixedMinor === 0) return 0;
  const step = BigInt(amountStep(normalizeCurrency(currency)));
  const amount = BigInt(amountMinor);
  // (amount + fixed) / (1 - bps/10000) == (amount + fixed) * 10000 / (10000 - bps)
  const gross = divCeil((amount + BigInt(config.fixedMinor)) * BPS, BPS - BigInt(config.percentBps));
  const grossOnStep = divCeil(gross, step) * step;
  return Number(grossOnStep - amount);
}

export interface RefundFeeInput {
  /** Invoice-portion amount being refunded now. */
  refundAmount: number;
  /** Invoice portion of the payment (entry `amount`). */
  amount: number;
  /** Surcharge collected on the payment. */
  fee: number;
  /** Invoice portion already refunded before this refund. */
  amountAlreadyRefunded?: number;
  /** Fee already refunded before this refund. */
  feeAlreadyRefunded?: number;
  policy: RefundFeePolicy;
  currency: string;
}

/**
 * How much of the surcharge to give back with a refund. Under 'refund_fee' it
 * is proportional to the share of the invoice portion refunded; computed on
 * the cumulative refunded share (minus what was already given back) so a
 * series of partial refunds adds up to exactly the fee on a full refund, and
 * never above it. Rounded half-up to the currency step.
 */
export function splitRefundFee(input: RefundFeeInput): number {
  const { refundAmount, amount, fee, policy } = input;
  const alreadyAmount = input.amountAlreadyRefunded ?? 0;
  const alreadyFee = input.feeAlreadyRefunded ?? 0;
  const values = { refundAmount, amount, fee, amountAlreadyRefunded: alreadyAmount, feeAlreadyRefunded: alreadyFee };
  for (const [field, value] of Object.entries(values)) {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new DomainError('refund_invalid', `The ${field} must be whole, non-negative minor units.`, {
        field,
        value,
      });
    }
  }
  if (alreadyAmount + refundAmount > amount) {
    throw new DomainError('refund_exceeds_payment', 'The refund is larger than what is left of the payment.', {
      refundAmount,
      refundable: amount - alreadyAmount,
    });
  }
  if (policy === 'keep_fee' || fee === 0 || amount === 0 || alreadyFee >= fee) return 0;

  const step = BigInt(amountStep(normalizeCurrency(input.currency)));
  const refundedAfter = BigInt(alreadyAmount + refundAmount);
  const feeDueAfter =
    refundedAfter === BigInt(amount)
      ? BigInt(fee)
      : divRoundHalfUp(BigInt(fee) * refundedAfter, BigInt(amount) * step) * step;
  const result = feeDueAfter - BigInt(alreadyFee);
  if (result <= 0n) return 0;
  return Number(result > BigInt(fee - alreadyFee) ? BigInt(fee - alreadyFee) : result);
}

/**
 * Splits what the provider reports as refunded on a charge (portion + fee together) back into
 * the invoice portion and the fee. Refunds eat the invoice portion first; only money beyond the
 * portion is fee. That matches both policies: under 'refund_fee' the fee share rides on top of
 * each portion refund, and a refund made in the provider's dashboard is booked against the invoice.
 */
export function splitChargeRefund(
  totalRefunded: number,
  portion: number,
  fee: number,
): { portion: number; fee: number } {
  const refunded = Math.max(0, Math.min(totalRefunded, portion + fee));
  const portionRefunded = Math.min(refunded, portion);
  return { portion: portionRefunded, fee: refunded - portionRefunded };
}
