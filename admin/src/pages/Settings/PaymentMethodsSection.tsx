import { useState } from 'react';
import { useFetchClient, useNotification } from '@strapi/strapi/admin';
import {
  Badge,
  Box,
  Button,
  Field,
  Flex,
  SingleSelect,
  SingleSelectOption,
  TextInput,
  Typography,
} from '@strapi/design-system';
import { ArrowClockwise, Check, CheckCircle, WarningCircle } from '@strapi/icons';
import { useIntl } from 'react-intl';
import { PLUGIN_ID } from '../../pluginId';
import { getTranslation } from '../../utils/getTranslation';
import { readApiError } from '../../utils/api';
import { useApiGet } from '../../hooks/useApiGet';
import { paymentMethodLabel } from '../../utils/paymentMethodLabels';

/** GET /settings/payment-methods (server/src/services/payment-methods.ts PaymentMethodsView). */
interface ConfigurationSummary {
  id: string;
  name: string;
  isDefault: boolean;
  active: boolean;
  methods: string[];
}
interface PaymentMethodsView {
  selected: { id: string; name: string | null } | null;
  staleChoice: { id: string; name: string | null } | null;
  configurations: ConfigurationSummary[];
}
interface WalletStatus {
  status: string;
  message: string | null;
}
interface DomainView {
  domain: string;
  publicUrl: string;
  problem: string | null;
  registration: {
    id: string;
    domainName: string;
    enabled: boolean;
    applePay: WalletStatus;
    googlePay: WalletStatus;
  } | null;
}

/** The select's value for "no configuration named": Stripe applies the account's default. */
const ACCOUNT_DEFAULT = 'account-default';
const BASE = `/${PLUGIN_ID}/settings/payment-methods`;

interface Props {
  /** A Stripe secret key is saved (the lists come from the Stripe account). */
  connected: boolean;
  canUpdate: boolean;
}

/**
 * Settings → Payment methods: the Stripe payment method configuration that narrows what the
 * Payment Element and Checkout offer (dynamic payment methods), and the site's domain registration
 * for Apple Pay and Google Pay. Saved with its own buttons, apart from the settings form.
 */
export const PaymentMethodsSection = ({ connected, canUpdate }: Props) => {
  const { formatMessage } = useIntl();
  const t = (id: string, defaultMessage: string, values?: Record<string, string>) =>
    formatMessage({ id: getTranslation(id), defaultMessage }, values);
  const methodLabel = (id: string) =>
    formatMessage({
      id: getTranslation(`settings.paymentMethods.method.${id}`),
      defaultMessage: paymentMethodLabel(id),
    });
  const { put, post } = useFetchClient();
  const { toggleNotification } = useNotification();
  const loadError = t('settings.paymentMethods.loadFailed', 'Payment methods could not be read from Stripe.');
  const methods = useApiGet<{ data: PaymentMethodsView }>(connected ? BASE : null, loadError);
  const domain = useApiGet<{ data: DomainView }>(connected ? `${BASE}/domain` : null, loadError);
  const [picked, setPicked] = useState<string | null>(null);
  const [busy, setBusy] = useState<'save' | 'register' | null>(null);

  const view = methods.data?.data;
  const saved = view?.selected?.id ?? ACCOUNT_DEFAULT;
  const value = picked ?? saved;
  const defaultConfiguration = view?.configurations.find((c) => c.isDefault);
  const shown = value === ACCOUNT_DEFAULT ? defaultConfiguration : view?.configurations.find((c) => c.id === value);

  const save = async () => {
    setBusy('save');
    try {
      const res = await put<{ data: PaymentMethodsView }>(BASE, {
        configurationId: value === ACCOUNT_DEFAULT ? null : value,
      });
      methods.setData(res.data);
      setPicked(null);
      toggleNotification({
        type: 'success',
        message: t('settings.paymentMethods.saved', 'New payments will offer these payment methods.'),
      });
    } catch (error) {
      toggleNotification({
        type: 'danger',
        message: readApiError(error, t('settings.paymentMethods.saveFailed', 'The choice could not be saved.')).message,
      });
    } finally {
      setBusy(null);
    }
  };

  const register = async () => {
    setBusy('register');
    try {
      const res = await post<{ data: DomainView }>(`${BASE}/domain`, {});
      domain.setData(res.data);
      toggleNotification({
        type: 'success',
        message: t('settings.wallets.registered', 'Domain registered with Stripe.'),
      });
    } catch (error) {
      toggleNotification({
        type: 'danger',
        message: readApiError(error, t('settings.wallets.registerFailed', 'The domain could not be registered.'))
          .message,
      });
    } finally {
      setBusy(null);
    }
  };

  const walletLine = (label: string, status: WalletStatus, testId: string) => (
    <Flex gap={2} alignItems="flex-start" data-testid={testId}>
      {status.status === 'active' ? (
        <CheckCircle fill="success600" aria-hidden />
      ) : (
        <WarningCircle fill="danger600" aria-hidden />
      )}
      <Flex direction="column" alignItems="flex-start" gap={1}>
        <Typography textColor={status.status === 'active' ? 'success600' : 'danger600'} fontWeight="bold">
          {status.status === 'active'
            ? t('settings.wallets.active', '{label}: ready on this domain', { label })
            : t('settings.wallets.inactive', '{label}: not available on this domain', { label })}
        </Typography>
        {status.message && <Typography textColor="neutral600">{status.message}</Typography>}
      </Flex>
    </Flex>
  );

  const problem = (message: string, retry: () => void) => (
    <Flex gap={2} wrap="wrap">
      <WarningCircle fill="danger600" aria-hidden />
      <Typography textColor="danger600">{message}</Typography>
      <Button type="button" variant="tertiary" size="S" startIcon={<ArrowClockwise />} onClick={retry}>
        {t('settings.paymentMethods.retry', 'Try again')}
      </Button>
    </Flex>
  );

  const registration = domain.data?.data.registration ?? null;

  return (
    <Box background="neutral0" padding={6} shadow="filterShadow" hasRadius data-testid="payment-methods-section">
      <Flex direction="column" alignItems="stretch" gap={5}>
        <Flex direction="column" alignItems="stretch" gap={1}>
          <Typography variant="delta" tag="h2">
            {t('settings.paymentMethods.title', 'Payment methods')}
          </Typography>
          <Typography textColor="neutral600">
            {t(
              'settings.paymentMethods.intro',
              'Clients are offered the payment methods your Stripe account turns on for the invoice’s currency and amount. To offer fewer, create a payment method configuration in the Stripe Dashboard (Settings → Payment methods) and pick it here.',
            )}
          </Typography>
        </Flex>
        {!connected ? (
          <Typography textColor="neutral600" data-testid="payment-methods-not-connected">
            {t(
              'settings.paymentMethods.notConnected',
              'Save a Stripe secret key first: the choices come from your Stripe account.',
            )}
          </Typography>
        ) : (
          <>
            {methods.error ? (
              problem(methods.error.message, methods.reload)
            ) : !view ? (
              <Typography textColor="neutral600">
                {t('settings.paymentMethods.loading', 'Reading from Stripe…')}
              </Typography>
            ) : (
              <Flex direction="column" alignItems="stretch" gap={3}>
                {view.staleChoice && (
                  <Typography textColor="warning600" data-testid="pmc-stale">
                    {t(
                      'settings.paymentMethods.stale',
                      'The configuration chosen earlier ({label}) was picked with another Stripe secret key, so the account default applies now. Pick one again.',
                      { label: view.staleChoice.name ?? view.staleChoice.id },
                    )}
                  </Typography>
                )}
                <Flex gap={4} alignItems="flex-end" wrap="wrap">
                  <Box flex="1" minWidth="280px">
                    <Field.Root
                      name="paymentMethodConfiguration"
                      hint={t(
                        'settings.paymentMethods.configuration.hint',
                        'Applies to payments started from now on; payments already open keep theirs.',
                      )}
                    >
                      <Field.Label>
                        {t('settings.paymentMethods.configuration', 'Payment method configuration')}
                      </Field.Label>
                      <SingleSelect
                        value={value}
                        disabled={!canUpdate}
                        data-testid="pmc-select"
                        onChange={(v: string | number) => setPicked(String(v))}
                      >
                        <SingleSelectOption value={ACCOUNT_DEFAULT}>
                          {t('settings.paymentMethods.accountDefault', 'Stripe account default')}
                        </SingleSelectOption>
                        {view.configurations
                          .filter((c) => c.active || c.id === saved)
                          .map((c) => (
                            <SingleSelectOption key={c.id} value={c.id}>
                              {c.isDefault
                                ? t('settings.paymentMethods.defaultName', '{label} (account default)', {
                                    label: c.name,
                                  })
                                : c.name}
                            </SingleSelectOption>
                          ))}
                      </SingleSelect>
                      <Field.Hint />
                    </Field.Root>
                  </Box>
                  {canUpdate && (
                    <Button
                      type="button"
                      startIcon={<Check />}
                      loading={busy === 'save'}
                      disabled={value === saved}
                      onClick={() => void save()}
                      data-testid="pmc-save"
                    >
                      {t('settings.paymentMethods.save', 'Use for new payments')}
                    </Button>
                  )}
                </Flex>
                <Box data-testid="pmc-methods">
                  <Typography variant="sigma" textColor="neutral600">
                    {t('settings.paymentMethods.offers', 'Turned on in this configuration')}
                  </Typography>
                  <Flex gap={2} wrap="wrap" paddingTop={2}>
                    {shown && shown.methods.length > 0 ? (
                      shown.methods
                        .map((m) => [m, methodLabel(m)] as const)
                        .sort(([, a], [, b]) => a.localeCompare(b))
                        .map(([m, label]) => (
                          <Badge key={m} data-testid={`pmc-method-${m}`}>
                            {label}
                          </Badge>
                        ))
                    ) : (
                      <Typography textColor="neutral600">
                        {t('settings.paymentMethods.none', 'No payment method is turned on.')}
                      </Typography>
                    )}
                  </Flex>
                  <Box paddingTop={2}>
                    <Typography variant="pi" textColor="neutral600">
                      {t(
                        'settings.paymentMethods.eligibility',
                        'Stripe still shows each client only those that suit the invoice’s currency, amount and the client’s device.',
                      )}
                    </Typography>
                  </Box>
                </Box>
              </Flex>
            )}
            <Box background="neutral100" padding={4} hasRadius data-testid="wallet-domain">
              <Flex direction="column" alignItems="stretch" gap={3}>
                <Typography variant="omega" fontWeight="bold" tag="h3">
                  {t('settings.wallets.title', 'Apple Pay and Google Pay')}
                </Typography>
                <Typography textColor="neutral600">
                  {t(
                    'settings.wallets.intro',
                    'Wallets show on your pay pages only once the pay pages’ domain is registered with Stripe.',
                  )}
                </Typography>
                {domain.error ? (
                  problem(domain.error.message, domain.reload)
                ) : !domain.data ? (
                  <Typography textColor="neutral600">
                    {t('settings.paymentMethods.loading', 'Reading from Stripe…')}
                  </Typography>
                ) : (
                  <>
                    <Field.Root name="walletDomain">
                      <Field.Label>{t('settings.wallets.domain', 'Domain of the pay pages')}</Field.Label>
                      <TextInput value={domain.data.data.domain} readOnly data-testid="wallet-domain-name" />
                    </Field.Root>
                    {domain.data.data.problem ? (
                      <Typography textColor="warning600" data-testid="wallet-problem">
                        {domain.data.data.problem}
                      </Typography>
                    ) : registration ? (
                      <Flex direction="column" alignItems="stretch" gap={2} data-testid="wallet-registered">
                        {walletLine(
                          t('settings.wallets.applePay', 'Apple Pay'),
                          registration.applePay,
                          'wallet-apple-pay',
                        )}
                        {walletLine(
                          t('settings.wallets.googlePay', 'Google Pay'),
                          registration.googlePay,
                          'wallet-google-pay',
                        )}
                      </Flex>
                    ) : (
                      <Flex gap={3} wrap="wrap" data-testid="wallet-unregistered">
                        <Typography textColor="neutral800">
                          {t(
                            'settings.wallets.notRegistered',
                            'Not registered with Stripe yet: Apple Pay and Google Pay do not show on your pay pages.',
                          )}
                        </Typography>
                        {canUpdate && (
                          <Button
                            type="button"
                            variant="secondary"
                            loading={busy === 'register'}
                            onClick={() => void register()}
                            data-testid="wallet-register"
                          >
                            {t('settings.wallets.register', 'Register {domain} with Stripe', {
                              domain: domain.data.data.domain,
                            })}
                          </Button>
                        )}
                      </Flex>
                    )}
                  </>
                )}
              </Flex>
            </Box>
          </>
        )}
      </Flex>
    </Box>
  );
};
