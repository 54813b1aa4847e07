import type { Core } from '@strapi/strapi';
import {
  allocateGroupRefunds,
  amountStep,
  feeSurcharge,
  formatMinor,
  groupDisputedPortions,
  groupInvoiceProblem,
  clientFailureToTell,
  ABANDONABLE_STORED,
  AUTHENTICATION_STORED,
  SWEPT_ACTION_KINDS,
  authenticationWaitedMs,
  decideAbandonedGroup,
  isAbandonedGroupCandidate,
  isReplayableGroupPayment,
  failureOccurrence,
  failureToTell,
  isCollectedPaymentStatus,
  isDomainError,
  isOpenPaymentStatus,
  minimumChargeMinor,
  nextPaymentStatus,
  overpaymentOf,
  partialMinimum,
  planGroupPayment,
  requestKey,
  validateChargeAmount,
  type GroupInvoice,
  type GroupPlan,
  type GroupShare,
  type PaymentStatus,
} from '../domain';
import { translator, type ClientLocale, type Translate } from '../i18n';
import {
  ProviderRequestError,
  type PaymentProvider,
  type ProviderPayment,
  type ProviderRefund,
} from '../providers/types';
import { UID } from '../utils/plugin-id';
import { withInvoiceLock } from '../utils/lock';
import { getService } from '../utils/get-service';
import {
  badGateway,
  badRequest,
  conflict,
  notFound,
  isAnswerable,
  serviceUnavailable,
  reasonOf,
} from '../utils/errors';
import { providerActor } from '../utils/actor';
import { isUniqueViolation } from '../utils/unique-violation';
import type { Actor } from './settings';
import type { AuditInput } from './audit';
import type { InvoiceRow } from './invoices';
import type { StoredSettings } from './settings-schema';
import type { NoticeRow } from './notifications';
import type { PaymentRecord, SyncContext, SyncOutcome } from './settlement';
import { LIVE_STATUSES, actionClockUpdate, type RoomOutcome } from './attempts';

/**
 * Payments for several invoices of one client at once (the client portal, issue 12): one provider
 * payment for the sum, booked as one ledger entry per invoice ("share"), each under its own invoice
 * lock, in a fixed order. The split and the allocation of refunds and disputes are domain rules
 * (domain/payment-groups.ts); this service is the Strapi shell around them. Provider-neutral: the
 * provider is reached through the registry, never named.
 */

export interface GroupRow {
  id: number;
  documentId: string;
  userId: number;
  provider: string;
  providerPaymentId: string | null;
  currency: string;
  amount: number;
  shares: GroupShare[];
  status: string;
  idempotencyKey: string | null;
  requestKey: string | null;
  lastError: string | null;
}

interface ClientInvoiceRow extends InvoiceRow {
  issueDate: string | null;
  dueDate: string | null;
  expiresAt?: string | Date | null;
  customer?: { id: number } | null;
}

export type InvoiceFilter = 'all' | 'open' | 'overdue' | 'paid';
const FILTERS: readonly InvoiceFilter[] = ['all', 'open', 'overdue', 'paid'];
const OPEN_STATES = ['sent', 'viewed', 'partially_paid'];
/** What the client may see: every invoice sent to them (drafts are the seller's work in progress). */
const VISIBLE_STATES = ['sent', 'viewed', 'partially_paid', 'paid', 'void'];
const MAX_INVOICES = 50;
const DOC_ID = /^[a-z0-9]{10,40}$/;

/** Payment statuses at which money moves: shares are booked from here on (not while it only waits). */
const MOVING: readonly PaymentStatus[] = ['processing', 'succeeded', 'partially_refunded', 'refunded', 'disputed'];

const today = () => new Date().toISOString().slice(0, 10);

/**
 * A share's own status from the shared payment's: refunds and disputes are the whole payment's,
 * so a share starts from "succeeded" and gets its own from its refund rows and dispute piece.
 */
const shareBaseStatus = (status: PaymentStatus): PaymentStatus =>
  status === 'partially_refunded' || status === 'refunded' || status === 'disputed' ? 'succeeded' : status;

/**
 * The words and number format of the portal API's answers: the page's language when it sends one
 * (`?lang=`), else English and en-US for every other caller, as before translations existed.
 */
interface Speech {
  t: Translate;
  intl: string;
}
function speechOf(locale: ClientLocale | null | undefined): Speech {
  return { t: translator(locale?.language ?? 'en'), intl: locale?.intl ?? 'en-US' };
}

/** A refusal of the group planner (domain/payment-groups.ts) in the client's language. */
function plannerMessage(
  error: { code: string; message: string; details?: Record<string, unknown> },
  rows: readonly ClientInvoiceRow[],
  { t, intl }: Speech,
): string {
  const row = rows.find((r) => r.documentId === error.details?.invoice);
  const number = row?.number ?? '';
  const money = (minor: number) => formatMinor(minor, row?.currency ?? rows[0]?.currency ?? 'USD', intl);
  switch (error.code) {
    case 'empty_selection':
      return t('portalApi.chooseInvoice');
    case 'duplicate_invoice':
      return t('portalApi.duplicate', { number });
    case 'mixed_currencies':
      return t('portalApi.mixedCurrencies', {
        currencies: ((error.details?.currencies as string[] | undefined) ?? []).join(', '),
      });
    case 'invoice_not_payable': {
      // The same order of reasons as the planner's groupInvoiceProblem.
      const state = row?.state;
      if (state === 'draft' || state === 'void' || state === 'paid') return t(`portalApi.${state}`, { number });
      if (!OPEN_STATES.includes(state ?? '')) return t('portalApi.notPayable', { number });
      return t('portalApi.noBalance', { number });
    }
    case 'partial_not_allowed':
      return t('portalApi.partialOff', { number });
    case 'amount_below_minimum':
      return t('portalApi.amountBelow', { number, minimum: money(Number(error.details?.minimum ?? 0)) });
    case 'amount_above_balance':
      return t('portalApi.amountAbove', { number, balance: money(row?.balanceDue ?? 0) });
    default:
      // amount_step, invalid_amount…: never from the portal page (it sends whole minor units).
      return error.message;
  }
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const groups = () => strapi.db.query(UID.paymentGroup);
  const payments = () => strapi.db.query(UID.payment);
  const invoices = () => strapi.db.query(UID.invoice);

  const shareKeyOf = (groupDocumentId: string, invoiceDocumentId: string) => `${groupDocumentId}:${invoiceDocumentId}`;

  /** The invoices asked for, each the client's own; anything else is the same 404 as a missing one. */
  async function ownInvoices(userId: number, ids: readonly string[], { t }: Speech): Promise<ClientInvoiceRow[]> {
    const unique = [...new Set(ids)];
    const rows = unique.length
      ? ((await invoices().findMany({
          where: { documentId: { $in: unique }, customer: { id: userId } },
          populate: ['customer'],
        })) as ClientInvoiceRow[])
      : [];
    const byId = new Map(rows.map((r) => [r.documentId, r]));
    for (const id of unique)
      if (!byId.has(id) || byId.get(id)!.customer?.id !== userId)
        throw notFound(t('portalApi.invoiceNotFound', { id }));
    return ids.map((id) => byId.get(id)!);
  }

  /** Body checks; the messages a page can cause are translated, the API-misuse ones stay English. */
  function parseCreate(
    body: unknown,
    { t }: Speech,
  ): { ids: string[]; amounts: Record<string, number>; requestKey: string | null } {
    const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
    if (!Array.isArray(b.invoices) || !b.invoices.length)
      throw badRequest(t('portalApi.chooseInvoice'), [{ path: ['invoices'], message: 'Required.' }]);
    if (b.invoices.length > MAX_INVOICES)
      throw badRequest(t('portalApi.tooMany', { max: MAX_INVOICES }), [{ path: ['invoices'], message: 'Too many.' }]);
    const ids: string[] = [];
    for (const [i, v] of b.invoices.entries()) {
      if (typeof v !== 'string' || !DOC_ID.test(v))
        throw badRequest('Each invoice must be given by its id.', [
          { path: ['invoices', String(i)], message: 'Invalid.' },
        ]);
      ids.push(v);
    }
    const amounts: Record<string, number> = {};
    if (b.amounts !== undefined && b.amounts !== null) {
      if (typeof b.amounts !== 'object' || Array.isArray(b.amounts))
        throw badRequest('amounts must map invoice ids to amounts in minor units.', [
          { path: ['amounts'], message: 'Invalid.' },
        ]);
      for (const [k, v] of Object.entries(b.amounts as Record<string, unknown>)) {
        if (typeof v !== 'number' || !Number.isSafeInteger(v) || v <= 0)
          throw badRequest(
            'Each amount must be a whole number of minor units above zero (for example 1050 for 10.50).',
            [{ path: ['amounts', k], message: 'Invalid.' }],
          );
        amounts[k] = v;
      }
    }
    let key: string | null = null;
    if (b.requestKey !== undefined && b.requestKey !== null) {
      if (typeof b.requestKey !== 'string' || !/^[A-Za-z0-9_-]{8,64}$/.test(b.requestKey))
        throw badRequest('requestKey must be 8 to 64 letters, digits, - or _.', [
          { path: ['requestKey'], message: 'Invalid.' },
        ]);
      key = b.requestKey;
    }
    return { ids, amounts, requestKey: key };
  }

  function toGroupInvoice(r: ClientInvoiceRow): GroupInvoice {
    return {
      documentId: r.documentId,
      number: r.number,
      currency: r.currency,
      state: r.state,
      balanceDue: r.balanceDue,
      issueDate: r.issueDate ? String(r.issueDate).slice(0, 10) : null,
      id: r.id,
    };
  }

  /** The group as the client sees it: what it pays and where each invoice stands now. */
  async function view(group: GroupRow, { intl }: Speech) {
    const shares = group.shares;
    const rows = (await payments().findMany({
      where: { paymentGroup: group.documentId },
      select: ['id', 'documentId', 'status', 'amount', 'fee', 'amountRefunded', 'shareKey'],
    })) as Array<
      Pick<PaymentRecord, 'id' | 'documentId' | 'status' | 'amount' | 'fee' | 'amountRefunded'> & {
        shareKey: string;
      }
    >;
    const invs = (await invoices().findMany({
      where: { documentId: { $in: shares.map((s) => s.invoiceDocumentId) } },
      select: ['documentId', 'number', 'state', 'balanceDue', 'currency'],
    })) as Array<Pick<InvoiceRow, 'documentId' | 'number' | 'state' | 'balanceDue' | 'currency'>>;
    return {
      id: group.documentId,
      providerPaymentId: group.providerPaymentId,
      status: group.status,
      amount: group.amount,
      currency: group.currency,
      amountFormatted: formatMinor(group.amount, group.currency, intl),
      allocation: shares.map((s) => {
        const row = rows.find((r) => r.shareKey === shareKeyOf(group.documentId, s.invoiceDocumentId));
        const inv = invs.find((i) => i.documentId === s.invoiceDocumentId);
        return {
          invoice: s.invoiceDocumentId,
          number: s.invoiceNumber,
          portion: s.portion,
          fee: s.fee,
          amountFormatted: formatMinor(s.portion + s.fee, group.currency, intl),
          payment: row ? { id: row.documentId, status: row.status, amountRefunded: row.amountRefunded } : null,
          invoiceState: inv?.state ?? null,
          balanceDue: inv?.balanceDue ?? null,
        };
      }),
    };
  }

  /**
   * Cancels a group's payment at the provider (never inside a transaction or lock), under a key made
   * from the payment as the caller just read it: two callers that saw it alike (two sweeps, a sweep
   * and a request) make one cancellation. A provider keeps the answer of a key, refusals included
   * (Stripe: "regardless of whether it succeeds or fails", for 24 hours,
   * https://docs.stripe.com/api/idempotent_requests): a cancel refused while the payment was being
   * paid (a bank debit processing) would be refused again for a day under one fixed key after that
   * payment failed and waits for a method again; the state in the key makes that a new request.
   * Refused or with an unknown outcome, the payment is read again: it may have been paid meanwhile,
   * which the caller then settles. Null when the provider answered neither.
   */
  async function cancelGroupPayment(
    provider: PaymentProvider,
    groupDocumentId: string,
    seen: ProviderPayment,
  ): Promise<ProviderPayment | null> {
    const state = { payment: seen.id, status: seen.status, charge: seen.chargeId ?? null };
    try {
      return await provider.cancelPayment(seen.id, requestKey('cancel', groupDocumentId, state));
    } catch {
      return provider.retrievePayment(seen.id).catch(() => null);
    }
  }

  async function findGroupFor(p: ProviderPayment): Promise<GroupRow | null> {
    const byPayment = (await groups().findOne({ where: { providerPaymentId: p.id } })) as GroupRow | null;
    if (byPayment) return byPayment;
    const id = p.metadata?.paymentGroupId;
    return id ? ((await groups().findOne({ where: { documentId: id } })) as GroupRow | null) : null;
  }

  /**
   * Where each refund of the shared payment belongs (domain allocateGroupRefunds): made for one
   * invoice when our refund row says so (the admin refunded that invoice's entry), else split most
   * recent invoice first. The untargeted pieces get ids of their own (`<refund>:<invoice>`) so each
   * invoice's entry has its own refund row.
   */
  async function refundsPerShare(group: GroupRow, p: ProviderPayment): Promise<ProviderRefund[][]> {
    const shares = group.shares;
    const out: ProviderRefund[][] = shares.map(() => []);
    if (!p.refunds.length) return out;
    const shareRows = (await payments().findMany({
      where: { paymentGroup: group.documentId },
      select: ['id', 'shareKey'],
    })) as Array<{ id: number; shareKey: string }>;
    const indexOfRow = new Map(
      shareRows.map((r) => [
        r.id,
        shares.findIndex((s) => shareKeyOf(group.documentId, s.invoiceDocumentId) === r.shareKey),
      ]),
    );
    const localIds = p.refunds.map((r) => r.localId).filter((x): x is string => !!x);
    const ours = (await strapi.db.query(UID.refund).findMany({
      where: {
        $or: [
          ...(localIds.length ? [{ documentId: { $in: localIds } }] : []),
          { providerRefundId: { $in: p.refunds.map((r) => r.id) } },
        ],
      },
      populate: { payment: { select: ['id'] } },
    })) as Array<{ documentId: string; providerRefundId: string | null; payment?: { id: number } | null }>;
    const targetOf = (r: ProviderRefund): number | null => {
      const row =
        ours.find((o) => r.localId && o.documentId === r.localId) ?? ours.find((o) => o.providerRefundId === r.id);
      const index = row?.payment ? indexOfRow.get(row.payment.id) : undefined;
      return index !== undefined && index >= 0 ? index : null;
    };
    const holds = (r: ProviderRefund) =>
      r.status === 'pending' || r.status === 'requires_action' || r.status === 'succeeded';
    const listed = p.refunds.map((r, i) => ({ r, target: targetOf(r), order: p.refunds.length - i }));
    // The pieces of untargeted refunds already booked (`<refund>:<invoice>` rows): they keep them.
    const pieceRows = shareRows.length
      ? ((await strapi.db.query(UID.refund).findMany({
          where: { payment: { id: { $in: shareRows.map((r) => r.id) } }, providerRefundId: { $contains: ':' } },
          select: ['providerRefundId', 'amount'],
        })) as Array<{ providerRefundId: string | null; amount: number }>)
      : [];
    const bookedAmount = new Map(pieceRows.map((r) => [r.providerRefundId ?? '', r.amount]));
    const pieces = allocateGroupRefunds(
      shares.map((s) => s.portion + s.fee),
      // The provider lists newest first: `order` is their age, oldest first.
      listed.map(({ r, target, order }) => ({
        id: r.id,
        amount: r.amount,
        holds: holds(r),
        target,
        created: order,
        booked:
          target === null ? shares.map((s) => bookedAmount.get(`${r.id}:${s.invoiceDocumentId}`) ?? null) : undefined,
      })),
    );
    for (const { r, target } of listed) {
      const split = pieces.get(r.id)!;
      split.forEach((amount, i) => {
        if (target !== null) {
          if (i === target) out[i]!.push(r);
        } else if (amount > 0)
          out[i]!.push({ ...r, id: `${r.id}:${shares[i]!.invoiceDocumentId}`, amount, localId: null });
      });
    }
    return out;
  }

  /**
   * The provider reports another amount or currency than the group asked for: nothing is booked,
   * and each invoice's entry is flagged as a single payment's is (services/settlement): the entry
   * carries the reason (`mismatch`, never counted as money), the invoice is marked "Needs
   * attention" with it, and the audit log says `flagged`. Under each invoice's lock, in id order.
   */
  async function flagShares(group: GroupRow, p: ProviderPayment, mismatch: string, ctx: SyncContext): Promise<void> {
    const base = shareBaseStatus(p.status);
    const order = [...group.shares].sort((a, b) => a.invoiceId - b.invoiceId);
    for (const s of order) {
      await withInvoiceLock(strapi, s.invoiceDocumentId, async (invoice) => {
        const shareKey = shareKeyOf(group.documentId, s.invoiceDocumentId);
        const row = (await payments().findOne({ where: { shareKey } })) as PaymentRecord | null;
        const status = nextPaymentStatus(row?.status ?? null, base);
        if (row?.mismatch === mismatch && row.status === status) return;
        const data = {
          status,
          mismatch,
          amount: s.portion,
          fee: s.fee,
          currency: p.currency,
          sharedPaymentId: p.id,
          paymentGroup: group.documentId,
          livemode: p.livemode,
          ...(ctx.eventId ? { lastEventId: ctx.eventId } : {}),
        };
        if (row) await payments().updateMany({ where: { id: row.id }, data: { ...data, updatedAt: new Date() } });
        else
          await payments().create({
            data: { ...data, invoice: invoice.id, kind: 'card', provider: ctx.provider.id, shareKey },
          });
        await getService(strapi, 'invoices').recomputeLedger(invoice);
        const entry: AuditInput = {
          action: `payment.${status}`,
          actor: ctx.actor,
          invoice: { documentId: invoice.documentId, number: invoice.number },
          outcome: 'flagged',
          details: {
            providerPaymentId: p.id,
            paymentGroup: group.documentId,
            amount: p.amount,
            currency: p.currency,
            eventId: ctx.eventId ?? null,
            mismatch,
          },
        };
        if (ctx.audit) ctx.audit(entry);
        else await getService(strapi, 'audit').log(entry);
      });
    }
  }

  /**
   * Settles the shared payment on each invoice: one ledger entry per invoice (unique share key),
   * each written under that invoice's lock, in invoice-id order (every instance takes the locks in
   * the same order). Idempotent: it reads what the provider says now and a status never moves back.
   */
  async function settle(group: GroupRow, p: ProviderPayment, ctx: SyncContext): Promise<SyncOutcome> {
    if (!group.providerPaymentId)
      await groups()
        .updateMany({ where: { id: group.id, providerPaymentId: null }, data: { providerPaymentId: p.id } })
        .catch((error: unknown) => {
          if (!isUniqueViolation(error)) throw error;
        });
    else if (group.providerPaymentId !== p.id)
      return {
        outcome: 'ignored',
        reason: `Payment ${p.id} names multi-invoice payment ${group.documentId}, which was made as ${group.providerPaymentId}; it was not booked.`,
      };
    const mismatch =
      p.currency !== group.currency
        ? `Payment ${p.id} is in ${p.currency} but the invoices are in ${group.currency}; it was not booked.`
        : p.amount !== group.amount
          ? `Payment ${p.id} is for ${p.amount} but the plugin asked for ${group.amount}; it was not booked.`
          : MOVING.includes(p.status) &&
              p.status !== 'processing' &&
              p.amountReceived !== 0 &&
              p.amountReceived !== p.amount
            ? `Payment ${p.id} received ${p.amountReceived} instead of ${p.amount}; it was not booked.`
            : null;
    if (group.status !== p.status || (mismatch ?? null) !== (group.lastError ?? null))
      await groups().updateMany({
        where: { id: group.id },
        data: { status: p.status, lastError: mismatch, updatedAt: new Date() },
      });
    if (mismatch) {
      await flagShares(group, p, mismatch, ctx);
      return { outcome: 'ignored', reason: mismatch };
    }
    const shares = group.shares;
    const refunds = await refundsPerShare(group, p);
    const heldByShare = refunds.map((list) =>
      list
        .filter((r) => r.status === 'pending' || r.status === 'requires_action' || r.status === 'succeeded')
        .reduce((s, r) => s + r.amount, 0),
    );
    const dispute = p.dispute;
    // Each share's part of the dispute, as a payment for that invoice alone would book it.
    const disputePieces = dispute
      ? groupDisputedPortions(
          Math.min(dispute.amount, p.amount),
          shares.map((s, i) => ({ portion: s.portion, fee: s.fee, held: heldByShare[i]! })),
        )
      : shares.map(() => 0);
    // One lock at a time, always in the same order (invoice row id), so two instances never wait
    // on each other in a cycle.
    const order = shares.map((s, i) => ({ s, i })).sort((a, b) => a.s.invoiceId - b.s.invoiceId);
    const after: Array<() => Promise<void>> = [];
    const notices: NoticeRow[] = [];
    let first: { invoice: InvoiceRow; payment: PaymentRecord } | null = null;
    let anyChanged = false;
    for (const { s, i } of order) {
      const done = await withInvoiceLock(strapi, s.invoiceDocumentId, async (invoice) => {
        const shareKey = shareKeyOf(group.documentId, s.invoiceDocumentId);
        const row = (await payments().findOne({ where: { shareKey } })) as PaymentRecord | null;
        // Already booked (an earlier event, the portal's confirm): a final state adds nothing.
        if (ctx.final && row && !isOpenPaymentStatus(row.status) && row.status !== 'failed')
          return { invoice, payment: row, changed: false, overpaid: 0, startedMoving: false };
        const piece = disputePieces[i]!;
        // The shared payment's refund and dispute statuses are the whole payment's: each share gets
        // its own from its refund rows (rebookPayment) and its piece of the dispute.
        const base = shareBaseStatus(p.status);
        const proposed: PaymentStatus =
          p.status === 'disputed' && piece > 0 && dispute && (dispute.status === 'open' || dispute.status === 'lost')
            ? 'disputed'
            : base;
        // A share without its entry (a payment made before shares were reserved at creation) is
        // booked once money moves.
        if (!row && !MOVING.includes(proposed)) return null;
        // A dispute status the plugin does not know moves no money either way (as settlement does).
        const status =
          dispute?.status === 'unknown' && piece > 0 && row?.status === 'disputed'
            ? row.status
            : nextPaymentStatus(row?.status ?? null, proposed);
        const data: Record<string, unknown> = {
          status,
          amount: s.portion,
          fee: s.fee,
          currency: p.currency,
          sharedPaymentId: p.id,
          paymentGroup: group.documentId,
          chargeId: p.chargeId ?? row?.chargeId ?? null,
          method: p.method ?? (row as { method?: string | null } | null)?.method ?? null,
          ...(p.methodDetail ? { methodLabel: p.methodDetail.label, methodLast4: p.methodDetail.last4 } : {}),
          livemode: p.livemode,
          failureCode: status === 'failed' ? p.failureCode : null,
          failureMessage: status === 'failed' ? p.failureMessage : null,
          // The dispute as it touches this share now: a share its piece no longer reaches (the
          // dispute was reallocated) carries none, so no stale "open" or "lost" stays behind.
          ...(dispute
            ? {
                disputeId: piece > 0 ? dispute.id : null,
                disputeStatus: piece > 0 ? dispute.status : null,
                disputeProviderStatus: piece > 0 ? dispute.providerStatus : null,
              }
            : { disputeId: row?.disputeId ?? null, disputeStatus: row?.disputeStatus ?? null }),
          disputedAmount: piece,
          mismatch: null,
          ...(ctx.eventId ? { lastEventId: ctx.eventId } : {}),
          ...(status === 'succeeded' && row?.status !== 'succeeded' && !row?.notifiedAt ? { paidAt: new Date() } : {}),
        };
        // The abandonment clock of a waiting payment (services/attempts), on every share alike:
        // started for each new challenge, cleared once the payment stops waiting.
        Object.assign(data, actionClockUpdate(status, p.nextAction, row, Date.now()));
        const kinds: Array<'confirmation' | 'dispute'> = [];
        if (isCollectedPaymentStatus(status) && !row?.notifiedAt) {
          data.notifiedAt = new Date();
          kinds.push('confirmation');
        }
        // Failures are told once each, as settlement.applyPayment: a bank debit retried on the same
        // payment and refused again is a new failure (its charge names it); the marker is re-armed
        // when the payment processes again; the outbox keeps each failure to one email per share.
        const occurrence = failureOccurrence(p.method, p.chargeId);
        const told = row as (PaymentRecord & { failureNotifiedFor?: string | null }) | null;
        const newFailure =
          status === 'failed' &&
          failureToTell(occurrence, { at: !!told?.failureNotifiedAt, occurrence: told?.failureNotifiedFor ?? null });
        const failures: Array<'failure' | 'failure_client'> = [];
        if (newFailure) {
          data.failureNotifiedAt = new Date();
          data.failureNotifiedFor = occurrence;
          failures.push('failure');
        } else if (status === 'processing' && told?.failureNotifiedAt) data.failureNotifiedAt = null;
        // The client gets the pay link again (notifications.clientFailureMail).
        if (clientFailureToTell(status, row?.status, newFailure, p.method, p.chargeId)) failures.push('failure_client');
        if (
          piece > 0 &&
          dispute &&
          (dispute.status === 'open' || dispute.status === 'lost') &&
          !row?.disputeAlertedAt
        ) {
          data.disputeAlertedAt = new Date();
          kinds.push('dispute');
        }
        let savedId: number;
        if (row) {
          await payments().updateMany({ where: { id: row.id }, data: { ...data, updatedAt: new Date() } });
          savedId = row.id;
        } else {
          const created = (await payments().create({
            data: { ...data, invoice: invoice.id, kind: 'card', provider: ctx.provider.id, shareKey },
            select: ['id'],
          })) as { id: number };
          savedId = created.id;
        }
        const refundedNow = await getService(strapi, 'refunds').applyProviderRefunds(
          savedId,
          invoice.documentId,
          { ...p, refunds: refunds[i]! },
          { actor: providerActor(ctx.provider), eventId: ctx.eventId ?? null },
        );
        for (const kind of kinds)
          notices.push(await getService(strapi, 'notifications').queuePaymentNotice(kind, savedId));
        for (const kind of failures) {
          const queued = await getService(strapi, 'notifications').queueFailureNotice(kind, savedId, occurrence);
          if (queued) notices.push(queued);
        }
        const { invoice: updated, ledger } = await getService(strapi, 'invoices').recomputeLedger(invoice);
        // payment.refunded carries the invoice as this settlement left it (as settlement.applyPayment).
        await getService(strapi, 'refunds').recordRefunded(refundedNow);
        const saved =
          (ledger.find((r) => r.id === savedId) as unknown as PaymentRecord | undefined) ??
          ((await payments().findOne({ where: { id: savedId } })) as PaymentRecord);
        const changed =
          !row ||
          row.status !== saved.status ||
          row.amountRefunded !== saved.amountRefunded ||
          row.disputedAmount !== piece;
        const collectedNow = isCollectedPaymentStatus(status) && !(row && isCollectedPaymentStatus(row.status));
        const net = saved.amount - saved.amountRefunded;
        const overpaid = collectedNow
          ? updated.state === 'void'
            ? Math.max(0, net)
            : overpaymentOf(updated.balanceDue, net)
          : 0;
        if (changed) {
          const entry: AuditInput = {
            action: `payment.${saved.status}`,
            actor: ctx.actor,
            invoice: { documentId: invoice.documentId, number: invoice.number },
            outcome: saved.status,
            details: {
              providerPaymentId: p.id,
              paymentGroup: group.documentId,
              // This invoice's share (what events out report as the payment), and the whole charge.
              amount: s.portion + s.fee,
              sharedAmount: p.amount,
              currency: p.currency,
              eventId: ctx.eventId ?? null,
            },
          };
          if (ctx.audit) ctx.audit(entry);
          else await getService(strapi, 'audit').log(entry);
        }
        // Money started to move on this share just now (settlement.applyPayment's rule): a failed or
        // canceled share read again ends nothing.
        const wasMoving = row ? isCollectedPaymentStatus(row.status) || row.status === 'processing' : false;
        const startedMoving = !wasMoving && (isCollectedPaymentStatus(saved.status) || saved.status === 'processing');
        return { invoice: updated, payment: saved, changed, overpaid, startedMoving };
      });
      if (!done) continue;
      first ??= { invoice: done.invoice, payment: done.payment };
      anyChanged ||= done.changed;
      after.push(async () => {
        if (done.startedMoving)
          await getService(strapi, 'attempts').endOthers(done.invoice.documentId, done.payment.id, ctx.actor);
        if (done.overpaid > 0)
          await getService(strapi, 'settlement').handleOverpayment(
            done.invoice,
            done.payment,
            done.overpaid,
            ctx.actor,
          );
      });
    }
    const rest = async () => {
      for (const work of after) await work();
    };
    if (ctx.afterCommit) ctx.afterCommit({ notices, rest });
    else {
      for (const notice of notices) await getService(strapi, 'notifications').sendQueued(notice);
      await rest();
    }
    if (!first)
      return {
        outcome: 'ignored',
        reason: `Multi-invoice payment ${p.id} is ${p.status}: nothing to book on its invoices.`,
      };
    return { outcome: 'settled', invoice: first.invoice, payment: first.payment, changed: anyChanged };
  }

  return {
    settle,
    findGroupFor,

    /**
     * An invoice was voided or got a new total: every multi-invoice payment still payable on it
     * (whoever made it) is ended, as the invoice's own attempts are, so the old amount can no longer
     * be charged. One already paid meanwhile is booked instead (a surplus is then refunded); one
     * in progress (a 3-D Secure step, a bank debit) is left to finish. Called outside any transaction.
     */
    async endForInvoice(invoiceDocumentId: string, actor: Actor): Promise<void> {
      const open = (await groups().findMany({
        where: { status: { $in: ['pending', 'failed', 'requires_action'] }, providerPaymentId: { $notNull: true } },
      })) as GroupRow[];
      const { t } = speechOf(null);
      for (const g of open.filter((x) => x.shares.some((s) => s.invoiceDocumentId === invoiceDocumentId))) {
        const provider = await getService(strapi, 'providers').forRow(g);
        try {
          let p = await provider.retrievePayment(g.providerPaymentId!);
          if (p.status === 'pending' || p.status === 'failed')
            p = (await cancelGroupPayment(provider, g.documentId, p)) ?? (await provider.retrievePayment(p.id));
          await getService(strapi, 'settlement').applyPayment(p, { provider, actor });
        } catch (error) {
          if (isAnswerable(error)) throw error;
          throw badGateway(t('portalApi.providerDown'));
        }
      }
    },

    /** The client's invoices (filter open | overdue | paid | all) and totals per currency. */
    async listForClient(userId: number, filterIn: unknown, locale: ClientLocale | null = null) {
      const { intl } = speechOf(locale);
      const filter = (filterIn ?? 'all') as InvoiceFilter;
      if (!FILTERS.includes(filter))
        throw badRequest('filter must be one of all, open, overdue, paid.', [
          { path: ['filter'], message: 'Invalid.' },
        ]);
      const rows = (await invoices().findMany({
        where: { customer: { id: userId }, state: { $in: VISIBLE_STATES } },
        select: [
          'documentId',
          'number',
          'state',
          'currency',
          'total',
          'amountPaid',
          'balanceDue',
          'issueDate',
          'dueDate',
        ],
        orderBy: [{ issueDate: 'desc' }, { id: 'desc' }],
        limit: 500,
      })) as ClientInvoiceRow[];
      const now = today();
      const kindOf = (r: ClientInvoiceRow) => {
        if (OPEN_STATES.includes(r.state) && r.balanceDue > 0)
          return r.dueDate && String(r.dueDate).slice(0, 10) < now ? 'overdue' : 'open';
        return r.state === 'paid' ? 'paid' : r.state === 'void' ? 'void' : 'open';
      };
      const all = rows.map((r) => {
        const kind = kindOf(r);
        return {
          id: r.documentId,
          number: r.number,
          state: r.state,
          kind,
          overdue: kind === 'overdue',
          payable: kind === 'open' || kind === 'overdue',
          currency: r.currency,
          total: r.total,
          amountPaid: r.amountPaid,
          balanceDue: r.balanceDue,
          totalFormatted: formatMinor(r.total, r.currency, intl),
          balanceFormatted: formatMinor(r.balanceDue, r.currency, intl),
          issueDate: r.issueDate ? String(r.issueDate).slice(0, 10) : null,
          dueDate: r.dueDate ? String(r.dueDate).slice(0, 10) : null,
          pdfUrl: `/api/invoice-payments/invoices/${r.documentId}/pdf`,
        };
      });
      const totals: Record<
        string,
        {
          open: number;
          overdue: number;
          paid: number;
          openFormatted: string;
          overdueFormatted: string;
          paidFormatted: string;
        }
      > = {};
      for (const inv of all) {
        const t = (totals[inv.currency] ??= {
          open: 0,
          overdue: 0,
          paid: 0,
          openFormatted: '',
          overdueFormatted: '',
          paidFormatted: '',
        });
        if (inv.payable) t.open += inv.balanceDue;
        if (inv.overdue) t.overdue += inv.balanceDue;
        t.paid += inv.amountPaid;
      }
      for (const [cur, t] of Object.entries(totals)) {
        t.openFormatted = formatMinor(t.open, cur, intl);
        t.overdueFormatted = formatMinor(t.overdue, cur, intl);
        t.paidFormatted = formatMinor(t.paid, cur, intl);
      }
      const settings = await getService(strapi, 'settings').load();
      const invoicesOut =
        filter === 'all' ? all : all.filter((i) => (filter === 'open' ? i.payable : i.kind === filter));
      return { invoices: invoicesOut, totals, partialPayments: settings.partialPayments };
    },

    /** Receipts (collected payments) of one of the client's invoices. */
    async receiptsFor(userId: number, invoiceDocumentId: string, locale: ClientLocale | null = null) {
      const speech = speechOf(locale);
      const [inv] = await ownInvoices(userId, [invoiceDocumentId], speech);
      // The same payments as the receipts the documents service makes (a voided one has none).
      const rows = await getService(strapi, 'documents').receiptPayments(inv!.id);
      return rows.map((r) => ({
        id: r.documentId,
        amountFormatted: formatMinor(r.amount, r.currency, speech.intl),
        status: r.status,
        paidAt: r.paidAt,
        url: `/api/invoice-payments/invoices/${inv!.documentId}/receipts/${r.documentId}`,
      }));
    },

    /**
     * Creates one provider payment for several of the client's invoices (reserve, call, finish:
     * the group row and one pending share per invoice first, the provider outside any transaction,
     * then its id on the shares; createHeld). Every refusal comes before the provider is called.
     */
    async create(userId: number, body: unknown, actor: Actor, locale: ClientLocale | null = null) {
      const speech = speechOf(locale);
      const { t } = speech;
      const input = parseCreate(body, speech);
      const settings = await getService(strapi, 'settings').load();
      const providers = getService(strapi, 'providers');
      const link = providers.payLink(settings);
      if (!link) throw serviceUnavailable(t('portalApi.unavailable'));
      if (link.mode !== 'payment_element') throw conflict(t('portalApi.noCardForm'), 'PaymentNotPossible');
      const planNow = async () => {
        const rows = await ownInvoices(userId, input.ids, speech);
        // Past its payment deadline (payables' expiresAt), an invoice is about to be voided.
        const expired = rows.find((r) => r.expiresAt && new Date(r.expiresAt).getTime() <= Date.now());
        if (expired)
          throw conflict(t('portalApi.deadlinePassed', { number: expired.number }), 'InvoiceNotPayable', {
            invoice: expired.documentId,
          });
        try {
          const plan = planGroupPayment({
            invoices: rows.map(toGroupInvoice),
            amounts: input.amounts,
            partialAllowed: settings.partialPayments,
            minimumPortion: (c, balance) =>
              partialMinimum(
                balance,
                c,
                {
                  minimumAmount: settings.partialMinimumAmount ?? 0,
                  minimumPercent: settings.partialMinimumPercent ?? 0,
                  defaultCurrency: settings.defaultCurrency,
                },
                { providerMinimum: minimumChargeMinor(c), step: amountStep(c) },
              ),
            step: (c) => amountStep(c),
            feeOf: (amount, currency) =>
              feeSurcharge(amount, currency, {
                percentBps: settings.feePercentBps,
                fixedMinor: currency === settings.defaultCurrency ? settings.feeFixedAmount : 0,
              }),
            formatMinor,
          });
          validateChargeAmount(plan.amount, plan.currency);
          return { plan, rows };
        } catch (error) {
          if (!isDomainError(error)) throw error;
          const message = plannerMessage(error, rows, speech);
          if (error.code === 'invoice_not_payable')
            throw conflict(message, 'InvoiceNotPayable', { invoice: error.details?.invoice });
          throw badRequest(
            message,
            [{ path: ['invoices'], message: error.code }],
            error.code === 'mixed_currencies' ? 'MixedCurrencies' : 'ValidationError',
          );
        }
      };
      const first = await planNow();
      if (input.requestKey) {
        const same = (await groups().findOne({ where: { userId, requestKey: input.requestKey } })) as GroupRow | null;
        // Replayed only while it can still be paid, is being paid or was paid; otherwise the retry
        // takes the leases below and becomes a new click.
        const again = same ? await replay(same, first.plan, link.publishableKey, speech) : null;
        if (again) return again;
      }
      const provider = await providers.forNewPayments();
      const attempts = getService(strapi, 'attempts');
      // Every invoice's attempt lease, in invoice-id order (as every instance takes them), held from
      // planning until the payment's id is on its shares: no pay page, autopay or other portal
      // payment can start an attempt on these invoices meanwhile (services/attempts).
      const leaseOrder = [...first.plan.shares].sort((a, b) => a.invoiceId - b.invoiceId);
      const made = await attempts.withLeases(
        leaseOrder.map((s) => s.invoiceDocumentId),
        5_000,
        async (leases) => {
          // The same request key sent twice at once: the second waited for the first's leases.
          if (input.requestKey) {
            const same = (await groups().findOne({
              where: { userId, requestKey: input.requestKey },
            })) as GroupRow | null;
            if (same) {
              const again = await replay(same, first.plan, link.publishableKey, speech);
              if (again) return again;
              await retire(same, actor, speech);
            }
          }
          const { plan, rows } = await clearInvoices(leases, planNow, actor, speech, settings);
          return createHeld(userId, plan, rows, leases, provider, input.requestKey, actor, speech, link.publishableKey);
        },
      );
      if (made === null) throw conflict(speech.t('portalApi.busy'), 'AttemptBusy');
      return made;
    },

    /**
     * A group whose shares were reserved but never got the provider's payment (the request died
     * between the provider call and recording its answer, or outlived its leases): once its leases
     * are long over, the payment is looked for at the provider by the group's id (the attempt id in
     * its metadata). The client never received it, so one still payable is ended; whatever it is
     * then is settled like any answer. None found: the shares are canceled. Outside any transaction.
     */
    async recoverReservation(groupDocumentId: string, actor: Actor): Promise<void> {
      const group = (await groups().findOne({ where: { documentId: groupDocumentId } })) as
        (GroupRow & { createdAt: string | Date }) | null;
      if (!group) return;
      const provider = await getService(strapi, 'providers').forRow(group);
      const settlement = getService(strapi, 'settlement');
      if (group.providerPaymentId) {
        await settlement.syncPayment(group.providerPaymentId, { provider, actor });
        return;
      }
      const createdMs = new Date(group.createdAt).getTime();
      if (Date.now() - createdMs < getService(strapi, 'attempts').leaseMs()) return;
      const found = await provider.findPaymentByAttempt(group.documentId, Math.floor(createdMs / 1000) - 60);
      if (!found) {
        await endReservation(
          group,
          'canceled',
          'The request that made this payment ended before the provider answered.',
        );
        return;
      }
      const p =
        found.status === 'pending' || found.status === 'failed'
          ? ((await cancelGroupPayment(provider, group.documentId, found)) ?? found)
          : found;
      await groups().updateMany({
        where: { id: group.id, providerPaymentId: null },
        data: { providerPaymentId: found.id },
      });
      await settlement.applyPayment(p, { provider, actor });
    },

    /**
     * The sweep's step for portal payments the client opened and walked away from (the shared
     * payment still waits for a payment method, or for a 3-D Secure step, untouched for
     * `abandonedAuthenticationMinutes`):
     * each is read again at the provider (the stored status only picks the candidates) and decided
     * by domain decideAbandonedGroup. Still unpaid, or a 3-D Secure step unfinished for that long:
     * canceled at the provider, the group ended and its invoices freed, `payment_group.abandoned`
     * audited. Paid meanwhile: settled as any payment. Being completed (a fresh 3-D Secure step, a
     * bank debit, a voucher): left alone. Holds every invoice's attempt lease while it
     * decides (so no request hands the payment out again meanwhile); a group whose leases another
     * worker holds is postponed to the next sweep. Outside any transaction. Returns how many ended.
     */
    async endAbandoned(
      settings: Pick<StoredSettings, 'abandonedAuthenticationMinutes'>,
      actor: Actor,
    ): Promise<number> {
      const afterMs = settings.abandonedAuthenticationMinutes * 60_000;
      const cutoff = new Date(Date.now() - afterMs);
      const stale = { providerPaymentId: { $notNull: true }, updatedAt: { $lte: cutoff } };
      // Waiting for a payment method: a settlement moves every other status out of this set, so the
      // oldest 50 are always ones this sweep can end or settle.
      const waitingForMethod = (await groups().findMany({
        where: { status: { $in: [...ABANDONABLE_STORED] }, ...stale },
        orderBy: { updatedAt: 'asc' },
        limit: 50,
      })) as Array<GroupRow & { updatedAt: string | Date }>;
      // Waiting for an authentication whose clock ran out, found from the shares' clocks: a group
      // waiting on a voucher or a bank transfer for days is never picked, so never crowds these out.
      const unfinished = (await payments().findMany({
        where: {
          paymentGroup: { $notNull: true },
          nextActionType: { $in: [...SWEPT_ACTION_KINDS] },
          actionSince: { $lte: cutoff },
        },
        select: ['paymentGroup'],
        orderBy: { actionSince: 'asc' },
        limit: 200,
      })) as Array<{ paymentGroup: string }>;
      const unfinishedIds = [...new Set(unfinished.map((r) => r.paymentGroup))].slice(0, 50);
      const inAuthentication = unfinishedIds.length
        ? ((await groups().findMany({
            where: { documentId: { $in: unfinishedIds }, status: AUTHENTICATION_STORED, ...stale },
          })) as Array<GroupRow & { updatedAt: string | Date }>)
        : [];
      const candidates = [...waitingForMethod, ...inAuthentication];
      const isCandidate = (g: GroupRow & { updatedAt: string | Date }) =>
        isAbandonedGroupCandidate({ ...g, updatedAtMs: new Date(g.updatedAt).getTime() }, Date.now(), afterMs);
      const settlement = getService(strapi, 'settlement');
      let ended = 0;
      for (const candidate of candidates.filter(isCandidate)) {
        try {
          const leaseOrder = [...candidate.shares]
            .sort((a, b) => a.invoiceId - b.invoiceId)
            .map((s) => s.invoiceDocumentId);
          const outcome = await getService(strapi, 'attempts').withLeases(leaseOrder, 0, async () => {
            // Read again under the leases: another worker may have ended or settled it meanwhile.
            const group = (await groups().findOne({ where: { id: candidate.id } })) as
              (GroupRow & { updatedAt: string | Date }) | null;
            if (!group || !isCandidate(group)) return null;
            const provider = await getService(strapi, 'providers').forRow(group);
            const now = await provider.retrievePayment(group.providerPaymentId!);
            // A step the client was asked for (3-D Secure…): ended only once its clock, kept on the
            // shares for this very challenge, has run the whole time (none yet: started by the
            // settlement below, looked at again by a later sweep).
            const inAuthentication = now.status === 'requires_action';
            const shareClocks = inAuthentication
              ? ((await payments().findMany({
                  where: { paymentGroup: group.documentId },
                  select: ['actionSince', 'nextActionKey'],
                })) as Array<{ actionSince: string | Date | null; nextActionKey: string | null }>)
              : [];
            const decision = decideAbandonedGroup(
              now.status,
              inAuthentication
                ? {
                    kind: now.nextAction?.kind ?? 'other',
                    waitedMs: authenticationWaitedMs(now.nextAction, shareClocks, Date.now()),
                    abandonAfterMs: afterMs,
                  }
                : null,
            );
            if (decision === 'leave' || decision === 'settle')
              return { provider, p: now, ended: false, abandoned: false };
            const p = decision === 'end' ? await cancelGroupPayment(provider, group.documentId, now) : now;
            if (!p) throw new Error(`the provider did not answer about payment ${now.id}`);
            // Paid or in progress meanwhile (the cancel was refused): settled as it is, never ended.
            if (p.status !== 'canceled') return { provider, p, ended: false, abandoned: false };
            await settlement.applyPayment(p, { provider, actor });
            // 'close': canceled at the provider by someone else (the Dashboard, Stripe's own expiry):
            // ended here too, but not abandoned by this sweep, so neither audited nor counted as such.
            await endReservation(
              group,
              'canceled',
              decision !== 'end'
                ? 'Canceled at the payment provider.'
                : inAuthentication
                  ? `Abandoned: the client's authentication was not finished within ${settings.abandonedAuthenticationMinutes} minutes.`
                  : `Abandoned: nobody paid it for ${settings.abandonedAuthenticationMinutes} minutes.`,
            );
            if (decision !== 'end') return { provider, p, ended: true, abandoned: false };
            await getService(strapi, 'audit').log({
              action: 'payment_group.abandoned',
              actor,
              invoice: null,
              outcome: 'canceled',
              details: {
                paymentGroup: group.documentId,
                providerPaymentId: p.id,
                amount: group.amount,
                currency: group.currency,
                invoices: group.shares.map((s) => s.invoiceNumber),
                afterMinutes: settings.abandonedAuthenticationMinutes,
                stage: inAuthentication ? 'authentication' : 'payment_method',
              },
            });
            return { provider, p, ended: true, abandoned: true };
          });
          // Null: another worker holds a lease (postponed to the next sweep) or it is no longer abandoned.
          if (!outcome) continue;
          if (outcome.abandoned) ended += 1;
          // Settled after the leases are released: settlement may end other attempts, under their leases.
          else await settlement.applyPayment(outcome.p, { provider: outcome.provider, actor });
        } catch (error) {
          strapi.log.warn(
            `[invoice-payments] ending abandoned multi-invoice payment ${candidate.documentId} failed: ${reasonOf(error)}`,
          );
        }
      }
      return ended;
    },

    /** A group of the client's, as it stands. */
    async state(userId: number, groupDocumentId: string, locale: ClientLocale | null = null) {
      const speech = speechOf(locale);
      return view(await ownGroup(userId, groupDocumentId, speech), speech);
    },

    /** The portal says it paid: read the payment from the provider and settle it (as the webhook would). */
    async confirm(userId: number, groupDocumentId: string, actor: Actor, locale: ClientLocale | null = null) {
      const speech = speechOf(locale);
      const group = await ownGroup(userId, groupDocumentId, speech);
      if (!group.providerPaymentId) throw conflict(speech.t('portalApi.notCreated'), 'NotCreated');
      const provider = await getService(strapi, 'providers').forRow(group);
      try {
        await getService(strapi, 'settlement').syncPayment(group.providerPaymentId, { provider, actor });
      } catch (error) {
        if (isAnswerable(error)) throw error;
        if (error instanceof ProviderRequestError) throw badGateway(speech.t('portalApi.providerDownConfirm'));
        throw error;
      }
      return view((await groups().findOne({ where: { id: group.id } })) as GroupRow, speech);
    },
  };

  /**
   * Makes room on every selected invoice before a multi-invoice payment is made, holding their
   * attempt leases (attempts.makeRoom, the rules between two attempts of one invoice): money that
   * arrived meanwhile is booked and the selection planned again (a paid invoice is then refused),
   * open attempts and abandoned 3-D Secure steps are ended, and a payment in progress (a bank
   * debit processing, a voucher, a fresh authentication) refuses this request with a 409.
   */
  async function clearInvoices(
    leases: ReadonlyMap<string, string>,
    planNow: () => Promise<{ plan: GroupPlan; rows: ClientInvoiceRow[] }>,
    actor: Actor,
    speech: Speech,
    settings: Pick<StoredSettings, 'abandonedAuthenticationMinutes'>,
  ): Promise<{ plan: GroupPlan; rows: ClientInvoiceRow[] }> {
    const attempts = getService(strapi, 'attempts');
    for (let round = 0; round < 3; round++) {
      // Planned again each round, on the balances as they are now.
      const planned = await planNow();
      let settled = false;
      for (const [invoiceDocumentId, lease] of leases) {
        let room: RoomOutcome;
        try {
          room = await attempts.makeRoom(invoiceDocumentId, lease, actor, settings);
        } catch (error) {
          if (error instanceof ProviderRequestError) throw badGateway(speech.t('portalApi.providerDown'));
          throw error;
        }
        if (room.outcome === 'blocked') {
          const number = planned.rows.find((r) => r.documentId === invoiceDocumentId)?.number ?? '';
          const key =
            room.reason === 'processing'
              ? 'portalApi.processing'
              : room.reason === 'authentication'
                ? 'portalApi.inProgress'
                : 'portalApi.waiting';
          throw conflict(
            speech.t(key, { number }),
            room.reason === 'processing' ? 'PaymentProcessing' : 'PaymentInProgress',
            room.nextAction
              ? { invoice: invoiceDocumentId, nextAction: room.nextAction }
              : { invoice: invoiceDocumentId },
          );
        }
        settled ||= room.outcome === 'settled';
      }
      if (!settled) return planned;
    }
    throw conflict(speech.t('portalApi.changed'), 'InvoiceChanged');
  }

  /** Ends a group that will never be paid: its reserved shares canceled (they no longer block anything). */
  async function endReservation(group: GroupRow, status: 'failed' | 'canceled', message: string, key?: string) {
    await payments().updateMany({
      where: { paymentGroup: group.documentId, status: { $in: [...LIVE_STATUSES] } },
      data: { status: 'canceled', updatedAt: new Date() },
    });
    await groups().updateMany({
      where: { id: group.id },
      data: { status, lastError: message.slice(0, 500), ...(key ? { idempotencyKey: key } : {}) },
    });
  }

  /**
   * Reserve, call, finish, holding every selected invoice's attempt lease: the group row and one
   * pending entry per invoice (its share, written under the invoice's lock after checking that the
   * invoice is still as planned), then the provider outside any transaction, then the provider's
   * payment on the shares (under each invoice's lock, only while the lease is still ours). A share
   * is a live attempt of its invoice from then on (attempts.liveRows): the pay page, autopay and
   * another portal payment see it, end it or wait for it, and never charge beside it.
   */
  async function createHeld(
    userId: number,
    plan: GroupPlan,
    rows: readonly ClientInvoiceRow[],
    leases: ReadonlyMap<string, string>,
    provider: PaymentProvider,
    clientKey: string | null,
    actor: Actor,
    speech: Speech,
    publishableKey: string,
  ) {
    const { t } = speech;
    let group: GroupRow;
    try {
      group = (await groups().create({
        data: {
          userId,
          provider: provider.id,
          currency: plan.currency,
          amount: plan.amount,
          shares: plan.shares,
          status: 'pending',
          requestKey: clientKey,
        },
      })) as GroupRow;
    } catch (error) {
      // The same request key sent twice at once: the second gets the first's group.
      if (!isUniqueViolation(error) || !clientKey) throw error;
      const same = (await groups().findOne({ where: { userId, requestKey: clientKey } })) as GroupRow;
      const again = await replay(same, plan, publishableKey, speech);
      if (!again) throw conflict(t('portalApi.busy'), 'AttemptBusy');
      return again;
    }
    const order = [...plan.shares].sort((a, b) => a.invoiceId - b.invoiceId);
    const planned = new Map(rows.map((r) => [r.documentId, r.balanceDue]));
    const leaseHeld = (invoice: InvoiceRow, id: string) =>
      (invoice as InvoiceRow & { attemptLockToken?: string | null }).attemptLockToken === leases.get(id);
    for (const s of order) {
      const reserved = await withInvoiceLock(strapi, s.invoiceDocumentId, async (invoice) => {
        // The plan is a few reads old: the invoice must still be payable with the balance it was made for.
        if (
          !leaseHeld(invoice, s.invoiceDocumentId) ||
          groupInvoiceProblem(invoice) ||
          invoice.balanceDue !== planned.get(s.invoiceDocumentId)
        )
          return false;
        await payments().create({
          data: {
            invoice: invoice.id,
            kind: 'card',
            provider: provider.id,
            status: 'pending',
            amount: s.portion,
            fee: s.fee,
            currency: plan.currency,
            paymentGroup: group.documentId,
            shareKey: shareKeyOf(group.documentId, s.invoiceDocumentId),
          },
        });
        return true;
      });
      if (!reserved) {
        await endReservation(group, 'canceled', `Invoice ${s.invoiceNumber} changed before the payment was made.`);
        throw conflict(t('portalApi.changed'), 'InvoiceChanged');
      }
    }
    const idempotencyKey = requestKey('group', group.documentId, {
      amount: plan.amount,
      currency: plan.currency,
      shares: plan.shares.map((s) => [s.invoiceDocumentId, s.portion, s.fee]),
    });
    const numbers = plan.shares.map((s) => s.invoiceNumber);
    let p: ProviderPayment;
    try {
      p = await provider.createPayment({
        amount: plan.amount,
        currency: plan.currency,
        metadata: {
          // Names the group, never an invoice: no single-invoice path can book this payment.
          invoiceDocumentId: group.documentId,
          invoiceNumber: numbers.join(', ').slice(0, 450),
          portion: plan.shares.reduce((sum, x) => sum + x.portion, 0),
          fee: plan.shares.reduce((sum, x) => sum + x.fee, 0),
          attemptId: group.documentId,
          paymentGroupId: group.documentId,
        },
        description: `Invoices ${numbers.join(', ')}`.slice(0, 1000),
        receiptEmail: null,
        idempotencyKey,
      });
    } catch (error) {
      // The outcome is unknown (a 500 or a timeout after Stripe made it): a payment made for this
      // group is looked for by its id and ended, so none is left open at the provider. Best effort:
      // the client never got its secret, so it cannot be paid either way.
      if (error instanceof ProviderRequestError && error.outcomeUnknown) {
        const since =
          Math.floor(
            new Date((group as GroupRow & { createdAt?: string | Date }).createdAt ?? Date.now()).getTime() / 1000,
          ) - 60;
        const made = await provider.findPaymentByAttempt(group.documentId, since).catch(() => null);
        if (made && (made.status === 'pending' || made.status === 'failed'))
          await cancelGroupPayment(provider, group.documentId, made);
      }
      // Nothing the client can pay was handed out: the reserved shares block nothing any more.
      await endReservation(group, 'failed', reasonOf(error), idempotencyKey);
      if (isAnswerable(error)) throw error;
      if (error instanceof ProviderRequestError && !error.retryable)
        throw badGateway(error.message, { code: error.code });
      throw badGateway(t('portalApi.providerDown'));
    }
    let recorded = true;
    for (const s of order) {
      const ok = await withInvoiceLock(strapi, s.invoiceDocumentId, async (invoice) => {
        // The lease ran out meanwhile (a very slow provider): an attempt made since did not see this one.
        if (!leaseHeld(invoice, s.invoiceDocumentId)) return false;
        // The invoice changed while the provider made the payment (marked paid, voided, a new total,
        // money booked): whoever changed it could not see a share without the payment's id, so this
        // payment of the old amount is never handed out (as attempts.open re-checks before recording).
        if (groupInvoiceProblem(invoice) || invoice.balanceDue !== planned.get(s.invoiceDocumentId)) return false;
        const { count } = await payments().updateMany({
          where: { shareKey: shareKeyOf(group.documentId, s.invoiceDocumentId), status: { $in: [...LIVE_STATUSES] } },
          data: { sharedPaymentId: p.id, livemode: p.livemode, updatedAt: new Date() },
        });
        return count === 1;
      });
      if (!ok) {
        recorded = false;
        break;
      }
    }
    if (!recorded) {
      // Never handed to the client: ended at the provider, then settled as canceled everywhere.
      const ended = await cancelGroupPayment(provider, group.documentId, p);
      await groups().updateMany({ where: { id: group.id }, data: { providerPaymentId: p.id, idempotencyKey } });
      if (ended) await getService(strapi, 'settlement').applyPayment(ended, { provider, actor });
      await endReservation(group, 'canceled', 'An invoice changed while the payment was being made.');
      throw conflict(t('portalApi.changed'), 'InvoiceChanged');
    }
    await groups().updateMany({
      where: { id: group.id },
      // The key it was made under, for whoever traces it at the provider (written with the answer).
      data: { providerPaymentId: p.id, status: p.status, idempotencyKey },
    });
    await getService(strapi, 'audit').log({
      action: 'payment_group.created',
      actor,
      invoice: null,
      outcome: 'pending',
      details: {
        paymentGroup: group.documentId,
        providerPaymentId: p.id,
        amount: plan.amount,
        currency: plan.currency,
        invoices: plan.shares.map((s) => s.invoiceNumber),
      },
    });
    const saved = { ...group, providerPaymentId: p.id, status: p.status };
    return {
      ...(await view(saved, speech)),
      clientSecret: p.clientSecret ?? '',
      publishableKey,
      replayed: false,
    };
  }

  async function ownGroup(userId: number, groupDocumentId: string, { t }: Speech): Promise<GroupRow> {
    const group = DOC_ID.test(groupDocumentId)
      ? ((await groups().findOne({ where: { documentId: groupDocumentId } })) as GroupRow | null)
      : null;
    if (!group || group.userId !== userId) throw notFound(t('portalApi.paymentNotFound'));
    return group;
  }

  /**
   * The answer to a request retried with the same `requestKey` (its first answer lost or refused):
   * the payment it made, read at the provider now, if the client can still pay it, is paying it or
   * has paid it (domain isReplayableGroupPayment). Null when there is none such (never made, or
   * canceled): the caller retires the old group (retire) and makes the payment as a new click.
   */
  async function replay(same: GroupRow, plan: GroupPlan, publishableKey: string, speech: Speech) {
    // The same key with another selection (other invoices, other amounts) is another payment.
    const split = (shares: readonly GroupShare[]) =>
      JSON.stringify(shares.map((s) => [s.invoiceDocumentId, s.portion, s.fee]).sort());
    if (same.amount !== plan.amount || split(same.shares) !== split(plan.shares))
      throw conflict(speech.t('portalApi.requestKeyReused'), 'RequestKeyReused');
    if (!same.providerPaymentId) return null;
    const provider = await getService(strapi, 'providers').forRow(same);
    let p: ProviderPayment;
    try {
      p = await provider.retrievePayment(same.providerPaymentId);
    } catch (error) {
      if (error instanceof ProviderRequestError) throw badGateway(speech.t('portalApi.providerDown'));
      throw error;
    }
    if (!isReplayableGroupPayment(same.status, p.status)) return null;
    return { ...(await view(same, speech)), clientSecret: p.clientSecret ?? '', publishableKey, replayed: true };
  }

  /**
   * Frees a request key whose payment can no longer be paid, holding its invoices' leases: a payment
   * made for the group but never recorded (the request died, or its answer was refused) is looked
   * for at the provider and canceled (the client never had it), whatever it is then is settled, the
   * group is ended with its reservations, and its key cleared so the retry is made as a new click.
   * A payment that turned out paid or in progress meanwhile refuses the retry (409), never charged twice.
   */
  async function retire(same: GroupRow, actor: Actor, speech: Speech): Promise<void> {
    const provider = await getService(strapi, 'providers').forRow(same);
    const settlement = getService(strapi, 'settlement');
    try {
      let p: ProviderPayment | null = same.providerPaymentId
        ? await provider.retrievePayment(same.providerPaymentId)
        : await provider.findPaymentByAttempt(
            same.documentId,
            Math.floor(new Date((same as GroupRow & { createdAt?: string | Date }).createdAt ?? 0).getTime() / 1000) -
              60,
          );
      if (p && (p.status === 'pending' || p.status === 'failed')) {
        p = await cancelGroupPayment(provider, same.documentId, p);
        if (!p) throw badGateway(speech.t('portalApi.providerDown'));
      }
      if (p) {
        await groups().updateMany({
          where: { id: same.id, providerPaymentId: null },
          data: { providerPaymentId: p.id },
        });
        await settlement.applyPayment(p, { provider, actor });
        if (p.status !== 'canceled') throw conflict(speech.t('portalApi.changed'), 'InvoiceChanged');
      }
    } catch (error) {
      if (isAnswerable(error)) throw error;
      if (error instanceof ProviderRequestError) throw badGateway(speech.t('portalApi.providerDown'));
      throw error;
    }
    // A failed or canceled group was ended when it failed (its own reason kept); a pending one died.
    if (same.status === 'pending') await endReservation(same, 'canceled', 'Retried under the same request key.');
    await groups().updateMany({ where: { id: same.id }, data: { requestKey: null } });
  }
};
