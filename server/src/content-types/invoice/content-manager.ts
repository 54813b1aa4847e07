/**
 * How Strapi's Content Manager shows an invoice: the schema's `config` (read by the Content
 * Manager as the defaults of a type's view configuration, and by the admin sanitizer for `hidden`).
 *
 * - `attributes.<name>.hidden`: never in any Content Manager answer or input, for every role
 *   (the pay token, the attempt lease, the ledger links).
 * - `metadatas`: labels in words; computed fields are read-only.
 * - `layouts`: the edit form shows what a person types, then the dates the plugin records; the
 *   money the plugin computes is shown in major units by the line items field itself.
 *
 * Layout entries are filtered against the schema's attributes so a renamed field never makes
 * Strapi refuse to start (it validates layouts against the attributes).
 */

/** Secret or internal: out of every Content Manager request and response. */
export const CM_HIDDEN_ATTRIBUTES = ['payToken', 'attemptLockToken', 'attemptLockUntil', 'payments'] as const;

/** Computed by the plugin (services/invoices.ts, settlement): read-only where shown. */
export const CM_READ_ONLY_ATTRIBUTES = [
  'subtotal',
  'tax',
  'total',
  'amountPaid',
  'amountRefunded',
  'balanceDue',
  'needsAttention',
  'attentionReason',
  'disputeOpen',
  'sentAt',
  'viewedAt',
  'paidAt',
  'voidReason',
  'voidedAt',
] as const;

const LABELS: Record<string, string> = {
  number: 'Invoice number',
  status: 'Status',
  state: 'Status',
  currency: 'Currency',
  lineItems: 'Line items',
  taxRateBps: 'Tax rate (basis points: 825 = 8.25 %)',
  discountAmount: 'Discount (in the smallest unit of the currency, e.g. cents)',
  subtotal: 'Subtotal (smallest currency unit)',
  tax: 'Tax (smallest currency unit)',
  total: 'Total (smallest currency unit)',
  amountPaid: 'Amount paid (smallest currency unit)',
  amountRefunded: 'Amount refunded (smallest currency unit)',
  balanceDue: 'Balance due (smallest currency unit)',
  issueDate: 'Issue date',
  dueDate: 'Due date',
  billingName: 'Billing name',
  billingEmail: 'Billing email',
  language: 'Client language',
  notes: 'Notes',
  remindersEnabled: 'Send payment reminders',
  customer: 'Customer (site user)',
  needsAttention: 'Needs attention',
  attentionReason: 'Why it needs attention',
  disputeOpen: 'Dispute open',
  sentAt: 'Sent at',
  viewedAt: 'Viewed by the client at',
  paidAt: 'Paid at',
  voidReason: 'Why it was voided',
  voidedAt: 'Voided at',
};

const DESCRIPTIONS: Record<string, string> = {
  currency: 'Three-letter ISO code, e.g. USD, EUR, JPY. Locked once the invoice has payments.',
  lineItems: 'Prices in the currency as people write them (12.50). Totals are computed when you save.',
  issueDate: 'Today when left empty.',
  customer: 'Optional: a site user who can also pay while logged in.',
  remindersEnabled: 'Emails with the pay link around the due date while a balance is due (schedule: plugin settings).',
  language: 'Pay page, PDF and emails in this language. Empty: the default client language (plugin settings).',
};

type Row = Array<{ name: string; size: number }>;

const EDIT_LAYOUT: Row[] = [
  [
    { name: 'number', size: 6 },
    { name: 'state', size: 6 },
    { name: 'status', size: 6 },
  ],
  [
    { name: 'currency', size: 4 },
    { name: 'issueDate', size: 4 },
    { name: 'dueDate', size: 4 },
  ],
  [
    { name: 'billingName', size: 4 },
    { name: 'billingEmail', size: 4 },
    { name: 'language', size: 4 },
  ],
  [
    { name: 'customer', size: 6 },
    { name: 'remindersEnabled', size: 6 },
  ],
  [{ name: 'lineItems', size: 12 }],
  [
    { name: 'taxRateBps', size: 6 },
    { name: 'discountAmount', size: 6 },
  ],
  [{ name: 'notes', size: 12 }],
  [
    { name: 'sentAt', size: 4 },
    { name: 'viewedAt', size: 4 },
    { name: 'paidAt', size: 4 },
  ],
  [{ name: 'voidedAt', size: 6 }],
  [{ name: 'voidReason', size: 12 }],
  [{ name: 'attentionReason', size: 12 }],
];

const LIST_LAYOUT = ['number', 'state', 'status', 'billingName', 'dueDate'];

export function contentManagerConfig(attributeNames: readonly string[]) {
  const has = (name: string) => attributeNames.includes(name);
  const metadatas: Record<string, { edit: Record<string, unknown>; list: Record<string, unknown> }> = {};
  for (const name of attributeNames) {
    if (!LABELS[name] && !(CM_READ_ONLY_ATTRIBUTES as readonly string[]).includes(name)) continue;
    const edit: Record<string, unknown> = {};
    const list: Record<string, unknown> = {};
    if (LABELS[name]) {
      edit.label = LABELS[name];
      list.label = LABELS[name].replace(/ \(.*\)$/, '');
    }
    if (DESCRIPTIONS[name]) edit.description = DESCRIPTIONS[name];
    if ((CM_READ_ONLY_ATTRIBUTES as readonly string[]).includes(name)) edit.editable = false;
    metadatas[name] = { edit, list };
  }
  return {
    attributes: Object.fromEntries(CM_HIDDEN_ATTRIBUTES.filter(has).map((name) => [name, { hidden: true }])),
    metadatas,
    layouts: {
      edit: EDIT_LAYOUT.map((row) => row.filter((el) => has(el.name))).filter((row) => row.length > 0),
      list: LIST_LAYOUT.filter(has),
    },
    settings: {
      bulkable: true,
      filterable: true,
      searchable: true,
      pageSize: 10,
      mainField: 'number',
      defaultSortBy: 'createdAt',
      defaultSortOrder: 'DESC',
    },
  };
}

/** Adds the Content Manager configuration to the invoice schema. */
export function withContentManagerConfig<S extends { attributes: Record<string, unknown> }>(schema: S) {
  return { ...schema, config: contentManagerConfig(Object.keys(schema.attributes)) };
}
