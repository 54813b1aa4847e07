import Stripe from 'stripe';
import { ProviderConnectionError, type PaymentProvider, type ProviderAccount } from '../types';

export class StripeProvider implements PaymentProvider {
  readonly name = 'stripe';

  constructor(private readonly stripe: Stripe) {}

  async verifyCredentials(): Promise<ProviderAccount> {
    try {
      const account = await this.stripe.accounts.retrieveCurrent();
      return { accountId: account.id, livemode: null };
    } catch (error) {
      throw toConnectionError(error);
    }
  }
}

/** Maps SDK errors to a reason and a message a site admin can act on (never echoing the key). */
export function toConnectionError(error: unknown): ProviderConnectionError {
  if (error instanceof Stripe.errors.StripeAuthenticationError) {
    return new ProviderConnectionError('bad_key', 'Stripe rejected the secret key. Copy it again from the Stripe Dashboard (Developers → API keys).');
  }
  if (error instanceof Stripe.errors.StripePermissionError) {
    return new ProviderConnectionError('permission', 'This restricted key cannot read the account. Give it at least read access to "Account" and write access to PaymentIntents, Refunds and Checkout Sessions.');
  }
  if (error instanceof Stripe.errors.StripeConnectionError) {
    return new ProviderConnectionError('unreachable', 'Stripe could not be reached from this server. Check its outbound network access and try again.');
  }
  if (error instanceof Stripe.errors.StripeError) {
    return new ProviderConnectionError('unknown', `Stripe answered with an error (${error.type}). Try again in a moment.`);
  }
  return new ProviderConnectionError('unknown', 'The connection to Stripe could not be checked.');
}
