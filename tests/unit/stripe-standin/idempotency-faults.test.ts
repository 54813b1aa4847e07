import Stripe from 'stripe';
import type { StripeStandin } from '../../support/stripe-standin';
import { caught, control, sdk, startStandin } from './helpers';

/** SDK client that retries; its 0.5 s initial backoff is shortened so the suite stays fast. */
function retryingClient(standin: StripeStandin, config: Stripe.StripeConfig = {}): Stripe {
  const client = sdk(standin, undefined, { maxNetworkRetries: 2, ...config });
  jest.spyOn(client, 'getInitialNetworkRetryDelay').mockReturnValue(0.02);
  return client;
}

describe('idempotency and fault injection', () => {
  let standin: StripeStandin;
  let stripe: Stripe;

  beforeAll(async () => {
    ({ standin, stripe } = await startStandin());
  });
  afterAll(() => standin.close());
  beforeEach(() => standin.control.reset());

  describe('Idempotency-Key', () => {
    it('replays the stored response for the same key and params', async () => {
      const params = { amount: 2000, currency: 'usd', metadata: { invoice: 'INV-9' } };
      const first = await stripe.paymentIntents.create(params, { idempotencyKey: 'invoice-INV-9-attempt-1' });
      const second = await stripe.paymentIntents.create(
        { metadata: { invoice: 'INV-9' }, currency: 'usd', amount: 2000 },
        { idempotencyKey: 'invoice-INV-9-attempt-1' },
      );
      expect(second.id).toBe(first.id);
      expect(second).toEqual(first);
      expect(second.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(first.lastResponse.headers['idempotent-replayed']).toBeUndefined();
      expect(second.lastResponse.requestId).toBe(first.lastResponse.requestId);
      const stats = standin.control.stats();
      expect(stats.created.payment_intents).toBe(1);
      expect(stats.idempotentReplays).toBe(1);
      expect((await stripe.paymentIntents.list()).data).toHaveLength(1);
    });

    it('refuses the same key with different params (idempotency_error)', async () => {
      await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' }, { idempotencyKey: 'key-1' });
      const error = await caught(() =>
        stripe.paymentIntents.create({ amount: 2001, currency: 'usd' }, { idempotencyKey: 'key-1' }),
      );
      expect(error).toBeInstanceOf(Stripe.errors.StripeIdempotencyError);
      expect(error.statusCode).toBe(400);
      expect(error.rawType).toBe('idempotency_error');
      expect(error.message).toBe(
        "Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than 'key-1' if you meant to execute a different request.",
      );
      const otherEndpoint = await caught(() => stripe.refunds.create({ charge: 'ch_x' }, { idempotencyKey: 'key-1' }));
      expect(otherEndpoint.rawType).toBe('idempotency_error');
      expect(standin.control.stats().created.payment_intents).toBe(1);
    });

    it('keys are scoped per API key', async () => {
      const a = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' }, { idempotencyKey: 'shared' });
      const b = await sdk(standin, 'sk_test_otherAccount').paymentIntents.create(
        { amount: 2000, currency: 'usd' },
        { idempotencyKey: 'shared' },
      );
      expect(b.id).not.toBe(a.id);
    });

    it('replays card errors, but not validation errors', async () => {
      const params = { amount: 2000, currency: 'usd', payment_method: 'pm_card_chargeDeclined', confirm: true };
      const first = await caught(() => stripe.paymentIntents.create(params, { idempotencyKey: 'decline-1' }));
      const second = await caught(() => stripe.paymentIntents.create(params, { idempotencyKey: 'decline-1' }));
      expect(second).toBeInstanceOf(Stripe.errors.StripeCardError);
      expect(second.decline_code).toBe('generic_decline');
      expect((second.raw as { charge?: string }).charge).toBe((first.raw as { charge?: string }).charge);
      expect(second.headers?.['idempotent-replayed']).toBe('true');
      expect(standin.control.stats().created.charges).toBe(1);

      const invalid = await caught(() =>
        stripe.paymentIntents.create({ amount: 10, currency: 'usd' }, { idempotencyKey: 'fix-me' }),
      );
      expect(invalid.code).toBe('amount_too_small');
      const fixed = await stripe.paymentIntents.create({ amount: 1000, currency: 'usd' }, { idempotencyKey: 'fix-me' });
      expect(fixed.amount).toBe(1000);
    });

    it("replays a refusal of the object's state under its key (the endpoint had begun executing)", async () => {
      const pi = await stripe.paymentIntents.create({ amount: 2000, currency: 'usd' });
      await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' });
      const refused = await caught(() => stripe.paymentIntents.cancel(pi.id, {}, { idempotencyKey: 'cancel-1' }));
      expect(refused.code).toBe('payment_intent_unexpected_state');
      const again = await caught(() => stripe.paymentIntents.cancel(pi.id, {}, { idempotencyKey: 'cancel-1' }));
      expect(again.code).toBe('payment_intent_unexpected_state');
      expect(again.headers?.['idempotent-replayed']).toBe('true');
    });
  });

  describe('faults', () => {
    it('a 500 while executing is saved under the key: SDK retries with that key get the same 500', async () => {
      // https://docs.stripe.com/api/idempotent_requests: "Subsequent requests with the same key
      // return the same result, including 500 errors."
      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', status: 500, times: 1 });
      const client = retryingClient(standin);
      const error = await caught(() => client.paymentIntents.create({ amount: 1500, currency: 'usd' }));
      expect(error.statusCode).toBe(500);
      const stats = standin.control.stats();
      expect(stats.requests['POST /v1/payment_intents']).toBe(3);
      expect(stats.faultsInjected).toBe(1);
      expect(stats.idempotentReplays).toBe(2);
      expect(stats.created.payment_intents).toBe(0);
      // The same key keeps answering 500 once the fault is gone; a new key executes.
      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', status: 500 });
      await caught(() => stripe.paymentIntents.create({ amount: 1500, currency: 'usd' }, { idempotencyKey: 'k-500b' }));
      expect(standin.control.faults()).toHaveLength(0);
      const again = await caught(() =>
        stripe.paymentIntents.create({ amount: 1500, currency: 'usd' }, { idempotencyKey: 'k-500b' }),
      );
      expect(again.statusCode).toBe(500);
      expect(again.headers?.['idempotent-replayed']).toBe('true');
      const fresh = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' }, { idempotencyKey: 'k-500c' });
      expect(fresh.amount).toBe(1500);
    });

    it('a 500 before execution (beforeExecution) is not saved: SDK retries with the same key: one intent', async () => {
      standin.control.addFault({
        method: 'POST',
        path: '/v1/payment_intents',
        status: 500,
        times: 2,
        beforeExecution: true,
      });
      const client = retryingClient(standin);
      const pi = await client.paymentIntents.create({ amount: 1500, currency: 'usd' });
      expect(pi.status).toBe('requires_payment_method');
      const stats = standin.control.stats();
      expect(stats.requests['POST /v1/payment_intents']).toBe(3);
      expect(stats.faultsInjected).toBe(2);
      expect(stats.created.payment_intents).toBe(1);
    });

    it('500 without retries surfaces a Stripe api_error with Stripe-Should-Retry', async () => {
      standin.control.addFault({ path: '/v1/payment_intents', status: 500 });
      const error = await caught(() => stripe.paymentIntents.create({ amount: 1500, currency: 'usd' }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeAPIError);
      expect(error.statusCode).toBe(500);
      expect(error.rawType).toBe('api_error');
      expect(error.headers?.['stripe-should-retry']).toBe('true');
      expect(standin.control.stats().created.payment_intents).toBe(0);
      // The fault was used up: the next call goes through.
      expect((await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' })).amount).toBe(1500);
    });

    it('429 is a rate_limit_error, retried by the SDK', async () => {
      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', status: 429 });
      const error = await caught(() => stripe.paymentIntents.create({ amount: 1500, currency: 'usd' }));
      expect(error).toBeInstanceOf(Stripe.errors.StripeRateLimitError);
      expect(error.rawType).toBe('rate_limit_error');
      expect(error.code).toBe('rate_limit');

      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', status: 429, times: 2 });
      const pi = await retryingClient(standin).paymentIntents.create({ amount: 1500, currency: 'usd' });
      expect(pi.amount).toBe(1500);
      expect(standin.control.stats().created.payment_intents).toBe(1);
    });

    it('afterProcessing: the intent exists although the client saw a 500; the key replays the 500; search finds it', async () => {
      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', afterProcessing: true });
      const error = await caught(() =>
        stripe.paymentIntents.create(
          { amount: 1500, currency: 'usd', metadata: { invoice: 'INV-1' } },
          { idempotencyKey: 'create-INV-1' },
        ),
      );
      expect(error.statusCode).toBe(500);
      const created = (await stripe.paymentIntents.list()).data;
      expect(created).toHaveLength(1);
      const retried = await caught(() =>
        stripe.paymentIntents.create(
          { amount: 1500, currency: 'usd', metadata: { invoice: 'INV-1' } },
          { idempotencyKey: 'create-INV-1' },
        ),
      );
      expect(retried.statusCode).toBe(500);
      expect(retried.headers?.['idempotent-replayed']).toBe('true');
      // What a client must do after a 500: look at Stripe before retrying under a new key.
      const found = await stripe.paymentIntents.search({ query: "metadata['invoice']:'INV-1'" });
      expect(found.data.map((pi) => pi.id)).toEqual([created[0].id]);
      const since = await stripe.paymentIntents.list({ created: { gte: created[0].created } });
      expect(since.data.map((pi) => pi.id)).toEqual([created[0].id]);
      expect(standin.control.stats().created.payment_intents).toBe(1);
    });

    it('timeout before processing: the SDK times out, retries, one intent', async () => {
      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', timeoutMs: 400 });
      const client = retryingClient(standin, { timeout: 100 });
      const pi = await client.paymentIntents.create({ amount: 1500, currency: 'usd' });
      expect(pi.amount).toBe(1500);
      expect(standin.control.stats().created.payment_intents).toBe(1);
      expect(standin.control.stats().requests['POST /v1/payment_intents']).toBe(2);
    });

    it('timeout after processing: the retry is an idempotent replay', async () => {
      standin.control.addFault({ method: 'POST', path: '/v1/payment_intents', timeoutMs: 400, afterProcessing: true });
      const client = retryingClient(standin, { timeout: 100 });
      const pi = await client.paymentIntents.create({ amount: 1500, currency: 'usd' });
      expect(pi.lastResponse.headers['idempotent-replayed']).toBe('true');
      expect(standin.control.stats().created.payment_intents).toBe(1);
      const timeoutOnly = await caught(async () => {
        standin.control.addFault({ method: 'GET', path: '/v1/payment_intents/:id', timeoutMs: 300 });
        await sdk(standin, undefined, { timeout: 50 }).paymentIntents.retrieve(pi.id);
      });
      expect(timeoutOnly).toBeInstanceOf(Stripe.errors.StripeConnectionError);
    });

    it('control routes add, list and clear faults; patterns match only their route', async () => {
      const added = await control(standin, 'POST', '/_standin/faults', {
        method: 'POST',
        path: '/v1/payment_intents/*/confirm',
        status: 500,
        times: 3,
      });
      expect(added.status).toBe(200);
      const listed = (await control(standin, 'GET', '/_standin/faults')).json as {
        data: Array<{ remaining: number; path: string }>;
      };
      expect(listed.data).toEqual([expect.objectContaining({ path: '/v1/payment_intents/*/confirm', remaining: 3 })]);
      const pi = await stripe.paymentIntents.create({ amount: 1500, currency: 'usd' });
      const error = await caught(() => stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' }));
      expect(error.statusCode).toBe(500);
      await control(standin, 'DELETE', '/_standin/faults');
      expect((await stripe.paymentIntents.confirm(pi.id, { payment_method: 'pm_card_visa' })).status).toBe('succeeded');
    });
  });
});
