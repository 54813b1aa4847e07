/**
 * Invoice lifecycle. `paid` / `partially_paid` are never set by hand: they are
 * derived from the payment ledger (deriveInvoiceStatus), so the status can
 * always be recomputed from the money that actually moved.
 */

export const INVOICE_STATUSES = ['draft', 'sent', 'viewed', 'partially_paid', 'paid', 'void'] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** What happens to a paid invoice when all its money goes back to the client. */
export type RefundPolicy = 'reopen' | 'keep_paid';

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

export interface DeriveStatusInput {
  current: InvoiceStatus;
  total: number;
  netPaid: number;
  refundPolicy: RefundPolicy;
  /** Every payment was refunded (by refunds, not lost disputes). */
  fullyRefunded: boolean;
}

export function deriveInvoiceStatus(input: DeriveStatusInput): InvoiceStatus {
  const { current, total, refundPolicy, fullyRefunded } = input;
  // Voiding is an explicit admin decision; late payment events must not undo it.
  if (current === 'void') return 'void';
  if (input.netPaid > 0) {
    if (total > 0 && input.netPaid >= total) return 'paid';
    if (input.netPaid < total) return 'partially_paid';
    // total <= 0 with money in: nothing is owed, keep whatever the admin set.
    return current;
  }
  // Nothing (left) paid.
  if (current === 'paid' || current === 'partially_paid') {
    // Money went back. Reopen so it can be paid again, unless the merchant's
    // policy says a full refund settles the invoice (e.g. a goodwill refund).
    return refundPolicy === 'keep_paid' && fullyRefunded ? 'paid' : 'sent';
  }
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
