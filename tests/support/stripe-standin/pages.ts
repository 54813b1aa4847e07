/**
 * The stand-in's tiny hosted pages: Checkout (Pay / Cancel) and the 3D Secure challenge
 * (Complete / Fail). Plain HTML forms, so browser-driven tests (Playwright) can click through.
 */
import { formatAmount } from './currency';
import { TEST_PAYMENT_METHODS } from './resources/payment-methods';
import { offersSaving } from './resources/checkout-sessions';
import { SAVE_DETAILS_LABEL } from './checkout-text';
import type { CheckoutSessionRecord, PaymentIntentRecord } from './types';

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}.error{color:#b00020}.muted{color:#666}</style>
</head>
<body>
<p class="muted">Stripe stand-in (test double, not Stripe)</p>
${body}
</body>
</html>`;
}

export function checkoutPage(session: CheckoutSessionRecord, error?: string): string {
  const items = session.line_items
    .map(
      (item) =>
        `<li>${escapeHtml(item.name)} × ${item.quantity} — ${escapeHtml(formatAmount(item.unit_amount * item.quantity, item.currency))}</li>`,
    )
    .join('\n');
  const methods = [...TEST_PAYMENT_METHODS.keys()]
    .map((alias) => `<option value="${alias}"${alias === 'pm_card_visa' ? ' selected' : ''}>${alias}</option>`)
    .join('');
  if (session.status !== 'open') {
    return page('Checkout', `<h1>This Checkout Session is ${escapeHtml(session.status)}.</h1>`);
  }
  return page(
    'Checkout',
    `<h1>Pay ${escapeHtml(formatAmount(session.amount_total, session.currency))}</h1>
<ul>${items}</ul>
${error ? `<p class="error" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/_standin/checkout/${escapeHtml(session.id)}/pay">
  <label>Test payment method <select name="payment_method" id="payment_method">${methods}</select></label>
  <label>Email <input name="email" type="email" value="${escapeHtml(session.customer_email ?? 'customer@example.com')}"></label>
  ${
    offersSaving(session)
      ? `<p><label><input type="checkbox" name="save" id="save"> ${escapeHtml(SAVE_DETAILS_LABEL)}</label></p>`
      : ''
  }
  ${session.custom_text_submit ? `<p class="muted" id="submit-text">${escapeHtml(session.custom_text_submit)}</p>` : ''}
  <p><button type="submit" id="pay">Pay</button></p>
</form>
<form method="post" action="/_standin/checkout/${escapeHtml(session.id)}/cancel">
  <button type="submit" id="cancel">Cancel</button>
</form>`,
  );
}

export function threeDSecurePage(pi: PaymentIntentRecord): string {
  if (pi.status !== 'requires_action') {
    return page('3D Secure', `<h1>Nothing to authenticate (status: ${escapeHtml(pi.status)}).</h1>`);
  }
  return page(
    '3D Secure',
    `<h1>Authenticate ${escapeHtml(formatAmount(pi.amount, pi.currency))}</h1>
<form method="post" action="/_standin/3ds/${escapeHtml(pi.id)}">
  <button type="submit" name="outcome" value="succeed" id="complete">Complete authentication</button>
  <button type="submit" name="outcome" value="fail" id="fail">Fail authentication</button>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
