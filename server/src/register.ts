import type { Core } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import { PLUGIN_ID, UID } from './utils/plugin-id';
import { isUniqueViolation, retryAfterDeadlock } from './utils/unique-violation';
import { productionOverrideProblem, stripeOverrides } from './utils/stripe-overrides';
import type { PluginConfig } from './config';
import { ledgerGuard } from './utils/ledger-guard';
import { invoiceWrites } from './utils/invoice-writes';
import { registerMigrations } from './migrations';
import { reasonOf } from './utils/errors';

type MiddlewareEntry = string | { name?: string; resolve?: string; config?: Record<string, unknown> };

/**
 * Stripe signs the exact bytes it sends, so the webhook needs the raw body. Strapi's body parser
 * (koa-body) keeps it only with `includeUnparsed`; we switch that on here so a site admin does not
 * have to edit config/middlewares. The parsed body is unchanged for every other route.
 */
export function keepRawBody(middlewares: MiddlewareEntry[]): MiddlewareEntry[] {
  return middlewares.map((entry) => {
    if (entry === 'strapi::body') return { name: 'strapi::body', config: { includeUnparsed: true } };
    if (typeof entry === 'object' && entry.name === 'strapi::body') {
      return { ...entry, config: { ...(entry.config ?? {}), includeUnparsed: true } };
    }
    return entry;
  });
}

/** The plugin's public and admin paths (content API and pay pages). */
const PLUGIN_PATH = /^\/(?:api\/)?invoice-payments(?:\/|$)/;

/**
 * A body koa-body cannot parse (a malformed multipart body, say) is the client's mistake, but
 * formidable's errors carry no HTTP status, so Strapi answers 500. On the plugin's own paths the
 * answer becomes the 4xx it should be; other routes, and an `onError` the app set, are untouched.
 */
export function answerUnparsableBodies(middlewares: MiddlewareEntry[]): MiddlewareEntry[] {
  return middlewares.map((entry) => {
    if (typeof entry !== 'object' || entry.name !== 'strapi::body' || typeof entry.config?.onError === 'function')
      return entry;
    const onError = (
      error: Error & { status?: number; statusCode?: number; httpCode?: number; expose?: boolean },
      ctx: { path?: string },
    ) => {
      if (PLUGIN_PATH.test(ctx.path ?? '') && !error.status && !error.statusCode) {
        error.status = error.httpCode && error.httpCode >= 400 && error.httpCode < 500 ? error.httpCode : 400;
        error.expose = false;
        error.message = 'The request body could not be read.';
      }
      throw error;
    };
    return { ...entry, config: { ...(entry.config ?? {}), onError } };
  });
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  // A stand-in in production only on purpose: refuse to start, saying why and how (stripe-overrides.ts).
  const standinProblem = productionOverrideProblem(
    stripeOverrides(strapi.config.get<PluginConfig>(`plugin::${PLUGIN_ID}`).stripe),
    process.env.NODE_ENV,
  );
  if (standinProblem) {
    strapi.log.error(`[invoice-payments] ${standinProblem}`);
    throw new Error(standinProblem);
  }

  // An invoice's line items in the Content Manager: the same JSON, edited with prices in major
  // units (admin/src/components/LineItemsInput.tsx). Registered before Strapi resolves the schema's type.
  strapi.customFields.register({ name: 'line-items', plugin: PLUGIN_ID, type: 'json' });

  registerMigrations(strapi);

  const middlewares = strapi.config.get<MiddlewareEntry[] | undefined>('middlewares');
  if (Array.isArray(middlewares)) strapi.config.set('middlewares', answerUnparsableBodies(keepRawBody(middlewares)));

  // Ledger links, the payment ledger and computed fields are never input through the document
  // service (Content Manager, content APIs): first, so the middlewares below see only what is kept.
  strapi.documents.use(ledgerGuard(strapi));

  // Strapi's `unique` check is a SELECT before the INSERT, so two concurrent saves can both pass
  // it; the database index then refuses one. Turn that refusal into the same clear 400.
  // An invoice voided, or whose total changed, in the Content Manager or through the document
  // service: an open payment attempt would charge an amount no longer owed. Ended right after the
  // change is committed (the document service wraps each action in its own transaction, so this
  // runs outside it: never a provider call inside a transaction), before the editor gets the answer.
  strapi.documents.use(async (context, next) => {
    if (context.uid !== UID.invoice || (context.action !== 'update' && context.action !== 'delete')) return next();
    if (context.action === 'delete') {
      // Money could still arrive for a deleted invoice (an open Checkout page, a voucher being
      // paid) and would have nothing to be booked on: an invoice with any payment is voided instead.
      const documentId = (context.params as { documentId?: string }).documentId;
      const invoice = documentId
        ? ((await strapi.db.query(UID.invoice).findOne({ where: { documentId }, select: ['id'] })) as {
            id: number;
          } | null)
        : null;
      // A client portal payment for several invoices has no entry on them until money moves, yet can
      // still be paid: an open one that includes this invoice counts as an attempt.
      const inOpenGroup = async () =>
        (
          (await strapi.db.query(UID.paymentGroup).findMany({
            // Once money moved, each invoice has its entry (counted above): only those still open.
            where: {
              status: { $in: ['pending', 'requires_action', 'failed', 'processing'] },
              providerPaymentId: { $notNull: true },
            },
            select: ['shares'],
          })) as Array<{ shares: Array<{ invoiceDocumentId: string }> | null }>
        ).some((g) => (g.shares ?? []).some((s) => s.invoiceDocumentId === documentId));
      if (
        invoice &&
        ((await strapi.db.query(UID.payment).count({ where: { invoice: { id: invoice.id } } })) > 0 ||
          (await inOpenGroup()))
      ) {
        throw new errors.ValidationError(
          'This invoice has payments or payment attempts, so it cannot be deleted. Void it instead (Invoices → the invoice → Void): open payment pages are closed and its history is kept.',
        );
      }
      return next();
    }
    const documentId = (context.params as { documentId?: string }).documentId;
    if (!documentId) return next();
    const read = async () =>
      (await strapi.db.query(UID.invoice).findOne({ where: { documentId }, select: ['state', 'total'] })) as {
        state: string;
        total: number;
      } | null;
    // The change and its invoice.voided event out commit together, whoever voids (the plugin's
    // editor, site code through the document service): the document service's own transaction
    // joins this one, so a crash can neither lose the event nor emit it for a change rolled back.
    let change: { voided: boolean; totalChanged: boolean } | null = null;
    const result = await strapi.db.transaction(async () => {
      const before = await read();
      const done = await next();
      const after = before ? await read() : null;
      if (!before || !after) return done;
      change = {
        voided: after.state === 'void' && before.state !== 'void',
        totalChanged: after.total !== before.total,
      };
      if (change.voided) {
        const out = strapi.plugin(PLUGIN_ID).service('events-out');
        const invoice = await out.invoiceFor(documentId);
        if (invoice) await out.record('invoice.voided', invoice);
      }
      return done;
    });
    const changed = change as { voided: boolean; totalChanged: boolean } | null;
    if (changed && (changed.voided || changed.totalChanged)) {
      // Racing a client's payment on the same invoice row, it can be a deadlock victim: it is run again.
      const actor = { type: 'system' as const, label: changed.voided ? 'invoice voided' : 'invoice total changed' };
      const end = async () => {
        await retryAfterDeadlock(() => strapi.plugin(PLUGIN_ID).service('attempts').endOthers(documentId, null, actor));
        // The client portal's payments for several invoices at once that include this one, too.
        await retryAfterDeadlock(() =>
          strapi.plugin(PLUGIN_ID).service('payment-groups').endForInvoice(documentId, actor),
        ).catch((error: unknown) =>
          strapi.log.warn(
            `[invoice-payments] multi-invoice payments of invoice ${documentId} could not be ended: ${reasonOf(error)}`,
          ),
        );
      };
      // Inside someone else's transaction (a caller's own), wait for its commit instead.
      if (strapi.db.inTransaction()) await strapi.db.transaction(async ({ onCommit }) => onCommit(() => void end()));
      else await end();
    }
    return result;
  });

  strapi.documents.use(async (context, next) => {
    try {
      return await next();
    } catch (error) {
      // The database index (a race) or Strapi's own unique check (no race) both say the same thing.
      const strapiUnique = error instanceof errors.ValidationError && /must be unique/i.test(error.message);
      if (context.uid === UID.invoice && (isUniqueViolation(error) || strapiUnique)) {
        throw new errors.ValidationError(
          'An invoice with this number already exists. Invoice numbers must be unique.',
          {
            errors: [{ path: ['number'], message: 'This number is already used.', name: 'ValidationError' }],
          },
        );
      }
      throw error;
    }
  });

  // Innermost: checks an invoice write, writes it and recomputes its totals under the invoice lock.
  strapi.documents.use(invoiceWrites(strapi));
};
