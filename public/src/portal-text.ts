/**
 * Every sentence the client portal shows, in one place so it can be translated (issue 12, "The
 * client's language"). `{x}` placeholders are filled by `fill`.
 */
export const PORTAL_TEXT = {
  title: 'Your invoices',
  loading: 'Loading your invoices…',
  signIn: 'Please sign in on our website and open your invoices from your account again.',
  expired: 'Your session has expired. Please sign in on our website again.',
  failed: 'Something went wrong. Please try again in a moment.',
  filterLabel: 'Show',
  filters: { all: 'All', open: 'Open', overdue: 'Overdue', paid: 'Paid' },
  totalsTitle: 'Totals',
  totalOpen: 'Open: {amount}',
  totalOverdue: 'Overdue: {amount}',
  totalPaid: 'Paid: {amount}',
  none: 'No invoices to show.',
  columns: {
    select: 'Select',
    number: 'Invoice',
    issued: 'Issued',
    due: 'Due',
    total: 'Total',
    balance: 'Balance',
    status: 'Status',
    documents: 'Documents',
    amount: 'Amount to pay',
  },
  selectInvoice: 'Select invoice {number} to pay',
  amountFor: 'Amount to pay on invoice {number} ({currency})',
  badAmount: 'Enter an amount for invoice {number}, for example 12.50.',
  kinds: { open: 'Open', overdue: 'Overdue', paid: 'Paid', void: 'Void' },
  downloadPdf: 'Download PDF',
  receipts: 'Receipts',
  receipt: 'Receipt {n} ({amount})',
  noReceipts: 'No receipts yet.',
  downloadFailed: 'The document could not be downloaded. Please try again.',
  payNone: 'Select invoices to pay',
  paySum: 'Pay {amount}',
  mixedCurrencies: 'Select invoices in one currency only: pay each currency separately.',
  drawerTitle: 'Invoices {numbers}',
  paidAll: 'Payment successful! The selected invoices are paid.',
} as const;

export function fill(text: string, values: Record<string, string | number>): string {
  return text.replace(/\{(\w+)\}/g, (_, k: string) => String(values[k] ?? `{${k}}`));
}
