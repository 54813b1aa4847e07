import { screen, waitFor } from '@testing-library/react';
import { Form } from '@strapi/strapi/admin';
import { LineItemsInput } from '../../admin/src/components/LineItemsInput';
import { renderPage } from './support/render';

/** The Content Manager's line items input: major units in, minor units stored, field messages. */
let stored: unknown;

function renderField(initialValues: Record<string, unknown>) {
  return renderPage(
    <Form method="PUT" initialValues={initialValues}>
      {({ values }) => {
        stored = (values as Record<string, unknown>).lineItems;
        return <LineItemsInput name="lineItems" label="Line items" />;
      }}
    </Form>,
  );
}

describe('line items in the Content Manager', () => {
  it('shows and stores USD prices with two decimals, with live totals including tax', async () => {
    const { user } = renderField({
      currency: 'USD',
      taxRateBps: 825,
      lineItems: [{ description: 'Design', quantity: 3, unitAmount: 45000 }],
    });
    const price = await screen.findByLabelText('Unit price of line 1');
    expect(price).toHaveValue('450.00');
    await screen.findByText('Total: $1,461.38');
    await user.click(screen.getByRole('button', { name: 'Add a line' }));
    await user.type(screen.getByLabelText('Description of line 2'), 'Hosting');
    await user.clear(screen.getByLabelText('Quantity of line 2'));
    await user.type(screen.getByLabelText('Quantity of line 2'), '1.5');
    await user.type(screen.getByLabelText('Unit price of line 2'), '19,99');
    // 135000 + 2998.5→2999 = 137999; tax 8.25 % = 11384.9→11385; total 149384.
    await screen.findByText('Total: $1,493.84');
    await waitFor(() =>
      expect(stored).toEqual([
        { description: 'Design', quantity: 3, unitAmount: 45000 },
        { description: 'Hosting', quantity: 1.5, unitAmount: 1999 },
      ]),
    );
  });

  it('JPY has no decimals: a fraction is refused on the field and no total is shown', async () => {
    const { user } = renderField({
      currency: 'JPY',
      lineItems: [{ description: 'Room', quantity: 2, unitAmount: 15000 }],
    });
    const price = await screen.findByLabelText('Unit price of line 1');
    expect(price).toHaveValue('15000');
    await screen.findByText('Total: ¥30,000');
    await user.clear(price);
    await user.type(price, '150.5');
    await screen.findByText('This currency has no decimals.');
    await screen.findByText('Complete every line to see the total.');
    // Sent as typed, so the server refuses it with a message and saves nothing.
    await waitFor(() => expect(stored).toEqual([{ description: 'Room', quantity: 2, unitAmount: '150.5' }]));
  });

  it('the last line cannot be removed; a removed line leaves the stored value', async () => {
    const { user } = renderField({
      currency: 'KWD',
      lineItems: [
        { description: 'A', quantity: 1, unitAmount: 12340 },
        { description: 'B', quantity: 1, unitAmount: 500 },
      ],
    });
    expect(await screen.findByLabelText('Unit price of line 1')).toHaveValue('12.340');
    await user.click(screen.getByRole('button', { name: 'Remove line 2' }));
    await waitFor(() => expect(stored).toEqual([{ description: 'A', quantity: 1, unitAmount: 12340 }]));
    expect(screen.getByRole('button', { name: 'Remove line 1' })).toHaveAttribute('aria-disabled', 'true');
  });
});
