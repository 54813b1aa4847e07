import type { Stripe } from '@stripe/stripe-js';
// The pure entry adds Stripe.js to the page only when loadStripe is first called (not on import).
import { loadStripe } from '@stripe/stripe-js/pure';

/**
 * Stripe.js, loaded once per page from https://js.stripe.com (never bundled: Stripe requires it,
 * and the CSP allows exactly that origin). Started as soon as a payable invoice is shown, so the
 * card form is ready when the client opens the drawer.
 */
let pending: Promise<Stripe> | null = null;

export function stripeFor(publishableKey: string): Promise<Stripe> {
  pending ??= loadStripe(publishableKey).then((stripe) => {
    if (!stripe) throw new Error('Stripe.js is not available');
    return stripe;
  });
  pending.catch(() => {
    pending = null; // let the next attempt retry the download
  });
  return pending;
}

export const STRIPE_UNAVAILABLE = 'The secure card form could not be loaded. Check your connection and try again.';
