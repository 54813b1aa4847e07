import { Box, Field, Flex, Grid, SingleSelect, SingleSelectOption, TextInput, Typography } from '@strapi/design-system';
import { CheckCircle, WarningCircle } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import { ModeBadge } from '../../components/ModeBadge';
import type { SettingsView } from '../../utils/types';
import { SecretField } from './SecretField';
import type { SettingsForm } from './validation';

interface Props {
  settings: SettingsView;
  form: SettingsForm;
  error?: string;
  providerError?: string;
  replacing: boolean;
  canUpdate: boolean;
  onReplace: (on: boolean) => void;
  set: <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]) => void;
}

/**
 * Mollie: its API key (sealed on the server like Stripe's, shown masked; the prefix says test or
 * live), the connection check, and which provider a new invoice's pay link uses. Mollie needs no
 * webhook set up in its dashboard: the plugin gives Mollie the webhook URL with each payment.
 */
export const MollieSection = ({
  settings,
  form,
  error,
  providerError,
  replacing,
  canUpdate,
  onReplace,
  set,
}: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { connection } = settings.mollie;
  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius data-testid="mollie-section">
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Flex justifyContent="space-between" wrap="wrap" gap={2}>
          <Typography variant="delta" tag="h2">
            {t('settings.mollie.title', 'Mollie')}
          </Typography>
          <ModeBadge mode={settings.mollie.mode} />
        </Flex>
        <Box data-testid="mollie-connection-status">
          {connection.status === 'connected' ? (
            <Flex gap={2}>
              <CheckCircle fill="success600" aria-hidden />
              <Typography textColor="success600" fontWeight="bold">
                {t('settings.mollie.connected', 'Connected to Mollie profile {accountId}', {
                  accountId: connection.accountId ?? '',
                })}
              </Typography>
            </Flex>
          ) : connection.status === 'error' ? (
            <Flex gap={2}>
              <WarningCircle fill="danger600" aria-hidden />
              <Typography textColor="danger600">
                {t('settings.notConnected', 'Not connected')}: {connection.message}
              </Typography>
            </Flex>
          ) : (
            <Typography textColor="neutral600">
              {t('settings.mollie.notConfigured', 'No Mollie API key saved yet.')}
            </Typography>
          )}
        </Box>
        <Grid.Root gap={4}>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <SecretField
              name="mollieApiKey"
              label={t('settings.mollie.apiKey', 'Mollie API key')}
              hint={t(
                'settings.mollie.apiKey.hint',
                'Starts with test_ or live_ (Mollie Dashboard → Developers → API keys). Stored encrypted; never shown again after saving.',
              )}
              masked={settings.mollie.apiKey.set ? settings.mollie.apiKey.masked : null}
              value={form.mollieApiKey}
              error={error}
              replacing={replacing}
              canUpdate={canUpdate}
              onReplace={(on) => {
                onReplace(on);
                if (!on) set('mollieApiKey', '');
              }}
              onChange={(v) => set('mollieApiKey', v)}
            />
          </Grid.Item>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <Field.Root
              name="mollieWebhookUrl"
              hint={t(
                'settings.mollie.webhookUrl.hint',
                'Sent to Mollie with each payment; nothing to set up in the Mollie Dashboard.',
              )}
            >
              <Field.Label>{t('settings.mollie.webhookUrl', 'Mollie webhook URL')}</Field.Label>
              <TextInput value={settings.mollie.webhookUrl} readOnly data-testid="mollie-webhook-url" />
              <Field.Hint />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
            <Field.Root
              name="payLinkProvider"
              error={providerError}
              hint={t(
                'settings.payLinkProvider.hint',
                'Invoices created from now on are paid through this provider. With Mollie, the client pays on Mollie’s checkout (iDEAL, Bancontact, bank transfer, card…).',
              )}
            >
              <Field.Label>{t('settings.payLinkProvider', 'Pay links of new invoices use')}</Field.Label>
              <SingleSelect
                value={form.payLinkProvider}
                disabled={!canUpdate}
                onChange={(v: string | number) => set('payLinkProvider', v as SettingsForm['payLinkProvider'])}
              >
                <SingleSelectOption value="stripe">{t('settings.payLinkProvider.stripe', 'Stripe')}</SingleSelectOption>
                <SingleSelectOption value="mollie">{t('settings.payLinkProvider.mollie', 'Mollie')}</SingleSelectOption>
              </SingleSelect>
              <Field.Hint />
              <Field.Error />
            </Field.Root>
          </Grid.Item>
        </Grid.Root>
      </Flex>
    </Box>
  );
};
