/**
 * Payment method domains: the domains where wallets (Apple Pay, Google Pay, Link, …) may show in
 * Elements and Checkout (https://docs.stripe.com/payments/payment-methods/pmd-registration).
 *
 * - Object: https://docs.stripe.com/api/payment_method_domains/object — `id` (`pmd_…`), `domain_name`,
 *   `enabled`, `livemode`, `created`, and per wallet `{ status: 'active' | 'inactive', status_details? }`
 *   with `status_details.error_message` when inactive (SDK 23.1.0 `PaymentMethodDomain`).
 * - Create: https://docs.stripe.com/api/payment_method_domains/create — `domain_name` (required), `enabled`
 *   (default true), `expand`.
 * - List: https://docs.stripe.com/api/payment_method_domains/list — `domain_name`, `enabled`, cursors.
 * - Retrieve: https://docs.stripe.com/api/payment_method_domains/retrieve — 404 for an unknown id.
 *
 * Stand-in rules (not Stripe's documented behaviour, chosen so tests can reach each state):
 * - `domain_name` must be a bare host name (no scheme, port, path or spaces, at least one dot, not an
 *   IP address): anything else is a 400 on `domain_name`.
 * - Registering a name that is already registered (same mode) answers the existing object.
 * - Names under `.invalid` (RFC 2606: never resolves) are created with Apple Pay `inactive` and an
 *   `error_message` like the one Stripe shows when it cannot verify the domain association file;
 *   everything else is `active` for every wallet, as Stripe's test mode does without verification.
 */
import { findRecord, type Engine } from '../engine';
import { StripeApiError } from '../errors';
import type { ParamReader } from '../form';
import { newId, nowSeconds } from '../ids';
import { listObjects } from '../pagination';
import type { JsonObject, RequestContext } from '../types';

export interface DomainRecord {
  id: string;
  seq: number;
  created: number;
  livemode: boolean;
  domain_name: string;
  enabled: boolean;
  /** Apple Pay's verification failed (stand-in rule: names under .invalid). */
  applePayError: string | null;
}

const HOST = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;

function wallet(error: string | null = null): JsonObject {
  return error ? { status: 'inactive', status_details: { error_message: error } } : { status: 'active' };
}

export function renderDomain(record: DomainRecord): JsonObject {
  return {
    id: record.id,
    object: 'payment_method_domain',
    amazon_pay: wallet(),
    apple_pay: wallet(record.applePayError),
    created: record.created,
    domain_name: record.domain_name,
    enabled: record.enabled,
    google_pay: wallet(),
    klarna: wallet(),
    link: wallet(),
    livemode: record.livemode,
    paypal: wallet(),
  };
}

export function createDomain(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['domain_name', 'enabled', 'expand']);
  const name = reader.requiredString('domain_name').trim().toLowerCase();
  if (!HOST.test(name)) {
    throw StripeApiError.invalidRequest(
      `Invalid domain name: ${name}. Provide a host name such as example.com, without https:// or a path.`,
      'domain_name',
    );
  }
  const existing = [...engine.store.paymentMethodDomains.values()].find(
    (d) => d.domain_name === name && d.livemode === ctx.livemode,
  );
  if (existing) return renderDomain(existing);
  const record: DomainRecord = {
    id: newId('pmd'),
    seq: engine.store.nextSeq(),
    created: nowSeconds(),
    livemode: ctx.livemode,
    domain_name: name,
    enabled: reader.boolean('enabled') ?? true,
    applePayError: name.endsWith('.invalid')
      ? 'Apple Pay could not verify the domain association file at ' +
        `https://${name}/.well-known/apple-developer-merchantid-domain-association.`
      : null,
  };
  engine.store.paymentMethodDomains.set(record.id, record);
  return renderDomain(record);
}

export function retrieveDomain(engine: Engine, id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderDomain(findRecord(engine.store.paymentMethodDomains, id, 'payment_method_domain', ctx.livemode));
}

export function listDomains(engine: Engine, reader: ParamReader, ctx: RequestContext): JsonObject {
  const name = reader.string('domain_name')?.trim().toLowerCase();
  const enabled = reader.boolean('enabled');
  return listObjects(engine.store.paymentMethodDomains.values(), reader, {
    url: '/v1/payment_method_domains',
    kind: 'payment_method_domain',
    livemode: ctx.livemode,
    filterParams: ['domain_name', 'enabled'],
    filter: (d) => (name === undefined || d.domain_name === name) && (enabled === undefined || d.enabled === enabled),
    render: renderDomain,
  });
}
