import { useEffect, useState } from 'react';
import { Page } from '@strapi/strapi/admin';
import {
  Alert,
  Box,
  Checkbox,
  EmptyStateLayout,
  Flex,
  Link,
  LinkButton,
  Searchbar,
  Table,
  Tbody,
  Td,
  Th,
  Thead,
  Tr,
  Typography,
} from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { Link as RouterLink, useNavigate } from 'react-router-dom';
import { Cog, Plus } from '@strapi/icons';
import { PLUGIN_ID } from '../../pluginId';
import { PERMISSIONS } from '../../permissions';
import { useCan } from '../../hooks/useCan';
import { useListQuery } from '../../hooks/useListQuery';
import { getTranslation } from '../../utils/getTranslation';
import { withQuery } from '../../utils/api';
import { formatDay } from '../../utils/format';
import { useApiGet } from '../../hooks/useApiGet';
import { PluginLayout } from '../../components/PluginLayout';
import { pluginPath, usePlugin } from '../../components/PluginContext';
import { ListFooter } from '../../components/ListFooter';
import { ExportButton } from '../../components/ExportButton';
import { FilterSelect } from '../../components/FilterSelect';
import { OverdueBadge, StatusBadge, statusLabel } from '../../components/StatusBadge';
import { INVOICE_STATUSES, type InvoiceRow, type Paginated } from '../../utils/types';

/** The search box updates the URL (and the server query) once typing pauses. */
const SearchBox = ({ value, onChange }: { value: string; onChange: (q: string) => void }) => {
  const { formatMessage } = useIntl();
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text.trim() === value) return undefined;
    const timer = setTimeout(() => onChange(text.trim()), 300);
    return () => clearTimeout(timer);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [text]);
  const label = formatMessage({ id: getTranslation('invoices.search'), defaultMessage: 'Search by number or client' });
  return (
    <Box width="320px">
      <Searchbar
        name="q"
        value={text}
        onChange={(e: { target: { value: string } }) => setText(e.target.value)}
        onClear={() => setText('')}
        clearLabel={formatMessage({ id: getTranslation('common.clear'), defaultMessage: 'Clear' })}
        placeholder={label}
      >
        {label}
      </Searchbar>
    </Box>
  );
};

export const InvoicesPage = () => {
  const intl = useIntl();
  const { formatMessage } = intl;
  const t = (id: string, defaultMessage: string) => formatMessage({ id: getTranslation(id), defaultMessage });
  const { base, status } = usePlugin();
  const navigate = useNavigate();
  const canCreate = useCan(PERMISSIONS.invoicesEdit).allowed;
  const canSeeSettings = useCan(PERMISSIONS.settingsRead).allowed;
  const list = useListQuery();
  // The exports take the same filters as the list (not the page): what you see, all pages of it.
  const filters = {
    state: list.filters.state,
    q: list.search,
    overdue: list.filters.overdue === 'true' ? 'true' : undefined,
  };
  const url = withQuery(`/${PLUGIN_ID}/invoices`, { page: list.page, pageSize: list.pageSize, ...filters });
  const { data, error, isLoading } = useApiGet<Paginated<InvoiceRow>>(
    url,
    t('invoices.loadError', 'The invoices could not be loaded.'),
  );

  if (error && !data) return <Page.Error />;

  const rows = data?.results ?? [];
  return (
    <PluginLayout
      title={t('app.title', 'Invoice payments')}
      subtitle={t('app.subtitle', 'Invoices, payments and Stripe deliveries')}
      primaryAction={
        <Flex gap={2}>
          {canSeeSettings && (
            <LinkButton tag={RouterLink} to={`/settings/${PLUGIN_ID}/stripe`} variant="tertiary" startIcon={<Cog />}>
              {t('app.settings', 'Stripe settings')}
            </LinkButton>
          )}
          {canCreate && (
            <LinkButton tag={RouterLink} to={`${pluginPath(base)}/invoices/new`} startIcon={<Plus />}>
              {t('invoices.create', 'Create invoice')}
            </LinkButton>
          )}
        </Flex>
      }
    >
      {status && status.connection.status !== 'connected' && (
        <Box paddingBottom={4}>
          <Alert
            variant="warning"
            closeLabel={t('common.close', 'Close')}
            title={t('app.notConnectedTitle', 'Stripe is not connected.')}
          >
            {t(
              'app.notConnected',
              'Clients cannot pay by card until valid Stripe keys are saved in Settings → Invoice payments → Stripe.',
            )}
          </Alert>
        </Box>
      )}
      <Flex gap={4} paddingBottom={4} wrap="wrap" alignItems="center">
        <SearchBox value={list.search} onChange={list.setSearch} />
        <FilterSelect
          label={t('invoices.statusFilter', 'Status')}
          placeholder={t('invoices.allStatuses', 'All statuses')}
          value={list.filters.state}
          options={INVOICE_STATUSES.map((s) => ({ value: s, label: statusLabel(intl, 'invoice', s) }))}
          onChange={(state) => list.setFilters({ state })}
        />
        <Checkbox
          checked={list.filters.overdue === 'true'}
          onCheckedChange={(checked: boolean | 'indeterminate') =>
            list.setFilters({ overdue: checked === true ? 'true' : '' })
          }
        >
          {t('invoices.overdueOnly', 'Overdue only')}
        </Checkbox>
        <Flex gap={2} marginLeft="auto">
          <ExportButton
            url={withQuery(`/${PLUGIN_ID}/exports/invoices.csv`, filters)}
            label={t('export.invoices', 'Export invoices (CSV)')}
            fallbackName="invoices.csv"
          />
          <ExportButton
            url={withQuery(`/${PLUGIN_ID}/exports/payments.csv`, filters)}
            label={t('export.payments', 'Export payments (CSV)')}
            fallbackName="payments.csv"
            variant="tertiary"
          />
        </Flex>
      </Flex>
      {!isLoading && rows.length === 0 ? (
        <EmptyStateLayout
          content={t('invoices.empty', 'No invoices match these filters.')}
          hasRadius
          shadow="tableShadow"
        />
      ) : (
        <Table colCount={6} rowCount={rows.length + 1} aria-busy={isLoading}>
          <Thead>
            <Tr>
              <Th>
                <Typography variant="sigma">{t('invoices.number', 'Number')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('invoices.client', 'Client')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('invoices.total', 'Total')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('invoices.balance', 'Balance')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('invoices.status', 'Status')}</Typography>
              </Th>
              <Th>
                <Typography variant="sigma">{t('invoices.dueDate', 'Due date')}</Typography>
              </Th>
            </Tr>
          </Thead>
          <Tbody>
            {rows.map((row) => {
              const to = pluginPath(base, 'invoices', row.documentId);
              return (
                <Tr
                  key={row.documentId}
                  onClick={() => navigate(to)}
                  style={{ cursor: 'pointer' }}
                  data-testid="invoice-row"
                >
                  <Td>
                    <Link
                      tag={RouterLink}
                      to={to}
                      onClick={(e: { stopPropagation: () => void }) => e.stopPropagation()}
                    >
                      {row.number}
                    </Link>
                  </Td>
                  <Td>
                    <Flex direction="column" alignItems="flex-start">
                      <Typography textColor="neutral800">{row.billingName ?? '—'}</Typography>
                      {row.billingEmail && (
                        <Typography variant="pi" textColor="neutral600">
                          {row.billingEmail}
                        </Typography>
                      )}
                    </Flex>
                  </Td>
                  <Td>
                    <Typography>{row.totalFormatted}</Typography>
                  </Td>
                  <Td>
                    <Typography fontWeight={row.balanceDue > 0 ? 'bold' : undefined}>{row.balanceFormatted}</Typography>
                  </Td>
                  <Td>
                    <Flex gap={1} wrap="wrap">
                      <StatusBadge kind="invoice" status={row.state} />
                      {row.overdue && <OverdueBadge />}
                      {row.disputeOpen && <StatusBadge kind="payment" status="disputed" />}
                    </Flex>
                  </Td>
                  <Td>
                    <Typography textColor={row.overdue ? 'danger600' : 'neutral800'}>
                      {formatDay(intl, row.dueDate)}
                    </Typography>
                  </Td>
                </Tr>
              );
            })}
          </Tbody>
        </Table>
      )}
      <ListFooter pagination={data?.pagination} />
    </PluginLayout>
  );
};
