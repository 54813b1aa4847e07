import { useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { ConfirmDialog, Page, Layouts, useClipboard, useFetchClient, useNotification } from '@strapi/strapi/admin';
import {
  Box,
  Button,
  Dialog,
  Field,
  Flex,
  Grid,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Toggle,
  Typography,
} from '@strapi/design-system';
import { ArrowClockwise, Check, Duplicate, Cross } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { PERMISSIONS } from '../../permissions';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import { useCan } from '../../hooks/useCan';
import { ModeBadge } from '../../components/ModeBadge';
import { ConnectionStatus } from './ConnectionStatus';
import { SecretField } from './SecretField';
import { MollieSection } from './MollieSection';
import { PaymentMethodsSection } from './PaymentMethodsSection';
import { RemindersSection } from './RemindersSection';
import { BrandingSection } from './BrandingSection';
import { AutopaySection } from './AutopaySection';
import { LanguageSelect } from '../../components/LanguageSelect';
import { maskMode, parseDayList, validateSettings, type SettingsForm } from './validation';
import type { SettingsView } from '../../utils/types';

export { validateSettings } from './validation';

type FieldErrors = Partial<Record<keyof SettingsForm, string>>;

const toForm = (s: SettingsView): SettingsForm => ({
  publishableKey: s.publishableKey ?? '',
  secretKey: '',
  webhookSecret: '',
  defaultCurrency: s.defaultCurrency,
  partialPayments: s.partialPayments,
  partialMinimumAmount: String(s.partialMinimumAmount ?? 0),
  partialMinimumPercent: String(s.partialMinimumPercent ?? 0),
  checkoutMode: s.checkoutMode,
  feePercent: (s.feePercentBps / 100).toString(),
  feeFixedAmount: String(s.feeFixedAmount),
  refundPolicy: s.refundPolicy,
  refundFeePolicy: s.refundFeePolicy,
  notificationEmail: s.notificationEmail ?? '',
  refundOverpayments: s.refundOverpayments,
  abandonedAuthenticationMinutes: String(s.abandonedAuthenticationMinutes),
  paymentTermDays: String(s.paymentTermDays),
  defaultLanguage: s.defaultLanguage ?? 'en',
  mollieApiKey: '',
  payLinkProvider: s.payLinkProvider,
  remindersEnabled: s.reminders.enabled,
  reminderBeforeDays: s.reminders.beforeDays.join(', '),
  reminderOnDueDate: s.reminders.onDueDate,
  reminderAfterDays: s.reminders.afterDays.join(', '),
  reminderTimeZone: s.reminders.timeZone,
  reminderSendHour: String(s.reminders.sendHour),
  autopayEnabled: s.autopay?.enabled ?? true,
  autopayRetryDays: (s.autopay?.retryDays ?? [1, 3, 7]).join(', '),
  autopayChargeHour: String(s.autopay?.chargeHour ?? 9),
});

/** Server field names that differ from the form's. */
const SERVER_FIELDS: Record<string, keyof SettingsForm> = { feePercentBps: 'feePercent' };

const SettingsPage = () => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const { get, put, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const { copy } = useClipboard();
  const { allowed: canUpdate, isLoading: rbacLoading } = useCan(PERMISSIONS.settingsUpdate);
  const [settings, setSettings] = useState<SettingsView | null>(null);
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [errors, setErrors] = useState<FieldErrors>({});
  const [replacing, setReplacing] = useState({ secretKey: false, webhookSecret: false, mollieApiKey: false });
  const [busy, setBusy] = useState<'save' | 'check' | 'disconnect' | null>(null);
  const [confirmDisconnect, setConfirmDisconnect] = useState(false);
  const [loadError, setLoadError] = useState(false);

  const apply = (view: SettingsView) => {
    setSettings(view);
    setForm(toForm(view));
    setReplacing({ secretKey: false, webhookSecret: false, mollieApiKey: false });
  };

  useEffect(() => {
    get<{ data: SettingsView }>(`/${PLUGIN_ID}/settings`)
      .then((res) => apply(res.data.data))
      .catch(() => setLoadError(true));
    // Loaded once; later changes come from the save, check and disconnect answers.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  if (loadError) return <Page.Error />;
  if (!settings || !form || rbacLoading) return <Page.Loading />;
  const stripeApiVersion = settings.apiVersions?.find((v) => v.provider === 'stripe')?.pinned ?? null;

  const set = <K extends keyof SettingsForm>(key: K, value: SettingsForm[K]) => {
    setForm({ ...form, [key]: value });
    setErrors((e) => ({ ...e, [key]: undefined }));
  };

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const problems = validateSettings(form, replacing.secretKey ? null : maskMode(settings.secretKey.masked));
    if (Object.keys(problems).length) {
      setErrors(Object.fromEntries(Object.entries(problems).map(([k, p]) => [k, formatMessage(p, p.values)])));
      return;
    }
    const body: Record<string, unknown> = {
      publishableKey: form.publishableKey,
      defaultCurrency: form.defaultCurrency.toUpperCase(),
      partialPayments: form.partialPayments,
      partialMinimumAmount: Number(form.partialMinimumAmount || '0'),
      partialMinimumPercent: Number(form.partialMinimumPercent || '0'),
      checkoutMode: form.checkoutMode,
      feePercentBps: Math.round(Number(form.feePercent || '0') * 100),
      feeFixedAmount: Number(form.feeFixedAmount || '0'),
      refundPolicy: form.refundPolicy,
      refundFeePolicy: form.refundFeePolicy,
      notificationEmail: form.notificationEmail,
      refundOverpayments: form.refundOverpayments,
      abandonedAuthenticationMinutes: Number(form.abandonedAuthenticationMinutes),
      paymentTermDays: Number(form.paymentTermDays),
      defaultLanguage: form.defaultLanguage,
      payLinkProvider: form.payLinkProvider,
      reminders: {
        enabled: form.remindersEnabled,
        beforeDays: parseDayList(form.reminderBeforeDays) ?? [],
        onDueDate: form.reminderOnDueDate,
        afterDays: parseDayList(form.reminderAfterDays) ?? [],
        timeZone: form.reminderTimeZone.trim(),
        sendHour: Number(form.reminderSendHour),
      },
      autopay: {
        enabled: form.autopayEnabled,
        retryDays: parseDayList(form.autopayRetryDays) ?? [],
        chargeHour: Number(form.autopayChargeHour),
      },
    };
    // Omitted secrets are kept as saved; only a typed replacement is sent.
    if (form.secretKey) body.secretKey = form.secretKey;
    if (form.webhookSecret) body.webhookSecret = form.webhookSecret;
    if (form.mollieApiKey) body.mollieApiKey = form.mollieApiKey;
    setBusy('save');
    try {
      const res = await put<{ data: SettingsView }>(`/${PLUGIN_ID}/settings`, body);
      apply(res.data.data);
      setErrors({});
      toggleNotification({ type: 'success', message: t('settings.saved', 'Settings saved') });
    } catch (error) {
      const problem = readApiError(error, t('settings.saveFailed', 'The settings could not be saved.'));
      setErrors(Object.fromEntries(Object.entries(problem.fields).map(([k, v]) => [SERVER_FIELDS[k] ?? k, v])));
      toggleNotification({ type: 'danger', message: problem.message });
    } finally {
      setBusy(null);
    }
  };

  const settingsAction = async (kind: 'check' | 'disconnect') => {
    setBusy(kind);
    try {
      const res = await post<{ data: SettingsView }>(
        `/${PLUGIN_ID}/settings/${kind === 'check' ? 'test-connection' : 'disconnect'}`,
        {},
      );
      apply(res.data.data);
      setErrors({});
      if (kind === 'disconnect')
        toggleNotification({
          type: 'success',
          message: t('settings.disconnected', 'Stripe keys removed. Invoices and payments are kept.'),
        });
    } catch (error) {
      toggleNotification({
        type: 'danger',
        message: readApiError(error, t('settings.actionFailed', 'That did not work. Try again.')).message,
      });
    } finally {
      setBusy(null);
    }
  };

  const copyWebhookUrl = async () => {
    const copied = await copy(settings.webhookUrl);
    toggleNotification({
      type: copied ? 'success' : 'warning',
      message: copied
        ? t('settings.copied', 'Copied')
        : t('payLink.copyFailed', 'Copy failed: select the link and copy it by hand.'),
    });
  };

  const column = (col: number, children: ReactNode, key?: string) => (
    <Grid.Item key={key} col={col} s={12} direction="column" alignItems="stretch">
      {children}
    </Grid.Item>
  );

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
              <Button type="submit" startIcon={<Check />} loading={busy === 'save'}>
                {t('settings.save', 'Save')}
              </Button>
            ) : undefined
          }
        />
        <Layouts.Content>
          <Flex direction="column" alignItems="stretch" gap={6}>
            <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
              <Flex direction="column" alignItems="stretch" gap={4}>
                <Flex justifyContent="space-between" wrap="wrap" gap={2}>
                  <ConnectionStatus settings={settings} />
                  {(settings.secretKey.set || settings.mollie.apiKey.set) && (
                    <Button
                      variant="tertiary"
                      size="S"
                      startIcon={<ArrowClockwise />}
                      loading={busy === 'check'}
                      onClick={() => void settingsAction('check')}
                    >
                      {t('settings.check', 'Check connection')}
                    </Button>
                  )}
                </Flex>
                {!settings.encryptionKeyConfigured && (
                  <Typography textColor="danger600">
                    {t(
                      'settings.encryptionMissing',
                      'INVOICE_PAYMENTS_ENCRYPTION_KEY is not set on the server: secret keys cannot be saved until it is.',
                    )}
                  </Typography>
                )}
                <Grid.Root gap={4}>
                  {column(
                    6,
                    <Field.Root
                      name="publishableKey"
                      error={errors.publishableKey}
                      hint={t('settings.publishableKey.hint', 'Starts with pk_test_ or pk_live_.')}
                    >
                      <Field.Label>{t('settings.publishableKey', 'Publishable key')}</Field.Label>
                      <TextInput
                        value={form.publishableKey}
                        disabled={!canUpdate}
                        onChange={(e: { target: { value: string } }) => set('publishableKey', e.target.value.trim())}
                      />
                      <Field.Hint />
                      <Field.Error />
                    </Field.Root>,
                  )}
                  {(['secretKey', 'webhookSecret'] as const).map((name) =>
                    column(
                      6,
                      <SecretField
                        name={name}
                        label={
                          name === 'secretKey'
                            ? t('settings.secretKey', 'Secret key')
                            : t('settings.webhookSecret', 'Webhook signing secret')
                        }
                        hint={
                          name === 'secretKey'
                            ? t(
                                'settings.secretKey.hint',
                                'Starts with sk_ or rk_ (restricted). Stored encrypted; never shown again after saving.',
                              )
                            : t(
                                'settings.webhookSecret.hint',
                                'Starts with whsec_. From Stripe Dashboard → Developers → Webhooks → your endpoint.',
                              )
                        }
                        masked={settings[name].set ? settings[name].masked : null}
                        value={form[name]}
                        error={errors[name]}
                        replacing={replacing[name]}
                        canUpdate={canUpdate}
                        onReplace={(on) => {
                          setReplacing({ ...replacing, [name]: on });
                          if (!on) set(name, '');
                        }}
                        onChange={(v) => set(name, v)}
                      />,
                      name,
                    ),
                  )}
                  {column(
                    6,
                    <Field.Root
                      name="webhookUrl"
                      hint={t('settings.webhookUrl.hint', 'Add this endpoint in the Stripe Dashboard.')}
                    >
                      <Field.Label>{t('settings.webhookUrl', 'Webhook URL')}</Field.Label>
                      <Flex gap={2}>
                        <Box flex="1">
                          <TextInput value={settings.webhookUrl} readOnly data-testid="webhook-url" />
                        </Box>
                        <Button variant="tertiary" startIcon={<Duplicate />} onClick={() => void copyWebhookUrl()}>
                          {t('settings.copy', 'Copy')}
                        </Button>
                      </Flex>
                      <Field.Hint />
                    </Field.Root>,
                  )}
                  {stripeApiVersion &&
                    column(
                      6,
                      <Field.Root
                        name="apiVersion"
                        hint={t(
                          'settings.apiVersion.hint',
                          'The version this plugin is built for. Create the webhook endpoint with this API version.',
                        )}
                      >
                        <Field.Label>{t('settings.apiVersion', 'API version')}</Field.Label>
                        <TextInput value={stripeApiVersion} readOnly data-testid="stripe-api-version" />
                        <Field.Hint />
                      </Field.Root>,
                    )}
                </Grid.Root>
              </Flex>
            </Box>
            <MollieSection
              settings={settings}
              form={form}
              error={errors.mollieApiKey}
              providerError={errors.payLinkProvider}
              replacing={replacing.mollieApiKey}
              canUpdate={canUpdate}
              onReplace={(on) => setReplacing({ ...replacing, mollieApiKey: on })}
              set={set}
            />
            <PaymentMethodsSection connected={settings.secretKey.set} canUpdate={canUpdate} />
            <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius>
              <Grid.Root gap={4}>
                {column(
                  4,
                  <Field.Root name="defaultCurrency" error={errors.defaultCurrency}>
                    <Field.Label>{t('settings.defaultCurrency', 'Default currency')}</Field.Label>
                    <TextInput
                      value={form.defaultCurrency}
                      maxLength={3}
                      disabled={!canUpdate}
                      onChange={(e: { target: { value: string } }) =>
                        set('defaultCurrency', e.target.value.toUpperCase())
                      }
                    />
                    <Field.Error />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root name="checkoutMode">
                    <Field.Label>{t('settings.checkoutMode', 'Payment page')}</Field.Label>
                    <SingleSelect
                      value={form.checkoutMode}
                      disabled={!canUpdate}
                      onChange={(v: string | number) => set('checkoutMode', v as SettingsForm['checkoutMode'])}
                    >
                      {(
                        [
                          ['payment_element', 'Payment drawer on the invoice page'],
                          ['hosted', 'Stripe hosted Checkout'],
                          ['embedded', 'Embedded Checkout'],
                        ] as const
                      ).map(([value, label]) => (
                        <SingleSelectOption key={value} value={value}>
                          {t(`settings.checkoutMode.${value}`, label)}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root
                    name="paymentTermDays"
                    error={errors.paymentTermDays}
                    hint={t(
                      'settings.paymentTermDays.hint',
                      'New invoices are due this many days after their issue date. 0: due on receipt.',
                    )}
                  >
                    <Field.Label>{t('settings.paymentTermDays', 'Payment term (days)')}</Field.Label>
                    <TextInput
                      inputMode="numeric"
                      value={form.paymentTermDays}
                      disabled={!canUpdate}
                      onChange={(e: { target: { value: string } }) => set('paymentTermDays', e.target.value)}
                    />
                    <Field.Hint />
                    <Field.Error />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root
                    name="defaultLanguage"
                    hint={t(
                      'settings.defaultLanguage.hint',
                      'Pay pages, PDFs and emails of invoices that have no language of their own. Pay pages then follow the browser’s language first.',
                    )}
                  >
                    <Field.Label>{t('settings.defaultLanguage', 'Default client language')}</Field.Label>
                    <LanguageSelect
                      value={form.defaultLanguage}
                      disabled={!canUpdate}
                      onChange={(v) => set('defaultLanguage', v)}
                    />
                    <Field.Hint />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root name="partialPayments">
                    <Field.Label>{t('settings.partialPayments', 'Allow partial payments')}</Field.Label>
                    <Toggle
                      checked={form.partialPayments}
                      disabled={!canUpdate}
                      onLabel={t('common.on', 'On')}
                      offLabel={t('common.off', 'Off')}
                      onChange={(e: { target: { checked: boolean } }) => set('partialPayments', e.target.checked)}
                    />
                  </Field.Root>,
                )}
                {form.partialPayments &&
                  column(
                    4,
                    <Field.Root
                      name="partialMinimumAmount"
                      error={errors.partialMinimumAmount}
                      hint={t(
                        'settings.partialMinimumAmount.hint',
                        'In minor units of the default currency (500 = 5.00). The payment provider’s own minimum always applies.',
                      )}
                    >
                      <Field.Label>{t('settings.partialMinimumAmount', 'Smallest partial payment')}</Field.Label>
                      <TextInput
                        inputMode="numeric"
                        value={form.partialMinimumAmount}
                        disabled={!canUpdate}
                        onChange={(e: { target: { value: string } }) => set('partialMinimumAmount', e.target.value)}
                      />
                      <Field.Hint />
                      <Field.Error />
                    </Field.Root>,
                  )}
                {form.partialPayments &&
                  column(
                    4,
                    <Field.Root
                      name="partialMinimumPercent"
                      error={errors.partialMinimumPercent}
                      hint={t('settings.partialMinimumPercent.hint', 'Of the invoice’s balance; 0 for no such limit.')}
                    >
                      <Field.Label>{t('settings.partialMinimumPercent', 'Smallest partial payment (%)')}</Field.Label>
                      <TextInput
                        inputMode="numeric"
                        value={form.partialMinimumPercent}
                        disabled={!canUpdate}
                        onChange={(e: { target: { value: string } }) => set('partialMinimumPercent', e.target.value)}
                      />
                      <Field.Hint />
                      <Field.Error />
                    </Field.Root>,
                  )}
                {column(
                  4,
                  <Field.Root
                    name="refundOverpayments"
                    hint={t(
                      'settings.refundOverpayments.hint',
                      'When a client pays twice (two tabs, an old link), the extra payment is refunded at once. Off: the invoice is flagged with the amount to refund.',
                    )}
                  >
                    <Field.Label>{t('settings.refundOverpayments', 'Refund overpayments automatically')}</Field.Label>
                    <Toggle
                      checked={form.refundOverpayments}
                      disabled={!canUpdate}
                      onLabel={t('common.on', 'On')}
                      offLabel={t('common.off', 'Off')}
                      onChange={(e: { target: { checked: boolean } }) => set('refundOverpayments', e.target.checked)}
                    />
                    <Field.Hint />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root
                    name="abandonedAuthenticationMinutes"
                    error={errors.abandonedAuthenticationMinutes}
                    hint={t(
                      'settings.abandonedAuthenticationMinutes.hint',
                      'A card confirmation (3-D Secure) left unfinished this long may be cancelled when the client starts another payment. Vouchers and bank transfers are never cancelled.',
                    )}
                  >
                    <Field.Label>
                      {t(
                        'settings.abandonedAuthenticationMinutes',
                        'Unfinished card confirmation expires after (minutes)',
                      )}
                    </Field.Label>
                    <TextInput
                      inputMode="numeric"
                      value={form.abandonedAuthenticationMinutes}
                      disabled={!canUpdate}
                      onChange={(e: { target: { value: string } }) =>
                        set('abandonedAuthenticationMinutes', e.target.value)
                      }
                    />
                    <Field.Hint />
                    <Field.Error />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root
                    name="feePercent"
                    error={errors.feePercent}
                    hint={t('settings.feePercent.hint', 'Added on top of each card payment (gross-up), e.g. 2.9.')}
                  >
                    <Field.Label>{t('settings.feePercent', 'Fee passthrough (%)')}</Field.Label>
                    <TextInput
                      inputMode="decimal"
                      value={form.feePercent}
                      disabled={!canUpdate}
                      onChange={(e: { target: { value: string } }) => set('feePercent', e.target.value)}
                    />
                    <Field.Hint />
                    <Field.Error />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root name="feeFixedAmount" error={errors.feeFixedAmount}>
                    <Field.Label>{t('settings.feeFixed', 'Fixed fee passthrough (minor units)')}</Field.Label>
                    <TextInput
                      inputMode="numeric"
                      value={form.feeFixedAmount}
                      disabled={!canUpdate}
                      onChange={(e: { target: { value: string } }) => set('feeFixedAmount', e.target.value)}
                    />
                    <Field.Error />
                  </Field.Root>,
                )}
                {column(
                  4,
                  <Field.Root name="refundPolicy">
                    <Field.Label>
                      {t('settings.refundPolicy', 'After a refund, full or partial (default of the refund dialog)')}
                    </Field.Label>
                    <SingleSelect
                      value={form.refundPolicy}
                      disabled={!canUpdate}
                      onChange={(v: string | number) => set('refundPolicy', v as SettingsForm['refundPolicy'])}
                    >
                      {(
                        [
                          ['reopen', 'Reopen the balance (client owes it again)'],
                          ['keep_paid', 'Keep the invoice paid (refund noted)'],
                        ] as const
                      ).map(([value, label]) => (
                        <SingleSelectOption key={value} value={value}>
                          {t(`settings.refundPolicy.${value}`, label)}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                  </Field.Root>,
                )}
                {column(
                  6,
                  <Field.Root
                    name="refundFeePolicy"
                    hint={t('settings.refundFeePolicy.hint', 'Only matters with fee passthrough on.')}
                  >
                    <Field.Label>{t('settings.refundFeePolicy', 'Passed-through fee on a refund')}</Field.Label>
                    <SingleSelect
                      value={form.refundFeePolicy}
                      disabled={!canUpdate}
                      onChange={(v: string | number) => set('refundFeePolicy', v as SettingsForm['refundFeePolicy'])}
                    >
                      {(
                        [
                          ['keep_fee', 'Keep it (refund the invoice amount only)'],
                          ['refund_fee', 'Give it back in proportion'],
                        ] as const
                      ).map(([value, label]) => (
                        <SingleSelectOption key={value} value={value}>
                          {t(`settings.refundFeePolicy.${value}`, label)}
                        </SingleSelectOption>
                      ))}
                    </SingleSelect>
                    <Field.Hint />
                  </Field.Root>,
                )}
                {column(
                  6,
                  <Field.Root
                    name="notificationEmail"
                    error={errors.notificationEmail}
                    hint={t('settings.notificationEmail.hint', 'Dispute alerts and failure notices go here.')}
                  >
                    <Field.Label>{t('settings.notificationEmail', 'Notification email')}</Field.Label>
                    <TextInput
                      type="email"
                      value={form.notificationEmail}
                      disabled={!canUpdate}
                      onChange={(e: { target: { value: string } }) => set('notificationEmail', e.target.value)}
                    />
                    <Field.Hint />
                    <Field.Error />
                  </Field.Root>,
                )}
              </Grid.Root>
            </Box>
            <RemindersSection form={form} errors={errors} canUpdate={canUpdate} set={set} />
            <BrandingSection
              key={JSON.stringify(settings.branding)}
              branding={settings.branding}
              canUpdate={canUpdate}
              onSaved={(view) => setSettings({ ...settings, branding: view.branding })}
            />
            <AutopaySection form={form} errors={errors} canUpdate={canUpdate} set={set} />
            {canUpdate && settings.secretKey.set && (
              <Box>
                <Button
                  variant="danger-light"
                  startIcon={<Cross />}
                  onClick={() => setConfirmDisconnect(true)}
                  loading={busy === 'disconnect'}
                >
                  {t('settings.disconnect', 'Disconnect')}
                </Button>
              </Box>
            )}
          </Flex>
        </Layouts.Content>
      </form>
      <Dialog.Root open={confirmDisconnect} onOpenChange={setConfirmDisconnect}>
        <ConfirmDialog
          title={t('settings.disconnectTitle', 'Disconnect Stripe?')}
          onConfirm={() => settingsAction('disconnect')}
        >
          {t(
            'settings.disconnectBody',
            'The keys are removed and clients cannot pay by card until new keys are saved. Invoices and payments are kept.',
          )}
        </ConfirmDialog>
      </Dialog.Root>
    </Page.Main>
  );
};

const ProtectedSettingsPage = () => (
  <Page.Protect permissions={PERMISSIONS.settingsRead}>
    <SettingsPage />
  </Page.Protect>
);

export default ProtectedSettingsPage;
