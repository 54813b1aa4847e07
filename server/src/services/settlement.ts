import type { Core } from '@strapi/strapi';
import {
  formatMinor,
  isCollectedPaymentStatus,
  clientFailureToTell,
  failureOccurrence,
  failureToTell,
  isOpenPaymentStatus,
  nextPaymentStatus,
  overpaymentOf,
  splitChargeRefund,
  splitRefundFee,
  type NextAction,
  type PaymentStatus,
} from '../domain';
import type { PaymentProvider, ProviderCheckoutSession, ProviderPayment } from '../providers/types';
import { UID } from '../utils/plugin-id';
import { withInvoiceLock } from '../utils/lock';
import { insertLinkedRow, insertLinkedRows, updateRows } from '../utils/insert-row';
import { getService } from '../utils/get-service';
import { providerActor } from '../utils/actor';
import type { Actor } from './settings';
import type { AuditInput } from './audit';
import { actionClockUpdate, isLiveAttempt } from './attempts';
import type { InvoiceForMail, NoticeRow } from './notifications';
import type { InvoiceRow, Recomputed } from './invoices';
import type { InvoiceLike } from './events-out';
import { reasonOf } from '../utils/errors';

export interface PaymentRecord {
  id: number;
  documentId: string;
  kind: 'card' | 'checkout' | 'manual';
  status: PaymentStatus;
  amount: number;
  currency: string;
  fee: number;
  amountRefunded: number;
  feeRefunded: number;
  providerPaymentId: string | null;
  /** The provider that holds this payment (providers/registry.ts); `manual` for manual entries. */
  provider?: string | null;
  checkoutSessionId: string | null;
  chargeId: string | null;
  providerFee?: number | null;
  providerFeeCurrency?: string | null;
  amountRefundedKeptPaid?: number | null;
  disputeId: string | null;
  disputeStatus: string | null;
  notifiedAt: string | null;
  failureNotifiedAt: string | null;
  /** Which failure the failure email was for (domain failureOccurrence); null on older entries. */
  failureNotifiedFor?: string | null;
  disputeAlertedAt: string | null;
  failureCode: string | null;
  livemode: boolean;
  mismatch: string | null;
  disputedAmount?: number | null;
  /** A share of a payment for several invoices (services/payment-groups.ts): the provider's payment. */
  sharedPaymentId?: string | null;
  paymentGroup?: string | null;
}

export type SyncOutcome =
  | {
      outcome: 'settled';
      invoice: InvoiceRow;
      payment: PaymentRecord;
      changed: boolean;
      nextAction?: NextAction | null;
    }
  | { outcome: 'ignored'; reason: string };

export interface SyncContext {
  /** The provider of the payment being settled (the row's, or the webhook event's). */
  provider: PaymentProvider;
  actor: Actor;
  eventId?: string | null;
  /** A Checkout session whose ledger entry should carry this payment. */
  checkoutSessionId?: string | null;
  /** The caller holds the invoice's attempt lease (services/attempts): do not wait for it. */
  heldLease?: string;
  /**
   * The payment is a final state shown by a verified event (WebhookAction.final), not a read: it
   * is booked only while the ledger entry is new or still open, since it says nothing of refunds
   * or disputes that may have followed.
   */
  final?: boolean;
  /**
   * The caller runs this settlement inside a transaction of its own (webhook-events settles a
   * batch in one commit): the work due after the commit (emails, ending other attempts, refunding
   * an overpayment) is handed to it instead of run here.
   */
  afterCommit?: (work: AfterCommit) => void;
  /**
   * With afterCommit: the audit entry is handed to the caller, which writes its batch's entries
   * in one INSERT inside the same transaction.
   */
  audit?: (entry: AuditInput) => void;
  /**
   * The invoice the payment's ledger entry is on (null: no entry yet), when the caller looked it up
   * already: a settled batch does it for all its payments in one read (`recordedInvoices`).
   */
  recordedFor?: string | null;
  /**
   * Invoices already locked and ledger entries already read under those locks by the caller's
   * transaction (a settled batch takes them all in two statements: `holdForBatch`).
   */
  held?: HeldForBatch;
}

/**
 * A batch's invoices, locked in one statement, and its payments' ledger entries, read once those
 * locks are held. Each is taken once: a second event of the same invoice or payment in the batch
 * reads it again (under the lock the batch holds), so it sees what the first one wrote.
 */
export interface HeldForBatch {
  /** By invoice documentId; null: no such invoice. */
  invoices: Map<string, InvoiceRow | null>;
  /** By provider payment id; null: no ledger entry. */
  payments: Map<string, PaymentRecord | null>;
  /**
   * The batch's payment emails (queuePaymentNotice's), written together before its commit
   * (notifications.queuePaymentNotices); their ids are set then, before anything sends them.
   */
  notices: NoticeRow[];
  /**
   * The batch's writes of the settlements of held invoices, done with its others (parkWrites);
   * unset: each at once.
   */
  writes?: BatchWrites;
}

/** A ledger entry to write: a new one on an invoice, or new values of an existing one. */
export type EntryWrite =
  { insert: Record<string, unknown>; invoiceId: number } | { update: Record<string, unknown>; id: number };

/**
 * Writes of a batch's settlements done together (settlement.parkWrites), for the invoices only one
 * event of the batch settles (`parks`); the others are written at once.
 */
export interface BatchWrites {
  parks(invoiceDocumentId: string): boolean;
  /** The entry's id once it is written with the batch's others. */
  writeEntry(write: EntryWrite): Promise<number>;
  /** The invoice recomputed with the batch's others. */
  recompute(invoice: InvoiceRow): Promise<Recomputed>;
  /** How many settlements wait for one of the batch's writes. */
  parked(): number;
}

/** The held value for `key` (removed: each is used once), or undefined when none is held. */
function takeHeld<T>(from: Map<string, T> | undefined, key: string): T | undefined {
  if (!from?.has(key)) return undefined;
  const value = from.get(key) as T;
  from.delete(key);
  return value;
}

/** A payment email of a settled batch, written with the batch's others before its commit. */
function heldNotice(held: HeldForBatch, kind: NoticeRow['kind'], paymentId: number): NoticeRow {
  const row: NoticeRow = { id: 0, paymentId, kind, status: 'due', attempts: 0 };
  held.notices.push(row);
  return row;
}

/** What a settlement leaves for after its commit: emails to send, then the rest (provider calls). */
export interface AfterCommit {
  notices: NoticeRow[];
  rest: () => Promise<void>;
}

type Notice = {
  kind: 'confirmation' | 'failure' | 'failure_client' | 'dispute';
  paymentId: number;
  notice?: NoticeRow;
};

const TERMINAL_FOR_NOTICE: PaymentStatus[] = ['succeeded', 'partially_refunded', 'refunded', 'disputed'];

/** Statuses after which a stored decline message no longer describes the payment. */
const clearsFailure = (status: PaymentStatus) => status === 'processing' || isCollectedPaymentStatus(status);

/** Amount/currency checks: what the provider reports must match what the plugin asked for. */
function mismatchOf(p: ProviderPayment, invoice: InvoiceRow, meta: { portion: number; fee: number }): string | null {
  if (p.currency !== invoice.currency) {
    return `Payment ${p.id} is in ${p.currency} but invoice ${invoice.number} is in ${invoice.currency}; it was not booked.`;
  }
  if (!Number.isSafeInteger(meta.portion) || !Number.isSafeInteger(meta.fee) || meta.portion + meta.fee !== p.amount) {
    return `Payment ${p.id} is for ${p.amount} but the plugin asked for ${meta.portion} + fee ${meta.fee}; it was not booked.`;
  }
  if (
    p.status !== 'pending' &&
    p.status !== 'failed' &&
    p.status !== 'canceled' &&
    p.status !== 'requires_action' &&
    p.status !== 'processing' &&
    p.amountReceived !== 0 &&
    p.amountReceived !== p.amount
  ) {
    return `Payment ${p.id} received ${p.amountReceived} instead of ${p.amount}; it was not booked.`;
  }
  return null;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const payments = () => strapi.db.query(UID.payment);

  async function findPaymentRow(
    invoiceId: number,
    p: ProviderPayment,
    checkoutSessionId: string | null,
  ): Promise<PaymentRecord | null> {
    const byIntent = (await payments().findOne({ where: { providerPaymentId: p.id } })) as PaymentRecord | null;
    if (byIntent) return byIntent;
    if (checkoutSessionId) {
      return (await payments().findOne({
        where: { checkoutSessionId, invoice: { id: invoiceId } },
      })) as PaymentRecord | null;
    }
    return null;
  }

  async function upsertRefunds(
    paymentRowId: number,
    invoiceDocumentId: string,
    p: ProviderPayment,
    provider: PaymentProvider,
  ) {
    // Refund rows, their lifecycle (a failed refund is refundable again) and the payment's refunded
    // amount derived from them: services/refunds.ts.
    return getService(strapi, 'refunds').applyProviderRefunds(paymentRowId, invoiceDocumentId, p, {
      actor: providerActor(provider),
    });
  }

  /**
   * Brings one payment's ledger entry and its invoice in line with what the provider reports now.
   * Idempotent and order-independent: it reads current truth instead of trusting an event, and a
   * status never moves backwards (a late "failed" after "succeeded" changes nothing).
   */
  async function applyPayment(p: ProviderPayment, ctx: SyncContext): Promise<SyncOutcome> {
    if (!p.metadata) {
      return {
        outcome: 'ignored',
        reason: `Payment ${p.id} was not created by invoice-payments (it has no invoice metadata).`,
      };
    }
    // A payment for several invoices is split by its group's stored shares, never booked here.
    // (Its metadata names the group as the invoice too: with that edited away nothing is booked.)
    if (p.metadata.paymentGroupId) {
      const group = await getService(strapi, 'payment-groups').findGroupFor(p);
      if (!group)
        return {
          outcome: 'ignored',
          reason: `Payment ${p.id} names a multi-invoice payment the plugin does not have.`,
        };
      return getService(strapi, 'payment-groups').settle(group, p, ctx);
    }
    const meta = p.metadata;
    const notices: Notice[] = [];
    let overpaid = 0;
    if (
      meta.viaCheckout &&
      !ctx.checkoutSessionId &&
      !(await payments().findOne({ where: { providerPaymentId: p.id } }))
    ) {
      // The intent's events came before checkout.session.completed: book it on the session's entry,
      // found by the attempt that made the session (in the payment's metadata too), else by asking.
      const made = meta.attemptId
        ? ((await payments().findOne({
            where: { attemptId: meta.attemptId, kind: 'checkout', provider: ctx.provider.id },
            select: ['id', 'checkoutSessionId'],
          })) as { checkoutSessionId: string | null } | null)
        : null;
      ctx = {
        ...ctx,
        checkoutSessionId: made?.checkoutSessionId ?? (await ctx.provider.checkoutSessionIdForPayment(p.id)),
      };
    }
    // The ledger entry made when the attempt started says which invoice the payment is for; the
    // provider's metadata can be edited later (Mollie's update-payment takes `metadata`,
    // https://docs.mollie.com/reference/update-payment; Stripe's dashboard too). Where they differ
    // the entry wins and the payment is flagged, never booked on the invoice the metadata names.
    const recorded =
      ctx.recordedFor !== undefined && !ctx.checkoutSessionId
        ? { invoice: ctx.recordedFor === null ? null : { documentId: ctx.recordedFor } }
        : ((await payments().findOne({
            where: ctx.checkoutSessionId
              ? { $or: [{ providerPaymentId: p.id }, { checkoutSessionId: ctx.checkoutSessionId }] }
              : { providerPaymentId: p.id },
            select: ['id'],
            populate: { invoice: { select: ['documentId'] } },
          })) as { invoice?: { documentId: string } | null } | null);
    const recordedFor = recorded?.invoice?.documentId ?? null;
    const repointed =
      recordedFor && recordedFor !== meta.invoiceDocumentId
        ? `Payment ${p.id} was made for this invoice but its metadata at the provider now names invoice ${meta.invoiceNumber || meta.invoiceDocumentId}; it was not booked.`
        : null;
    /** `batch`: the batch's writes, when this invoice's are done with its others (parkWrites). */
    const settle = async (invoice: InvoiceRow, batch?: BatchWrites) => {
      const heldRow = ctx.checkoutSessionId ? undefined : takeHeld(ctx.held?.payments, p.id);
      const row = heldRow !== undefined ? heldRow : await findPaymentRow(invoice.id, p, ctx.checkoutSessionId ?? null);
      if (ctx.final && row && !isOpenPaymentStatus(row.status) && row.status !== 'failed')
        // Already booked (the pay page's confirmation, an earlier event): nothing newer to learn.
        return {
          outcome: 'settled' as const,
          invoice,
          payment: row,
          changed: false,
          nextAction: null,
          startedMoving: false,
        };
      // What the plugin asked for is the ledger entry made when the attempt started: the provider's
      // metadata can be edited afterwards (Stripe's Dashboard; Mollie's update-payment), so it only
      // counts for a payment the ledger has no entry for yet.
      const asked =
        row && Number.isSafeInteger(row.amount) && Number.isSafeInteger(row.fee)
          ? { portion: row.amount, fee: row.fee }
          : { portion: p.metadata!.portion, fee: p.metadata!.fee };
      const meta = { ...p.metadata!, ...asked };
      const mismatch = repointed ?? mismatchOf(p, invoice, meta);
      // A dispute status the plugin does not know is not a reason to move the money either way.
      const status =
        p.dispute?.status === 'unknown' && row?.status === 'disputed'
          ? row.status
          : nextPaymentStatus(row?.status ?? null, p.status);
      const reported = splitChargeRefund(
        p.amountRefunded,
        Number.isSafeInteger(meta.portion) ? meta.portion : p.amount,
        Number.isSafeInteger(meta.fee) ? meta.fee : 0,
      );
      // The provider's refunded total only ever raises the entry's. This read may be older than a
      // refund booked meanwhile under this lock (an admin's refund answered between our read and
      // now, refunds.ts finish): applied as is, it would take that refund off the invoice. Less is
      // booked through the refund's own row instead (failed or canceled: refunds.ts rebookPayment,
      // which runs below whenever the read carries the refund list).
      const split =
        row && row.amountRefunded > reported.portion
          ? { portion: row.amountRefunded, fee: row.feeRefunded ?? 0 }
          : reported;
      const dispute = p.dispute;
      const data: Record<string, unknown> = {
        status,
        amount: Number.isSafeInteger(meta.portion) ? meta.portion : p.amount,
        fee: Number.isSafeInteger(meta.fee) ? meta.fee : 0,
        currency: p.currency,
        providerPaymentId: p.id,
        chargeId: p.chargeId ?? row?.chargeId ?? null,
        method: p.method ?? (row as { method?: string | null } | null)?.method ?? null,
        ...(p.methodDetail ? { methodLabel: p.methodDetail.label, methodLast4: p.methodDetail.last4 } : {}),
        livemode: p.livemode,
        amountRefunded: split.portion,
        feeRefunded: split.fee,
        // Money moved: an earlier decline on this intent is history, not this payment's state.
        failureCode: status === 'failed' ? p.failureCode : clearsFailure(status) ? null : (row?.failureCode ?? null),
        failureMessage: status === 'failed' ? p.failureMessage : clearsFailure(status) ? null : undefined,
        ...(p.providerFee ? { providerFee: p.providerFee.amount, providerFeeCurrency: p.providerFee.currency } : {}),
        disputeId: dispute?.id ?? row?.disputeId ?? null,
        disputeStatus: dispute?.status ?? row?.disputeStatus ?? null,
        ...(dispute ? { disputeProviderStatus: dispute.providerStatus } : {}),
        disputedAmount: dispute
          ? Math.min(dispute.amount, Number.isSafeInteger(meta.portion) ? meta.portion : dispute.amount)
          : 0,
        mismatch,
        ...(ctx.eventId ? { lastEventId: ctx.eventId } : {}),
        ...(status === 'succeeded' && row?.status !== 'succeeded' ? { paidAt: new Date() } : {}),
      };
      if (data.failureMessage === undefined) delete data.failureMessage;

      // Money started to move on this attempt just now: every other attempt of the invoice must end.
      const wasMoving = row ? isCollectedPaymentStatus(row.status) || row.status === 'processing' : false;
      const startedMoving = !wasMoving && !mismatch && (isCollectedPaymentStatus(status) || status === 'processing');
      // The abandonment clock of a waiting payment (services/attempts): started for each new
      // challenge, cleared once the payment stops waiting.
      Object.assign(data, actionClockUpdate(status, p.nextAction, row, Date.now()));
      const changed =
        !row ||
        row.status !== status ||
        row.amountRefunded !== split.portion ||
        (row.disputeStatus ?? null) !== (data.disputeStatus ?? null) ||
        (row.mismatch ?? null) !== mismatch;
      // Exactly one notice per outcome: the marker is written under the lock, in the same write as
      // the ledger entry (one UPDATE, not two; the markers are only ever set under this lock, so the
      // row read above is what a second read would see).
      const kinds: Notice['kind'][] = [];
      if (!mismatch && TERMINAL_FOR_NOTICE.includes(status) && !row?.notifiedAt) {
        data.notifiedAt = new Date();
        kinds.push('confirmation');
      }
      // Failures are told once each: a bank debit retried on the same payment (a new account, the
      // same PaymentIntent) and refused again is a new failure. The marker is re-armed when the
      // payment starts processing again, and names the failure it told (its charge), so a second
      // refusal is told even when its processing was never seen; the outbox keeps each to one email.
      const occurrence = failureOccurrence(p.method, p.chargeId);
      const newFailure =
        status === 'failed' &&
        failureToTell(occurrence, { at: !!row?.failureNotifiedAt, occurrence: row?.failureNotifiedFor ?? null });
      if (newFailure) {
        data.failureNotifiedAt = new Date();
        data.failureNotifiedFor = occurrence;
        kinds.push('failure');
      } else if (status === 'processing' && row?.failureNotifiedAt) data.failureNotifiedAt = null;
      // A bank debit refused after processing (SEPA can fail days later): the client is told too,
      // with the pay link (notifications.clientFailureMail). Also when the plugin learns it only now
      // (its webhooks were down, the pay page's confirm never came): a debit's charge exists only
      // once it started processing. A card declined on the pay page is not: the client saw it.
      if (clientFailureToTell(status, row?.status, newFailure, p.method, p.chargeId)) kinds.push('failure_client');
      // Alert on a dispute that is (or was) taking money; not on a closed inquiry, a prevented or
      // won dispute, nor on an unknown status (the invoice is flagged for attention instead).
      if (dispute && (dispute.status === 'open' || dispute.status === 'lost') && !row?.disputeAlertedAt) {
        data.disputeAlertedAt = new Date();
        kinds.push('dispute');
      }
      // Written without reading the entry back: the ledger read by the recompute below has it.
      // The timestamp update() would set (Strapi's timestamps lifecycle only sets it for update()).
      const write: EntryWrite = row
        ? { update: { ...data, updatedAt: new Date() }, id: row.id }
        : {
            insert: {
              ...data,
              kind: ctx.checkoutSessionId ? 'checkout' : 'card',
              provider: ctx.provider.id,
              checkoutSessionId: ctx.checkoutSessionId ?? null,
            },
            invoiceId: invoice.id,
          };
      const savedId = batch ? await batch.writeEntry(write) : await writeEntry(write);
      const refundedNow = await upsertRefunds(savedId, invoice.documentId, p, ctx.provider);
      for (const kind of kinds) notices.push({ kind, paymentId: savedId });
      // The emails go to the outbox in this transaction: sent after the commit, or by the worker.
      for (const n of notices)
        n.notice =
          n.kind === 'failure_client' || n.kind === 'failure'
            ? ((await getService(strapi, 'notifications').queueFailureNotice(n.kind, n.paymentId, occurrence)) ??
              undefined)
            : ctx.held
              ? heldNotice(ctx.held, n.kind, n.paymentId)
              : await getService(strapi, 'notifications').queuePaymentNotice(n.kind, n.paymentId);

      // The invoice's totals, balance and state from its ledger, under the lock we hold.
      const { invoice: updated, ledger } = batch
        ? await batch.recompute(invoice)
        : await getService(strapi, 'invoices').recomputeLedger(invoice);
      // payment.refunded carries the invoice as this settlement left it.
      await getService(strapi, 'refunds').recordRefunded(refundedNow);
      // The entry as written (refunds included): the ledger read it; an entry on no invoice is read.
      const saved =
        (ledger.find((r) => r.id === savedId) as unknown as PaymentRecord | undefined) ??
        ((await payments().findOne({ where: { id: savedId } })) as PaymentRecord);
      // The emails are written with what was just committed: no need to read it again to send them
      // (the updated row has every column of the invoice; InvoiceRow types only what settlement uses).
      for (const n of notices)
        if (n.notice) n.notice.mail = { payment: saved, invoice: updated as unknown as InvoiceForMail };
      // Paid on top of what was owed (two tabs, an older session): the excess of this payment.
      const collectedNow =
        !mismatch && isCollectedPaymentStatus(status) && !(row && isCollectedPaymentStatus(row.status));
      // On a voided invoice nothing is owed: all of it is surplus.
      const net = saved.amount - saved.amountRefunded;
      overpaid = collectedNow
        ? updated.state === 'void'
          ? Math.max(0, net)
          : overpaymentOf(updated.balanceDue, net)
        : 0;
      if (changed) {
        const entry: AuditInput = {
          action: `payment.${status}`,
          actor: ctx.actor,
          invoice: { documentId: invoice.documentId, number: invoice.number },
          // payment.succeeded/failed carry the invoice as this settlement left it: no read for it.
          invoiceAfter: updated as unknown as InvoiceLike,
          outcome: mismatch ? 'flagged' : status,
          details: {
            providerPaymentId: p.id,
            amount: p.amount,
            currency: p.currency,
            eventId: ctx.eventId ?? null,
            failureCode: status === 'failed' ? p.failureCode : null,
            mismatch,
          },
        };
        if (ctx.audit) ctx.audit(entry);
        else await getService(strapi, 'audit').log(entry);
      }
      return {
        outcome: 'settled' as const,
        invoice: updated,
        payment: saved,
        changed,
        nextAction: p.nextAction,
        // Other attempts to end only when the ledger, read under this lock, still has one live.
        startedMoving: startedMoving && ledger.some((r) => r.id !== saved.id && isLiveAttempt(r)),
      };
    };
    const lockKey = recordedFor ?? meta.invoiceDocumentId;
    const heldInvoice = takeHeld(ctx.held?.invoices, lockKey);
    // A held invoice is locked by the caller's transaction already (null: it does not exist).
    const writes = ctx.held?.writes;
    const result =
      heldInvoice === undefined
        ? await withInvoiceLock(strapi, lockKey, (invoice) => settle(invoice))
        : heldInvoice &&
          (await getService(strapi, 'events-out').together(() =>
            settle(heldInvoice, writes?.parks(heldInvoice.documentId) ? writes : undefined),
          ));
    if (!result) {
      // A multi-invoice payment whose group mark was lost (a provider that keeps less metadata, an
      // edit): its metadata names the group, not an invoice; the group on record settles it.
      const group = await getService(strapi, 'payment-groups').findGroupFor(p);
      if (group) {
        // The group books on invoices whose recompute may be parked in this batch (written only at
        // its flush): the batch is settled one event at a time instead.
        if (ctx.held?.writes?.parked())
          throw new Error(`Payment ${p.id} belongs to a multi-invoice payment: its batch is settled one by one.`);
        // The group books on its invoices, which this batch may hold too: what the batch read of
        // them is stale from here, so its later events read them again under the locks it holds.
        ctx.held?.invoices.clear();
        ctx.held?.payments.clear();
        return getService(strapi, 'payment-groups').settle(group, p, ctx);
      }
      return {
        outcome: 'ignored',
        reason: `Invoice ${meta.invoiceDocumentId} (${meta.invoiceNumber}) no longer exists.`,
      };
    }
    // After the commit, outside any transaction: provider calls.
    const rest = async () => {
      if (result.startedMoving)
        await getService(strapi, 'attempts').endOthers(
          result.invoice.documentId,
          result.payment.id,
          ctx.actor,
          ctx.heldLease,
        );
      if (overpaid > 0) await handleOverpayment(result.invoice, result.payment, overpaid, ctx.actor);
    };
    const queued = notices.flatMap((n) => (n.notice ? [n.notice] : []));
    if (ctx.afterCommit) ctx.afterCommit({ notices: queued, rest });
    else {
      for (const notice of queued) await getService(strapi, 'notifications').sendQueued(notice);
      await rest();
    }
    const { startedMoving: _moved, ...outcome } = result;
    return outcome;
  }

  /**
   * A payment arrived on top of what the invoice owed. With "Refund overpayments" on (default) the
   * excess goes back to the client at once, under an idempotency key of its own, so a replayed
   * event never refunds twice; otherwise the invoice stays flagged with the amount to refund.
   */
  async function handleOverpayment(invoice: InvoiceRow, payment: PaymentRecord, excess: number, actor: Actor) {
    const settings = await getService(strapi, 'settings').load();
    const audit = getService(strapi, 'audit');
    const amount = formatMinor(excess, payment.currency);
    await audit.log({
      action: 'payment.overpaid',
      actor,
      invoice: { documentId: invoice.documentId, number: invoice.number },
      outcome: settings.refundOverpayments ? 'refunding' : 'flagged',
      details: {
        providerPaymentId: payment.providerPaymentId,
        amount: excess,
        amountFormatted: amount,
        currency: payment.currency,
      },
    });
    if (!settings.refundOverpayments) return;
    // The client's surcharge on the excess goes back too: the whole charge when all of it was
    // surplus, its share otherwise. One refund per payment: the request key makes a replayed
    // event, a resync or a concurrent settlement find the same refund instead of a second one.
    const feePart = splitRefundFee({
      refundAmount: excess,
      amount: payment.amount,
      fee: payment.fee,
      amountAlreadyRefunded: payment.amountRefunded,
      feeAlreadyRefunded: payment.feeRefunded,
      policy: 'refund_fee',
      currency: payment.currency,
    });
    try {
      await getService(strapi, 'refunds').requestRefund({
        paymentRowId: payment.id,
        amount: excess,
        feePart,
        reason: 'duplicate',
        actor: { type: 'system', label: 'overpayment refund' },
        purpose: 'overpayment',
        clientKey: `overpayment-${payment.documentId}`,
      });
    } catch (error) {
      // The invoice stays flagged as overpaid; an admin can refund from the invoice page.
      strapi.log.warn(
        `[invoice-payments] automatic refund of an overpayment on invoice ${invoice.number} failed: ${reasonOf(error)}`,
      );
    }
  }

  /** One ledger entry written at once. */
  async function writeEntry(write: EntryWrite): Promise<number> {
    if ('update' in write) {
      // updateMany: one UPDATE, without update()'s reads before and after.
      await payments().updateMany({ where: { id: write.id }, data: write.update });
      return write.id;
    }
    // create()'s row and invoice link in two statements instead of four (insertLinkedRow).
    return insertLinkedRow(strapi, UID.payment, write.insert, { attribute: 'invoice', id: write.invoiceId });
  }

  /** A batch's ledger entries written together (parkWrites); their ids in the order given. */
  async function writeEntries(writes: EntryWrite[]): Promise<number[]> {
    const inserts = writes.flatMap((w) => ('insert' in w ? [w] : []));
    const updates = writes.flatMap((w) => ('update' in w ? [{ id: w.id, data: w.update }] : []));
    const inserted = await insertLinkedRows(
      strapi,
      UID.payment,
      inserts.map((w) => ({ data: w.insert, linkId: w.invoiceId })),
      { attribute: 'invoice', key: 'providerPaymentId' },
    );
    await updateRows(strapi, UID.payment, updates);
    let next = 0;
    return writes.map((w) => ('update' in w ? w.id : inserted[next++]!));
  }

  const api = {
    applyPayment,
    handleOverpayment,

    /**
     * The invoice each payment's ledger entry is on (applyPayment's first read, for a batch of
     * payments at once); a payment with no entry yet is not in the map. Entries are never moved to
     * another invoice, so the answer still holds when each payment's invoice lock is taken.
     */
    async recordedInvoices(providerPaymentIds: readonly string[]): Promise<Map<string, string | null>> {
      const found = new Map<string, string | null>();
      if (providerPaymentIds.length === 0) return found;
      const rows = (await payments().findMany({
        where: { providerPaymentId: { $in: [...providerPaymentIds] } },
        select: ['id', 'providerPaymentId'],
        populate: { invoice: { select: ['documentId'] } },
      })) as Array<{ providerPaymentId: string; invoice?: { documentId: string } | null }>;
      for (const row of rows) found.set(row.providerPaymentId, row.invoice?.documentId ?? null);
      return found;
    },

    /**
     * Locks a batch's invoices in one statement and then reads its payments' ledger entries in one
     * (inside the batch's transaction; applyPayment takes them through `ctx.held`). The invoices
     * are locked in documentId order, the order the batch settles them in: two batches never hold
     * each other's locks crosswise. Not for MySQL/MariaDB, whose batches are not one transaction.
     */
    async holdForBatch(
      invoiceDocumentIds: readonly string[],
      providerPaymentIds: readonly string[],
    ): Promise<HeldForBatch> {
      const held: HeldForBatch = { invoices: new Map(), payments: new Map(), notices: [] };
      const keys = [...new Set(invoiceDocumentIds)].sort();
      if (keys.length) {
        const locked = (await strapi.db
          .queryBuilder(UID.invoice)
          .where({ documentId: { $in: keys } })
          .orderBy({ documentId: 'asc' })
          .forUpdate()
          .execute()) as InvoiceRow[];
        for (const key of keys) held.invoices.set(key, null);
        for (const invoice of locked) held.invoices.set(invoice.documentId, invoice);
      }
      const ids = [...new Set(providerPaymentIds)];
      if (ids.length) {
        const rows = (await payments().findMany({
          where: { providerPaymentId: { $in: ids } },
          orderBy: { id: 'asc' },
        })) as PaymentRecord[];
        for (const id of ids) held.payments.set(id, null);
        // As findOne would: the first entry when (against the unique index) there were two.
        for (const row of rows.reverse()) held.payments.set(row.providerPaymentId as string, row);
      }
      return held;
    },

    /**
     * Parks the writes of a batch's settlements and does them together: every settlement's ledger
     * entry once all of them reached it (new entries in one INSERT with their invoice links in
     * another, existing ones in one statement: updateRows), then every invoice's recompute once all
     * of those reached it (their ledgers read in two statements, written in one). Only for invoices
     * one event of the batch settles (`singles`): a second settlement of an invoice must see the
     * first one's totals (an overpayment is what it adds on top), so those write at once.
     *
     * The caller starts each settlement once the ones before it are all parked or finished
     * (`idle`), then flushes, which resumes the parked ones and waits until they are parked again
     * or finished; a settlement resumed by the first flush parks at most once more (its recompute).
     * Settlements of different invoices only meet here, so their order does not matter.
     */
    parkWrites(held: HeldForBatch, singles: ReadonlySet<string>) {
      type Parked<W, R> = { work: W; resolve: (r: R) => void; reject: (e: unknown) => void };
      const entries: Array<Parked<EntryWrite, number>> = [];
      const recomputes: Array<Parked<InvoiceRow, Recomputed>> = [];
      // Settlements started or resumed, not parked nor finished; `whenIdle` resolves at 0.
      let running = 0;
      let whenIdle: (() => void) | null = null;
      const ran = (delta: number) => {
        running += delta;
        if (running === 0) whenIdle?.();
      };
      const park = <W, R>(queue: Array<Parked<W, R>>, work: W) =>
        new Promise<R>((resolve, reject) => {
          queue.push({ work, resolve, reject });
          ran(-1);
        });
      /** Resumes `todo` with what `flush` gave for each (in order), or ends them with its error. */
      const resume = async <W, R>(todo: Array<Parked<W, R>>, flush: (work: W[]) => Promise<R[]>) => {
        if (todo.length === 0) return;
        let done: R[];
        try {
          done = await flush(todo.map((t) => t.work));
        } catch (error) {
          for (const t of todo) t.reject(error);
          throw error;
        }
        ran(todo.length);
        todo.forEach((t, i) => t.resolve(done[i]!));
      };
      const idle = () =>
        running === 0
          ? Promise.resolve()
          : new Promise<void>((resolve) => {
              whenIdle = resolve;
            });
      held.writes = {
        parks: (documentId) => singles.has(documentId),
        writeEntry: (write) => park(entries, write),
        recompute: (invoice) => park(recomputes, invoice),
        parked: () => entries.length + recomputes.length,
      };
      return {
        /** Runs `settle` (one settlement of the batch) until it is parked or finished. */
        async start(settle: () => Promise<void>): Promise<{ done: Promise<void> }> {
          ran(1);
          const done = settle().finally(() => ran(-1));
          // Its failure is the caller's (it waits for every settlement): never unhandled meanwhile.
          done.catch(() => undefined);
          await Promise.race([done, idle()]);
          // In an object: an async function returning a promise would wait for it.
          return { done };
        },
        /** Writes the parked entries, then recomputes the parked invoices, resuming each after. */
        async flush(): Promise<void> {
          await resume(entries.splice(0), writeEntries);
          await idle();
          await resume(recomputes.splice(0), (locked) => getService(strapi, 'invoices').recomputeLedgers(locked));
        },
        /** Ends every parked settlement with `error` (the batch failed before its flush). */
        abandon(error: unknown): void {
          for (const t of [...entries.splice(0), ...recomputes.splice(0)]) t.reject(error);
        },
      };
    },

    /** Re-reads a payment from the provider and settles it. */
    async syncPayment(paymentId: string, ctx: SyncContext, opts: { withRefunds?: boolean } = {}): Promise<SyncOutcome> {
      const p = await ctx.provider.retrievePayment(paymentId, opts);
      return applyPayment(p, ctx);
    },

    /**
     * A Checkout session's payment, when the (verified) event already said which one: one read of
     * the payment instead of the session and then the payment. Without the plugin's metadata on
     * the payment the session is read after all (it carries the same metadata).
     */
    async syncCheckoutPayment(
      sessionId: string,
      paymentId: string,
      ctx: SyncContext,
      opts: { withRefunds?: boolean } = {},
    ): Promise<SyncOutcome> {
      const p = await ctx.provider.retrievePayment(paymentId, opts);
      if (!p.metadata) return api.syncCheckoutSession(sessionId, ctx);
      return applyPayment(p, { ...ctx, checkoutSessionId: sessionId });
    },

    /** Settles a Checkout session: links its payment, or closes the entry when it expired unpaid. */
    async syncCheckoutSession(sessionId: string, ctx: SyncContext): Promise<SyncOutcome> {
      const prov = ctx.provider;
      const session: ProviderCheckoutSession = await prov.retrieveCheckoutSession(sessionId);
      if (!session.metadata) {
        return {
          outcome: 'ignored',
          reason: `Checkout session ${sessionId} was not created by invoice-payments (it has no invoice metadata).`,
        };
      }
      if (session.paymentId) {
        const p = await prov.retrievePayment(session.paymentId);
        return applyPayment(p.metadata ? p : { ...p, metadata: session.metadata }, {
          ...ctx,
          checkoutSessionId: sessionId,
        });
      }
      const result = await withInvoiceLock(strapi, session.metadata.invoiceDocumentId, async (invoice) => {
        const row = (await payments().findOne({ where: { checkoutSessionId: sessionId } })) as PaymentRecord | null;
        if (!row) return { outcome: 'ignored' as const, reason: `No ledger entry for checkout session ${sessionId}.` };
        if (session.status === 'expired') {
          const status = nextPaymentStatus(row.status, 'canceled');
          const saved = (await payments().update({ where: { id: row.id }, data: { status } })) as PaymentRecord;
          const updated = await getService(strapi, 'invoices').recompute(invoice.id);
          return { outcome: 'settled' as const, invoice: updated, payment: saved, changed: row.status !== status };
        }
        return { outcome: 'settled' as const, invoice, payment: row, changed: false };
      });
      return (
        result ?? { outcome: 'ignored', reason: `Invoice ${session.metadata.invoiceDocumentId} no longer exists.` }
      );
    },
  };
  return api;
};
