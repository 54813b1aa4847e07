import { useEffect, useState, type FormEvent } from 'react';
import { Page, Layouts, useFetchClient, useNotification, useRBAC } from '@strapi/strapi/admin';
import { Box, Button, Field, Flex, Grid, SingleSelect, SingleSelectOption, TextInput, Toggle, Typography } from '@strapi/design-system';
import { Check, Duplicate, Cross } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { PERMISSIONS } from '../../permissions';
import { getTranslation } from '../../utils/getTranslation';
import { ModeBadge } from '../../components/ModeBadge';
import { ConnectionStatus } from './ConnectionStatus';
import type { ApiErrorBody, SettingsView } from '../../utils/types';

type FieldErrors = Record<string, string>;

interface FormState {
  publishableKey: string;
  secretKey: string;
  webhookSecret: string;
  defaultCurrency: string;
  partialPayments: boolean;
  checkoutMode: SettingsView['checkoutMode'];
  feePercent: string;
  feeFixedAmount: string;
  refundPolicy: SettingsView['refundPolicy'];
  notificationEmail: string;
}

const toForm = (s: SettingsView): FormState => ({
  publishableKey: s.publishableKey ?? '',
  secretKey: '',
  webhookSecret: '',
  defaultCurrency: s.defaultCurrency,
  partialPayments: s.partialPayments,
  checkoutMode: s.checkoutMode,
  feePercent: (s.feePercentBps / 100).toString(),
  feeFixedAmount: String(s.feeFixedAmount),
  refundPolicy: s.refundPolicy,
  notificationEmail: s.notificationEmail ?? '',
});

/** Client-side checks mirror the server's; the server's answer is still authoritative. */
export function validateKeys(form: Pick<FormState, 'publishableKey' | 'secretKey' | 'webhookSecret'>): FieldErrors {
  const errors: FieldErrors = {};
  if (form.publishableKey && !/^pk_(test|live)_[A-Za-z0-9]{8,}$/.test(form.publishableKey)) {
    errors.publishableKey = 'The publishable key must start with pk_test_ or pk_live_.';
  }
  if (form.secretKey && !/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,}$/.test(form.secretKey)) {
    errors.secretKey = form.secretKey.startsWith('pk_')
      ? 'This is a publishable key. The secret key starts with sk_ or rk_.'
      : 'The secret key must start with sk_test_, sk_live_, rk_test_ or rk_live_.';
  }
  const pkMode = /^pk_(test|live)_/.exec(form.publishableKey)?.[1];
  const skMode = /^(?:sk|rk)_(test|live)_/.exec(form.secretKey)?.[1];
  if (!errors.secretKey && pkMode && skMode && pkMode !== skMode) {
    errors.secretKey = `The publishable key is a ${pkMode} key but the secret key is a ${skMode} key. Use keys from the same mode.`;
  }
  if (form.webhookSecret && !/^whsec_[A-Za-z0-9+/=]{8,}$/.test(form.webhookSecret)) {
    errors.webhookSecret = 'The webhook signing secret starts with whsec_.';
  }
  return errors;
}

const SettingsPage = () => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { get, put, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const { allowedActions, isLoading: rbacLoading } = useRBAC({ update: PERMISSIONS.settingsUpdate });
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [form, setForm] = useState<FormState | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [replacing, setReplacing] = useState({ secretKey: false, webhookSecret: false });
  const [busy, setBusy] = useState(false);
  const [loadError, setLoadError] = useState(false);

  const apply = (view: SettingsView) => {
    setSettings(view);
    setForm(toForm(view));
    setReplacing({ secretKey: false, webhookSecret: false });
  };

  useEffect(() => {
    get<{ data: SettingsView }>(`/${PLUGIN_ID}/settings`)
      .then((res) => apply(res.data.data))
      .catch(() => setLoadError(true));
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (loadError) return <Page.Error />;
  if (!settings || !form || rbacLoading) return <Page.Loading />;
  const canUpdate = allowedActions.canUpdate;

  const set = <K extends keyof FormState>(key: K, value: FormState[K]) => {
    setForm({ ...form, [key]: value });
    setErrors((e) => ({ ...e, [key]: '' }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const clientErrors = validateKeys(form);
    if (Object.keys(clientErrors).length) {
      setErrors(clientErrors);
      return;
    }
    const body: Record<string, unknown> = {
      publishableKey: form.publishableKey,
      defaultCurrency: form.defaultCurrency,
      partialPayments: form.partialPayments,
      checkoutMode: form.checkoutMode,
      feePercentBps: Math.round(Number(form.feePercent || '0') * 100),
      feeFixedAmount: Number(form.feeFixedAmount || '0'),
      refundPolicy: form.refundPolicy,
      notificationEmail: form.notificationEmail,
    };
    if (form.secretKey) body.secretKey = form.secretKey;
    if (form.webhookSecret) body.webhookSecret = form.webhookSecret;
    setBusy(true);
    try {
      const res = await put<{ data: SettingsView }>(`/${PLUGIN_ID}/settings`, body);
      apply(res.data.data);
      setErrors({});
      toggleNotification({ type: 'success', message: t('settings.saved', 'Settings saved') });
    } catch (error) {
      const data = (error as { response?: { data?: ApiErrorBody } }).response?.data;
      const fieldErrors: FieldErrors = {};
      for (const e of data?.error?.details?.errors ?? []) fieldErrors[e.path[0] ?? 'form'] = e.message;
      setErrors(fieldErrors);
      toggleNotification({ type: 'danger', message: data?.error?.message ?? 'The settings could not be saved.' });
    } finally {
      setBusy(false);
    }
  };

  const disconnect = async () => {
    setBusy(true);
    try {
      const res = await post<{ data: SettingsView }>(`/${PLUGIN_ID}/settings/disconnect`, {});
      apply(res.data.data);
      toggleNotification({ type: 'success', message: t('settings.disconnected', 'Stripe keys removed.') });
    } finally {
      setBusy(false);
    }
  };

  const secretField = (name: 'secretKey' | 'webhookSecret', label: string, hint: string) => {
    const stored = settings[name];
    const editing = !stored.set || replacing[name];
    return (
      <Field.Root name={name} error={errors[name]} hint={hint}>
        <Field.Label>{label}</Field.Label>
        {editing ? (
          <TextInput type="password" autoComplete="off" value={form[name]} disabled={!canUpdate} onChange={(e: { target: { value: string } }) => set(name, e.target.value.trim())} />
        ) : (
          <Flex gap={2}>
            <Box flex="1">
              <TextInput value={stored.masked ?? ''} disabled aria-label={`${label} (saved)`} data-testid={`${name}-masked`} />
            </Box>
            {canUpdate && (
              <Button variant="tertiary" onClick={() => setReplacing({ ...replacing, [name]: true })}>
                {t('settings.replace', 'Replace')}
              </Button>
            )}
          </Flex>
        )}
        <Field.Hint />
        <Field.Error />
      </Field.Root>
    );
  };

  return (
    <Page.Main>
      <Page.Title>{t('settings.title', 'Stripe')}</Page.Title>
      <form onSubmit={submit} noValidate>
        <Layouts.Header
          title={t('settings.title', 'Stripe')}
          subtitle={t('settings.subtitle', 'Connect Stripe to take card payments on invoices.')}
          secondaryAction={<ModeBadge mode={settings.mode} />}
          primaryAction={
            canUpdate ? (
              <Button type="submit" startIcon={<Check />} loading={busy}>
                {t('settings.save', 'Save')}
              </Button>
            ) : undefined
          }
        />
        <Layouts.Content>
          <Flex direction="column" alignItems="stretch" gap={6}>
            <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
              <Flex direction="column" alignItems="stretch" gap={4}>
                <ConnectionStatus settings={settings} />
                {!settings.encryptionKeyConfigured && (
                  <Typography textColor="danger600">{t('settings.encryptionMissing', 'INVOICE_PAYMENTS_ENCRYPTION_KEY is not set.')}</Typography>
                )}
                <Grid.Root gap={4}>
                  <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                    <Field.Root name="publishableKey" error={errors.publishableKey} hint={t('settings.publishableKey.hint', 'Starts with pk_test_ or pk_live_.')}>
                      <Field.Label>{t('settings.publishableKey', 'Publishable key')}</Field.Label>
                      <TextInput value={form.publishableKey} disabled={!canUpdate} onChange={(e: { target: { value: string } }) => set('publishableKey', e.target.value.trim())} />
                      <Field.Hint />
                      <Field.Error />
                    </Field.Root>
                  </Grid.Item>
                  <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                    {secretField('secretKey', t('settings.secretKey', 'Secret key'), t('settings.secretKey.hint', 'Starts with sk_ or rk_.'))}
                  </Grid.Item>
                  <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                    {secretField('webhookSecret', t('settings.webhookSecret', 'Webhook signing secret'), t('settings.webhookSecret.hint', 'Starts with whsec_.'))}
                  </Grid.Item>
                  <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                    <Field.Root name="webhookUrl" hint={t('settings.webhookUrl.hint', 'Add this endpoint in the Stripe Dashboard.')}>
                      <Field.Label>{t('settings.webhookUrl', 'Webhook URL')}</Field.Label>
                      <Flex gap={2}>
                        <Box flex="1">
                          <TextInput value={settings.webhookUrl} readOnly data-testid="webhook-url" />
                        </Box>
                        <Button variant="tertiary" startIcon={<Duplicate />} onClick={() => void navigator.clipboard?.writeText(settings.webhookUrl)}>
                          {t('settings.copy', 'Copy')}
                        </Button>
                      </Flex>
                      <Field.Hint />
                    </Field.Root>
                  </Grid.Item>
                </Grid.Root>
              </Flex>
            </Box>
            <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
              <Grid.Root gap={4}>
                <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="defaultCurrency" error={errors.defaultCurrency}>
                    <Field.Label>{t('settings.defaultCurrency', 'Default currency')}</Field.Label>
                    <TextInput value={form.defaultCurrency} maxLength={3} disabled={!canUpdate} onChange={(e: { target: { value: string } }) => set('defaultCurrency', e.target.value.toUpperCase())} />
                    <Field.Error />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="checkoutMode">
                    <Field.Label>{t('settings.checkoutMode', 'Payment page')}</Field.Label>
                    <SingleSelect value={form.checkoutMode} disabled={!canUpdate} onChange={(v: string | number) => set('checkoutMode', v as FormState['checkoutMode'])}>
                      {(['payment_element', 'hosted', 'embedded'] as const).map((m) => (
                        <SingleSelectOption key={m} value={m}>
                          {t(`settings.checkoutMode.${m}`, m)}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="partialPayments">
                    <Field.Label>{t('settings.partialPayments', 'Allow partial payments')}</Field.Label>
                    <Toggle checked={form.partialPayments} disabled={!canUpdate} onLabel="On" offLabel="Off" onChange={(e: { target: { checked: boolean } }) => set('partialPayments', e.target.checked)} />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="feePercentBps" error={errors.feePercentBps}>
                    <Field.Label>{t('settings.feePercent', 'Fee passthrough (%)')}</Field.Label>
                    <TextInput inputMode="decimal" value={form.feePercent} disabled={!canUpdate} onChange={(e: { target: { value: string } }) => set('feePercent', e.target.value)} />
                    <Field.Error />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="feeFixedAmount" error={errors.feeFixedAmount}>
                    <Field.Label>{t('settings.feeFixed', 'Fixed fee passthrough (minor units)')}</Field.Label>
                    <TextInput inputMode="numeric" value={form.feeFixedAmount} disabled={!canUpdate} onChange={(e: { target: { value: string } }) => set('feeFixedAmount', e.target.value)} />
                    <Field.Error />
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={4} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="refundPolicy">
                    <Field.Label>{t('settings.refundPolicy', 'After a full refund')}</Field.Label>
                    <SingleSelect value={form.refundPolicy} disabled={!canUpdate} onChange={(v: string | number) => set('refundPolicy', v as FormState['refundPolicy'])}>
                      {(['reopen', 'keep_paid'] as const).map((m) => (
                        <SingleSelectOption key={m} value={m}>
                          {t(`settings.refundPolicy.${m}`, m)}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>
                </Grid.Item>
                <Grid.Item col={6} s={12} direction="column" alignItems="stretch">
                  <Field.Root name="notificationEmail" error={errors.notificationEmail}>
                    <Field.Label>{t('settings.notificationEmail', 'Notification email')}</Field.Label>
                    <TextInput type="email" value={form.notificationEmail} disabled={!canUpdate} onChange={(e: { target: { value: string } }) => set('notificationEmail', e.target.value)} />
                    <Field.Error />
                  </Field.Root>
                </Grid.Item>
              </Grid.Root>
            </Box>
            {canUpdate && settings.secretKey.set && (
              <Box>
                <Button variant="danger-light" startIcon={<Cross />} onClick={() => void disconnect()} disabled={busy}>
                  {t('settings.disconnect', 'Disconnect')}
                </Button>
              </Box>
            )}
          </Flex>
        </Layouts.Content>
      </form>
    </Page.Main>
  );
};

const ProtectedSettingsPage = () => (
  <Page.Protect permissions={PERMISSIONS.settingsRead}>
    <SettingsPage />
  </Page.Protect>
);

export default ProtectedSettingsPage;
