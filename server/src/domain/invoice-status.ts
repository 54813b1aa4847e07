/**
 * Invoice lifecycle. `paid` / `partially_paid` are never set by hand: they are
 * derived from the payment ledger (deriveInvoiceStatus), so the status can
 * always be recomputed from the money that actually moved.
 */

export const INVOICE_STATUSES = ['draft', 'sent', 'viewed', 'partially_paid', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/**
 * What a refund means for its invoice, chosen per refund (the setting is only the default):
 * `reopen` gives the money back and the client owes it again; `keep_paid` gives it back as a
 * concession, and the invoice stays settled for that amount.
 */
export type RefundPolicy = 'reopen' | 'keep_paid';
export const REFUND_POLICIES: readonly RefundPolicy[] = ['reopen', 'keep_paid'];
export const isRefundPolicy = (value: unknown): value is RefundPolicy =>
  typeof value === 'string' && (REFUND_POLICIES as readonly string[]).includes(value);

export function isInvoiceStatus(value: unknown): value is InvoiceStatus {
  return typeof value === 'string' && (INVOICE_STATUSES as readonly string[]).includes(value);
}

/** Money the client still has: gross succeeded minus everything taken back. */
export function netPaid(input: { amountPaid: number; amountRefunded: number }): number {
  return input.amountPaid - input.amountRefunded;
}

/**
 * Balance due. Can be negative (overpayment); that is reported as is so a
 * caller can surface it instead of it disappearing behind a clamp.
 */
export function computeBalance(input: { total: number; amountPaid: number; amountRefunded: number }): number {
  return input.total - netPaid(input);
}

/**
 * Refunds made with "keep the invoice paid" still count as settling the invoice, but only for what
 * would otherwise be owed again: a refund of surplus money (an overpayment) never makes the
 * invoice look overpaid, and never credits more than the total.
 */
export function keptPaidCredit(input: { total: number; netPaid: number; refundedKeptPaid: number }): number {
  return Math.max(0, Math.min(input.refundedKeptPaid, input.total - input.netPaid));
}

export interface DeriveStatusInput {
  current: InvoiceStatus;
  total: number;
  netPaid: number;
  /** Refunds the admin chose to keep the invoice paid for (keptPaidCredit), minor units. */
  keptPaid?: number;
}

export function deriveInvoiceStatus(input: DeriveStatusInput): InvoiceStatus {
  const { current, total } = input;
  // Voiding is an explicit admin decision; late payment events must not undo it.
  if (current === 'void') return 'void';
  const settled = input.netPaid + (input.keptPaid ?? 0);
  if (settled > 0) {
    if (total > 0 && settled >= total) return 'paid';
    if (settled < total) return 'partially_paid';
    // total <= 0 with money in: nothing is owed, keep whatever the admin set.
    return current;
  }
  // Nothing (left) paid: money went back and the refunds reopened the balance.
  if (current === 'paid' || current === 'partially_paid') return 'sent';
  return current;
}

/** Why a payer cannot pay right now, or null if they can. */
export function payabilityProblem(status: InvoiceStatus, balance: number): string | null {
  switch (status) {
    case 'draft':
      return 'This invoice is a draft and cannot be paid yet.';
    case 'void':
      return 'This invoice has been voided.';
    case 'paid':
      return 'This invoice is already paid.';
    case 'sent':
    case 'viewed':
    case 'partially_paid':
      return balance > 0 ? null : 'This invoice has no balance left to pay.';
  }
}

export function isPayable(status: InvoiceStatus, balance: number): boolean {
  return payabilityProblem(status, balance) === null;
}

/**
 * Manual (admin) status changes. Payment-driven statuses are excluded: an
 * admin records a manual payment instead of flipping an invoice to paid. A paid
 * invoice cannot be voided (refund first); void is final.
 */
const MANUAL_TRANSITIONS: Readonly<Record<InvoiceStatus, readonly InvoiceStatus[]>> = {
  draft: ['sent', 'void'],
  sent: ['viewed', 'void'],
  viewed: ['void'],
  partially_paid: ['void'],
  paid: [],
  void: [],
};

export function canTransitionInvoice(from: InvoiceStatus, to: InvoiceStatus): boolean {
  return MANUAL_TRANSITIONS[from].includes(to);
}
