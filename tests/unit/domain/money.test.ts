import { formatMinor, minorToMajorString, parseMajorToMinor, roundToStep } from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

describe('parseMajorToMinor', () => {
  it('parses two-, zero- and three-decimal currencies exactly', () => {
    expect(parseMajorToMinor('1827.50', 'USD')).toBe(182750);
    expect(parseMajorToMinor('1827.5', 'usd')).toBe(182750);
    expect(parseMajorToMinor('0.07', 'USD')).toBe(7);
    expect(parseMajorToMinor('1500', 'JPY')).toBe(1500);
    expect(parseMajorToMinor('12.345', 'KWD')).toBe(12345);
    expect(parseMajorToMinor('0.5', 'KWD')).toBe(500);
    expect(parseMajorToMinor('123', 'ISK')).toBe(12300);
    expect(parseMajorToMinor(' 42 ', 'EUR')).toBe(4200);
    expect(parseMajorToMinor('007.10', 'EUR')).toBe(710);
  });

  it('accepts numbers through their exact string form', () => {
    expect(parseMajorToMinor(1827.5, 'USD')).toBe(182750);
    expect(parseMajorToMinor(19.99, 'USD')).toBe(1999); // 19.99 * 100 is 1998.9999999999998 in floats
    expect(parseMajorToMinor(1.005, 'KWD')).toBe(1005);
    expect(parseMajorToMinor(1500, 'JPY')).toBe(1500);
    expect(parseMajorToMinor(0, 'USD')).toBe(0);
  });

  it('ignores trailing zeros beyond the exponent', () => {
    expect(parseMajorToMinor('1500.00', 'JPY')).toBe(1500);
    expect(parseMajorToMinor('12.3450', 'KWD')).toBe(12345);
  });

  it('refuses more decimals than the currency has', () => {
    expect(expectDomainError(() => parseMajorToMinor('1.5', 'JPY'), 'amount_bad_precision').message).toBe(
      'JPY amounts cannot have decimals.',
    );
    expectDomainError(() => parseMajorToMinor('1.005', 'USD'), 'amount_bad_precision');
    expectDomainError(() => parseMajorToMinor('12.3456', 'KWD'), 'amount_bad_precision');
    expectDomainError(() => parseMajorToMinor(0.1 + 0.2, 'USD'), 'amount_bad_precision');
    expectDomainError(() => parseMajorToMinor(1.5, 'JPY'), 'amount_bad_precision');
  });

  it('refuses thousands separators, junk and exponent notation', () => {
    for (const input of ['1,000', '1 000', '', ' ', 'abc', '1.2.3', '.5', '5.', '+5', '1e3', '$5', '0x10']) {
      expectDomainError(() => parseMajorToMinor(input, 'USD'), 'amount_invalid');
    }
    expectDomainError(() => parseMajorToMinor(Number.NaN, 'USD'), 'amount_invalid');
    expectDomainError(() => parseMajorToMinor(Number.POSITIVE_INFINITY, 'USD'), 'amount_invalid');
    expectDomainError(() => parseMajorToMinor(1e21, 'USD'), 'amount_invalid');
  });

  it('refuses negative amounts', () => {
    expectDomainError(() => parseMajorToMinor('-5', 'USD'), 'amount_negative');
    expectDomainError(() => parseMajorToMinor('-0.50', 'USD'), 'amount_negative');
    expectDomainError(() => parseMajorToMinor(-1, 'USD'), 'amount_negative');
  });

  it('refuses amounts beyond the safe integer range', () => {
    expectDomainError(() => parseMajorToMinor('90071992547409.92', 'USD'), 'amount_too_large');
    expect(parseMajorToMinor('90071992547409.91', 'USD')).toBe(Number.MAX_SAFE_INTEGER);
  });

  it('refuses unsupported currencies', () => {
    expectDomainError(() => parseMajorToMinor('1', 'XYZ'), 'unsupported_currency');
  });
});

describe('minorToMajorString', () => {
  it('renders the exact decimal', () => {
    expect(minorToMajorString(182750, 'USD')).toBe('1827.50');
    expect(minorToMajorString(5, 'USD')).toBe('0.05');
    expect(minorToMajorString(0, 'USD')).toBe('0.00');
    expect(minorToMajorString(1500, 'JPY')).toBe('1500');
    expect(minorToMajorString(12340, 'KWD')).toBe('12.340');
    expect(minorToMajorString(7, 'KWD')).toBe('0.007');
    expect(minorToMajorString(12300, 'ISK')).toBe('123.00');
  });

  it('handles negatives', () => {
    expect(minorToMajorString(-182750, 'USD')).toBe('-1827.50');
    expect(minorToMajorString(-5, 'USD')).toBe('-0.05');
    expect(minorToMajorString(-1500, 'JPY')).toBe('-1500');
  });

  it('round-trips with parseMajorToMinor', () => {
    for (const [minor, code] of [
      [182750, 'USD'],
      [1500, 'JPY'],
      [12345, 'KWD'],
      [1, 'EUR'],
    ] as const) {
      expect(parseMajorToMinor(minorToMajorString(minor, code), code)).toBe(minor);
    }
  });

  it('refuses non-integers', () => {
    expectDomainError(() => minorToMajorString(1.5, 'USD'), 'amount_not_integer');
  });
});

describe('formatMinor', () => {
  it('formats with the currency symbol and exact digits', () => {
    expect(formatMinor(182750, 'USD')).toBe('$1,827.50');
    expect(formatMinor(1500, 'JPY')).toBe('¥1,500');
    expect(formatMinor(50, 'usd')).toBe('$0.50');
    expect(formatMinor(12345, 'KWD')).toContain('12.345');
    expect(formatMinor(12340, 'KWD')).toContain('12.340');
    expect(formatMinor(-182750, 'USD')).toBe('-$1,827.50');
  });

  it('does not lose precision on large amounts', () => {
    expect(formatMinor(Number.MAX_SAFE_INTEGER, 'USD')).toBe('$90,071,992,547,409.91');
  });

  it('shows ISK without the zero fraction, but never rounds away a real one', () => {
    expect(formatMinor(12300, 'ISK')).toMatch(/^ISK\s*123$/);
    expect(formatMinor(12350, 'ISK')).toMatch(/^ISK\s*123\.50$/);
  });

  it('honours the locale', () => {
    expect(formatMinor(182750, 'EUR', 'de-DE')).toBe('1.827,50\u00a0€');
  });
});

describe('roundToStep', () => {
  it('is a no-op for step 1', () => {
    expect(roundToStep(12345, 'USD')).toBe(12345);
    expect(roundToStep(7, 'JPY')).toBe(7);
  });

  it('rounds half up (away from zero) for three-decimal currencies', () => {
    expect(roundToStep(12345, 'KWD')).toBe(12350);
    expect(roundToStep(12344, 'KWD')).toBe(12340);
    expect(roundToStep(12340, 'KWD')).toBe(12340);
    expect(roundToStep(5, 'BHD')).toBe(10);
    expect(roundToStep(4, 'BHD')).toBe(0);
    expect(roundToStep(-12345, 'KWD')).toBe(-12350);
    expect(roundToStep(-12344, 'KWD')).toBe(-12340);
  });

  it('rounds ISK to whole krónur', () => {
    expect(roundToStep(12350, 'ISK')).toBe(12400);
    expect(roundToStep(12349, 'ISK')).toBe(12300);
  });

  it('refuses non-integers', () => {
    expectDomainError(() => roundToStep(1.5, 'KWD'), 'amount_not_integer');
  });
});
