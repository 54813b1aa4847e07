import { computeInvoiceTotals } from '../../../server/src/domain';
import type { LineItemInput } from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

const line = (quantity: number | string, unitAmount: number, description = 'Work'): LineItemInput => ({
  description,
  quantity,
  unitAmount,
});

describe('computeInvoiceTotals', () => {
  it('USD: several lines, fractional quantities, discount and 8.25% tax', () => {
    const result = computeInvoiceTotals({
      currency: 'usd',
      lineItems: [
        line(3, 1999), //           3 x 19.99  = 59.97
        line('1.5', 12000), //      1.5 x 120  = 180.00
        line(0.333, 10000), //      0.333 x 100 = 33.30
        line('2.125', 333), //      2.125 x 3.33 = 7.07625 -> 7.08 (half up)
      ],
      taxRateBps: 825,
      discountAmount: 1000,
    });
    expect(result.currency).toBe('USD');
    expect(result.lines.map((l) => l.lineTotal)).toEqual([5997, 18000, 3330, 708]);
    expect(result.subtotal).toBe(28035);
    expect(result.discount).toBe(1000);
    // (28035 - 1000) * 8.25% = 2230.3875 -> 2230
    expect(result.tax).toBe(2230);
    expect(result.total).toBe(29265);
  });

  it('USD: rounds half up on lines and on tax', () => {
    const result = computeInvoiceTotals({
      currency: 'USD',
      lineItems: [line('0.5', 1), line('0.5', 3), line(1, 996)], // 0.5 -> 1, 1.5 -> 2, 996
      taxRateBps: 825, // 999 * 8.25% = 82.4175 -> 82
    });
    expect(result.lines.map((l) => l.lineTotal)).toEqual([1, 2, 996]);
    expect(result.subtotal).toBe(999);
    expect(result.tax).toBe(82);
    expect(result.total).toBe(1081);

    const half = computeInvoiceTotals({ currency: 'USD', lineItems: [line(1, 1000)], taxRateBps: 825 });
    expect(half.tax).toBe(83); // 82.5 -> 83
    expect(half.total).toBe(1083);
  });

  it('JPY: no fractional yen anywhere', () => {
    const result = computeInvoiceTotals({
      currency: 'JPY',
      lineItems: [line(3, 1500), line('1.5', 999)], // 4500, 1498.5 -> 1499
      taxRateBps: 1000,
    });
    expect(result.lines.map((l) => l.lineTotal)).toEqual([4500, 1499]);
    expect(result.subtotal).toBe(5999);
    expect(result.tax).toBe(600); // 599.9 -> 600
    expect(result.total).toBe(6599);

    const discounted = computeInvoiceTotals({
      currency: 'JPY',
      lineItems: [line(3, 1500), line('1.5', 999)],
      taxRateBps: 1000,
      discountAmount: 99,
    });
    expect(discounted.tax).toBe(590); // 5900 * 10%
    expect(discounted.total).toBe(6490);
  });

  it('KWD: every amount ends in 0', () => {
    const result = computeInvoiceTotals({
      currency: 'KWD',
      lineItems: [line(2, 12500), line('1.5', 3333)], // 25.000, 4.9995 -> 5.000
      taxRateBps: 825, // 30.000 * 8.25% = 2.475 -> 2.480
    });
    expect(result.lines.map((l) => l.lineTotal)).toEqual([25000, 5000]);
    expect(result.subtotal).toBe(30000);
    expect(result.tax).toBe(2480);
    expect(result.total).toBe(32480);

    const discounted = computeInvoiceTotals({
      currency: 'KWD',
      lineItems: [line(2, 12500), line('1.5', 3333)],
      taxRateBps: 825, // 29.500 * 8.25% = 2.43375 -> 2.430
      discountAmount: 500,
    });
    expect(discounted.tax).toBe(2430);
    expect(discounted.total).toBe(31930);
    for (const value of [discounted.subtotal, discounted.tax, discounted.total]) expect(value % 10).toBe(0);
  });

  it('KWD: rounds once, straight to the step (no double rounding)', () => {
    // 0.5 x 24.689 = 12.3445; nearest valid amount is 12.340, not 12.350.
    const result = computeInvoiceTotals({ currency: 'KWD', lineItems: [line('0.5', 24689)] });
    expect(result.lines[0]?.lineTotal).toBe(12340);
  });

  it('KWD: refuses a discount that would leave a non-zero last digit', () => {
    const err = expectDomainError(
      () => computeInvoiceTotals({ currency: 'KWD', lineItems: [line(1, 10000)], discountAmount: 15 }),
      'discount_bad_step',
    );
    expect(err.details).toMatchObject({ field: 'discountAmount' });
  });

  it('ISK: whole krónur, 24% VAT', () => {
    const result = computeInvoiceTotals({
      currency: 'ISK',
      lineItems: [line('1.25', 9900)], // 123.75 -> 124
      taxRateBps: 2400, // 124 * 24% = 29.76 -> 30
    });
    expect(result.lines[0]?.lineTotal).toBe(12400);
    expect(result.tax).toBe(3000);
    expect(result.total).toBe(15400);
  });

  it('keeps extra line fields and zero-priced lines', () => {
    const result = computeInvoiceTotals({
      currency: 'EUR',
      lineItems: [
        { id: 'a', description: 'Consulting', quantity: '2', unitAmount: 5000 },
        { id: 'b', description: 'Free setup', quantity: 1, unitAmount: 0 },
      ],
    });
    expect(result.lines).toEqual([
      { id: 'a', description: 'Consulting', quantity: '2', unitAmount: 5000, lineTotal: 10000 },
      { id: 'b', description: 'Free setup', quantity: 1, unitAmount: 0, lineTotal: 0 },
    ]);
    expect(result.tax).toBe(0);
    expect(result.total).toBe(10000);
  });

  it('allows a discount equal to the subtotal', () => {
    const result = computeInvoiceTotals({
      currency: 'USD',
      lineItems: [line(1, 500)],
      discountAmount: 500,
      taxRateBps: 825,
    });
    expect(result.total).toBe(0);
  });

  describe('validation', () => {
    const base = { currency: 'USD', lineItems: [line(1, 100)] };

    it('needs line items', () => {
      expectDomainError(() => computeInvoiceTotals({ currency: 'USD', lineItems: [] }), 'line_items_empty');
    });

    it('needs descriptions, with the field path', () => {
      const err = expectDomainError(
        () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(1, 100), line(1, 100, '   ')] }),
        'description_required',
      );
      expect(err.details).toMatchObject({ field: 'lineItems[1].description' });
      expect(err.message).toBe('Line 2 needs a description.');
    });

    it('refuses bad unit amounts', () => {
      for (const unitAmount of [-1, 1.5, Number.NaN, 2 ** 53, '100' as unknown as number]) {
        const err = expectDomainError(
          () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(1, unitAmount)] }),
          'unit_amount_invalid',
        );
        expect(err.details).toMatchObject({ field: 'lineItems[0].unitAmount' });
      }
    });

    it('refuses non-positive or malformed quantities', () => {
      for (const quantity of [0, '0', '0.000', -1, '-1', 'abc', '1,5', '', Number.NaN]) {
        const err = expectDomainError(
          () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(quantity, 100)] }),
          'quantity_invalid',
        );
        expect(err.details).toMatchObject({ field: 'lineItems[0].quantity' });
      }
    });

    it('refuses quantities with more than 3 decimals', () => {
      expectDomainError(
        () => computeInvoiceTotals({ currency: 'USD', lineItems: [line('1.2345', 100)] }),
        'quantity_bad_precision',
      );
      expectDomainError(
        () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(0.1 + 0.2, 100)] }),
        'quantity_bad_precision',
      );
      expect(computeInvoiceTotals({ currency: 'USD', lineItems: [line('1.2340', 100)] }).total).toBe(123); // 123.4
    });

    it('refuses bad tax rates', () => {
      for (const taxRateBps of [-1, 10001, 8.25]) {
        const err = expectDomainError(() => computeInvoiceTotals({ ...base, taxRateBps }), 'tax_rate_invalid');
        expect(err.details).toMatchObject({ field: 'taxRateBps' });
      }
      expect(computeInvoiceTotals({ ...base, taxRateBps: 10000 }).total).toBe(200);
    });

    it('refuses bad discounts', () => {
      expectDomainError(() => computeInvoiceTotals({ ...base, discountAmount: -1 }), 'discount_invalid');
      expectDomainError(() => computeInvoiceTotals({ ...base, discountAmount: 1.5 }), 'discount_invalid');
      expectDomainError(() => computeInvoiceTotals({ ...base, discountAmount: 101 }), 'discount_exceeds_subtotal');
    });

    it('refuses totals above the Stripe maximum', () => {
      expectDomainError(
        () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(2, 99_999_999)] }),
        'total_too_large',
      );
      expectDomainError(
        () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(1000, Number.MAX_SAFE_INTEGER)] }),
        'total_too_large',
      );
      // Subtotal exactly at the limit is fine; tax pushing it over is not.
      expect(computeInvoiceTotals({ currency: 'USD', lineItems: [line(1, 99_999_999)] }).total).toBe(99_999_999);
      const err = expectDomainError(
        () => computeInvoiceTotals({ currency: 'USD', lineItems: [line(1, 99_999_999)], taxRateBps: 1 }),
        'total_too_large',
      );
      expect(err.details).toMatchObject({ field: 'total' });
      expect(err.message).toBe('The invoice total cannot be more than $999,999.99.');
    });

    it('refuses unsupported currencies', () => {
      expectDomainError(
        () => computeInvoiceTotals({ currency: 'ABC', lineItems: [line(1, 1)] }),
        'unsupported_currency',
      );
    });
  });
});
