import * as fc from 'fast-check';
import { amountStep, feeSurcharge, splitChargeRefund, splitRefundFee } from '../../../server/src/domain';
import type { FeePassthrough } from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';
import { PROPERTY } from '../../support/property';

const stripeUs: FeePassthrough = { percentBps: 290, fixedMinor: 30 };

describe('feeSurcharge', () => {
  it('grosses up 2.9% + 30 on 100.00 USD to a 3.30 surcharge', () => {
    // ceil(10030 / 0.971) = ceil(10329.55...) = 10330
    expect(feeSurcharge(10000, 'USD', stripeUs)).toBe(330);
  });

  it('returns 0 when there is no fee', () => {
    expect(feeSurcharge(10000, 'USD', { percentBps: 0, fixedMinor: 0 })).toBe(0);
  });

  it('handles fixed-only and percent-only fees', () => {
    expect(feeSurcharge(10000, 'USD', { percentBps: 0, fixedMinor: 30 })).toBe(30);
    // ceil(5000 / 0.964) = ceil(5186.72...) = 5187
    expect(feeSurcharge(5000, 'JPY', { percentBps: 360, fixedMinor: 0 })).toBe(187);
  });

  it('rounds the charge up to the currency step', () => {
    // KWD: ceil(10000 / 0.971) = 10299 -> 10300
    expect(feeSurcharge(10000, 'KWD', { percentBps: 290, fixedMinor: 0 })).toBe(300);
    // ISK: ceil(12300 / 0.971) = 12668 -> 12700
    expect(feeSurcharge(12300, 'ISK', { percentBps: 290, fixedMinor: 0 })).toBe(400);
  });

  it('validates the configuration and amount', () => {
    expectDomainError(() => feeSurcharge(100, 'USD', { percentBps: 2001, fixedMinor: 0 }), 'fee_percent_invalid');
    expectDomainError(() => feeSurcharge(100, 'USD', { percentBps: -1, fixedMinor: 0 }), 'fee_percent_invalid');
    expectDomainError(() => feeSurcharge(100, 'USD', { percentBps: 2.9, fixedMinor: 0 }), 'fee_percent_invalid');
    expectDomainError(() => feeSurcharge(100, 'USD', { percentBps: 290, fixedMinor: -1 }), 'fee_fixed_invalid');
    expectDomainError(() => feeSurcharge(100, 'USD', { percentBps: 290, fixedMinor: 0.5 }), 'fee_fixed_invalid');
    expectDomainError(() => feeSurcharge(10.5, 'USD', stripeUs), 'amount_not_integer');
    expect(feeSurcharge(100, 'USD', { percentBps: 2000, fixedMinor: 0 })).toBe(25); // 100 / 0.8 = 125
  });

  it('always leaves the merchant at least the amount, and at most one step more than needed', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99_999_999 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.integer({ min: 0, max: 100_000 }),
        fc.constantFrom('USD', 'JPY', 'KWD', 'ISK'),
        (amount, percentBps, fixedMinor, currency) => {
          const surcharge = feeSurcharge(amount, currency, { percentBps, fixedMinor });
          const gross = BigInt(amount + surcharge);
          const step = BigInt(amountStep(currency));
          const keep = (g: bigint): bigint => g * BigInt(10_000 - percentBps) - BigInt(fixedMinor) * 10_000n;
          // (amount + surcharge) * (1 - rate) - fixed >= amount, in exact integers (x 10000).
          expect(keep(gross) >= BigInt(amount) * 10_000n).toBe(true);
          // The charge is step-valid (a fee-free config returns 0 and leaves the amount alone).
          if (percentBps > 0 || fixedMinor > 0) expect(gross % step).toBe(0n);
          if (surcharge > 0) {
            // Minimal: one step less would no longer cover the fee.
            expect(keep(gross - step) < BigInt(amount) * 10_000n).toBe(true);
          }
        },
      ),
      { numRuns: PROPERTY.runs(2000), seed: PROPERTY.seed },
    );
  });
});

describe('splitRefundFee', () => {
  const payment = { amount: 10000, fee: 330, currency: 'USD' };

  it('keeps the fee under keep_fee', () => {
    expect(splitRefundFee({ ...payment, refundAmount: 10000, policy: 'keep_fee' })).toBe(0);
  });

  it('refunds the fee proportionally under refund_fee', () => {
    expect(splitRefundFee({ ...payment, refundAmount: 10000, policy: 'refund_fee' })).toBe(330);
    expect(splitRefundFee({ ...payment, refundAmount: 5000, policy: 'refund_fee' })).toBe(165);
    expect(
      splitRefundFee({
        ...payment,
        refundAmount: 5000,
        amountAlreadyRefunded: 5000,
        feeAlreadyRefunded: 165,
        policy: 'refund_fee',
      }),
    ).toBe(165);
  });

  it('partial refunds add up to exactly the fee', () => {
    // 330 * 3333 / 10000 = 109.989 -> 110; cumulative 6666 -> 219.978 -> 220; full -> 330.
    let amountAlreadyRefunded = 0;
    let feeAlreadyRefunded = 0;
    const parts: number[] = [];
    for (const refundAmount of [3333, 3333, 3334]) {
      const fee = splitRefundFee({
        ...payment,
        refundAmount,
        amountAlreadyRefunded,
        feeAlreadyRefunded,
        policy: 'refund_fee',
      });
      parts.push(fee);
      amountAlreadyRefunded += refundAmount;
      feeAlreadyRefunded += fee;
    }
    expect(parts).toEqual([110, 110, 110]);
    expect(feeAlreadyRefunded).toBe(330);
  });

  it('never exceeds the fee, whatever the split', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 1_000_000 }),
        fc.integer({ min: 0, max: 50_000 }),
        fc.array(fc.integer({ min: 1, max: 1000 }), { minLength: 1, maxLength: 8 }),
        (amount, fee, weights) => {
          const totalWeight = weights.reduce((a, b) => a + b, 0);
          let refunded = 0;
          let feeRefunded = 0;
          weights.forEach((w, i) => {
            const refundAmount = i === weights.length - 1 ? amount - refunded : Math.floor((amount * w) / totalWeight);
            const part = splitRefundFee({
              amount,
              fee,
              refundAmount,
              amountAlreadyRefunded: refunded,
              feeAlreadyRefunded: feeRefunded,
              policy: 'refund_fee',
              currency: 'USD',
            });
            expect(part).toBeGreaterThanOrEqual(0);
            refunded += refundAmount;
            feeRefunded += part;
            expect(feeRefunded).toBeLessThanOrEqual(fee);
          });
          expect(feeRefunded).toBe(fee);
        },
      ),
      { numRuns: PROPERTY.runs(500), seed: PROPERTY.seed },
    );
  });

  it('rounds to the currency step (KWD)', () => {
    // 300 * 2500 / 10000 = 75 -> 80 (step 10, half up)
    expect(splitRefundFee({ amount: 10000, fee: 300, refundAmount: 2500, policy: 'refund_fee', currency: 'KWD' })).toBe(
      80,
    );
  });

  it('refuses refunds above what is left', () => {
    expectDomainError(
      () => splitRefundFee({ ...payment, refundAmount: 6000, amountAlreadyRefunded: 5000, policy: 'refund_fee' }),
      'refund_exceeds_payment',
    );
    expectDomainError(() => splitRefundFee({ ...payment, refundAmount: -1, policy: 'refund_fee' }), 'refund_invalid');
  });
});

describe('splitChargeRefund', () => {
  it('books refunds against the invoice portion first', () => {
    expect(splitChargeRefund(0, 10000, 330)).toEqual({ portion: 0, fee: 0 });
    expect(splitChargeRefund(4000, 10000, 330)).toEqual({ portion: 4000, fee: 0 });
    expect(splitChargeRefund(10000, 10000, 330)).toEqual({ portion: 10000, fee: 0 });
    expect(splitChargeRefund(10330, 10000, 330)).toEqual({ portion: 10000, fee: 330 });
  });
  it('never books more than was charged', () => {
    expect(splitChargeRefund(99999, 10000, 330)).toEqual({ portion: 10000, fee: 330 });
    expect(splitChargeRefund(-5, 10000, 330)).toEqual({ portion: 0, fee: 0 });
  });
});
