import { useState } from 'react';
import { Page } from '@strapi/strapi/admin';
import { Box, Button, EmptyStateLayout, Flex, TextInput } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { withQuery } from '../../utils/api';
import { useApiGet } from '../../hooks/useApiGet';
import { useListQuery } from '../../hooks/useListQuery';
import { PluginLayout } from '../../components/PluginLayout';
import { ListFooter } from '../../components/ListFooter';
import { FilterSelect } from '../../components/FilterSelect';
import { AuditTable } from '../../components/AuditTable';
import type { AuditEntry, Paginated } from '../../utils/types';

const ACTORS = ['admin', 'client', 'stripe', 'system'] as const;
const ACTOR_LABELS: Record<string, string> = { admin: 'Admin', client: 'Client', stripe: 'Stripe', system: 'System' };

/** Who did what, filterable by invoice (number or id), actor and action prefix. */
export const AuditPage = () => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string) => formatMessage({ id: getTranslation(id), defaultMessage });
  const query = useListQuery();
  const [invoiceText, setInvoiceText] = useState(query.filters.invoice ?? '');
  const [actionText, setActionText] = useState(query.filters.action ?? '');
  const { data, error, isLoading } = useApiGet<Paginated<AuditEntry>>(
    withQuery(`/${PLUGIN_ID}/audit-entries`, {
      page: query.page,
      pageSize: query.pageSize,
      invoice: query.filters.invoice,
      actorType: query.filters.actorType,
      action: query.filters.action,
    }),
    t('audit.loadError', 'The audit log could not be loaded.'),
  );

  if (error && !data) return <Page.Error />;
  const rows = data?.results ?? [];
  return (
    <PluginLayout
      title={t('audit.title', 'Audit log')}
      subtitle={t('audit.subtitle', 'Every change to keys, payments, refunds and webhooks')}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          query.setFilters({ invoice: invoiceText.trim(), action: actionText.trim() });
        }}
      >
        <Flex gap={4} paddingBottom={4} wrap="wrap" alignItems="flex-end">
          <Box width="240px">
            <TextInput
              aria-label={t('audit.invoiceFilter', 'Invoice number')}
              placeholder={t('audit.invoiceFilter', 'Invoice number')}
              value={invoiceText}
              onChange={(e: { target: { value: string } }) => setInvoiceText(e.target.value)}
            />
          </Box>
          <FilterSelect
            width="200px"
            label={t('audit.actorFilter', 'Actor')}
            placeholder={t('audit.allActors', 'All actors')}
            value={query.filters.actorType}
            options={ACTORS.map((a) => ({ value: a, label: t(`audit.actor.${a}`, ACTOR_LABELS[a]!) }))}
            onChange={(actorType) => query.setFilters({ actorType })}
          />
          <Box width="240px">
            <TextInput
              aria-label={t('audit.actionFilter', 'Action starts with')}
              placeholder={t('audit.actionFilter', 'Action starts with')}
              value={actionText}
              onChange={(e: { target: { value: string } }) => setActionText(e.target.value)}
            />
          </Box>
          <Button type="submit" variant="secondary">
            {t('common.filter', 'Filter')}
          </Button>
        </Flex>
      </form>
      {!isLoading && rows.length === 0 ? (
        <EmptyStateLayout content={t('audit.empty', 'No entries.')} hasRadius shadow="tableShadow" />
      ) : (
        <AuditTable entries={rows} />
      )}
      <ListFooter pagination={data?.pagination} />
    </PluginLayout>
  );
};
