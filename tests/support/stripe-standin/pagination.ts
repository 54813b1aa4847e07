/**
 * Stripe list semantics shared by every list endpoint: newest first, `limit` (1-100, default 10),
 * `starting_after` / `ending_before` cursors, `created` filters, and the list envelope
 * `{ object: 'list', data, has_more, url }`.
 *
 * Follows https://docs.stripe.com/api/pagination (cursors, limit 1-100) and the `created` RangeQueryParam of SDK 23.1.0 list params.
 */
import { StripeApiError } from './errors';
import type { ParamReader } from './form';
import type { JsonObject } from './types';

export interface Listable {
  id: string;
  seq: number;
  created: number;
  livemode: boolean;
}

export interface ListOptions<T extends Listable> {
  url: string;
  kind: string;
  livemode: boolean;
  /** Endpoint-specific filter params accepted besides the common ones. */
  filterParams?: readonly string[];
  filter?: (item: T) => boolean;
  render: (item: T) => JsonObject;
}

const COMMON_PARAMS = ['limit', 'starting_after', 'ending_before', 'created', 'expand'] as const;

/** `created=123` or `created[gte]=123&created[lt]=456`. */
export function createdFilter(reader: ParamReader, key = 'created'): (created: number) => boolean {
  if (!reader.has(key)) return () => true;
  const exact = reader.params[key];
  if (typeof exact === 'string') {
    const value = reader.integer(key);
    return (created) => created === value;
  }
  const range = reader.object(key);
  if (!range) return () => true;
  range.assertKnown(['gt', 'gte', 'lt', 'lte']);
  const gt = range.integer('gt');
  const gte = range.integer('gte');
  const lt = range.integer('lt');
  const lte = range.integer('lte');
  return (created) =>
    (gt === undefined || created > gt) &&
    (gte === undefined || created >= gte) &&
    (lt === undefined || created < lt) &&
    (lte === undefined || created <= lte);
}

export function readLimit(reader: ParamReader): number {
  const limit = reader.integer('limit') ?? 10;
  if (limit < 1) throw StripeApiError.invalidRequest('This value must be greater than or equal to 1.', 'limit');
  if (limit > 100) throw StripeApiError.invalidRequest('This value must be less than or equal to 100.', 'limit');
  return limit;
}

export function listObjects<T extends Listable>(
  items: Iterable<T>,
  reader: ParamReader,
  options: ListOptions<T>,
): JsonObject {
  reader.assertKnown([...COMMON_PARAMS, ...(options.filterParams ?? [])]);
  const limit = readLimit(reader);
  const inRange = createdFilter(reader);
  const all = [...items]
    .filter((item) => item.livemode === options.livemode && inRange(item.created))
    .filter((item) => (options.filter ? options.filter(item) : true))
    .sort((a, b) => b.seq - a.seq);

  const startingAfter = reader.string('starting_after');
  const endingBefore = reader.string('ending_before');
  let page: T[];
  let hasMore: boolean;
  if (startingAfter) {
    const index = all.findIndex((item) => item.id === startingAfter);
    if (index < 0) throw StripeApiError.resourceMissing(options.kind, startingAfter, 'starting_after');
    page = all.slice(index + 1, index + 1 + limit);
    hasMore = index + 1 + limit < all.length;
  } else if (endingBefore) {
    const index = all.findIndex((item) => item.id === endingBefore);
    if (index < 0) throw StripeApiError.resourceMissing(options.kind, endingBefore, 'ending_before');
    const start = Math.max(0, index - limit);
    page = all.slice(start, index);
    hasMore = start > 0;
  } else {
    page = all.slice(0, limit);
    hasMore = all.length > limit;
  }
  return { object: 'list', data: page.map(options.render), has_more: hasMore, url: options.url };
}
