import { Suspense, lazy, useState } from 'react';
import { Page } from '@strapi/strapi/admin';
import {
  Box,
  EmptyStateLayout,
  Flex,
  Grid,
  Loader,
  SingleSelect,
  SingleSelectOption,
  Typography,
} from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { formatMajor } from '../../utils/money';
import { useApiGet } from '../../hooks/useApiGet';
import { PluginLayout } from '../../components/PluginLayout';
import { ExportButton } from '../../components/ExportButton';
import type { DashboardData, DashboardCurrency } from '../../utils/types';

// The chart library is loaded only when the dashboard has something to draw: its own chunk.
const CollectedChart = lazy(() => import('./CollectedChart'));

const Card = ({
  label,
  value,
  hint,
  testId,
  tone,
}: {
  label: string;
  value: string;
  hint?: string;
  testId: string;
  tone?: 'danger' | 'success';
}) => (
  <Box background="neutral0" hasRadius shadow="tableShadow" padding={5} height="100%">
    <Flex direction="column" alignItems="flex-start" gap={1}>
      <Typography variant="sigma" textColor="neutral600">
        {label}
      </Typography>
      <Typography
        variant="beta"
        tag="p"
        textColor={tone === 'danger' ? 'danger600' : tone === 'success' ? 'success600' : 'neutral800'}
        data-testid={testId}
      >
        {value}
      </Typography>
      {hint && (
        <Typography variant="pi" textColor="neutral600">
          {hint}
        </Typography>
      )}
    </Flex>
  </Box>
);

/** One row of three cards for a currency: what is owed, what is late, what came in this month. */
const CurrencyCards = ({ c }: { c: DashboardCurrency }) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string | number>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const money = (minor: number) => formatMajor(minor, c.currency, c.exponent, intl.locale);
  return (
    <Box paddingBottom={4} data-testid={`dashboard-${c.currency}`}>
      <Typography variant="delta" tag="h2">
        {c.currency}
      </Typography>
      <Grid.Root gap={4} paddingTop={2}>
        <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
          <Card
            testId={`outstanding-${c.currency}`}
            label={t('dashboard.outstanding', 'Outstanding')}
            value={money(c.outstanding)}
            hint={t('dashboard.openInvoices', '{count, plural, one {# open invoice} other {# open invoices}}', {
              count: c.outstandingCount,
            })}
          />
        </Grid.Item>
        <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
          <Card
            testId={`overdue-${c.currency}`}
            tone={c.overdue > 0 ? 'danger' : undefined}
            label={t('dashboard.overdue', 'Overdue')}
            value={money(c.overdue)}
            hint={t(
              'dashboard.overdueInvoices',
              '{count, plural, =0 {Nothing past its due date} one {# invoice past its due date} other {# invoices past their due date}}',
              { count: c.overdueCount },
            )}
          />
        </Grid.Item>
        <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
          <Card
            testId={`collected-${c.currency}`}
            tone={c.netThisMonth > 0 ? 'success' : undefined}
            label={t('dashboard.collectedThisMonth', 'Collected this month')}
            value={money(c.netThisMonth)}
            hint={
              c.refundedThisMonth > 0
                ? t('dashboard.collectedHint', '{collected} received, {refunded} refunded', {
                    collected: money(c.collectedThisMonth),
                    refunded: money(c.refundedThisMonth),
                  })
                : t('dashboard.noRefunds', 'No refunds this month')
            }
          />
        </Grid.Item>
      </Grid.Root>
    </Box>
  );
};

/** The plugin's home: totals per currency, the last 12 months of collections, CSV downloads. */
export const DashboardPage = () => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string) => intl.formatMessage({ id: getTranslation(id), defaultMessage });
  const { data, error, isLoading } = useApiGet<{ data: DashboardData }>(
    `/${PLUGIN_ID}/dashboard`,
    t('dashboard.loadError', 'The dashboard could not be loaded.'),
  );
  const dashboard = data?.data;
  const series = dashboard?.series ?? [];
  const [picked, setPicked] = useState<string | null>(null);
  const currency = series.find((s) => s.currency === picked) ?? series[0];

  if (error && !dashboard) return <Page.Error />;

  return (
    <PluginLayout
      title={t('app.title', 'Invoice payments')}
      subtitle={t(
        'dashboard.subtitle',
        'What is owed and what came in, per currency. Months are calendar months in UTC.',
      )}
      primaryAction={
        <ExportButton
          url={`/${PLUGIN_ID}/exports/payments.csv`}
          label={t('export.payments', 'Export payments (CSV)')}
          fallbackName="payments.csv"
        />
      }
    >
      {isLoading && !dashboard ? (
        <Loader>{t('dashboard.loading', 'Loading the dashboard…')}</Loader>
      ) : dashboard && dashboard.currencies.length === 0 ? (
        <EmptyStateLayout
          content={t(
            'dashboard.empty',
            'No open invoices and nothing collected yet. Totals appear here once invoices are sent.',
          )}
          hasRadius
          shadow="tableShadow"
        />
      ) : (
        dashboard?.currencies.map((c) => <CurrencyCards key={c.currency} c={c} />)
      )}
      {dashboard && (
        <Box background="neutral0" hasRadius shadow="tableShadow" padding={6} marginTop={2}>
          <Flex justifyContent="space-between" alignItems="center" paddingBottom={4} gap={4} wrap="wrap">
            <Typography variant="delta" tag="h2">
              {t('dashboard.chartTitle', 'Collected per month (last 12 months)')}
            </Typography>
            {series.length > 1 && currency && (
              <Box width="160px">
                <SingleSelect
                  aria-label={t('dashboard.currency', 'Currency')}
                  value={currency.currency}
                  onChange={(v: string | number) => setPicked(String(v))}
                >
                  {series.map((s) => (
                    <SingleSelectOption key={s.currency} value={s.currency}>
                      {s.currency}
                    </SingleSelectOption>
                  ))}
                </SingleSelect>
              </Box>
            )}
          </Flex>
          {currency ? (
            <Suspense fallback={<Loader small>{t('dashboard.loadingChart', 'Loading the chart…')}</Loader>}>
              <CollectedChart
                series={currency}
                exponent={dashboard.currencies.find((c) => c.currency === currency.currency)?.exponent ?? 2}
              />
            </Suspense>
          ) : (
            <EmptyStateLayout content={t('dashboard.chartEmpty', 'Nothing collected in the last 12 months yet.')} />
          )}
        </Box>
      )}
    </PluginLayout>
  );
};
