import { timingSafeEqual } from 'node:crypto';
import type { Core } from '@strapi/strapi';
import type { Context } from 'koa';
import { UID } from './plugin-id';
import { notFound } from './errors';
import type { InvoiceRow } from '../services/invoices';
import type { Actor } from '../services/settings';

/** Exact, constant-time comparison (MySQL/MariaDB's default collation matches tokens case-insensitively). */
export function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * The logged-in users-permissions user, if the request carries a valid JWT of a user who still
 * exists and is not blocked (as users-permissions' own authentication requires: a token outlives
 * the admin's Block).
 */
export async function currentUserId(strapi: Core.Strapi, ctx: Context): Promise<number | null> {
  if (!ctx.request.header.authorization) return null;
  let id: number;
  try {
    const payload = (await strapi.plugin('users-permissions').service('jwt').getToken(ctx)) as { id?: number } | null;
    if (typeof payload?.id !== 'number') return null;
    id = payload.id;
  } catch {
    return null;
  }
  const user = (await strapi.db
    .query('plugin::users-permissions.user')
    .findOne({ where: { id }, select: ['id', 'blocked'] })) as { id: number; blocked?: boolean | null } | null;
  return user && !user.blocked ? user.id : null;
}

/**
 * The invoice a client may act on: they hold its pay-link token, or they are its customer.
 * Anyone else gets the same 404 as for a missing invoice, so ids reveal nothing.
 */
export async function clientInvoice(strapi: Core.Strapi, ctx: Context): Promise<{ invoice: InvoiceRow; actor: Actor }> {
  const documentId = String(ctx.params.id ?? '');
  const body = (ctx.request.body ?? {}) as { token?: unknown };
  const token = typeof body.token === 'string' ? body.token : null;
  const invoice = /^[a-z0-9]{10,40}$/.test(documentId)
    ? ((await strapi.db.query(UID.invoice).findOne({ where: { documentId }, populate: ['customer'] })) as
        (InvoiceRow & { customer?: { id: number } | null }) | null)
    : null;
  if (invoice) {
    if (token && invoice.payToken && sameToken(token, invoice.payToken)) {
      return { invoice, actor: { type: 'client', label: 'pay link', ip: ctx.request.ip } };
    }
    const userId = await currentUserId(strapi, ctx);
    if (userId !== null && invoice.customer?.id === userId) {
      return { invoice, actor: { type: 'client', id: userId, label: 'customer', ip: ctx.request.ip } };
    }
  }
  throw notFound('Invoice not found.');
}
