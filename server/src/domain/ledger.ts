import { normalizeCurrency } from './currency-table';
import { DomainError } from './errors';
import { computeBalance, deriveInvoiceStatus, keptPaidCredit } from './invoice-status';
import type { InvoiceStatus } from './invoice-status';
import { isCollectedPaymentStatus } from './payment-status';
import type { PaymentStatus } from './payment-status';

/**
 * Turns the ledger (every payment attempt recorded against an invoice) into
 * the invoice's money figures. Invoices never store a paid amount that cannot
 * be recomputed from here.
 *
 * Amounts are in the invoice's minor units and always refer to the invoice
 * portion: `amount` is what the payment settles on the invoice, `fee` is the
 * passed-through card surcharge on top of it (card charge = amount + fee), so
 * fees never count towards the invoice total. `amountRefunded` and
 * `disputedAmount` are likewise invoice-portion amounts; fee refunds are
 * tracked separately in `feeRefunded`.
 */

export type LedgerEntryKind = 'card' | 'checkout' | 'manual';
/**
 * Where a dispute stands, for the books: `open` (an inquiry or a chargeback, appeal included, still
 * running), `won`, `lost`, `closed` (ended without a chargeback decision and without losing the
 * money: an inquiry closed, a dispute prevented), or `unknown` (a status this code does not know:
 * the money is left as it was and the invoice is flagged for a person to look at).
 */
export type DisputeStatus = 'open' | 'won' | 'lost' | 'closed' | 'unknown';
export const DISPUTE_STATUSES: readonly DisputeStatus[] = ['open', 'won', 'lost', 'closed', 'unknown'];
export const isDisputeStatus = (value: unknown): value is DisputeStatus =>
  typeof value === 'string' && (DISPUTE_STATUSES as readonly string[]).includes(value);

export interface LedgerEntry {
  kind: LedgerEntryKind;
  status: PaymentStatus;
  amount: number;
  currency: string;
  fee: number;
  amountRefunded: number;
  /** Of amountRefunded, refunds made with "keep the invoice paid" (a concession, not owed again). */
  refundedKeptPaid?: number;
  feeRefunded?: number;
  disputeStatus?: DisputeStatus | null;
  disputedAmount?: number;
  /** Manual entries an admin recorded by mistake are voided, never deleted. */
  voided?: boolean;
}

export interface MismatchedEntry {
  index: number;
  entry: LedgerEntry;
}

export interface LedgerSummary {
  currency: string;
  /** Gross invoice-portion amount of collected payments. */
  amountPaid: number;
  /** Refunded plus lost in disputes (invoice portion). */
  amountRefunded: number;
  /** Of amountRefunded, the part lost in disputes. */
  amountLostInDisputes: number;
  /** Of amountRefunded, refunds the admin chose to keep the invoice paid for. */
  refundedKeptPaid: number;
  netPaid: number;
  /** Surcharges kept (fee minus fee refunded). */
  feesCollected: number;
  hasOpenDispute: boolean;
  /** Money was collected and all of it went back through refunds. */
  fullyRefunded: boolean;
  /** Entries in another currency: not booked, an admin must look at them. */
  mismatched: MismatchedEntry[];
}

function checkMinor(value: number, field: string, index: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new DomainError(
      'ledger_entry_invalid',
      `Ledger entry ${index + 1} has an invalid ${field}; amounts must be whole, non-negative minor units.`,
      { index, field, value },
    );
  }
  return value;
}

export function summarizeLedger(entries: readonly LedgerEntry[], invoiceCurrency: string): LedgerSummary {
  const currency = normalizeCurrency(invoiceCurrency);
  let amountPaid = 0;
  let refunded = 0;
  let keptPaid = 0;
  let lost = 0;
  let feesCollected = 0;
  let hasOpenDispute = false;
  const mismatched: MismatchedEntry[] = [];

  entries.forEach((entry, index) => {
    if (entry.voided === true) return;
    // Compared without normalizeCurrency: an unsupported code on an entry is
    // still a mismatch to report, not a reason to fail the whole invoice.
    if (typeof entry.currency !== 'string' || entry.currency.trim().toUpperCase() !== currency) {
      mismatched.push({ index, entry });
      return;
    }
    if (entry.disputeStatus === 'open') hasOpenDispute = true;
    if (!isCollectedPaymentStatus(entry.status)) return;

    const amount = checkMinor(entry.amount, 'amount', index);
    const entryRefunded = checkMinor(entry.amountRefunded, 'amountRefunded', index);
    const entryLost =
      entry.disputeStatus === 'lost' ? checkMinor(entry.disputedAmount ?? amount, 'disputedAmount', index) : 0;
    const fee = checkMinor(entry.fee, 'fee', index);
    const feeRefunded = Math.min(checkMinor(entry.feeRefunded ?? 0, 'feeRefunded', index), fee);

    // Nothing can take back more than was paid on this entry; refunds first,
    // the dispute loss covers what is left.
    const refundedHere = Math.min(entryRefunded, amount);
    const lostHere = Math.min(entryLost, amount - refundedHere);

    amountPaid += amount;
    refunded += refundedHere;
    keptPaid += Math.min(checkMinor(entry.refundedKeptPaid ?? 0, 'refundedKeptPaid', index), refundedHere);
    lost += lostHere;
    feesCollected += fee - feeRefunded;
  });

  const amountRefunded = refunded + lost;
  return {
    currency,
    amountPaid,
    amountRefunded,
    amountLostInDisputes: lost,
    refundedKeptPaid: keptPaid,
    netPaid: amountPaid - amountRefunded,
    feesCollected,
    hasOpenDispute,
    fullyRefunded: amountPaid > 0 && refunded >= amountPaid,
    mismatched,
  };
}

export interface InvoiceMoney {
  amountPaid: number;
  amountRefunded: number;
  balanceDue: number;
  status: InvoiceStatus;
  summary: LedgerSummary;
}

export function recomputeInvoice(
  invoice: { status: InvoiceStatus; total: number; currency: string },
  entries: readonly LedgerEntry[],
): InvoiceMoney {
  const summary = summarizeLedger(entries, invoice.currency);
  // Each refund says what it means for the invoice (reopen the balance or keep it paid).
  const keptPaid = keptPaidCredit({
    total: invoice.total,
    netPaid: summary.netPaid,
    refundedKeptPaid: summary.refundedKeptPaid,
  });
  const status = deriveInvoiceStatus({
    current: invoice.status,
    total: invoice.total,
    netPaid: summary.netPaid,
    keptPaid,
  });
  return {
    amountPaid: summary.amountPaid,
    amountRefunded: summary.amountRefunded,
    balanceDue:
      computeBalance({
        total: invoice.total,
        amountPaid: summary.amountPaid,
        amountRefunded: summary.amountRefunded,
      }) - keptPaid,
    status,
    summary,
  };
}

/**
 * Money that may still arrive and cannot be stopped: a payment the provider is processing (a bank
 * debit), or one waiting on a step only the client can finish outside our page (a voucher, a bank
 * transfer, microdeposits). A card waiting for 3-D Secure is not: it is simply cancelled.
 */
export function isMoneyOnItsWay(p: {
  status: string;
  nextActionType?: string | null;
  voidedAt?: unknown;
  mismatch?: string | null;
}): boolean {
  if (p.voidedAt || p.mismatch) return false;
  return (
    p.status === 'processing' ||
    (p.status === 'requires_action' && !!p.nextActionType && p.nextActionType !== 'authentication')
  );
}
