/**
 * The invoice page: wires the Pay button to the drawer or to Checkout, and re-renders the
 * invoice (same markup as the server's) after a payment.
 */
import { renderInvoice } from '../../server/src/pages/render';
import type { InvoiceView } from '../../server/src/pages/view';
import type { Api } from './api';
import { createCardDrawer } from './card-drawer';
import { startCheckout } from './checkout';
import { byId } from './dom';
import { t } from './page-data';
import { stripeFor } from './stripe';

export function startInvoicePage(
  first: InvoiceView,
  api: Api,
  opts: { render?: boolean; linkBase?: string } = {},
): void {
  const main = byId('invoice');
  let view = first;

  const drawer = createCardDrawer({
    api,
    background: main,
    view: () => view,
    refresh: async () => {
      try {
        show(await api.view());
      } catch {
        location.reload(); // the server page is always right
        return;
      }
      byId('invoice-title').focus();
    },
  });

  function say(text: string): void {
    const box = document.getElementById('page-message');
    if (!box) return;
    box.textContent = text;
    box.className = 'message message-error';
    box.hidden = false;
  }

  function wire(): void {
    const button = document.getElementById('pay-button') as HTMLButtonElement | null;
    const pay = view.pay;
    if (!button || !pay) return;
    button.disabled = false;
    button.addEventListener('click', () => {
      if (pay.mode === 'payment_element') drawer.open();
      else void startCheckout(view, api, button, say);
    });
    // Start downloading Stripe.js now; hosted Checkout does not need it.
    if (pay.mode !== 'hosted') stripeFor(pay.publishableKey).catch(() => undefined);
  }

  function show(next: InvoiceView): void {
    view = next;
    main.innerHTML = renderInvoice(next, t, { linkBase: opts.linkBase });
    document.title = t('page.invoiceNumber', { number: next.number });
    wire();
  }

  if (opts.render) show(first);
  else wire();
}
