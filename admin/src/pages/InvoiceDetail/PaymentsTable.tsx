import { Fragment } from 'react';
import {
  Box,
  Button,
  EmptyStateLayout,
  Flex,
  Link,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tooltip,
  Tr,
  Typography,
} from '@strapi/design-system';
import { ExternalLink } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import { formatDateTime, formatDay } from '../../utils/format';
import { StatusBadge } from '../../components/StatusBadge';
import { ExportButton } from '../../components/ExportButton';
import { PLUGIN_ID } from '../../pluginId';
import { METHOD_LABELS, providerName, type PaymentView } from '../../utils/types';

interface Props {
  /** The invoice's documentId and number: each received payment's receipt is downloaded from it. */
  invoice: { documentId: string; number: string };
  payments: PaymentView[];
  canRefund: boolean;
  canVoid: boolean;
  onRefund: (payment: PaymentView) => void;
  onVoid: (payment: PaymentView) => void;
}

/** Payments that have a receipt (server/src/services/documents.ts RECEIPT_STATUSES). */
const RECEIPT_STATUSES = ['succeeded', 'partially_refunded', 'refunded', 'disputed'];

/** Stripe's dispute statuses, in words (defaultMessage of `dispute.<status>`). */
const DISPUTE_LABELS: Record<string, string> = {
  warning_needs_response: 'Inquiry: needs response',
  warning_under_review: 'Inquiry: under review',
  warning_closed: 'Inquiry closed',
  needs_response: 'Needs response',
  under_review: 'Under review',
  won: 'Won',
  lost: 'Lost',
  open: 'Open',
  closed: 'Closed, money kept',
  unknown: 'Unknown status: check {provider}',
};

/**
 * Why a refund failed, in words (defaultMessage of `refund.failure.<reason>`): Stripe's
 * `failure_reason` values (https://docs.stripe.com/api/refunds/object), and the plugin's own
 * `not_created` (checked at Stripe after an error: never made) and `provider_refused`.
 */
export const REFUND_FAILURE_LABELS: Record<string, string> = {
  lost_or_stolen_card: 'the card was reported lost or stolen',
  expired_or_canceled_card: 'the card has expired or was canceled',
  charge_for_pending_refund_disputed: 'the payment was disputed while the refund was pending',
  insufficient_funds: 'the {provider} balance could not cover it',
  declined: 'the card issuer declined it',
  merchant_request: 'it was canceled on request',
  not_created: '{provider} never made it (checked after an error)',
  provider_refused: '{provider} refused it',
  unknown: 'the bank gave no reason',
};

/**
 * Cells whose text may wrap when the table is short of room (dates at their spaces, Stripe ids
 * anywhere): at 1280 px, a refunded payment's row would otherwise push Refund out of view.
 */
const WRAP = { whiteSpace: 'normal' } as const;
const BREAK_ANYWHERE = { overflowWrap: 'anywhere' } as const;

/** A Stripe id that opens the Stripe Dashboard in the payment's own mode (test or live). */
const DashboardLink = ({ href, label }: { href: string | null; label: string | null }) =>
  href && label ? (
    <Link href={href} isExternal endIcon={<ExternalLink />} style={BREAK_ANYWHERE}>
      {label}
    </Link>
  ) : (
    <Typography style={BREAK_ANYWHERE}>{label ?? '—'}</Typography>
  );

/** Payment history: each ledger entry, then its refunds and dispute as indented rows. */
export const PaymentsTable = ({ invoice, payments, canRefund, canVoid, onRefund, onVoid }: Props) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  if (payments.length === 0)
    return <EmptyStateLayout content={t('payments.empty', 'No payments yet.')} hasRadius shadow="tableShadow" />;
  /** The payment's provider by name, for the sentences that say who holds the money. */
  const providerOf = (p: PaymentView) => ({ provider: providerName(p) });
  const failureWords = (reason: string, serverText: string | null, p: PaymentView) => {
    const words = t(
      `refund.failure.${reason}`,
      REFUND_FAILURE_LABELS[reason] ?? serverText ?? reason.replace(/_/g, ' '),
      providerOf(p),
    );
    return words.charAt(0).toUpperCase() + words.slice(1);
  };
  const method = (p: PaymentView) => {
    const code = p.kind === 'manual' ? (p.method ?? 'other') : (p.method ?? 'card');
    const label = t(`method.${code}`, METHOD_LABELS[code] ?? code);
    return p.kind === 'checkout' ? `${label} (${t('method.checkout', METHOD_LABELS.checkout!, providerOf(p))})` : label;
  };
  return (
    <Table colCount={8} rowCount={payments.length + 1}>
      <Thead>
        <Tr>
          {[
            ['payments.date', 'Date'],
            ['payments.method', 'Method'],
            ['payments.amount', 'Amount'],
            // The card fee added to the client's amount (settings), not Stripe's fee to you.
            ['payments.fee', 'Client fee'],
            ['payments.providerFee', 'Provider fee'],
            ['payments.status', 'Status'],
            ['payments.reference', 'Reference'],
            ['payments.actions', 'Actions'],
          ].map(([id, label]) => (
            <Th key={id}>
              <Typography variant="sigma">{t(id!, label!)}</Typography>
            </Th>
          ))}
        </Tr>
      </Thead>
      <Tbody>
        {payments.map((p) => (
          <Fragment key={p.documentId}>
            <Tr data-testid="payment-row">
              <Td style={WRAP}>
                {/* A manual payment has a day, not a time (the server stores it at noon UTC). */}
                <Typography>
                  {p.kind === 'manual' && p.paidAt
                    ? formatDay(intl, p.paidAt)
                    : formatDateTime(intl, p.paidAt ?? p.createdAt)}
                </Typography>
              </Td>
              <Td>
                <Typography>{method(p)}</Typography>
              </Td>
              <Td>
                <Typography fontWeight="semiBold" textDecoration={p.voidedAt ? 'line-through' : undefined}>
                  {p.amountFormatted}
                </Typography>
              </Td>
              <Td>
                <Typography>{p.feeFormatted ?? '—'}</Typography>
              </Td>
              <Td>
                <Typography data-testid="stripe-fee">{p.providerFeeFormatted ?? '—'}</Typography>
              </Td>
              <Td>
                <Flex gap={1} wrap="wrap">
                  {p.voidedAt ? (
                    <StatusBadge kind="payment" status="canceled" />
                  ) : (
                    <StatusBadge kind="payment" status={p.status} />
                  )}
                  {p.voidedAt && (
                    <Typography variant="pi" textColor="neutral600">
                      {t('payments.voided', 'Voided')}
                      {p.voidReason ? `: ${p.voidReason}` : ''}
                    </Typography>
                  )}
                </Flex>
                {/* A bank debit (SEPA, ACH) is `processing` for days: not paid yet, and it can still fail. */}
                {p.status === 'processing' && !p.voidedAt && (
                  <Typography variant="pi" textColor="warning600" tag="p" data-testid="payment-pending">
                    {t('payments.pending', 'Payment pending, usually 3–5 business days')}
                  </Typography>
                )}
                {/* Only a failed payment has a failure: an earlier decline of a payment that then went through
                    is history. */}
                {p.status === 'failed' && p.failureMessage && (
                  <Tooltip label={p.failureMessage}>
                    <Box maxWidth="22rem">
                      <Typography variant="pi" textColor="danger600" ellipsis tag="p" data-testid="payment-failure">
                        {p.failureMessage}
                      </Typography>
                    </Box>
                  </Tooltip>
                )}
              </Td>
              <Td style={WRAP}>
                {p.kind === 'manual' ? (
                  <Typography>{p.reference ?? '—'}</Typography>
                ) : (
                  <Flex direction="column" alignItems="flex-start" gap={0}>
                    {/* The charge is what Stripe's receipts and bank statements name; the intent stays one hover
                        away. */}
                    <DashboardLink
                      href={p.dashboardUrl}
                      label={p.chargeId ?? p.providerPaymentId ?? p.checkoutSessionId}
                    />
                    {p.chargeId && p.providerPaymentId && (
                      <Tooltip label={t('payments.intentId', 'PaymentIntent {id}', { id: p.providerPaymentId })}>
                        <Typography
                          variant="pi"
                          textColor="neutral600"
                          data-testid="payment-intent-id"
                          style={BREAK_ANYWHERE}
                        >
                          {p.providerPaymentId}
                        </Typography>
                      </Tooltip>
                    )}
                  </Flex>
                )}
              </Td>
              <Td>
                <Flex gap={2}>
                  {/* The client's receipt (the same PDF as on the pay page), for money that was received. */}
                  {RECEIPT_STATUSES.includes(p.status) && !p.voidedAt && (
                    <ExportButton
                      url={`/${PLUGIN_ID}/invoices/${encodeURIComponent(invoice.documentId)}/receipts/${encodeURIComponent(p.documentId)}.pdf`}
                      label={t('payments.receipt', 'Receipt')}
                      fallbackName={`receipt-${invoice.number}.pdf`}
                      variant="tertiary"
                      size="S"
                    />
                  )}
                  {canRefund && p.refundable > 0 && (
                    <Button size="S" variant="secondary" onClick={() => onRefund(p)}>
                      {t('payments.refund', 'Refund')}
                    </Button>
                  )}
                  {canVoid && p.kind === 'manual' && !p.voidedAt && (
                    <Button size="S" variant="danger-light" onClick={() => onVoid(p)}>
                      {t('payments.void', 'Void')}
                    </Button>
                  )}
                </Flex>
              </Td>
            </Tr>
            {p.refunds.map((r, i) => (
              <Tr key={`${p.documentId}-refund-${r.id ?? i}`} data-testid="refund-row">
                <Td style={WRAP}>
                  <Typography textColor="neutral600">{formatDateTime(intl, r.createdAt)}</Typography>
                </Td>
                <Td>
                  <Typography textColor="neutral600">↳ {t('payments.refundEntry', 'Refund')}</Typography>
                </Td>
                <Td>
                  <Typography textColor="neutral600">−{r.amountFormatted}</Typography>
                </Td>
                <Td />
                <Td />
                <Td>
                  <StatusBadge kind="refund" status={r.status} />
                  {r.invoiceEffect && (
                    <Typography variant="pi" textColor="neutral600" tag="p" data-testid="refund-effect">
                      {r.invoiceEffect === 'keep_paid'
                        ? t('payments.refundKeptPaid', 'Invoice kept paid')
                        : t('payments.refundReopened', 'Balance reopened')}
                    </Typography>
                  )}
                  {(r.status === 'failed' || r.status === 'canceled') && (
                    <Typography variant="pi" textColor="danger600" tag="p" data-testid="refund-failure">
                      {t(
                        'payments.refundFailed',
                        '{label}. The money is back in your {provider} balance; you can refund again.',
                        {
                          label: failureWords(r.failureReason ?? 'unknown', r.failureText ?? null, p),
                          ...providerOf(p),
                        },
                      )}
                    </Typography>
                  )}
                  {r.status === 'unknown' && (
                    <Typography variant="pi" textColor="warning600" tag="p" data-testid="refund-unconfirmed">
                      {t(
                        'payments.refundUnconfirmed',
                        '{provider} has not confirmed this refund yet. Resync or refund again: {provider} is checked first, so it is never made twice.',
                        providerOf(p),
                      )}
                    </Typography>
                  )}
                </Td>
                <Td style={WRAP}>
                  <DashboardLink href={r.dashboardUrl} label={r.id} />
                </Td>
                <Td />
              </Tr>
            ))}
            {p.disputeId && (
              <Tr data-testid="dispute-row">
                <Td />
                <Td>
                  <Typography textColor="danger600">↳ {t('payments.dispute', 'Dispute')}</Typography>
                </Td>
                <Td />
                <Td />
                <Td />
                <Td>
                  <Typography textColor="danger600">
                    {p.disputeStatus
                      ? t(
                          `dispute.${p.disputeStatus}`,
                          DISPUTE_LABELS[p.disputeStatus] ?? p.disputeStatus,
                          providerOf(p),
                        )
                      : '—'}
                  </Typography>
                </Td>
                <Td style={WRAP}>
                  <DashboardLink href={p.disputeUrl} label={p.disputeId} />
                </Td>
                <Td />
              </Tr>
            )}
          </Fragment>
        ))}
      </Tbody>
    </Table>
  );
};
