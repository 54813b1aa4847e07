import { screen, waitFor, within } from '@testing-library/react';
import App from '../../admin/src/pages/App';
import { apiError, mockApi, ok, type ApiRequest } from './support/api';
import { renderPage } from './support/render';
import { cardPayment, invoiceDetail } from './support/fixtures';

const DETAIL = '/invoice-payments/invoices/inv-1';
const REFUNDS = '/invoice-payments/payments/pay-card-1/refunds';
const paid = () =>
  invoiceDetail(
    {
      state: 'paid',
      balanceDue: 0,
      balanceFormatted: '$0.00',
      amountPaidFormatted: '$100.00',
      totalFormatted: '$100.00',
    },
    [cardPayment()],
  );
const afterRefund = () =>
  invoiceDetail(
    { state: 'partially_paid', balanceDue: 3000, balanceFormatted: '$30.00', amountRefundedFormatted: '$30.00' },
    [
      cardPayment({
        status: 'partially_refunded',
        amountRefunded: 3000,
        refundable: 7000,
        refundableFormatted: '$70.00',
        refunds: [
          {
            id: 're_1',
            amount: 3000,
            amountFormatted: '$30.00',
            status: 'succeeded',
            reason: null,
            createdAt: '2026-11-22T10:00:00.000Z',
            dashboardUrl: 'https://dashboard.stripe.com/test/refunds/re_1',
          },
        ],
      }),
    ],
  );

async function openRefund(
  refundReply: (req: ApiRequest) => ReturnType<typeof ok> = () => ok({ data: afterRefund() }),
  permissions?: string[],
) {
  const api = mockApi({
    'GET /invoice-payments/status': () =>
      ok({ data: { mode: 'test', connection: { status: 'connected', accountId: 'acct_1' } } }),
    [`GET ${DETAIL}`]: () => ok({ data: paid() }),
    [`POST ${REFUNDS}`]: (req) => refundReply(req),
  });
  const utils = renderPage(<App />, { path: '/invoices/inv-1', permissions });
  const row = (await screen.findAllByTestId('payment-row'))[0]!;
  return { ...utils, api, row };
}

describe('refund dialog', () => {
  it('links the payment to the Stripe Dashboard in its mode', async () => {
    const { row } = await openRefund();
    // Named by its charge (what receipts and bank statements show); the intent id stays under it.
    expect(within(row).getByRole('link', { name: /ch_3TestCharge0001/ })).toHaveAttribute(
      'href',
      'https://dashboard.stripe.com/test/payments/pi_123',
    );
    expect(within(row).getByTestId('payment-intent-id')).toHaveTextContent('pi_123');
  });

  it('asks for confirmation before refunding; Back returns to the form', async () => {
    const { user, api, row } = await openRefund();
    await user.click(within(row).getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Refundable: $100.00')).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    expect(within(dialog).getByTestId('refund-confirmation')).toHaveTextContent(
      'Refund $100.00 to the card used for this payment?',
    );
    expect(api.callsTo('POST', REFUNDS)).toHaveLength(0);
    await user.click(within(dialog).getByRole('button', { name: 'Back' }));
    expect(within(dialog).getByRole('button', { name: 'Continue' })).toBeInTheDocument();
  });

  it('partial: refuses more than refundable, then refunds the typed amount and shows the reopened balance', async () => {
    const { user, api, row } = await openRefund();
    await user.click(within(row).getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByText('Partial refund'));
    const amount = within(dialog).getByLabelText(/^Amount to refund/);
    await user.type(amount, '100.01');
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    expect(await within(dialog).findByText('You can refund at most $100.00 of this payment.')).toBeInTheDocument();
    await user.clear(amount);
    await user.type(amount, '30');
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    await user.click(within(dialog).getByRole('button', { name: 'Refund $30.00' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const [call] = api.callsTo('POST', REFUNDS);
    expect(call!.body).toMatchObject({ amount: 3000 });
    expect((call!.body as { idempotencyKey: string }).idempotencyKey).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    expect(screen.getByTestId('invoice-balance')).toHaveTextContent('$30.00');
    expect(screen.getAllByTestId('invoice-status')[0]).toHaveTextContent('Partially paid');
    expect(screen.getByTestId('refund-row')).toHaveTextContent('−$30.00');
  });

  it('full refund sends no amount; a retry after an error reuses the same idempotency key', async () => {
    let calls = 0;
    const { user, api, row } = await openRefund(() =>
      ++calls === 1
        ? apiError(
            502,
            'Stripe is not answering right now. Nothing was refunded; try again in a moment.',
            [],
            'PaymentProviderError',
          )
        : ok({ data: afterRefund() }),
    );
    await user.click(within(row).getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    await user.click(within(dialog).getByRole('button', { name: 'Refund $100.00' }));
    expect(await within(dialog).findByText(/Stripe is not answering right now/)).toBeInTheDocument();
    await user.click(within(dialog).getByRole('button', { name: 'Refund $100.00' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    const [first, second] = api.callsTo('POST', REFUNDS);
    expect(first!.body).not.toHaveProperty('amount');
    expect((second!.body as { idempotencyKey: string }).idempotencyKey).toBe(
      (first!.body as { idempotencyKey: string }).idempotencyKey,
    );
  });

  it('a new opening gets a new key', async () => {
    const { user, api, row } = await openRefund(() =>
      apiError(409, 'This payment has been refunded in full already.', [], 'NotRefundable'),
    );
    const keys: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      await user.click(within(row).getByRole('button', { name: 'Refund' }));
      const dialog = await screen.findByRole('dialog');
      await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
      await user.click(within(dialog).getByRole('button', { name: 'Refund $100.00' }));
      await within(dialog).findByText('This payment has been refunded in full already.');
      keys.push((api.callsTo('POST', REFUNDS)[i]!.body as { idempotencyKey: string }).idempotencyKey);
      await user.click(within(dialog).getByRole('button', { name: 'Back' }));
      await user.click(within(dialog).getByRole('button', { name: 'Cancel' }));
      await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    }
    expect(keys[0]).not.toBe(keys[1]);
  });

  it('no Refund button without payments.refund', async () => {
    const { row } = await openRefund(undefined, ['payments.read', 'payments.manual']);
    expect(within(row).queryByRole('button', { name: 'Refund' })).not.toBeInTheDocument();
  });

  it('a failed refund shows its reason in words and does not block a new refund', async () => {
    const failed = invoiceDetail({ state: 'paid', balanceDue: 0, balanceFormatted: '$0.00' }, [
      cardPayment({
        status: 'succeeded',
        refundable: 10000,
        refundableFormatted: '$100.00',
        refunds: [
          {
            id: 're_f1',
            amount: 10000,
            amountFormatted: '$100.00',
            status: 'failed',
            reason: null,
            failureReason: 'expired_or_canceled_card',
            failureText: 'the card has expired or was canceled',
            createdAt: '2026-11-22T10:00:00.000Z',
            dashboardUrl: 'https://dashboard.stripe.com/test/refunds/re_f1',
          },
        ],
      }),
    ]);
    mockApi({
      'GET /invoice-payments/status': () =>
        ok({ data: { mode: 'test', connection: { status: 'connected', accountId: 'acct_1' } } }),
      [`GET ${DETAIL}`]: () => ok({ data: failed }),
    });
    const { user } = renderPage(<App />, { path: '/invoices/inv-1' });
    const refundRow = await screen.findByTestId('refund-row');
    expect(within(refundRow).getByTestId('refund-status')).toHaveTextContent('Failed');
    expect(within(refundRow).getByTestId('refund-failure')).toHaveTextContent(
      'The card has expired or was canceled. The money is back in your Stripe balance; you can refund again.',
    );
    const row = screen.getAllByTestId('payment-row')[0]!;
    await user.click(within(row).getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Refundable: $100.00')).toBeInTheDocument();
    expect(within(dialog).queryByTestId('refund-pending-note')).not.toBeInTheDocument();
  });

  it("a Mollie payment's history and refund dialog name Mollie, not Stripe", async () => {
    const detail = invoiceDetail({ state: 'paid', balanceDue: 0, balanceFormatted: '$0.00' }, [
      cardPayment({
        provider: 'mollie',
        providerLabel: 'Mollie',
        kind: 'checkout',
        method: 'ideal',
        refundable: 10000,
        refundableFormatted: '$100.00',
        refunds: [
          {
            id: 're_m1',
            amount: 10000,
            amountFormatted: '$100.00',
            status: 'failed',
            reason: null,
            failureReason: 'provider_refused',
            failureText: 'Mollie refused it',
            createdAt: '2026-11-22T10:00:00.000Z',
            dashboardUrl: null,
          },
        ],
      }),
    ]);
    mockApi({
      'GET /invoice-payments/status': () =>
        ok({ data: { mode: 'test', connection: { status: 'connected', accountId: 'acct_1' } } }),
      [`GET ${DETAIL}`]: () => ok({ data: detail }),
    });
    const { user } = renderPage(<App />, { path: '/invoices/inv-1' });
    const refundRow = await screen.findByTestId('refund-row');
    expect(within(refundRow).getByTestId('refund-failure')).toHaveTextContent(
      'Mollie refused it. The money is back in your Mollie balance; you can refund again.',
    );
    const row = screen.getAllByTestId('payment-row')[0]!;
    expect(row).toHaveTextContent('(Mollie Checkout)');
    expect(row).not.toHaveTextContent(/Stripe/);
    await user.click(within(row).getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog');
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    expect(within(dialog).getByTestId('refund-confirmation')).toHaveTextContent('Mollie sends the money back');
  });

  it('the dialog offers what is left after pending and unconfirmed refunds, and says so', async () => {
    const pending = invoiceDetail({ state: 'partially_paid', balanceDue: 4000, balanceFormatted: '$40.00' }, [
      cardPayment({
        status: 'partially_refunded',
        refundable: 6000,
        refundableFormatted: '$60.00',
        refunds: [
          {
            id: 're_p1',
            amount: 3000,
            amountFormatted: '$30.00',
            status: 'pending',
            reason: null,
            createdAt: '2026-11-22T10:00:00.000Z',
            dashboardUrl: null,
          },
          {
            id: null,
            amount: 1000,
            amountFormatted: '$10.00',
            status: 'unknown',
            reason: null,
            createdAt: '2026-11-22T10:01:00.000Z',
            dashboardUrl: null,
          },
          {
            id: 're_f2',
            amount: 2500,
            amountFormatted: '$25.00',
            status: 'failed',
            reason: null,
            failureReason: 'declined',
            createdAt: '2026-11-22T09:00:00.000Z',
            dashboardUrl: null,
          },
        ],
      }),
    ]);
    mockApi({
      'GET /invoice-payments/status': () =>
        ok({ data: { mode: 'test', connection: { status: 'connected', accountId: 'acct_1' } } }),
      [`GET ${DETAIL}`]: () => ok({ data: pending }),
    });
    const { user } = renderPage(<App />, { path: '/invoices/inv-1' });
    const rows = await screen.findAllByTestId('refund-row');
    expect(within(rows[1]!).getByTestId('refund-status')).toHaveTextContent('Unconfirmed');
    expect(within(rows[1]!).getByTestId('refund-unconfirmed')).toHaveTextContent(/never made twice/);
    expect(within(rows[2]!).getByTestId('refund-failure')).toHaveTextContent('The card issuer declined it.');
    await user.click(within(screen.getAllByTestId('payment-row')[0]!).getByRole('button', { name: 'Refund' }));
    const dialog = await screen.findByRole('dialog');
    expect(within(dialog).getByText('Refundable: $60.00')).toBeInTheDocument();
    expect(within(dialog).getByTestId('refund-pending-note')).toHaveTextContent(
      'Refunds still pending ($40.00) are already taken off.',
    );
    await user.click(within(dialog).getByText('Partial refund'));
    await user.type(within(dialog).getByLabelText(/^Amount to refund/), '60.01');
    await user.click(within(dialog).getByRole('button', { name: 'Continue' }));
    expect(await within(dialog).findByText('You can refund at most $60.00 of this payment.')).toBeInTheDocument();
  });
});
