/**
 * Bank debits, bank redirects and wallets (issue 13), kept apart from the card catalogue:
 *
 * - **SEPA Direct Debit** (`sepa_debit`, EUR): a delayed-notification method. Confirming puts the
 *   intent in `processing` with a pending charge; days later it becomes `succeeded`, or goes back to
 *   `requires_payment_method` with `payment_intent.payment_failed`
 *   (https://docs.stripe.com/payments/sepa-debit: "it can take up to 14 business days to receive
 *   notification on the success or failure of a payment"). Stripe's test IBANs decide the outcome
 *   (https://docs.stripe.com/payments/sepa-debit/accept-a-payment#test-integration):
 *   AT611904300234573201 / DE89370400440532013000 succeed, AT861904300235473202 /
 *   DE62370400440532013001 fail after processing. The stand-in settles after `autoSettleDelayMs` or
 *   through `settleDelayed` / `POST /_standin/payment_intents/:id/settle`.
 * - **iDEAL, Bancontact** (`ideal`, `bancontact`, EUR): bank redirects. Confirming needs a
 *   `return_url` and answers `requires_action` with `next_action.redirect_to_url`; the bank's page
 *   (here `/_standin/redirect/:id`) sends the customer back to `return_url` with `payment_intent`,
 *   `payment_intent_client_secret` and `redirect_status` appended; the intent is `succeeded` right
 *   away, or `requires_payment_method` with `payment_intent.payment_failed` when the customer fails
 *   it (https://docs.stripe.com/payments/ideal/accept-a-payment, "Handle the redirect";
 *   https://docs.stripe.com/payments/bancontact/accept-a-payment).
 * - **Apple Pay / Google Pay**: wallets are cards with `card.wallet.type`
 *   (https://docs.stripe.com/apple-pay, SDK 23.1.0 `PaymentMethod.Card.Wallet`), settled like a card.
 *
 * The aliases `pm_sepaDebit_*`, `pm_ideal_*`, `pm_bancontact_*`, `pm_card_applePay`,
 * `pm_card_googlePay` are the stand-in's own.
 */
import type { JsonObject } from '../types';
import type { PaymentBehavior, TestPaymentMethod } from './payment-methods';

export type LocalMethodType = 'sepa_debit' | 'ideal' | 'bancontact';
export const LOCAL_METHOD_TYPES: readonly LocalMethodType[] = ['sepa_debit', 'ideal', 'bancontact'];

/** All three take EUR only (the docs' "Supported currencies: eur"). */
export const LOCAL_TYPE_CURRENCIES: Readonly<Record<LocalMethodType, readonly string[]>> = {
  sepa_debit: ['eur'],
  ideal: ['eur'],
  bancontact: ['eur'],
};

const sepa = (alias: string, last4: string, outcome: 'succeed' | 'fail'): TestPaymentMethod => ({
  alias,
  type: 'sepa_debit',
  brand: 'sepa_debit',
  last4,
  funding: 'bank_account',
  behavior: { kind: 'delayed', outcome },
});

/** The outcome is the customer's, on the bank page (`/_standin/redirect/:id`: Authorize or Fail). */
const redirect = (alias: string, type: 'ideal' | 'bancontact', bank: string): TestPaymentMethod => ({
  alias,
  type,
  brand: bank,
  last4: '5264',
  funding: 'bank_redirect',
  behavior: { kind: 'redirect' } satisfies PaymentBehavior,
});

export const LOCAL_METHODS: readonly TestPaymentMethod[] = [
  sepa('pm_sepaDebit_success', '3201', 'succeed'),
  sepa('pm_sepaDebit_failure', '3202', 'fail'),
  redirect('pm_ideal', 'ideal', 'ing'),
  redirect('pm_bancontact', 'bancontact', 'KBC'),
  {
    alias: 'pm_card_applePay',
    type: 'card',
    brand: 'visa',
    last4: '4242',
    funding: 'credit',
    behavior: { kind: 'succeed' },
    wallet: 'apple_pay',
  },
  {
    alias: 'pm_card_googlePay',
    type: 'card',
    brand: 'visa',
    last4: '4242',
    funding: 'credit',
    behavior: { kind: 'succeed' },
    wallet: 'google_pay',
  },
];

/** Stripe's SEPA test IBANs -> the alias whose outcome they have (test-integration table, see above). */
export const SEPA_TEST_IBANS: Readonly<Record<string, string>> = {
  AT611904300234573201: 'pm_sepaDebit_success',
  DE89370400440532013000: 'pm_sepaDebit_success',
  AT861904300235473202: 'pm_sepaDebit_failure',
  DE62370400440532013001: 'pm_sepaDebit_failure',
};

export function isLocalMethodType(type: string): type is LocalMethodType {
  return (LOCAL_METHOD_TYPES as readonly string[]).includes(type);
}

/** `payment_method_data[type]` -> alias: SEPA by IBAN; redirects succeed unless their bank page fails them. */
export function localAliasFromData(type: LocalMethodType, iban: string | null): string | null {
  if (type === 'sepa_debit') return iban ? (SEPA_TEST_IBANS[iban.replace(/\s+/g, '').toUpperCase()] ?? null) : null;
  return type === 'ideal' ? 'pm_ideal' : 'pm_bancontact';
}

/** SDK 23.1.0 PaymentMethod.SepaDebit / Ideal / Bancontact. */
export function renderLocalPaymentMethod(template: TestPaymentMethod): JsonObject {
  switch (template.type) {
    case 'sepa_debit':
      return {
        sepa_debit: {
          bank_code: '19043',
          branch_code: '',
          country: 'AT',
          fingerprint: `sepa${template.last4}`,
          generated_from: { charge: null, setup_attempt: null },
          last4: template.last4,
        },
      };
    case 'ideal':
      return { ideal: { bank: template.brand, bic: 'INGBNL2A' } };
    default:
      return { bancontact: {} };
  }
}

/** SDK 23.1.0 Charge.PaymentMethodDetails.SepaDebit / Ideal / Bancontact (the fields the plugin may read). */
export function localChargeDetails(template: TestPaymentMethod, mandate: string | null): JsonObject | null {
  switch (template.type) {
    case 'sepa_debit':
      return {
        type: 'sepa_debit',
        sepa_debit: {
          bank_code: '19043',
          branch_code: '',
          country: 'AT',
          fingerprint: `sepa${template.last4}`,
          last4: template.last4,
          mandate,
        },
      };
    case 'ideal':
      return {
        type: 'ideal',
        ideal: { bank: template.brand, bic: 'INGBNL2A', iban_last4: '5264', verified_name: 'Jenny Rosen' },
      };
    case 'bancontact':
      return {
        type: 'bancontact',
        bancontact: { bank_code: 'VAPE', bank_name: 'VAN DE PUT & CO', iban_last4: '5264' },
      };
    default:
      return null;
  }
}

/** `card.wallet` of a wallet card (SDK 23.1.0 PaymentMethod.Card.Wallet): null for a plain card. */
export function walletOf(template: TestPaymentMethod): JsonObject | null {
  if (!template.wallet) return null;
  return { type: template.wallet, [template.wallet]: {}, dynamic_last4: template.last4 };
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The bank's page a redirect method sends the customer to: Authorize or Fail, then back to return_url. */
export function redirectPage(id: string, status: string, type: string, amount: string): string {
  const method = ({ ideal: 'iDEAL', bancontact: 'Bancontact' } as Record<string, string>)[type] ?? type;
  const body =
    status !== 'requires_action'
      ? `<h1>Nothing to authorize (status: ${escapeHtml(status)}).</h1>`
      : `<h1>${escapeHtml(method)}: authorize ${escapeHtml(amount)}</h1>
<form method="post" action="/_standin/redirect/${escapeHtml(id)}">
  <button type="submit" name="outcome" value="succeed" id="authorize">Authorize test payment</button>
  <button type="submit" name="outcome" value="fail" id="fail">Fail test payment</button>
</form>`;
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(method)} test bank</title>
<style>body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}
button{font-size:1rem;padding:.5rem 1.5rem;margin-right:.5rem}.muted{color:#666}</style>
</head>
<body>
<p class="muted">Stripe stand-in (test double, not Stripe): the bank's redirect page</p>
${body}
</body>
</html>`;
}
