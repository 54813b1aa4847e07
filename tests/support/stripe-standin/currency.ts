/**
 * Currency rules Stripe applies to amounts: decimals, minimum and maximum charge amounts,
 * and the human formatting used inside Stripe's error messages ("$0.50", "¥50").
 *
 * Follows https://docs.stripe.com/currencies (zero- and three-decimal currencies, minimum and maximum charge amounts).
 */
import { StripeApiError } from './errors';

// prettier-ignore
export const ZERO_DECIMAL = new Set([
  'bif', 'clp', 'djf', 'gnf', 'jpy', 'kmf', 'krw', 'mga', 'pyg', 'rwf', 'ugx', 'vnd', 'vuv', 'xaf', 'xof', 'xpf',
]);
export const THREE_DECIMAL = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd']);

/** Minimum charge amounts in the currency's smallest unit (Stripe's published table, subset). */
// prettier-ignore
const MINIMUMS: Record<string, number> = {
  usd: 50, eur: 50, cad: 50, aud: 50, gbp: 30, jpy: 50, mxn: 1000, hkd: 400, dkk: 250, sek: 300, nok: 300,
};
const DEFAULT_MINIMUM = 50;
/** "The amount value supports up to eight digits". */
export const MAX_AMOUNT = 99_999_999;

/** Currencies the stand-in accepts (Stripe's presentment currencies, lowercase). */
// prettier-ignore
export const SUPPORTED_CURRENCIES = new Set([
  'usd', 'aed', 'afn', 'all', 'amd', 'ang', 'aoa', 'ars', 'aud', 'awg', 'azn', 'bam', 'bbd', 'bdt', 'bgn', 'bhd',
  'bif', 'bmd', 'bnd', 'bob', 'brl', 'bsd', 'bwp', 'byn', 'bzd', 'cad', 'cdf', 'chf', 'clp', 'cny', 'cop', 'crc',
  'cve', 'czk', 'djf', 'dkk', 'dop', 'dzd', 'egp', 'etb', 'eur', 'fjd', 'fkp', 'gbp', 'gel', 'gip', 'gmd', 'gnf',
  'gtq', 'gyd', 'hkd', 'hnl', 'htg', 'huf', 'idr', 'ils', 'inr', 'isk', 'jmd', 'jod', 'jpy', 'kes', 'kgs', 'khr',
  'kmf', 'krw', 'kwd', 'kyd', 'kzt', 'lak', 'lbp', 'lkr', 'lrd', 'lsl', 'mad', 'mdl', 'mga', 'mkd', 'mmk', 'mnt',
  'mop', 'mur', 'mvr', 'mwk', 'mxn', 'myr', 'mzn', 'nad', 'ngn', 'nio', 'nok', 'npr', 'nzd', 'omr', 'pab', 'pen',
  'pgk', 'php', 'pkr', 'pln', 'pyg', 'qar', 'ron', 'rsd', 'rub', 'rwf', 'sar', 'sbd', 'scr', 'sek', 'sgd', 'shp',
  'sle', 'sos', 'srd', 'std', 'szl', 'thb', 'tjs', 'tnd', 'top', 'try', 'ttd', 'twd', 'tzs', 'uah', 'ugx', 'uyu',
  'uzs', 'vnd', 'vuv', 'wst', 'xaf', 'xcd', 'xof', 'xpf', 'yer', 'zar', 'zmw',
]);

export function decimalsOf(currency: string): number {
  if (ZERO_DECIMAL.has(currency)) return 0;
  if (THREE_DECIMAL.has(currency)) return 3;
  return 2;
}

export function minimumAmount(currency: string): number {
  return MINIMUMS[currency] ?? DEFAULT_MINIMUM;
}

/** "$12.34", "¥50", "KWD 1.230" — the way Stripe writes amounts in error messages. */
export function formatAmount(amount: number, currency: string): string {
  const digits = decimalsOf(currency);
  const value = amount / 10 ** digits;
  try {
    return new Intl.NumberFormat('en-US', {
      style: 'currency',
      currency: currency.toUpperCase(),
      currencyDisplay: 'narrowSymbol',
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(value);
  } catch {
    return `${value.toFixed(digits)} ${currency.toUpperCase()}`;
  }
}

export function normalizeCurrency(raw: string, param = 'currency'): string {
  const currency = raw.trim().toLowerCase();
  if (!SUPPORTED_CURRENCIES.has(currency)) {
    throw StripeApiError.invalidRequest(
      `Invalid currency: ${currency}. Stripe currently supports these currencies: ${[...SUPPORTED_CURRENCIES].join(', ')}`,
      param,
      'parameter_invalid_string',
    );
  }
  return currency;
}

/** Validates a charge amount against Stripe's rules; throws the matching Stripe error. */
export function validateAmount(amount: number, currency: string, param = 'amount'): void {
  if (!Number.isSafeInteger(amount) || amount < 0) {
    throw StripeApiError.invalidRequest(
      'This value must be greater than or equal to 1.',
      param,
      'parameter_invalid_integer',
    );
  }
  const minimum = minimumAmount(currency);
  if (amount < minimum) {
    throw StripeApiError.invalidRequest(
      `Amount must be at least ${formatAmount(minimum, currency)} ${currency}`,
      param,
      'amount_too_small',
    );
  }
  if (amount > MAX_AMOUNT) {
    throw StripeApiError.invalidRequest(
      `Amount must be no more than ${formatAmount(MAX_AMOUNT, currency)}`,
      param,
      'amount_too_large',
    );
  }
  if (THREE_DECIMAL.has(currency) && amount % 10 !== 0) {
    // Card networks settle three-decimal currencies in tenths; Stripe requires the last digit to be 0.
    throw StripeApiError.invalidRequest(
      `Invalid amount: ${amount}. Amounts in ${currency} must be a multiple of 10 (three-decimal currency; the last digit must be 0).`,
      param,
      'invalid_charge_amount',
    );
  }
}
