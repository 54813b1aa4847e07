/**
 * Amounts typed by an admin are decimals in major units ("1,827.50", "1500", "12.340"); the API
 * takes integer minor units. The conversion is done on the digits, never through floating point,
 * using the invoice's currency exponent as the API reports it (0 for JPY, 2 for USD, 3 for KWD).
 */
import { readTypedDecimal } from '../../../server/src/domain/invoice-form';

export type AmountProblem = 'required' | 'format' | 'ambiguous' | 'decimals' | 'zero' | 'tooLarge' | 'step';

export type ParsedAmount = { ok: true; minor: number } | { ok: false; problem: AmountProblem };

/**
 * Reads an amount as people write it ("1827.5", "1 827,50", "1,827.50", "1.827,50", "1,500" yen)
 * with the server's own rules (domain/invoice-form readTypedDecimal): separators in groups of
 * three, and "1.500" dollars refused as ambiguous rather than booked as 1.50 or 1500.
 */
export function parseAmount(input: string, exponent: number, step = 1): ParsedAmount {
  if (!input.trim()) return { ok: false, problem: 'required' };
  const plain = readTypedDecimal(input, exponent);
  if (plain === 'ambiguous') return { ok: false, problem: 'ambiguous' };
  if (plain === null) return { ok: false, problem: 'format' };
  const [whole = '', fraction = ''] = plain.split('.');
  // Decimals beyond the currency's, even zeros, are refused: a sign of a misread amount.
  if (fraction.length > exponent) return { ok: false, problem: 'decimals' };
  const digits = `${whole}${fraction.padEnd(exponent, '0')}`.replace(/^0+(?=\d)/, '');
  if (digits.length > 15) return { ok: false, problem: 'tooLarge' };
  const minor = Number(digits);
  if (!Number.isSafeInteger(minor)) return { ok: false, problem: 'tooLarge' };
  if (minor === 0) return { ok: false, problem: 'zero' };
  if (step > 1 && minor % step !== 0) return { ok: false, problem: 'step' };
  return { ok: true, minor };
}

/** 182750 with exponent 2 → "1827.50"; 1500 with 0 → "1500"; 12340 with 3 → "12.340". */
export function minorToMajorString(minor: number, exponent: number): string {
  const negative = minor < 0;
  const digits = String(Math.abs(Math.trunc(minor))).padStart(exponent + 1, '0');
  const whole = exponent ? digits.slice(0, -exponent) : digits;
  const fraction = exponent ? `.${digits.slice(-exponent)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/** Shows an amount typed in major units with the currency, for confirmation dialogs. */
export function formatMajor(minor: number, currency: string, exponent: number, locale: string): string {
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency,
      minimumFractionDigits: exponent,
      maximumFractionDigits: exponent,
    }).format(Number(minorToMajorString(minor, exponent)));
  } catch {
    return `${minorToMajorString(minor, exponent)} ${currency}`;
  }
}
