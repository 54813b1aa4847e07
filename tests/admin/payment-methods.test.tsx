import { screen, within } from '@testing-library/react';
import { PaymentMethodsSection } from '../../admin/src/pages/Settings/PaymentMethodsSection';
import { apiError, mockApi, ok } from './support/api';
import { renderPage } from './support/render';

/** Settings → Payment methods in jsdom: what each role sees, what is sent, and how refusals read. */
const BASE = '/invoice-payments/settings/payment-methods';
const configurations = [
  { id: 'pmc_default', name: 'Default', isDefault: true, active: true, methods: ['card', 'sepa_debit', 'apple_pay'] },
  { id: 'pmc_cards', name: 'Cards only', isDefault: false, active: true, methods: ['card', 'google_pay'] },
];
const view = (
  selected: { id: string; name: string } | null = null,
  staleChoice: { id: string; name: string } | null = null,
) => ({
  data: { selected, staleChoice, configurations },
});
const unregistered = {
  data: { domain: 'billing.example.com', publicUrl: 'https://billing.example.com', problem: null, registration: null },
};
const registered = (applePay: { status: string; message: string | null } = { status: 'active', message: null }) => ({
  data: {
    ...unregistered.data,
    registration: {
      id: 'pmd_1',
      domainName: 'billing.example.com',
      enabled: true,
      applePay,
      googlePay: { status: 'active', message: null },
    },
  },
});

it('without a Stripe key: asks for one and calls nothing', async () => {
  const api = mockApi({});
  renderPage(<PaymentMethodsSection connected={false} canUpdate />);
  expect(await screen.findByText(/Save a Stripe secret key first/)).toBeInTheDocument();
  expect(api.calls).toHaveLength(0);
});

it("shows the account default's methods in plain words, then saves another configuration", async () => {
  const api = mockApi({
    [`GET ${BASE}`]: () => ok(view()),
    [`GET ${BASE}/domain`]: () => ok(unregistered),
    [`PUT ${BASE}`]: () => ok(view({ id: 'pmc_cards', name: 'Cards only' })),
  });
  const { user } = renderPage(<PaymentMethodsSection connected canUpdate />);
  const methods = await screen.findByTestId('pmc-methods');
  expect(within(methods).getByText('SEPA Direct Debit')).toBeInTheDocument();
  expect(within(methods).getByText('Apple Pay')).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Use for new payments' })).toBeDisabled();
  await user.click(screen.getByRole('combobox', { name: 'Payment method configuration' }));
  await user.click(await screen.findByRole('option', { name: 'Cards only' }));
  expect(within(methods).getByText('Google Pay')).toBeInTheDocument();
  expect(within(methods).queryByText('SEPA Direct Debit')).not.toBeInTheDocument();
  await user.click(screen.getByRole('button', { name: 'Use for new payments' }));
  expect(await screen.findByText('New payments will offer these payment methods.')).toBeInTheDocument();
  expect(api.callsTo('PUT', BASE).map((c) => c.body)).toEqual([{ configurationId: 'pmc_cards' }]);
  expect(screen.getByRole('button', { name: 'Use for new payments' })).toBeDisabled();
});

it("shows the server's refusal of a configuration; the pick stays, to correct or retry", async () => {
  mockApi({
    [`GET ${BASE}`]: () => ok(view()),
    [`GET ${BASE}/domain`]: () => ok(unregistered),
    [`PUT ${BASE}`]: () =>
      apiError(400, 'Your Stripe account has no payment method configuration pmc_cards (in this mode).'),
  });
  const { user } = renderPage(<PaymentMethodsSection connected canUpdate />);
  await user.click(await screen.findByRole('combobox', { name: 'Payment method configuration' }));
  await user.click(await screen.findByRole('option', { name: 'Cards only' }));
  await user.click(screen.getByRole('button', { name: 'Use for new payments' }));
  expect(await screen.findByText(/has no payment method configuration pmc_cards/)).toBeInTheDocument();
  expect(screen.getByRole('button', { name: 'Use for new payments' })).toBeEnabled();
});

it('registers the domain with one click and shows each wallet; a failure says what Stripe said', async () => {
  let fail = true;
  const api = mockApi({
    [`GET ${BASE}`]: () => ok(view()),
    [`GET ${BASE}/domain`]: () => ok(unregistered),
    [`POST ${BASE}/domain`]: () =>
      fail
        ? apiError(
            502,
            'Stripe could not be reached while registering the domain. Nothing was changed.',
            [],
            'PaymentProviderError',
          )
        : ok(registered({ status: 'inactive', message: 'Apple Pay could not verify the domain.' })),
  });
  const { user } = renderPage(<PaymentMethodsSection connected canUpdate />);
  expect(await screen.findByTestId('wallet-domain-name')).toHaveValue('billing.example.com');
  await user.click(screen.getByRole('button', { name: 'Register billing.example.com with Stripe' }));
  expect(await screen.findByText(/Stripe could not be reached while registering the domain/)).toBeInTheDocument();
  fail = false;
  await user.click(screen.getByRole('button', { name: 'Register billing.example.com with Stripe' }));
  expect(await screen.findByText('Google Pay: ready on this domain')).toBeInTheDocument();
  expect(screen.getByText('Apple Pay: not available on this domain')).toBeInTheDocument();
  expect(screen.getByText('Apple Pay could not verify the domain.')).toBeInTheDocument();
  expect(screen.queryByRole('button', { name: /^Register/ })).not.toBeInTheDocument();
  expect(api.callsTo('POST', `${BASE}/domain`)).toHaveLength(2);
});

it('read-only role: sees the choice, a stale one explained and the localhost problem, but no buttons', async () => {
  mockApi({
    [`GET ${BASE}`]: () => ok({ data: { ...view().data, staleChoice: { id: 'pmc_old', name: 'Old account' } } }),
    [`GET ${BASE}/domain`]: () =>
      ok({
        data: {
          domain: 'localhost',
          publicUrl: 'http://localhost:1337',
          problem: "Set the plugin's publicUrl (or Strapi's server.url) to the address clients use.",
          registration: null,
        },
      }),
  });
  renderPage(<PaymentMethodsSection connected canUpdate={false} />, { permissions: ['settings.read'] });
  expect(await screen.findByTestId('pmc-stale')).toHaveTextContent(/Old account/);
  expect(await screen.findByTestId('wallet-problem')).toHaveTextContent(/publicUrl/);
  expect(screen.queryByRole('button', { name: 'Use for new payments' })).not.toBeInTheDocument();
  expect(screen.queryByRole('button', { name: /^Register/ })).not.toBeInTheDocument();
});

it('a Stripe outage while reading shows the message and Try again reloads', async () => {
  let down = true;
  const api = mockApi({
    [`GET ${BASE}`]: () =>
      down ? apiError(502, 'Stripe could not be reached while listing payment method configurations.') : ok(view()),
    [`GET ${BASE}/domain`]: () => ok(registered()),
  });
  const { user } = renderPage(<PaymentMethodsSection connected canUpdate />);
  expect(await screen.findByText(/Stripe could not be reached while listing/)).toBeInTheDocument();
  expect(await screen.findByText('Apple Pay: ready on this domain')).toBeInTheDocument();
  down = false;
  await user.click(screen.getByRole('button', { name: 'Try again' }));
  expect(await screen.findByRole('combobox', { name: 'Payment method configuration' })).toBeInTheDocument();
  expect(api.callsTo('GET', BASE)).toHaveLength(2);
});
