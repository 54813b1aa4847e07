import { Box, Flex, Grid, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import { formatDay } from '../../utils/format';
import { OverdueBadge, StatusBadge } from '../../components/StatusBadge';
import type { InvoiceDetail } from '../../utils/types';

const Figure = ({
  label,
  value,
  strong,
  testId,
}: {
  label: string;
  value: string;
  strong?: boolean;
  testId?: string;
}) => (
  <Flex direction="column" alignItems="flex-start" gap={1}>
    <Typography variant="sigma" textColor="neutral600">
      {label}
    </Typography>
    <Typography variant={strong ? 'beta' : 'omega'} fontWeight={strong ? 'bold' : undefined} data-testid={testId}>
      {value}
    </Typography>
  </Flex>
);

/** Status and totals of one invoice, as computed by the server from its lines and its ledger. */
export const Summary = ({ invoice }: { invoice: InvoiceDetail }) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string) => intl.formatMessage({ id: getTranslation(id), defaultMessage });
  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
      <Flex direction="column" alignItems="stretch" gap={5}>
        <Flex gap={2} wrap="wrap">
          <StatusBadge kind="invoice" status={invoice.state} />
          {invoice.overdue && <OverdueBadge />}
          {invoice.disputeOpen && <StatusBadge kind="payment" status="disputed" />}
        </Flex>
        {invoice.state === 'void' && invoice.voidReason && (
          <Typography textColor="neutral700" data-testid="void-reason">
            {intl.formatMessage(
              { id: getTranslation('detail.voidedBecause'), defaultMessage: 'Voided: {reason}' },
              { reason: invoice.voidReason },
            )}
          </Typography>
        )}
        {invoice.needsAttention && invoice.attentionReason && (
          <Typography textColor="danger600">{invoice.attentionReason}</Typography>
        )}
        <Grid.Root gap={4}>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.total', 'Total')} value={invoice.totalFormatted} strong testId="invoice-total" />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.paid', 'Paid')} value={invoice.amountPaidFormatted} strong testId="invoice-paid" />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure
              label={t('detail.refunded', 'Refunded')}
              value={invoice.amountRefundedFormatted}
              strong
              testId="invoice-refunded"
            />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure
              label={t('detail.balance', 'Balance due')}
              value={invoice.balanceFormatted}
              strong
              testId="invoice-balance"
            />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.subtotal', 'Subtotal')} value={invoice.subtotalFormatted} />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.tax', 'Tax')} value={invoice.taxFormatted} />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.discount', 'Discount')} value={invoice.discountFormatted} />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.currency', 'Currency')} value={invoice.currency} />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('detail.issueDate', 'Issued')} value={formatDay(intl, invoice.issueDate)} />
          </Grid.Item>
          <Grid.Item col={3} s={6} xs={12}>
            <Figure label={t('invoices.dueDate', 'Due date')} value={formatDay(intl, invoice.dueDate)} />
          </Grid.Item>
          <Grid.Item col={6} s={12}>
            <Figure
              label={t('invoices.client', 'Client')}
              value={[invoice.billingName, invoice.billingEmail].filter(Boolean).join(' · ') || '—'}
            />
          </Grid.Item>
        </Grid.Root>
      </Flex>
    </Box>
  );
};
