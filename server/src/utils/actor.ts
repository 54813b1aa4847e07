import type { Context } from 'koa';
import type { Actor } from '../services/settings';

/** The admin behind an admin-API request, for audit entries. */
export function adminActor(ctx: Context): Actor {
  const user = ctx.state.user as { id?: number; email?: string } | undefined;
  return { type: 'admin', id: user?.id ?? null, label: user?.email ?? null, ip: ctx.request.ip };
}
