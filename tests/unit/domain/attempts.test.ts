import fc from 'fast-check';
import {
  endAfterSettlement,
  overpaymentOf,
  planAttempts,
  type AttemptState,
  type LiveAttempt,
  type NextActionKind,
} from '../../../server/src/domain';

const NOW = 1_800_000_000_000;
const rules = { nowMs: NOW, abandonAuthenticationAfterMs: 10 * 60_000, minCheckoutLifetimeMs: 10 * 60_000 };
const action = (kind: NextActionKind, ageMs: number): AttemptState => ({
  state: 'action',
  nextAction: { kind, providerType: kind, url: null, expiresAt: null, fingerprint: kind },
  sinceMs: NOW - ageMs,
});
const element = (amount: number, current: AttemptState = { state: 'open' }, portion = amount): LiveAttempt => ({
  mode: 'element',
  amount,
  portion,
  ui: null,
  expiresAtMs: null,
  current,
});
const session = (
  amount: number,
  ui: 'hosted' | 'embedded' = 'hosted',
  expiresInMs = 23 * 3600_000,
  portion = amount,
): LiveAttempt => ({
  mode: 'checkout',
  amount,
  portion,
  ui,
  expiresAtMs: NOW + expiresInMs,
  current: { state: 'open' },
});

describe('planAttempts: one live attempt per invoice', () => {
  it('reuses an open payment of the same amount; one of another amount is ended, never changed in place', () => {
    expect(planAttempts([element(3000)], { mode: 'element', amount: 3000, portion: 3000, ui: null }, rules)).toEqual([
      { action: 'reuse' },
    ]);
    // A tab still showing $30.00 could otherwise confirm the same intent at the new amount.
    expect(planAttempts([element(3000)], { mode: 'element', amount: 1000, portion: 1000, ui: null }, rules)).toEqual([
      { action: 'end' },
    ]);
  });

  it('treats the same total split differently (the fee setting changed) as another request', () => {
    expect(
      planAttempts(
        [element(5155, { state: 'open' }, 5000)],
        { mode: 'element', amount: 5155, portion: 5155, ui: null },
        rules,
      ),
    ).toEqual([{ action: 'end' }]);
    expect(
      planAttempts(
        [session(5155, 'hosted', 23 * 3600_000, 5000)],
        { mode: 'checkout', amount: 5155, portion: 5155, ui: 'hosted' },
        rules,
      ),
    ).toEqual([{ action: 'end' }]);
  });

  it('ends every open attempt of the other mode, and a second open one of the same mode', () => {
    expect(
      planAttempts(
        [session(3000), element(3000), element(3000)],
        { mode: 'element', amount: 3000, portion: 3000, ui: null },
        rules,
      ).map((d) => d.action),
    ).toEqual(['end', 'reuse', 'end']);
    expect(
      planAttempts(
        [element(3000), session(3000)],
        { mode: 'checkout', amount: 3000, portion: 3000, ui: 'hosted' },
        rules,
      ).map((d) => d.action),
    ).toEqual(['end', 'reuse']);
  });

  it('reuses a Checkout session only for the same amount and page type, and not when it expires soon', () => {
    expect(
      planAttempts(
        [session(3000, 'embedded')],
        { mode: 'checkout', amount: 3000, portion: 3000, ui: 'hosted' },
        rules,
      )[0]!.action,
    ).toBe('end');
    expect(
      planAttempts([session(2000)], { mode: 'checkout', amount: 3000, portion: 3000, ui: 'hosted' }, rules)[0]!.action,
    ).toBe('end');
    expect(
      planAttempts(
        [session(3000, 'hosted', 5 * 60_000)],
        { mode: 'checkout', amount: 3000, portion: 3000, ui: 'hosted' },
        rules,
      )[0]!.action,
    ).toBe('end');
  });

  it("hands a Checkout session that offers saving to the client's customer to that client only", () => {
    const target = { mode: 'checkout' as const, amount: 3000, portion: 3000, ui: 'hosted' as const };
    const saving = { ...session(3000), saveTo: 'cus_A' };
    // The client again: reused. A pay link (no customer) or another customer: ended, never handed out.
    expect(planAttempts([saving], { ...target, saveTo: 'cus_A' }, rules)[0]!.action).toBe('reuse');
    expect(planAttempts([saving], target, rules)[0]!.action).toBe('end');
    expect(planAttempts([saving], { ...target, saveTo: null }, rules)[0]!.action).toBe('end');
    expect(planAttempts([saving], { ...target, saveTo: 'cus_B' }, rules)[0]!.action).toBe('end');
    // A pay link's session does not offer saving: the logged-in client gets one that does.
    expect(planAttempts([session(3000)], { ...target, saveTo: 'cus_A' }, rules)[0]!.action).toBe('end');
    expect(planAttempts([session(3000)], { ...target, saveTo: null }, rules)[0]!.action).toBe('reuse');
  });

  it("hands a Payment Element payment that saves (or can save) to the client's customer to that client only", () => {
    const target = { mode: 'element' as const, amount: 3000, portion: 3000, ui: null };
    const mine = { ...element(3000), forClient: '7' };
    const saving = { ...mine, saveTo: 'cus_A' };
    // The client again: reused, ticked or not. A pay link: ended, never handed out.
    expect(planAttempts([mine], { ...target, forClient: '7' }, rules)[0]!.action).toBe('reuse');
    expect(planAttempts([saving], { ...target, forClient: '7' }, rules)[0]!.action).toBe('reuse');
    expect(planAttempts([saving], target, rules)[0]!.action).toBe('end');
    expect(planAttempts([mine], { ...target, forClient: undefined }, rules)[0]!.action).toBe('end');
    // The invoice moved to another client: the first client's payment is never handed to the new one.
    expect(planAttempts([mine], { ...target, forClient: '8' }, rules)[0]!.action).toBe('end');
    expect(planAttempts([saving], { ...target, forClient: '8' }, rules)[0]!.action).toBe('end');
    // A payment marked before the mark named the client ('true'): handed to no one.
    expect(
      planAttempts([{ ...element(3000), forClient: 'true' }], { ...target, forClient: '7' }, rules)[0]!.action,
    ).toBe('end');
    expect(planAttempts([{ ...element(3000), forClient: 'true' }], target, rules)[0]!.action).toBe('end');
    // A payment made before the mark existed but saving: still the client's.
    expect(planAttempts([{ ...element(3000), saveTo: 'cus_A' }], target, rules)[0]!.action).toBe('end');
    expect(planAttempts([{ ...element(3000), saveTo: 'cus_A' }], { ...target, forClient: '7' }, rules)[0]!.action).toBe(
      'end',
    );
    // The pay link's payment: reused by the link, ended for the client (its box would make it save).
    expect(planAttempts([element(3000)], target, rules)[0]!.action).toBe('reuse');
    expect(planAttempts([element(3000)], { ...target, forClient: '7' }, rules)[0]!.action).toBe('end');
    // The client's payment waiting on its 3-D Secure step: a pay link waits, never gets it.
    const waiting = { ...saving, current: action('authentication', 1000) };
    expect(planAttempts([waiting], target, rules)[0]!.action).toBe('block');
    expect(planAttempts([waiting], { ...target, forClient: '7' }, rules)[0]!.action).toBe('reuse');
  });

  it('ends a card authentication only once it is abandoned; a fresh one blocks anything else', () => {
    expect(
      planAttempts(
        [element(3000, action('authentication', 11 * 60_000))],
        { mode: 'element', amount: 3000, portion: 3000, ui: null },
        rules,
      )[0]!.action,
    ).toBe('end');
    expect(
      planAttempts(
        [element(3000, action('authentication', 60_000))],
        { mode: 'element', amount: 3000, portion: 3000, ui: null },
        rules,
      )[0]!.action,
    ).toBe('reuse');
    expect(
      planAttempts(
        [element(3000, action('authentication', 60_000))],
        { mode: 'checkout', amount: 3000, portion: 3000, ui: 'hosted' },
        rules,
      )[0],
    ).toMatchObject({ action: 'block', reason: 'authentication' });
  });

  it('never ends a voucher, a bank transfer, a microdeposit verification or an unknown next action, however old', () => {
    for (const kind of ['voucher', 'bank_transfer', 'verify_microdeposits', 'other'] as const) {
      const old = element(3000, action(kind, 30 * 24 * 3600_000));
      expect(planAttempts([old], { mode: 'element', amount: 3000, portion: 3000, ui: null }, rules)[0]!.action).toBe(
        'reuse',
      );
      expect(planAttempts([old], { mode: 'element', amount: 1000, portion: 1000, ui: null }, rules)[0]).toMatchObject({
        action: 'block',
        reason: 'waiting',
      });
      expect(
        planAttempts([old], { mode: 'checkout', amount: 3000, portion: 3000, ui: 'hosted' }, rules)[0],
      ).toMatchObject({ action: 'block', reason: 'waiting' });
    }
  });

  it('settles money that arrived and blocks while a payment is processing', () => {
    expect(
      planAttempts(
        [element(3000, { state: 'succeeded' })],
        { mode: 'element', amount: 3000, portion: 3000, ui: null },
        rules,
      )[0]!.action,
    ).toBe('settle');
    expect(
      planAttempts(
        [element(3000, { state: 'processing' })],
        { mode: 'element', amount: 3000, portion: 3000, ui: null },
        rules,
      )[0],
    ).toMatchObject({ action: 'block', reason: 'processing' });
    expect(
      planAttempts(
        [element(3000, { state: 'ended' })],
        { mode: 'element', amount: 3000, portion: 3000, ui: null },
        rules,
      )[0]!.action,
    ).toBe('gone');
  });

  it('property: at most one attempt is handed out, and nothing payable is left beside it', () => {
    const state = fc.oneof(
      fc.constant<AttemptState>({ state: 'open' }),
      fc.constant<AttemptState>({ state: 'ended' }),
      fc
        .tuple(
          fc.constantFrom<NextActionKind>(
            'authentication',
            'qr_code',
            'voucher',
            'bank_transfer',
            'verify_microdeposits',
            'other',
          ),
          fc.integer({ min: 0, max: 3600_000 }),
        )
        .map(([k, age]) => action(k, age)),
    );
    const attempt = fc.record({
      mode: fc.constantFrom<'element' | 'checkout'>('element', 'checkout'),
      amount: fc.constantFrom(1000, 3000),
      portion: fc.constantFrom(1000, 3000),
      ui: fc.constantFrom<'hosted' | 'embedded' | null>('hosted', 'embedded'),
      expiresAtMs: fc.constant(NOW + 3600_000),
      current: state,
    });
    fc.assert(
      fc.property(
        fc.array(attempt, { maxLength: 6 }),
        fc.record({
          mode: fc.constantFrom<'element' | 'checkout'>('element', 'checkout'),
          amount: fc.constantFrom(1000, 3000),
          ui: fc.constantFrom<'hosted' | 'embedded'>('hosted', 'embedded'),
        }),
        (live, t) => {
          const target = { ...t, portion: t.amount, ui: t.mode === 'checkout' ? t.ui : null };
          const decisions = planAttempts(live, target, rules);
          const handed = decisions.filter((d) => d.action === 'reuse').length;
          expect(handed).toBeLessThanOrEqual(1);
          // Whatever is still open after the plan is the one handed out, or something blocks the request.
          const blocked = decisions.some((d) => d.action === 'block');
          live.forEach((a, i) => {
            if (a.current.state === 'open' && !blocked) expect(['reuse', 'end']).toContain(decisions[i]!.action);
          });
        },
      ),
      { seed: 4242, numRuns: 300 },
    );
  });
});

describe('planAttempts: shares of a multi-invoice payment', () => {
  const share = (current: AttemptState = { state: 'open' }): LiveAttempt => ({
    mode: 'shared',
    amount: 3000,
    portion: 3000,
    ui: null,
    expiresAtMs: null,
    current,
  });
  const single = { mode: 'element' as const, amount: 3000, portion: 3000, ui: null };
  const group = { mode: 'shared' as const, amount: 0, portion: 0, ui: null };

  it('is never reused, for one invoice or another shared payment: an open one is ended', () => {
    for (const target of [
      single,
      group,
      { mode: 'checkout' as const, amount: 3000, portion: 3000, ui: 'hosted' as const },
    ])
      expect(planAttempts([share()], target, rules).map((d) => d.action)).toEqual(['end']);
  });

  it('follows the same abandonment timing as any attempt while the client authenticates', () => {
    for (const target of [single, group]) {
      expect(planAttempts([share(action('authentication', 60_000))], target, rules)[0]).toMatchObject({
        action: 'block',
        reason: 'authentication',
      });
      expect(planAttempts([share(action('authentication', 11 * 60_000))], target, rules)[0]!.action).toBe('end');
      expect(planAttempts([share(action('voucher', 3600_000))], target, rules)[0]).toMatchObject({
        action: 'block',
        reason: 'waiting',
      });
    }
  });

  it('a new shared payment ends open attempts of an invoice and waits for one in progress', () => {
    expect(
      planAttempts(
        [element(3000), session(3000), element(1000, { state: 'processing' }), element(500, { state: 'succeeded' })],
        group,
        rules,
      ).map((d) => d.action),
    ).toEqual(['end', 'end', 'block', 'settle']);
    expect(planAttempts([element(3000, action('authentication', 60_000))], group, rules)[0]!.action).toBe('block');
  });
});

describe('after a payment settles', () => {
  it('ends open attempts and abandonable actions, and vouchers only once nothing is owed', () => {
    expect(endAfterSettlement({ state: 'open' }, 500)).toBe(true);
    expect(endAfterSettlement(action('authentication', 0), 500)).toBe(true);
    expect(endAfterSettlement(action('voucher', 0), 500)).toBe(false);
    expect(endAfterSettlement(action('voucher', 0), 0)).toBe(true);
    expect(endAfterSettlement({ state: 'processing' }, 0)).toBe(false);
  });

  it('measures an overpayment as the excess of this payment, never more than it', () => {
    expect(overpaymentOf(0, 3000)).toBe(0);
    expect(overpaymentOf(-3000, 3000)).toBe(3000);
    expect(overpaymentOf(-5000, 3000)).toBe(3000);
    expect(overpaymentOf(-1000, 3000)).toBe(1000);
  });
});
