import type { NextStep } from '../../server/src/pages/render';
/**
 * The plugin's client API, called from the pay pages. The caller proves who it is with the
 * pay-link token (in the JSON body) or the customer's JWT (Authorization header).
 */
import type { InvoiceView } from '../../server/src/pages/view';
import { pageData, t } from './page-data';

export interface Auth {
  body: Record<string, string>;
  headers: Record<string, string>;
  /** GET this for the invoice view (a token URL or the customer URL). */
  viewPath: string;
}

export interface Intent {
  providerPaymentId: string;
  clientSecret: string;
  publishableKey: string;
  amount: number;
  portion: number;
  fee: number;
  currency: string;
  status?: string;
  nextAction?: NextStep | null;
}

export interface Settled {
  paymentStatus: string;
  failureMessage: string | null;
  nextAction?: NextStep | null;
  invoice: { state: string; balanceDue: number; amountPaid: number; currency: string };
}

export interface CheckoutSession {
  checkoutSessionId: string;
  url: string | null;
  clientSecret: string | null;
}

/** A refused call, with the server's message (written for the client). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
  }
}

async function call<T>(method: 'GET' | 'POST', url: string, auth: Auth, body?: Record<string, unknown>): Promise<T> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json' } : {}), ...auth.headers },
      body: body ? JSON.stringify({ ...auth.body, ...body }) : undefined,
    });
  } catch {
    throw new ApiError(0, t('drawer.serverUnreachable'));
  }
  const json = (await res.json().catch(() => null)) as { data?: T; error?: { message?: string; name?: string } } | null;
  if (!res.ok || !json || json.data === undefined) {
    throw new ApiError(res.status, json?.error?.message ?? t('drawer.error'), json?.error?.name ?? null);
  }
  return json.data;
}

export type Api = ReturnType<typeof createApi>;

export function createApi(base: string, documentId: string, auth: Auth) {
  const invoice = `${base}/invoices/${encodeURIComponent(documentId)}`;
  return {
    view: () => call<InvoiceView>('GET', auth.viewPath, auth),
    intent: (amount?: number) =>
      call<Intent>('POST', `${invoice}/payment-intent`, auth, amount === undefined ? {} : { amount }),
    confirm: (providerPaymentId: string) =>
      call<Settled>('POST', `${invoice}/confirm-payment`, auth, { providerPaymentId }),
    checkout: (uiMode: 'hosted' | 'embedded') =>
      // Checkout's own page in the language of this one.
      call<CheckoutSession>('POST', `${invoice}/checkout-session`, auth, { uiMode, language: pageData()?.language }),
    /** "Save for future invoices": the payment saves its method to the invoice's client once it succeeds. */
    saveMethod: (providerPaymentId: string, save: boolean) =>
      call<{ saving: boolean }>('POST', `${invoice}/save-method`, auth, { providerPaymentId, save }),
  };
}
