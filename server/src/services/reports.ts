import { Readable, pipeline } from 'node:stream';
import type { Core } from '@strapi/strapi';
import { stringify } from 'csv-stringify';
import {
  COLLECTED_PAYMENT_STATUSES,
  csvAmount,
  currencyExponent,
  fillMonths,
  formatMinor,
  lastMonths,
  neutralizeFormula,
  readMinorSum,
  utcDay,
  type MonthBucket,
} from '../domain';
import { UID } from '../utils/plugin-id';
import { providerLabel } from '../providers/registry';
import { parseInvoiceFilters } from './admin-payments';

/**
 * The dashboard's totals and the CSV exports. Every sum is made by the database (GROUP BY
 * currency, SUM(CASE ...) per month), which SQLite, PostgreSQL and MySQL/MariaDB all run the same;
 * exports read one page at a time by id (keyset), so their memory does not grow with the table.
 */

/** The invoice's own state attribute and its column (not Strapi's draft/publish `status`). */
export const INVOICE_STATE = { attribute: 'state', column: 'state' } as const;

/** Invoices that still expect money: their balance is "outstanding". */
const OPEN_STATES = ['sent', 'viewed', 'partially_paid'];

const TABLES = {
  invoices: 'invoice_payments_invoices',
  payments: 'invoice_payments_payments',
  refunds: 'invoice_payments_refunds',
};

/** Rows per database read in an export; config `export.pageSize`. */
export const DEFAULT_EXPORT_PAGE_SIZE = 500;

type Row = Record<string, unknown>;

export interface CsvColumn {
  key: string;
  header: string;
  /** Text that may come from a client (names, emails, references): formula-neutralised. */
  text?: boolean;
  value: (row: Row) => string | number | boolean | null;
}

const iso = (v: unknown): string | null => {
  if (v === null || v === undefined || v === '') return null;
  const d = v instanceof Date ? v : new Date(String(v));
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
};
const day = (v: unknown): string | null =>
  typeof v === 'string' ? v.slice(0, 10) : v instanceof Date ? v.toISOString().slice(0, 10) : null;
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** Invoice columns: money in major units next to its currency; never the pay token or the lease. */
export const INVOICE_COLUMNS: CsvColumn[] = [
  { key: 'number', header: 'Number', text: true, value: (r) => str(r.number) },
  { key: 'state', header: 'Status', value: (r) => str(r[INVOICE_STATE.attribute]) },
  { key: 'currency', header: 'Currency', value: (r) => str(r.currency) },
  { key: 'subtotal', header: 'Subtotal', value: (r) => csvAmount(r.subtotal as number, r.currency as string) },
  { key: 'tax', header: 'Tax', value: (r) => csvAmount(r.tax as number, r.currency as string) },
  { key: 'discount', header: 'Discount', value: (r) => csvAmount(r.discountAmount as number, r.currency as string) },
  { key: 'total', header: 'Total', value: (r) => csvAmount(r.total as number, r.currency as string) },
  { key: 'amountPaid', header: 'Amount paid', value: (r) => csvAmount(r.amountPaid as number, r.currency as string) },
  {
    key: 'amountRefunded',
    header: 'Amount refunded',
    value: (r) => csvAmount(r.amountRefunded as number, r.currency as string),
  },
  { key: 'balanceDue', header: 'Balance due', value: (r) => csvAmount(r.balanceDue as number, r.currency as string) },
  { key: 'issueDate', header: 'Issue date', value: (r) => day(r.issueDate) },
  { key: 'dueDate', header: 'Due date', value: (r) => day(r.dueDate) },
  { key: 'billingName', header: 'Billing name', text: true, value: (r) => str(r.billingName) },
  { key: 'billingEmail', header: 'Billing email', text: true, value: (r) => str(r.billingEmail) },
  { key: 'sentAt', header: 'Sent at', value: (r) => iso(r.sentAt) },
  { key: 'paidAt', header: 'Paid at', value: (r) => iso(r.paidAt) },
  { key: 'createdAt', header: 'Created at', value: (r) => iso(r.createdAt) },
  { key: 'documentId', header: 'Invoice id', value: (r) => str(r.documentId) },
];
const INVOICE_SELECT = [
  'id',
  'documentId',
  'number',
  INVOICE_STATE.attribute,
  'currency',
  'subtotal',
  'tax',
  'discountAmount',
  'total',
  'amountPaid',
  'amountRefunded',
  'balanceDue',
  'issueDate',
  'dueDate',
  'billingName',
  'billingEmail',
  'sentAt',
  'paidAt',
  'createdAt',
];

/** Payment columns: the ledger as an accountant reads it; no idempotency keys, no 3-D Secure URLs. */
export const PAYMENT_COLUMNS: CsvColumn[] = [
  { key: 'invoiceNumber', header: 'Invoice number', text: true, value: (r) => str((r.invoice as Row | null)?.number) },
  { key: 'kind', header: 'Kind', value: (r) => str(r.kind) },
  { key: 'method', header: 'Method', text: true, value: (r) => str(r.method) },
  { key: 'status', header: 'Status', value: (r) => (r.voidedAt ? 'voided' : str(r.status)) },
  { key: 'currency', header: 'Currency', value: (r) => str(r.currency) },
  { key: 'amount', header: 'Amount', value: (r) => csvAmount(r.amount as number, r.currency as string) },
  { key: 'fee', header: 'Card fee charged', value: (r) => csvAmount(r.fee as number, r.currency as string) },
  {
    key: 'amountRefunded',
    header: 'Amount refunded',
    value: (r) => csvAmount(r.amountRefunded as number, r.currency as string),
  },
  { key: 'paidAt', header: 'Paid at', value: (r) => iso(r.paidAt) },
  { key: 'reference', header: 'Reference', text: true, value: (r) => str(r.reference) },
  // Which gateway took it ("Stripe", "Mollie"; empty for a manual entry), then its ids there.
  { key: 'provider', header: 'Provider', value: (r) => (r.kind === 'manual' ? '' : providerLabel(str(r.provider))) },
  { key: 'chargeId', header: 'Provider charge', value: (r) => str(r.chargeId) },
  { key: 'providerPaymentId', header: 'Provider payment', value: (r) => str(r.providerPaymentId) },
  { key: 'disputeStatus', header: 'Dispute', value: (r) => str(r.disputeStatus) },
  { key: 'recordedBy', header: 'Recorded by', text: true, value: (r) => str(r.recordedBy) },
  { key: 'voidReason', header: 'Void reason', text: true, value: (r) => str(r.voidReason) },
  { key: 'livemode', header: 'Live mode', value: (r) => (r.livemode ? 'yes' : 'no') },
  { key: 'createdAt', header: 'Created at', value: (r) => iso(r.createdAt) },
  { key: 'documentId', header: 'Payment id', value: (r) => str(r.documentId) },
];
const PAYMENT_SELECT = [
  'id',
  'documentId',
  'kind',
  'method',
  'status',
  'currency',
  'amount',
  'fee',
  'amountRefunded',
  'paidAt',
  'reference',
  'provider',
  'chargeId',
  'providerPaymentId',
  'disputeStatus',
  'recordedBy',
  'voidedAt',
  'voidReason',
  'livemode',
  'createdAt',
];

/** One CSV record; client-typed text cannot become a spreadsheet formula. */
export function csvRecord(columns: readonly CsvColumn[], row: Row): Record<string, string | number | boolean | null> {
  return Object.fromEntries(
    columns.map((c) => {
      const v = c.value(row);
      return [c.key, c.text && typeof v === 'string' ? neutralizeFormula(v) : v];
    }),
  );
}

/** Aliases m0..m11 for the month columns: fixed names, never user input. */
const monthSums = (
  knex: Core.Strapi['db']['connection'],
  months: readonly MonthBucket[],
  dateColumn: string,
  amountSql: string,
) =>
  months.map((m, i) =>
    knex.raw(`SUM(CASE WHEN ${dateColumn} >= ? AND ${dateColumn} < ? THEN ${amountSql} ELSE 0 END) AS m${i}`, [
      m.start,
      m.end,
    ]),
  );

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const pageSize = () => {
    const v = strapi.config.get(`plugin::invoice-payments.export.pageSize`);
    return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : DEFAULT_EXPORT_PAGE_SIZE;
  };

  /**
   * Reads the rows in id order, `pageSize` at a time (WHERE id > last id), and yields them one by
   * one: the stream pulls the next page only when the client has taken the previous ones.
   */
  async function* pages(uid: string, where: Row, query: Row, map: (r: Row) => Row): AsyncGenerator<Row> {
    let after = 0;
    const limit = pageSize();
    for (;;) {
      const rows = (await strapi.db.query(uid as never).findMany({
        ...query,
        where: { $and: [where, { id: { $gt: after } }] },
        orderBy: { id: 'asc' },
        limit,
      })) as Row[];
      for (const r of rows) yield map(r);
      if (rows.length < limit) return;
      after = rows[rows.length - 1]!.id as number;
    }
  }

  function csvStream(columns: readonly CsvColumn[], source: AsyncGenerator<Row>, what: string): NodeJS.ReadableStream {
    // A BOM so spreadsheet programs read accented names as UTF-8.
    const out = stringify({
      header: true,
      bom: true,
      columns: columns.map((c) => ({ key: c.key, header: c.header })),
      cast: { boolean: (v) => (v ? 'yes' : 'no') },
    });
    pipeline(Readable.from(source), out, (error) => {
      // The client went away, or the database failed mid-way: the download stops short.
      if (error && (error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE')
        strapi.log.warn(`[invoice-payments] ${what} export stopped: ${error.message}`);
    });
    return out;
  }

  return {
    /** Outstanding, overdue and collected this month per currency, and 12 months of collections. */
    async dashboard(now = new Date()) {
      const knex = strapi.db.connection;
      const today = utcDay(now);
      const months = lastMonths(now, 12);
      const first = months[0]!;
      const current = months[months.length - 1]!;
      const state = INVOICE_STATE.column;

      const [open, paid, refunded] = await Promise.all([
        knex(TABLES.invoices)
          .select('currency')
          .select(knex.raw('COUNT(*) AS open_count'))
          .select(knex.raw('SUM(balance_due) AS outstanding'))
          .select(knex.raw('SUM(CASE WHEN due_date < ? THEN balance_due ELSE 0 END) AS overdue', [today]))
          .select(knex.raw('SUM(CASE WHEN due_date < ? THEN 1 ELSE 0 END) AS overdue_count', [today]))
          .whereIn(state, OPEN_STATES)
          .groupBy('currency') as Promise<Row[]>,
        // Collected: the invoice portion of payments that succeeded (card fees apart), by the date
        // they succeeded; voided manual payments and payments flagged for a mismatch never count.
        // Refunds are taken off below.
        knex(TABLES.payments)
          .select('currency')
          .select(monthSums(knex, months, 'paid_at', 'amount'))
          .whereIn('status', COLLECTED_PAYMENT_STATUSES as string[])
          .whereNull('voided_at')
          // Flagged for a mismatch: never booked on its invoice (domain/ledger), so not collected either.
          .whereNull('mismatch')
          .where('paid_at', '>=', first.start)
          .where('paid_at', '<', current.end)
          .groupBy('currency') as Promise<Row[]>,
        // Refunds that went through, by the date they were made; their invoice portion only.
        knex(TABLES.refunds)
          .select('currency')
          .select(monthSums(knex, months, 'created_at', 'amount - COALESCE(fee_amount, 0)'))
          .where('status', 'succeeded')
          .where('created_at', '>=', first.start)
          .where('created_at', '<', current.end)
          .groupBy('currency') as Promise<Row[]>,
      ]);

      const perMonth = (rows: Row[]) =>
        rows.flatMap((r) =>
          months.map((m, i) => ({ currency: String(r.currency), month: m.key, amount: readMinorSum(r[`m${i}`]) })),
        );
      const series = fillMonths(months, perMonth(paid), perMonth(refunded));

      const codes = new Set<string>([
        ...open.map((r) => String(r.currency).toUpperCase()),
        ...series.map((s) => s.currency),
      ]);
      const currencies = [...codes].sort().map((currency) => {
        const rows = open.filter((r) => String(r.currency).toUpperCase() === currency);
        const sum = (k: string) => rows.reduce((t, r) => t + readMinorSum(r[k]), 0);
        const thisMonth = series.find((s) => s.currency === currency)?.points.at(-1) ?? {
          collected: 0,
          refunded: 0,
          net: 0,
        };
        const money = {
          outstanding: sum('outstanding'),
          overdue: sum('overdue'),
          collectedThisMonth: thisMonth.collected,
          refundedThisMonth: thisMonth.refunded,
          netThisMonth: thisMonth.net,
        };
        return {
          currency,
          exponent: currencyExponent(currency),
          ...money,
          outstandingCount: sum('open_count'),
          overdueCount: sum('overdue_count'),
          formatted: Object.fromEntries(Object.entries(money).map(([k, v]) => [k, formatMinor(v, currency)])),
        };
      });
      return { today, month: current.key, timeZone: 'UTC', months: months.map((m) => m.key), currencies, series };
    },

    /** The invoices matching the admin list's filters, as a CSV stream. Bad filters: a 400 before any byte. */
    exportInvoices(query: unknown, now = new Date()) {
      const { where } = parseInvoiceFilters(query, utcDay(now));
      const rows = pages(UID.invoice, where, { select: INVOICE_SELECT }, (r) => csvRecord(INVOICE_COLUMNS, r));
      return { filename: `invoices-${utcDay(now)}.csv`, stream: csvStream(INVOICE_COLUMNS, rows, 'invoice') };
    },

    /** The ledger entries of the invoices matching the same filters, as a CSV stream. */
    exportPayments(query: unknown, now = new Date()) {
      const { where } = parseInvoiceFilters(query, utcDay(now));
      const invoiceWhere = Object.keys(where).length ? { invoice: where } : {};
      const rows = pages(
        UID.payment,
        invoiceWhere,
        { select: PAYMENT_SELECT, populate: { invoice: { select: ['number'] } } },
        (r) => csvRecord(PAYMENT_COLUMNS, r),
      );
      return { filename: `payments-${utcDay(now)}.csv`, stream: csvStream(PAYMENT_COLUMNS, rows, 'payment') };
    },
  };
};
