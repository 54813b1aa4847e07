/**
 * Parses a plain decimal ("1827.50", "1.5", 12) into an integer scaled by
 * 10^scale, by string manipulation only, so 0.1 + 0.2 style float artefacts
 * can never leak into amounts or quantities.
 */

export type ScaledDecimalResult =
  { ok: true; value: bigint } | { ok: false; reason: 'invalid' | 'negative' | 'precision' };

// Digits with an optional fractional part. No signs, no grouping separators,
// no exponent: "1,000" is ambiguous across locales and is refused.
const DECIMAL_PATTERN = /^(\d+)(?:\.(\d+))?$/;

export function parseScaledDecimal(input: string | number, scale: number): ScaledDecimalResult {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { ok: false, reason: 'invalid' };
    if (input < 0) return { ok: false, reason: 'negative' };
    // String(number) is the shortest round-trip representation, so 1827.5
    // becomes "1827.5" and 0.1 + 0.2 becomes "0.30000000000000004" (refused
    // below for precision) instead of being silently rounded. Very large or
    // tiny numbers print in exponent form and are refused as invalid.
    text = String(input);
  } else if (typeof input === 'string') {
    text = input.trim();
  } else {
    return { ok: false, reason: 'invalid' };
  }

  if (/^-\s*\d/.test(text)) return { ok: false, reason: 'negative' };
  const match = DECIMAL_PATTERN.exec(text);
  if (!match) return { ok: false, reason: 'invalid' };

  const whole = match[1] ?? '0';
  // Trailing zeros add no precision ("1500.00" JPY is exactly 1500).
  const fraction = (match[2] ?? '').replace(/0+$/, '');
  if (fraction.length > scale) return { ok: false, reason: 'precision' };

  const value = BigInt(whole) * 10n ** BigInt(scale) + BigInt(fraction.padEnd(scale, '0') || '0');
  return { ok: true, value };
}
