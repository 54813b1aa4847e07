/**
 * TEST-ONLY stand-in for Stripe.js (https://js.stripe.com/endive/stripe.js), served to the browser
 * by the browser tests (routes.ts). Never shipped, never used by the plugin itself.
 *
 * It does what the real Stripe.js does for the pay pages, against the Stripe stand-in:
 * - `Stripe(pk).elements({ clientSecret }).create('payment').mount(el)` renders a labeled card
 *   number field (the real one is an iframe).
 * - `confirmPayment({ elements, confirmParams, redirect: 'if_required' })` maps the typed test card
 *   to a test PaymentMethod and confirms the intent at https://api.stripe.com with the publishable
 *   key and the client secret, like Stripe.js; a 3D Secure challenge shows a modal with Complete /
 *   Fail (the issuer's page in real life); it resolves `{ paymentIntent }` or `{ error }`.
 * - `createEmbeddedCheckoutPage({ fetchClientSecret })` mounts a Pay button that completes the
 *   session and navigates to its return_url, as Embedded Checkout does.
 *
 * Two ways to load it (see apiBase below):
 * - the pay-page browser tests serve it for https://js.stripe.com/... (routes.ts); it then calls
 *   https://api.stripe.com like the real one, and the tests route that to the stand-in (its
 *   /_standin control routes included);
 * - the Stripe stand-in serves it itself at /_standin/stripe.js, for the plugin's stripe.jsUrl
 *   (offline demo, tests/browser/demo-offline): it then calls the stand-in it came from directly.
 */
import { STRIPE_JS_STANDIN_PATH } from './paths';
import { SAVE_DETAILS_LABEL } from '../stripe-standin/checkout-text';

interface StripeErrorShape {
  type: string;
  code?: string;
  decline_code?: string;
  message: string;
  payment_intent?: PaymentIntentShape;
}
interface PaymentIntentShape {
  id: string;
  status: string;
  client_secret: string;
  last_payment_error?: StripeErrorShape | null;
  next_action?: { type: string; redirect_to_url?: { url: string; return_url: string } } | null;
}
type Result = { paymentIntent: PaymentIntentShape } | { error: StripeErrorShape };

/**
 * Where the Stripe API is: the origin this script was downloaded from when that is the stand-in's
 * own /_standin/stripe.js, else Stripe's (routed to the stand-in by the tests). Read while the
 * script first runs: document.currentScript is this script only then.
 */
function apiBase(): string {
  const script = document.currentScript;
  if (script instanceof HTMLScriptElement && script.src) {
    const url = new URL(script.src);
    if (url.pathname === STRIPE_JS_STANDIN_PATH) return url.origin;
  }
  return 'https://api.stripe.com';
}

const API = apiBase();

/** Stripe's test card numbers -> the test PaymentMethods the stand-in knows. */
const CARDS: Record<string, string> = {
  '4242424242424242': 'pm_card_visa',
  '4000000000000002': 'pm_card_chargeDeclined',
  '4000000000009995': 'pm_card_chargeDeclinedInsufficientFunds',
  '4000002500003155': 'pm_card_authenticationRequired',
};

const AUTH_FAILED =
  'We are unable to authenticate your payment method. Please choose a different payment method and try again.';

function form(values: Record<string, string | undefined>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v !== undefined) params.set(k, v);
  return params.toString();
}

async function api(
  method: 'GET' | 'POST',
  path: string,
  values: Record<string, string | undefined>,
): Promise<{ ok: boolean; body: Record<string, unknown> }> {
  // Form-encoded and no custom headers, like Stripe.js: a "simple" CORS request, no preflight.
  const res =
    method === 'GET'
      ? await fetch(`${API}${path}?${form(values)}`)
      : await fetch(`${API}${path}`, {
          method,
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form(values),
        });
  return { ok: res.ok, body: (await res.json()) as Record<string, unknown> };
}

const intentId = (clientSecret: string) => clientSecret.split('_secret_')[0];

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<HTMLElementTagNameMap[K]> = {},
  children: Node[] = [],
): HTMLElementTagNameMap[K] {
  const node = Object.assign(document.createElement(tag), props);
  node.append(...children);
  return node;
}

/** The issuer's 3D Secure challenge, as a modal over the page. Resolves with the button pressed. */
function challenge(): Promise<'succeed' | 'fail'> {
  return new Promise((resolve) => {
    const complete = el('button', { type: 'button', textContent: 'Complete authentication' });
    const fail = el('button', { type: 'button', textContent: 'Fail authentication' });
    const box = el('div', {}, [
      el('h2', { id: 'standin-3ds-title', textContent: '3D Secure authentication' }),
      el('p', { textContent: 'Stripe.js stand-in (test only): authenticate this payment?' }),
      complete,
      fail,
    ]);
    box.setAttribute('role', 'dialog');
    box.setAttribute('aria-modal', 'true');
    box.setAttribute('aria-labelledby', 'standin-3ds-title');
    Object.assign(box.style, {
      position: 'fixed',
      inset: '20% 10% auto 10%',
      zIndex: '2147483647',
      background: '#fff',
      padding: '24px',
      border: '2px solid #333',
      borderRadius: '8px',
    });
    // Stripe's challenge runs in an iframe: keys pressed there never reach the page.
    box.addEventListener('keydown', (event) => event.stopPropagation());
    const done = (outcome: 'succeed' | 'fail') => {
      box.remove();
      resolve(outcome);
    };
    complete.addEventListener('click', () => done('succeed'));
    fail.addEventListener('click', () => done('fail'));
    document.body.append(box);
    complete.focus();
  });
}

/**
 * The payment method tabs the stand-in's Payment Element offers (Stripe's shows those the intent
 * allows): a card number, a SEPA IBAN (Stripe's test IBANs), or iDEAL (a bank redirect, no field).
 */
type MethodTab = 'card' | 'sepa_debit' | 'ideal';
const TAB_LABELS: Record<MethodTab, string> = { card: 'Card', sepa_debit: 'SEPA Debit', ideal: 'iDEAL' };

function createPaymentElement() {
  const handlers: Record<string, Array<(event: unknown) => void>> = {};
  let input: HTMLInputElement | null = null;
  let tab: MethodTab = 'card';
  return {
    get cardNumber(): string {
      return (input?.value ?? '').replace(/\s+/g, '');
    },
    get method(): MethodTab {
      return tab;
    },
    mount(target: string | HTMLElement) {
      const host = typeof target === 'string' ? document.querySelector<HTMLElement>(target) : target;
      if (!host) throw new Error(`stripe-js stand-in: mount target ${String(target)} not found`);
      input = el('input', {
        id: 'standin-card-number',
        name: 'cardnumber',
        autocomplete: 'cc-number',
        inputMode: 'numeric',
        placeholder: '1234 1234 1234 1234',
      });
      Object.assign(input.style, {
        display: 'block',
        width: '100%',
        boxSizing: 'border-box',
        padding: '10px 12px',
        marginTop: '4px',
        font: 'inherit',
        border: '1px solid #c5cad3',
        borderRadius: '6px',
      });
      const label = el('label', { htmlFor: 'standin-card-number', textContent: 'Card number' });
      const field = el('div', {}, [label, input]);
      const redirectNote = el('p', {
        textContent: 'You will be redirected to your bank to authorize the payment.',
        hidden: true,
      });
      const tabs = (Object.keys(TAB_LABELS) as MethodTab[]).map((value) => {
        const radio = el('input', { type: 'radio', name: 'standin-method', value, checked: value === 'card' });
        radio.id = `standin-method-${value}`;
        radio.addEventListener('change', () => {
          tab = value;
          label.textContent = value === 'sepa_debit' ? 'IBAN' : 'Card number';
          input!.value = '';
          input!.placeholder = value === 'sepa_debit' ? 'AT61 1904 3002 3457 3201' : '1234 1234 1234 1234';
          field.hidden = value === 'ideal';
          redirectNote.hidden = value !== 'ideal';
        });
        return el('label', { htmlFor: radio.id }, [radio, document.createTextNode(` ${TAB_LABELS[value]} `)]);
      });
      const note = el('p', { textContent: 'Stripe.js stand-in (test only)' });
      Object.assign(note.style, { margin: '0 0 8px', fontSize: '12px', color: '#666' });
      const group = el('div', { role: 'radiogroup' }, tabs);
      group.setAttribute('aria-label', 'Payment method');
      host.replaceChildren(el('div', { className: 'standin-payment-element' }, [note, group, field, redirectNote]));
      input.addEventListener('input', () =>
        handlers.change?.forEach((h) =>
          h({
            elementType: 'payment',
            complete: (input?.value ?? '').replace(/\s+/g, '').length >= 16,
            empty: !input?.value,
          }),
        ),
      );
      setTimeout(() => handlers.ready?.forEach((h) => h({ elementType: 'payment' })), 0);
    },
    on(event: string, handler: (event: unknown) => void) {
      (handlers[event] ??= []).push(handler);
    },
    unmount() {
      input = null;
    },
    destroy() {
      input = null;
    },
  };
}

type PaymentElementStandin = ReturnType<typeof createPaymentElement>;

interface ElementsStandin {
  clientSecret: string;
  create(type: string): PaymentElementStandin;
  readonly paymentElement: PaymentElementStandin | null;
  fetchUpdates(): Promise<object>;
}

function StripeStandin(publishableKey: string) {
  async function retrieve(clientSecret: string): Promise<PaymentIntentShape> {
    const res = await api('GET', `/v1/payment_intents/${intentId(clientSecret)}`, {
      key: publishableKey,
      client_secret: clientSecret,
    });
    return res.body as unknown as PaymentIntentShape;
  }

  return {
    elements(options: { clientSecret: string; locale?: string }): ElementsStandin {
      let paymentElement: PaymentElementStandin | null = null;
      // The language Stripe.js would show its form in ('auto': the browser's), for tests to read.
      (globalThis as unknown as { __stripeElementsLocale?: string }).__stripeElementsLocale = options.locale ?? 'auto';
      return {
        clientSecret: options.clientSecret,
        create(type: string) {
          if (type !== 'payment')
            throw new Error(`stripe-js stand-in: only the payment element is available, not ${type}`);
          paymentElement = createPaymentElement();
          return paymentElement;
        },
        get paymentElement() {
          return paymentElement;
        },
        async fetchUpdates() {
          await retrieve(options.clientSecret);
          return {};
        },
      };
    },

    async confirmPayment(options: {
      elements: ElementsStandin;
      confirmParams?: { return_url?: string; receipt_email?: string };
      redirect?: string;
    }): Promise<Result> {
      const { clientSecret } = options.elements;
      const method = options.elements.paymentElement?.method ?? 'card';
      const number = options.elements.paymentElement?.cardNumber ?? '';
      let paymentMethod: Record<string, string | undefined>;
      if (method === 'ideal') {
        paymentMethod = { 'payment_method_data[type]': 'ideal' };
      } else if (method === 'sepa_debit') {
        if (!number)
          return { error: { type: 'validation_error', code: 'incomplete_iban', message: 'Your IBAN is incomplete.' } };
        paymentMethod = {
          'payment_method_data[type]': 'sepa_debit',
          'payment_method_data[sepa_debit][iban]': number,
          'payment_method_data[billing_details][name]': 'Jenny Rosen',
          'payment_method_data[billing_details][email]': options.confirmParams?.receipt_email ?? 'jenny@example.com',
        };
      } else {
        if (!number)
          return {
            error: { type: 'validation_error', code: 'incomplete_number', message: 'Your card number is incomplete.' },
          };
        const card = CARDS[number];
        if (!card)
          return {
            error: { type: 'validation_error', code: 'invalid_number', message: 'Your card number is invalid.' },
          };
        paymentMethod = { payment_method: card };
      }
      const confirmed = await api('POST', `/v1/payment_intents/${intentId(clientSecret)}/confirm`, {
        key: publishableKey,
        client_secret: clientSecret,
        ...paymentMethod,
        receipt_email: options.confirmParams?.receipt_email,
        return_url: options.confirmParams?.return_url,
      });
      if (!confirmed.ok) return { error: confirmed.body.error as StripeErrorShape };
      let pi = confirmed.body as unknown as PaymentIntentShape;
      // A bank redirect (iDEAL): Stripe.js leaves the page for the bank's, which returns to return_url.
      const redirect = pi.next_action?.redirect_to_url?.url;
      if (pi.status === 'requires_action' && method === 'ideal' && redirect) {
        location.assign(redirect);
        return new Promise<Result>(() => undefined); // the page is going away
      }
      if (pi.status === 'requires_action') {
        const outcome = await challenge();
        await fetch(`${API}/_standin/payment_intents/${pi.id}/authenticate`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form({ outcome }),
        });
        pi = await retrieve(clientSecret);
        if (pi.status === 'requires_payment_method') {
          return {
            error: {
              type: 'invalid_request_error',
              code: 'payment_intent_authentication_failure',
              message: AUTH_FAILED,
              payment_intent: pi,
            },
          };
        }
      }
      return { paymentIntent: pi };
    },

    async createEmbeddedCheckoutPage(options: { fetchClientSecret: () => Promise<string> }) {
      let host: HTMLElement | null = null;
      return {
        async mount(target: string | HTMLElement) {
          host = typeof target === 'string' ? document.querySelector<HTMLElement>(target) : target;
          if (!host) throw new Error('stripe-js stand-in: embedded checkout mount target not found');
          const secret = await options.fetchClientSecret();
          const sessionId = secret.split('_secret_')[0];
          const message = el('p', { role: 'alert', className: 'standin-checkout-error' });
          // Like the hosted page, embedded Checkout offers to save the payment details when the
          // session asks for it (https://docs.stripe.com/payments/checkout/save-during-payment).
          const shown = await api('GET', `/_standin/checkout/sessions/${sessionId}/embedded`, {});
          const save =
            shown.body.offers_saving === true ? el('input', { type: 'checkbox', id: 'save', name: 'save' }) : null;
          // Checkout shows a declined card's error in its own form and keeps the session open for
          // another card (https://docs.stripe.com/payments/checkout/how-checkout-works#lifecycle).
          const payWith = (label: string, paymentMethod: string) => {
            const button = el('button', { type: 'button', textContent: label });
            // A failed click shows in the browser as an unhandled rejection, which the browser tests
            // report as a page error.
            // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the rejection is the report.
            button.addEventListener('click', async () => {
              message.textContent = '';
              const res = await fetch(`${API}/_standin/checkout/sessions/${sessionId}/complete`, {
                method: 'POST',
                headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
                body: form({ payment_method: paymentMethod, save: save?.checked ? 'true' : undefined }),
              });
              const body = (await res.json()) as { return_url?: string; error?: StripeErrorShape };
              if (!res.ok && body.error?.type === 'card_error') {
                message.textContent = body.error.message;
                return;
              }
              if (body.return_url) location.assign(body.return_url.replace('{CHECKOUT_SESSION_ID}', sessionId));
            });
            return button;
          };
          host.replaceChildren(
            el('div', { className: 'standin-embedded-checkout' }, [
              el('p', { textContent: 'Embedded Checkout (Stripe.js stand-in, test only)' }),
              ...(save
                ? [el('p', {}, [el('label', {}, [save, document.createTextNode(` ${SAVE_DETAILS_LABEL}`)])])]
                : []),
              payWith('Pay with test card', 'pm_card_visa'),
              payWith('Pay with declined test card', 'pm_card_chargeDeclined'),
              message,
            ]),
          );
        },
        unmount() {
          host?.replaceChildren();
        },
        destroy() {
          host?.replaceChildren();
        },
      };
    },
  };
}
// @stripe/stripe-js compares this with the release train it expects.
StripeStandin.version = 'endive';

(window as unknown as { Stripe: typeof StripeStandin }).Stripe = StripeStandin;
