/**
 * The logged-in client's invoice page (/invoice-payments/pay/invoice/<documentId>). The site links
 * to it with the users-permissions JWT in the fragment (#jwt=...): fragments never reach a server
 * or a Referer header. The script keeps it in sessionStorage for this tab and removes it from the
 * address bar at once.
 */
import { ApiError, createApi } from './api';
import { byId } from './dom';
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
    h.textContent = 'We couldn’t show this invoice';
    const p = document.createElement('p');
    p.textContent = text;
    main.append(h, p);
  };
  if (!jwt) return tell('Please sign in on our website and open the invoice from your account again.');
  const api = createApi(base, documentId, {
    body: {},
    headers: { Authorization: `Bearer ${jwt}` },
    viewPath: `${base}/invoices/${encodeURIComponent(documentId)}`,
  });
  try {
    startInvoicePage(await api.view(), api, { render: true });
    startSavedMethods(base, jwt, main);
  } catch (error) {
    tell(
      error instanceof ApiError && error.status === 404
        ? 'This invoice was not found in your account. Your session may have expired: please sign in again.'
        : 'Something went wrong. Please try again in a moment.',
    );
  }
}
