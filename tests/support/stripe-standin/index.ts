/**
 * Stripe stand-in: a local HTTP server that behaves like the parts of Stripe's API the invoice
 * payments plugin uses, so the real `stripe` SDK can run against it in tests and the offline demo.
 * TEST SUPPORT ONLY — never used in production.
 *
 *   const standin = await startStripeStandin({ webhook: { url, secret } });
 *   const stripe = new Stripe('sk_test_x', { host: '127.0.0.1', port: standin.port, protocol: 'http' });
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { apiRoutes } from './api';
import { controlRoutes, createControl, type StandinControl } from './control';
import { Engine } from './engine';
import { FaultQueue } from './faults';
import { IdempotencyStore } from './idempotency';
import { registerCheckoutHooks } from './resources/checkout-sessions';
import { Router } from './router';
import { createRequestListener } from './server';
import type { DeliveryOptions } from './webhooks';

export type { StandinControl, StandinStats } from './control';
export type { Fault, FaultSpec } from './faults';
export type { CompleteOptions, CheckoutOutcome } from './resources/checkout-sessions';
export type {
  DeliverOverrides,
  DeliveryOptions,
  DeliveryOptionsPatch,
  DeliveryRecord,
  WebhookEndpoint,
} from './webhooks';
export { signPayload } from './webhooks';
export { TEST_PAYMENT_METHODS } from './resources/payment-methods';
export type { Json, JsonObject } from './types';

export interface StandinOptions {
  /** 0 (default) = a random free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  webhook?: { url: string; secret: string; apiVersion?: string };
  delivery?: Partial<DeliveryOptions>;
  /** Delayed payment methods settle after this many ms (default 2000; 0 = only via control). */
  autoSettleDelayMs?: number;
  /** pm_card_createDispute opens its dispute after this many ms (default autoSettleDelayMs). */
  autoDisputeDelayMs?: number;
  /** Refunds on pm_card_refundFail fail after this many ms (default autoSettleDelayMs). */
  refundFailDelayMs?: number;
}

export interface StripeStandin {
  /** e.g. http://127.0.0.1:12111 */
  url: string;
  port: number;
  host: string;
  close(): Promise<void>;
  /** Direct access for tests; same operations as the /_standin control routes. */
  control: StandinControl;
}

export async function startStripeStandin(opts: StandinOptions = {}): Promise<StripeStandin> {
  const autoSettleDelayMs = opts.autoSettleDelayMs ?? 2000;
  const engine = new Engine({
    autoSettleDelayMs,
    autoDisputeDelayMs: opts.autoDisputeDelayMs ?? autoSettleDelayMs,
    refundFailDelayMs: opts.refundFailDelayMs ?? autoSettleDelayMs,
  });
  registerCheckoutHooks(engine);
  const faults = new FaultQueue();
  const idempotency = new IdempotencyStore();
  const initial = {
    endpoint: opts.webhook ? { ...opts.webhook, enabled: true } : {},
    delivery: opts.delivery ?? {},
  };
  engine.webhooks.configure(initial.endpoint);
  engine.webhooks.setOptions(initial.delivery);

  const control = createControl({ engine, faults, idempotency, initial });
  const server = http.createServer(
    createRequestListener({
      engine,
      faults,
      idempotency,
      api: new Router(apiRoutes),
      control: new Router(controlRoutes(control)),
    }),
  );
  // The SDK keeps connections alive; don't let idle sockets hold close() up.
  server.keepAliveTimeout = 1000;

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo; // listening on TCP, so address() is an AddressInfo
  const urlHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  const url = `http://${urlHost}:${port}`;
  engine.baseUrl = url;

  let closed = false;
  return {
    url,
    port,
    host,
    control,
    async close() {
      if (closed) return;
      closed = true;
      await engine.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
