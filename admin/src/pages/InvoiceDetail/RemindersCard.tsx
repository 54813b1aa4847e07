import { useState } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Badge, Box, Field, Flex, Table, Tbody, Td, Th, Thead, Toggle, Tr, Typography } from '@strapi/design-system';
import { useIntl, type IntlShape } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import { formatDateTime } from '../../utils/format';
import { useApiGet } from '../../hooks/useApiGet';
import type { InvoiceRemindersView } from '../../utils/types';

interface Props {
  documentId: string;
  canEdit: boolean;
  /** After the switch changed (the audit trail below has a new entry). */
  onChanged: () => void;
}

type T = (id: string, defaultMessage: string, values?: Record<string, string>) => string;

/** "3 days before the due date", "On the due date", "7 days after the due date". */
function reminderName(t: T, r: { kind: 'before' | 'due' | 'after'; days: number }): string {
  if (r.kind === 'due') return t('reminders.kind.due', 'On the due date');
  const days = String(Math.abs(r.days));
  return r.kind === 'before'
    ? t('reminders.kind.before', '{days} days before the due date', { days })
    : t('reminders.kind.after', '{days} days after the due date', { days });
}

const when = (intl: IntlShape, iso: string, timeZone: string) =>
  intl.formatDate(new Date(iso), { dateStyle: 'medium', timeStyle: 'short', timeZone });

const STATUS: Record<
  InvoiceRemindersView['history'][number]['status'],
  ['success' | 'secondary' | 'danger' | 'warning', string]
> = {
  sent: ['success', 'Sent'],
  sending: ['secondary', 'Sending'],
  skipped: ['warning', 'Not sent (no longer due)'],
  failed: ['danger', 'Failed'],
};

const REASONS: Record<NonNullable<InvoiceRemindersView['reason']>, string> = {
  reminders_off: 'Reminders are off in Settings.',
  switched_off: 'Reminders are switched off for this invoice.',
  draft: 'Draft invoices get no reminders: send the invoice first.',
  paid: 'Paid: no reminders.',
  void: 'Void: no reminders.',
  no_balance: 'Nothing is due: no reminders.',
  no_due_date: 'No due date: set one to get reminders.',
  no_email: 'No billing email: reminders have nowhere to go.',
  none_left: 'All planned reminders have been sent.',
};

/**
 * Payment reminders of one invoice: its own switch, the next reminder (day and time in the
 * settings' time zone) and those already sent (server/src/services/reminders.ts).
 */
export const RemindersCard = ({ documentId, canEdit, onChanged }: Props) => {
  const intl = useIntl();
  const t: T = (id, defaultMessage, values) => intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const url = `/${PLUGIN_ID}/invoices/${encodeURIComponent(documentId)}/reminders`;
  const { data, setData, error } = useApiGet<{ data: InvoiceRemindersView }>(
    url,
    t('reminders.loadError', 'The reminders could not be loaded.'),
  );
  const [busy, setBusy] = useState(false);

  const switchTo = async (enabled: boolean) => {
    setBusy(true);
    try {
      const res = await put<{ data: InvoiceRemindersView }>(url, { enabled });
      setData(res.data);
      toggleNotification({
        type: 'success',
        message: enabled
          ? t('reminders.switchedOn', 'Reminders on for this invoice.')
          : t('reminders.switchedOff', 'Reminders off for this invoice.'),
      });
      onChanged();
    } catch (e) {
      toggleNotification({
        type: 'danger',
        message: readApiError(e, t('reminders.switchFailed', 'The reminders could not be changed.')).message,
      });
    } finally {
      setBusy(false);
    }
  };

  const view = data?.data;
  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius data-testid="reminders-card">
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Typography variant="delta" tag="h2">
          {t('reminders.title', 'Payment reminders')}
        </Typography>
        {error && !view && <Typography textColor="danger600">{error.message}</Typography>}
        {view && (
          <>
            <Flex gap={8} alignItems="flex-start" wrap="wrap">
              <Field.Root
                name="remindersEnabled"
                hint={t('reminders.switch.hint', 'Turn off for a client who pays by arrangement.')}
              >
                <Field.Label>{t('reminders.switch', 'Send reminders for this invoice')}</Field.Label>
                <Toggle
                  checked={view.enabled}
                  disabled={!canEdit || busy}
                  onLabel={t('common.on', 'On')}
                  offLabel={t('common.off', 'Off')}
                  onChange={(e: { target: { checked: boolean } }) => void switchTo(e.target.checked)}
                />
                <Field.Hint />
              </Field.Root>
              <Flex direction="column" alignItems="flex-start" gap={1}>
                <Typography variant="sigma" textColor="neutral600">
                  {t('reminders.next', 'Next reminder')}
                </Typography>
                <Typography data-testid="next-reminder">
                  {view.next
                    ? t('reminders.nextLine', '{name}: {when} ({timeZone})', {
                        name: reminderName(t, view.next),
                        when: when(intl, view.next.at, view.timeZone),
                        timeZone: view.timeZone,
                      })
                    : t(`reminders.reason.${view.reason ?? 'none_left'}`, REASONS[view.reason ?? 'none_left'])}
                </Typography>
              </Flex>
            </Flex>
            {view.history.length === 0 ? (
              <Typography textColor="neutral600" data-testid="reminder-history-empty">
                {t('reminders.none', 'No reminder sent yet.')}
              </Typography>
            ) : (
              <Table colCount={4} rowCount={view.history.length + 1}>
                <Thead>
                  <Tr>
                    {[
                      ['reminders.col.reminder', 'Reminder'],
                      ['reminders.col.due', 'Planned for'],
                      ['reminders.col.status', 'Status'],
                      ['reminders.col.sentAt', 'Sent at'],
                    ].map(([id, label]) => (
                      <Th key={id}>
                        <Typography variant="sigma">{t(id!, label!)}</Typography>
                      </Th>
                    ))}
                  </Tr>
                </Thead>
                <Tbody>
                  {view.history.map((h) => {
                    const [tone, label] = STATUS[h.status];
                    return (
                      <Tr key={h.key + (h.plannedAt ?? '')} data-testid="reminder-row">
                        <Td>
                          <Typography>{reminderName(t, h)}</Typography>
                        </Td>
                        <Td>
                          <Typography>{h.plannedAt ? when(intl, h.plannedAt, view.timeZone) : '—'}</Typography>
                        </Td>
                        <Td>
                          <Badge backgroundColor={`${tone}100`} textColor={`${tone}700`}>
                            {t(`reminders.status.${h.status}`, label)}
                          </Badge>
                        </Td>
                        <Td>
                          <Typography>{formatDateTime(intl, h.sentAt)}</Typography>
                        </Td>
                      </Tr>
                    );
                  })}
                </Tbody>
              </Table>
            )}
          </>
        )}
      </Flex>
    </Box>
  );
};
