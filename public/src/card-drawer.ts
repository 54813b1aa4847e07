/**
 * The payment drawer: Stripe's Payment Element for the invoice's PaymentIntent, an optional
 * amount (partial payments), the receipt email, and the Pay button. 3D Secure runs inside
 * stripe.confirmPayment; afterwards the server is asked to settle (the same code the webhook runs).
 */
import type { PaymentIntentResult, Stripe, StripeElements, StripePaymentElement } from '@stripe/stripe-js';
import { formatMinor, minorToMajorString, parseMajorToMinor } from '../../server/src/domain/money';
import { nextStepLinkText, nextStepText, payButtonLabel, renderDrawer } from '../../server/src/pages/render';
import type { InvoiceView } from '../../server/src/pages/view';
import { ApiError, type Api, type Intent, type Settled } from './api';
import { openDialog, type DialogHandle } from './dialog';
import { byId } from './dom';
import { t } from './page-data';
import { rememberReturn } from './return-link';
import { stripeFor, stripeUnavailable } from './stripe';

/** How long the success message stays before the drawer closes and the invoice refreshes. */
export const CLOSE_AFTER_SUCCESS_MS = 3000;

export interface DrawerContext {
  api: Api;
  view: () => InvoiceView;
  background: HTMLElement;
  /** Reload the invoice (after a payment, or when the drawer closes after one). */
  refresh: () => Promise<void>;
  /** What "paid" says when it is not one invoice (the portal's several); default drawer.successPaid. */
  paidText?: () => string;
}

function successText(settled: Settled | null, view: InvoiceView, amount: string, paid?: () => string): string {
  if (settled?.paymentStatus === 'requires_action' && settled.nextAction)
    return nextStepText(settled.nextAction, amount, t);
  if (!settled) return t('drawer.successSoon');
  if (settled.paymentStatus === 'processing') return t('pending.text', { amount });
  if (settled.invoice.state === 'paid') return paid ? paid() : t('drawer.successPaid');
  const balance = formatMinor(Math.max(0, settled.invoice.balanceDue), view.currency, view.locale);
  return t('drawer.successBalance', { balance });
}

/**
 * Where a redirect method comes back to: the pay pages' return page (/invoice-payments/pay/return),
 * which names only the invoice, so the pay-link token never travels to the provider.
 */
export function returnUrl(documentId: string): string {
  const path = location.pathname;
  const at = path.indexOf('/pay/');
  const base = at >= 0 ? path.slice(0, at + '/pay/'.length) : '/invoice-payments/pay/';
  return new URL(`${base}return?invoice=${encodeURIComponent(documentId)}`, location.origin).toString();
}

export function createCardDrawer(ctx: DrawerContext) {
  /** The open drawer, if any (one at a time). */
  let current: DialogHandle | null = null;

  function open(): void {
    const view = ctx.view();
    const pay = view.pay;
    if (!pay || current?.isOpen) return;
    document.getElementById('drawer')?.remove();
    document.getElementById('drawer-backdrop')?.remove();
    document.body.insertAdjacentHTML('beforeend', renderDrawer(view, t));

    const el = {
      drawer: byId('drawer'),
      backdrop: byId('drawer-backdrop'),
      close: byId<HTMLButtonElement>('drawer-close'),
      form: byId<HTMLFormElement>('pay-form'),
      amount: document.getElementById('pay-amount') as HTMLInputElement | null,
      amountError: document.getElementById('pay-amount-error'),
      email: byId<HTMLInputElement>('pay-email'),
      fee: byId('fee-line'),
      element: byId('payment-element'),
      loading: byId('payment-element-loading'),
      message: byId('pay-message'),
      button: byId<HTMLButtonElement>('drawer-pay'),
      spinner: byId('drawer-pay').querySelector<HTMLElement>('.spinner')!,
      label: byId('drawer-pay-label'),
      status: byId('pay-status'),
    };

    let stripe: Stripe | null = null;
    let elements: StripeElements | null = null;
    let intent: Intent | null = null;
    let ready = false;
    let busy = false;
    let amountValid = true;
    /** An amount change still being applied to the intent; Pay waits for it. */
    let syncing: Promise<void> = Promise.resolve();
    /** Set once money moved, so closing the drawer (early or not) refreshes the invoice. */
    let paid = false;

    const money = (minor: number) => formatMinor(minor, view.currency, view.locale);

    function say(text: string, tone: 'error' | 'success' | 'info'): void {
      el.message.textContent = text;
      el.message.className = `message message-${tone}`;
      el.message.hidden = false;
    }
    function clearMessage(): void {
      el.message.hidden = true;
      el.message.textContent = '';
    }
    function updateButton(): void {
      el.button.disabled = busy || !ready || !amountValid || paid;
      el.spinner.hidden = !busy;
      el.button.setAttribute('aria-busy', String(busy));
    }
    function showIntent(next: Intent): void {
      intent = next;
      el.label.textContent = payButtonLabel(money(next.amount), t);
      el.fee.hidden = next.fee <= 0;
      el.fee.textContent = next.fee > 0 ? t('page.feeNote', { fee: money(next.fee) }) : '';
    }
    function fieldError(text: string | null): void {
      if (!el.amount || !el.amountError) return;
      amountValid = text === null;
      el.amount.setAttribute('aria-invalid', String(!amountValid));
      el.amountError.hidden = amountValid;
      el.amountError.textContent = text ?? '';
      updateButton();
    }

    /** A voucher, bank transfer or account verification already under way: show its next step, not a new form. */
    function showNextStep(next: Intent): boolean {
      const step = next.status === 'requires_action' ? next.nextAction : null;
      if (!step || step.kind === 'authentication' || step.kind === 'qr_code') return false;
      el.loading.hidden = true;
      paid = true;
      el.button.hidden = true;
      // Nothing to type: the payment exists, only its next step is shown.
      for (const node of [
        el.email,
        document.querySelector('label[for="pay-email"]'),
        el.element,
        el.amount,
        document.querySelector('label[for="pay-amount"]'),
      ]) {
        if (node instanceof HTMLElement) node.hidden = true;
      }
      say(nextStepText(step, money(next.amount), t), 'info');
      if (step.url) appendLink(step.url, nextStepLinkText(step, t));
      return true;
    }

    function appendLink(url: string, text: string): void {
      const link = document.createElement('a');
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.className = 'next-step-link';
      link.textContent = text;
      el.message.append(' ', link);
    }

    async function mountPaymentElement(): Promise<void> {
      try {
        const next = await ctx.api.intent();
        if (showNextStep(next)) return;
        showIntent(next);
      } catch (error) {
        el.loading.hidden = true;
        say(error instanceof ApiError ? error.message : t('drawer.error'), 'error');
        return;
      }
      try {
        stripe = await stripeFor(pay!.publishableKey);
      } catch {
        el.loading.hidden = true;
        say(stripeUnavailable(), 'error');
        return;
      }
      mountElements(intent!.clientSecret);
    }

    let paymentElement: StripePaymentElement | null = null;
    /** (Re)builds the Payment Element for an intent: a new amount is a new intent (the old one is cancelled). */
    function mountElements(clientSecret: string): void {
      paymentElement?.destroy();
      ready = false;
      el.loading.hidden = false;
      // The Payment Element speaks the page's language (Stripe's own labels, errors and 3DS text).
      elements = stripe!.elements({ clientSecret, appearance: { theme: 'stripe' }, locale: view.language });
      const created = elements.create('payment', { layout: 'tabs' });
      created.on('ready', () => {
        el.loading.hidden = true;
        ready = true;
        updateButton();
      });
      created.mount(el.element);
      paymentElement = created;
    }

    /** Partial payments: the typed amount becomes the intent's amount (server-checked), fee included. */
    function onAmountChange(): void {
      if (!el.amount) return;
      let minor: number;
      try {
        minor = parseMajorToMinor(el.amount.value.trim().replace(',', '.'), view.currency);
      } catch (error) {
        fieldError(error instanceof Error ? error.message : t('drawer.enterAmount'));
        return;
      }
      if (minor > view.balanceDueMinor) return fieldError(t('drawer.amountTooHigh', { balance: view.balanceDue }));
      if (pay!.partial && minor < pay!.partial.min)
        return fieldError(t('drawer.amountTooLow', { min: pay!.partial.minFormatted }));
      fieldError(null);
      el.button.disabled = true;
      syncing = ctx.api
        .intent(minor)
        .then(async (next) => {
          const previous = intent?.providerPaymentId;
          showIntent(next);
          if (stripe && next.providerPaymentId !== previous) mountElements(next.clientSecret);
          else await elements?.fetchUpdates();
        })
        .catch((error: unknown) => fieldError(error instanceof ApiError ? error.message : t('drawer.amountFailed')))
        .finally(updateButton);
    }

    /** The payment told to save its method (so unticking later tells it to stop). */
    let savingFor: string | null = null;

    async function onSubmit(event: SubmitEvent): Promise<void> {
      event.preventDefault();
      if (busy || paid) return;
      await syncing;
      if (!stripe || !elements || !intent || !amountValid) return;
      if (!el.email.checkValidity()) {
        say(t('drawer.emailInvalid'), 'error');
        el.email.focus();
        return;
      }
      busy = true;
      clearMessage();
      el.status.textContent = t('drawer.processing');
      updateButton();
      const email = el.email.value.trim();
      const failed = (text: string) => {
        busy = false;
        el.status.textContent = '';
        say(text, 'error');
        updateButton();
      };
      // Ticked (or unticked again) since the last try: the server tells the provider before confirming.
      const save = (document.getElementById('pay-save') as HTMLInputElement | null)?.checked ?? false;
      if (save || savingFor === intent.providerPaymentId) {
        try {
          await ctx.api.saveMethod(intent.providerPaymentId, save);
          savingFor = save ? intent.providerPaymentId : null;
          await elements.fetchUpdates();
        } catch (error) {
          return failed(error instanceof ApiError ? error.message : t('drawer.saveFailed'));
        }
      }
      let result: PaymentIntentResult;
      try {
        // A bank redirect (iDEAL, Bancontact) leaves this page: the return page settles the payment
        // through the server and links back here (return-link.ts).
        rememberReturn(view.documentId);
        result = await stripe.confirmPayment({
          elements,
          confirmParams: { return_url: returnUrl(view.documentId), ...(email ? { receipt_email: email } : {}) },
          redirect: 'if_required',
        });
      } catch {
        // Retrying is safe: the same PaymentIntent can never be paid twice.
        return failed(t('drawer.unreachable'));
      }
      if (result.error) return failed(result.error.message ?? t('drawer.notCompleted'));
      paid = true;
      const settled = await ctx.api.confirm(result.paymentIntent.id).catch(() => null);
      busy = false;
      el.status.textContent = '';
      // A voucher, bank transfer or account verification is not a successful payment yet.
      const waiting = result.paymentIntent.status === 'requires_action' || settled?.paymentStatus === 'requires_action';
      const text =
        waiting && !settled?.nextAction
          ? t('step.other', { amount: money(intent.amount) })
          : successText(settled, view, money(intent.amount), ctx.paidText);
      say(text, waiting || settled?.paymentStatus === 'processing' ? 'info' : 'success');
      if (waiting && settled?.nextAction?.url)
        appendLink(settled.nextAction.url, nextStepLinkText(settled.nextAction, t));
      updateButton();
      el.button.hidden = true;
      // Closed while Stripe was still working: show the new status now; else after a moment.
      if (dialog.isOpen) setTimeout(() => dialog.close(), CLOSE_AFTER_SUCCESS_MS);
      else void ctx.refresh();
    }

    const dialog = openDialog(el.drawer, el.backdrop, ctx.background, {
      initialFocus: el.amount ?? el.email,
      onClosed: () => {
        if (paid) void ctx.refresh();
      },
    });
    current = dialog;
    el.close.addEventListener('click', () => dialog.close());
    el.form.addEventListener('submit', (event) => void onSubmit(event));
    if (el.amount) {
      el.amount.value = minorToMajorString(view.balanceDueMinor, view.currency);
      el.amount.addEventListener('change', onAmountChange);
    }
    updateButton();
    void mountPaymentElement();
  }

  return { open };
}
