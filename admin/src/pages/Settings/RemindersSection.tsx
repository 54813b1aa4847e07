import type { ReactNode } from 'react';
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
 * Payment reminders (server/src/services/reminders.ts): on or off for every invoice, the days
 * before and after the due date, and when in the day they go out. Each invoice can also be
 * switched off on its own page.
 */
export const RemindersSection = ({ form, errors, canUpdate, set }: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string) => formatMessage({ id: getTranslation(id), defaultMessage });
  const column = (col: number, children: ReactNode) => (
    <Grid.Item col={col} s={12} direction="column" alignItems="stretch">
      {children}
    </Grid.Item>
  );
  const text = (
    key: 'reminderBeforeDays' | 'reminderAfterDays' | 'reminderTimeZone' | 'reminderSendHour',
    label: string,
    hint: string,
  ) => (
    <Field.Root name={key} error={errors[key]} hint={hint}>
      <Field.Label>{label}</Field.Label>
      <TextInput
        value={form[key]}
        disabled={!canUpdate || !form.remindersEnabled}
        inputMode={key === 'reminderSendHour' ? 'numeric' : undefined}
        onChange={(e: { target: { value: string } }) => set(key, e.target.value)}
      />
      <Field.Hint />
      <Field.Error />
    </Field.Root>
  );
  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
      <Flex direction="column" alignItems="stretch" gap={4}>
        <Flex direction="column" alignItems="flex-start" gap={1}>
          <Typography variant="delta" tag="h2">
            {t('settings.reminders.title', 'Payment reminders')}
          </Typography>
          <Typography variant="pi" textColor="neutral600">
            {t(
              'settings.reminders.intro',
              'Emails with the pay link to clients of sent invoices that still have a balance. Each reminder goes out once per invoice; paid, void and draft invoices get none. Switch them off for one invoice on its page.',
            )}
          </Typography>
        </Flex>
        <Grid.Root gap={4}>
          {column(
            4,
            <Field.Root name="remindersEnabled">
              <Field.Label>{t('settings.reminders.enabled', 'Send payment reminders')}</Field.Label>
              <Toggle
                checked={form.remindersEnabled}
                disabled={!canUpdate}
                onLabel={t('common.on', 'On')}
                offLabel={t('common.off', 'Off')}
                onChange={(e: { target: { checked: boolean } }) => set('remindersEnabled', e.target.checked)}
              />
            </Field.Root>,
          )}
          {column(
            4,
            text(
              'reminderBeforeDays',
              t('settings.reminders.before', 'Days before the due date'),
              t('settings.reminders.before.hint', 'E.g. 3. Several: 7, 3. Empty: none before.'),
            ),
          )}
          {column(
            4,
            <Field.Root name="reminderOnDueDate">
              <Field.Label>{t('settings.reminders.onDueDate', 'On the due date')}</Field.Label>
              <Toggle
                checked={form.reminderOnDueDate}
                disabled={!canUpdate || !form.remindersEnabled}
                onLabel={t('common.on', 'On')}
                offLabel={t('common.off', 'Off')}
                onChange={(e: { target: { checked: boolean } }) => set('reminderOnDueDate', e.target.checked)}
              />
            </Field.Root>,
          )}
          {column(
            4,
            text(
              'reminderAfterDays',
              t('settings.reminders.after', 'Days after the due date'),
              t('settings.reminders.after.hint', 'E.g. 7, 14. Empty: none after.'),
            ),
          )}
          {column(
            4,
            text(
              'reminderTimeZone',
              t('settings.reminders.timeZone', 'Time zone'),
              t('settings.reminders.timeZone.hint', 'Whose calendar the due dates follow, e.g. Europe/Amsterdam.'),
            ),
          )}
          {column(
            4,
            text(
              'reminderSendHour',
              t('settings.reminders.sendHour', 'Send at (hour, 0–23)'),
              t('settings.reminders.sendHour.hint', 'Reminders go out from this hour of their day, in the time zone.'),
            ),
          )}
        </Grid.Root>
      </Flex>
    </Box>
  );
};
