import { Fragment, useState } from 'react';
import { Badge, Box, Button, Flex, Link, Table, Tbody, Td, Th, Thead, Tr, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { Link as RouterLink } from 'react-router-dom';
import { getTranslation } from '../utils/getTranslation';
import { formatDateTime } from '../utils/format';
import { auditSentence } from '../utils/auditSentence';
import { pluginPath, usePlugin } from './PluginContext';
import type { AuditEntry } from '../utils/types';

const ACTOR_LABELS: Record<string, string> = { admin: 'Admin', client: 'Client', stripe: 'Stripe', system: 'System' };

export const ActorBadge = ({ type }: { type: string }) => {
  const { formatMessage } = useIntl();
  return (
    <Badge>
      {formatMessage({ id: getTranslation(`audit.actor.${type}`), defaultMessage: ACTOR_LABELS[type] ?? type })}
    </Badge>
  );
};

/** The audit log table: on the Audit log screen and, for one invoice, on its detail page. */
export const AuditTable = ({ entries, showInvoice = true }: { entries: AuditEntry[]; showInvoice?: boolean }) => {
  const intl = useIntl();
  const { base } = usePlugin();
  const t = (id: string, defaultMessage: string) => intl.formatMessage({ id: getTranslation(id), defaultMessage });
  const columns = showInvoice ? 6 : 5;
  // Entries whose raw details (the JSON the server stored) are shown under the sentence.
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const toggle = (id: number) =>
    setOpen((prev) => {
      const next = new Set(prev);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
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
          <Fragment key={entry.id}>
            <Tr data-testid="audit-row">
              <Td>
                <Typography>{formatDateTime(intl, entry.createdAt)}</Typography>
              </Td>
              {/* Badge above the name, and long names and sentences may break anywhere: at 1280 px the
                table fits without scrolling sideways (an admin's email is often the longest word). */}
              <Td style={{ maxWidth: '18rem', whiteSpace: 'normal' }}>
                <Flex direction="column" alignItems="flex-start" gap={1}>
                  <ActorBadge type={entry.actorType} />
                  {entry.actorLabel && (
                    <Typography variant="pi" textColor="neutral600" style={{ overflowWrap: 'anywhere' }}>
                      {entry.actorLabel}
                    </Typography>
                  )}
                </Flex>
              </Td>
              <Td style={{ maxWidth: '32rem', whiteSpace: 'normal' }}>
                <Typography
                  fontWeight="semiBold"
                  tag="p"
                  data-testid="audit-sentence"
                  style={{ overflowWrap: 'anywhere' }}
                >
                  {auditSentence(intl, entry)}
                </Typography>
                <Typography variant="pi" textColor="neutral500">
                  {entry.action}
                </Typography>
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
              <Td>
                {entry.details && Object.keys(entry.details).length > 0 ? (
                  <Button
                    size="S"
                    variant="tertiary"
                    aria-expanded={open.has(entry.id)}
                    onClick={() => toggle(entry.id)}
                  >
                    {open.has(entry.id)
                      ? t('audit.hideDetails', 'Hide details')
                      : t('audit.showDetails', 'Show details')}
                  </Button>
                ) : (
                  <Typography textColor="neutral500">—</Typography>
                )}
              </Td>
            </Tr>
            {open.has(entry.id) && (
              <Tr data-testid="audit-details">
                <Td colSpan={columns}>
                  <Box background="neutral100" padding={3} hasRadius>
                    <pre style={{ margin: 0, whiteSpace: 'pre-wrap', wordBreak: 'break-word', fontSize: '1.2rem' }}>
                      {JSON.stringify(entry.details, null, 2)}
                    </pre>
                  </Box>
                </Td>
              </Tr>
            )}
          </Fragment>
        ))}
      </Tbody>
    </Table>
  );
};
