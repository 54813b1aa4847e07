import { screen, waitFor, within } from '@testing-library/react';
import SettingsPage from '../../admin/src/pages/Settings';
import { validateSettings, type SettingsForm } from '../../admin/src/pages/Settings/validation';
import { apiError, mockApi, ok } from './support/api';
import { renderPage } from './support/render';
import { connectedSettings, settingsView } from './support/fixtures';

const form = (overrides: Partial<SettingsForm> = {}): SettingsForm => ({
  publishableKey: '',
  secretKey: '',
  webhookSecret: '',
  defaultCurrency: 'USD',
  partialPayments: false,
  partialMinimumAmount: '0',
  partialMinimumPercent: '0',
  checkoutMode: 'payment_element',
  feePercent: '0',
  feeFixedAmount: '0',
  refundPolicy: 'reopen',
  refundFeePolicy: 'keep_fee',
  notificationEmail: '',
  refundOverpayments: true,
  abandonedAuthenticationMinutes: '10',
  paymentTermDays: '14',
  defaultLanguage: 'en',
  mollieApiKey: '',
  payLinkProvider: 'stripe',
  remindersEnabled: true,
  reminderBeforeDays: '3',
  reminderOnDueDate: true,
  reminderAfterDays: '7, 14',
  reminderTimeZone: 'UTC',
  reminderSendHour: '9',
  autopayEnabled: true,
  autopayRetryDays: '1, 3, 7',
  autopayChargeHour: '9',
  ...overrides,
});

const ids = (problems: ReturnType<typeof validateSettings>) =>
  Object.fromEntries(Object.entries(problems).map(([k, v]) => [k, v!.id]));

describe('validateSettings', () => {
  it('autopay: up to 5 different retry days from 1 to 60 and an hour 0–23', () => {
    expect(ids(validateSettings(form({ autopayRetryDays: '' })))).toEqual({});
    expect(ids(validateSettings(form({ autopayRetryDays: '1, 1', autopayChargeHour: '24' })))).toEqual({
      autopayRetryDays: 'invoice-payments.validation.autopayRetryDays',
      autopayChargeHour: 'invoice-payments.validation.reminderHour',
    });
    expect(ids(validateSettings(form({ autopayRetryDays: '61' })))).toEqual({
      autopayRetryDays: 'invoice-payments.validation.autopayRetryDays',
    });
  });

  it('reminders: up to 5 different day counts from 1 to 365, an hour 0–23, a time zone name', () => {
    expect(ids(validateSettings(form({ reminderBeforeDays: '', reminderAfterDays: '1, 30, 365' })))).toEqual({});
    expect(
      ids(
        validateSettings(
          form({
            reminderBeforeDays: '0',
            reminderAfterDays: '7, 7',
            reminderSendHour: '24',
            reminderTimeZone: 'GMT+2 hours',
          }),
        ),
      ),
    ).toEqual({
      reminderBeforeDays: 'invoice-payments.validation.reminderDays',
      reminderAfterDays: 'invoice-payments.validation.reminderDays',
      reminderSendHour: 'invoice-payments.validation.reminderHour',
      reminderTimeZone: 'invoice-payments.validation.reminderTimeZone',
    });
    expect(ids(validateSettings(form({ reminderAfterDays: '1, 2, 3, 4, 5, 6' })))).toEqual({
      reminderAfterDays: 'invoice-payments.validation.reminderDays',
    });
  });

  it('takes 1 to 1440 whole minutes for an unfinished card confirmation', () => {
    expect(ids(validateSettings(form({ abandonedAuthenticationMinutes: '0' })))).toEqual({
      abandonedAuthenticationMinutes: 'invoice-payments.validation.abandonedMinutes',
    });
    expect(ids(validateSettings(form({ abandonedAuthenticationMinutes: '2.5' })))).toEqual({
      abandonedAuthenticationMinutes: 'invoice-payments.validation.abandonedMinutes',
    });
    expect(ids(validateSettings(form({ paymentTermDays: '400' })))).toEqual({
      paymentTermDays: 'invoice-payments.validation.paymentTermDays',
    });
    expect(ids(validateSettings(form({ paymentTermDays: '0' })))).toEqual({});
    expect(ids(validateSettings(form({ abandonedAuthenticationMinutes: '1441' })))).toEqual({
      abandonedAuthenticationMinutes: 'invoice-payments.validation.abandonedMinutes',
    });
    expect(validateSettings(form({ abandonedAuthenticationMinutes: '1440' }))).toEqual({});
  });

  it('accepts a test key pair and a signing secret', () => {
    expect(
      validateSettings(
        form({
          publishableKey: 'pk_test_abcdefgh12',
          secretKey: 'sk_test_abcdefgh12',
          webhookSecret: 'whsec' + '_abcdefgh12',
        }),
      ),
    ).toEqual({});
    expect(validateSettings(form({ publishableKey: 'pk_live_abcdefgh12', secretKey: 'rk_live_abcdefgh12' }))).toEqual(
      {},
    );
  });

  it('names the wrong key: swapped, malformed, mismatched modes (also against the saved secret)', () => {
    expect(
      ids(validateSettings(form({ publishableKey: 'sk_test_abcdefgh12', secretKey: 'pk_test_abcdefgh12' }))),
    ).toEqual({
      publishableKey: 'invoice-payments.validation.publishableIsSecret',
      secretKey: 'invoice-payments.validation.secretIsPublishable',
    });
    expect(
      ids(validateSettings(form({ publishableKey: 'pk_abc', secretKey: 'secret', webhookSecret: 'sec_1' }))),
    ).toEqual({
      publishableKey: 'invoice-payments.validation.publishableFormat',
      secretKey: 'invoice-payments.validation.secretFormat',
      webhookSecret: 'invoice-payments.validation.webhookFormat',
    });
    const mismatch = validateSettings(
      form({ publishableKey: 'pk_test_abcdefgh12', secretKey: 'sk_live' + '_abcdefgh12' }),
    );
    expect(mismatch.secretKey).toMatchObject({
      id: 'invoice-payments.validation.modeMismatch',
      values: { pkMode: 'test', skMode: 'live' },
    });
    expect(validateSettings(form({ publishableKey: 'pk_live_abcdefgh12' }), 'test').secretKey?.id).toBe(
      'invoice-payments.validation.modeMismatch',
    );
  });

  it('names a value that is not a Mollie API key', () => {
    expect(ids(validateSettings(form({ mollieApiKey: 'sk_test_abcdefgh12' })))).toEqual({
      mollieApiKey: 'invoice-payments.validation.mollieKey',
    });
    expect(validateSettings(form({ mollieApiKey: 'test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM' }))).toEqual({});
  });

  it('checks currency, fee and email', () => {
    expect(
      ids(
        validateSettings(
          form({ defaultCurrency: 'US', feePercent: '25', feeFixedAmount: '-1', notificationEmail: 'nope' }),
        ),
      ),
    ).toEqual({
      defaultCurrency: 'invoice-payments.validation.currency',
      feePercent: 'invoice-payments.validation.feePercent',
      feeFixedAmount: 'invoice-payments.validation.feeFixed',
      notificationEmail: 'invoice-payments.validation.email',
    });
  });
});

describe('Settings page', () => {
  it('without keys: says so, validates field by field and sends nothing while a key is wrong', async () => {
    const api = mockApi({ 'GET /invoice-payments/settings': () => ok({ data: settingsView() }) });
    const { user } = renderPage(<SettingsPage />);
    expect(await screen.findByText('No Stripe keys saved yet.')).toBeInTheDocument();
    expect(screen.queryByTestId('mode-badge')).not.toBeInTheDocument();
    await user.type(screen.getByLabelText('Publishable key'), 'pk_test_abcdefgh12');
    await user.type(screen.getByLabelText('Secret key'), 'sk_live' + '_abcdefgh12');
    await user.type(screen.getByLabelText('Webhook signing secret'), 'whsec');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(
      await screen.findByText(
        /The keys are from different modes: the publishable key is a test key but the secret key is a live key/,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText(/The webhook signing secret starts with whsec_/)).toBeInTheDocument();
    expect(api.callsTo('PUT', '/invoice-payments/settings')).toHaveLength(0);
    // Typing in a field clears its message.
    await user.clear(screen.getByLabelText('Secret key'));
    expect(screen.queryByText(/different modes/)).not.toBeInTheDocument();
  });

  it("shows the server's field message when Stripe or the server refuses the key", async () => {
    mockApi({
      'GET /invoice-payments/settings': () => ok({ data: settingsView() }),
      'PUT /invoice-payments/settings': () =>
        apiError(400, 'This is a publishable key.', [
          {
            path: ['secretKey'],
            message: 'This is a publishable key. The secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_.',
          },
        ]),
    });
    const { user } = renderPage(<SettingsPage />);
    await screen.findByText('No Stripe keys saved yet.');
    await user.type(screen.getByLabelText('Publishable key'), 'pk_test_abcdefgh12');
    await user.type(screen.getByLabelText('Secret key'), 'sk_test_abcdefgh12');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(
      await screen.findByText(
        'This is a publishable key. The secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_.',
      ),
    ).toBeInTheDocument();
  });

  it('saves: Connected with the account id, TEST MODE, secrets masked with Replace (and Cancel)', async () => {
    const api = mockApi({
      'GET /invoice-payments/settings': () => ok({ data: settingsView() }),
      'PUT /invoice-payments/settings': () => ok({ data: connectedSettings() }),
    });
    const { user } = renderPage(<SettingsPage />);
    await screen.findByText('No Stripe keys saved yet.');
    await user.type(screen.getByLabelText('Publishable key'), 'pk_test_51TestPublishable000000000000');
    await user.type(screen.getByLabelText('Secret key'), 'sk_test_51TestSecretKey0000000000000000');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Connected to Stripe account acct_123TEST')).toBeInTheDocument();
    expect(screen.getByTestId('mode-badge')).toHaveTextContent('TEST MODE');
    const [put] = api.callsTo('PUT', '/invoice-payments/settings');
    expect(put!.body).toMatchObject({
      publishableKey: 'pk_test_51TestPublishable000000000000',
      secretKey: 'sk_test_51TestSecretKey0000000000000000',
    });
    expect(put!.body).not.toHaveProperty('webhookSecret');
    expect(screen.getByTestId('secretKey-masked')).toHaveValue('sk_test_••••0000');
    await user.click(screen.getAllByRole('button', { name: 'Replace' })[0]!);
    expect(screen.queryByTestId('secretKey-masked')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Cancel' }));
    expect(screen.getByTestId('secretKey-masked')).toBeInTheDocument();
  });

  it('Mollie: saves the API key and the pay-link provider, then shows the key masked and the profile', async () => {
    const saved = settingsView({
      ...connectedSettings(),
      payLinkProvider: 'mollie',
      mollie: {
        apiKey: { set: true, masked: 'test_••••XsM0' },
        mode: 'test',
        webhookUrl: 'https://shop.example/api/invoice-payments/webhooks/mollie',
        connection: {
          status: 'connected',
          accountId: 'pfl_standin',
          message: null,
          checkedAt: '2026-11-22T10:00:00.000Z',
        },
      },
    });
    const api = mockApi({
      'GET /invoice-payments/settings': () => ok({ data: connectedSettings() }),
      'PUT /invoice-payments/settings': () => ok({ data: saved }),
    });
    const { user } = renderPage(<SettingsPage />);
    expect(await screen.findByText('No Mollie API key saved yet.')).toBeInTheDocument();
    expect(screen.getByTestId('mollie-webhook-url')).toHaveValue(
      'https://shop.example/api/invoice-payments/webhooks/mollie',
    );
    await user.type(screen.getByLabelText('Mollie API key'), 'live');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText(/The Mollie API key must start with test_ or live_/)).toBeInTheDocument();
    expect(api.callsTo('PUT', '/invoice-payments/settings')).toHaveLength(0);
    await user.clear(screen.getByLabelText('Mollie API key'));
    await user.type(screen.getByLabelText('Mollie API key'), 'test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM0');
    await user.click(screen.getByRole('combobox', { name: 'Pay links of new invoices use' }));
    await user.click(await screen.findByRole('option', { name: 'Mollie' }));
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByText('Connected to Mollie profile pfl_standin')).toBeInTheDocument();
    const [put] = api.callsTo('PUT', '/invoice-payments/settings');
    expect(put!.body).toMatchObject({
      mollieApiKey: 'test_dHar4XY7LxsDOtmnkVtjNVWXLSlXsM0',
      payLinkProvider: 'mollie',
    });
    expect(screen.getByTestId('mollieApiKey-masked')).toHaveValue('test_••••XsM0');
  });

  it('says why it is not connected', async () => {
    mockApi({
      'GET /invoice-payments/settings': () =>
        ok({
          data: {
            ...connectedSettings(),
            connection: {
              status: 'error',
              accountId: null,
              message: 'Invalid API Key provided: sk_test_****0000',
              checkedAt: null,
            },
          },
        }),
    });
    renderPage(<SettingsPage />);
    expect(await screen.findByText(/Not connected: Invalid API Key provided/)).toBeInTheDocument();
  });

  it('disconnects after a confirmation', async () => {
    const api = mockApi({
      'GET /invoice-payments/settings': () => ok({ data: connectedSettings() }),
      'POST /invoice-payments/settings/disconnect': () => ok({ data: settingsView() }),
    });
    const { user } = renderPage(<SettingsPage />);
    await user.click(await screen.findByRole('button', { name: 'Disconnect' }));
    const dialog = await screen.findByRole('alertdialog');
    expect(within(dialog).getByText(/Invoices and payments are kept/)).toBeInTheDocument();
    expect(api.callsTo('POST', '/invoice-payments/settings/disconnect')).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Confirm' }));
    expect(await screen.findByText('No Stripe keys saved yet.')).toBeInTheDocument();
    expect(api.callsTo('POST', '/invoice-payments/settings/disconnect')).toHaveLength(1);
  });

  it('read-only role: no Save, Replace or Disconnect, inputs disabled', async () => {
    mockApi({ 'GET /invoice-payments/settings': () => ok({ data: connectedSettings() }) });
    renderPage(<SettingsPage />, { permissions: ['settings.read', 'payments.read'] });
    await screen.findByText('Connected to Stripe account acct_123TEST');
    expect(screen.queryByRole('button', { name: 'Save' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Replace' })).not.toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Disconnect' })).not.toBeInTheDocument();
    expect(screen.getByLabelText('Publishable key')).toBeDisabled();
  });

  it('a role without settings.read gets the no-permission page and never calls the API', async () => {
    const api = mockApi({ 'GET /invoice-payments/settings': () => ok({ data: connectedSettings() }) });
    renderPage(<SettingsPage />, { permissions: ['payments.read'] });
    expect(await screen.findByText(/don't have the permissions/)).toBeInTheDocument();
    await waitFor(() => expect(api.callsTo('GET', '/invoice-payments/settings')).toHaveLength(0));
  });
});
