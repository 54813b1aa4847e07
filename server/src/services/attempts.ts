import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import {
  endAfterSettlement,
  formatMinor,
  isCollectedPaymentStatus,
  planAttempts,
  requestKey,
  type AttemptDecision,
  type AttemptState,
  type AttemptTarget,
  type CheckoutUi,
  type LiveAttempt,
  type NextAction,
  PENDING_PAYMENT_HEADLINE,
} from '../domain';
import {
  ProviderRequestError,
  type PaymentMetadata,
  type PaymentProvider,
  type ProviderCheckoutSession,
  type ProviderPayment,
} from '../providers/types';
import { withInvoiceLock } from '../utils/lock';
import { getService } from '../utils/get-service';
import { badGateway, conflict, notFound, reasonOf } from '../utils/errors';
import { publicBaseUrl, type Actor } from './settings';
import type { InvoiceRow } from './invoices';
import type { StoredSettings } from './settings-schema';
import type { PaymentRecord } from './settlement';
import { longestCallBudgetMs } from '../providers/registry';
import { PLUGIN_ID, UID } from '../utils/plugin-id';
import type { ClientLocale } from '../i18n';

/**
 * One live payment attempt per invoice, across the Payment Element and Checkout.
 *
 * Opening an attempt runs in three steps so that no provider call ever happens inside a database
 * transaction (on SQLite, one slow provider answer would hold the only connection and stall the
 * whole site): (1) claim the invoice's attempt lease, a short conditional UPDATE, so two requests
 * for one invoice never plan at the same time; (2) outside any transaction, read every live
 * attempt from the provider, end what must end, then reuse, update or create one; (3) record the
 * outcome under the invoice's row lock, re-checking that the balance did not change meanwhile.
 */

/** Ledger statuses of an attempt that may still take money. */
export const LIVE_STATUSES = ['pending', 'failed', 'requires_action', 'processing'] as const;

/**
 * Whether a ledger row is an attempt that may still take money (the rows liveRows looks for): a
 * payment or Checkout session of this invoice, or this invoice's share of a multi-invoice payment
 * (services/payment-groups: reserved before the provider is called, live once it has an id).
 */
export function isLiveAttempt(row: {
  kind: string;
  status: string;
  providerPaymentId?: string | null;
  checkoutSessionId?: string | null;
  sharedPaymentId?: string | null;
}): boolean {
  return (
    (row.kind === 'card' || row.kind === 'checkout') &&
    (LIVE_STATUSES as readonly string[]).includes(row.status) &&
    Boolean(row.providerPaymentId || row.checkoutSessionId || row.sharedPaymentId)
  );
}

/** A share of a multi-invoice payment: its provider payment is the group's, shared with other invoices. */
const isShare = (row: { providerPaymentId?: string | null; sharedPaymentId?: string | null }) =>
  !row.providerPaymentId && Boolean(row.sharedPaymentId);

/** What `makeRoom` found on an invoice (services/payment-groups reserves it only when `clear`). */
export type RoomOutcome =
  | { outcome: 'clear' }
  /** Money arrived on an attempt and was booked: the caller plans again on the new balance. */
  | { outcome: 'settled' }
  /** A payment in progress that must not be ended (processing, a voucher, a fresh 3-D Secure step). */
  | {
      outcome: 'blocked';
      reason: 'processing' | 'authentication' | 'waiting';
      nextAction: NextAction | null;
      /** The blocking attempt's amount for this invoice, minor units. */
      amount: number;
    };

export interface AttemptRow extends PaymentRecord {
  actionSince: string | Date | null;
  nextActionKey: string | null;
  createdAt: string | Date;
}

export interface OpenedAttempt {
  invoice: InvoiceRow;
  portion: number;
  fee: number;
  reused: boolean;
  payment?: ProviderPayment;
  session?: ProviderCheckoutSession;
  ui: CheckoutUi | null;
}

export type OpenRequest =
  | { mode: 'element'; portion: number; fee: number }
  | {
      mode: 'checkout';
      portion: number;
      fee: number;
      ui: CheckoutUi;
      locale?: ClientLocale;
      /** The logged-in client's Checkout offers saving the method (CreateCheckoutInput.saveTo). */
      saveTo?: { customerId: string; notice: string };
    };

interface Observed {
  /** The provider holding this attempt (the row's own, whichever new pay links use now). */
  provider: PaymentProvider;
  row: AttemptRow;
  live: LiveAttempt;
  payment?: ProviderPayment;
  session?: ProviderCheckoutSession;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The ledger columns that remember what a waiting payment waits for, and since when. */
export function actionFields(next: NextAction | null, nowMs: number) {
  return next
    ? {
        actionSince: new Date(nowMs),
        nextActionKey: next.fingerprint,
        // The provider-neutral kind (authentication, voucher, bank_transfer…): what domain
        // isMoneyOnItsWay reads to tell a 3-D Secure wait (cancelable) from money on its way.
        nextActionType: next.kind,
        nextActionUrl: next.url,
      }
    : { actionSince: null, nextActionKey: null, nextActionType: null, nextActionUrl: null };
}

/**
 * The abandonment clock's columns to write when a ledger row takes a provider status (settlement,
 * and every share of a multi-invoice payment alike): started for each new challenge, cleared once
 * the payment stops waiting, untouched otherwise (empty).
 */
export function actionClockUpdate(
  status: string,
  next: NextAction | null,
  stored: object | null,
  nowMs: number,
): Partial<ReturnType<typeof actionFields>> {
  // The ledger row as read (its type in the callers predates the clock columns).
  const row = stored as { actionSince?: unknown; nextActionKey?: string | null } | null;
  if (status === 'requires_action' && next && (!row?.actionSince || row.nextActionKey !== next.fingerprint))
    return actionFields(next, nowMs);
  if (status !== 'requires_action' && row?.actionSince) return actionFields(null, nowMs);
  return {};
}

/** Why a new attempt cannot start, in words a client can act on. */
function blockedMessage(
  decision: Extract<AttemptDecision, { action: 'block' }>,
  amount: string,
  minutes: number,
): string {
  if (decision.reason === 'processing')
    return `A payment of ${amount} for this invoice is already on its way (${PENDING_PAYMENT_HEADLINE.toLowerCase()}). A second payment can't start meanwhile: if the bank refuses this one, you will be emailed and can pay again.`;
  if (decision.reason === 'authentication') {
    return `A payment of ${amount} for this invoice is waiting for you to confirm it (for example with your bank). Finish it in the window where you started it, or try again in ${minutes} minutes.`;
  }
  const what = {
    voucher: 'a voucher',
    bank_transfer: 'a bank transfer',
    verify_microdeposits: 'a bank account being verified',
    qr_code: 'a code to scan',
    authentication: 'a confirmation',
    other: 'a payment method',
  }[decision.nextAction?.kind ?? 'other'];
  return `A payment of ${amount} by ${what} is already under way for this invoice. Complete it (see the instructions you received), or wait until it expires, before paying another way.`;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const payments = () => strapi.db.query(UID.payment);

  /**
   * Long enough for a planning round's slowest provider call with its client's retries (a round may
   * end another provider's attempt, so the slowest of them all), and short
   * enough that a process killed while holding it blocks the invoice's Pay button only briefly
   * (clients get a clear 409 meanwhile). A round that outlives it is still safe: its result is
   * recorded only if the invoice did not change, and money arriving twice is refunded.
   */
  function leaseMs(): number {
    return longestCallBudgetMs(strapi) + 15_000;
  }

  /** Claims the invoice's attempt lease: null while someone else holds it. */
  async function acquire(invoiceDocumentId: string): Promise<string | null> {
    const token = randomBytes(12).toString('base64url');
    const now = new Date();
    const { count } = await strapi.db.query(UID.invoice).updateMany({
      where: { documentId: invoiceDocumentId, $or: [{ attemptLockUntil: null }, { attemptLockUntil: { $lt: now } }] },
      data: { attemptLockToken: token, attemptLockUntil: new Date(now.getTime() + leaseMs()) },
    });
    if (count === 1) return token;
    const exists = await strapi.db
      .query(UID.invoice)
      .findOne({ where: { documentId: invoiceDocumentId }, select: ['id'] });
    if (!exists) throw notFound('Invoice not found.');
    return null;
  }

  async function release(invoiceDocumentId: string, token: string): Promise<void> {
    await strapi.db.query(UID.invoice).updateMany({
      where: { documentId: invoiceDocumentId, attemptLockToken: token },
      data: { attemptLockToken: null, attemptLockUntil: null },
    });
  }

  /** Runs `work` holding the invoice's attempt lease, waiting up to `waitMs` for it. */
  async function withLease<T>(
    invoiceDocumentId: string,
    waitMs: number,
    work: (token: string) => Promise<T>,
  ): Promise<T | null> {
    const started = Date.now();
    for (;;) {
      const token = await acquire(invoiceDocumentId);
      if (token) {
        try {
          return await work(token);
        } finally {
          await release(invoiceDocumentId, token);
        }
      }
      if (Date.now() - started >= waitMs) return null;
      await sleep(100);
    }
  }

  async function liveRows(invoiceId: number): Promise<AttemptRow[]> {
    return (await payments().findMany({
      where: {
        invoice: { id: invoiceId },
        kind: { $in: ['card', 'checkout'] },
        status: { $in: [...LIVE_STATUSES] },
        $or: [
          { providerPaymentId: { $notNull: true } },
          { checkoutSessionId: { $notNull: true } },
          { sharedPaymentId: { $notNull: true } },
        ],
      },
      orderBy: { id: 'desc' },
    })) as AttemptRow[];
  }

  function stateOfPayment(p: ProviderPayment, row: AttemptRow | null, nowMs: number): AttemptState {
    if (isCollectedPaymentStatus(p.status)) return { state: 'succeeded' };
    if (p.status === 'processing') return { state: 'processing' };
    if (p.status === 'canceled') return { state: 'ended' };
    if (p.status === 'requires_action') {
      const since = row?.actionSince ? new Date(row.actionSince).getTime() : nowMs;
      const next = p.nextAction ?? {
        kind: 'other' as const,
        providerType: 'unknown',
        url: null,
        expiresAt: null,
        fingerprint: 'unknown',
      };
      // Another challenge than the one the clock was started for: it starts again now.
      const sameChallenge = row?.nextActionKey === next.fingerprint;
      return { state: 'action', nextAction: next, sinceMs: sameChallenge ? since : nowMs };
    }
    return { state: 'open' };
  }

  /** Reads what its provider says about every live attempt now. */
  async function observe(rows: AttemptRow[], nowMs: number): Promise<Observed[]> {
    const out: Observed[] = [];
    const providers = getService(strapi, 'providers');
    for (const row of rows) {
      const provider = await providers.forRow(row);
      if (row.kind === 'checkout' && row.checkoutSessionId) {
        // A session stays open (and payable) through failed tries; its payment counts once it completes.
        const s = await provider.retrieveCheckoutSession(row.checkoutSessionId);
        let current: AttemptState = { state: 'open' };
        let p: ProviderPayment | undefined;
        if (s.status === 'expired') current = { state: 'ended' };
        else if (s.status === 'complete') {
          // A completed session never takes a payment again: what counts is its payment. A delayed
          // method that failed (a bank debit, an expired voucher) leaves it over, not processing.
          p = s.paymentId ? await provider.retrievePayment(s.paymentId) : undefined;
          if (s.paymentStatus === 'paid' || (p && isCollectedPaymentStatus(p.status))) current = { state: 'succeeded' };
          else if (p?.status === 'processing') current = { state: 'processing' };
          else if (p?.status === 'requires_action') current = stateOfPayment(p, row, nowMs);
          else if (p) current = { state: 'ended' };
          else current = { state: 'processing' };
        }
        out.push({
          provider,
          row,
          session: s,
          payment: p,
          live: {
            mode: 'checkout',
            amount: s.amount,
            portion: s.metadata?.portion ?? null,
            ui: s.ui,
            expiresAtMs: s.expiresAt ? s.expiresAt * 1000 : null,
            current,
            saveTo: s.saveTo ?? null,
          },
        });
      } else if (row.providerPaymentId || row.sharedPaymentId) {
        const shared = isShare(row);
        const p = await provider.retrievePayment((row.providerPaymentId ?? row.sharedPaymentId)!);
        const current = stateOfPayment(p, row, nowMs);
        if (current.state === 'action' && (!row.actionSince || row.nextActionKey !== current.nextAction.fingerprint)) {
          // First seen waiting (on this challenge) now: the abandonment clock starts here, never earlier.
          await payments().update({ where: { id: row.id }, data: actionFields(current.nextAction, nowMs) });
        } else if (current.state !== 'action' && row.actionSince) {
          await payments().update({ where: { id: row.id }, data: actionFields(null, nowMs) });
        }
        out.push({
          provider,
          row,
          payment: p,
          live: {
            mode: shared ? 'shared' : 'element',
            // A share: what this invoice gets of it (the whole payment covers other invoices too).
            amount: shared ? row.amount + (row.fee ?? 0) : p.amount,
            portion: shared ? row.amount : (p.metadata?.portion ?? null),
            ui: null,
            expiresAtMs: null,
            current,
            ...(shared ? {} : { saveTo: p.saveTo ?? null, forClient: p.metadata?.forClient }),
          },
        });
      }
    }
    return out;
  }

  /**
   * Brings a ledger entry in line with the provider (the webhook path), holding our lease. A share
   * of a multi-invoice payment is settled through the shared payment: every invoice it covers.
   */
  async function settle(o: Observed, actor: Actor, lease: string) {
    const settlement = getService(strapi, 'settlement');
    const ctx = { provider: o.provider, actor, heldLease: lease };
    if (o.row.kind === 'checkout' && o.row.checkoutSessionId)
      await settlement.syncCheckoutSession(o.row.checkoutSessionId, ctx);
    else if (o.row.providerPaymentId ?? o.row.sharedPaymentId)
      await settlement.syncPayment((o.row.providerPaymentId ?? o.row.sharedPaymentId)!, ctx);
  }

  /** Marks a ledger entry ended, unless settlement moved it on meanwhile. */
  async function markEnded(rowId: number) {
    await payments().updateMany({
      where: { id: rowId, status: { $in: [...LIVE_STATUSES] } },
      data: { status: 'canceled' },
    });
  }

  /**
   * Ends one attempt at the provider. Returns false when it could not be ended because money
   * moved meanwhile (it succeeded or is processing): the caller settles and plans again.
   */
  async function end(o: Observed, lease: string, actor: Actor): Promise<boolean> {
    const provider = o.provider;
    // A multi-invoice payment ended from one of its invoices is over for all of them: its group
    // is settled as canceled (every share and the group's status), not only this invoice's share.
    const closeShares = async (p?: ProviderPayment) => {
      if (!isShare(o.row)) return;
      const settlement = getService(strapi, 'settlement');
      if (p) await settlement.applyPayment(p, { provider, actor, heldLease: lease });
      else await settle(o, actor, lease);
    };
    const paymentId = o.row.providerPaymentId ?? o.row.sharedPaymentId;
    for (let generation = 0; generation < 2; generation++) {
      try {
        let canceled: ProviderPayment | undefined;
        if (o.row.kind === 'checkout' && o.row.checkoutSessionId)
          await provider.expireCheckoutSession(
            o.row.checkoutSessionId,
            requestKey('cse', o.row.checkoutSessionId, { by: lease }, generation),
          );
        else if (paymentId)
          canceled = await provider.cancelPayment(paymentId, requestKey('pic', paymentId, { by: lease }, generation));
        await closeShares(canceled);
        await markEnded(o.row.id);
        return true;
      } catch (error) {
        if (!(error instanceof ProviderRequestError)) throw error;
        // Refused (already over, or money moved) or unknown outcome: look before doing anything else.
        const [now] = await observe([o.row], Date.now());
        if (!now || now.live.current.state === 'ended') {
          await closeShares(now?.payment);
          await markEnded(o.row.id);
          return true;
        }
        if (now.live.current.state === 'succeeded' || now.live.current.state === 'processing') return false;
        if (!error.outcomeUnknown) throw error;
      }
    }
    throw badGateway(
      'The payment provider is not answering right now. Nothing was charged; please try again in a moment.',
    );
  }

  /**
   * Creates an attempt at the provider. After an unknown outcome (a 500, a timeout) it first looks
   * for what the failed call may have created, by the attempt id in the metadata, and only then
   * tries again under a new key.
   */
  async function create<T>(
    run: (key: string) => Promise<T>,
    find: () => Promise<T | null>,
    key: (generation: number) => string,
  ): Promise<T> {
    for (let generation = 0; ; generation++) {
      try {
        return await run(key(generation));
      } catch (error) {
        if (!(error instanceof ProviderRequestError) || !error.outcomeUnknown || generation >= 1) throw error;
        const found = await find();
        if (found) return found;
      }
    }
  }

  async function open(
    invoiceDocumentId: string,
    check: (invoice: InvoiceRow) => OpenRequest,
    actor: Actor,
    lease: string,
  ): Promise<OpenedAttempt | 'again'> {
    const settings = await getService(strapi, 'settings').load();
    const provider = await getService(strapi, 'providers').forNewPayments();
    const invoice = (await strapi.db
      .query(UID.invoice)
      .findOne({ where: { documentId: invoiceDocumentId } })) as InvoiceRow | null;
    if (!invoice) throw notFound('Invoice not found.');
    const request = check(invoice);
    const amount = request.portion + request.fee;
    const target: AttemptTarget = {
      mode: request.mode,
      amount,
      portion: request.portion,
      ui: request.mode === 'checkout' ? request.ui : null,
      saveTo: request.mode === 'checkout' ? (request.saveTo?.customerId ?? null) : null,
      // The drawer on the logged-in client's own page (clientInvoice's actor), with a provider that
      // keeps saved methods: only there can the box make the payment save to the client's customer,
      // so that payment and a pay link's are never the same one (domain planAttempts).
      forClient:
        request.mode === 'element' &&
        actor.type === 'client' &&
        actor.label === 'customer' &&
        typeof actor.id === 'number' &&
        provider.savedMethods
          ? String(actor.id)
          : undefined,
    };
    const nowMs = Date.now();
    const observed = await observe(await liveRows(invoice.id), nowMs);
    const abandonMinutes = settings.abandonedAuthenticationMinutes;
    // An open attempt at another provider than new pay links use is ended, not handed out again.
    const decisions = planAttempts(
      observed.map((o) => o.live),
      target,
      { nowMs, abandonAuthenticationAfterMs: abandonMinutes * 60_000, minCheckoutLifetimeMs: 10 * 60_000 },
    ).map((d, i): AttemptDecision =>
      d.action === 'reuse' && observed[i]!.provider.id !== provider.id ? { action: 'end' } : d,
    );

    // Money that arrived comes first: settle it, then plan again on the new balance.
    const arrived = observed.filter((_, i) => decisions[i]!.action === 'settle' || decisions[i]!.action === 'gone');
    for (const o of arrived) {
      await settle(o, actor, lease);
      // Over for good (a completed session whose delayed payment failed): off the live list.
      if (o.live.current.state === 'ended') await markEnded(o.row.id);
    }
    if (observed.some((_, i) => decisions[i]!.action === 'settle')) return 'again';
    const blocked = decisions.find((d): d is Extract<AttemptDecision, { action: 'block' }> => d.action === 'block');
    if (blocked)
      throw conflict(
        blockedMessage(
          blocked,
          formatMinor(observed[decisions.indexOf(blocked)]!.live.amount, invoice.currency),
          abandonMinutes,
        ),
        blocked.reason === 'processing' ? 'PaymentProcessing' : 'PaymentInProgress',
        blocked.nextAction ? { nextAction: blocked.nextAction } : {},
      );

    const ended: string[] = [];
    for (const [i, o] of observed.entries()) {
      if (decisions[i]!.action !== 'end') continue;
      if (!(await end(o, lease, actor))) {
        await settle(o, actor, lease);
        return 'again';
      }
      ended.push(o.row.providerPaymentId ?? o.row.sharedPaymentId ?? o.row.checkoutSessionId ?? String(o.row.id));
    }

    const metadata: PaymentMetadata = {
      invoiceDocumentId: invoice.documentId,
      invoiceNumber: invoice.number,
      portion: request.portion,
      fee: request.fee,
      attemptId: lease,
      ...(target.forClient ? { forClient: target.forClient } : {}),
    };
    const chosenIndex = decisions.findIndex((d) => d.action === 'reuse');
    const chosen = chosenIndex >= 0 ? observed[chosenIndex]! : null;
    const since = Math.floor(nowMs / 1000) - 60;
    let payment: ProviderPayment | undefined;
    let session: ProviderCheckoutSession | undefined;
    let outcome: 'created' | 'reused';

    if (chosen) {
      outcome = 'reused';
      payment = chosen.payment;
      session = chosen.session;
    } else if (request.mode === 'element') {
      outcome = 'created';
      const params = {
        amount,
        currency: invoice.currency,
        metadata,
        description: `Invoice ${invoice.number}`,
        receiptEmail: (invoice as unknown as { billingEmail?: string | null }).billingEmail ?? null,
      };
      payment = await create(
        (idempotencyKey) => provider.createPayment({ ...params, idempotencyKey }),
        () => provider.findPaymentByAttempt(lease, since),
        (generation) => requestKey('pi', invoice.documentId, params, generation),
      );
    } else {
      outcome = 'created';
      const base = `${publicBaseUrl(strapi)}/${PLUGIN_ID}/pay`;
      const params = {
        amount,
        currency: invoice.currency,
        metadata,
        productName: `Invoice ${invoice.number}`,
        customerEmail: (invoice as unknown as { billingEmail?: string | null }).billingEmail ?? null,
        uiMode: request.ui,
        successUrl: `${base}/success?session_id={CHECKOUT_SESSION_ID}`,
        cancelUrl: `${base}/cancel?invoice=${invoice.documentId}`,
        returnUrl: `${base}/success?session_id={CHECKOUT_SESSION_ID}`,
        // Part of the request key (a new session in another language is another request); an open
        // session is still reused whatever its language: one live attempt per invoice, never two.
        ...(request.mode === 'checkout' && request.locale ? { locale: request.locale } : {}),
        ...(request.mode === 'checkout' && request.saveTo ? { saveTo: request.saveTo } : {}),
      };
      session = await create(
        (idempotencyKey) => provider.createCheckoutSession({ ...params, idempotencyKey }),
        () => provider.findCheckoutSessionByAttempt(lease, since),
        (generation) => requestKey('cs', invoice.documentId, params, generation),
      );
    }

    // Record it, unless the invoice moved on meanwhile (a webhook settled a payment, an admin
    // recorded one): then the attempt just made is for a stale amount and is ended again.
    const recorded = await withInvoiceLock(strapi, invoice.documentId, async (now) => {
      // The lease ran out meanwhile (a very slow provider): another round may be planning too.
      const stillOurs = (now as InvoiceRow & { attemptLockToken?: string | null }).attemptLockToken === lease;
      if (!stillOurs || now.balanceDue !== invoice.balanceDue || now.state === 'void' || now.state === 'paid')
        return null;
      if (payment && outcome === 'created') {
        const row = await payments().findOne({ where: { providerPaymentId: payment.id } });
        if (row)
          await payments().update({ where: { id: row.id }, data: { amount: request.portion, fee: request.fee } });
        else {
          await payments().create({
            data: {
              invoice: now.id,
              kind: 'card',
              provider: provider.id,
              attemptId: lease,
              status: 'pending',
              amount: request.portion,
              fee: request.fee,
              currency: now.currency,
              providerPaymentId: payment.id,
              livemode: payment.livemode,
            },
          });
        }
      }
      if (
        session &&
        outcome === 'created' &&
        !(await payments().findOne({ where: { checkoutSessionId: session.id } }))
      ) {
        await payments().create({
          data: {
            invoice: now.id,
            kind: 'checkout',
            provider: provider.id,
            attemptId: lease,
            status: 'pending',
            amount: request.portion,
            fee: request.fee,
            currency: now.currency,
            checkoutSessionId: session.id,
            livemode: session.livemode,
          },
        });
      }
      return now;
    });
    if (!recorded) {
      if (outcome !== 'reused') {
        const row = (
          payment
            ? await payments().findOne({ where: { providerPaymentId: payment.id } })
            : await payments().findOne({ where: { checkoutSessionId: session!.id } })
        ) as AttemptRow | null;
        const stray: Observed = {
          provider,
          row:
            row ??
            ({
              id: -1,
              providerPaymentId: payment?.id ?? null,
              checkoutSessionId: payment ? null : session!.id,
              kind: payment ? 'card' : 'checkout',
            } as AttemptRow),
          live: {
            mode: target.mode,
            amount,
            portion: request.portion,
            ui: target.ui,
            expiresAtMs: null,
            current: { state: 'open' },
          },
        };
        if (!(await end(stray, lease, actor)) && row) await settle(stray, actor, lease);
      }
      return 'again';
    }

    await getService(strapi, 'audit').log({
      action: request.mode === 'element' ? 'payment.attempt' : 'payment.checkout',
      actor,
      invoice: { documentId: invoice.documentId, number: invoice.number },
      outcome,
      details: {
        providerPaymentId: payment?.id ?? null,
        checkoutSessionId: session?.id ?? null,
        amount,
        currency: invoice.currency,
        ui: target.ui,
        ended,
      },
    });
    return {
      invoice: recorded,
      portion: request.portion,
      fee: request.fee,
      reused: outcome !== 'created',
      payment,
      session,
      ui: target.ui,
    };
  }

  /**
   * Makes room on one invoice for a payment that covers it together with other invoices (a
   * multi-invoice payment, services/payment-groups), holding the invoice's attempt lease `lease`.
   * The same rules as between two attempts of the invoice (domain planAttempts): money that
   * arrived is settled first (`settled`: plan again), an open attempt or an abandoned 3-D Secure
   * step is ended, a payment in progress (processing, a voucher, a fresh authentication) is left
   * alone and blocks. Provider calls outside any transaction.
   */
  async function makeRoom(
    invoiceDocumentId: string,
    lease: string,
    actor: Actor,
    settings: Pick<StoredSettings, 'abandonedAuthenticationMinutes'>,
  ): Promise<RoomOutcome> {
    const invoice = (await strapi.db
      .query(UID.invoice)
      .findOne({ where: { documentId: invoiceDocumentId }, select: ['id'] })) as { id: number } | null;
    if (!invoice) throw notFound('Invoice not found.');
    const nowMs = Date.now();
    const observed = await observe(await liveRows(invoice.id), nowMs);
    if (!observed.length) return { outcome: 'clear' };
    // A shared payment is never reused: every decision is settle, end, block or gone.
    const decisions = planAttempts(
      observed.map((o) => o.live),
      { mode: 'shared', amount: 0, portion: 0, ui: null },
      {
        nowMs,
        abandonAuthenticationAfterMs: settings.abandonedAuthenticationMinutes * 60_000,
        minCheckoutLifetimeMs: 10 * 60_000,
      },
    );
    let settled = false;
    for (const [i, o] of observed.entries()) {
      const d = decisions[i]!;
      if (d.action !== 'settle' && d.action !== 'gone') continue;
      await settle(o, actor, lease);
      if (o.live.current.state === 'ended') await markEnded(o.row.id);
      settled ||= d.action === 'settle';
    }
    if (settled) return { outcome: 'settled' };
    const blocked = decisions.findIndex((d) => d.action === 'block');
    if (blocked >= 0) {
      const d = decisions[blocked] as Extract<AttemptDecision, { action: 'block' }>;
      return {
        outcome: 'blocked',
        reason: d.reason,
        nextAction: d.nextAction ?? null,
        amount: observed[blocked]!.live.amount,
      };
    }
    for (const [i, o] of observed.entries()) {
      if (decisions[i]!.action !== 'end') continue;
      if (!(await end(o, lease, actor))) {
        await settle(o, actor, lease);
        return { outcome: 'settled' };
      }
    }
    return { outcome: 'clear' };
  }

  return {
    makeRoom,
    leaseMs,

    /**
     * Runs `work` holding the attempt leases of every invoice in `invoiceDocumentIds`, taken one
     * after the other in the order given (callers sort them the same way, so two never wait on each
     * other in a cycle), waiting up to `waitMs` in all. Null when one could not be had in time (a
     * payment for that invoice is being set up right now). The leases are released afterwards.
     */
    async withLeases<T>(
      invoiceDocumentIds: readonly string[],
      waitMs: number,
      work: (leases: ReadonlyMap<string, string>) => Promise<T>,
    ): Promise<T | null> {
      const started = Date.now();
      const held = new Map<string, string>();
      try {
        for (const id of invoiceDocumentIds) {
          for (;;) {
            const token = await acquire(id);
            if (token) {
              held.set(id, token);
              break;
            }
            if (Date.now() - started >= waitMs) return null;
            await sleep(100);
          }
        }
        return await work(held);
      } finally {
        for (const [id, token] of held) await release(id, token);
      }
    },

    /**
     * Hands the client one attempt for what it asked: the live one if it matches, otherwise a new
     * (or updated) one after every other attempt that is safe to end was ended. `check` validates
     * the request against the invoice as it is when planning starts.
     */
    async open(
      invoiceDocumentId: string,
      check: (invoice: InvoiceRow) => OpenRequest,
      actor: Actor,
    ): Promise<OpenedAttempt> {
      const started = Date.now();
      for (let round = 0; round < 4; round++) {
        // A planning round takes well under a second unless the provider is slow; a second tab waits
        // that long for the first, and no longer for a holder that died (its lease runs out).
        const result = await withLease(invoiceDocumentId, Math.max(0, 5_000 - (Date.now() - started)), (lease) =>
          open(invoiceDocumentId, check, actor, lease),
        );
        if (result === null)
          throw conflict(
            'Another payment for this invoice is being set up right now. Please try again in a moment.',
            'AttemptBusy',
          );
        if (result !== 'again') return result;
      }
      throw conflict(
        'This invoice changed while the payment was being set up. Reload the page and try again.',
        'InvoiceChanged',
      );
    },

    /**
     * After money arrived (or a manual payment was recorded): ends the invoice's other attempts
     * that could still take money, so an older session or payment cannot be paid on top. Runs
     * outside any transaction. `heldLease`: the caller already holds the attempt lease.
     */
    async endOthers(
      invoiceDocumentId: string,
      keepRowId: number | null,
      actor: Actor,
      heldLease?: string,
    ): Promise<void> {
      const work = async (lease: string) => {
        const invoice = (await strapi.db
          .query(UID.invoice)
          .findOne({ where: { documentId: invoiceDocumentId } })) as InvoiceRow | null;
        if (!invoice) return;
        const rows = (await liveRows(invoice.id)).filter((r) => r.id !== keepRowId);
        if (!rows.length) return;
        const observed = await observe(rows, Date.now());
        const ended: string[] = [];
        for (const o of observed) {
          try {
            if (o.live.current.state === 'succeeded' || o.live.current.state === 'ended') {
              await settle(o, actor, lease);
            } else if (endAfterSettlement(o.live.current, invoice.state === 'void' ? 0 : invoice.balanceDue)) {
              if (await end(o, lease, actor))
                ended.push(o.row.providerPaymentId ?? o.row.sharedPaymentId ?? o.row.checkoutSessionId ?? '');
              else await settle(o, actor, lease);
            }
          } catch (error) {
            // One attempt the provider refuses to end (Mollie: an open payment that is not
            // cancelable, https://docs.mollie.com/reference/cancel-payment) must not keep the others
            // open. It stays payable until it expires; paid, it is booked or refunded as a surplus.
            const which = o.row.providerPaymentId ?? o.row.checkoutSessionId ?? o.row.id;
            const why = reasonOf(error);
            strapi.log.warn(
              `[invoice-payments] payment attempt ${which} of invoice ${invoiceDocumentId} could not be ended: ${why}`,
            );
          }
        }
        if (ended.length) {
          await getService(strapi, 'audit').log({
            action: 'payment.attempts_ended',
            actor,
            invoice: { documentId: invoice.documentId, number: invoice.number },
            details: { ended, balanceDue: invoice.balanceDue },
          });
        }
      };
      try {
        if (!heldLease) {
          // Usually there is nothing to end (one attempt per invoice): look first, without the lease,
          // and skip its two writes (two commits on SQLite) when nothing else is live. Safe for the
          // same reason as ending without the lease below: a planner recording an attempt after this
          // read re-checks the balance under the invoice lock, which this payment has already changed.
          const invoice = (await strapi.db
            .query(UID.invoice)
            .findOne({ where: { documentId: invoiceDocumentId }, select: ['id'] })) as { id: number } | null;
          if (!invoice || !(await liveRows(invoice.id)).some((r) => r.id !== keepRowId)) return;
        }
        if (heldLease) await work(heldLease);
        else if ((await withLease(invoiceDocumentId, 2_000, async (lease) => (await work(lease), true))) === null) {
          // A client's request is planning right now (or its process died holding the lease).
          // Never wait on it: a webhook or an admin action must not stall. Ending is safe without
          // the lease; the planner re-checks the balance before it records anything.
          await work(`end-${randomBytes(6).toString('base64url')}`);
        }
      } catch (error) {
        // Not fatal: a second payment would still be caught as an overpayment and refunded.
        strapi.log.warn(
          `[invoice-payments] could not end the other payment attempts of invoice ${invoiceDocumentId}: ${reasonOf(error)}`,
        );
      }
    },
  };
};
