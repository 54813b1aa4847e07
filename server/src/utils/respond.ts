import type { Context } from 'koa';
import { ZodError } from 'zod';
import { badRequest, isAnswerable, statusOf } from './errors';

/** zod issues → Strapi-style field problems with a message per field. */
export function fromZod(error: ZodError) {
  const message = error.issues
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join(' ');
  return badRequest(
    message,
    error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
  );
}

/** Runs a controller body; known errors become their status and message, nothing else leaks. */
export async function respond(ctx: Context, run: () => Promise<unknown>): Promise<void> {
  try {
    const body = await run();
    if (body !== undefined) ctx.body = body;
  } catch (error) {
    const known = error instanceof ZodError ? fromZod(error) : error;
    if (isAnswerable(known)) {
      const status = statusOf(known);
      ctx.status = status;
      ctx.body = {
        data: null,
        error: { status, name: known.name, message: known.message, details: known.details ?? {} },
      };
      return;
    }
    throw error;
  }
}
