import { Pagination } from '@strapi/strapi/admin';
import type { Pagination as PaginationInfo } from '../utils/types';

/** Strapi's own pagination (page and pageSize live in the URL, like the Content Manager's lists). */
export const ListFooter = ({ pagination }: { pagination: PaginationInfo | undefined }) =>
  pagination ? (
    <Pagination.Root pageCount={pagination.pageCount} total={pagination.total} defaultPageSize={pagination.pageSize}>
      <Pagination.PageSize options={['10', '25', '50', '100']} />
      <Pagination.Links />
    </Pagination.Root>
  ) : null;
