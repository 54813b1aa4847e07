/**
 * Entry point of the pay pages' script (built by scripts/build-public.js into
 * dist/public/pay.js). The server embeds what the page is about in a JSON block; no inline script.
 */
import { PAGE_DATA_ID, type PageData } from '../../server/src/pages/view';
import { payLinkBase } from '../../server/src/pages/render';
import { createApi } from './api';
import { startCustomerPage } from './customer-page';
import { startInvoicePage } from './invoice-page';
import { startPortal } from './portal';
import { showReturnLink } from './return-link';

function pageData(): PageData | null {
  const text = document.getElementById(PAGE_DATA_ID)?.textContent;
  if (!text) return null;
  try {
    return JSON.parse(text) as PageData; // written by the server (pages/documents.ts)
  } catch {
    return null;
  }
}

const data = pageData();
if (data?.page === 'invoice') {
  const { token } = data.auth;
  startInvoicePage(
    data.view,
    createApi(data.api, data.view.documentId, {
      body: { token },
      headers: {},
      viewPath: `${data.api}/pay/${encodeURIComponent(token)}`,
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
