import type { Context } from 'koa';
import type { Actor } from '../services/settings';

/** The admin behind an admin-API request, for audit entries. */
export function adminActor(ctx: Context): Actor {
  const user = ctx.state.user as { id?: number; email?: string } | undefined;
  return { type: 'admin', id: user?.id ?? null, label: user?.email ?? null, ip: ctx.request.ip };
}

/**
 * A payment provider acting (its webhook, its report of a refund made in its dashboard). Stored as
 * actor type `stripe`, the value audit entries have carried since the plugin's first version (an
 * enumeration column); the label names the gateway. Renaming the stored value needs a migration
 * of existing audit rows.
 */
export function providerActor(provider: { label: string }, label = provider.label, ip?: string): Actor {
  return { type: 'stripe', label, ...(ip ? { ip } : {}) };
}
