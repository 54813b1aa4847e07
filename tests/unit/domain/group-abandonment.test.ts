import {
  authenticationWaitedMs,
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
  it('takes one waiting for the client to authenticate (the provider then says whether it still is)', () => {
    expect(isAbandonedGroupCandidate(group({ status: 'requires_action' }), now, 10 * MIN)).toBe(true);
  });
  it.each(['processing', 'succeeded', 'canceled'])('leaves a group stored as %s', (s) => {
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
  it('ends a 3-D Secure step left unfinished on the same challenge for the whole time', () => {
    const wait = { waitedMs: 10 * MIN, abandonAfterMs: 10 * MIN };
    expect(decideAbandonedGroup('requires_action', { kind: 'authentication', ...wait })).toBe('end');
  });
  it('leaves a 3-D Secure step younger than that, or whose clock is not started for this challenge', () => {
    expect(
      decideAbandonedGroup('requires_action', {
        kind: 'authentication',
        waitedMs: 10 * MIN - 1,
        abandonAfterMs: 10 * MIN,
      }),
    ).toBe('leave');
    expect(
      decideAbandonedGroup('requires_action', { kind: 'authentication', waitedMs: null, abandonAfterMs: 10 * MIN }),
    ).toBe('leave');
  });
  it.each(['qr_code', 'voucher', 'bank_transfer', 'verify_microdeposits', 'other'] as const)(
    'never ends a payment waiting on a %s, however old (it expires on its own, or money is on its way)',
    (kind) => {
      expect(decideAbandonedGroup('requires_action', { kind, waitedMs: 1_000 * MIN, abandonAfterMs: 10 * MIN })).toBe(
        'leave',
      );
    },
  );
});

describe('authenticationWaitedMs', () => {
  const now = 1_000 * MIN;
  const next = { fingerprint: 'challenge-2' };
  it('counts from the earliest share clock started for this very challenge', () => {
    const shares = [
      { actionSince: new Date(now - 12 * MIN), nextActionKey: 'challenge-2' },
      { actionSince: new Date(now - 11 * MIN).toISOString(), nextActionKey: 'challenge-2' },
    ];
    expect(authenticationWaitedMs(next, shares, now)).toBe(12 * MIN);
  });
  it('ignores clocks of an earlier challenge (the client was asked again: the clock starts again)', () => {
    const shares = [{ actionSince: new Date(now - 60 * MIN), nextActionKey: 'challenge-1' }];
    expect(authenticationWaitedMs(next, shares, now)).toBeNull();
  });
  it('is null without a clock or without a next step', () => {
    expect(authenticationWaitedMs(next, [{ actionSince: null, nextActionKey: null }], now)).toBeNull();
    expect(authenticationWaitedMs(null, [{ actionSince: new Date(0), nextActionKey: 'challenge-2' }], now)).toBeNull();
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
