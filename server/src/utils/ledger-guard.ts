import type { Core, Modules } from '@strapi/strapi';
import { errors } from '@strapi/utils';
import { UID } from './plugin-id';
import { CM_READ_ONLY_ATTRIBUTES } from '../content-types/invoice/content-manager';

/**
 * Ledger links and money are written only by the plugin's services, which use `strapi.db.query`
 * (never the document service). So whatever comes through the document service (the Content
 * Manager, any content API, another plugin) may not link payments to invoices, write the payment
 * ledger, or set a computed field. The Content Manager already drops the hidden attributes
 * (content-types/invoice/content-manager.ts); this guard holds for every other caller as well.
 */

const LEDGER_UIDS: readonly string[] = [UID.payment, UID.refund];
const WRITES = new Set(['create', 'update', 'clone', 'delete', 'publish', 'unpublish', 'discardDraft']);
const RELATION_OPERATIONS = ['connect', 'disconnect', 'set'] as const;

/** Fields an invoice write never takes from its caller: computed, recorded or secret. */
const NOT_INPUT: readonly string[] = [...CM_READ_ONLY_ATTRIBUTES, 'payToken', 'attemptLockToken', 'attemptLockUntil'];

const LINKS_MESSAGE =
  'Payments are linked to invoices only by Invoice payments itself (card payments, "Mark as paid", refunds). They cannot be connected, disconnected or moved here.';

type Data = Record<string, unknown>;
const isRecord = (value: unknown): value is Data =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Would this relation value change any link? (Empty connect/disconnect lists change nothing.) */
export function changesLinks(value: unknown): boolean {
  if (value === undefined) return false;
  if (value === null || typeof value !== 'object') return true;
  if (Array.isArray(value)) return value.length > 0;
  const ops = value as Data;
  if (!RELATION_OPERATIONS.some((op) => op in ops)) return true;
  if ('set' in ops) return true;
  return (['connect', 'disconnect'] as const).some((op) => {
    const v = ops[op];
    return Array.isArray(v) ? v.length > 0 : v != null;
  });
}

/** The invoice data a write may keep; throws when it tries to change ledger links. */
export function invoiceInput(data: unknown): Data | undefined {
  if (!isRecord(data)) return undefined;
  if (changesLinks(data.payments)) throw new errors.ForbiddenError(LINKS_MESSAGE);
  const kept: Data = {};
  for (const [key, value] of Object.entries(data)) {
    if (key === 'payments' || NOT_INPUT.includes(key)) continue;
    kept[key] = value;
  }
  return kept;
}

/**
 * The plugin's own admin routes (its invoice editor: create, edit, send, void) write invoices
 * through the document service with fields no one else may set (state changes, void reason...),
 * after their own validation and permission checks. Every other caller gets the guard.
 */
const PLUGIN_ADMIN_PATH = /^\/invoice-payments(?:\/|$)/;

/** The admin user's ability when the current request comes from the admin panel. */
function adminAbility(strapi: Core.Strapi): unknown {
  const ctx = strapi.requestContext.get() as
    { state?: { userAbility?: unknown; auth?: { strategy?: { name?: string } } } } | undefined;
  return ctx?.state?.auth?.strategy?.name === 'admin' ? ctx.state.userAbility : undefined;
}

export function ledgerGuard(strapi: Core.Strapi): Modules.Documents.Middleware.Middleware {
  return async (context, next) => {
    if (LEDGER_UIDS.includes(context.uid) && WRITES.has(context.action)) {
      throw new errors.ForbiddenError(
        'Payments and refunds are recorded only by Invoice payments (Stripe, "Mark as paid", "Refund" on the invoice page). They cannot be created, changed or deleted here.',
      );
    }
    if (context.uid !== UID.invoice || !['create', 'update', 'clone'].includes(context.action)) return next();

    const params = (context.params ?? {}) as { data?: unknown; documentId?: string };
    const path = (strapi.requestContext.get() as { path?: string } | undefined)?.path ?? '';
    if (context.action !== 'clone' && PLUGIN_ADMIN_PATH.test(path)) {
      // Still never a ledger link, whoever asks.
      if (isRecord(params.data) && changesLinks(params.data.payments)) throw new errors.ForbiddenError(LINKS_MESSAGE);
      return next();
    }
    const data = invoiceInput(params.data) ?? {};
    // Voiding asks for a reason and is audited: in the Content Manager it is refused with where to do it.
    if (/^\/content-manager(?:\/|$)/.test(path) && data.state === 'void' && context.action === 'update') {
      const current = params.documentId
        ? ((await strapi.db
            .query(UID.invoice)
            .findOne({ where: { documentId: params.documentId }, select: ['state'] })) as { state: string } | null)
        : null;
      if (current && current.state !== 'void') {
        throw new errors.ValidationError(
          'Void an invoice from Invoice payments → the invoice → More → Void invoice: it asks for the reason, keeps it in the audit log and refuses while money is on its way.',
          {
            errors: [{ path: ['state'], message: 'Use Void invoice in Invoice payments.', name: 'ValidationError' }],
          },
        );
      }
    }
    if (context.action === 'clone') {
      // Strapi's clone copies every relation of the source, and the Content Manager checks only
      // `create` before cloning: a copy must be readable by whoever asks, and start as a new draft
      // with no payments, no pay link (beforeCreate issues a new token) and no recorded dates.
      const ability = adminAbility(strapi);
      if (ability && params.documentId) {
        const source = await strapi.db
          .query(UID.invoice)
          .findOne({ where: { documentId: params.documentId }, populate: { createdBy: { select: ['id'] } } });
        const checker = strapi
          .plugin('content-manager')
          .service('permission-checker')
          .create({ userAbility: ability, model: UID.invoice }) as {
          cannot: { read: (entity?: unknown) => boolean };
        };
        if (source && checker.cannot.read(source)) {
          throw new errors.ForbiddenError('You cannot duplicate an invoice you are not allowed to read.');
        }
      }
      Object.assign(data, {
        payments: { set: [] },
        state: 'draft',
        sentAt: null,
        viewedAt: null,
        paidAt: null,
        attemptLockToken: null,
        attemptLockUntil: null,
      });
    }
    context.params = { ...params, data } as typeof context.params;
    return next();
  };
}
