import {
  INVOICE_STATUSES,
  canTransitionInvoice,
  computeBalance,
  deriveInvoiceStatus,
  isInvoiceStatus,
  isPayable,
  keptPaidCredit,
  netPaid,
  payabilityProblem,
} from '../../../server/src/domain';
import type { DeriveStatusInput, InvoiceStatus } from '../../../server/src/domain';

describe('balance', () => {
  it('nets refunds out of payments', () => {
    expect(netPaid({ amountPaid: 10000, amountRefunded: 2500 })).toBe(7500);
    expect(computeBalance({ total: 10000, amountPaid: 10000, amountRefunded: 2500 })).toBe(2500);
    expect(computeBalance({ total: 10000, amountPaid: 0, amountRefunded: 0 })).toBe(10000);
  });

  it('reports overpayment as a negative balance instead of hiding it', () => {
    expect(computeBalance({ total: 10000, amountPaid: 12000, amountRefunded: 0 })).toBe(-2000);
  });
});

describe('deriveInvoiceStatus', () => {
  const derive = (overrides: Partial<DeriveStatusInput>): InvoiceStatus =>
    deriveInvoiceStatus({
      current: 'sent',
      total: 10000,
      netPaid: 0,
      ...overrides,
    });

  it('void stays void whatever the money says', () => {
    expect(derive({ current: 'void', netPaid: 10000 })).toBe('void');
    expect(derive({ current: 'void', netPaid: 5000 })).toBe('void');
  });

  it('paid when net paid reaches the total (including overpayment)', () => {
    expect(derive({ netPaid: 10000 })).toBe('paid');
    expect(derive({ netPaid: 10001 })).toBe('paid');
    expect(derive({ current: 'viewed', netPaid: 10000 })).toBe('paid');
    expect(derive({ current: 'partially_paid', netPaid: 10000 })).toBe('paid');
  });

  it('partially paid in between', () => {
    expect(derive({ netPaid: 1 })).toBe('partially_paid');
    expect(derive({ netPaid: 9999 })).toBe('partially_paid');
    expect(derive({ current: 'paid', netPaid: 4000 })).toBe('partially_paid');
  });

  it('draft stays draft until money arrives', () => {
    expect(derive({ current: 'draft' })).toBe('draft');
    expect(derive({ current: 'draft', netPaid: 500 })).toBe('partially_paid');
    expect(derive({ current: 'draft', netPaid: 10000 })).toBe('paid');
  });

  it('without money, sent/viewed are kept', () => {
    expect(derive({ current: 'sent' })).toBe('sent');
    expect(derive({ current: 'viewed' })).toBe('viewed');
  });

  it('everything refunded with "reopen": back to sent', () => {
    expect(derive({ current: 'paid' })).toBe('sent');
    expect(derive({ current: 'partially_paid' })).toBe('sent');
  });

  it('refunds kept paid still settle the invoice', () => {
    expect(derive({ current: 'paid', keptPaid: 10000 })).toBe('paid');
    expect(derive({ current: 'paid', netPaid: 7000, keptPaid: 3000 })).toBe('paid');
    expect(derive({ current: 'paid', netPaid: 5000, keptPaid: 3000 })).toBe('partially_paid');
  });

  it('the credit of a kept-paid refund covers only what would be owed again', () => {
    expect(keptPaidCredit({ total: 10000, netPaid: 7000, refundedKeptPaid: 3000 })).toBe(3000);
    expect(keptPaidCredit({ total: 10000, netPaid: 10000, refundedKeptPaid: 3000 })).toBe(0);
    expect(keptPaidCredit({ total: 10000, netPaid: 12000, refundedKeptPaid: 3000 })).toBe(0);
    expect(keptPaidCredit({ total: 10000, netPaid: 9000, refundedKeptPaid: 3000 })).toBe(1000);
  });

  it('a zero total is never flipped to paid by the ledger', () => {
    expect(derive({ total: 0, netPaid: 0, current: 'sent' })).toBe('sent');
    expect(derive({ total: 0, netPaid: 100, current: 'sent' })).toBe('sent');
  });
});

describe('payability', () => {
  it('payable only when sent/viewed/partially paid with a balance', () => {
    expect(isPayable('sent', 100)).toBe(true);
    expect(isPayable('viewed', 100)).toBe(true);
    expect(isPayable('partially_paid', 1)).toBe(true);
    expect(isPayable('sent', 0)).toBe(false);
    expect(isPayable('partially_paid', -5)).toBe(false);
    expect(isPayable('draft', 100)).toBe(false);
    expect(isPayable('paid', 100)).toBe(false);
    expect(isPayable('void', 100)).toBe(false);
  });

  it('explains why not', () => {
    expect(payabilityProblem('sent', 100)).toBeNull();
    expect(payabilityProblem('draft', 100)).toBe('This invoice is a draft and cannot be paid yet.');
    expect(payabilityProblem('void', 100)).toBe('This invoice has been voided.');
    expect(payabilityProblem('paid', 0)).toBe('This invoice is already paid.');
    expect(payabilityProblem('viewed', 0)).toBe('This invoice has no balance left to pay.');
  });
});

describe('canTransitionInvoice (manual changes)', () => {
  it('allows the normal admin moves', () => {
    expect(canTransitionInvoice('draft', 'sent')).toBe(true);
    expect(canTransitionInvoice('sent', 'viewed')).toBe(true);
    for (const from of ['draft', 'sent', 'viewed', 'partially_paid'] as const) {
      expect(canTransitionInvoice(from, 'void')).toBe(true);
    }
  });

  it('refuses setting payment-driven statuses by hand, leaving void, and going backwards', () => {
    for (const from of INVOICE_STATUSES) {
      expect(canTransitionInvoice(from, 'paid')).toBe(false);
      expect(canTransitionInvoice(from, 'partially_paid')).toBe(false);
      expect(canTransitionInvoice('void', from)).toBe(false);
      expect(canTransitionInvoice(from, from)).toBe(false);
    }
    expect(canTransitionInvoice('paid', 'void')).toBe(false);
    expect(canTransitionInvoice('sent', 'draft')).toBe(false);
    expect(canTransitionInvoice('viewed', 'sent')).toBe(false);
    expect(canTransitionInvoice('draft', 'viewed')).toBe(false);
  });

  it('recognises statuses', () => {
    expect(isInvoiceStatus('partially_paid')).toBe(true);
    expect(isInvoiceStatus('open')).toBe(false);
    expect(isInvoiceStatus(undefined)).toBe(false);
  });
});
