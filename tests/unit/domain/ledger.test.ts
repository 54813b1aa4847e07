import { isMoneyOnItsWay, recomputeInvoice, summarizeLedger } from '../../../server/src/domain';
import type { LedgerEntry } from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

const entry = (overrides: Partial<LedgerEntry>): LedgerEntry => ({
  kind: 'card',
  status: 'succeeded',
  amount: 0,
  currency: 'usd',
  fee: 0,
  amountRefunded: 0,
  ...overrides,
});

describe('summarizeLedger', () => {
  const entries: LedgerEntry[] = [
    entry({ amount: 10000, fee: 330 }), //                                           paid 10000, fee 330
    entry({ kind: 'checkout', status: 'partially_refunded', amount: 5000, amountRefunded: 2000 }), // paid 5000, refunded 2000
    entry({ kind: 'manual', amount: 3000, voided: true }), //                         ignored
    entry({ status: 'failed', amount: 10000 }), //                                    ignored
    entry({ status: 'pending', amount: 10000 }), //                                   ignored
    entry({ currency: 'EUR', amount: 4000 }), //                                      mismatched
    entry({ status: 'disputed', amount: 2000, fee: 60, disputeStatus: 'lost', disputedAmount: 2000 }), // paid, then lost
  ];

  it('adds up collected money, refunds, lost disputes and fees', () => {
    const summary = summarizeLedger(entries, 'USD');
    expect(summary.currency).toBe('USD');
    expect(summary.amountPaid).toBe(17000);
    expect(summary.amountRefunded).toBe(4000);
    expect(summary.amountLostInDisputes).toBe(2000);
    expect(summary.netPaid).toBe(13000);
    expect(summary.feesCollected).toBe(390);
    expect(summary.hasOpenDispute).toBe(false);
    expect(summary.fullyRefunded).toBe(false);
  });

  it('reports entries in another currency instead of booking them', () => {
    const summary = summarizeLedger(entries, 'usd');
    expect(summary.mismatched).toHaveLength(1);
    expect(summary.mismatched[0]?.index).toBe(5);
    expect(summary.mismatched[0]?.entry.currency).toBe('EUR');
    const odd = summarizeLedger([entry({ currency: 'xyz', amount: 100 })], 'USD');
    expect(odd.mismatched).toHaveLength(1);
    expect(odd.amountPaid).toBe(0);
  });

  it('flags open disputes and counts them as still paid', () => {
    const summary = summarizeLedger(
      [entry({ status: 'disputed', amount: 5000, disputeStatus: 'open', disputedAmount: 5000 })],
      'USD',
    );
    expect(summary.hasOpenDispute).toBe(true);
    expect(summary.netPaid).toBe(5000);
  });

  it('counts a won dispute as kept money', () => {
    const summary = summarizeLedger([entry({ amount: 5000, disputeStatus: 'won', disputedAmount: 5000 })], 'USD');
    expect(summary.netPaid).toBe(5000);
    expect(summary.amountRefunded).toBe(0);
  });

  it('never takes back more than an entry paid', () => {
    const summary = summarizeLedger(
      [entry({ status: 'disputed', amount: 5000, amountRefunded: 3000, disputeStatus: 'lost', disputedAmount: 5000 })],
      'USD',
    );
    expect(summary.amountRefunded).toBe(5000);
    expect(summary.amountLostInDisputes).toBe(2000);
    expect(summary.netPaid).toBe(0);
    expect(summary.fullyRefunded).toBe(false);
  });

  it('subtracts refunded fees from fees collected', () => {
    const summary = summarizeLedger(
      [entry({ status: 'refunded', amount: 10000, amountRefunded: 10000, fee: 330, feeRefunded: 330 })],
      'USD',
    );
    expect(summary.feesCollected).toBe(0);
    expect(summary.fullyRefunded).toBe(true);
    expect(summary.netPaid).toBe(0);
  });

  it('is empty for no entries', () => {
    expect(summarizeLedger([], 'JPY')).toEqual({
      currency: 'JPY',
      amountPaid: 0,
      amountRefunded: 0,
      amountLostInDisputes: 0,
      netPaid: 0,
      feesCollected: 0,
      hasOpenDispute: false,
      fullyRefunded: false,
      refundedKeptPaid: 0,
      mismatched: [],
    });
  });

  it('refuses corrupt amounts', () => {
    expectDomainError(() => summarizeLedger([entry({ amount: 10.5 })], 'USD'), 'ledger_entry_invalid');
    expectDomainError(
      () => summarizeLedger([entry({ amount: 100, amountRefunded: -1 })], 'USD'),
      'ledger_entry_invalid',
    );
    expectDomainError(() => summarizeLedger([], 'XYZ'), 'unsupported_currency');
  });
});

describe('recomputeInvoice', () => {
  const invoice = { status: 'sent' as const, total: 20000, currency: 'USD' };

  it('partially paid, with fees outside the invoice total', () => {
    const result = recomputeInvoice(invoice, [entry({ amount: 15000, fee: 465 })]);
    expect(result.amountPaid).toBe(15000);
    expect(result.balanceDue).toBe(5000);
    expect(result.status).toBe('partially_paid');
    expect(result.summary.feesCollected).toBe(465);
  });

  it('paid across card and manual payments', () => {
    const result = recomputeInvoice({ ...invoice, status: 'partially_paid' }, [
      entry({ amount: 15000, fee: 465 }),
      entry({ kind: 'manual', amount: 5000 }),
    ]);
    expect(result.balanceDue).toBe(0);
    expect(result.status).toBe('paid');
  });

  it('a voided manual payment reopens the balance', () => {
    const result = recomputeInvoice({ ...invoice, status: 'paid' }, [
      entry({ amount: 15000 }),
      entry({ kind: 'manual', amount: 5000, voided: true }),
    ]);
    expect(result.balanceDue).toBe(5000);
    expect(result.status).toBe('partially_paid');
  });

  it('a full refund reopens or stays paid depending on what each refund was made for', () => {
    const refunded = [entry({ status: 'refunded', amount: 20000, amountRefunded: 20000 })];
    const reopen = recomputeInvoice({ ...invoice, status: 'paid' }, refunded);
    expect(reopen.status).toBe('sent');
    expect(reopen.amountPaid).toBe(20000);
    expect(reopen.amountRefunded).toBe(20000);
    expect(reopen.balanceDue).toBe(20000);
    const kept = recomputeInvoice({ ...invoice, status: 'paid' }, [
      entry({ status: 'refunded', amount: 20000, amountRefunded: 20000, refundedKeptPaid: 20000 }),
    ]);
    expect(kept.status).toBe('paid');
    expect(kept.balanceDue).toBe(0);
    expect(kept.amountRefunded).toBe(20000);
  });

  it('a partial refund kept paid leaves the invoice paid; a reopening one makes it due again', () => {
    const kept = recomputeInvoice({ ...invoice, status: 'paid' }, [
      entry({ status: 'partially_refunded', amount: 20000, amountRefunded: 5000, refundedKeptPaid: 5000 }),
    ]);
    expect(kept.status).toBe('paid');
    expect(kept.balanceDue).toBe(0);
    const reopened = recomputeInvoice({ ...invoice, status: 'paid' }, [
      entry({ status: 'partially_refunded', amount: 20000, amountRefunded: 5000 }),
    ]);
    expect(reopened.status).toBe('partially_paid');
    expect(reopened.balanceDue).toBe(5000);
    // Both kinds on one payment: only the reopening part is owed again.
    const mixed = recomputeInvoice({ ...invoice, status: 'paid' }, [
      entry({ status: 'partially_refunded', amount: 20000, amountRefunded: 8000, refundedKeptPaid: 3000 }),
    ]);
    expect(mixed.balanceDue).toBe(5000);
    expect(mixed.status).toBe('partially_paid');
  });

  it('refunding an overpayment kept paid neither reopens nor leaves the invoice overpaid', () => {
    const result = recomputeInvoice({ ...invoice, status: 'paid' }, [
      entry({ amount: 20000 }),
      entry({ status: 'refunded', amount: 20000, amountRefunded: 20000, refundedKeptPaid: 20000 }),
    ]);
    expect(result.balanceDue).toBe(0);
    expect(result.status).toBe('paid');
  });

  it('a lost dispute reopens even when refunds were kept paid', () => {
    const lost = [entry({ status: 'disputed', amount: 20000, disputeStatus: 'lost', disputedAmount: 20000 })];
    const result = recomputeInvoice({ ...invoice, status: 'paid' }, lost);
    expect(result.status).toBe('sent');
    expect(result.balanceDue).toBe(20000);
  });

  it('a voided invoice stays void even if money arrives', () => {
    const result = recomputeInvoice({ ...invoice, status: 'void' }, [entry({ amount: 20000 })]);
    expect(result.status).toBe('void');
    expect(result.balanceDue).toBe(0);
  });

  it('a payment in the wrong currency is not booked', () => {
    const result = recomputeInvoice(invoice, [entry({ currency: 'EUR', amount: 20000 })]);
    expect(result.status).toBe('sent');
    expect(result.balanceDue).toBe(20000);
    expect(result.summary.mismatched).toHaveLength(1);
  });
});

describe('isMoneyOnItsWay', () => {
  it('a processing payment, a voucher or a transfer may still arrive; a 3-D Secure wait, a void or a flagged row may not', () => {
    expect(isMoneyOnItsWay({ status: 'processing' })).toBe(true);
    expect(isMoneyOnItsWay({ status: 'requires_action', nextActionType: 'voucher' })).toBe(true);
    expect(isMoneyOnItsWay({ status: 'requires_action', nextActionType: 'bank_transfer' })).toBe(true);
    expect(isMoneyOnItsWay({ status: 'requires_action', nextActionType: 'authentication' })).toBe(false);
    expect(isMoneyOnItsWay({ status: 'requires_action', nextActionType: null })).toBe(false);
    expect(isMoneyOnItsWay({ status: 'processing', voidedAt: new Date() })).toBe(false);
    expect(isMoneyOnItsWay({ status: 'processing', mismatch: 'amount differs' })).toBe(false);
    expect(isMoneyOnItsWay({ status: 'succeeded' })).toBe(false);
  });
});
