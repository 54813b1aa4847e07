/** The /v1 routes: which Stripe endpoint maps to which resource function. */
import type { Route } from './router';
import { json } from './router';
import { accountIdFor, renderAccount, renderBalance, retrieveBalanceTransaction } from './resources/account';
import { listCharges, retrieveCharge, updateCharge } from './resources/charges';
import {
  createSession,
  expireSession,
  listSessionLineItems,
  listSessions,
  retrieveSession,
} from './resources/checkout-sessions';
import { acceptDispute, listDisputes, retrieveDispute, updateDispute } from './resources/disputes';
import { listEvents, retrieveEvent } from './resources/events';
import {
  cancelPaymentIntent,
  confirmPaymentIntent,
  createPaymentIntent,
  listPaymentIntents,
  retrievePaymentIntent,
  searchPaymentIntents,
  updatePaymentIntent,
  verifyMicrodeposits,
} from './resources/payment-intents';
import { retrievePaymentMethod } from './resources/payment-methods';
import { retrieveMandate } from './resources/mandates';
import { listConfigurations, retrieveConfiguration } from './resources/payment-method-configurations';
import { createDomain, listDomains, retrieveDomain } from './resources/payment-method-domains';
import { cancelRefund, createRefund, listRefunds, retrieveRefund, updateRefund } from './resources/refunds';
import { StripeApiError } from './errors';
import { customerRoutes } from './resources/customers';
import { SETUP_INTENT_CREATE, SETUP_INTENT_UPDATE } from './params';

export const apiRoutes: readonly Route[] = [
  // First: its GET /v1/payment_methods/:id shows the customer a method is attached to.
  ...customerRoutes,
  {
    method: 'GET',
    pattern: '/v1/account',
    handler: ({ apiKey, params }) => {
      params.assertKnown(['expand']);
      return json(renderAccount(apiKey?.key ?? ''));
    },
  },
  {
    method: 'GET',
    pattern: '/v1/accounts/:id',
    handler: ({ apiKey, path }) => {
      // Only the caller's own account exists here (no Connect).
      if (!apiKey || path.id !== accountIdFor(apiKey.key)) throw StripeApiError.resourceMissing('account', path.id);
      return json(renderAccount(apiKey.key));
    },
  },
  { method: 'GET', pattern: '/v1/balance', handler: ({ engine, ctx }) => json(renderBalance(engine, ctx.livemode)) },
  {
    method: 'GET',
    pattern: '/v1/balance_transactions/:id',
    handler: ({ engine, path, ctx }) => json(retrieveBalanceTransaction(engine, path.id, ctx.livemode)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_methods/:id',
    handler: ({ engine, path, ctx }) => json(retrievePaymentMethod(engine, path.id, ctx.livemode)),
  },

  {
    method: 'GET',
    pattern: '/v1/mandates/:id',
    handler: ({ engine, path, params, ctx }) => json(retrieveMandate(engine, path.id, params, ctx)),
  },

  {
    method: 'GET',
    pattern: '/v1/payment_method_configurations',
    handler: ({ params, ctx }) => json(listConfigurations(params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_method_configurations/:id',
    handler: ({ path, params, ctx }) => json(retrieveConfiguration(path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/payment_method_domains',
    handler: ({ engine, params, ctx }) => json(createDomain(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_method_domains',
    handler: ({ engine, params, ctx }) => json(listDomains(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_method_domains/:id',
    handler: ({ engine, path, params, ctx }) => json(retrieveDomain(engine, path.id, params, ctx)),
  },

  {
    method: 'POST',
    pattern: '/v1/payment_intents',
    handler: ({ engine, params, ctx }) => json(createPaymentIntent(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_intents',
    handler: ({ engine, params, ctx }) => json(listPaymentIntents(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_intents/search',
    handler: ({ engine, params, ctx }) => json(searchPaymentIntents(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/payment_intents/:id',
    handler: ({ engine, path, params, ctx }) => json(retrievePaymentIntent(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id',
    handler: ({ engine, path, params, ctx }) => json(updatePaymentIntent(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id/confirm',
    handler: ({ engine, path, params, ctx }) => json(confirmPaymentIntent(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id/cancel',
    handler: ({ engine, path, params, ctx }) => json(cancelPaymentIntent(engine, path.id, params, ctx)),
  },

  {
    method: 'POST',
    pattern: '/v1/payment_intents/:id/verify_microdeposits',
    handler: ({ engine, path, params, ctx }) => json(verifyMicrodeposits(engine, path.id, params, ctx)),
  },

  {
    method: 'GET',
    pattern: '/v1/charges',
    handler: ({ engine, params, ctx }) => json(listCharges(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/charges/:id',
    handler: ({ engine, path, params, ctx }) => json(retrieveCharge(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/charges/:id',
    handler: ({ engine, path, params, ctx }) => json(updateCharge(engine, path.id, params, ctx)),
  },

  {
    method: 'POST',
    pattern: '/v1/refunds',
    handler: ({ engine, params, ctx }) => json(createRefund(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/refunds',
    handler: ({ engine, params, ctx }) => json(listRefunds(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/refunds/:id',
    handler: ({ engine, path, params, ctx }) => json(retrieveRefund(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/refunds/:id',
    handler: ({ engine, path, params, ctx }) => json(updateRefund(engine, path.id, params, ctx)),
  },

  {
    method: 'POST',
    pattern: '/v1/refunds/:id/cancel',
    handler: ({ engine, path, params, ctx }) => json(cancelRefund(engine, path.id, params, ctx)),
  },

  {
    method: 'GET',
    pattern: '/v1/disputes',
    handler: ({ engine, params, ctx }) => json(listDisputes(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/disputes/:id',
    handler: ({ engine, path, params, ctx }) => json(retrieveDispute(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/disputes/:id',
    handler: ({ engine, path, params, ctx }) => json(updateDispute(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/disputes/:id/close',
    handler: ({ engine, path, params, ctx }) => json(acceptDispute(engine, path.id, params, ctx)),
  },

  {
    method: 'POST',
    pattern: '/v1/checkout/sessions',
    handler: ({ engine, params, ctx }) => json(createSession(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/checkout/sessions',
    handler: ({ engine, params, ctx }) => json(listSessions(engine, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/checkout/sessions/:id',
    handler: ({ engine, path, params, ctx }) => json(retrieveSession(engine, path.id, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/checkout/sessions/:id/line_items',
    handler: ({ engine, path, params, ctx }) => json(listSessionLineItems(engine, path.id, params, ctx)),
  },
  {
    method: 'POST',
    pattern: '/v1/checkout/sessions/:id/expire',
    handler: ({ engine, path, params, ctx }) => json(expireSession(engine, path.id, params, ctx)),
  },

  {
    // SetupIntents are not modelled; the route exists so the removed payment_method_types is refused
    // as the pinned API does (SDK 23.1.0 SetupIntentCreateParams has only allowed_payment_method_types).
    method: 'POST',
    pattern: '/v1/setup_intents',
    handler: ({ params }) => {
      params.assertKnown(SETUP_INTENT_CREATE);
      throw StripeApiError.invalidRequest(
        'The Stripe stand-in does not model SetupIntents.',
        undefined,
        undefined,
        404,
      );
    },
  },
  {
    method: 'POST',
    pattern: '/v1/setup_intents/:id',
    handler: ({ params }) => {
      params.assertKnown(SETUP_INTENT_UPDATE);
      throw StripeApiError.invalidRequest(
        'The Stripe stand-in does not model SetupIntents.',
        undefined,
        undefined,
        404,
      );
    },
  },
  {
    method: 'GET',
    pattern: '/v1/events',
    handler: ({ engine, params, ctx }) => json(listEvents(engine.store, params, ctx)),
  },
  {
    method: 'GET',
    pattern: '/v1/events/:id',
    handler: ({ engine, path, params, ctx }) => {
      params.assertKnown(['expand']);
      return json(retrieveEvent(engine.store, path.id, ctx));
    },
  },
];
