import type { IntlShape } from 'react-intl';
import type { AmountProblem } from './money';
import { getTranslation } from './getTranslation';

/** Field messages for an amount the admin typed, in the admin's language. */
export function amountProblemMessage(intl: IntlShape, problem: AmountProblem, exponent: number): string {
  const messages: Record<AmountProblem, [string, string]> = {
    required: ['amount.required', 'Enter an amount.'],
    format: ['amount.format', 'Enter an amount such as 1250.50.'],
    ambiguous: [
      'amount.ambiguous',
      'Ambiguous: write it without a thousands separator (1500) or with its decimals (1.50).',
    ],
    decimals: [
      exponent === 0 ? 'amount.noDecimals' : 'amount.decimals',
      exponent === 0 ? 'This currency has no decimals.' : 'Use at most {exponent} decimals.',
    ],
    zero: ['amount.zero', 'The amount must be above zero.'],
    tooLarge: ['amount.tooLarge', 'This amount is too large.'],
    step: [
      'amount.step',
      'This currency takes amounts in steps of 10 of its smallest unit (the last decimal must be 0).',
    ],
  };
  const [id, defaultMessage] = messages[problem];
  return intl.formatMessage({ id: getTranslation(id), defaultMessage }, { exponent });
}
