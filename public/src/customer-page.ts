/**
 * The logged-in client's invoice page (/invoice-payments/pay/invoice/<documentId>). The site links
 * to it with the users-permissions JWT in the fragment (#jwt=...): fragments never reach a server
 * or a Referer header. The script keeps it in sessionStorage for this tab and removes it from the
 * address bar at once.
 */
import { asLanguage } from '../../server/src/i18n/messages';
import { ApiError, createApi } from './api';
import { byId } from './dom';
import { pageData, t } from './page-data';
import { startInvoicePage } from './invoice-page';
import { startSavedMethods } from './saved-methods';

const STORE = 'invoice-payments:jwt';

export function takeJwt(): string | null {
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('jwt');
  try {
    if (fromHash) {
      sessionStorage.setItem(STORE, fromHash);
      history.replaceState(null, '', location.pathname + location.search);
      return fromHash;
    }
    return sessionStorage.getItem(STORE);
  } catch {
    return fromHash;
  }
}

export async function startCustomerPage(base: string, documentId: string): Promise<void> {
  const main = byId('invoice');
  const jwt = takeJwt();
  const tell = (text: string) => {
    main.innerHTML = '';
    const h = document.createElement('h1');
    h.id = 'invoice-title';
    h.textContent = t('customer.title');
    const p = document.createElement('p');
    p.textContent = text;
    main.append(h, p);
  };
  if (!jwt) return tell(t('customer.signIn'));
  // A ?lang= on the page is asked of the API too, so the invoice and the page's strings agree.
  // One the plugin does not ship is no choice (as on the pay link's page): the invoice's own wins.
  const here = new URL(location.href);
  const lang = asLanguage(here.searchParams.get('lang'))
    ? `?lang=${encodeURIComponent(pageData()?.language ?? '')}`
    : '';
  const api = createApi(base, documentId, {
    body: {},
    headers: { Authorization: `Bearer ${jwt}` },
    viewPath: `${base}/invoices/${encodeURIComponent(documentId)}${lang}`,
  });
  try {
    const view = await api.view();
    // The invoice has a language of its own (the page could not know it before the JWT was read):
    // load the page again in it, once, so its strings and the invoice agree.
    if (view.language !== pageData()?.language && !lang) {
      here.searchParams.set('lang', view.language);
      location.replace(here.toString());
      return;
    }
    startInvoicePage(view, api, { render: true });
    startSavedMethods(base, jwt, main);
  } catch (error) {
    tell(error instanceof ApiError && error.status === 404 ? t('customer.notFound') : t('customer.error'));
  }
}
