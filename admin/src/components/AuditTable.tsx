import { Badge, Flex, Link, Table, Tbody, Td, Th, Thead, Tr, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { Link as RouterLink } from 'react-router-dom';
import { getTranslation } from '../utils/getTranslation';
import { formatDateTime } from '../utils/format';
import { pluginPath, usePlugin } from './PluginContext';
import type { AuditEntry } from '../utils/types';

const ACTOR_LABELS: Record<string, string> = { admin: 'Admin', client: 'Client', stripe: 'Stripe', system: 'System' };

/** Details are small JSON objects (ids, amounts, fingerprints): shown as key: value pairs. */
function detailsText(details: AuditEntry['details']): string {
  if (!details || typeof details !== 'object') return '';
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' · ');
}

export const ActorBadge = ({ type }: { type: string }) => {
  const { formatMessage } = useIntl();
  return <Badge>{formatMessage({ id: getTranslation(`audit.actor.${type}`), defaultMessage: ACTOR_LABELS[type] ?? type })}</Badge>;
};

/** The audit log table: on the Audit log screen and, for one invoice, on its detail page. */
export const AuditTable = ({ entries, showInvoice = true }: { entries: AuditEntry[]; showInvoice?: boolean }) => {
  const intl = useIntl();
  const { base } = usePlugin();
  const t = (id: string, defaultMessage: string) => intl.formatMessage({ id: getTranslation(id), defaultMessage });
  const columns = showInvoice ? 6 : 5;
  return (
    <Table colCount={columns} rowCount={entries.length + 1}>
      <Thead>
        <Tr>
          <Th>
            <Typography variant="sigma">{t('audit.time', 'Time')}</Typography>
          </Th>
          <Th>
            <Typography variant="sigma">{t('audit.actor', 'Actor')}</Typography>
          </Th>
          <Th>
            <Typography variant="sigma">{t('audit.action', 'Action')}</Typography>
          </Th>
          {showInvoice && (
            <Th>
              <Typography variant="sigma">{t('audit.invoice', 'Invoice')}</Typography>
            </Th>
          )}
          <Th>
            <Typography variant="sigma">{t('audit.outcome', 'Outcome')}</Typography>
          </Th>
          <Th>
            <Typography variant="sigma">{t('audit.details', 'Details')}</Typography>
          </Th>
        </Tr>
      </Thead>
      <Tbody>
        {entries.map((entry) => (
          <Tr key={entry.id} data-testid="audit-row">
            <Td>
              <Typography>{formatDateTime(intl, entry.createdAt)}</Typography>
            </Td>
            <Td>
              <Flex gap={2}>
                <ActorBadge type={entry.actorType} />
                {entry.actorLabel && (
                  <Typography variant="pi" textColor="neutral600">
                    {entry.actorLabel}
                  </Typography>
                )}
              </Flex>
            </Td>
            <Td>
              <Typography fontWeight="semiBold">{entry.action}</Typography>
            </Td>
            {showInvoice && (
              <Td>
                {entry.invoiceDocumentId ? (
                  <Link tag={RouterLink} to={pluginPath(base, 'invoices', entry.invoiceDocumentId)}>
                    {entry.invoiceNumber ?? entry.invoiceDocumentId}
                  </Link>
                ) : (
                  <Typography textColor="neutral500">—</Typography>
                )}
              </Td>
            )}
            <Td>
              <Typography>{entry.outcome ?? '—'}</Typography>
            </Td>
            <Td style={{ maxWidth: '28rem', whiteSpace: 'normal', wordBreak: 'break-word' }}>
              <Typography variant="pi" textColor="neutral700">
                {detailsText(entry.details)}
              </Typography>
            </Td>
          </Tr>
        ))}
      </Tbody>
    </Table>
  );
};
