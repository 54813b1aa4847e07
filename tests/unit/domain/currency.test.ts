import {
  MAX_AMOUNT_MINOR,
  SUPPORTED_CURRENCIES,
  amountStep,
  currencyExponent,
  isSupportedCurrency,
  minimumChargeMinor,
  normalizeCurrency,
  validateChargeAmount,
} from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

const REQUIRED = (
  'USD EUR GBP CAD AUD NZD CHF JPY KRW VND CLP PYG UGX XAF XOF XPF BIF DJF GNF KMF MGA RWF VUV ' +
  'BHD JOD KWD OMR TND ISK HUF TWD MXN HKD SGD DKK SEK NOK PLN CZK INR BRL ZAR AED'
).split(' ');
const ZERO_DECIMAL = 'BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' ');
const THREE_DECIMAL = 'BHD JOD KWD OMR TND'.split(' ');

describe('currency table', () => {
  it('supports every required currency', () => {
    for (const code of REQUIRED) expect(SUPPORTED_CURRENCIES).toContain(code);
  });

  it('has the Stripe exponents', () => {
    for (const code of ZERO_DECIMAL) expect(currencyExponent(code)).toBe(0);
    for (const code of THREE_DECIMAL) expect(currencyExponent(code)).toBe(3);
    for (const code of ['USD', 'EUR', 'ISK', 'HUF', 'TWD', 'GBP']) expect(currencyExponent(code)).toBe(2);
    const twoDecimal = REQUIRED.filter((c) => !ZERO_DECIMAL.includes(c) && !THREE_DECIMAL.includes(c));
    for (const code of twoDecimal) expect(currencyExponent(code)).toBe(2);
  });

  it('has the amount steps (three-decimal 10, ISK 100, others 1)', () => {
    for (const code of THREE_DECIMAL) expect(amountStep(code)).toBe(10);
    expect(amountStep('ISK')).toBe(100);
    expect(amountStep('USD')).toBe(1);
    expect(amountStep('JPY')).toBe(1);
    expect(amountStep('HUF')).toBe(1);
  });

  it("has Stripe's documented minimums", () => {
    const expected: Record<string, number> = {
      USD: 50,
      EUR: 50,
      CAD: 50,
      AUD: 50,
      NZD: 50,
      CHF: 50,
      SGD: 50,
      GBP: 30,
      JPY: 50,
      MXN: 1000,
      HKD: 400,
      DKK: 250,
      SEK: 300,
      NOK: 300,
    };
    for (const [code, min] of Object.entries(expected)) expect(minimumChargeMinor(code)).toBe(min);
    for (const code of THREE_DECIMAL) expect(minimumChargeMinor(code)).toBe(500);
  });

  it('every minimum is a positive multiple of the step and below the maximum', () => {
    for (const code of SUPPORTED_CURRENCIES) {
      const min = minimumChargeMinor(code);
      expect(min).toBeGreaterThan(0);
      expect(min % amountStep(code)).toBe(0);
      expect(min).toBeLessThan(MAX_AMOUNT_MINOR);
    }
  });

  it('exposes the 8-digit maximum', () => {
    expect(MAX_AMOUNT_MINOR).toBe(99_999_999);
  });
});

describe('normalizeCurrency / isSupportedCurrency', () => {
  it('accepts any case and whitespace', () => {
    expect(normalizeCurrency('usd')).toBe('USD');
    expect(normalizeCurrency(' kWd ')).toBe('KWD');
    expect(isSupportedCurrency('jpy')).toBe(true);
    expect(currencyExponent('jpy')).toBe(0);
  });

  it('refuses unknown or malformed codes with a readable message', () => {
    expect(isSupportedCurrency('XYZ')).toBe(false);
    expect(isSupportedCurrency('')).toBe(false);
    expect(isSupportedCurrency(undefined)).toBe(false);
    expect(isSupportedCurrency('toString')).toBe(false);
    const err = expectDomainError(() => normalizeCurrency('xyz'), 'unsupported_currency');
    expect(err.message).toContain('"xyz" is not a supported currency');
    expectDomainError(() => normalizeCurrency('constructor'), 'unsupported_currency');
    expectDomainError(() => normalizeCurrency(42), 'unsupported_currency');
    expectDomainError(() => amountStep('ABC'), 'unsupported_currency');
  });
});

describe('validateChargeAmount', () => {
  it('accepts valid amounts, including the exact minimum and maximum', () => {
    expect(() => validateChargeAmount(50, 'usd')).not.toThrow();
    expect(() => validateChargeAmount(182750, 'USD')).not.toThrow();
    expect(() => validateChargeAmount(99_999_999, 'USD')).not.toThrow();
    expect(() => validateChargeAmount(50, 'JPY')).not.toThrow();
    expect(() => validateChargeAmount(12340, 'KWD')).not.toThrow();
    expect(() => validateChargeAmount(12300, 'ISK')).not.toThrow();
  });

  it('refuses non-integers', () => {
    expectDomainError(() => validateChargeAmount(50.5, 'USD'), 'amount_not_integer');
    expectDomainError(() => validateChargeAmount(Number.NaN, 'USD'), 'amount_not_integer');
    expectDomainError(() => validateChargeAmount(2 ** 53, 'USD'), 'amount_not_integer');
  });

  it('refuses amounts below the minimum with the formatted minimum', () => {
    expect(expectDomainError(() => validateChargeAmount(49, 'USD'), 'amount_below_minimum').message).toBe(
      'The amount must be at least $0.50.',
    );
    expect(expectDomainError(() => validateChargeAmount(29, 'GBP'), 'amount_below_minimum').message).toBe(
      'The amount must be at least £0.30.',
    );
    expect(expectDomainError(() => validateChargeAmount(49, 'JPY'), 'amount_below_minimum').message).toBe(
      'The amount must be at least ¥50.',
    );
    expect(expectDomainError(() => validateChargeAmount(490, 'KWD'), 'amount_below_minimum').message).toMatch(/0\.500/);
    expectDomainError(() => validateChargeAmount(-100, 'USD'), 'amount_below_minimum');
    expectDomainError(() => validateChargeAmount(0, 'USD'), 'amount_below_minimum');
  });

  it('refuses amounts above the 8-digit maximum', () => {
    const err = expectDomainError(() => validateChargeAmount(100_000_000, 'USD'), 'amount_above_maximum');
    expect(err.message).toBe('The amount cannot be more than $999,999.99.');
    // The suggested KWD maximum is itself step-valid (ends in 0).
    expect(expectDomainError(() => validateChargeAmount(100_000_000, 'KWD'), 'amount_above_maximum').message).toMatch(
      /99,999\.990/,
    );
  });

  it('refuses amounts off the currency step and suggests neighbours', () => {
    const kwd = expectDomainError(() => validateChargeAmount(12345, 'KWD'), 'amount_bad_step');
    expect(kwd.message).toMatch(/0\.010/);
    expect(kwd.message).toMatch(/12\.340/);
    expect(kwd.message).toMatch(/12\.350/);
    const isk = expectDomainError(() => validateChargeAmount(12350, 'ISK'), 'amount_bad_step');
    expect(isk.message).toMatch(/ISK\s*123\b/);
    expect(isk.message).toMatch(/ISK\s*124\b/);
  });
});
