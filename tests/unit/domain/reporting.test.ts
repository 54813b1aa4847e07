import {
  csvAmount,
  fillMonths,
  lastMonths,
  monthOf,
  neutralizeFormula,
  readMinorSum,
  utcDay,
} from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

describe('calendar months (UTC)', () => {
  it('a month runs from its first instant to the first instant of the next', () => {
    const m = monthOf(new Date('2026-11-30T23:59:59.999Z'));
    expect(m.key).toBe('2026-11');
    expect(m.start.toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(m.end.toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(monthOf(new Date('2026-12-01T00:00:00.000Z')).key).toBe('2026-12');
  });

  it('the last 12 months cross the year boundary, oldest first, ending with the current month', () => {
    const months = lastMonths(new Date('2026-02-14T10:00:00Z'));
    expect(months.map((m) => m.key)).toEqual([
      '2025-03',
      '2025-04',
      '2025-05',
      '2025-06',
      '2025-07',
      '2025-08',
      '2025-09',
      '2025-10',
      '2025-11',
      '2025-12',
      '2026-01',
      '2026-02',
    ]);
    // Contiguous: each month ends where the next starts.
    for (let i = 1; i < months.length; i += 1) expect(months[i]!.start.getTime()).toBe(months[i - 1]!.end.getTime());
    expect(months[1]!.start.toISOString()).toBe('2025-04-01T00:00:00.000Z');
  });

  it('refuses a nonsensical window or date', () => {
    expectDomainError(() => lastMonths(new Date(), 0), 'months_invalid');
    expectDomainError(() => monthOf(new Date('nope')), 'date_invalid');
  });

  it('today is the UTC calendar day', () => {
    expect(utcDay(new Date('2026-03-01T00:30:00+02:00'))).toBe('2026-02-28');
  });
});

describe('fillMonths', () => {
  const months = lastMonths(new Date('2026-11-05T00:00:00Z'), 3); // 2026-09, 10, 11

  it('gives every currency a point for every month, zero where nothing moved', () => {
    const series = fillMonths(
      months,
      [
        { currency: 'usd', month: '2026-09', amount: 182750 },
        { currency: 'JPY', month: '2026-11', amount: 1500 },
        { currency: 'USD', month: '2026-11', amount: 50 },
        { currency: 'USD', month: '2025-01', amount: 999 }, // outside the window
      ],
      [{ currency: 'USD', month: '2026-11', amount: 100 }],
    );
    expect(series).toEqual([
      {
        currency: 'JPY',
        points: [
          { month: '2026-09', collected: 0, refunded: 0, net: 0 },
          { month: '2026-10', collected: 0, refunded: 0, net: 0 },
          { month: '2026-11', collected: 1500, refunded: 0, net: 1500 },
        ],
      },
      {
        currency: 'USD',
        points: [
          { month: '2026-09', collected: 182750, refunded: 0, net: 182750 },
          { month: '2026-10', collected: 0, refunded: 0, net: 0 },
          { month: '2026-11', collected: 50, refunded: 100, net: -50 },
        ],
      },
    ]);
  });

  it('nothing collected: no series at all (the dashboard shows its empty state)', () => {
    expect(fillMonths(months, [], [])).toEqual([]);
  });
});

describe('readMinorSum', () => {
  it('reads what SQLite, PostgreSQL and MySQL return for SUM', () => {
    expect(readMinorSum(182750)).toBe(182750);
    expect(readMinorSum('182750')).toBe(182750);
    expect(readMinorSum('182750.0000')).toBe(182750); // MySQL DECIMAL
    expect(readMinorSum(null)).toBe(0); // SUM over no rows
    expect(readMinorSum(BigInt(12))).toBe(12);
  });

  it('refuses anything that is not whole minor units', () => {
    expectDomainError(() => readMinorSum('12.5'), 'sum_invalid');
    expectDomainError(() => readMinorSum('1e3'), 'sum_invalid');
    expectDomainError(() => readMinorSum(Number.MAX_SAFE_INTEGER + 2), 'sum_invalid');
  });
});

describe('CSV cells', () => {
  it.each([
    ['=HYPERLINK("http://evil.test","x")', `'=HYPERLINK("http://evil.test","x")`],
    ['+1+2', "'+1+2"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1)', "'@SUM(A1)"],
    ['\tcmd', "'\tcmd"],
    ['\rcmd', "'\rcmd"],
    ['Ada Lovelace', 'Ada Lovelace'],
    ['a=b', 'a=b'],
    ['', ''],
  ])('neutralizes %j', (input, expected) => {
    expect(neutralizeFormula(input)).toBe(expected);
  });

  it('amounts are major units with the currency decimals', () => {
    expect(csvAmount(182750, 'USD')).toBe('1827.50');
    expect(csvAmount(1500, 'JPY')).toBe('1500');
    expect(csvAmount(12345, 'KWD')).toBe('12.345');
    expect(csvAmount(null, 'USD')).toBe('0.00');
  });
});
