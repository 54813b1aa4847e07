/**
 * Mollie's classic webhook is unsigned (https://docs.mollie.com/reference/webhooks): anyone can post
 * `id=tr_…`, and reading it costs a call to Mollie (GET /v2/payments/:id). Mollie's own advice is to
 * "check against your records" before acting (https://docs.mollie.com/docs/webhooks), so a post is
 * only passed on to Mollie when it can be about a payment of this site:
 * - the id has a payment id's shape (else refused, no call);
 * - the ledger has a Mollie entry for it: every payment the plugin makes is recorded before its
 *   checkout URL reaches the client (services/attempts.ts), and Mollie only calls the webhook once
 *   the client acted on that checkout, so an id without one cannot be ours (refused, no call);
 * - Mollie did not just say it has no such payment (a short negative cache: a 404 from
 *   https://docs.mollie.com/reference/get-payment for a recorded id, e.g. after the key changed mode);
 * - concurrent posts of the same id share one read (single flight): a flood of one genuine id costs
 *   one call at a time, and the posts get the same event (the first is stored, the rest are duplicates).
 */
import type { Core } from '@strapi/strapi';
import { UID } from '../../utils/plugin-id';
import { ProviderRequestError, type ProviderEvent, type WebhookParser } from '../types';
import { mollieWebhookPaymentId } from './webhook';

/** How long an id Mollie answered 404 for is refused without asking again. */
export const NOT_FOUND_TTL_MS = 60_000;
/** Ids remembered as unknown at most (oldest forgotten first), so memory stays bounded too. */
const NOT_FOUND_MAX = 5_000;

const notFound = new Map<string, number>();
const inFlight = new Map<string, Promise<ProviderEvent>>();

/** Forgets what the guard remembers (tests). */
export function resetMollieWebhookGuard(): void {
  notFound.clear();
  inFlight.clear();
}

function knownMissing(id: string, now: number): boolean {
  const until = notFound.get(id);
  if (until === undefined) return false;
  if (until > now) return true;
  notFound.delete(id);
  return false;
}

function rememberMissing(id: string, now: number): void {
  if (notFound.size >= NOT_FOUND_MAX) {
    const oldest = notFound.keys().next();
    if (!oldest.done) notFound.delete(oldest.value);
  }
  notFound.set(id, now + NOT_FOUND_TTL_MS);
}

const refusedUnknown = () =>
  new ProviderRequestError('Mollie has no payment with this id.', false, 'object_unknown', 400);

/** Whether the ledger has an entry made through Mollie for this payment id (checkout or payment). */
async function recorded(strapi: Core.Strapi, id: string): Promise<boolean> {
  // Both columns have unique indexes (content-types/payment/schema.ts): two index look-ups.
  const row = await strapi.db.query(UID.payment).findOne({
    where: { provider: 'mollie', $or: [{ providerPaymentId: id }, { checkoutSessionId: id }] },
    select: ['id'],
  });
  return row !== null;
}

/** The Mollie webhook parser behind the guard above. */
export function guardedMollieParser(strapi: Core.Strapi, parser: WebhookParser): WebhookParser {
  return {
    id: parser.id,
    label: parser.label,
    webhookAction: (event) => parser.webhookAction(event),
    async parseWebhook(request, secret, opts) {
      const id = mollieWebhookPaymentId(request);
      if (knownMissing(id, Date.now())) throw refusedUnknown();
      const shared = inFlight.get(id);
      if (shared) return shared;
      const read = (async () => {
        if (!(await recorded(strapi, id))) {
          throw new ProviderRequestError('No payment of this site has this Mollie id.', false, 'object_unknown', 400);
        }
        try {
          return await parser.parseWebhook(request, secret, opts);
        } catch (error) {
          if (error instanceof ProviderRequestError && error.code === 'object_unknown') rememberMissing(id, Date.now());
          throw error;
        }
      })();
      inFlight.set(id, read);
      try {
        return await read;
      } finally {
        inFlight.delete(id);
      }
    },
  };
}
