import { screen, waitFor } from '@testing-library/react';
import App from '../../admin/src/pages/App';
import { mockApi, ok } from './support/api';
import { renderPage } from './support/render';
import type { DashboardData } from '../../admin/src/utils/types';

/** The plugin's home: cards per currency formatted with Intl in the admin's language, empty states. */
const status = () => ok({ data: { mode: 'test', connection: { status: 'connected', accountId: 'acct_1' } } });
const months = [
  '2025-12',
  '2026-01',
  '2026-02',
  '2026-03',
  '2026-04',
  '2026-05',
  '2026-06',
  '2026-07',
  '2026-08',
  '2026-09',
  '2026-10',
  '2026-11',
];
const zero = (currency: string) => ({
  currency,
  points: months.map((month) => ({ month, collected: 0, refunded: 0, net: 0 })),
});

const dashboard = (over: Partial<DashboardData> = {}): DashboardData => ({
  today: '2026-11-30',
  month: '2026-11',
  timeZone: 'UTC',
  months,
  currencies: [
    {
      currency: 'JPY',
      exponent: 0,
      outstanding: 10000,
      overdue: 10000,
      collectedThisMonth: 5000,
      refundedThisMonth: 0,
      netThisMonth: 5000,
      outstandingCount: 1,
      overdueCount: 1,
    },
    {
      currency: 'KWD',
      exponent: 3,
      outstanding: 12340,
      overdue: 0,
      collectedThisMonth: 0,
      refundedThisMonth: 0,
      netThisMonth: 0,
      outstandingCount: 1,
      overdueCount: 0,
    },
    {
      currency: 'USD',
      exponent: 2,
      outstanding: 137000,
      overdue: 100000,
      collectedThisMonth: 45000,
      refundedThisMonth: 5000,
      netThisMonth: 40000,
      outstandingCount: 3,
      overdueCount: 1,
    },
  ],
  series: [
    zero('JPY'),
    zero('KWD'),
    {
      currency: 'USD',
      points: months.map((month, i) => ({
        month,
        collected: i === 11 ? 45000 : 0,
        refunded: i === 11 ? 5000 : 0,
        net: i === 11 ? 40000 : 0,
      })),
    },
  ],
  ...over,
});

describe('dashboard', () => {
  it('is the plugin home: outstanding, overdue and collected this month per currency, with the currency decimals', async () => {
    mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/dashboard': () => ok({ data: dashboard() }),
    });
    renderPage(<App />);
    expect(await screen.findByTestId('outstanding-USD')).toHaveTextContent('$1,370.00');
    expect(screen.getByTestId('overdue-USD')).toHaveTextContent('$1,000.00');
    expect(screen.getByTestId('collected-USD')).toHaveTextContent('$400.00');
    expect(screen.getByText('$450.00 received, $50.00 refunded')).toBeInTheDocument();
    expect(screen.getByTestId('outstanding-JPY')).toHaveTextContent('¥10,000');
    expect(screen.getByTestId('outstanding-KWD')).toHaveTextContent(/KWD\s12\.340/);
    expect(screen.getByText('3 open invoices')).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Dashboard' })).toHaveAttribute('aria-selected', 'true');
    expect(screen.getByRole('tab', { name: 'Invoices' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Export payments (CSV)' })).toBeInTheDocument();
  });

  it('nothing yet: says so instead of empty cards and an empty chart', async () => {
    mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/dashboard': () => ok({ data: dashboard({ currencies: [], series: [] }) }),
    });
    renderPage(<App />);
    expect(await screen.findByText(/No open invoices and nothing collected yet/)).toBeInTheDocument();
    expect(screen.getByText('Nothing collected in the last 12 months yet.')).toBeInTheDocument();
    expect(screen.queryByTestId('collected-chart')).not.toBeInTheDocument();
  });

  it('the invoice list exports with its current filters (not its page)', async () => {
    const csv = { status: 200, body: 'Number\r\n' };
    const api = mockApi({
      'GET /invoice-payments/status': () => status(),
      'GET /invoice-payments/invoices': () =>
        ok({ results: [], pagination: { page: 2, pageSize: 25, total: 0, pageCount: 1 } }),
      'GET /invoice-payments/exports/invoices.csv': () => csv,
    });
    // jsdom has no object URLs: the button hands the Blob to URL.createObjectURL.
    const created: unknown[] = [];
    Object.assign(URL, {
      createObjectURL: (b: unknown) => (created.push(b), 'blob:x'),
      revokeObjectURL: () => undefined,
    });
    const { user } = renderPage(<App />, { path: '/invoices?page=2&filters[state]=sent&filters[overdue]=true&_q=Ada' });
    await user.click(await screen.findByRole('button', { name: 'Export invoices (CSV)' }));
    await waitFor(() => expect(api.callsTo('GET', '/invoice-payments/exports/invoices.csv')).toHaveLength(1));
    expect(Object.fromEntries(api.callsTo('GET', '/invoice-payments/exports/invoices.csv')[0]!.query)).toEqual({
      state: 'sent',
      overdue: 'true',
      q: 'Ada',
    });
    await waitFor(() => expect(created).toHaveLength(1));
  });
});
