import * as fc from 'fast-check';
import {
  allocateGroupDispute,
  allocateGroupRefunds,
  groupDisputedPortions,
  amountStep,
  feeSurcharge,
  formatMinor,
  minimumChargeMinor,
  partialMinimum,
  planGroupPayment,
  recencyOrder,
  splitProportional,
  type GroupInvoice,
  type PlanInput,
} from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';
import { PROPERTY } from '../../support/property';

const inv = (over: Partial<GroupInvoice> & { id: number }): GroupInvoice => ({
  documentId: `doc${String(over.id).padStart(10, '0')}`,
  number: `INV-${over.id}`,
  currency: 'USD',
  state: 'sent',
  balanceDue: 10000,
  issueDate: '2026-01-01',
  ...over,
});

const base = (invoices: GroupInvoice[], over: Partial<PlanInput> = {}): PlanInput => ({
  invoices,
  partialAllowed: false,
  minimumPortion: minimumChargeMinor,
  step: amountStep,
  feeOf: () => 0,
  formatMinor,
  ...over,
});

describe('planGroupPayment', () => {
  it('splits into one share per invoice, most recently issued first, adding up to the charge', () => {
    const plan = planGroupPayment(
      base([
        inv({ id: 1, issueDate: '2026-01-01', balanceDue: 1000 }),
        inv({ id: 2, issueDate: '2026-03-01', balanceDue: 2500 }),
      ]),
    );
    expect(plan.currency).toBe('USD');
    expect(plan.amount).toBe(3500);
    expect(plan.shares.map((s) => [s.invoiceNumber, s.portion, s.fee])).toEqual([
      ['INV-2', 2500, 0],
      ['INV-1', 1000, 0],
    ]);
  });

  it('refuses an empty list, duplicates, mixed currencies, drafts, voids, paid invoices', () => {
    expectDomainError(() => planGroupPayment(base([])), 'empty_selection');
    expectDomainError(() => planGroupPayment(base([inv({ id: 1 }), inv({ id: 1 })])), 'duplicate_invoice');
    expectDomainError(
      () => planGroupPayment(base([inv({ id: 1 }), inv({ id: 2, currency: 'EUR' })])),
      'mixed_currencies',
    );
    for (const state of ['draft', 'void', 'paid'])
      expectDomainError(() => planGroupPayment(base([inv({ id: 1 }), inv({ id: 2, state })])), 'invoice_not_payable');
    expectDomainError(() => planGroupPayment(base([inv({ id: 1, balanceDue: 0 })])), 'invoice_not_payable');
  });

  it('allows a partial amount only when partial payments are on, within the minimum and the balance', () => {
    const a = inv({ id: 1 });
    expectDomainError(() => planGroupPayment(base([a], { amounts: { [a.documentId]: 5000 } })), 'partial_not_allowed');
    const on = { partialAllowed: true };
    expect(planGroupPayment(base([a], { ...on, amounts: { [a.documentId]: 5000 } })).amount).toBe(5000);
    expectDomainError(
      () => planGroupPayment(base([a], { ...on, amounts: { [a.documentId]: 10 } })),
      'amount_below_minimum',
    );
    expectDomainError(
      () => planGroupPayment(base([a], { ...on, amounts: { [a.documentId]: 10001 } })),
      'amount_above_balance',
    );
    const k = inv({ id: 2, currency: 'KWD', balanceDue: 10000 });
    expectDomainError(() => planGroupPayment(base([k], { ...on, amounts: { [k.documentId]: 5005 } })), 'amount_step');
    expectDomainError(
      () => planGroupPayment(base([a], { ...on, amounts: { other0000000: 100 } })),
      'amount_for_unselected',
    );
  });

  it('splits the surcharge over the shares so portions and fees add up to the charge, in the currency step', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'KWD'),
        fc.array(fc.integer({ min: 1, max: 5_000_000 }), { minLength: 1, maxLength: 8 }),
        fc.integer({ min: 0, max: 2000 }),
        (currency, balances, bps) => {
          const step = amountStep(currency);
          const invoices = balances.map((b, i) =>
            inv({
              id: i + 1,
              currency,
              balanceDue: Math.max(step, b - (b % step)),
              issueDate: `2026-01-${(i % 28) + 1}`,
            }),
          );
          const plan = planGroupPayment(
            base(invoices, { feeOf: (a, c) => feeSurcharge(a, c, { percentBps: bps, fixedMinor: 0 }) }),
          );
          const sum = plan.shares.reduce((s, x) => s + x.portion + x.fee, 0);
          expect(sum).toBe(plan.amount);
          for (const s of plan.shares) {
            expect(s.fee % step).toBe(0);
            expect(s.portion % step).toBe(0);
          }
          expect(new Set(plan.shares.map((s) => s.invoiceDocumentId)).size).toBe(invoices.length);
        },
      ),
      { numRuns: PROPERTY.runs(300) },
    );
  });
});

describe('partialMinimum', () => {
  const rules = (c: string) => ({ providerMinimum: minimumChargeMinor(c), step: amountStep(c) });
  it('is the largest of the provider minimum, the admin amount (default currency only) and the share', () => {
    const limits = { minimumAmount: 2000, minimumPercent: 25, defaultCurrency: 'USD' };
    expect(partialMinimum(4000, 'USD', limits, rules('USD'))).toBe(2000);
    expect(partialMinimum(40000, 'USD', limits, rules('USD'))).toBe(10000);
    // Another currency: the admin amount does not apply, the percentage does.
    expect(partialMinimum(4000, 'EUR', limits, rules('EUR'))).toBe(1000);
    // KWD: a quarter of 12350 is 3087.5 -> 3088 -> 3090 (step 10).
    expect(partialMinimum(12350, 'KWD', limits, rules('KWD'))).toBe(3090);
    expect(partialMinimum(30, 'USD', { ...limits, minimumAmount: 0 }, rules('USD'))).toBe(30);
  });
  it('never exceeds the balance, is a step multiple below it, and at least the provider minimum', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('USD', 'JPY', 'KWD'),
        fc.integer({ min: 1, max: 99_999_999 }),
        fc.integer({ min: 0, max: 100 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        (c, balance, pct, amount) => {
          const min = partialMinimum(
            balance,
            c,
            { minimumAmount: amount, minimumPercent: pct, defaultCurrency: 'USD' },
            rules(c),
          );
          expect(min).toBeLessThanOrEqual(balance);
          if (min < balance) {
            expect(min % amountStep(c)).toBe(0);
            expect(min).toBeGreaterThanOrEqual(minimumChargeMinor(c));
            expect(min * 100).toBeGreaterThanOrEqual(balance * pct);
          }
        },
      ),
      { numRuns: PROPERTY.runs(300) },
    );
  });
});

describe('splitProportional', () => {
  it('always adds up to the total, never negative, deterministic', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.array(fc.integer({ min: 0, max: 99_999_999 }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(1, 10, 100),
        (total, weights, step) => {
          const t = total - (total % step);
          const parts = splitProportional(t, weights, step);
          expect(parts.reduce((s, x) => s + x, 0)).toBe(t);
          for (const p of parts) {
            expect(p).toBeGreaterThanOrEqual(0);
            expect(p % step).toBe(0);
          }
          expect(splitProportional(t, weights, step)).toEqual(parts);
        },
      ),
      { numRuns: PROPERTY.runs(500) },
    );
  });
});

describe('recencyOrder', () => {
  it('puts the most recently issued first, undated last, then higher id first', () => {
    const order = recencyOrder([
      { id: 1, issueDate: '2026-01-01' },
      { id: 2, issueDate: null },
      { id: 3, issueDate: '2026-02-01' },
      { id: 4, issueDate: '2026-02-01' },
    ]);
    expect(order.map((x) => x.id)).toEqual([4, 3, 1, 2]);
  });
});

describe('allocateGroupRefunds', () => {
  it('gives a targeted refund to its share and splits the rest most recent first (JPY, no rounding)', () => {
    const pieces = allocateGroupRefunds(
      [3000, 2000, 1000],
      [
        { id: 'r1', amount: 500, holds: true, target: 2, created: 1 },
        { id: 'r2', amount: 3500, holds: true, target: null, created: 2 },
      ],
    );
    expect(pieces.get('r1')).toEqual([0, 0, 500]);
    expect(pieces.get('r2')).toEqual([3000, 500, 0]);
  });

  it('a failed refund takes nothing from what later refunds can take', () => {
    const pieces = allocateGroupRefunds(
      [1000, 1000],
      [
        { id: 'r1', amount: 1000, holds: false, target: null, created: 1 },
        { id: 'r2', amount: 1000, holds: true, target: null, created: 2 },
      ],
    );
    expect(pieces.get('r2')).toEqual([1000, 0]);
  });

  it('never gives a share more than it holds, adds up to each refund, and is stable under reordering', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 1_000_000 }), { minLength: 1, maxLength: 6 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 1_000_000 }), fc.boolean(), fc.integer({ min: -1, max: 5 })), {
          maxLength: 6,
        }),
        (shares, raw) => {
          // Refunds the provider could make: never more than what is left of the payment.
          let left = shares.reduce((s, x) => s + x, 0);
          const perShareLeft = [...shares];
          const refunds = raw.flatMap(([amount, holds, t], i) => {
            const target = t >= 0 && t < shares.length ? t : null;
            const cap = target === null ? left : perShareLeft[target]!;
            const a = Math.min(amount, cap);
            if (a <= 0) return [];
            if (holds) {
              left -= a;
              if (target !== null) perShareLeft[target]! -= a;
              else {
                // Untargeted: takes most recent first from the shares' remaining.
                let rest = a;
                for (let k = 0; k < perShareLeft.length && rest > 0; k++) {
                  const take = Math.min(rest, perShareLeft[k]!);
                  perShareLeft[k]! -= take;
                  rest -= take;
                }
              }
            }
            return [{ id: `re_${i}`, amount: a, holds, target, created: i }];
          });
          const pieces = allocateGroupRefunds(shares, refunds);
          const given = shares.map(() => 0);
          for (const r of refunds) {
            const p = pieces.get(r.id)!;
            expect(p.reduce((s, x) => s + x, 0)).toBe(r.amount);
            if (r.holds) p.forEach((x, k) => (given[k]! += x));
          }
          given.forEach((g, k) => expect(g).toBeLessThanOrEqual(shares[k]!));
          // Listed in another order (a reordered webhook): the same pieces.
          const again = allocateGroupRefunds(shares, [...refunds].reverse());
          for (const r of refunds) expect(again.get(r.id)).toEqual(pieces.get(r.id));
        },
      ),
      { numRuns: PROPERTY.runs(500) },
    );
  });
});

describe('allocateGroupRefunds: booked pieces stay', () => {
  it('a refund failing later does not move a later refund onto another invoice', () => {
    const shares = [3000, 1000];
    const a = { id: 're_a', amount: 2000, holds: true, target: null, created: 1 };
    const b = { id: 're_b', amount: 1500, holds: true, target: null, created: 2 };
    const first = allocateGroupRefunds(shares, [a, b]);
    expect(first.get('re_b')).toEqual([1000, 500]);
    // A fails; B's pieces are on record.
    const later = allocateGroupRefunds(shares, [
      { ...a, holds: false, booked: [2000, null] },
      { ...b, booked: [1000, 500] },
    ]);
    expect(later.get('re_b')).toEqual([1000, 500]);
    // A new refund after that gets the room A gave back, most recent first.
    const c = allocateGroupRefunds(shares, [
      { ...a, holds: false, booked: [2000, null] },
      { ...b, booked: [1000, 500] },
      { id: 're_c', amount: 2500, holds: true, target: null, created: 3 },
    ]);
    expect(c.get('re_c')).toEqual([2000, 500]);
  });

  it('a refund booked on some shares only (a crash between them) places the rest on the others', () => {
    const out = allocateGroupRefunds(
      [3000, 1000],
      [{ id: 're_b', amount: 3500, holds: true, target: null, created: 1, booked: [3000, null] }],
    );
    expect(out.get('re_b')).toEqual([3000, 500]);
  });
});

describe('allocateGroupDispute', () => {
  it('takes the disputed amount from the most recent share first and adds up to it', () => {
    expect(allocateGroupDispute(2500, [2000, 1000, 500])).toEqual([2000, 500, 0]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1_000_000 }), { minLength: 1, maxLength: 6 }), (net) => {
        const total = net.reduce((s, x) => s + x, 0);
        const pieces = allocateGroupDispute(total, net);
        expect(pieces).toEqual(net);
      }),
      { numRuns: PROPERTY.runs(200) },
    );
  });
});

describe('groupDisputedPortions', () => {
  it('splits a dispute of the whole charge (surcharge included) most recent first; each share books at most its portion', () => {
    // Shares 3000 + 90 and 1000 + 30, disputed in full (4120).
    const shares = [
      { portion: 3000, fee: 90, held: 0 },
      { portion: 1000, fee: 30, held: 0 },
    ];
    expect(groupDisputedPortions(4120, shares)).toEqual([3000, 1000]);
    // A partial dispute reaches the most recent share first, its surcharge part included.
    expect(groupDisputedPortions(3090, shares)).toEqual([3000, 0]);
    expect(groupDisputedPortions(3100, shares)).toEqual([3000, 10]);
    // What refunds took back is not disputed again: a share refunded in full gets nothing.
    expect(
      groupDisputedPortions(1030, [
        { portion: 3000, fee: 90, held: 3090 },
        { portion: 1000, fee: 30, held: 0 },
      ]),
    ).toEqual([0, 1000]);
  });

  it('property: never more than a share holds or its portion, and all of the dispute is placed while the shares hold it', () => {
    const share = fc.record({
      portion: fc.integer({ min: 0, max: 1_000_000 }),
      fee: fc.integer({ min: 0, max: 50_000 }),
      held: fc.integer({ min: 0, max: 1_050_000 }),
    });
    fc.assert(
      fc.property(fc.array(share, { minLength: 1, maxLength: 6 }), fc.integer({ min: 0, max: 100 }), (list, pct) => {
        const shares = list.map((s) => ({ ...s, held: Math.min(s.held, s.portion + s.fee) }));
        const holds = shares.map((s) => s.portion + s.fee - s.held);
        const disputed = Math.floor((holds.reduce((t, x) => t + x, 0) * pct) / 100);
        const pieces = groupDisputedPortions(disputed, shares);
        pieces.forEach((p, i) => {
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(Math.min(shares[i]!.portion, holds[i]!));
        });
        // The pieces before the portion cap add up to the dispute (domain allocateGroupDispute).
        expect(allocateGroupDispute(disputed, holds).reduce((t, x) => t + x, 0)).toBe(disputed);
      }),
      { numRuns: PROPERTY.runs(200) },
    );
  });
});
