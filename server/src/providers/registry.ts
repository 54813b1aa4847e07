/**
 * The payment gateways the plugin knows, by the id stored on payment rows and webhook events.
 * Adding a gateway: write providers/<id>/, add one entry here, a settings section, and docs.
 * Nothing in settlement, the worker, the admin or the pay pages changes.
 */
import type { Core } from '@strapi/strapi';
import type { PaymentProvider, ProviderTraits, WebhookParser } from './types';
import type { StoredSettings } from '../services/settings-schema';
import { stripeEntry } from './stripe';
import { mollieEntry } from './mollie/entry';

/**
 * The API version a gateway's SDK is pinned to, for gateways that version their events (Stripe).
 * Events rendered in another version can carry other shapes than the code reads (API drift).
 */
export interface PinnedApiVersion {
  /** The version the SDK sends and its types describe. */
  pinned: string;
  /** The gateway's guide to moving a webhook endpoint to another version. */
  upgradeGuideUrl: string;
}

/** How the pay page takes a payment through a provider: its flow, and Stripe.js's key when it needs one. */
export interface PayLink {
  mode: StoredSettings['checkoutMode'];
  publishableKey: string;
}

export interface ProviderEntry {
  readonly id: string;
  readonly label: string;
  /** Links and id shapes, known without credentials (admin screens, pay pages). */
  readonly traits: ProviderTraits;
  /** Answered (503) when something needs the gateway before it is set up. */
  readonly notSetUp: string;
  /** The provider built from the saved settings; null when it is not set up (no key saved). */
  create(strapi: Core.Strapi): Promise<PaymentProvider | null>;
  /** What verifies and reads this gateway's webhooks; null when it cannot yet (not set up). */
  webhookParser(strapi: Core.Strapi): Promise<WebhookParser | null>;
  /** The saved signing secret for this gateway's webhooks; null when none is saved or needed. */
  webhookSecret(strapi: Core.Strapi): Promise<string | null>;
  /** How its pay links work under these settings; null when it is not set up (no key saved). */
  payLink(settings: StoredSettings): PayLink | null;
  /** Whether its API key is saved, so the server can ask it about payments (sweep, return page). */
  canRead(settings: StoredSettings): boolean;
  /**
   * The longest one call to this gateway can take, its client's retries included (ms). Leases and
   * refund reservations outlive it, so a holder that is only slow is never taken for a dead one.
   */
  callBudgetMs(strapi: Core.Strapi): number;
  /**
   * Whether a re-read of a collected payment can bring the provider's processing fee later (Stripe:
   * its balance transaction may come after the payment succeeded). The reconciliation sweep reads
   * fee-less payments again only for these providers; for the others a re-read never brings one.
   */
  readonly feeArrivesLater: boolean;
  /** Set when the gateway versions its webhook events (Stripe); absent when it does not (Mollie). */
  readonly apiVersion?: PinnedApiVersion;
  /** Whether its provider can save payment methods and charge them off-session (autopay). */
  readonly savesMethods?: boolean;
}

/** Providers whose fee a later re-read of the payment may bring (the sweep's fee pass). */
export function feeReportingProviders(): string[] {
  return Object.values(PROVIDERS)
    .filter((entry) => entry.feeArrivesLater)
    .map((entry) => entry.id);
}

export const PROVIDERS: Readonly<Record<string, ProviderEntry>> = {
  stripe: stripeEntry,
  mollie: mollieEntry,
};

/**
 * The provider of rows stored before rows recorded one (webhook events made before the
 * `provider` column existed: all Stripe's, the only gateway then).
 */
export const LEGACY_PROVIDER_ID = 'stripe';

/** The longest call budget of any gateway: for work that may call any of them (a payment planning round). */
export function longestCallBudgetMs(strapi: Core.Strapi): number {
  return Math.max(...Object.values(PROVIDERS).map((entry) => entry.callBudgetMs(strapi)));
}

/** The shortest: the earliest moment work of any gateway may be taken for abandoned (a first filter). */
export function shortestCallBudgetMs(strapi: Core.Strapi): number {
  return Math.min(...Object.values(PROVIDERS).map((entry) => entry.callBudgetMs(strapi)));
}

/** A provider id's name for people ("Stripe", "Mollie"); rows from before the column are Stripe's. */
export function providerLabel(id: string | null | undefined): string {
  const key = id || LEGACY_PROVIDER_ID;
  return providerEntry(key)?.label ?? key;
}

export function providerEntry(id: string): ProviderEntry | null {
  return Object.prototype.hasOwnProperty.call(PROVIDERS, id) ? PROVIDERS[id]! : null;
}

/** The gateways that version their events, with the version the plugin's SDK is pinned to. */
export function pinnedApiVersions(): Array<PinnedApiVersion & { provider: string; label: string }> {
  return Object.values(PROVIDERS).flatMap((entry) =>
    entry.apiVersion ? [{ provider: entry.id, label: entry.label, ...entry.apiVersion }] : [],
  );
}
