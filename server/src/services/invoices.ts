import { randomBytes } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import {
  canTransitionInvoice,
  computeInvoiceTotals,
  formatMinor,
  isDomainError,
  isDisputeStatus,
  isInvoiceStatus,
  isMoneyOnItsWay,
  normalizeCurrency,
  recomputeInvoice,
  type InvoiceStatus,
  type LedgerEntry,
  type LineItemInput,
} from '../domain';
import { UID } from '../utils/plugin-id';
import { providerLabel } from '../providers/registry';
import { badRequest } from '../utils/errors';
import { getService } from '../utils/get-service';
import { updateRows } from '../utils/insert-row';
import type { OutEvent } from './events-out';

export interface InvoiceRow {
  id: number;
  documentId: string;
  number: string;
  state: InvoiceStatus;
  currency: string;
  lineItems: unknown;
  taxRateBps: number | null;
  discountAmount: number | null;
  total: number;
  amountPaid: number;
  balanceDue: number;
  payToken?: string | null;
}

export interface PaymentRow {
  id: number;
  kind: LedgerEntry['kind'];
  status: LedgerEntry['status'];
  amount: number;
  currency: string;
  fee: number | null;
  amountRefunded: number | null;
  amountRefundedKeptPaid?: number | null;
  feeRefunded: number | null;
  disputeStatus: string | null;
  disputeProviderStatus?: string | null;
  disputeId?: string | null;
  providerPaymentId?: string | null;
  checkoutSessionId?: string | null;
  /** The gateway holding the payment (null on rows from before the column: Stripe's). */
  provider?: string | null;
  disputedAmount: number | null;
  voidedAt: string | Date | null;
  mismatch: string | null;
  /** Set while the client has a step to take: authentication, a voucher, a bank transfer… */
  nextActionType?: string | null;
}

/** An invoice as its recompute wrote it, with the ledger rows its totals came from. */
export interface Recomputed {
  invoice: InvoiceRow;
  ledger: PaymentRow[];
}

/** A pay-link token: 192 random bits, URL-safe. */
export const newPayToken = () => randomBytes(24).toString('base64url');

/** Ledger rows as the domain sees them. Flagged (mismatched) rows are never booked. */
export function toLedgerEntries(rows: readonly PaymentRow[]): LedgerEntry[] {
  return rows
    .filter((r) => !r.mismatch)
    .map((r) => ({
      kind: r.kind,
      status: r.status,
      amount: r.amount,
      currency: r.currency,
      fee: r.fee ?? 0,
      amountRefunded: r.amountRefunded ?? 0,
      refundedKeptPaid: r.amountRefundedKeptPaid ?? 0,
      feeRefunded: r.feeRefunded ?? 0,
      disputeStatus: isDisputeStatus(r.disputeStatus) ? r.disputeStatus : null,
      disputedAmount: r.disputedAmount ?? 0,
      voided: r.voidedAt != null,
    }));
}

function toDomainProblem(error: unknown): never {
  if (isDomainError(error)) {
    const field = typeof error.details?.field === 'string' ? error.details.field : 'lineItems';
    throw badRequest(error.message, [{ path: field.split('.'), message: error.message }]);
  }
  throw error;
}

function parseLineItems(value: unknown): LineItemInput[] {
  const items = typeof value === 'string' ? (JSON.parse(value) as unknown) : value;
  if (!Array.isArray(items) || items.length === 0) {
    throw badRequest('Add at least one line item (description, quantity, unitAmount in minor units).', [
      { path: ['lineItems'], message: 'At least one line item is required.' },
    ]);
  }
  return items.map((item: unknown, i) => {
    if (typeof item !== 'object' || item === null) {
      throw badRequest(`Line item ${i + 1} must be an object with description, quantity and unitAmount.`, [
        { path: ['lineItems', String(i)], message: 'Not an object.' },
      ]);
    }
    const o = item as Record<string, unknown>;
    return {
      description: String(o.description ?? ''),
      quantity: o.quantity as number | string,
      unitAmount: o.unitAmount as number,
    };
  });
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  async function ledgerRows(invoiceId: number): Promise<PaymentRow[]> {
    // The entries' ids from the invoice's link rows (indexed by invoice), as a subquery. Strapi's
    // `where: { invoice: { id } }` LEFT JOINs from the ledger, which SQLite runs as a scan of every
    // entry of every invoice (EXPLAIN QUERY PLAN: SCAN payments), growing with the history.
    const { joinTable } = strapi.db.metadata.get(UID.payment).attributes.invoice as unknown as {
      joinTable: { name: string; joinColumn: { name: string }; inverseJoinColumn: { name: string } };
    };
    const ids = strapi.db
      .connection(joinTable.name)
      .select(joinTable.joinColumn.name)
      .where(joinTable.inverseJoinColumn.name, invoiceId);
    return (await strapi.db
      .query(UID.payment)
      .findMany({ where: { id: { $in: ids } }, orderBy: { id: 'asc' } })) as PaymentRow[];
  }

  /**
   * Everything derived on an invoice, from its line items and its ledger, with the checks a
   * requested change must pass. Pure of writes: `recompute` and `checkWrite` use it.
   */
  async function derive(
    merged: Record<string, unknown>,
    existing: InvoiceRow | null,
    moneyEdited = true,
    /** The invoice's ledger rows when the caller has read them already. */
    preloadedLedger?: PaymentRow[],
  ): Promise<Record<string, unknown>> {
    let currency: string;
    try {
      currency = normalizeCurrency(merged.currency ?? 'USD');
    } catch (error) {
      return toDomainProblem(isDomainError(error) ? Object.assign(error, { details: { field: 'currency' } }) : error);
    }
    let totals;
    try {
      totals = computeInvoiceTotals({
        currency,
        lineItems: parseLineItems(merged.lineItems),
        taxRateBps: (merged.taxRateBps as number | null) ?? 0,
        discountAmount: (merged.discountAmount as number | null) ?? 0,
      });
    } catch (error) {
      return toDomainProblem(error);
    }
    const rows = existing ? (preloadedLedger ?? (await ledgerRows(existing.id))) : [];
    const requested = merged.state ?? existing?.state ?? 'draft';
    if (!isInvoiceStatus(requested)) {
      throw badRequest(`Unknown invoice state "${String(requested)}". Use one of: draft, sent, viewed, void.`, [
        { path: ['state'], message: 'Unknown state.' },
      ]);
    }
    if (requested !== existing?.state && (requested === 'paid' || requested === 'partially_paid')) {
      throw badRequest(
        'An invoice becomes paid through its payments. Use "Mark as paid" to record a payment received another way.',
        [{ path: ['state'], message: 'Set by payments.' }],
      );
    }
    if (existing && requested !== existing.state && !canTransitionInvoice(existing.state, requested)) {
      throw badRequest(`An invoice cannot go from ${existing.state} to ${requested}.`, [
        { path: ['state'], message: 'Not allowed.' },
      ]);
    }
    if (existing && currency !== existing.currency && rows.length > 0) {
      throw badRequest('The currency cannot change once the invoice has payments.', [
        { path: ['currency'], message: 'Locked by payments.' },
      ]);
    }
    const ledger = toLedgerEntries(rows);
    const money = recomputeInvoice({ status: requested, total: totals.total, currency }, ledger);
    if (requested === 'void' && existing?.state !== 'void' && money.summary.netPaid > 0) {
      throw badRequest('Refund or void the payments on this invoice before voiding it.', [
        { path: ['state'], message: 'Has payments.' },
      ]);
    }
    const moving = rows.filter(isMoneyOnItsWay);
    // `amount` is the invoice's part; `fee` is a surcharge on top of it (domain/ledger.ts).
    const inFlight = moving.reduce((sum, r) => sum + r.amount, 0);
    // Who holds the money on its way, by name ("Stripe", "Mollie").
    const holders = [...new Set(moving.map((r) => providerLabel(r.provider)))].join(' or ') || 'the payment provider';
    if (requested === 'void' && existing && existing.state !== 'void' && inFlight > 0) {
      throw badRequest(
        `${formatMinor(inFlight, currency)} is still on its way from the client (a payment ${holders} is processing, or a voucher or bank transfer not completed yet). Void the invoice once it has failed or been refunded.`,
        [{ path: ['state'], message: 'Money on its way.' }],
      );
    }
    if (moneyEdited && existing && money.summary.netPaid > totals.total && money.summary.netPaid > 0) {
      throw badRequest('The new total is below what has already been paid. Refund the difference first.', [
        { path: ['lineItems'], message: 'Below amount paid.' },
      ]);
    }
    // Money on its way (a debit Stripe is processing, a voucher or transfer the client may still
    // complete) cannot be cancelled: a lower total would turn it into an overpayment to refund.
    if (moneyEdited && existing && inFlight > 0 && totals.total < money.summary.netPaid + inFlight) {
      throw badRequest(
        `${formatMinor(inFlight, currency)} is on its way from the client (a payment ${holders} is processing, or a voucher or bank transfer not completed yet), so the total cannot go below ${formatMinor(money.summary.netPaid + inFlight, currency)} until it has arrived or failed.`,
        [{ path: ['lineItems'], message: 'Below money on its way.' }],
      );
    }
    // Attention flags: entries not booked (amount/currency mismatch), or more paid than owed.
    const reasons = rows.filter((r) => r.mismatch).map((r) => r.mismatch as string);
    for (const r of rows) {
      if (r.disputeStatus === 'unknown' && !r.voidedAt) {
        reasons.push(
          `Payment ${r.providerPaymentId ?? r.id} has dispute ${r.disputeId ?? ''} in status "${r.disputeProviderStatus ?? 'unknown'}", which this plugin does not know: check it in the ${providerLabel(r.provider)} Dashboard. The payment stays booked as it was until the dispute reaches a known status.`,
        );
      }
    }
    if (requested === 'void' && money.summary.netPaid > 0)
      reasons.push(
        `Paid ${formatMinor(money.summary.netPaid, currency)} after it was voided: refund it from the payment history.`,
      );
    if (money.balanceDue < 0)
      reasons.push(
        `Overpaid by ${formatMinor(-money.balanceDue, currency)}: refund the difference from the payment history (or turn on "Refund overpayments").`,
      );
    return {
      currency,
      lineItems: totals.lines,
      subtotal: totals.subtotal,
      tax: totals.tax,
      total: totals.total,
      amountPaid: money.amountPaid,
      amountRefunded: money.amountRefunded,
      balanceDue: money.balanceDue,
      state: money.status,
      disputeOpen: money.summary.hasOpenDispute,
      needsAttention: reasons.length > 0 || money.summary.mismatched.length > 0,
      attentionReason: reasons.length > 0 ? reasons.join(' ') : null,
    };
  }

  /** Fields only `recompute` writes: whatever a caller sends in them is dropped. */
  const DERIVED_FIELDS = [
    'subtotal',
    'tax',
    'total',
    'amountPaid',
    'amountRefunded',
    'balanceDue',
    'needsAttention',
    'disputeOpen',
    'attentionReason',
  ] as const;

  /**
   * The one place an invoice's totals, balance, status and attention flags are written: derived
   * from its stored line items and its ledger by the domain functions. Call it inside the
   * invoice lock (utils/lock.ts withInvoiceLock) after any change to either.
   */
  async function recompute(invoiceId: number): Promise<InvoiceRow> {
    const row = (await strapi.db.query(UID.invoice).findOne({ where: { id: invoiceId } })) as InvoiceRow | null;
    if (!row) throw new Error(`recompute: invoice ${invoiceId} does not exist.`);
    return (await recomputeLedger(row)).invoice;
  }

  /**
   * `recompute` for a caller holding the invoice's lock with its row (read by the lock itself): the
   * row is not read again, and the ledger rows the totals came from are returned with it.
   */
  /** Events out for what money changed on the invoice (services/events-out.ts), in the same transaction. */
  async function recordStateEvents(was: InvoiceRow, after: InvoiceRow): Promise<void> {
    const before = was as unknown as Record<string, unknown>;
    const now = after as unknown as Record<string, unknown>;
    const events: OutEvent[] = [];
    if (now.state !== before.state && now.state === 'paid') events.push('invoice.paid');
    if (now.state !== before.state && now.state === 'partially_paid') events.push('invoice.partially-paid');
    if (Number(now.amountRefunded ?? 0) > Number(before.amountRefunded ?? 0)) events.push('invoice.refunded');
    if (now.disputeOpen === true && before.disputeOpen !== true) events.push('invoice.disputed');
    if (events.length === 0) return;
    const out = getService(strapi, 'events-out');
    for (const event of events) await out.record(event, now as unknown as Parameters<typeof out.record>[1]);
  }

  async function recomputeLedger(locked: InvoiceRow): Promise<Recomputed> {
    return recomputeWith(locked, await ledgerRows(locked.id));
  }

  /**
   * recomputeLedger for several invoices the caller's transaction holds locked, their ledgers read
   * together (the join table's rows of all of them, then their entries) and their rows written
   * together: three statements, not two per invoice. Results in the order given.
   */
  async function recomputeLedgers(locked: readonly InvoiceRow[]): Promise<Recomputed[]> {
    if (locked.length === 0) return [];
    const { joinTable } = strapi.db.metadata.get(UID.payment).attributes.invoice as unknown as {
      joinTable: { name: string; joinColumn: { name: string }; inverseJoinColumn: { name: string } };
    };
    const own = joinTable.joinColumn.name;
    const target = joinTable.inverseJoinColumn.name;
    // Inside the caller's transaction (a nested transaction joins it): the links it wrote are read.
    const links = (await strapi.db.transaction(({ trx }) =>
      trx(joinTable.name)
        .select({ payment: own, invoice: target })
        .whereIn(
          target,
          locked.map((r) => r.id),
        ),
    )) as Array<{ payment: number | string; invoice: number | string }>;
    const invoiceOf = new Map(links.map((l) => [Number(l.payment), Number(l.invoice)]));
    const rows = invoiceOf.size
      ? ((await strapi.db
          .query(UID.payment)
          .findMany({ where: { id: { $in: [...invoiceOf.keys()] } }, orderBy: { id: 'asc' } })) as PaymentRow[])
      : [];
    const ledgers = new Map<number, PaymentRow[]>(locked.map((r) => [r.id, []]));
    for (const row of rows) ledgers.get(invoiceOf.get(Number(row.id)) as number)?.push(row);
    const done: Array<Recomputed & { data: Record<string, unknown> }> = [];
    for (const row of locked) {
      const ledger = ledgers.get(row.id) ?? [];
      const { data, after } = await recomputed(row, ledger);
      done.push({ invoice: after, ledger, data });
    }
    // The invoices are written together (updateRows: one statement, the caller holds their locks),
    // with the events they make.
    await updateRows(
      strapi,
      UID.invoice,
      done.map((d, i) => ({ id: locked[i]!.id, data: d.data })),
    );
    for (const [i, d] of done.entries()) await recordStateEvents(locked[i]!, d.invoice);
    return done.map(({ invoice, ledger }) => ({ invoice, ledger }));
  }

  /**
   * What a recompute writes on a locked invoice (its derived fields, from its ledger) and the row
   * as a read would give it afterwards (dates as ISO strings), without writing it.
   */
  async function recomputed(locked: InvoiceRow, ledger: PaymentRow[]) {
    const row = locked as InvoiceRow & Record<string, unknown>;
    // The stored state is the request: only money moves it (to paid, partially paid, back).
    const derived = await derive(row, row, false, ledger);
    // Line items and currency are input (normalized by checkWrite); only what follows from them is written.
    const { lineItems: _lines, currency: _currency, ...data } = derived as Record<string, unknown>;
    const now = new Date();
    if (derived.state === 'paid' && row.state !== 'paid') data.paidAt = now;
    data.updatedAt = now;
    const written = Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v]),
    );
    return { data, after: { ...row, ...written } as unknown as InvoiceRow };
  }

  async function recomputeWith(locked: InvoiceRow, ledger: PaymentRow[]): Promise<Recomputed> {
    const { data, after } = await recomputed(locked, ledger);
    // The update and the events it makes commit together (joins the caller's transaction, if any).
    const invoice = await strapi.db.transaction(async () => {
      // updateMany: one UPDATE, without update()'s reads before and after (and the timestamp
      // update() would set).
      await strapi.db.query(UID.invoice).updateMany({ where: { id: locked.id }, data });
      await recordStateEvents(locked, after);
      return after;
    });
    return { invoice, ledger };
  }

  /**
   * Checks an invoice write that came through the document service (the Content Manager, the
   * plugin's editor, any content API) before it is written: the line items, currency and state it
   * asks for, against the stored invoice and its ledger. Derived fields are dropped from `data`
   * (recompute writes them after the write); line items and currency are stored normalized.
   */
  async function checkWrite(data: Record<string, unknown>, existing: InvoiceRow | null): Promise<void> {
    for (const key of ['payToken', ...DERIVED_FIELDS]) delete data[key];
    const merged = existing ? { ...existing, ...data } : data;
    const moneyEdited =
      !existing || ['lineItems', 'taxRateBps', 'discountAmount', 'currency'].some((k) => data[k] !== undefined);
    const derived = await derive(merged, existing, moneyEdited);
    if (!existing || data.currency !== undefined) data.currency = derived.currency;
    if (!existing || data.lineItems !== undefined) data.lineItems = derived.lineItems;
    if (!existing) {
      // Never taken from input: only the plugin issues pay-link tokens.
      data.payToken = newPayToken();
      // An invoice is issued today unless it says otherwise (the Content Manager leaves it empty).
      if (data.issueDate == null || data.issueDate === '') data.issueDate = new Date().toISOString().slice(0, 10);
      if (data.state === 'sent' && !data.sentAt) data.sentAt = new Date();
    } else if (data.state === 'sent' && existing.state === 'draft' && !data.sentAt) {
      data.sentAt = new Date();
    }
  }

  return {
    derive,
    ledgerRows,
    recompute,
    recomputeLedger,
    recomputeLedgers,
    checkWrite,
    DERIVED_FIELDS,
  };
};
