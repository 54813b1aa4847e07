/**
 * Stripe Checkout instead of the drawer (chosen in the plugin settings): hosted (a redirect to
 * Stripe's page) or embedded (Stripe's Checkout mounted in this page). Either way Stripe sends the
 * client back to /invoice-payments/pay/success, which asks Stripe what happened.
 */
import type { InvoiceView } from '../../server/src/pages/view';
import { ApiError, type Api } from './api';
import { byId } from './dom';
import { rememberReturn } from './return-link';
import { t } from './page-data';
import { stripeFor, stripeUnavailable } from './stripe';

function fail(error: unknown): string {
  return error instanceof ApiError ? error.message : stripeUnavailable();
}

export async function startCheckout(
  view: InvoiceView,
  api: Api,
  button: HTMLButtonElement,
  say: (text: string) => void,
): Promise<void> {
  const pay = view.pay!;
  button.disabled = true;
  button.setAttribute('aria-busy', 'true');
  rememberReturn(view.documentId);
  try {
    if (pay.mode === 'hosted') {
      const session = await api.checkout('hosted');
      if (!session.url) throw new ApiError(502, t('drawer.checkoutUnavailable'));
      location.assign(session.url);
      return; // leaving the page: the button stays busy
    }
    const stripe = await stripeFor(pay.publishableKey);
    const checkout = await stripe.createEmbeddedCheckoutPage({
      fetchClientSecret: async () => {
        const session = await api.checkout('embedded');
        if (!session.clientSecret) throw new ApiError(502, t('drawer.checkoutUnavailable'));
        return session.clientSecret;
      },
    });
    const container = byId('checkout-embed');
    container.hidden = false;
    button.hidden = true;
    checkout.mount(container);
    container.scrollIntoView({ block: 'start' });
  } catch (error) {
    button.disabled = false;
    button.removeAttribute('aria-busy');
    say(fail(error));
  }
}
