import { z } from 'zod';
import {
  MAX_AMOUNT_MINOR,
  SUPPORTED_CURRENCIES,
  amountStep,
  currencyExponent,
  isSupportedCurrency,
  normalizeCurrency,
} from './currency-table';
import { parseScaledDecimal } from './decimal';
import { isDomainError } from './errors';
import { computeInvoiceTotals, MAX_TAX_RATE_BPS, type InvoiceTotals } from './invoice-totals';
import { formatMinor, minorToMajorString } from './money';
import { LANGUAGES, type Language } from '../i18n/messages';

/**
 * The invoice editor's rules, shared by the admin form (field messages while typing) and the
 * server (the same rules again before anything is saved). Money is typed as people write it, in
 * major units ("1,827.50", "1 827,50", "1500" yen), and stored in minor units.
 */

export interface InvoiceFormLine {
  description: string;
  quantity: string;
  /** Price of one unit in major units, as typed. */
  unitPrice: string;
}

export interface InvoiceFormValues {
  number: string;
  currency: string;
  /** A users-permissions user id, or null for a client given by name and email. */
  customer: number | null;
  billingName: string;
  billingEmail: string;
  /** YYYY-MM-DD */
  issueDate: string;
  /** YYYY-MM-DD, or '' for none. */
  dueDate: string;
  lines: InvoiceFormLine[];
  /** Percent, as typed ("8.25"); '' is 0. */
  taxRate: string;
  /** Major units, as typed; '' is 0. */
  discount: string;
  notes: string;
  /** The client's language (en, fr, de, es); '' or absent: the site's default client language. */
  language?: string;
}

/** What the invoice content type stores. */
export interface InvoiceData {
  number: string;
  currency: string;
  customer: number | null;
  billingName: string | null;
  billingEmail: string | null;
  issueDate: string;
  dueDate: string | null;
  lineItems: Array<{ description: string; quantity: string; unitAmount: number }>;
  taxRateBps: number;
  discountAmount: number;
  notes: string | null;
  language: Language | null;
}

export interface FormProblem {
  /** Field path in InvoiceFormValues: ['lines', '2', 'unitPrice']. */
  path: string[];
  message: string;
}

export type InvoiceFormResult =
  | { ok: true; data: InvoiceData; totals: InvoiceTotals }
  | { ok: false; problems: FormProblem[]; totals: InvoiceTotals | null };

export const MAX_INVOICE_LINES = 200;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const isRealDate = (s: string) => DATE.test(s) && new Date(`${s}T00:00:00Z`).toISOString().slice(0, 10) === s;

const text = (max: number, what: string) =>
  z
    .string({ message: `${what} must be text.` })
    .trim()
    .max(max, `${what} can be at most ${max} characters.`);

/** The shape: every field present with the right type. Meaning is checked in parseInvoiceForm. */
const shape = z.object({
  number: text(64, 'The invoice number').min(1, 'Give the invoice a number.'),
  currency: z.string({ message: 'Choose a currency.' }).trim(),
  customer: z.number().int().positive().nullable().optional(),
  billingName: text(200, 'The billing name').optional().default(''),
  billingEmail: text(254, 'The email').optional().default(''),
  issueDate: z
    .string({ message: 'Give the issue date.' })
    .refine(isRealDate, 'Give the issue date as a date (YYYY-MM-DD).'),
  dueDate: z
    .string()
    .optional()
    .default('')
    .refine((s) => s === '' || isRealDate(s), 'Give the due date as a date (YYYY-MM-DD).'),
  lines: z
    .array(
      z.object({
        description: text(500, 'A description').min(1, 'Describe what this line is for.'),
        quantity: z.union([z.string(), z.number()]).transform(String),
        unitPrice: z.union([z.string(), z.number()]).transform(String),
      }),
      { message: 'Add at least one line.' },
    )
    .min(1, 'Add at least one line.')
    .max(MAX_INVOICE_LINES, `An invoice can have at most ${MAX_INVOICE_LINES} lines.`),
  taxRate: z.union([z.string(), z.number()]).transform(String).optional().default(''),
  discount: z.union([z.string(), z.number()]).transform(String).optional().default(''),
  notes: text(5000, 'Notes').optional().default(''),
  language: z
    .string()
    .optional()
    .default('')
    .refine(
      (s) => s === '' || (LANGUAGES as readonly string[]).includes(s),
      `Choose a language: ${LANGUAGES.join(', ')}, or empty for the default.`,
    ),
});

/**
 * A decimal as people type it, reduced to plain digits and one dot, or null. Whichever of `.` or
 * `,` comes last is the decimal separator when both appear ("1,827.50", "1.827,50"); a lone comma
 * is a decimal separator ("12,5"), several are grouping ("1,000,000"); spaces and apostrophes
 * group thousands ("1 827,50", "1'827.50"), in groups of three ("1,5,0" is refused). A lone
 * separator before exactly three digits is ambiguous ("1,500" and "1.500" are 1500 in one country
 * and 1.5 in another): a comma there groups thousands when the amount cannot have three decimals
 * ("1,500" yen or dollars is 1500); every other case is refused as 'ambiguous' rather than guessed,
 * since a wrong guess books a thousand times too much or too little. Signs and exponents are refused.
 */
export function readTypedDecimal(input: string, maxDecimals = 3): string | 'ambiguous' | null {
  const trimmed = input.trim();
  if (!trimmed) return null;
  // Spaces and apostrophes only ever group thousands.
  const spaced = trimmed.split(/[\s\u00a0\u202f']/);
  if (
    spaced.length > 1 &&
    (!/^\d{1,3}$/.test(spaced[0]!) || !spaced.slice(1).every((g) => /^\d{3}(?:[.,]\d*)?$/.test(g)))
  )
    return null;
  let t = spaced.join('');
  const lastDot = t.lastIndexOf('.');
  const lastComma = t.lastIndexOf(',');
  const grouped = (whole: string, sep: string) => {
    const groups = whole.split(sep);
    return groups.length === 1 || (/^\d{1,3}$/.test(groups[0]!) && groups.slice(1).every((g) => /^\d{3}$/.test(g)));
  };
  if (lastDot >= 0 && lastComma >= 0) {
    const decimal = lastDot > lastComma ? '.' : ',';
    const grouping = decimal === '.' ? ',' : '.';
    const [whole = '', fraction = ''] = [t.slice(0, t.lastIndexOf(decimal)), t.slice(t.lastIndexOf(decimal) + 1)];
    if (!grouped(whole, grouping) || fraction.includes(grouping)) return null;
    t = `${whole.split(grouping).join('')}.${fraction}`;
  } else {
    const sep = lastComma >= 0 ? ',' : lastDot >= 0 ? '.' : null;
    if (sep) {
      const parts = t.split(sep);
      if (parts.length > 2) {
        if (!grouped(t, sep)) return null;
        t = parts.join('');
      } else if (/^\d{1,3}$/.test(parts[0]!) && /^\d{3}$/.test(parts[1]!)) {
        if (sep === ',' && maxDecimals < 3) t = parts.join('');
        else if (maxDecimals < 3 || sep === ',') return 'ambiguous';
        else t = parts.join('.');
      } else {
        t = parts.join('.');
      }
    }
  }
  return /^\d+(?:\.\d*)?$/.test(t) ? t.replace(/\.$/, '') : null;
}

/** "1.500" → 'could mean 1500 or 1.5: write 1500, or 1.5.' */
export function ambiguity(typed: string): string {
  const [a = '', b = ''] = typed.trim().split(/[.,]/);
  const small = `${a}.${b}`.replace(/\.?0+$/, '');
  return `"${typed.trim()}" could mean ${a}${b} or ${small}: write ${a}${b}, or ${small}.`;
}

function money(
  typed: string,
  currency: string,
  what: string,
  required: boolean,
): { minor: number } | { problem: string } {
  if (typed.trim() === '')
    return required ? { problem: `Give ${what.toLowerCase()} (0 for a free line).` } : { minor: 0 };
  if (/^\s*-/.test(typed)) return { problem: `${what} cannot be negative.` };
  const exponent = currencyExponent(currency);
  const plain = readTypedDecimal(typed, exponent);
  const example = exponent ? `1,827.${'5'.padEnd(exponent, '0')}` : '1,500';
  if (plain === 'ambiguous') return { problem: ambiguity(typed) };
  if (plain === null) return { problem: `${what} must be an amount such as ${example}.` };
  // Decimals beyond the currency's, even zeros ("1.500" dollars), are refused: they are a sign of a misread amount.
  if ((plain.split('.')[1] ?? '').length > exponent)
    return {
      problem:
        exponent === 0
          ? `${currency} amounts have no decimals.`
          : `${currency} amounts have at most ${exponent} decimals.`,
    };
  const parsed = parseScaledDecimal(plain, exponent);
  if (!parsed.ok)
    return {
      problem:
        exponent === 0
          ? `${currency} amounts have no decimals.`
          : `${currency} amounts have at most ${exponent} decimals.`,
    };
  if (parsed.value > BigInt(MAX_AMOUNT_MINOR))
    return { problem: `${what} cannot be more than ${formatMinor(MAX_AMOUNT_MINOR, currency)}.` };
  const minor = Number(parsed.value);
  const step = amountStep(currency);
  if (minor % step !== 0)
    return { problem: `${currency} amounts must be a multiple of ${formatMinor(step, currency)}.` };
  return { minor };
}

/** Domain field names ("lineItems[2].unitAmount") as form paths (['lines', '2', 'unitPrice']). */
function formPath(field: string): string[] {
  const m = /^lineItems\[(\d+)\]\.(\w+)$/.exec(field);
  if (m) return ['lines', m[1]!, m[2] === 'unitAmount' ? 'unitPrice' : m[2]!];
  if (field === 'discountAmount') return ['discount'];
  if (field === 'taxRateBps') return ['taxRate'];
  return ['lines'];
}

/** Checks an editor form and converts it to what is stored, with a message on each bad field. */
export function parseInvoiceForm(input: unknown): InvoiceFormResult {
  const parsed = shape.safeParse(input);
  if (!parsed.success) {
    return {
      ok: false,
      totals: null,
      problems: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })),
    };
  }
  const v = parsed.data;
  const problems: FormProblem[] = [];
  const problem = (path: string[], message: string) => problems.push({ path, message });

  if (!isSupportedCurrency(v.currency)) {
    problem(['currency'], `Choose a currency from the list (${SUPPORTED_CURRENCIES.length} are supported).`);
    return { ok: false, problems, totals: null };
  }
  const currency = normalizeCurrency(v.currency);
  if (!v.customer && v.billingName === '') problem(['billingName'], 'Choose a client, or give the name to bill.');
  if (v.billingEmail !== '' && !z.email().safeParse(v.billingEmail).success)
    problem(['billingEmail'], 'This is not an email address.');
  if (v.dueDate !== '' && v.dueDate < v.issueDate)
    problem(['dueDate'], 'The due date cannot be before the issue date.');

  const lineItems = v.lines.map((line, i) => {
    const typedQuantity = readTypedDecimal(line.quantity, 3);
    // A quantity is never grouped in thousands by a comma: "1,500" is refused as ambiguous below.
    const quantity =
      typedQuantity === 'ambiguous' || (typedQuantity !== null && /^\s*\d{1,3},\d{3}\s*$/.test(line.quantity))
        ? 'ambiguous'
        : typedQuantity;
    const q = quantity === null || quantity === 'ambiguous' ? null : parseScaledDecimal(quantity, 3);
    if (quantity === 'ambiguous') problem(['lines', String(i), 'quantity'], ambiguity(line.quantity));
    else if (/^\s*-/.test(line.quantity) || q === null || !q.ok || q.value <= 0n) {
      problem(
        ['lines', String(i), 'quantity'],
        q?.ok === false && q.reason === 'precision' ? 'At most 3 decimals.' : 'Give a quantity above zero.',
      );
    }
    const unit = money(line.unitPrice, currency, 'The unit price', true);
    if ('problem' in unit) problem(['lines', String(i), 'unitPrice'], unit.problem);
    return {
      description: line.description,
      quantity: quantity === null || quantity === 'ambiguous' ? '0' : quantity,
      unitAmount: 'minor' in unit ? unit.minor : 0,
    };
  });

  let taxRateBps = 0;
  const rate = v.taxRate.trim() === '' ? '0' : readTypedDecimal(v.taxRate, 2);
  const r = rate === null || rate === 'ambiguous' ? null : parseScaledDecimal(rate, 2);
  if (r === null || !r.ok || r.value > BigInt(MAX_TAX_RATE_BPS))
    problem(['taxRate'], 'The tax rate is a percentage from 0 to 100, with at most 2 decimals.');
  else taxRateBps = Number(r.value);

  const discount = money(v.discount, currency, 'The discount', false);
  if ('problem' in discount) problem(['discount'], discount.problem);
  const discountAmount = 'minor' in discount ? discount.minor : 0;

  let totals: InvoiceTotals | null = null;
  if (!problems.some((p) => p.path[0] === 'lines' || p.path[0] === 'taxRate' || p.path[0] === 'discount')) {
    try {
      totals = computeInvoiceTotals({ currency, lineItems, taxRateBps, discountAmount });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      const field = typeof error.details?.field === 'string' ? error.details.field : 'lineItems';
      problem(formPath(field), error.message);
    }
  }
  if (problems.length > 0 || !totals) return { ok: false, problems, totals };
  return {
    ok: true,
    totals,
    data: {
      number: v.number,
      currency,
      customer: v.customer ?? null,
      billingName: v.billingName || null,
      billingEmail: v.billingEmail ? v.billingEmail.toLowerCase() : null,
      issueDate: v.issueDate,
      dueDate: v.dueDate || null,
      lineItems,
      taxRateBps,
      discountAmount,
      notes: v.notes || null,
      language: (v.language || null) as Language | null,
    },
  };
}

/** YYYY-MM-DD plus whole days (calendar arithmetic in UTC, so no daylight-saving drift). */
export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** A stored invoice as the editor shows it (minor units back to what people type). */
export function invoiceToForm(row: {
  number: string;
  currency: string;
  customer?: { id: number } | number | null;
  billingName?: string | null;
  billingEmail?: string | null;
  issueDate?: string | null;
  dueDate?: string | null;
  lineItems?: unknown;
  taxRateBps?: number | null;
  discountAmount?: number | null;
  notes?: string | null;
  language?: string | null;
}): InvoiceFormValues {
  const lines = Array.isArray(row.lineItems)
    ? (row.lineItems as Array<{ description?: unknown; quantity?: unknown; unitAmount?: unknown }>)
    : [];
  const customer = typeof row.customer === 'number' ? row.customer : (row.customer?.id ?? null);
  return {
    number: row.number,
    currency: row.currency,
    customer,
    billingName: row.billingName ?? '',
    billingEmail: row.billingEmail ?? '',
    issueDate: row.issueDate ?? '',
    dueDate: row.dueDate ?? '',
    lines: lines.map((l) => ({
      description: String(l.description ?? ''),
      quantity: String(l.quantity ?? '1'),
      unitPrice: typeof l.unitAmount === 'number' ? minorToMajorString(l.unitAmount, row.currency) : '',
    })),
    // Basis points to percent: 825 → "8.25" (two decimals at most, so the float prints exactly).
    taxRate: row.taxRateBps ? String(row.taxRateBps / 100) : '',
    discount: row.discountAmount ? minorToMajorString(row.discountAmount, row.currency) : '',
    notes: row.notes ?? '',
    language: row.language ?? '',
  };
}
