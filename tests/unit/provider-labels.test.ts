/**
 * Sentences of the provider-neutral core name the provider holding the payment: a Mollie
 * refund's failure reads "Mollie refused it", rows stored before the provider column read Stripe.
 */
import { providerLabel } from '../../server/src/providers/registry';
import { refundFailureText } from '../../server/src/services/refunds';

describe('provider labels in messages', () => {
  it('names each provider by its label; rows without one are Stripe’s; unknown ids stay as they are', () => {
    expect(providerLabel('mollie')).toBe('Mollie');
    expect(providerLabel('stripe')).toBe('Stripe');
    expect(providerLabel(null)).toBe('Stripe');
    expect(providerLabel('paypal')).toBe('paypal');
  });

  it('refund failure reasons say whose balance or refusal it was', () => {
    expect(refundFailureText('provider_refused', 'mollie')).toBe('Mollie refused it');
    expect(refundFailureText('insufficient_funds', 'mollie')).toBe('the Mollie balance could not cover it');
    expect(refundFailureText('not_created', 'stripe')).toBe('Stripe never made it (checked after an error)');
    expect(refundFailureText('declined', 'mollie')).toBe('the card issuer declined it');
    expect(refundFailureText('some_new_reason', 'mollie')).toBe('some new reason');
    expect(refundFailureText(null, 'mollie')).toBeNull();
  });
});
