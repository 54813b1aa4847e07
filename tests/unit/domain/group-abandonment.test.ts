import {
  decideAbandonedGroup,
  isAbandonedGroupCandidate,
  isReplayableGroupPayment,
  PAYMENT_STATUSES,
} from '../../../server/src/domain';

const MIN = 60_000;

describe('isAbandonedGroupCandidate', () => {
  const now = 1_000 * MIN;
  const group = (over: Partial<{ status: string; providerPaymentId: string | null; updatedAtMs: number }>) => ({
    status: 'pending',
    providerPaymentId: 'pi_1',
    updatedAtMs: now - 10 * MIN,
    ...over,
  });
  it('takes a pending group untouched for the whole time', () => {
    expect(isAbandonedGroupCandidate(group({}), now, 10 * MIN)).toBe(true);
  });
  it('leaves one touched more recently', () => {
    expect(isAbandonedGroupCandidate(group({ updatedAtMs: now - 10 * MIN + 1 }), now, 10 * MIN)).toBe(false);
  });
  it('leaves one without a provider payment (the reservation sweep recovers those)', () => {
    expect(isAbandonedGroupCandidate(group({ providerPaymentId: null }), now, 10 * MIN)).toBe(false);
  });
  it('takes a declined one handed back for another card (failed)', () => {
    expect(isAbandonedGroupCandidate(group({ status: 'failed' }), now, 10 * MIN)).toBe(true);
  });
  it.each(['requires_action', 'processing', 'succeeded', 'canceled'])('leaves a group stored as %s', (s) => {
    expect(isAbandonedGroupCandidate(group({ status: s }), now, 10 * MIN)).toBe(false);
  });
});

describe('decideAbandonedGroup', () => {
  it('ends what is still unpaid', () => {
    expect(decideAbandonedGroup('pending')).toBe('end');
    expect(decideAbandonedGroup('failed')).toBe('end');
  });
  it('leaves a payment the client or the bank is completing', () => {
    expect(decideAbandonedGroup('requires_action')).toBe('leave');
    expect(decideAbandonedGroup('processing')).toBe('leave');
  });
  it('settles whatever collected money, never cancels it', () => {
    for (const s of ['succeeded', 'partially_refunded', 'refunded', 'disputed'] as const)
      expect(decideAbandonedGroup(s)).toBe('settle');
  });
  it('only closes one already canceled at the provider', () => {
    expect(decideAbandonedGroup('canceled')).toBe('close');
  });
  it('has an answer for every status', () => {
    for (const s of PAYMENT_STATUSES) expect(['end', 'leave', 'settle', 'close']).toContain(decideAbandonedGroup(s));
  });
});

describe('isReplayableGroupPayment', () => {
  it('replays a payment still payable, in progress or paid', () => {
    for (const s of ['pending', 'failed', 'requires_action', 'processing', 'succeeded', 'refunded'] as const)
      expect(isReplayableGroupPayment('pending', s)).toBe(true);
  });
  it('never replays one canceled at the provider, nor one this site ended whatever the provider says', () => {
    expect(isReplayableGroupPayment('pending', 'canceled')).toBe(false);
    expect(isReplayableGroupPayment('canceled', 'pending')).toBe(false);
    expect(isReplayableGroupPayment('canceled', 'succeeded')).toBe(false);
  });
});
