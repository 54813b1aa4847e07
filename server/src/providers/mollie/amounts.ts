/**
 * Mollie amounts are `{ currency, value }` with `value` a decimal string carrying exactly the
 * currency's number of decimals (https://docs.mollie.com/reference/create-payment, `amount`;
 * e.g. `"10.00"` EUR, `"1000"` JPY). The plugin keeps integer minor units with the domain's exponent,
 * so every amount crosses this one converter. Pure functions.
 */
import { currencyExponent } from '../../domain';
import { ProviderRequestError } from '../types';

/**
 * Currencies Mollie takes and their decimal places, from Mollie's multicurrency guide
 * (https://docs.mollie.com/payments/multicurrency, "Supported currencies"): JPY and ISK have none,
 * every other listed currency two. HRK (replaced by EUR in 2023) and RUB (suspended) are left out.
 * Which methods take a currency varies (EUR: all; most others: card and PayPal): Mollie's checkout
 * shows only the methods that can pay it.
 */
export const MOLLIE_CURRENCY_DECIMALS: Readonly<Record<string, 0 | 2>> = Object.freeze({
  AED: 2,
  AUD: 2,
  BGN: 2,
  BRL: 2,
  CAD: 2,
  CHF: 2,
  CZK: 2,
  DKK: 2,
  EUR: 2,
  GBP: 2,
  HKD: 2,
  HUF: 2,
  ILS: 2,
  ISK: 0,
  JPY: 0,
  MXN: 2,
  MYR: 2,
  NOK: 2,
  NZD: 2,
  PHP: 2,
  PLN: 2,
  RON: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TWD: 2,
  USD: 2,
  ZAR: 2,
});

export interface MollieAmount {
  currency: string;
  value: string;
}

export function mollieDecimals(currency: string): 0 | 2 {
  const code = currency.toUpperCase();
  const d = Object.prototype.hasOwnProperty.call(MOLLIE_CURRENCY_DECIMALS, code)
    ? MOLLIE_CURRENCY_DECIMALS[code]
    : undefined;
  if (d === undefined) {
    throw new ProviderRequestError(
      `Mollie does not take payments in ${code}. Use one of: ${Object.keys(MOLLIE_CURRENCY_DECIMALS).join(', ')}.`,
      false,
      'currency_not_supported',
      422,
    );
  }
  return d;
}

/** Minor units (domain exponent) -> Mollie's decimal string. Refuses what Mollie cannot represent. */
export function toMollieAmount(minor: number, currency: string): MollieAmount {
  const code = currency.toUpperCase();
  if (!Number.isSafeInteger(minor) || minor < 0)
    throw new ProviderRequestError(`Invalid amount ${minor}.`, false, 'amount_invalid', 422);
  const decimals = mollieDecimals(code);
  const exponent = currencyExponent(code);
  let units = BigInt(minor);
  if (exponent > decimals) {
    // ISK: the domain keeps two decimals with a zero fraction (Stripe's wire format); Mollie takes none.
    const factor = 10n ** BigInt(exponent - decimals);
    if (units % factor !== 0n)
      throw new ProviderRequestError(`${code} amounts have no fraction at Mollie.`, false, 'amount_invalid', 422);
    units /= factor;
  } else if (exponent < decimals) {
    units *= 10n ** BigInt(decimals - exponent);
  }
  const digits = units.toString().padStart(decimals + 1, '0');
  const value = decimals === 0 ? digits : `${digits.slice(0, -decimals)}.${digits.slice(-decimals)}`;
  return { currency: code, value };
}

/** Mollie's `{ currency, value }` -> minor units (domain exponent). Null for a missing amount. */
export function fromMollieAmount(amount: { currency: string; value: string } | null | undefined): number | null {
  if (!amount) return null;
  const code = amount.currency.toUpperCase();
  const m = /^(\d+)(?:\.(\d+))?$/.exec(amount.value);
  if (!m)
    throw new ProviderRequestError(
      `Mollie sent an amount that is not a decimal (${amount.value}).`,
      false,
      'amount_malformed',
    );
  const exponent = currencyExponent(code);
  const fraction = (m[2] ?? '').replace(/0+$/, '');
  if (fraction.length > exponent)
    throw new ProviderRequestError(
      `Mollie sent ${amount.value} ${code}, finer than ${code} allows.`,
      false,
      'amount_malformed',
    );
  const minor = BigInt(m[1]) * 10n ** BigInt(exponent) + BigInt((fraction || '0').padEnd(exponent, '0') || '0');
  const n = Number(minor);
  if (!Number.isSafeInteger(n))
    throw new ProviderRequestError('Mollie sent an amount too large to book.', false, 'amount_malformed');
  return n;
}
