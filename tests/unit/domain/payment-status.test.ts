import {
  PAYMENT_STATUSES,
  canTransitionPayment,
  failureOccurrence,
  failureToTell,
  isCollectedPaymentStatus,
  isOpenPaymentStatus,
  isPaymentStatus,
  nextPaymentStatus,
} from '../../../server/src/domain';
import type { PaymentStatus } from '../../../server/src/domain';

const OPEN: PaymentStatus[] = ['pending', 'requires_action', 'processing'];

describe('canTransitionPayment', () => {
  it('open statuses may move anywhere else', () => {
    for (const from of OPEN) {
      for (const to of PAYMENT_STATUSES) expect(canTransitionPayment(from, to)).toBe(from !== to);
    }
  });

  it('succeeded never goes back to an open, failed or canceled status', () => {
    for (const to of ['pending', 'requires_action', 'processing', 'failed', 'canceled'] as const) {
      expect(canTransitionPayment('succeeded', to)).toBe(false);
    }
    for (const to of ['partially_refunded', 'refunded', 'disputed'] as const) {
      expect(canTransitionPayment('succeeded', to)).toBe(true);
    }
  });

  it('a failed intent can be retried or canceled, but not reset', () => {
    for (const to of ['succeeded', 'processing', 'requires_action', 'canceled'] as const) {
      expect(canTransitionPayment('failed', to)).toBe(true);
    }
    for (const to of ['pending', 'refunded', 'partially_refunded', 'disputed'] as const) {
      expect(canTransitionPayment('failed', to)).toBe(false);
    }
  });

  it('canceled is final', () => {
    for (const to of PAYMENT_STATUSES) expect(canTransitionPayment('canceled', to)).toBe(false);
  });

  it('refunds only move forward', () => {
    expect(canTransitionPayment('partially_refunded', 'refunded')).toBe(true);
    expect(canTransitionPayment('partially_refunded', 'disputed')).toBe(true);
    expect(canTransitionPayment('partially_refunded', 'succeeded')).toBe(false);
    expect(canTransitionPayment('refunded', 'partially_refunded')).toBe(false);
    expect(canTransitionPayment('refunded', 'succeeded')).toBe(false);
    expect(canTransitionPayment('refunded', 'failed')).toBe(false);
  });

  it('a won dispute returns to a collected status', () => {
    expect(canTransitionPayment('disputed', 'succeeded')).toBe(true);
    expect(canTransitionPayment('disputed', 'partially_refunded')).toBe(true);
    expect(canTransitionPayment('disputed', 'failed')).toBe(false);
    expect(canTransitionPayment('disputed', 'pending')).toBe(false);
  });
});

describe('nextPaymentStatus', () => {
  it('keeps the current status when a stale event arrives', () => {
    expect(nextPaymentStatus('succeeded', 'processing')).toBe('succeeded');
    expect(nextPaymentStatus('succeeded', 'failed')).toBe('succeeded');
    expect(nextPaymentStatus('refunded', 'succeeded')).toBe('refunded');
    expect(nextPaymentStatus('canceled', 'succeeded')).toBe('canceled');
  });

  it('applies forward moves', () => {
    expect(nextPaymentStatus('pending', 'succeeded')).toBe('succeeded');
    expect(nextPaymentStatus('failed', 'succeeded')).toBe('succeeded');
    expect(nextPaymentStatus('succeeded', 'refunded')).toBe('refunded');
    expect(nextPaymentStatus(null, 'processing')).toBe('processing');
  });

  it('replays a whole out-of-order event stream to the right final state', () => {
    const events: PaymentStatus[] = [
      'requires_action',
      'failed',
      'succeeded',
      'processing',
      'pending',
      'partially_refunded',
      'succeeded',
    ];
    const final = events.reduce<PaymentStatus | null>((status, event) => nextPaymentStatus(status, event), null);
    expect(final).toBe('partially_refunded');
  });
});

describe('status groups', () => {
  it('classifies statuses', () => {
    expect(isOpenPaymentStatus('processing')).toBe(true);
    expect(isOpenPaymentStatus('succeeded')).toBe(false);
    expect(isCollectedPaymentStatus('disputed')).toBe(true);
    expect(isCollectedPaymentStatus('failed')).toBe(false);
    expect(isPaymentStatus('refunded')).toBe(true);
    expect(isPaymentStatus('requires_payment_method')).toBe(false);
  });
});

describe('failure emails: one per failure', () => {
  it('a bank debit failure is named by its charge; anything else is one per payment', () => {
    expect(failureOccurrence('sepa_debit', 'ch_1')).toBe('ch_1');
    expect(failureOccurrence('us_bank_account', 'py_2')).toBe('py_2');
    expect(failureOccurrence('card', 'ch_3')).toBe('');
    expect(failureOccurrence('sepa_debit', null)).toBe('');
    expect(failureOccurrence(null, 'ch_4')).toBe('');
  });

  it('tells a failure once, a new debit failure of the same payment again, never an older entry twice', () => {
    expect(failureToTell('', { at: false, occurrence: null })).toBe(true);
    expect(failureToTell('ch_1', { at: false, occurrence: 'ch_1' })).toBe(true); // re-armed
    // Duplicate deliveries of the same failure.
    expect(failureToTell('ch_1', { at: true, occurrence: 'ch_1' })).toBe(false);
    expect(failureToTell('', { at: true, occurrence: '' })).toBe(false);
    // The same payment retried with another account and refused again (its processing never seen).
    expect(failureToTell('ch_2', { at: true, occurrence: 'ch_1' })).toBe(true);
    // A card declined again: no second email.
    expect(failureToTell('', { at: true, occurrence: 'ch_1' })).toBe(false);
    // Told before occurrences were recorded: not told again on that ground.
    expect(failureToTell('ch_2', { at: true, occurrence: null })).toBe(false);
  });
});
