import { DomainError } from './errors';

/**
 * Facts about each supported currency, as Stripe sees them.
 *
 * - `exponent`: digits after the decimal point in the integer `amount` Stripe
 *   expects (0 for zero-decimal currencies, 3 for three-decimal ones).
 * - `step`: granularity an amount must be a multiple of. Stripe requires the
 *   last digit of three-decimal amounts to be 0, and ISK is sent two-decimal
 *   but must have a zero fraction.
 * - `minimumMinor`: smallest charge Stripe accepts, in minor units. Where
 *   Stripe's "minimum and maximum charge amounts" table lists the currency the
 *   value comes from there; the other entries are our approximation of
 *   USD 0.50 (what Stripe enforces after conversion to the settlement
 *   currency), rounded up to a tidy value so normal rate moves do not push
 *   them under the real limit.
 * - `displayExponent`: fraction digits people expect to see, when it differs
 *   from `exponent` (ISK: Stripe wants 2, nobody writes krónur with decimals).
 *
 * Keep this table the single source: callers must never special-case codes.
 */
export interface CurrencyInfo {
  readonly exponent: 0 | 2 | 3;
  readonly step: number;
  readonly minimumMinor: number;
  readonly displayExponent?: number;
}

/** Stripe's limit: amounts may have at most 8 digits in minor units. */
export const MAX_AMOUNT_MINOR = 99_999_999;

// Shorthands keep the table readable; each row still states its minimum.
const two = (minimumMinor: number): CurrencyInfo => ({ exponent: 2, step: 1, minimumMinor });
const zero = (minimumMinor: number): CurrencyInfo => ({ exponent: 0, step: 1, minimumMinor });
// 0.500 of a three-decimal currency is roughly USD 1.50, comfortably above
// Stripe's USD 0.50 equivalent, and already a multiple of the step of 10.
const three = (): CurrencyInfo => ({ exponent: 3, step: 10, minimumMinor: 500 });

const TABLE = {
  // Two-decimal, minimums from Stripe's table.
  USD: two(50),
  EUR: two(50),
  GBP: two(30),
  CAD: two(50),
  AUD: two(50),
  NZD: two(50),
  CHF: two(50),
  SGD: two(50),
  MXN: two(1000),
  HKD: two(400),
  DKK: two(250),
  SEK: two(300),
  NOK: two(300),
  PLN: two(200),
  CZK: two(1500),
  INR: two(50),
  BRL: two(50),
  AED: two(200),
  HUF: two(17500),
  // Two-decimal, approximated (~USD 0.50).
  ZAR: two(1000),
  TWD: two(2000),
  // ISK: two-decimal on the wire with a zero fraction; ~USD 0.50 is 70 ISK.
  ISK: { exponent: 2, step: 100, minimumMinor: 7000, displayExponent: 0 },

  // Zero-decimal (Stripe's list). JPY from Stripe's table, the rest approximated.
  JPY: zero(50),
  KRW: zero(1000),
  VND: zero(15000),
  CLP: zero(500),
  PYG: zero(4000),
  UGX: zero(2000),
  XAF: zero(300),
  XOF: zero(300),
  XPF: zero(60),
  BIF: zero(1500),
  DJF: zero(100),
  GNF: zero(5000),
  KMF: zero(250),
  MGA: zero(2500),
  RWF: zero(700),
  VUV: zero(60),

  // Three-decimal.
  BHD: three(),
  JOD: three(),
  KWD: three(),
  OMR: three(),
  TND: three(),
} as const satisfies Record<string, CurrencyInfo>;

export type CurrencyCode = keyof typeof TABLE;

export const SUPPORTED_CURRENCIES: readonly CurrencyCode[] = Object.freeze(Object.keys(TABLE).sort() as CurrencyCode[]);

function lookup(code: string): CurrencyInfo | undefined {
  return Object.prototype.hasOwnProperty.call(TABLE, code) ? TABLE[code as CurrencyCode] : undefined;
}

export function isSupportedCurrency(code: unknown): code is string {
  return typeof code === 'string' && lookup(code.trim().toUpperCase()) !== undefined;
}

/** Uppercases and checks support; the returned code is safe to store and compare. */
export function normalizeCurrency(code: unknown): CurrencyCode {
  const upper = typeof code === 'string' ? code.trim().toUpperCase() : '';
  if (lookup(upper) === undefined) {
    const shown = typeof code === 'string' && code.trim() !== '' ? `"${code.trim()}"` : 'That currency';
    throw new DomainError(
      'unsupported_currency',
      `${shown} is not a supported currency. Use one of: ${SUPPORTED_CURRENCIES.join(', ')}.`,
      { currency: code },
    );
  }
  return upper as CurrencyCode;
}

export function currencyInfo(code: string): CurrencyInfo {
  return TABLE[normalizeCurrency(code)];
}

export function currencyExponent(code: string): number {
  return currencyInfo(code).exponent;
}

export function amountStep(code: string): number {
  return currencyInfo(code).step;
}

export function minimumChargeMinor(code: string): number {
  return currencyInfo(code).minimumMinor;
}

/** Fraction digits to show people (differs from the wire exponent for ISK). */
export function displayExponent(code: string): number {
  const info = currencyInfo(code);
  return info.displayExponent ?? info.exponent;
}
