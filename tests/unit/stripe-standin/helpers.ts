/**
 * Shared helpers for the stand-in tests: a stand-in + real SDK client per test file, a tiny
 * webhook receiver, and polling. (Not a test file: jest only picks up *.test.ts.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Stripe from 'stripe';
import { startStripeStandin, type StandinOptions, type StripeStandin } from '../../support/stripe-standin';

export const TEST_KEY = 'sk_test_standinUnitTests';
export const WEBHOOK_SECRET = 'whsec_standin_unit_tests';

export function sdk(standin: StripeStandin, key = TEST_KEY, config: Stripe.StripeConfig = {}): Stripe {
  return new Stripe(key, {
    host: '127.0.0.1',
    port: standin.port,
    protocol: 'http',
    telemetry: false,
    maxNetworkRetries: 0,
    ...config,
  });
}

export async function startStandin(opts: StandinOptions = {}): Promise<{ standin: StripeStandin; stripe: Stripe }> {
  const standin = await startStripeStandin({ autoSettleDelayMs: 0, ...opts });
  return { standin, stripe: sdk(standin) };
}

/** Runs `fn` and returns what it threw (fails the test if it didn't throw). */
export async function caught(fn: () => Promise<unknown>): Promise<Stripe.errors.StripeError> {
  try {
    await fn();
  } catch (error) {
    if (error instanceof Stripe.errors.StripeError) return error;
    throw error;
  }
  throw new Error('expected the call to throw');
}

export async function waitFor(condition: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface Received {
  body: string;
  signature: string;
  event: { id: string; type: string; data: { object: Record<string, unknown> } };
  at: number;
}

export interface Receiver {
  url: string;
  received: Received[];
  /** Status to answer with; default 200. */
  respond: (received: Received) => number | Promise<number>;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
  const receiver: Receiver = {
    url: '',
    received: [],
    respond: () => 200,
    close: async () => undefined,
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers['stripe-signature'];
      const item: Received = {
        body,
        signature: typeof signature === 'string' ? signature : '',
        event: JSON.parse(body) as Received['event'], // the stand-in always posts an event object
        at: Date.now(),
      };
      receiver.received.push(item);
      void Promise.resolve(receiver.respond(item)).then((status) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end('{"received":true}');
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo; // TCP listener
  receiver.url = `http://127.0.0.1:${port}/webhooks/stripe`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return receiver;
}

/** Plain fetch against the stand-in's control routes. */
export async function control(
  standin: StripeStandin,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${standin.url}${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
}

export function asRecord(value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  return value as Record<string, unknown>;
}
