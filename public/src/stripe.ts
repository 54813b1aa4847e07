import type { Stripe } from '@stripe/stripe-js';
// The pure entry adds Stripe.js to the page only when loadStripe is first called (not on import).
import { loadStripe } from '@stripe/stripe-js/pure';
import { pageData, t } from './page-data';

/**
 * Stripe.js, loaded once per page from https://js.stripe.com (never bundled: Stripe requires it,
 * and the CSP allows exactly that origin). Started as soon as a payable invoice is shown, so the
 * card form is ready when the client opens the drawer.
 *
 * With the plugin's stripe.jsUrl (tests and the offline demo only) the server names another
 * Stripe.js in the page data, and the CSP allows that origin instead of Stripe's: we add it
 * ourselves first; it defines window.Stripe, which loadStripe then uses instead of downloading.
 */
let pending: Promise<Stripe> | null = null;

export function stripeFor(publishableKey: string): Promise<Stripe> {
  pending ??= replacementScript()
    .then(() => loadStripe(publishableKey))
    .then((stripe) => {
      if (!stripe) throw new Error('Stripe.js is not available');
      return stripe;
    });
  pending.catch(() => {
    pending = null; // let the next attempt retry the download
  });
  return pending;
}

/** The replacement Stripe.js the server put in the page data, if any. */
function replacementUrl(): string | null {
  const url = pageData()?.stripeJsUrl;
  return typeof url === 'string' ? url : null;
}

/** Loads the replacement Stripe.js, when there is one and it has not defined window.Stripe yet. */
function replacementScript(): Promise<void> {
  const url = replacementUrl();
  if (!url || window.Stripe) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const script = document.createElement('script');
    script.src = url;
    script.async = true;
    script.addEventListener('load', () => resolve());
    script.addEventListener('error', () => {
      script.remove(); // a retry adds a fresh tag and downloads again
      reject(new Error('Stripe.js could not be loaded'));
    });
    document.head.append(script);
  });
}

/** The card form's "could not load" message, in the page's language. */
export const stripeUnavailable = () => t('drawer.stripeUnavailable');
