import { useEffect, useState } from 'react';
import { Page, useFetchClient, useNotification } from '@strapi/strapi/admin';
import {
  Box,
  Button,
  EmptyStateLayout,
  Flex,
  Link,
  Table,
  Tbody,
  Td,
  TextInput,
  Th,
  Thead,
  Tr,
  Typography,
} from '@strapi/design-system';
import { ArrowClockwise } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { Link as RouterLink } from 'react-router-dom';
import { PLUGIN_ID } from '../../pluginId';
import { PERMISSIONS } from '../../permissions';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError, withQuery } from '../../utils/api';
import { formatDateTime } from '../../utils/format';
import { useApiGet } from '../../hooks/useApiGet';
import { useCan } from '../../hooks/useCan';
import { useListQuery } from '../../hooks/useListQuery';
import { PluginLayout } from '../../components/PluginLayout';
import { pluginPath, usePlugin } from '../../components/PluginContext';
import { ListFooter } from '../../components/ListFooter';
import { FilterSelect } from '../../components/FilterSelect';
import { StatusBadge, statusLabel } from '../../components/StatusBadge';
import { HealthLine } from './HealthLine';
import { ApiDriftNotice } from './ApiDriftNotice';
import {
  EVENT_STATUSES,
  PROVIDER_LABELS,
  type Paginated,
  type WebhookEventRow,
  type WebhookHealth,
} from '../../utils/types';

const HEALTH_REFRESH_MS = 30000;

/** The payment providers' deliveries to this site, newest first, with a replay for dead-lettered ones. */
export const WebhooksPage = () => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { base } = usePlugin();
  const { post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const replayAllowed = useCan(PERMISSIONS.webhooksReplay).allowed;
  const query = useListQuery();
  const [typeText, setTypeText] = useState(query.filters.type ?? '');
  const [replaying, setReplaying] = useState<string | null>(null);
  const list = useApiGet<Paginated<WebhookEventRow>>(
    withQuery(`/${PLUGIN_ID}/webhook-events`, {
      page: query.page,
      pageSize: query.pageSize,
      status: query.filters.status,
      provider: query.filters.provider,
      type: query.filters.type,
    }),
    t('webhooks.loadError', 'The webhook deliveries could not be loaded.'),
  );
  const health = useApiGet<{ data: WebhookHealth }>(
    `/${PLUGIN_ID}/webhook-events/health`,
    t('webhooks.loadError', 'The webhook deliveries could not be loaded.'),
  );

  // The health line is what tells an admin that Stripe stopped reaching the site: keep it fresh.
  const reloadHealth = health.reload;
  useEffect(() => {
    const timer = setInterval(reloadHealth, HEALTH_REFRESH_MS);
    return () => clearInterval(timer);
  }, [reloadHealth]);

  const replay = async (row: WebhookEventRow) => {
    setReplaying(row.documentId);
    try {
      const res = await post<{ data: WebhookEventRow }>(
        `/${PLUGIN_ID}/webhook-events/${encodeURIComponent(row.documentId)}/replay`,
        {},
      );
      const status = res.data.data?.status ?? 'received';
      const label = statusLabel(intl, 'event', status);
      toggleNotification({
        type: status === 'processed' || status === 'ignored' ? 'success' : 'warning',
        message: t('webhooks.replayed', 'Event replayed: {status}.', { status: label }),
      });
    } catch (e) {
      toggleNotification({
        type: 'danger',
        message: readApiError(e, t('webhooks.replayFailed', 'The event could not be replayed.')).message,
      });
    } finally {
      setReplaying(null);
      list.reload();
      health.reload();
    }
  };

  if (list.error && !list.data) return <Page.Error />;
  const rows = list.data?.results ?? [];

  return (
    <PluginLayout
      title={t('webhooks.title', 'Webhook deliveries')}
      subtitle={t('webhooks.subtitle', 'Events the payment providers sent to this site and what became of them')}
    >
      {health.data && <HealthLine health={health.data.data} />}
      {health.data?.data.apiVersions && <ApiDriftNotice reports={health.data.data.apiVersions} />}
      <Flex gap={4} paddingBottom={4} wrap="wrap" alignItems="flex-end">
        <FilterSelect
          label={t('webhooks.providerFilter', 'Provider')}
          placeholder={t('webhooks.allProviders', 'All providers')}
          value={query.filters.provider}
          options={Object.entries(PROVIDER_LABELS).map(([value, label]) => ({ value, label }))}
          onChange={(provider) => query.setFilters({ provider })}
          width="180px"
        />
        <FilterSelect
          label={t('webhooks.statusFilter', 'Status')}
          placeholder={t('webhooks.allStatuses', 'All statuses')}
          value={query.filters.status}
          options={EVENT_STATUSES.map((s) => ({ value: s, label: statusLabel(intl, 'event', s) }))}
          onChange={(status) => query.setFilters({ status })}
        />
        <form
          onSubmit={(e) => {
            e.preventDefault();
            query.setFilters({ type: typeText.trim() });
          }}
        >
          <Flex gap={2}>
            <Box width="260px">
              <TextInput
                aria-label={t('webhooks.typeFilter', 'Event type starts with')}
                placeholder={t('webhooks.typeFilter', 'Event type starts with')}
                value={typeText}
                onChange={(e: { target: { value: string } }) => setTypeText(e.target.value)}
              />
            </Box>
            <Button type="submit" variant="secondary">
              {t('common.filter', 'Filter')}
            </Button>
          </Flex>
        </form>
      </Flex>
      {!list.isLoading && rows.length === 0 ? (
        <EmptyStateLayout
          content={t('webhooks.empty', 'No webhook deliveries match these filters.')}
          hasRadius
          shadow="tableShadow"
        />
      ) : (
        <Table colCount={7} rowCount={rows.length + 1}>
          <Thead>
            <Tr>
              {[
                ['webhooks.time', 'Received'],
                ['webhooks.provider', 'Provider'],
                ['webhooks.type', 'Type'],
                ['webhooks.status', 'Status'],
                ['webhooks.attempts', 'Attempts'],
                ['webhooks.lastError', 'Last error'],
                ['webhooks.actions', 'Actions'],
              ].map(([id, label]) => (
                <Th key={id}>
                  <Typography variant="sigma">{t(id!, label!)}</Typography>
                </Th>
              ))}
            </Tr>
          </Thead>
          <Tbody>
            {rows.map((row) => (
              <Tr key={row.documentId} data-testid="webhook-row">
                <Td>
                  <Typography>{formatDateTime(intl, row.createdAt)}</Typography>
                </Td>
                <Td data-testid="webhook-provider">
                  {/* Rows from before events recorded their provider are Stripe's. */}
                  <Typography>{PROVIDER_LABELS[row.provider ?? 'stripe'] ?? row.provider}</Typography>
                </Td>
                {/* Event ids can be long (Mollie's `tr_…:status`): they wrap; the type stays whole. */}
                <Td style={{ maxWidth: '20rem', whiteSpace: 'normal' }}>
                  <Flex direction="column" alignItems="flex-start">
                    <Typography fontWeight="semiBold">{row.type}</Typography>
                    <Typography variant="pi" textColor="neutral600" style={{ overflowWrap: 'anywhere' }}>
                      {row.providerEventId}
                    </Typography>
                    {row.invoiceDocumentId && (
                      <Link tag={RouterLink} to={pluginPath(base, 'invoices', row.invoiceDocumentId)}>
                        {t('webhooks.invoice', 'Invoice')}
                      </Link>
                    )}
                  </Flex>
                </Td>
                <Td>
                  <Flex direction="column" alignItems="flex-start" gap={1}>
                    <StatusBadge kind="event" status={row.status} />
                    {row.status === 'ignored' && row.ignoredReason && (
                      <Typography variant="pi" textColor="neutral600">
                        {row.ignoredReason}
                      </Typography>
                    )}
                  </Flex>
                </Td>
                <Td>
                  <Typography>
                    {row.attempts}
                    {row.deliveries > 1
                      ? ` · ${t('webhooks.deliveries', '{count} deliveries', { count: String(row.deliveries) })}`
                      : ''}
                  </Typography>
                </Td>
                <Td style={{ maxWidth: '24rem', whiteSpace: 'normal', wordBreak: 'break-word' }}>
                  <Typography variant="pi" textColor={row.lastError ? 'danger600' : 'neutral500'}>
                    {row.lastError ?? '—'}
                  </Typography>
                </Td>
                <Td>
                  {replayAllowed && row.status === 'dead_lettered' && (
                    <Button
                      size="S"
                      variant="secondary"
                      startIcon={<ArrowClockwise />}
                      loading={replaying === row.documentId}
                      onClick={() => void replay(row)}
                    >
                      {t('webhooks.replay', 'Replay')}
                    </Button>
                  )}
                </Td>
              </Tr>
            ))}
          </Tbody>
        </Table>
      )}
      <ListFooter pagination={list.data?.pagination} />
    </PluginLayout>
  );
};
