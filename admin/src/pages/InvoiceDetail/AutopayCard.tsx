import { useState } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import { Badge, Box, Field, Flex, Table, Tbody, Td, Th, Thead, Toggle, Tr, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import { formatDateTime } from '../../utils/format';
import { useApiGet } from '../../hooks/useApiGet';

/** server/src/services/autopay.ts forInvoice. */
interface SavedMethod {
  id: string;
  type: string;
  label: string | null;
  last4: string | null;
  isDefault: boolean;
  expired: boolean;
  mandate: { id: string; reference: string | null } | null;
}
interface ClientView {
  clientId: number;
  email: string | null;
  name: string | null;
  autopayEnabled: boolean;
  supported: boolean;
  message: string | null;
  methods: SavedMethod[];
}
type AttemptStatus =
  'charging' | 'succeeded' | 'processing' | 'requires_action' | 'declined' | 'refused' | 'failed' | 'deferred';
interface AutopayView {
  settingsEnabled: boolean;
  client: ClientView | null;
  next: { attemptNo: number; at: string } | null;
  attempts: Array<{
    attemptNo: number;
    dueDate: string;
    status: AttemptStatus;
    code: string | null;
    message: string | null;
    providerPaymentId: string | null;
    at: string;
  }>;
}

interface Props {
  documentId: string;
  canEdit: boolean;
  onChanged: () => void;
}

const STATUS: Record<AttemptStatus, ['success' | 'secondary' | 'danger' | 'warning', string]> = {
  charging: ['secondary', 'Charging'],
  succeeded: ['success', 'Charged'],
  processing: ['secondary', 'Processing'],
  requires_action: ['warning', 'Client must confirm'],
  declined: ['danger', 'Declined'],
  refused: ['warning', 'Not charged'],
  failed: ['danger', 'Failed'],
  // The client was paying by hand: not charged that day, the next planned day looks again.
  deferred: ['secondary', 'Postponed: client paying'],
};

const methodName = (m: SavedMethod) =>
  `${m.label ? m.label.charAt(0).toUpperCase() + m.label.slice(1) : m.type}${m.last4 ? ` •••• ${m.last4}` : ''}`;

/**
 * Autopay of the invoice's client: the client's switch (it applies to all their invoices), the
 * saved method that would be charged, the next planned attempt and the attempts made.
 */
export const AutopayCard = ({ documentId, canEdit, onChanged }: Props) => {
  const intl = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    intl.formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { put } = useFetchClient();
  const { toggleNotification } = useNotification();
  const url = `/${PLUGIN_ID}/invoices/${encodeURIComponent(documentId)}/autopay`;
  const { data, reload, error } = useApiGet<{ data: AutopayView }>(
    url,
    t('autopay.loadError', 'Autopay could not be loaded.'),
  );
  const [busy, setBusy] = useState(false);
  const view = data?.data;
  const client = view?.client ?? null;

  const switchTo = async (enabled: boolean) => {
    if (!client) return;
    setBusy(true);
    try {
      await put(`/${PLUGIN_ID}/clients/${client.clientId}/autopay`, { enabled });
      toggleNotification({
        type: 'success',
        message: enabled
          ? t('autopay.switchedOn', 'Autopay on for this client.')
          : t('autopay.switchedOff', 'Autopay off for this client.'),
      });
      reload();
      onChanged();
    } catch (e) {
      toggleNotification({
        type: 'danger',
        message: readApiError(e, t('autopay.switchFailed', 'Autopay could not be changed.')).message,
      });
    } finally {
      setBusy(false);
    }
  };

  const charged = client?.methods.find((m) => m.isDefault) ?? null;
  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius data-testid="autopay-card">
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Typography variant="delta" tag="h2">
          {t('autopay.title', 'Autopay')}
        </Typography>
        {error && !view && <Typography textColor="danger600">{error.message}</Typography>}
        {view && !client && (
          <Typography textColor="neutral600">
            {t(
              'autopay.noClient',
              'This invoice is not linked to a client account, so it cannot be paid automatically.',
            )}
          </Typography>
        )}
        {view && client && (
          <>
            <Flex gap={8} alignItems="flex-start" wrap="wrap">
              <Field.Root
                name="autopayEnabled"
                hint={
                  client.supported
                    ? t('autopay.switch.hint', 'Charges the client’s saved payment method on each invoice’s due date.')
                    : (client.message ?? '')
                }
              >
                <Field.Label>
                  {t('autopay.switch', 'Autopay for {name}', { name: client.name ?? client.email ?? '' })}
                </Field.Label>
                <Toggle
                  checked={client.autopayEnabled}
                  disabled={!canEdit || busy || (!client.supported && !client.autopayEnabled)}
                  onLabel={t('common.on', 'On')}
                  offLabel={t('common.off', 'Off')}
                  onChange={(e: { target: { checked: boolean } }) => void switchTo(e.target.checked)}
                />
                <Field.Hint />
              </Field.Root>
              <Flex direction="column" alignItems="flex-start" gap={1}>
                <Typography variant="sigma" textColor="neutral600">
                  {t('autopay.method', 'Charged method')}
                </Typography>
                <Typography data-testid="autopay-method">
                  {charged
                    ? `${methodName(charged)}${charged.mandate ? ` (${t('autopay.mandate', 'mandate')} ${charged.mandate.reference ?? charged.mandate.id})` : ''}`
                    : t('autopay.noMethod', 'No saved payment method yet.')}
                </Typography>
              </Flex>
              <Flex direction="column" alignItems="flex-start" gap={1}>
                <Typography variant="sigma" textColor="neutral600">
                  {t('autopay.next', 'Next attempt')}
                </Typography>
                <Typography data-testid="autopay-next">
                  {view.next
                    ? formatDateTime(intl, view.next.at)
                    : !view.settingsEnabled
                      ? t('autopay.settingsOff', 'Autopay is off in Settings.')
                      : t('autopay.noNext', 'None planned.')}
                </Typography>
              </Flex>
            </Flex>
            {view.attempts.length > 0 && (
              <Table colCount={4} rowCount={view.attempts.length + 1}>
                <Thead>
                  <Tr>
                    {[
                      ['autopay.col.attempt', 'Attempt'],
                      ['autopay.col.at', 'When'],
                      ['autopay.col.status', 'Result'],
                      ['autopay.col.detail', 'Detail'],
                    ].map(([id, label]) => (
                      <Th key={id}>
                        <Typography variant="sigma">{t(id!, label!)}</Typography>
                      </Th>
                    ))}
                  </Tr>
                </Thead>
                <Tbody>
                  {view.attempts.map((a) => {
                    const [tone, label] = STATUS[a.status];
                    return (
                      <Tr key={`${a.dueDate}-${a.attemptNo}`} data-testid="autopay-row">
                        <Td>
                          <Typography>
                            {a.attemptNo === 0
                              ? t('autopay.first', 'On the due date')
                              : t('autopay.retry', 'Retry {n}', { n: String(a.attemptNo) })}
                          </Typography>
                        </Td>
                        <Td>
                          <Typography>{formatDateTime(intl, a.at)}</Typography>
                        </Td>
                        <Td>
                          <Badge backgroundColor={`${tone}100`} textColor={`${tone}700`}>
                            {t(`autopay.status.${a.status}`, label)}
                          </Badge>
                        </Td>
                        <Td>
                          <Typography>{a.message ?? a.code ?? '—'}</Typography>
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
