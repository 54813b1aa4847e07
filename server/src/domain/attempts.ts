/**
 * Payment attempts: the rules that keep one live attempt per invoice. An attempt is one thing a
 * client can pay with: a card/wallet payment (Payment Element) or a Checkout session. A provider
 * happily lets two sessions and an older payment all succeed, so which attempt is reused, which is
 * ended and which must be left alone is decided here, from the provider-neutral state of each.
 *
 * Why not end every other attempt: a customer may be in the middle of paying with it. A card
 * authentication (3-D Secure) in progress is only ended once abandoned; a voucher being paid at a
 * store, a bank transfer or a microdeposit verification is never ended while the invoice still has
 * a balance, since cancelling it voids a payment the customer is making.
 */

/** What a payment waiting on the customer is waiting for. */
export type NextActionKind =
  /** Card authentication (3-D Secure), a redirect or an app approval: seconds to minutes. */
  | 'authentication'
  /** A scannable code shown on the page (Pix, PromptPay, WeChat Pay...): minutes. */
  | 'qr_code'
  /** A voucher paid later at a store or bank (OXXO, Boleto, Konbini, Multibanco): days. */
  | 'voucher'
  /** Instructions for a bank transfer from the customer's bank: days. */
  | 'bank_transfer'
  /** Microdeposits to verify the customer's bank account: days. */
  | 'verify_microdeposits'
  /** A next action this plugin does not know: treated as a payment in progress, never ended. */
  | 'other';

export interface NextAction {
  kind: NextActionKind;
  /** The provider's own name for it, for the admin and the logs. */
  providerType: string;
  /** Where the customer sees the voucher, instructions or verification page, if the provider hosts one. */
  url: string | null;
  /** Unix seconds after which the voucher or instructions expire, if known. */
  expiresAt: number | null;
  /**
   * Changes when the customer is asked again (a new 3-D Secure challenge after a failed one): the
   * abandonment clock restarts then, so a fresh confirmation is never taken for an old one.
   */
  fingerprint: string;
}

/** Kinds during which the customer is at the screen: ending them after a while is safe. */
const ACTIVE_KINDS: readonly NextActionKind[] = ['authentication', 'qr_code'];

export function isAbandonable(kind: NextActionKind): boolean {
  return ACTIVE_KINDS.includes(kind);
}

/**
 * `shared`: one invoice's share of a payment made for several invoices (the client portal). It is
 * never handed out again for one invoice, nor for another multi-invoice payment: a new request
 * ends it when it can (never reuse), or waits for it while the client is completing it.
 */
export type AttemptMode = 'element' | 'checkout' | 'shared';
export type CheckoutUi = 'hosted' | 'embedded';

/** An attempt as the provider reports it now. */
export type AttemptState =
  /** Can take a (new) payment method: never confirmed, or declined and handed back. */
  | { state: 'open' }
  /** Waiting on the customer. `sinceMs`: when the plugin first saw it waiting. */
  | { state: 'action'; nextAction: NextAction; sinceMs: number }
  | { state: 'processing' }
  | { state: 'succeeded' }
  /** Canceled, expired, or otherwise unable to take money any more. */
  | { state: 'ended' };

export interface LiveAttempt {
  mode: AttemptMode;
  /** Total to charge (invoice portion + fee), minor units. */
  amount: number;
  /** Of it, the invoice portion (the rest is the passed-through fee); null when unknown. */
  portion: number | null;
  ui: CheckoutUi | null;
  /** Checkout sessions: when the provider ends it on its own (ms). */
  expiresAtMs: number | null;
  current: AttemptState;
  /**
   * Checkout sessions: the provider customer it lets the client save their method to (null: none).
   * Payment Element payments: the customer it saves its method to once it succeeds (the drawer's
   * "save" box ticked), null when it saves nothing.
   */
  saveTo?: string | null;
  /**
   * Payment Element payments: made on the logged-in client's own page, where the drawer's box can
   * make it save to the client's customer at any time before it is paid: that client's id.
   */
  forClient?: string;
}

export interface AttemptTarget {
  mode: AttemptMode;
  amount: number;
  portion: number;
  ui: CheckoutUi | null;
  /** Checkout for the logged-in client: the customer saving goes to; null on a pay link. */
  saveTo?: string | null;
  /** Payment Element on the logged-in client's page (saving can be ticked): that client's id; unset on a pay link. */
  forClient?: string;
}

/**
 * Whether a Payment Element payment may be handed to this request: a payment that saves (or can be
 * made to save) the method to the client's customer is that client's alone, since a pay link can be
 * forwarded and its holder's card would become the one autopay charges; and the client never gets
 * a pay link's payment, which the box would then turn into a saving one in the holder's hands.
 */
function sameElementHolder(a: LiveAttempt, target: AttemptTarget): boolean {
  // The client who made it, exactly: an invoice moved to another client never hands the first
  // client's open payment (and the card they may still enter) to the new one.
  if (target.forClient) return a.forClient === target.forClient;
  return !a.forClient && !a.saveTo;
}

export interface AttemptRules {
  nowMs: number;
  /** A card authentication older than this is taken as abandoned and may be ended. */
  abandonAuthenticationAfterMs: number;
  /** A Checkout session that expires sooner than this is not handed out again. */
  minCheckoutLifetimeMs: number;
}

export type AttemptDecision =
  /** Hand this attempt to the client again. */
  | { action: 'reuse' }
  /** End it (cancel the payment / expire the session) before anything new is handed out. */
  | { action: 'end' }
  /** Leave it alone and tell the client why nothing new can start now. */
  | { action: 'block'; reason: 'processing' | 'authentication' | 'waiting'; nextAction?: NextAction }
  /** Money arrived: settle it first, then tell the client. */
  | { action: 'settle' }
  /** Already over: only the ledger entry needs closing. */
  | { action: 'gone' };

/**
 * What to do with each live attempt of an invoice when a client asks to pay `target`. At most one
 * attempt gets `reuse`; everything else that can take money is ended or blocks.
 */
export function planAttempts(
  live: readonly LiveAttempt[],
  target: AttemptTarget,
  rules: AttemptRules,
): AttemptDecision[] {
  let chosen = false;
  return live.map((a): AttemptDecision => {
    const c = a.current;
    if (c.state === 'succeeded') return { action: 'settle' };
    if (c.state === 'processing') return { action: 'block', reason: 'processing' };
    if (c.state === 'ended') return { action: 'gone' };
    if (c.state === 'action') {
      const abandoned =
        isAbandonable(c.nextAction.kind) && rules.nowMs - c.sinceMs >= rules.abandonAuthenticationAfterMs;
      if (abandoned) return { action: 'end' };
      // The customer is paying with it right now (or over the next days): the same request gets
      // it back, with its next step; anything else waits for it.
      if (
        !chosen &&
        a.mode === 'element' &&
        target.mode === 'element' &&
        a.amount === target.amount &&
        a.portion === target.portion &&
        sameElementHolder(a, target)
      ) {
        chosen = true;
        return { action: 'reuse' };
      }
      return {
        action: 'block',
        reason: isAbandonable(c.nextAction.kind) ? 'authentication' : 'waiting',
        nextAction: c.nextAction,
      };
    }
    // Open: reusable if it is what the client asks for, otherwise ended. The same total split
    // differently (the fee setting changed) is not the same request: the split is what is booked.
    // A share of a multi-invoice payment covers other invoices too: never reused, always ended.
    if (chosen || a.mode !== target.mode || a.mode === 'shared') return { action: 'end' };
    const same = a.amount === target.amount && a.portion === target.portion;
    if (a.mode === 'element') {
      // Another amount is another payment: the old one is ended and a new one made, never
      // changed in place, since a tab still showing the old amount could confirm it at the new one.
      if (!same || !sameElementHolder(a, target)) return { action: 'end' };
      chosen = true;
      return { action: 'reuse' };
    }
    const longEnough = a.expiresAtMs === null || a.expiresAtMs - rules.nowMs >= rules.minCheckoutLifetimeMs;
    // A session offering to save to the client's customer is that client's alone: a pay link (which
    // can be forwarded) never gets it, and the logged-in client gets one that offers it.
    const sameSaver = (a.saveTo ?? null) === (target.saveTo ?? null);
    if (same && a.ui === target.ui && longEnough && sameSaver) {
      chosen = true;
      return { action: 'reuse' };
    }
    return { action: 'end' };
  });
}

/**
 * After a payment settled, which other attempts to end: every one that can still take money,
 * except that a voucher, bank transfer or microdeposit verification the customer may be paying
 * is left alone while a balance remains (it is ended once nothing is left to pay).
 */
export function endAfterSettlement(other: AttemptState, balanceDue: number): boolean {
  if (other.state === 'open') return true;
  if (other.state === 'action') return balanceDue <= 0 || isAbandonable(other.nextAction.kind);
  return false;
}

/**
 * The part of a collected payment that paid more than the invoice owed, given the balance once it
 * was booked (negative when overpaid). Never more than the payment itself.
 */
export function overpaymentOf(balanceAfter: number, paymentNet: number): number {
  if (balanceAfter >= 0 || paymentNet <= 0) return 0;
  return Math.min(-balanceAfter, paymentNet);
}
