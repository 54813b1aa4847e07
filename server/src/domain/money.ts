import { amountStep, currencyExponent, displayExponent, normalizeCurrency } from './currency-table';
import { parseScaledDecimal } from './decimal';
import { DomainError } from './errors';
import { divRoundHalfUp } from './integer-math';

/**
 * Conversions between what people type/read ("1827.50") and what we store and
 * send to Stripe (182750). Amounts are integers in the currency's Stripe
 * minor unit; nothing here multiplies or divides floats.
 */

function assertSafeInteger(minor: number, name = 'amount'): void {
  if (!Number.isSafeInteger(minor)) {
    throw new DomainError('amount_not_integer', `The ${name} must be a whole number of minor units.`, {
      value: minor,
    });
  }
}

/**
 * "1827.50" USD -> 182750, "1500" JPY -> 1500, "12.345" KWD -> 12345.
 * Refuses grouping separators, signs, exponents and more decimals than the
 * currency has (trailing zeros are fine). Numbers are read through their
 * string form, so 0.1 + 0.2 is refused rather than rounded.
 * Step rules (KWD last digit 0, whole ISK) are not enforced here: they belong
 * to the charge, see validateChargeAmount/roundToStep.
 */
export function parseMajorToMinor(input: string | number, currency: string): number {
  const code = normalizeCurrency(currency);
  const exponent = currencyExponent(code);
  const parsed = parseScaledDecimal(input, exponent);
  if (!parsed.ok) {
    switch (parsed.reason) {
      case 'negative':
        throw new DomainError('amount_negative', 'The amount cannot be negative.', { input });
      case 'precision':
        throw new DomainError(
          'amount_bad_precision',
          exponent === 0
            ? `${code} amounts cannot have decimals.`
            : `${code} amounts can have at most ${exponent} decimal places.`,
          { input, maxDecimals: exponent },
        );
      case 'invalid':
        throw new DomainError(
          'amount_invalid',
          'Enter the amount as digits with an optional decimal point, without thousands separators (for example 1827.50).',
          { input },
        );
    }
  }
  if (parsed.value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new DomainError('amount_too_large', 'The amount is too large.', { input });
  }
  return Number(parsed.value);
}

/** 182750 USD -> "1827.50", 1500 JPY -> "1500", 12340 KWD -> "12.340", -5 USD -> "-0.05". */
export function minorToMajorString(minor: number, currency: string): string {
  assertSafeInteger(minor);
  const exponent = currencyExponent(currency);
  const sign = minor < 0 ? '-' : '';
  const digits = String(Math.abs(minor));
  if (exponent === 0) return sign + digits;
  const padded = digits.padStart(exponent + 1, '0');
  const cut = padded.length - exponent;
  return `${sign}${padded.slice(0, cut)}.${padded.slice(cut)}`;
}

// Node >= 20 (Intl.NumberFormat v3) formats decimal strings exactly, but the
// ES2022 lib typings only declare number | bigint, hence this narrow view.
interface DecimalStringFormatter {
  format(value: string): string;
}

/**
 * Localized currency text, e.g. 182750 USD -> "$1,827.50", 1500 JPY -> "¥1,500".
 * The exact decimal string is handed to Intl, so no float rounding can occur.
 * Fraction digits are pinned to the currency exponent so Intl's own idea of
 * the currency cannot hide or invent digits. The exception is a currency whose
 * display precision is smaller than its wire precision (ISK: 12300 -> "ISK 123"):
 * the shorter form is used only when the hidden digits are zero, otherwise the
 * full precision is shown rather than rounding money away.
 */
export function formatMinor(minor: number, currency: string, locale = 'en-US'): string {
  const code = normalizeCurrency(currency);
  const exponent = currencyExponent(code);
  const shown = displayExponent(code);
  const hidden = exponent - shown;
  const digits = hidden > 0 && Math.abs(minor) % 10 ** hidden === 0 ? shown : exponent;
  return formatterFor(locale, code, digits).format(minorToMajorString(minor, code));
}

/** Building an Intl.NumberFormat costs far more than using one: one per locale, currency and digits. */
const formatters = new Map<string, DecimalStringFormatter>();
function formatterFor(locale: string, code: string, digits: number): DecimalStringFormatter {
  const key = `${locale}|${code}|${digits}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: code,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }) as unknown as DecimalStringFormatter;
    // Bounded: locales come from requests (Accept-Language); a full map starts again.
    if (formatters.size >= 500) formatters.clear();
    formatters.set(key, formatter);
  }
  return formatter;
}

/** Rounds half away from zero to the currency step (KWD 12345 -> 12350, ISK 12350 -> 12400). */
export function roundToStep(minor: number, currency: string): number {
  assertSafeInteger(minor);
  const step = amountStep(currency);
  if (step === 1) return minor;
  const rounded = Number(divRoundHalfUp(BigInt(minor), BigInt(step)) * BigInt(step));
  if (!Number.isSafeInteger(rounded)) {
    throw new DomainError('amount_too_large', 'The amount is too large.', { value: minor });
  }
  return rounded;
}
