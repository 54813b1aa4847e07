import { DomainError } from './errors';
import { minorToMajorString } from './money';

/**
 * The pure parts of the dashboard and the CSV exports: calendar months (UTC), filling months
 * that had no money, reading the sums databases hand back, and neutralising spreadsheet formulas.
 * The sums themselves are made by the database (services/reports.ts).
 */

export interface MonthBucket {
  /** "2026-11" */
  key: string;
  /** First instant of the month, UTC (inclusive). */
  start: Date;
  /** First instant of the next month, UTC (exclusive). */
  end: Date;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** The calendar month (UTC) that contains `now`. */
export function monthOf(now: Date): MonthBucket {
  if (Number.isNaN(now.getTime())) throw new DomainError('date_invalid', 'Invalid date.', {});
  const y = now.getUTCFullYear();
  const m = now.getUTCMonth();
  return { key: `${y}-${pad(m + 1)}`, start: new Date(Date.UTC(y, m, 1)), end: new Date(Date.UTC(y, m + 1, 1)) };
}

/** The last `count` calendar months (UTC) up to and including the one of `now`, oldest first. */
export function lastMonths(now: Date, count = 12): MonthBucket[] {
  if (!Number.isInteger(count) || count < 1 || count > 120)
    throw new DomainError('months_invalid', 'Between 1 and 120 months.', { count });
  const current = monthOf(now);
  const y = current.start.getUTCFullYear();
  const m = current.start.getUTCMonth();
  return Array.from({ length: count }, (_, i) => monthOf(new Date(Date.UTC(y, m - (count - 1 - i), 1))));
}

/** Today (UTC) as YYYY-MM-DD: due dates are calendar dates compared as text. */
export const utcDay = (now: Date): string => now.toISOString().slice(0, 10);

/**
 * A SUM as the driver returns it: a number (SQLite), a string (PostgreSQL bigint/numeric, MySQL
 * DECIMAL) or null when no row matched. Anything that is not a whole safe integer is refused, so a
 * wrong total is never shown.
 */
export function readMinorSum(value: unknown): number {
  if (value === null || value === undefined) return 0;
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'bigint'
        ? Number(value)
        : typeof value === 'string' && /^-?\d+(\.0+)?$/.test(value.trim())
          ? Number(value.trim().split('.')[0])
          : Number.NaN;
  if (!Number.isSafeInteger(n))
    throw new DomainError('sum_invalid', 'The database returned a total that is not whole minor units.', {
      value: String(value),
    });
  return n;
}

export interface MonthlyAmounts {
  collected: number;
  refunded: number;
}

export interface MonthlyPoint extends MonthlyAmounts {
  month: string;
  /** Collected minus refunded in that month (can be below zero when old payments were refunded). */
  net: number;
}

export interface CurrencySeries {
  currency: string;
  points: MonthlyPoint[];
}

/**
 * Per currency, one point per month of `months` (oldest first), zero where nothing moved; months
 * outside the window are ignored. Currencies come out sorted by code, so the answer is stable.
 */
export function fillMonths(
  months: readonly MonthBucket[],
  collected: ReadonlyArray<{ currency: string; month: string; amount: number }>,
  refunded: ReadonlyArray<{ currency: string; month: string; amount: number }>,
): CurrencySeries[] {
  const keys = new Set(months.map((m) => m.key));
  const table = new Map<string, Map<string, MonthlyAmounts>>();
  const cell = (currency: string, month: string) => {
    const code = currency.toUpperCase();
    let byMonth = table.get(code);
    if (!byMonth) table.set(code, (byMonth = new Map()));
    let c = byMonth.get(month);
    if (!c) byMonth.set(month, (c = { collected: 0, refunded: 0 }));
    return c;
  };
  for (const row of collected) if (keys.has(row.month)) cell(row.currency, row.month).collected += row.amount;
  for (const row of refunded) if (keys.has(row.month)) cell(row.currency, row.month).refunded += row.amount;
  return [...table.keys()].sort().map((currency) => ({
    currency,
    points: months.map(({ key }) => {
      const c = table.get(currency)?.get(key) ?? { collected: 0, refunded: 0 };
      return { month: key, collected: c.collected, refunded: c.refunded, net: c.collected - c.refunded };
    }),
  }));
}

/**
 * OWASP "CSV injection": a cell a spreadsheet would read as a formula (starting with = + - @,
 * a tab or a carriage return) gets a leading apostrophe, so it is shown as text. Billing names
 * and references come from clients.
 */
export function neutralizeFormula(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

/** An amount cell: major units with the currency's decimals ("1827.50", "1500", "12.340"). */
export const csvAmount = (minor: number | null | undefined, currency: string): string =>
  minorToMajorString(Number(minor ?? 0), currency);
