/**
 * Entry point of the pay pages' script (built by scripts/build-public.js into
 * dist/public/pay.js). The server embeds what the page is about in a JSON block; no inline script.
 */
import { payLinkBase } from '../../server/src/pages/render';
import { createApi } from './api';
import { startCustomerPage } from './customer-page';
import { startInvoicePage } from './invoice-page';
import { pageData } from './page-data';
import { startPortal } from './portal';
import { showReturnLink } from './return-link';

const data = pageData();
if (data?.page === 'invoice') {
  const { token } = data.auth;
  startInvoicePage(
    data.view,
    createApi(data.api, data.view.documentId, {
      body: { token },
      headers: {},
      // The refreshed view in this page's language (its strings are already here).
      viewPath: `${data.api}/pay/${encodeURIComponent(token)}?lang=${encodeURIComponent(data.language)}`,
    }),
    { linkBase: payLinkBase(token) },
  );
} else if (data?.page === 'customer') {
  void startCustomerPage(data.api, data.documentId);
} else if (data?.page === 'portal') {
  startPortal(data.api);
} else if (data?.page === 'result') {
  showReturnLink(data.documentId);
}
