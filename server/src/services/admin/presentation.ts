import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { amountStep, currencyExponent, formatMinor, INVOICE_STATUSES } from '../../domain';
import type { DashboardKind } from '../../providers/types';
import { UID } from '../../utils/plugin-id';
import { getService } from '../../utils/get-service';
import { notFound } from '../../utils/errors';
import { fromZod } from '../../utils/respond';
import type { InvoiceRow } from '../invoices';
import type { PaymentRecord } from '../settlement';
import { viewOf as refundView, type RefundRow } from '../refunds';

const listSchema = z
  .object({
    state: z
      .enum(INVOICE_STATUSES, { message: `Unknown invoice state. Use one of: ${INVOICE_STATUSES.join(', ')}.` })
      .optional(),
    q: z.string().trim().max(100).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    page: z.coerce.number().int().min(1).max(100000).optional(),
    pageSize: z.coerce.number().int().min(1).max(100).optional(),
    sort: z
      .enum([
        'createdAt:desc',
        'createdAt:asc',
        'dueDate:asc',
        'dueDate:desc',
        'number:asc',
        'number:desc',
        'balanceDue:desc',
      ])
      .optional(),
  })
  // An unknown filter (say the old `status`) would otherwise be ignored and list every invoice.
  .strict();

export type InvoiceListQuery = z.infer<typeof listSchema>;

/**
 * The admin invoice list's filters (state, search, overdue) as a query-engine `where`: the list,
 * the dashboard and the CSV exports read the same parameters the same way. Bad values: a 400.
 */
export function parseInvoiceFilters(
  query: unknown,
  today: string,
): { parsed: InvoiceListQuery; where: Record<string, unknown> } {
  const result = listSchema.safeParse(query ?? {});
  if (!result.success) throw fromZod(result.error);
  const { state, q, overdue } = result.data;
  const where: Record<string, unknown> = {};
  if (state) where.state = state;
  if (q)
    where.$or = [
      { number: { $startsWith: q } },
      { billingName: { $containsi: q } },
      { billingEmail: { $startsWith: q.toLowerCase() } },
    ];
  if (overdue === 'true')
    Object.assign(where, { dueDate: { $lt: today }, state: { $in: ['sent', 'viewed', 'partially_paid'] } });
  return { parsed: result.data, where };
}

const LIST_FIELDS = [
  'documentId',
  'number',
  'state',
  'currency',
  'total',
  'balanceDue',
  'amountPaid',
  'dueDate',
  'issueDate',
  'billingName',
  'billingEmail',
  'needsAttention',
  'disputeOpen',
  'createdAt',
];

/** What the admin screens show: the invoice list, and one invoice with its ledger, refunds and audit trail. */
const adminView = ({ strapi }: { strapi: Core.Strapi }) => {
  const audit = () => getService(strapi, 'audit');
  const today = () => new Date().toISOString().slice(0, 10);

  async function invoiceOr404(documentId: string): Promise<InvoiceRow & Record<string, unknown>> {
    const invoice = await strapi.db.query(UID.invoice).findOne({ where: { documentId } });
    if (!invoice) throw notFound('No such invoice.');
    return invoice;
  }

  /** A link into the dashboard of the provider holding the payment (none for manual entries). */
  const withLink = (provider: string | null | undefined, kind: DashboardKind, id: string | null, livemode: boolean) =>
    id ? (getService(strapi, 'providers').traits(provider)?.dashboardUrl(kind, id, livemode) ?? null) : null;

  return {
    invoiceOr404,

    async listInvoices(query: unknown) {
      const { parsed, where } = parseInvoiceFilters(query, today());
      const { page = 1, pageSize = 25, sort = 'createdAt:desc' } = parsed;
      const [field, dir] = sort.split(':') as [string, 'asc' | 'desc'];
      const [results, total] = await Promise.all([
        strapi.db.query(UID.invoice).findMany({
          where,
          select: LIST_FIELDS,
          orderBy: [{ [field]: dir }, { id: dir }],
          offset: (page - 1) * pageSize,
          limit: pageSize,
        }),
        strapi.db.query(UID.invoice).count({ where }),
      ]);
      const now = today();
      return {
        results: results.map((r: Record<string, unknown>) => ({
          ...r,
          overdue:
            typeof r.dueDate === 'string' &&
            r.dueDate < now &&
            ['sent', 'viewed', 'partially_paid'].includes(r.state as string),
          totalFormatted: formatMinor(r.total as number, r.currency as string),
          balanceFormatted: formatMinor(r.balanceDue as number, r.currency as string),
        })),
        pagination: { page, pageSize, total, pageCount: Math.ceil(total / pageSize) },
      };
    },

    async getInvoice(documentId: string) {
      const invoice = await invoiceOr404(documentId);
      const payments = (await strapi.db
        .query(UID.payment)
        .findMany({ where: { invoice: { id: invoice.id } }, orderBy: { id: 'asc' } })) as Array<
        PaymentRecord & Record<string, unknown>
      >;
      const refunds = (await strapi.db.query(UID.refund).findMany({
        where: { payment: { id: { $in: payments.map((p) => p.id) } } },
        populate: ['payment'],
        orderBy: { id: 'asc' },
      })) as RefundRow[];
      // Refundable counts pending and in-flight refunds; failed and canceled ones give it back.
      const refundable = await getService(strapi, 'refunds').refundableMap(payments);
      const auditTrail = await audit().list({ invoice: documentId, pageSize: 100 });
      // The pay token goes out only inside payLink; the attempt lease is internal.
      const { payToken, attemptLockToken: _lease, attemptLockUntil: _leaseUntil, ...rest } = invoice;
      return {
        invoice: {
          ...rest,
          totalFormatted: formatMinor(invoice.total, invoice.currency),
          balanceFormatted: formatMinor(invoice.balanceDue, invoice.currency),
          // The admin screens show every total and convert typed amounts (major units) to minor units.
          subtotalFormatted: formatMinor(Number(invoice.subtotal ?? 0), invoice.currency),
          taxFormatted: formatMinor(Number(invoice.tax ?? 0), invoice.currency),
          discountFormatted: formatMinor(Number(invoice.discountAmount ?? 0), invoice.currency),
          amountPaidFormatted: formatMinor(Number(invoice.amountPaid ?? 0), invoice.currency),
          amountRefundedFormatted: formatMinor(Number(invoice.amountRefunded ?? 0), invoice.currency),
          currencyExponent: currencyExponent(invoice.currency),
          amountStep: amountStep(invoice.currency),
          // What the refund dialog proposes for "what does this refund mean for the invoice".
          refundDefault: (await getService(strapi, 'settings').load()).refundPolicy,
          payLink: payToken
            ? getService(strapi, 'notifications').payLink({
                ...(invoice as unknown as Record<string, unknown>),
                payToken,
              } as never)
            : null,
        },
        payments: payments.map((p) => ({
          ...p,
          amountFormatted: formatMinor(p.amount, p.currency),
          // The gateway's name for the screen's sentences ("… back in your Mollie balance").
          providerLabel: getService(strapi, 'providers').label(p.provider),
          feeFormatted: p.fee ? formatMinor(p.fee, p.currency) : null,
          // Stripe's processing fee, in the balance transaction's currency (may differ from the payment's).
          providerFeeFormatted:
            p.providerFee != null ? formatMinor(p.providerFee, p.providerFeeCurrency ?? p.currency) : null,
          refundable: refundable.get(p.id) ?? 0,
          refundableFormatted: formatMinor(refundable.get(p.id) ?? 0, p.currency),
          dashboardUrl: withLink(
            p.provider,
            p.kind === 'checkout' && !p.providerPaymentId ? 'checkout' : 'payment',
            p.providerPaymentId ?? (p as { sharedPaymentId?: string | null }).sharedPaymentId ?? p.checkoutSessionId,
            p.livemode,
          ),
          disputeUrl: withLink(p.provider, 'dispute', p.disputeId, p.livemode),
          refunds: refunds
            .filter((r) => r.payment?.id === p.id)
            .map((r) => ({
              ...refundView(r, p.provider),
              amountFormatted: formatMinor(r.amount, r.currency),
              createdAt: r.createdAt,
              dashboardUrl: withLink(p.provider, 'refund', r.providerRefundId, p.livemode),
            })),
        })),
        audit: auditTrail.results,
      };
    },
  };
};

export type AdminView = ReturnType<typeof adminView>;
export default adminView;
