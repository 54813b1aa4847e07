/**
 * Amounts typed by an admin are decimals in major units ("1,827.50", "1500", "12.340"); the API
 * takes integer minor units. The conversion is done on the digits, never through floating point,
 * using the invoice's currency exponent as the API reports it (0 for JPY, 2 for USD, 3 for KWD).
 */

export type AmountProblem = 'required' | 'format' | 'decimals' | 'zero' | 'tooLarge' | 'step';

export type ParsedAmount = { ok: true; minor: number } | { ok: false; problem: AmountProblem };

/**
 * Accepts "1827.5", "1 827,50", "1,827.50" and "1.827,50": whichever of `.` or `,` comes last is
 * the decimal separator when both appear; a lone `,` is a decimal separator (French keyboards).
 */
export function parseAmount(input: string, exponent: number, step = 1): ParsedAmount {
  let text = input.replace(/[\s\u00a0\u202f']/g, '');
  if (!text) return { ok: false, problem: 'required' };
  const lastDot = text.lastIndexOf('.');
  const lastComma = text.lastIndexOf(',');
  if (lastDot >= 0 && lastComma >= 0) {
    const decimal = lastDot > lastComma ? '.' : ',';
    const grouping = decimal === '.' ? ',' : '.';
    text = text.split(grouping).join('').replace(decimal, '.');
  } else if (lastComma >= 0) {
    // One comma: a decimal separator. Several commas: thousands grouping ("1,000,000").
    text = text.split(',').length > 2 ? text.split(',').join('') : text.replace(',', '.');
  }
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!m) return { ok: false, problem: 'format' };
  const whole = m[1]!;
  const fraction = (m[2] ?? '').replace(/0+$/, '');
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
    return new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: exponent, maximumFractionDigits: exponent }).format(
      Number(minorToMajorString(minor, exponent)),
    );
  } catch {
    return `${minorToMajorString(minor, exponent)} ${currency}`;
  }
}
