import { deepEncodeQueryValues, useQueryParams, withEncodedUserParams } from '@strapi/strapi/admin';

interface ListQuery {
  page?: string;
  pageSize?: string;
  _q?: string;
  filters?: Record<string, string | undefined>;
}

// A constant: useQueryParams memoizes on this object's identity.
const DEFAULT_QUERY: ListQuery = { page: '1', pageSize: '25' };

/**
 * A list's state in the URL, the way Strapi's own lists keep it: `page`, `pageSize`, the search
 * text in `_q` and the other filters under `filters[...]`. Strapi's query helper writes the URL
 * without encoding, and its pager re-encodes only `_q` and `filters`, so every text value lives
 * there and is encoded here: a search for "Smith & Co" survives paging and page-size changes.
 */
export function useListQuery() {
  const [{ query }, setQuery] = useQueryParams<ListQuery>(DEFAULT_QUERY);
  const filters = query.filters ?? {};

  /** Changes filters and/or the search; any change goes back to page 1. Empty values are dropped. */
  const update = (next: { search?: string; filters?: Record<string, string> }) => {
    const merged = Object.fromEntries(
      Object.entries({ ...filters, ...next.filters }).filter(([, v]) => v !== undefined && v !== ''),
    );
    setQuery(
      withEncodedUserParams(query, {
        page: '1',
        filters: deepEncodeQueryValues(merged),
        ...(next.search !== undefined ? { _q: encodeURIComponent(next.search) } : {}),
      }),
      'push',
      true,
    );
  };

  return {
    page: query.page,
    pageSize: query.pageSize,
    search: query._q ?? '',
    filters,
    setSearch: (search: string) => update({ search }),
    setFilters: (next: Record<string, string>) => update({ filters: next }),
  };
}
