/**
 * What the plugin needs from a payment gateway. Stripe is the only implementation today; keeping
 * Strapi code on this interface lets another gateway slot in without touching settlement.
 */
export interface ProviderAccount {
  accountId: string;
  livemode: boolean | null;
}

export type ConnectionFailureReason = 'bad_key' | 'unreachable' | 'permission' | 'unknown';

export class ProviderConnectionError extends Error {
  constructor(
    readonly reason: ConnectionFailureReason,
    message: string,
  ) {
    super(message);
  }
}

export interface PaymentProvider {
  readonly name: string;
  /** A real call to the gateway proving the credentials work. */
  verifyCredentials(): Promise<ProviderAccount>;
}
