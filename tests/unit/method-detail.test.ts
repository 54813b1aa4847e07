import type Stripe from 'stripe';
import { methodDetail } from '../../server/src/services/documents';
import { mapPayment as mapStripe } from '../../server/src/providers/stripe/mappers';
import { mapPayment as mapMollie } from '../../server/src/providers/mollie/mappers';

/**
 * What a receipt says the client paid with: brand or bank and the last four digits, from Stripe's
 * charge payment_method_details (https://docs.stripe.com/api/charges/object) and Mollie's payment
 * details (https://docs.mollie.com/reference/get-payment). Never more than four digits.
 */
const pi = {
  id: 'pi_1',
  amount: 1000,
  amount_received: 1000,
  currency: 'eur',
  livemode: false,
  status: 'succeeded',
  metadata: {},
  created: 1,
  payment_method_types: ['card'],
} as unknown as Stripe.PaymentIntent;
const charge = (details: Record<string, unknown>) =>
  ({ id: 'ch_1', amount_refunded: 0, payment_method_details: details }) as unknown as Stripe.Charge;

it.each([
  [{ type: 'card', card: { brand: 'visa', last4: '4242' } }, 'Visa •••• 4242'],
  [{ type: 'card', card: { brand: 'amex', last4: '0005' } }, 'American Express •••• 0005'],
  [{ type: 'sepa_debit', sepa_debit: { bank_code: '37040044', last4: '3000' } }, '37040044 •••• 3000'],
  [
    { type: 'us_bank_account', us_bank_account: { bank_name: 'STRIPE TEST BANK', last4: '6789' } },
    'STRIPE TEST BANK •••• 6789',
  ],
  [{ type: 'ideal', ideal: { bank: 'ing', iban_last4: '5264' } }, 'ing •••• 5264'],
  [{ type: 'card', card: { brand: 'visa', last4: '4242424242424242' } }, 'Visa'],
  [{ type: 'klarna', klarna: {} }, null],
])('Stripe %j → %s', (details, shown) => {
  const p = mapStripe(pi, charge(details), [], null);
  expect(methodDetail({ methodLabel: p.methodDetail?.label, methodLast4: p.methodDetail?.last4 })).toBe(shown);
});

it.each([
  [{ cardLabel: 'Mastercard', cardNumber: '6787' }, 'Mastercard •••• 6787'],
  [{ consumerName: 'T. TEST', consumerAccount: 'NL53 INGB 0654 4224 75' }, '•••• 2475'],
  [{}, null],
])('Mollie %j → %s', (details, shown) => {
  const p = mapMollie({
    id: 'tr_1',
    mode: 'test',
    status: 'paid',
    createdAt: '2026-01-01T00:00:00Z',
    amount: { currency: 'EUR', value: '10.00' },
    metadata: null,
    details,
    _links: {},
  });
  expect(methodDetail({ methodLabel: p.methodDetail?.label, methodLast4: p.methodDetail?.last4 })).toBe(shown);
});
