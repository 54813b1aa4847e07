import type { Core } from '@strapi/strapi';

export const INVOICE_UID = 'plugin::invoice-payments.invoice';

let counter = 0;
export function invoiceNumber(prefix = 'INV'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

export interface InvoiceInput {
  number?: string;
  currency?: string;
  state?: string;
  lineItems?: Array<{ description: string; quantity: number | string; unitAmount: number }>;
  taxRateBps?: number;
  billingName?: string;
  billingEmail?: string;
  customer?: number;
  /** The client's language (en, fr, de, es); absent: the site's default. */
  language?: string;
}

/** Creates an invoice through Strapi's document service, as the Content Manager does. */
export async function createInvoice(strapi: Core.Strapi, input: InvoiceInput = {}) {
  return strapi.documents(INVOICE_UID).create({
    data: {
      number: input.number ?? invoiceNumber(),
      currency: input.currency ?? 'USD',
      state: input.state ?? 'sent',
      lineItems: input.lineItems ?? [{ description: 'Consulting', quantity: 1, unitAmount: 182750 }],
      taxRateBps: input.taxRateBps ?? 0,
      billingName: input.billingName ?? 'Ada Lovelace',
      billingEmail: input.billingEmail ?? 'ada@example.test',
      ...(input.customer ? { customer: input.customer } : {}),
      ...(input.language ? { language: input.language } : {}),
    } as never,
  });
}
