import { Box, Field, Flex, Grid, TextInput, Toggle, Typography } from '@strapi/design-system';
import { useIntl } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';
import type { SettingsForm } from './validation';

interface Props {
  form: SettingsForm;
  errors: Partial<Record<keyof SettingsForm, string>>;
  canUpdate: boolean;
  set: <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]) => void;
}

/**
 * Autopay (server/src/services/autopay.ts): whether the cron charges saved methods at all, the
 * retry days after a decline, and the hour (in the reminders' time zone). Which clients: the
 * switch on an invoice's page.
 */
export const AutopaySection = ({ form, errors, canUpdate, set }: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string) => formatMessage({ id: getTranslation(id), defaultMessage });
  const text = (key: 'autopayRetryDays' | 'autopayChargeHour', label: string, hint: string) => (
    <Field.Root name={key} error={errors[key]} hint={hint}>
      <Field.Label>{label}</Field.Label>
      <TextInput
        value={form[key]}
        disabled={!canUpdate || !form.autopayEnabled}
        inputMode={key === 'autopayChargeHour' ? 'numeric' : undefined}
        onChange={(e: { target: { value: string } }) => set(key, e.target.value)}
      />
      <Field.Hint />
      <Field.Error />
    </Field.Root>
  );
  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius data-testid="autopay-settings">
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Flex direction="column" alignItems="flex-start" gap={1}>
          <Typography variant="delta" tag="h2">
            {t('settings.autopay.title', 'Autopay')}
          </Typography>
          <Typography variant="pi" textColor="neutral600">
            {t(
              'settings.autopay.intro',
              'For clients with autopay on (switch on an invoice’s page), the saved payment method is charged on the due date. A declined charge is tried again on the days below, then autopay stops and you and the client get an email. If the bank asks the client to confirm, they get the pay link.',
            )}
          </Typography>
        </Flex>
        <Grid.Root gap={4}>
          <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
            <Field.Root name="autopayEnabled">
              <Field.Label>{t('settings.autopay.enabled', 'Charge saved methods automatically')}</Field.Label>
              <Toggle
                checked={form.autopayEnabled}
                disabled={!canUpdate}
                onLabel={t('common.on', 'On')}
                offLabel={t('common.off', 'Off')}
                onChange={(e: { target: { checked: boolean } }) => set('autopayEnabled', e.target.checked)}
              />
            </Field.Root>
          </Grid.Item>
          <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
            {text(
              'autopayRetryDays',
              t('settings.autopay.retryDays', 'Retry after a decline (days after the due date)'),
              t('settings.autopay.retryDays.hint', 'E.g. 1, 3, 7. Empty: no retry.'),
            )}
          </Grid.Item>
          <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
            {text(
              'autopayChargeHour',
              t('settings.autopay.chargeHour', 'Charge at (hour, 0–23)'),
              t('settings.autopay.chargeHour.hint', 'In the reminders’ time zone.'),
            )}
          </Grid.Item>
        </Grid.Root>
      </Flex>
    </Box>
  );
};
