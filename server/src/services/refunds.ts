import type { Core } from '@strapi/strapi';
import { formatMinor, isRefundPolicy, splitRefundFee, type RefundPolicy } from '../domain';
import {
  holdsRefundable,
  isBookedRefund,
  isFinalRefundStatus,
  normalizeRefundStatus,
  refundRequestKey,
  statusAfterRefunds,
  sumRefunds,
  type RefundLine,
  type RefundStatus,
} from '../domain/refunds';
import {
  ProviderRequestError,
  type CreateRefundInput,
  type ProviderPayment,
  type ProviderRefund,
} from '../providers/types';
import { UID } from '../utils/plugin-id';
import { providerLabel, shortestCallBudgetMs } from '../providers/registry';
import { withInvoiceLock } from '../utils/lock';
import { getService } from '../utils/get-service';
import { badGateway, badRequest, conflict, notFound, isAnswerable, reasonOf } from '../utils/errors';
import type { Actor } from './settings';
import type { PaymentRecord, SyncContext } from './settlement';

/**
 * Refunds, as a reservation made under the invoice lock and finished under it, with the provider
 * called in between and outside any transaction (issue 10, defects 3 and 8):
 *
 *   1. reserve: under the lock, count what is already held (pending, requires_action, succeeded,
 *      unknown and in-flight reservations) and write a `pending` row without a provider id;
 *   2. call the provider with a key derived from that row and the exact request;
 *   3. finish: under the lock, store the provider's id and status and rebook the payment.
 *
 * Concurrent requests for one payment see each other's reservation, so four "refund all" clicks
 * make one refund and three 409s. After a 500 or a timeout the outcome is unknown (Stripe replays a
 * saved 500 under the same key for 24 h): the row becomes `unknown`, and the next attempt lists the
 * payment's refunds at the provider and matches our metadata before retrying under a new key.
 *
 * What a payment has given back is derived from its refund rows, not from the charge's
 * `amount_refunded`: the rows carry each refund's own status, so a failed or canceled refund stops
 * counting whatever order the events come in, and the fee part of each refund is kept.
 */

export type RefundReason = 'duplicate' | 'fraudulent' | 'requested_by_customer';
export type RefundPurpose = 'admin' | 'overpayment';

export interface RefundRequest {
  /** The ledger entry to refund: its row id (internal callers) or documentId (admin API). */
  paymentRowId?: number;
  paymentDocumentId?: string;
  /** Invoice portion to give back, minor units; default everything still refundable. */
  amount?: number;
  /** The fee part to give back with it; default from the refund fee policy. */
  feePart?: number;
  reason?: RefundReason | null;
  actor: Actor;
  purpose: RefundPurpose;
  /** A client's key for this request (the admin dialog's): a retry with it gets the same refund. */
  clientKey?: string | null;
  /**
   * What the refund means for the invoice (reopen the balance or keep it paid). Default: keep paid
   * for an overpayment refund (it gives back surplus), else the "Refunds" setting.
   */
  invoiceEffect?: RefundPolicy;
}

export interface RefundRow {
  id: number;
  documentId: string;
  providerRefundId: string | null;
  providerPaymentId: string | null;
  invoiceDocumentId: string | null;
  status: RefundStatus;
  amount: number;
  feeAmount: number | null;
  currency: string;
  reason: string | null;
  failureReason: string | null;
  requestedBy: string | null;
  purpose: string | null;
  invoiceEffect: RefundPolicy | null;
  clientKey: string | null;
  idempotencyKey: string | null;
  generation: number | null;
  lastError: string | null;
  unanswered: boolean | null;
  failureRecordedAt: string | Date | null;
  createdAt: string | Date;
  updatedAt: string | Date;
  payment?: { id: number } | null;
}

export interface RefundView {
  /** The provider's refund id (null while reserved or unknown). */
  id: string | null;
  documentId: string;
  amount: number;
  feeAmount: number;
  currency: string;
  status: RefundStatus;
  reason: string | null;
  failureReason: string | null;
  failureText: string | null;
  invoiceEffect: RefundPolicy | null;
}

export interface RefundOutcome {
  refund: RefundView;
  invoiceDocumentId: string;
  /** True when this request was a retry of an earlier one and got its refund back. */
  replayed: boolean;
}

type ProviderAnswer = { ok: true; refund: ProviderRefund } | { ok: false; error: ProviderRequestError };

/** Past the slowest a provider call can take (its call budget) plus a margin, a crash is assumed. */
function staleReservationMs(callBudgetMs: number): number {
  return Math.max(3 * 60_000, callBudgetMs + 60_000);
}

/**
 * Stripe's `failure_reason` values (https://docs.stripe.com/api/refunds/object, SDK 23.1.0
 * `Refund.failure_reason`), in words for the admin and the notice email.
 */
const FAILURE_TEXT: Record<string, string> = {
  lost_or_stolen_card: 'the card was reported lost or stolen',
  expired_or_canceled_card: 'the card has expired or was canceled',
  charge_for_pending_refund_disputed: 'the payment was disputed while the refund was pending',
  insufficient_funds: 'the {provider} balance could not cover it',
  declined: 'the card issuer declined it',
  merchant_request: 'it was canceled on request',
  not_created: '{provider} never made it (checked after an error)',
  provider_refused: '{provider} refused it',
  unknown: 'the bank gave no reason',
};

/** `provider`: the payment's provider id (the text names it where the provider is the subject). */
export function refundFailureText(reason: string | null | undefined, provider?: string | null): string | null {
  if (!reason) return null;
  return (FAILURE_TEXT[reason] ?? reason.replace(/_/g, ' ')).replace('{provider}', providerLabel(provider));
}

const lineOf = (r: RefundRow): RefundLine => ({
  status: r.status,
  amount: r.amount,
  feeAmount: r.feeAmount,
  providerRefundId: r.providerRefundId,
});

export function viewOf(r: RefundRow, provider?: string | null): RefundView {
  return {
    id: r.providerRefundId,
    documentId: r.documentId,
    amount: r.amount,
    feeAmount: r.feeAmount ?? 0,
    currency: r.currency,
    status: r.status,
    reason: r.reason,
    failureReason: r.failureReason,
    failureText:
      r.status === 'failed' || r.status === 'canceled'
        ? refundFailureText(r.failureReason ?? 'unknown', provider)
        : null,
    invoiceEffect: isRefundPolicy(r.invoiceEffect) ? r.invoiceEffect : null,
  };
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const refunds = () => strapi.db.query(UID.refund);
  const payments = () => strapi.db.query(UID.payment);
  const audit = () => getService(strapi, 'audit');
  /** The provider holding a payment row's money (the row records it). */
  const providerOf = async (paymentRowId: number) => {
    const payment = (await payments().findOne({ where: { id: paymentRowId }, select: ['id', 'provider'] })) as {
      provider: string | null;
    } | null;
    return getService(strapi, 'providers').forRow(payment ?? {});
  };
  const callBudgetOf = async (paymentRowId: number) => {
    const payment = (await payments().findOne({ where: { id: paymentRowId }, select: ['id', 'provider'] })) as {
      provider: string | null;
    } | null;
    return getService(strapi, 'providers').callBudgetMs(payment?.provider);
  };
  const errorText = (error: unknown) => reasonOf(error).slice(0, 500);

  /** Runs `fn` once the surrounding transaction commits (Strapi's onCommit; at once outside one). */
  async function afterCommit(fn: () => void): Promise<void> {
    await strapi.db.transaction(async ({ onCommit }) => {
      onCommit(fn);
    });
  }

  async function rowsOf(paymentRowId: number): Promise<RefundRow[]> {
    return (await refunds().findMany({
      where: { payment: { id: paymentRowId } },
      orderBy: { id: 'asc' },
    })) as RefundRow[];
  }

  /** What the payment can still give back: its portion minus every refund that holds money. */
  function refundableFrom(
    payment: PaymentRecord,
    rows: readonly RefundRow[],
  ): { refundable: number; heldPortion: number; heldFee: number } {
    const held = sumRefunds(rows.map(lineOf).filter(holdsRefundable), payment.amount, payment.fee ?? 0);
    // A refund booked from the charge but not (yet) listed as a row still counts.
    const heldPortion = Math.max(held.portion, payment.amountRefunded ?? 0);
    const heldFee = Math.max(held.fee, payment.feeRefunded ?? 0);
    const collected = ['succeeded', 'partially_refunded', 'refunded'].includes(payment.status);
    return { refundable: collected ? Math.max(0, payment.amount - heldPortion) : 0, heldPortion, heldFee };
  }

  /**
   * Rebooks one payment from its refund rows and recomputes its invoice. Call under the invoice
   * lock. The payment may go back from refunded / partially refunded when a refund failed.
   */
  async function rebookPayment(paymentRowId: number): Promise<PaymentRecord> {
    const payment = (await payments().findOne({
      where: { id: paymentRowId },
      populate: ['invoice'],
    })) as PaymentRecord & { invoice?: { id: number } | null };
    const rows = await rowsOf(paymentRowId);
    const bookedRows = rows.filter((r) => isBookedRefund(lineOf(r)));
    const booked = sumRefunds(bookedRows.map(lineOf), payment.amount, payment.fee ?? 0);
    // Refunds without a recorded choice (made before there was one) follow the setting.
    const fallback = bookedRows.some((r) => !isRefundPolicy(r.invoiceEffect))
      ? (await getService(strapi, 'settings').load()).refundPolicy
      : 'reopen';
    const keptRows = bookedRows.filter(
      (r) => (isRefundPolicy(r.invoiceEffect) ? r.invoiceEffect : fallback) === 'keep_paid',
    );
    const keptPaid = Math.min(
      sumRefunds(keptRows.map(lineOf), payment.amount, payment.fee ?? 0).portion,
      booked.portion,
    );
    const status = statusAfterRefunds(payment.status, payment.amount, booked.portion);
    let saved: PaymentRecord = payment;
    if (
      payment.amountRefunded !== booked.portion ||
      (payment.feeRefunded ?? 0) !== booked.fee ||
      payment.status !== status ||
      (payment.amountRefundedKeptPaid ?? 0) !== keptPaid
    ) {
      saved = (await payments().update({
        where: { id: paymentRowId },
        data: { amountRefunded: booked.portion, amountRefundedKeptPaid: keptPaid, feeRefunded: booked.fee, status },
      })) as PaymentRecord;
      // amountRefunded, balance and status of the invoice follow from the ledger (we hold its lock).
      if (payment.invoice) await getService(strapi, 'invoices').recompute(payment.invoice.id);
    }
    return saved;
  }

  /**
   * A refund moved to failed or canceled: one audit entry and one email to the notification
   * address per refund (the marker is written in the same transaction). Under the lock.
   */
  async function recordFailure(row: RefundRow, actor: Actor, eventId: string | null): Promise<void> {
    if (row.failureRecordedAt || !(row.status === 'failed' || row.status === 'canceled')) return;
    await refunds().update({ where: { id: row.id }, data: { failureRecordedAt: new Date() } });
    const invoice = row.invoiceDocumentId
      ? await strapi.db
          .query(UID.invoice)
          .findOne({ where: { documentId: row.invoiceDocumentId }, select: ['documentId', 'number'] })
      : null;
    await audit().log({
      action: row.status === 'failed' ? 'refund.failed' : 'refund.canceled',
      actor,
      outcome: row.status,
      invoice: invoice ? { documentId: invoice.documentId, number: invoice.number } : null,
      details: {
        refundId: row.providerRefundId,
        refund: row.documentId,
        amount: row.amount,
        currency: row.currency,
        failureReason: row.failureReason,
        eventId,
      },
    });
    // A refusal at request time is answered to the admin there; the email is for later failures.
    if (row.status !== 'failed' || !row.payment || row.failureReason === 'provider_refused') return;
    const noticeId = await getService(strapi, 'notifications').queueRefundFailedNotice(row.payment.id);
    if (noticeId) await afterCommit(() => void getService(strapi, 'notifications').sendQueued(noticeId));
  }

  /**
   * Writes what the provider says about one refund onto its row. Under the lock. A refund that
   * reaches `succeeded` here is added to `succeeded`: its payment.refunded event is recorded by the
   * caller once the invoice is recomputed, so the event carries the invoice after the refund.
   */
  async function applyOne(
    row: RefundRow,
    r: ProviderRefund,
    actor: Actor,
    eventId: string | null,
    succeeded: RefundRow[],
  ): Promise<RefundRow> {
    const status = normalizeRefundStatus(r.status);
    // Final states never move back (events come in any order); a later read is still applied. Of
    // the final ones only `succeeded` moves on, to failed (the bank returned it:
    // https://docs.stripe.com/refunds#failed-refunds): a read still showing it succeeded, taken
    // before the failure was booked, must not book the money as refunded again.
    const ended = row.status === 'failed' || row.status === 'canceled';
    const keep =
      row.providerRefundId === r.id && (ended || (isFinalRefundStatus(row.status) && !isFinalRefundStatus(status)));
    const next = keep ? row.status : status;
    const data: Record<string, unknown> = {
      providerRefundId: r.id,
      status: next,
      amount: r.amount,
      currency: r.currency,
      failureReason: r.failureReason ?? row.failureReason,
      lastError: null,
    };
    if (r.paymentId) data.providerPaymentId = r.paymentId;
    const saved = (await refunds().update({ where: { id: row.id }, data, populate: ['payment'] })) as RefundRow;
    if (saved.status === 'succeeded' && row.status !== 'succeeded') succeeded.push(saved);
    await recordFailure(saved, actor, eventId);
    return saved;
  }

  /**
   * payment.refunded (services/events-out.ts): refunds that reached `succeeded`, once per refund.
   * Called under the invoice lock after its recompute, in the same transaction as the refund rows.
   */
  async function recordRefunded(succeeded: readonly RefundRow[]): Promise<void> {
    const out = getService(strapi, 'events-out');
    for (const refund of succeeded) {
      if (!refund.invoiceDocumentId) continue;
      const invoice = await out.invoiceFor(refund.invoiceDocumentId);
      if (invoice) await out.record('payment.refunded', invoice, out.paymentPart(refund));
    }
  }

  /**
   * Settlement's refund step (inside its invoice lock): upsert every refund the provider listed,
   * matched to our reservation by metadata first (its answer may not have come back yet), then by
   * the provider id; then rebook the payment from the rows if the list was complete. Returns the
   * refunds that succeeded just now: the caller records their events after recomputing the invoice.
   */
  async function applyProviderRefunds(
    paymentRowId: number,
    invoiceDocumentId: string,
    p: ProviderPayment,
    ctx: Pick<SyncContext, 'actor' | 'eventId'>,
  ): Promise<RefundRow[]> {
    const succeeded: RefundRow[] = [];
    let externalEffect: RefundPolicy | null = null;
    for (const r of p.refunds) {
      let row: RefundRow | null = null;
      if (r.localId)
        row = (await refunds().findOne({
          where: { documentId: r.localId },
          populate: ['payment'],
        })) as RefundRow | null;
      // Two refunds carrying one reservation's id (made twice despite everything): the second gets a
      // row of its own, so the ledger counts what Stripe really refunded.
      if (row?.providerRefundId && row.providerRefundId !== r.id) row = null;
      if (!row)
        row = (await refunds().findOne({
          where: { providerRefundId: r.id },
          populate: ['payment'],
        })) as RefundRow | null;
      if (row) {
        await applyOne(row, r, ctx.actor, ctx.eventId ?? null, succeeded);
        continue;
      }
      // Made in the Stripe Dashboard (or elsewhere): nobody chose, so the setting's default applies.
      externalEffect ??= (await getService(strapi, 'settings').load()).refundPolicy;
      const created = (await refunds().create({
        data: {
          invoiceEffect: externalEffect,
          providerRefundId: r.id,
          status: normalizeRefundStatus(r.status),
          amount: r.amount,
          feeAmount: 0,
          currency: r.currency,
          reason: r.reason,
          failureReason: r.failureReason,
          payment: paymentRowId,
          providerPaymentId: p.id,
          invoiceDocumentId,
          requestedBy: 'stripe',
          purpose: 'external',
          generation: 0,
        },
        populate: ['payment'],
      })) as RefundRow;
      if (created.status === 'succeeded') succeeded.push(created);
      await recordFailure(created, ctx.actor, ctx.eventId ?? null);
    }
    if (p.refundsListed) await rebookPayment(paymentRowId);
    return succeeded;
  }

  /** Re-reads a payment with its full refund list (refund events, resync) and settles it. */
  async function syncPaymentRefunds(providerPaymentId: string, ctx: SyncContext) {
    const p = await ctx.provider.retrievePayment(providerPaymentId, { withRefunds: true });
    return getService(strapi, 'settlement').applyPayment(p, ctx);
  }

  async function loadPayment(req: Pick<RefundRequest, 'paymentRowId' | 'paymentDocumentId'>) {
    const where = req.paymentRowId !== undefined ? { id: req.paymentRowId } : { documentId: req.paymentDocumentId };
    const payment = (await payments().findOne({ where, populate: ['invoice'] })) as
      (PaymentRecord & { invoice?: { id: number; documentId: string; number: string } | null }) | null;
    if (!payment || !payment.invoice) throw notFound('No such payment.');
    return payment as PaymentRecord & { invoice: { id: number; documentId: string; number: string } };
  }

  /** The provider call for a reserved row: outside any transaction. Returns the refund or the error. */
  async function callProvider(
    row: RefundRow,
    providerPaymentId: string,
    invoiceDocumentId: string,
    paymentRowId: number,
    generation: number,
  ): Promise<ProviderAnswer> {
    const metadata = { invoiceDocumentId, paymentRowId: String(paymentRowId), refundId: row.documentId };
    const idempotencyKey = refundRequestKey(
      row.documentId,
      { paymentId: providerPaymentId, amount: row.amount, metadata: { ...metadata } },
      generation,
    );
    const input: CreateRefundInput = {
      paymentId: providerPaymentId,
      amount: row.amount,
      reason: (row.reason as RefundReason | null) ?? null,
      metadata,
      idempotencyKey,
    };
    await refunds().update({ where: { id: row.id }, data: { idempotencyKey } });
    try {
      return { ok: true, refund: await (await providerOf(paymentRowId)).requestRefund(input) };
    } catch (error) {
      return {
        ok: false,
        error:
          error instanceof ProviderRequestError
            ? error
            : new ProviderRequestError('The payment provider could not be reached.', true, 'network'),
      };
    }
  }

  /** Finishes a reserved row with the provider's answer, under the lock. */
  async function finish(
    row: RefundRow,
    invoiceDocumentId: string,
    answer: ProviderAnswer,
    actor: Actor,
  ): Promise<RefundRow> {
    const done = await withInvoiceLock(strapi, invoiceDocumentId, async (invoice) => {
      const succeeded: RefundRow[] = [];
      const current = (await refunds().findOne({ where: { id: row.id }, populate: ['payment'] })) as RefundRow;
      let saved: RefundRow;
      if (answer.ok) {
        // The webhook may have booked the same refund under its id before our answer came back.
        const twin = (await refunds().findOne({
          where: { providerRefundId: answer.refund.id, id: { $ne: row.id } },
        })) as RefundRow | null;
        if (twin) await refunds().delete({ where: { id: twin.id } });
        const already = current.providerRefundId === answer.refund.id;
        saved = await applyOne(current, answer.refund, actor, null, succeeded);
        if (!already)
          await audit().log({
            action: 'refund.requested',
            actor,
            invoice: { documentId: invoice.documentId, number: invoice.number },
            outcome: saved.status,
            details: {
              refundId: answer.refund.id,
              refund: row.documentId,
              amount: row.amount,
              currency: row.currency,
              fee: row.feeAmount ?? 0,
              providerPaymentId: row.providerPaymentId,
              purpose: row.purpose,
              invoiceEffect: row.invoiceEffect ?? null,
              generation: row.generation ?? 0,
            },
          });
      } else if (answer.error.retryable) {
        // A 500, a timeout or no answer: Stripe may have made it. Look before trying again.
        saved = (await refunds().update({
          where: { id: row.id },
          data: { status: 'unknown', lastError: answer.error.message, unanswered: true },
          populate: ['payment'],
        })) as RefundRow;
        await audit().log({
          action: 'refund.unconfirmed',
          actor,
          invoice: { documentId: invoice.documentId, number: invoice.number },
          outcome: 'unknown',
          details: {
            refund: row.documentId,
            amount: row.amount,
            currency: row.currency,
            providerPaymentId: row.providerPaymentId,
            code: answer.error.code,
          },
        });
      } else {
        // Stripe refused it (a 4xx): nothing was made, the amount is free again.
        saved = (await refunds().update({
          where: { id: row.id },
          data: { status: 'failed', failureReason: 'provider_refused', lastError: answer.error.message },
          populate: ['payment'],
        })) as RefundRow;
        await recordFailure(saved, actor, null);
      }
      if (current.payment) await rebookPayment(current.payment.id);
      await recordRefunded(succeeded);
      return saved;
    });
    if (!done) throw notFound('No such invoice.');
    return done;
  }

  const matches = (row: RefundRow, req: RefundRequest) =>
    req.clientKey
      ? row.clientKey === req.clientKey
      : !row.clientKey &&
        row.purpose === req.purpose &&
        (row.reason ?? null) === (req.reason ?? null) &&
        (req.amount === undefined || row.amount - (row.feeAmount ?? 0) === req.amount);

  /**
   * Rows whose outcome is unknown (a 500 or timeout) or whose call never finished (a crash): look
   * at the provider first, book what it made, and retry what it did not make under the next key
   * generation. Outside any lock; each row is claimed under the lock before it is retried.
   */
  async function resolveOutstanding(paymentRowId: number, actor: Actor): Promise<RefundRow[]> {
    const staleBefore = Date.now() - staleReservationMs(await callBudgetOf(paymentRowId));
    const open = (await rowsOf(paymentRowId)).filter(
      (r) =>
        r.status === 'unknown' ||
        (r.status === 'pending' && !r.providerRefundId && new Date(r.updatedAt).getTime() < staleBefore),
    );
    if (!open.length) return [];
    const piId = open[0]!.providerPaymentId;
    const invoiceDocumentId = open[0]!.invoiceDocumentId;
    if (!piId || !invoiceDocumentId) return [];
    let atProvider: ProviderRefund[];
    try {
      atProvider = await (await providerOf(paymentRowId)).listRefunds(piId);
    } catch (error) {
      if (error instanceof ProviderRequestError)
        throw badGateway(
          'The payment provider could not be reached to check an earlier refund; nothing changed. Try again in a moment.',
        );
      throw error;
    }
    const resolved: RefundRow[] = [];
    for (const row of open) {
      const found = atProvider.find((r) => r.localId === row.documentId);
      if (found) {
        resolved.push(await finish(row, invoiceDocumentId, { ok: true, refund: found }, actor));
        continue;
      }
      // Not listed yet does not prove "not made": the first request may still be running (a
      // timeout, or the SDK's retry refused with a 409 while it ran). Ask again under the SAME key
      // first: Stripe answers with what it saved (a refund: made; a 5xx: that request finished,
      // and the list above would show what it made), or refuses while it still runs
      // (https://docs.stripe.com/api/idempotent_requests). Only a finished request that made
      // nothing moves on to the next key.
      const probe = await callProvider(row, piId, invoiceDocumentId, paymentRowId, row.generation ?? 0);
      if (probe.ok) {
        resolved.push(await finish(row, invoiceDocumentId, probe, actor));
        continue;
      }
      const finished = (probe.error.httpStatus ?? 0) >= 500;
      if (!finished) {
        // Still running, or Stripe unreachable (or a refusal, which finish() records as such).
        resolved.push(await finish(row, invoiceDocumentId, probe, actor));
        continue;
      }
      const generation = (row.generation ?? 0) + 1;
      const claimed = await withInvoiceLock(strapi, invoiceDocumentId, async () => {
        const { count } = await refunds().updateMany({
          where: { id: row.id, status: row.status, generation: row.generation ?? 0 },
          data: { status: 'pending', generation, lastError: null },
        });
        return count === 1;
      });
      if (!claimed) continue;
      const answer = await callProvider(row, piId, invoiceDocumentId, paymentRowId, generation);
      resolved.push(await finish({ ...row, generation }, invoiceDocumentId, answer, actor));
    }
    return resolved;
  }

  /**
   * Refunds (part of) a provider payment. Throws 404 (no such payment), 400 (bad amount),
   * 409 (nothing refundable, or the same refund is being made right now), 502 (the provider failed;
   * an unknown outcome is checked and finished on the next attempt, never made twice).
   */
  async function requestRefund(req: RefundRequest): Promise<RefundOutcome> {
    if (req.amount !== undefined && (!Number.isSafeInteger(req.amount) || req.amount <= 0))
      throw badRequest('The amount must be whole minor units above zero.', [{ path: ['amount'], message: 'Invalid.' }]);
    const payment = await loadPayment(req);
    if (payment.kind === 'manual')
      throw conflict(
        'Manual payments are refunded outside the payment provider; void the entry instead.',
        'NotRefundable',
      );
    const invoiceDocumentId = payment.invoice.documentId;
    const gateway = getService(strapi, 'providers').label(payment.provider);

    // 1. Earlier attempts whose outcome is unknown: settle them first; a retry of this very request gets its refund.
    const resolved = await resolveOutstanding(payment.id, req.actor);
    // A request without a key, identical to one whose answer was lost (a 502) and that Stripe made
    // meanwhile (the webhook booked it): the same request tried again, so it gets that refund,
    // once. The next identical request is a new refund.
    if (!req.clientKey) {
      const lost = (await rowsOf(payment.id)).find(
        (r) => r.unanswered && r.providerRefundId && matches(r, req) && !resolved.some((x) => x.id === r.id),
      );
      if (lost) {
        await refunds().update({ where: { id: lost.id }, data: { unanswered: false } });
        if (isFinalRefundStatus(lost.status) && lost.status !== 'succeeded') {
          // It failed or was canceled meanwhile: nothing was refunded, so this one is made anew below.
        } else return { refund: viewOf(lost, payment.provider), invoiceDocumentId, replayed: true };
      }
    }
    const mine = resolved.find((r) => matches(r, req));
    if (mine) {
      if (mine.status === 'failed' && mine.failureReason === 'provider_refused')
        throw badGateway(`${gateway} refused the refund: ${mine.lastError ?? 'no reason given'}`, {
          refund: mine.documentId,
        });
      if (mine.status === 'unknown')
        throw badGateway(
          `${gateway} still did not confirm the refund. It is recorded as unconfirmed and will not be made twice: try again in a moment, or use "Resync from ${gateway}".`,
          { refund: mine.documentId },
        );
      if (mine.unanswered) await refunds().update({ where: { id: mine.id }, data: { unanswered: false } });
      return { refund: viewOf(mine, payment.provider), invoiceDocumentId, replayed: true };
    }

    // 2. Reserve under the lock.
    const settings = await getService(strapi, 'settings').load();
    const reserved = await withInvoiceLock(strapi, invoiceDocumentId, async (invoice) => {
      const row = (await payments().findOne({ where: { id: payment.id } })) as PaymentRecord;
      const rows = await rowsOf(row.id);
      if (req.clientKey) {
        const same = rows.find((r) => r.clientKey === req.clientKey);
        if (same) {
          const wanted = req.amount === undefined || same.amount - (same.feeAmount ?? 0) === req.amount;
          if (!wanted)
            throw conflict(
              'This request key was used for a different refund. Reload the page and try again.',
              'RefundKeyReused',
            );
          if (same.providerRefundId || isFinalRefundStatus(same.status)) return { replay: same } as const;
          throw conflict(
            'This refund is being made right now. Reload the page in a moment to see it.',
            'RefundInProgress',
            { refund: same.documentId },
          );
        }
      }
      // A share of a multi-invoice payment refunds through the shared provider payment; the refund
      // row (and its metadata at the provider) names this share, so only this invoice gets it back.
      const providerPaymentId = row.providerPaymentId ?? row.sharedPaymentId ?? null;
      if (!['succeeded', 'partially_refunded', 'refunded'].includes(row.status) || !providerPaymentId) {
        throw conflict(`This payment cannot be refunded: it is ${row.status.replace('_', ' ')}.`, 'NotRefundable');
      }
      const { refundable, heldPortion, heldFee } = refundableFrom(row, rows);
      const inFlight = rows.filter((r) => !r.providerRefundId && (r.status === 'pending' || r.status === 'unknown'));
      if (refundable <= 0) {
        if (inFlight.length) {
          const amount = formatMinor(
            inFlight.reduce((s, r) => s + r.amount - (r.feeAmount ?? 0), 0),
            row.currency,
          );
          throw conflict(
            `A refund of ${amount} is being made for this payment right now; nothing else is left to refund. Reload the page in a moment.`,
            'RefundInProgress',
          );
        }
        throw conflict('This payment has been refunded in full already.', 'NotRefundable');
      }
      const amount = req.amount ?? refundable;
      if (amount > refundable) {
        const pending =
          inFlight.length || rows.some((r) => r.status === 'pending' || r.status === 'requires_action')
            ? ' (pending refunds count)'
            : '';
        throw badRequest(`You can refund at most ${formatMinor(refundable, row.currency)} of this payment${pending}.`, [
          { path: ['amount'], message: 'More than refundable.' },
        ]);
      }
      const feePart =
        req.feePart ??
        splitRefundFee({
          refundAmount: amount,
          amount: row.amount,
          fee: row.fee ?? 0,
          amountAlreadyRefunded: heldPortion,
          feeAlreadyRefunded: heldFee,
          policy: settings.refundFeePolicy,
          currency: row.currency,
        });
      if (!Number.isSafeInteger(feePart) || feePart < 0 || heldFee + feePart > (row.fee ?? 0))
        throw badRequest('The fee part is more than the fee left on this payment.', [
          { path: ['feePart'], message: 'Too much.' },
        ]);
      const created = (await refunds().create({
        data: {
          payment: row.id,
          invoiceDocumentId: invoice.documentId,
          providerPaymentId,
          status: 'pending',
          amount: amount + feePart,
          feeAmount: feePart,
          currency: row.currency,
          reason: req.reason ?? null,
          requestedBy: req.actor.label ?? (req.actor.id != null ? String(req.actor.id) : req.actor.type),
          purpose: req.purpose,
          invoiceEffect: req.invoiceEffect ?? (req.purpose === 'overpayment' ? 'keep_paid' : settings.refundPolicy),
          clientKey: req.clientKey ?? null,
          generation: 0,
        },
        populate: ['payment'],
      })) as RefundRow;
      return { created, providerPaymentId } as const;
    });
    if (!reserved) throw notFound('No such invoice.');
    if ('replay' in reserved && reserved.replay)
      return { refund: viewOf(reserved.replay, payment.provider), invoiceDocumentId, replayed: true };

    // 3. The provider, outside any transaction; 4. finish under the lock.
    const answer = await callProvider(reserved.created, reserved.providerPaymentId, invoiceDocumentId, payment.id, 0);
    const saved = await finish(reserved.created, invoiceDocumentId, answer, req.actor);
    if (!answer.ok) {
      if (answer.error.retryable) {
        throw badGateway(
          `${gateway} did not confirm the refund (it is not answering right now). It is recorded as unconfirmed: try again in a moment — the plugin checks ${gateway} first, so it is never made twice.`,
          { code: answer.error.code, refund: saved.documentId },
        );
      }
      throw badGateway(`${gateway} refused the refund: ${answer.error.message}`, {
        code: answer.error.code,
        refund: saved.documentId,
      });
    }
    return { refund: viewOf(saved, payment.provider), invoiceDocumentId, replayed: false };
  }

  return {
    requestRefund,
    resolveOutstanding,
    applyProviderRefunds,
    recordRefunded,
    syncPaymentRefunds,
    rebookPayment,

    /** What one payment can still give back (the refund dialog's figure), pending refunds counted. */
    async refundableOf(paymentRowId: number): Promise<number> {
      const payment = (await payments().findOne({ where: { id: paymentRowId } })) as PaymentRecord | null;
      if (!payment || payment.kind === 'manual') return 0;
      return refundableFrom(payment, await rowsOf(paymentRowId)).refundable;
    },

    /** The same for many payments in two queries (the invoice page). */
    async refundableMap(list: readonly PaymentRecord[]): Promise<Map<number, number>> {
      const ids = list.map((p) => p.id);
      const rows = ids.length
        ? ((await refunds().findMany({
            where: { payment: { id: { $in: ids } } },
            populate: ['payment'],
          })) as RefundRow[])
        : [];
      const out = new Map<number, number>();
      for (const p of list)
        out.set(
          p.id,
          p.kind === 'manual'
            ? 0
            : refundableFrom(
                p,
                rows.filter((r) => r.payment?.id === p.id),
              ).refundable,
        );
      return out;
    },

    /**
     * Background/resync: finishes every refund left unknown or stranded (after a 500, a timeout or
     * a crash). Returns how many rows were looked at.
     */
    async reconcile(limit = 50): Promise<number> {
      // The quickest provider's cut-off finds every candidate; resolveOutstanding applies each
      // payment's own provider's.
      const staleBefore = new Date(Date.now() - staleReservationMs(shortestCallBudgetMs(strapi)));
      const open = (await refunds().findMany({
        where: {
          $or: [{ status: 'unknown' }, { status: 'pending', providerRefundId: null, updatedAt: { $lt: staleBefore } }],
        },
        populate: ['payment'],
        limit,
      })) as RefundRow[];
      const paymentIds = [...new Set(open.map((r) => r.payment?.id).filter((id): id is number => id != null))];
      for (const id of paymentIds) {
        try {
          await resolveOutstanding(id, { type: 'system', label: 'refund reconciliation' });
        } catch (error) {
          strapi.log.warn(
            `[invoice-payments] refunds of payment ${id} could not be reconciled: ${isAnswerable(error) ? error.message : errorText(error)}`,
          );
        }
      }
      return open.length;
    },
  };
};
