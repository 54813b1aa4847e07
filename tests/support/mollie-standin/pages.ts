/**
 * The stand-in's hosted checkout. Mollie's test mode shows, after the method is picked, a page on
 * which the tester chooses the outcome (paid, failed, canceled, expired…)
 * (https://docs.mollie.com/docs/testing, "Testing payments"); this page does both at once. Plain
 * HTML forms, so Playwright can click through.
 */
import type { PaymentRecord } from './model';

export const METHODS = ['ideal', 'bancontact', 'banktransfer', 'creditcard'] as const;
export const OUTCOMES = ['paid', 'failed', 'canceled', 'expired'] as const;

function esc(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
fieldset{margin:1rem 0}button{font-size:1rem;padding:.5rem 1.5rem}.muted{color:#666}</style></head>
<body><p class="muted">Mollie stand-in, test mode (a test double, not Mollie)</p>
${body}</body></html>`;
}

export function checkoutPage(p: PaymentRecord): string {
  if (p.status !== 'open') return page('Mollie checkout', `<h1>This payment is ${esc(p.status)}.</h1>`);
  const methods = METHODS.map(
    (m, i) => `<label><input type="radio" name="method" value="${m}"${i === 0 ? ' checked' : ''}> ${m}</label>`,
  ).join('<br>');
  const outcomes = OUTCOMES.map(
    (o, i) =>
      `<label><input type="radio" name="status" value="${o}" id="status-${o}"${i === 0 ? ' checked' : ''}> ${o}</label>`,
  ).join('<br>');
  return page(
    'Mollie checkout',
    `<h1>Pay ${esc(p.amount.currency)} ${esc(p.amount.value)}</h1>
<p>${esc(p.description)}</p>
<form method="post" action="/checkout/${esc(p.id)}">
<fieldset><legend>Payment method</legend>${methods}</fieldset>
<fieldset><legend>Test payment status</legend>${outcomes}</fieldset>
<button type="submit" id="continue">Continue</button>
</form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return page(title, `<h1>${esc(title)}</h1><p>${esc(message)}</p>`);
}
