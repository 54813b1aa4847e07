import { screen, waitFor, within } from '@testing-library/react';
import App from '../../admin/src/pages/App';
import { minorToMajorString, parseAmount } from '../../admin/src/utils/money';
import { apiError, mockApi, ok } from './support/api';
import { renderPage } from './support/render';
import { cardPayment, invoiceDetail } from './support/fixtures';

const DETAIL = '/invoice-payments/invoices/inv-1';
const status = { data: { mode: 'test', connection: { status: 'connected', accountId: 'acct_1' } } };

describe('amounts typed in major units', () => {
  it.each([
    ['1827.50', 2, 182750],
    ['1 827,50', 2, 182750],
    ['1,827.5', 2, 182750],
    ['1.827,50', 2, 182750],
    ['1500', 0, 1500],
    ['12.340', 3, 12340],
    ['0.05', 2, 5],
    ['1,500', 0, 1500],
    ['1,500', 2, 150000],
  ])('%s with exponent %i is %i minor units', (text, exponent, minor) => {
    expect(parseAmount(text, exponent)).toEqual({ ok: true, minor });
  });

  it.each([
    ['', 2, 'required'],
    ['abc', 2, 'format'],
    ['-5', 2, 'format'],
    ['10.5051', 2, 'decimals'],
    ['10.505', 2, 'ambiguous'],
    ['1.500', 2, 'ambiguous'],
    ['1.50', 0, 'decimals'],
    ['1,5,0', 2, 'format'],
    ['1500.5', 0, 'decimals'],
    ['0', 2, 'zero'],
    ['12.345', 3, 'step'],
  ])('%j with exponent %i is refused (%s)', (text, exponent, problem) => {
    expect(parseAmount(text, exponent, exponent === 3 ? 10 : 1)).toEqual({ ok: false, problem });
  });

  it('formats minor units back for the input', () => {
    expect(minorToMajorString(182750, 2)).toBe('1827.50');
    expect(minorToMajorString(5, 2)).toBe('0.05');
    expect(minorToMajorString(1500, 0)).toBe('1500');
    expect(minorToMajorString(12340, 3)).toBe('12.340');
  });
});

describe('invoice detail: Mark as paid', () => {
  const open = async (permissions?: string[]) => {
    const api = mockApi({
      'GET /invoice-payments/status': () => ok(status),
      [`GET ${DETAIL}`]: () => ok({ data: invoiceDetail() }),
      [`POST ${DETAIL}/manual-payments`]: () => ({ status: 201, body: { data: {} } }),
    });
    const utils = renderPage(<App />, { path: '/invoices/inv-1', permissions });
    await screen.findByRole('heading', { name: 'Invoice INV-1042' });
    return { ...utils, api };
  };

  it('shows totals, status, pay link and the TEST MODE badge', async () => {
    await open();
    expect(screen.getByTestId('invoice-total')).toHaveTextContent('$1,827.50');
    expect(screen.getByTestId('invoice-balance')).toHaveTextContent('$1,827.50');
    expect(screen.getAllByTestId('invoice-status')[0]).toHaveTextContent('Sent');
    expect(screen.getByTestId('pay-link')).toHaveValue('https://shop.example/invoice-payments/pay/tok_abc');
    expect(await screen.findByTestId('mode-badge')).toHaveTextContent('TEST MODE');
  });

  it('defaults to the balance and today; refuses an overpayment in the field without calling the API', async () => {
    const { user, api } = await open();
    await user.click(screen.getByRole('button', { name: 'Mark as paid' }));
    const dialog = await screen.findByRole('dialog');
    const amount = within(dialog).getByLabelText(/^Amount/);
    expect(amount).toHaveValue('1827.50');
    await user.clear(amount);
    await user.type(amount, '1827.51');
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }));
    expect(await within(dialog).findByText('That is more than the balance due ($1,827.50).')).toBeInTheDocument();
    await user.clear(amount);
    await user.type(amount, '12.3456');
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }));
    expect(await within(dialog).findByText('Use at most 2 decimals.')).toBeInTheDocument();
    expect(api.callsTo('POST', `${DETAIL}/manual-payments`)).toHaveLength(0);
  });

  it("shows the server's overpayment message (balance changed meanwhile) under the amount", async () => {
    const { user, api } = await open();
    api.fetchMock.mockClear();
    mockApi({
      'GET /invoice-payments/status': () => ok(status),
      [`GET ${DETAIL}`]: () => ok({ data: invoiceDetail() }),
      [`POST ${DETAIL}/manual-payments`]: () =>
        apiError(
          400,
          'That is more than the balance due ($75.00).',
          [{ path: ['amount'], message: 'More than the balance.' }],
          'Overpayment',
        ),
    });
    await user.click(screen.getByRole('button', { name: 'Mark as paid' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }));
    expect(await within(dialog).findByText('That is more than the balance due ($75.00).')).toBeInTheDocument();
  });

  it('records a cheque: amount in minor units, method and reference; reloads the invoice', async () => {
    const { user, api } = await open();
    await user.click(screen.getByRole('button', { name: 'Mark as paid' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByLabelText(/^Reference/), 'CHK-1042');
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }));
    await waitFor(() => expect(api.callsTo('POST', `${DETAIL}/manual-payments`)).toHaveLength(1));
    expect(api.callsTo('POST', `${DETAIL}/manual-payments`)[0]!.body).toEqual({
      amount: 182750,
      method: 'check',
      reference: 'CHK-1042',
    });
    await waitFor(() => expect(api.callsTo('GET', DETAIL).length).toBeGreaterThanOrEqual(2));
    expect(await screen.findByText('Payment recorded.')).toBeInTheDocument();
  });

  it('a zero-decimal currency takes whole amounts (JPY)', async () => {
    const api = mockApi({
      'GET /invoice-payments/status': () => ok(status),
      [`GET ${DETAIL}`]: () =>
        ok({
          data: invoiceDetail({ currency: 'JPY', balanceDue: 1500, balanceFormatted: '¥1,500', currencyExponent: 0 }),
        }),
      [`POST ${DETAIL}/manual-payments`]: () => ({ status: 201, body: { data: {} } }),
    });
    const { user } = renderPage(<App />, { path: '/invoices/inv-1' });
    await user.click(await screen.findByRole('button', { name: 'Mark as paid' }));
    const dialog = await screen.findByRole('dialog');
    const amount = within(dialog).getByLabelText(/^Amount/);
    expect(amount).toHaveValue('1500');
    await user.clear(amount);
    await user.type(amount, '1000.5');
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }));
    expect(await within(dialog).findByText('This currency has no decimals.')).toBeInTheDocument();
    await user.clear(amount);
    await user.type(amount, '1000');
    await user.click(within(dialog).getByRole('button', { name: 'Record payment' }));
    await waitFor(() =>
      expect(api.callsTo('POST', `${DETAIL}/manual-payments`)[0]?.body).toMatchObject({ amount: 1000 }),
    );
  });

  it('a read-only role sees the invoice without Mark as paid, Send, Refund, Void or New link', async () => {
    mockApi({
      'GET /invoice-payments/status': () => ok(status),
      [`GET ${DETAIL}`]: () =>
        ok({
          data: invoiceDetail({}, [
            cardPayment(),
            cardPayment({
              documentId: 'pay-manual',
              kind: 'manual',
              method: 'check',
              reference: 'CHK-1',
              providerPaymentId: null,
              dashboardUrl: null,
              refundable: 0,
            }),
          ]),
        }),
    });
    renderPage(<App />, { path: '/invoices/inv-1', permissions: ['payments.read'] });
    await screen.findByRole('heading', { name: 'Invoice INV-1042' });
    await screen.findAllByTestId('payment-row');
    expect(screen.getByRole('button', { name: 'Resync payments' })).toBeInTheDocument();
    for (const name of ['Mark as paid', 'Send invoice', 'Refund', 'Void', 'New link'])
      expect(screen.queryByRole('button', { name })).not.toBeInTheDocument();
  });
});
