import { isFetchError } from '@strapi/strapi/admin';
import type { ApiErrorBody } from './types';

/** What a failed admin API call tells the admin: a sentence and, per field, what is wrong. */
export interface ApiProblem {
  status: number | null;
  name: string | null;
  message: string;
  fields: Record<string, string>;
}

/**
 * The plugin answers `{ error: { status, name, message, details: { errors: [{ path, message }] } } }`
 * with human messages; `useFetchClient` throws a FetchError carrying that body.
 */
export function readApiError(error: unknown, fallback: string): ApiProblem {
  if (isFetchError(error)) {
    const body = (error.response?.data ?? undefined) as ApiErrorBody | undefined;
    const fields: Record<string, string> = {};
    for (const e of body?.error?.details?.errors ?? []) {
      const key = e.path[0] ?? 'form';
      fields[key] ??= e.message;
      // A nested field ("branding.accentColor") under its whole path too, for forms of a section.
      if (e.path.length > 1) fields[e.path.join('.')] ??= e.message;
    }
    return {
      status: body?.error?.status ?? (typeof error.status === 'number' ? error.status : null),
      name: body?.error?.name ?? null,
      message: body?.error?.message || fallback,
      fields,
    };
  }
  return { status: null, name: null, message: fallback, fields: {} };
}

/** Query string from the set values only (URLSearchParams encodes them; Strapi's client does not). */
export function withQuery(path: string, params: Record<string, string | number | boolean | null | undefined>): string {
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') search.set(k, String(v));
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * A refund dialog's idempotency key: the server accepts [A-Za-z0-9_-]{8,64}. randomUUID exists only
 * in secure contexts (HTTPS, localhost); getRandomValues everywhere.
 */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID().replace(/-/g, '');
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
