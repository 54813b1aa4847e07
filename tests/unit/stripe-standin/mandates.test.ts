/**
 * Mandates in the stand-in (resources/mandates.ts): a SEPA or ACH debit is made under a Mandate that
 * the charge names and GET /v1/mandates/:id returns (https://docs.stripe.com/api/mandates/object,
 * https://docs.stripe.com/api/mandates/retrieve); saving the method makes it multi_use and reused.
 */
import type Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { caught, startStandin } from './helpers';

describe('Mandates', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  const sepaCharge = async (params: Partial<Stripe.PaymentIntentCreateParams>): Promise<Stripe.Charge> => {
    const pi = await stripe.paymentIntents.create({ ...params, amount: 182750, currency: 'eur', confirm: true });
    standin.control.settleDelayed(pi.id);
    const done = await stripe.paymentIntents.retrieve(pi.id, { expand: ['latest_charge'] });
    expect(done.status).toBe('succeeded');
    return done.latest_charge as Stripe.Charge;
  };
  const sepaData = { type: 'sepa_debit' as const, sepa_debit: { iban: 'AT611904300234573201' } };

  it('a PaymentIntent naming an unknown customer is refused as Stripe refuses it (resource_missing on customer)', async () => {
    const error = await caught(() =>
      stripe.paymentIntents.create({ amount: 1000, currency: 'eur', customer: 'cus_doesNotExist1' }),
    );
    expect(error).toMatchObject({ type: 'StripeInvalidRequestError', code: 'resource_missing', param: 'customer' });
    expect(error.message).toMatch(/No such customer: 'cus_doesNotExist1'/);
    const pi = await stripe.paymentIntents.create({ amount: 1000, currency: 'eur' });
    await expect(stripe.paymentIntents.update(pi.id, { customer: 'cus_doesNotExist1' })).rejects.toMatchObject({
      code: 'resource_missing',
    });
  });

  it('a saved SEPA debit is made under an active multi_use mandate with an uppercase reference', async () => {
    const customer = await stripe.customers.create({ name: 'Jenny Rosen' });
    const charge = await sepaCharge({
      customer: customer.id,
      setup_future_usage: 'off_session',
      payment_method_data: sepaData,
    });
    const mandateId = charge.payment_method_details?.sepa_debit?.mandate;
    expect(mandateId).toMatch(/^mandate_/);
    const mandate = await stripe.mandates.retrieve(String(mandateId));
    expect(mandate).toMatchObject({
      object: 'mandate',
      status: 'active',
      type: 'multi_use',
      payment_method: charge.payment_method,
      livemode: false,
      customer_acceptance: { type: 'online' },
    });
    expect(mandate.payment_method_details.type).toBe('sepa_debit');
    expect(mandate.payment_method_details.sepa_debit?.reference).toMatch(/^[A-Z0-9]{16}$/);
    expect(mandate.payment_method_details.sepa_debit?.url).toMatch(/^https:\/\//);

    // An off-session debit on the saved method reuses the mandate.
    const again = await sepaCharge({
      customer: customer.id,
      payment_method: String(charge.payment_method),
      off_session: true,
    });
    expect(again.payment_method_details?.sepa_debit?.mandate).toBe(mandateId);
  });

  it('a one-off SEPA debit gets a single_use mandate for its amount', async () => {
    const charge = await sepaCharge({ payment_method_data: sepaData });
    const mandate = await stripe.mandates.retrieve(String(charge.payment_method_details?.sepa_debit?.mandate));
    expect(mandate.type).toBe('single_use');
    expect(mandate.single_use).toEqual({ amount: 182750, currency: 'eur' });
    expect(mandate.multi_use).toBeUndefined();
  });

  it('a card charge has no mandate; an unknown mandate id is a 404 resource_missing', async () => {
    const pi = await stripe.paymentIntents.create({
      amount: 1000,
      currency: 'eur',
      payment_method: 'pm_card_visa',
      confirm: true,
      expand: ['latest_charge'],
    });
    expect((pi.latest_charge as Stripe.Charge).payment_method_details?.card?.mandate).toBeNull();
    const error = await caught(() => stripe.mandates.retrieve('mandate_doesNotExist'));
    expect(error.statusCode).toBe(404);
    expect(error.code).toBe('resource_missing');
  });
});
