import { act, screen, waitFor, within } from '@testing-library/react';
import { IntlProvider } from 'react-intl';
import App from '../../admin/src/pages/App';
import { HealthLine } from '../../admin/src/pages/Webhooks/HealthLine';
import plugin from '../../admin/src/index';
import fr from '../../admin/src/translations/fr.json';
import { mockApi, ok, type ApiRequest } from './support/api';
import { renderPage } from './support/render';
import type { InvoiceRow, WebhookEventRow } from '../../admin/src/utils/types';

const status = (mode: 'test' | 'live' | null = 'test', connected = true) =>
  ok({
    data: {
      mode,
      connection: { status: connected ? 'connected' : 'not_configured', accountId: connected ? 'acct_1' : null },
    },
  });
const page = <T,>(results: T[], total = results.length) =>
  ok({ results, pagination: { page: 1, pageSize: 25, total, pageCount: Math.max(1, Math.ceil(total / 25)) } });

const invoice = (overrides: Partial<InvoiceRow> = {}): InvoiceRow => ({
  documentId: 'inv-1',
  number: 'INV-1042',
  state: 'sent',
  currency: 'USD',
  total: 182750,
  balanceDue: 182750,
  amountPaid: 0,
  dueDate: '2026-01-15',
  issueDate: '2026-01-01',
  billingName: 'Ada Lovelace',
  billingEmail: 'ada@example.test',
  needsAttention: false,
  disputeOpen: false,
  createdAt: '2026-01-01T00:00:00.000Z',
  overdue: true,
  totalFormatted: '$1,827.50',
  balanceFormatted: '$1,827.50',
  ...overrides,
});

describe('invoices list', () => {
  it('shows number, client, total, balance, status, due date and the overdue marker; TEST MODE in the header', async () => {
    mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/invoices': () =>
        page(
          [
            invoice(),
            invoice({
              documentId: 'inv-2',
              number: 'INV-1043',
              state: 'paid',
              balanceDue: 0,
              balanceFormatted: '$0.00',
              overdue: false,
            }),
          ],
          60,
        ),
    });
    renderPage(<App />, { path: '/invoices' });
    const rows = await screen.findAllByTestId('invoice-row');
    expect(rows[0]).toHaveTextContent(/INV-1042.*Ada Lovelace.*\$1,827\.50.*\$1,827\.50.*Sent.*Overdue.*Jan 15, 2026/);
    expect(rows[1]).toHaveTextContent(/INV-1043.*Paid/);
    expect(within(rows[1]!).queryByTestId('overdue')).not.toBeInTheDocument();
    expect(await screen.findByTestId('mode-badge')).toHaveTextContent('TEST MODE');
    // Server-side pagination: Strapi's pager links to page 2 and 3.
    expect(screen.getByRole('link', { name: /Go to page 3/i })).toBeInTheDocument();
  });

  it('searches and filters on the server (debounced search, status, overdue), back to page 1; "&" in a search survives', async () => {
    const api = mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/invoices': () => page([invoice()]),
    });
    const { user } = renderPage(<App />, { path: '/invoices?page=3' });
    await screen.findAllByTestId('invoice-row');
    await user.type(screen.getByPlaceholderText('Search by number or client'), 'Ada & Co');
    await waitFor(() => expect(api.calls.at(-1)!.query.get('q')).toBe('Ada & Co'), { timeout: 2000 });
    expect(api.calls.at(-1)!.query.get('page')).toBe('1');
    await user.click(screen.getByRole('combobox', { name: 'Status' }));
    await user.click(await screen.findByRole('option', { name: 'Partially paid' }));
    await waitFor(() => expect(api.calls.at(-1)!.query.get('state')).toBe('partially_paid'));
    await user.click(screen.getByRole('checkbox', { name: 'Overdue only' }));
    await waitFor(() => expect(api.calls.at(-1)!.query.get('overdue')).toBe('true'));
    const last = api.calls.at(-1)!;
    expect(Object.fromEntries(last.query)).toMatchObject({
      q: 'Ada & Co',
      state: 'partially_paid',
      overdue: 'true',
      page: '1',
    });
  });

  it('warns when Stripe is not connected and hides what the role cannot open', async () => {
    mockApi({
      'GET /invoice-payments/status': () => status(null, false),
      'GET /invoice-payments/invoices': () => page([]),
    });
    renderPage(<App />, { path: '/invoices', permissions: ['payments.read'] });
    expect(await screen.findByText('Stripe is not connected.')).toBeInTheDocument();
    expect(await screen.findByText('No invoices match these filters.')).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Invoices' })).toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'Webhook deliveries' })).not.toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'Audit log' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Stripe settings' })).not.toBeInTheDocument();
  });

  it('a role without payments.read cannot open the plugin page', async () => {
    const api = mockApi({ 'GET /invoice-payments/invoices': () => page([invoice()]) });
    renderPage(<App />, { permissions: ['settings.read'] });
    expect(await screen.findByText(/don't have the permissions/)).toBeInTheDocument();
    expect(api.callsTo('GET', '/invoice-payments/invoices')).toHaveLength(0);
  });

  it('renders in French from the plugin translation files', async () => {
    const { data } = (await plugin.registerTrads({ locales: ['fr'] }))[0]!;
    expect(data['invoice-payments.nav.invoices']).toBe(fr['nav.invoices']);
    mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/invoices': () => page([invoice()]),
    });
    renderPage(
      <IntlProvider locale="fr" messages={data}>
        <App />
      </IntlProvider>,
      { path: '/invoices' },
    );
    expect(await screen.findByText('MODE TEST')).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Factures' })).toBeInTheDocument();
    expect(await screen.findByText('En retard')).toBeInTheDocument();
    expect(screen.getByText('Envoyée')).toBeInTheDocument();
  });
});

describe('webhook deliveries', () => {
  const event = (overrides: Partial<WebhookEventRow> = {}): WebhookEventRow => ({
    documentId: 'evt-doc-1',
    providerEventId: 'evt_dead_1',
    provider: 'stripe',
    type: 'payment_intent.succeeded',
    status: 'dead_lettered',
    attempts: 8,
    deliveries: 1,
    lastError: 'The payment provider is not answering right now.',
    ignoredReason: null,
    createdAt: '2026-11-22T10:00:00.000Z',
    processedAt: null,
    invoiceDocumentId: null,
    livemode: false,
    objectId: 'pi_1',
    ...overrides,
  });
  const health = {
    lastEventAt: '2026-11-22T10:00:00.000Z',
    lastEventType: 'payment_intent.succeeded',
    failuresLast24h: 3,
    deadLettered: 1,
    rejectedLast24h: 0,
  };

  it('lists type, status, attempts, last error and ignored reasons; replays a dead-lettered event', async () => {
    let replayed = false;
    const api = mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/webhook-events': () =>
        page([
          event({ status: replayed ? 'processed' : 'dead_lettered' }),
          event({
            documentId: 'evt-doc-2',
            providerEventId: 'evt_ign',
            type: 'customer.created',
            status: 'ignored',
            attempts: 1,
            lastError: null,
            ignoredReason: 'Event type customer.created is not used by invoice-payments.',
          }),
          event({
            documentId: 'evt-doc-3',
            providerEventId: 'evt_ok',
            status: 'processed',
            attempts: 1,
            lastError: null,
            deliveries: 3,
          }),
        ]),
      'GET /invoice-payments/webhook-events/health': () =>
        ok({ data: replayed ? { ...health, deadLettered: 0 } : health }),
      'POST /invoice-payments/webhook-events/:id/replay': (req: ApiRequest) => {
        replayed = true;
        return ok({ data: event({ documentId: req.params.id!, status: 'processed' }) });
      },
    });
    const { user } = renderPage(<App />, { path: '/webhooks' });
    const rows = await screen.findAllByTestId('webhook-row');
    expect(rows[0]).toHaveTextContent(/payment_intent\.succeeded.*evt_dead_1.*Dead-lettered.*8.*not answering/);
    expect(rows[1]).toHaveTextContent(/Ignored.*not used by invoice-payments/);
    expect(rows[2]).toHaveTextContent(/3 deliveries/);
    expect(within(rows[1]!).queryByRole('button', { name: 'Replay' })).not.toBeInTheDocument();
    expect(within(rows[2]!).queryByRole('button', { name: 'Replay' })).not.toBeInTheDocument();
    expect(await screen.findByTestId('webhook-health')).toHaveTextContent(
      /Last event received.*3 failures in the last 24 h · 1 dead-lettered/,
    );
    await user.click(within(rows[0]!).getByRole('button', { name: 'Replay' }));
    expect(await screen.findByText('Event replayed: Processed.')).toBeInTheDocument();
    expect(api.callsTo('POST', '/invoice-payments/webhook-events/evt-doc-1/replay')).toHaveLength(1);
    await waitFor(() => expect(screen.getAllByTestId('webhook-row')[0]).toHaveTextContent('Processed'));
  });

  it('shows which provider sent each event and filters by provider on the server', async () => {
    const api = mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/webhook-events': (req: ApiRequest) =>
        page(
          [
            event({ status: 'processed', lastError: null }),
            event({
              documentId: 'evt-doc-m',
              providerEventId: 'tr_abc:paid',
              provider: 'mollie',
              type: 'payment.paid',
              status: 'processed',
              lastError: null,
            }),
            // Stored before events recorded their provider: Stripe's.
            event({ documentId: 'evt-doc-old', providerEventId: 'evt_old', provider: null, status: 'processed' }),
          ].filter((e) => !req.query.get('provider') || (e.provider ?? 'stripe') === req.query.get('provider')),
        ),
      'GET /invoice-payments/webhook-events/health': () => ok({ data: health }),
    });
    const { user } = renderPage(<App />, { path: '/webhooks' });
    await screen.findAllByTestId('webhook-row');
    expect(within(screen.getByRole('grid')).getByText('Provider')).toBeInTheDocument();
    const cells = () => screen.getAllByTestId('webhook-provider').map((c) => c.textContent);
    await waitFor(() => expect(cells()).toEqual(['Stripe', 'Mollie', 'Stripe']));
    await user.click(screen.getByRole('combobox', { name: 'Provider' }));
    await user.click(await screen.findByRole('option', { name: 'Mollie' }));
    await waitFor(() => expect(api.calls.at(-1)!.query.get('provider')).toBe('mollie'));
    await waitFor(() => expect(cells()).toEqual(['Mollie']));
    expect(screen.getByTestId('webhook-row')).toHaveTextContent(/payment\.paid.*tr_abc:paid/);
  });

  it('no Replay button without webhooks.replay', async () => {
    mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/webhook-events': () => page([event()]),
      'GET /invoice-payments/webhook-events/health': () => ok({ data: health }),
    });
    renderPage(<App />, { path: '/webhooks', permissions: ['payments.read', 'webhooks.read'] });
    const [row] = await screen.findAllByTestId('webhook-row');
    expect(within(row!).queryByRole('button', { name: 'Replay' })).not.toBeInTheDocument();
  });

  it('without webhooks.read the screen is closed', async () => {
    mockApi({ 'GET /invoice-payments/status': () => status() });
    renderPage(<App />, { path: '/webhooks', permissions: ['payments.read'] });
    expect(await screen.findByText(/don't have the permissions/)).toBeInTheDocument();
  });

  it.each([
    [
      { lastEventAt: null, lastEventType: null, failuresLast24h: 0, deadLettered: 0, rejectedLast24h: 0 },
      /No event received from a payment provider yet/,
    ],
    [
      { ...health, failuresLast24h: 0, deadLettered: 0, rejectedLast24h: 4 },
      /4 deliveries with a bad signature in the last 24 h/,
    ],
    [{ ...health, failuresLast24h: 0, deadLettered: 0 }, /No failures in the last 24 h · nothing dead-lettered/],
  ])('health line: %j', async (h, text) => {
    renderPage(<HealthLine health={h} now={Date.parse('2026-11-22T11:00:00.000Z')} />);
    expect(await screen.findByTestId('webhook-health')).toHaveTextContent(text);
  });
});

describe('audit log', () => {
  it('filters by invoice, actor and action on the server', async () => {
    const api = mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/audit-entries': () =>
        page([
          {
            id: 1,
            documentId: 'a1',
            action: 'payment.manual',
            actorType: 'admin',
            actorId: '1',
            actorLabel: 'ada@example.test',
            invoiceDocumentId: 'inv-1',
            invoiceNumber: 'INV-1042',
            outcome: 'ok',
            details: { amount: 182750, currency: 'USD', method: 'check', reference: 'CHK-1042' },
            createdAt: '2026-11-22T10:00:00.000Z',
          },
        ]),
    });
    const { user } = renderPage(<App />, { path: '/audit' });
    const [row] = await screen.findAllByTestId('audit-row');
    expect(row).toHaveTextContent(
      /Admin.*ada@example\.test.*Manual payment of \$1,827\.50 by check, ref CHK-1042, recorded by ada@example\.test.*payment\.manual.*INV-1042/,
    );
    await user.type(screen.getByLabelText('Invoice number'), 'INV-1042');
    await user.click(screen.getByRole('combobox', { name: 'Actor' }));
    await user.click(await screen.findByRole('option', { name: 'Stripe' }));
    await user.type(screen.getByLabelText('Action starts with'), 'payment.');
    await user.click(screen.getByRole('button', { name: 'Filter' }));
    await waitFor(() =>
      expect(Object.fromEntries(api.calls.at(-1)!.query)).toMatchObject({
        invoice: 'INV-1042',
        actorType: 'stripe',
        action: 'payment.',
        page: '1',
      }),
    );
  });
});

// Timers from the webhook screen's health refresh must not outlive a test.
afterEach(() => act(() => undefined));
