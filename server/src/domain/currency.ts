import { MAX_AMOUNT_MINOR, amountStep, minimumChargeMinor, normalizeCurrency } from './currency-table';
import { DomainError } from './errors';
import { formatMinor } from './money';

/**
 * Public currency API. The facts live in currency-table.ts (which money.ts
 * also needs, so keeping them there avoids an import cycle); this module adds
 * the charge-amount check that needs formatting for its messages.
 */
export {
  MAX_AMOUNT_MINOR,
  SUPPORTED_CURRENCIES,
  amountStep,
  currencyExponent,
  currencyInfo,
  displayExponent,
  isSupportedCurrency,
  minimumChargeMinor,
  normalizeCurrency,
} from './currency-table';
export type { CurrencyCode, CurrencyInfo } from './currency-table';

/**
 * Checks an amount Stripe would accept as a charge in `currency`, before we
 * call Stripe, so the payer gets an actionable message instead of an API error.
 */
export function validateChargeAmount(amountMinor: number, currency: string): void {
  const code = normalizeCurrency(currency);
  if (!Number.isSafeInteger(amountMinor)) {
    throw new DomainError('amount_not_integer', 'The amount must be a whole number of minor units.', {
      amount: amountMinor,
      currency: code,
    });
  }
  const minimum = minimumChargeMinor(code);
  if (amountMinor < minimum) {
    throw new DomainError('amount_below_minimum', `The amount must be at least ${formatMinor(minimum, code)}.`, {
      amount: amountMinor,
      currency: code,
      minimum,
    });
  }
  if (amountMinor > MAX_AMOUNT_MINOR) {
    // The largest step-valid amount, so the message never suggests an invalid one.
    const maximum = MAX_AMOUNT_MINOR - (MAX_AMOUNT_MINOR % amountStep(code));
    throw new DomainError('amount_above_maximum', `The amount cannot be more than ${formatMinor(maximum, code)}.`, {
      amount: amountMinor,
      currency: code,
      maximum,
    });
  }
  const step = amountStep(code);
  if (amountMinor % step !== 0) {
    throw new DomainError(
      'amount_bad_step',
      `${code} amounts must be a multiple of ${formatMinor(step, code)}; try ${formatMinor(
        amountMinor - (amountMinor % step),
        code,
      )} or ${formatMinor(amountMinor - (amountMinor % step) + step, code)}.`,
      { amount: amountMinor, currency: code, step },
    );
  }
}
