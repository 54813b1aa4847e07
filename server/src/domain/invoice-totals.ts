import { MAX_AMOUNT_MINOR, amountStep, normalizeCurrency } from './currency-table';
import type { CurrencyCode } from './currency-table';
import { parseScaledDecimal } from './decimal';
import { DomainError } from './errors';
import { divRoundHalfUp } from './integer-math';
import { formatMinor } from './money';

/**
 * Invoice arithmetic: line totals, discount, tax and grand total, all in
 * integer minor units with BigInt intermediates and explicit half-up rounding.
 */

export interface LineItemInput {
  description: string;
  /** Positive, at most 3 decimals (1.5 hours). Strings are parsed exactly. */
  quantity: number | string;
  /** Price of one unit in minor units (non-negative safe integer). */
  unitAmount: number;
}

export interface InvoiceTotalsInput<L extends LineItemInput = LineItemInput> {
  currency: string;
  /** Extra fields on a line (ids, tax codes...) are carried through to the result. */
  lineItems: readonly L[];
  /** Basis points: 825 = 8.25 %. */
  taxRateBps?: number;
  /** Minor units, taken off the subtotal before tax. */
  discountAmount?: number;
}

export type LineWithTotal<L extends LineItemInput = LineItemInput> = L & { lineTotal: number };

export interface InvoiceTotals<L extends LineItemInput = LineItemInput> {
  currency: CurrencyCode;
  lines: Array<LineWithTotal<L>>;
  subtotal: number;
  discount: number;
  tax: number;
  total: number;
}

const QUANTITY_SCALE = 3;
const THOUSAND = 1000n;
const BPS_DENOMINATOR = 10_000n;
export const MAX_TAX_RATE_BPS = 10_000;

function fieldError(code: string, message: string, field: string, value?: unknown): DomainError {
  return new DomainError(code, message, { field, value });
}

/** Quantity in integer thousandths, parsed from its string form. */
function parseQuantity(quantity: number | string, field: string): bigint {
  const parsed = parseScaledDecimal(quantity, QUANTITY_SCALE);
  if (!parsed.ok) {
    if (parsed.reason === 'precision') {
      throw fieldError('quantity_bad_precision', 'Quantity can have at most 3 decimal places.', field, quantity);
    }
    throw fieldError('quantity_invalid', 'Quantity must be a number greater than zero.', field, quantity);
  }
  if (parsed.value <= 0n) {
    throw fieldError('quantity_invalid', 'Quantity must be a number greater than zero.', field, quantity);
  }
  return parsed.value;
}

function isNonNegativeSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function computeInvoiceTotals<L extends LineItemInput>(input: InvoiceTotalsInput<L>): InvoiceTotals<L> {
  const currency = normalizeCurrency(input.currency);
  const step = BigInt(amountStep(currency));

  if (!Array.isArray(input.lineItems) || input.lineItems.length === 0) {
    throw fieldError('line_items_empty', 'Add at least one line item.', 'lineItems');
  }

  const taxRateBps = input.taxRateBps ?? 0;
  if (!Number.isInteger(taxRateBps) || taxRateBps < 0 || taxRateBps > MAX_TAX_RATE_BPS) {
    throw fieldError(
      'tax_rate_invalid',
      'Tax rate must be between 0% and 100% with at most two decimals (in basis points: 0 to 10000).',
      'taxRateBps',
      input.taxRateBps,
    );
  }

  const lineTotals = input.lineItems.map((item, index) => {
    const at = `lineItems[${index}]`;
    if (typeof item.description !== 'string' || item.description.trim() === '') {
      throw fieldError('description_required', `Line ${index + 1} needs a description.`, `${at}.description`);
    }
    if (!isNonNegativeSafeInteger(item.unitAmount)) {
      throw fieldError(
        'unit_amount_invalid',
        `Line ${index + 1}: the unit price must be zero or more, in whole minor units.`,
        `${at}.unitAmount`,
        item.unitAmount,
      );
    }
    const thousandths = parseQuantity(item.quantity, `${at}.quantity`);
    // One rounding straight to the step: rounding to 1 first and then to the
    // step can round twice in the same direction (KWD 12344.5 -> 12345 -> 12350,
    // while the nearest valid amount is 12340).
    return divRoundHalfUp(thousandths * BigInt(item.unitAmount), THOUSAND * step) * step;
  });
  const subtotal = lineTotals.reduce((sum, lineTotal) => sum + lineTotal, 0n);

  const tooLarge = (field: string): DomainError =>
    fieldError(
      'total_too_large',
      `The invoice total cannot be more than ${formatMinor(MAX_AMOUNT_MINOR - (MAX_AMOUNT_MINOR % Number(step)), currency)}.`,
      field,
    );
  if (subtotal > BigInt(MAX_AMOUNT_MINOR)) throw tooLarge('subtotal');

  const discount = input.discountAmount ?? 0;
  if (!isNonNegativeSafeInteger(discount)) {
    throw fieldError(
      'discount_invalid',
      'The discount must be zero or more, in whole minor units.',
      'discountAmount',
      discount,
    );
  }
  if (BigInt(discount) % step !== 0n) {
    // Otherwise the total could end up with a fraction Stripe refuses (KWD last digit).
    throw fieldError(
      'discount_bad_step',
      `${currency} discounts must be a multiple of ${formatMinor(Number(step), currency)}.`,
      'discountAmount',
      discount,
    );
  }
  if (BigInt(discount) > subtotal) {
    throw fieldError(
      'discount_exceeds_subtotal',
      'The discount cannot be larger than the subtotal.',
      'discountAmount',
      discount,
    );
  }

  const taxable = subtotal - BigInt(discount);
  const tax = divRoundHalfUp(taxable * BigInt(taxRateBps), BPS_DENOMINATOR * step) * step;
  const total = taxable + tax;
  if (total > BigInt(MAX_AMOUNT_MINOR)) throw tooLarge('total');

  return {
    currency,
    // Every line is <= subtotal, which is bounded above, so Number() is exact.
    lines: input.lineItems.map((item, index) => ({ ...item, lineTotal: Number(lineTotals[index] ?? 0n) })),
    subtotal: Number(subtotal),
    discount,
    tax: Number(tax),
    total: Number(total),
  };
}
