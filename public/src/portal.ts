/**
 * The client portal (/invoice-payments/portal): the logged-in client's invoices with totals and
 * filters, their PDFs and receipts, saved payment methods, and several open invoices paid at once
 * through the card drawer with one multi-invoice payment (portal API, docs/api.md). The JWT comes
 * in the fragment (#jwt=...), as on the customer invoice page. Every sentence comes from the page
 * (the `portal.*` strings of the client's language, page-data.ts `t`); the API is asked for its
 * messages and amounts in the same language (`?lang=`).
 */
import { formatMinor, minorToMajorString, parseMajorToMinor } from '../../server/src/domain/money';
import type { InvoiceView } from '../../server/src/pages/view';
import { ApiError, type Api, type Intent, type Settled } from './api';
import { createCardDrawer } from './card-drawer';
import { takeJwt } from './customer-page';
import { byId } from './dom';
import { pageData, t } from './page-data';
import { startSavedMethods } from './saved-methods';

type Filter = 'all' | 'open' | 'overdue' | 'paid';

interface PortalInvoice {
  id: string;
  number: string;
  state: string;
  kind: 'open' | 'overdue' | 'paid' | 'void';
  payable: boolean;
  currency: string;
  total: number;
  balanceDue: number;
  totalFormatted: string;
  balanceFormatted: string;
  issueDate: string | null;
  dueDate: string | null;
  pdfUrl: string;
}

interface Listing {
  invoices: PortalInvoice[];
  totals: Record<string, { openFormatted: string; overdueFormatted: string; paidFormatted: string }>;
  /** The admin allows partial payments: each selected invoice gets an amount field. */
  partialPayments: boolean;
}

interface Group {
  id: string;
  providerPaymentId: string;
  clientSecret?: string;
  publishableKey?: string;
  status: string;
  amount: number;
  currency: string;
  allocation: Array<{
    invoice: string;
    portion: number;
    fee: number;
    invoiceState: string | null;
    balanceDue: number | null;
  }>;
}

/** Numbers and dates in the page's locale (the server chose it with the language). */
const LOCALE = pageData()?.intl ?? 'en-US';
const LANG = pageData()?.language ?? 'en';
const KIND_KEY = {
  open: 'portal.kindOpen',
  overdue: 'portal.kindOverdue',
  paid: 'portal.kindPaid',
  void: 'portal.kindVoid',
} as const;
const FILTER_KEY = {
  all: 'portal.filterAll',
  open: 'portal.filterOpen',
  overdue: 'portal.filterOverdue',
  paid: 'portal.filterPaid',
} as const;

/** An amount to type over, with the locale's decimal mark (4,99 in German), no grouping or symbol. */
function typedAmount(minor: number, currency: string): string {
  const mark = new Intl.NumberFormat(LOCALE).formatToParts(1.5).find((p) => p.type === 'decimal')?.value ?? '.';
  return minorToMajorString(minor, currency).replace('.', mark);
}

/** An ISO date (YYYY-MM-DD) as the client writes dates; as given when it is not one. */
function formatDate(iso: string | null): string {
  if (!iso) return '';
  const date = new Date(`${iso.slice(0, 10)}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return iso;
  return new Intl.DateTimeFormat(LOCALE, { dateStyle: 'medium', timeZone: 'UTC' }).format(date);
}

export function startPortal(base: string): void {
  const main = byId('invoice');
  const jwt = takeJwt();
  const tell = (text: string) => {
    main.innerHTML = '';
    const h = document.createElement('h1');
    h.id = 'portal-title';
    h.textContent = t('portal.title');
    const p = document.createElement('p');
    p.textContent = text;
    main.append(h, p);
  };
  if (!jwt) return tell(t('portal.signIn'));
  const headers = { Accept: 'application/json', Authorization: `Bearer ${jwt}` };

  async function call<R>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<R> {
    let res: Response;
    try {
      // The page's language for the API's messages and amounts (other callers get English).
      const url = `${base}${path}${path.includes('?') ? '&' : '?'}lang=${encodeURIComponent(LANG)}`;
      res = await fetch(url, {
        method,
        credentials: 'same-origin',
        headers: { ...headers, ...(body ? { 'Content-Type': 'application/json' } : {}) },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch {
      throw new ApiError(0, t('portal.failed'));
    }
    const json = (await res.json().catch(() => null)) as {
      data?: R;
      error?: { message?: string; name?: string };
    } | null;
    if (!res.ok || !json || json.data === undefined)
      throw new ApiError(res.status, json?.error?.message ?? t('portal.failed'), json?.error?.name ?? null);
    return json.data;
  }

  /** A PDF behind the JWT: fetched with it, then saved from a blob URL (a link cannot send the header). */
  async function download(url: string, name: string, note: HTMLElement): Promise<void> {
    try {
      // A ?lang= on the portal picks the documents' language too (as on the customer page); else
      // the invoice's own language, then the browser's, decide, as for every client document.
      const lang = new URL(location.href).searchParams.has('lang') ? `?lang=${encodeURIComponent(LANG)}` : '';
      const res = await fetch(`${url}${lang}`, {
        headers: { Authorization: `Bearer ${jwt}` },
        credentials: 'same-origin',
      });
      if (!res.ok) throw new Error(String(res.status));
      const blob = await res.blob();
      const a = document.createElement('a');
      a.href = URL.createObjectURL(blob);
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
    } catch {
      note.textContent = t('portal.downloadFailed');
      note.className = 'message message-error';
      note.hidden = false;
    }
  }

  let filter: Filter = 'all';
  let listing: Listing = { invoices: [], totals: {}, partialPayments: false };
  const selected = new Set<string>();
  /** Partial payments: what the client typed per invoice (major units, as typed). */
  const typed = new Map<string, string>();

  /** The amount to pay on an invoice, minor units; null when what was typed is not an amount. */
  function amountOf(inv: PortalInvoice): number | null {
    const text = typed.get(inv.id);
    if (!listing.partialPayments || text === undefined) return inv.balanceDue;
    try {
      return parseMajorToMinor(text.trim().replace(',', '.'), inv.currency);
    } catch {
      return null;
    }
  }
  let savedStarted = false;

  function el<K extends keyof HTMLElementTagNameMap>(
    tag: K,
    props: Record<string, unknown> = {},
    ...kids: Array<Node | string>
  ): HTMLElementTagNameMap[K] {
    const node = document.createElement(tag);
    Object.assign(node, props);
    node.append(...kids);
    return node;
  }

  function selection(): PortalInvoice[] {
    return listing.invoices.filter((i) => selected.has(i.id) && i.payable);
  }

  function render(): void {
    main.innerHTML = '';
    const head = el('header', { className: 'inv-head' }, el('h1', { id: 'portal-title' }, t('portal.title')));
    const filters = el('div', { className: 'portal-filters', role: 'group' });
    filters.setAttribute('aria-label', t('portal.filterLabel'));
    for (const f of ['all', 'open', 'overdue', 'paid'] as const) {
      const b = el('button', { type: 'button', className: 'link-button filter', textContent: t(FILTER_KEY[f]) });
      b.dataset.filter = f;
      b.setAttribute('aria-pressed', String(f === filter));
      b.addEventListener('click', () => {
        filter = f;
        void load();
      });
      filters.append(b);
    }
    const totals = el('dl', { className: 'portal-totals', id: 'portal-totals' });
    for (const [cur, sums] of Object.entries(listing.totals))
      totals.append(
        el(
          'div',
          {},
          el('dt', {}, cur),
          el(
            'dd',
            {},
            [
              t('portal.totalOpen', { amount: sums.openFormatted }),
              t('portal.totalOverdue', { amount: sums.overdueFormatted }),
              t('portal.totalPaid', { amount: sums.paidFormatted }),
            ].join(' · '),
          ),
        ),
      );
    const note = el('p', { className: 'message', id: 'portal-message', hidden: true });
    note.setAttribute('role', 'alert');
    main.append(head, filters, totals, note);
    if (!listing.invoices.length) {
      main.append(el('p', { className: 'muted', id: 'portal-empty' }, t('portal.none')));
    } else {
      const table = el('table', { className: 'lines portal-invoices', id: 'portal-invoices' });
      table.append(
        el(
          'thead',
          {},
          el(
            'tr',
            {},
            ...[
              t('portal.colSelect'),
              t('portal.colNumber'),
              t('portal.colIssued'),
              t('portal.colDue'),
              t('portal.colTotal'),
              t('portal.colBalance'),
              t('portal.colStatus'),
              t('portal.colDocuments'),
              ...(listing.partialPayments ? [t('portal.colAmount')] : []),
            ].map((c) => el('th', { scope: 'col' }, c)),
          ),
        ),
      );
      const body = el('tbody');
      for (const inv of listing.invoices) {
        const tr = el('tr', { id: `inv-${inv.id}` });
        tr.dataset.number = inv.number;
        const box = el('input', { type: 'checkbox', disabled: !inv.payable, checked: selected.has(inv.id) });
        box.setAttribute('aria-label', t('portal.selectInvoice', { number: inv.number }));
        box.addEventListener('change', () => {
          if (box.checked) selected.add(inv.id);
          else selected.delete(inv.id);
          updatePay();
        });
        const pdf = el('button', {
          type: 'button',
          className: 'link-button pdf',
          textContent: t('portal.downloadPdf'),
        });
        pdf.addEventListener('click', () => void download(inv.pdfUrl, `invoice-${inv.number}.pdf`, note));
        const receipts = el('button', {
          type: 'button',
          className: 'link-button receipts-toggle',
          textContent: t('portal.receipts'),
        });
        const list = el('ul', { className: 'receipts', hidden: true });
        receipts.addEventListener('click', () => void showReceipts(inv, list, note));
        tr.append(
          el('td', {}, box),
          el('td', {}, inv.number),
          el('td', { className: 'date' }, formatDate(inv.issueDate)),
          el('td', { className: 'date' }, formatDate(inv.dueDate)),
          el('td', { className: 'num' }, inv.totalFormatted),
          el('td', { className: 'num' }, inv.balanceFormatted),
          el(
            'td',
            {},
            el('span', { className: `badge badge-${inv.kind === 'open' ? 'sent' : inv.kind}` }, t(KIND_KEY[inv.kind])),
          ),
          el('td', {}, pdf, ' ', ...(inv.kind !== 'paid' && inv.balanceDue === inv.total ? [] : [receipts]), list),
        );
        if (listing.partialPayments) {
          const amount = el('input', {
            className: 'portal-amount',
            inputMode: 'decimal',
            disabled: !inv.payable,
            value: typed.get(inv.id) ?? (inv.payable ? typedAmount(inv.balanceDue, inv.currency) : ''),
          });
          amount.setAttribute('aria-label', t('portal.amountFor', { number: inv.number, currency: inv.currency }));
          amount.addEventListener('input', () => {
            typed.set(inv.id, amount.value);
            updatePay();
          });
          tr.append(el('td', {}, amount));
        }
        body.append(tr);
      }
      table.append(body);
      main.append(table);
    }
    const pay = el('button', { type: 'button', className: 'pay-button', id: 'portal-pay', disabled: true });
    pay.addEventListener('click', openDrawer);
    main.append(el('div', { className: 'pay-area' }, pay));
    updatePay();
    if (!savedStarted) {
      savedStarted = true;
      startSavedMethods(base, jwt!, main);
    }
  }

  function updatePay(): void {
    const pay = document.getElementById('portal-pay') as HTMLButtonElement | null;
    if (!pay) return;
    const chosen = selection();
    const currencies = new Set(chosen.map((i) => i.currency));
    const note = document.getElementById('portal-message')!;
    const bad = chosen.find((i) => amountOf(i) === null);
    // A problem with the selection itself is shown (and cleared) here; other messages are left alone.
    const problem =
      currencies.size > 1 ? t('portal.mixedCurrencies') : bad ? t('portal.badAmount', { number: bad.number }) : null;
    if (problem) {
      note.textContent = problem;
      note.className = 'message message-error';
      note.dataset.selection = 'true';
      note.hidden = false;
    } else if (note.dataset.selection) {
      delete note.dataset.selection;
      note.hidden = true;
    }
    pay.disabled = chosen.length === 0 || currencies.size > 1 || !!bad;
    pay.textContent =
      chosen.length && currencies.size === 1 && !bad
        ? t('portal.paySum', {
            amount: formatMinor(
              chosen.reduce((s, i) => s + amountOf(i)!, 0),
              chosen[0]!.currency,
              LOCALE,
            ),
          })
        : t('portal.payNone');
  }

  async function showReceipts(inv: PortalInvoice, list: HTMLElement, note: HTMLElement): Promise<void> {
    try {
      const rows = await call<Array<{ id: string; amountFormatted: string; url: string }>>(
        'GET',
        `/portal/invoices/${encodeURIComponent(inv.id)}/receipts`,
      );
      list.innerHTML = '';
      if (!rows.length) list.append(el('li', { className: 'muted' }, t('portal.noReceipts')));
      rows.forEach((r, i) => {
        const b = el('button', {
          type: 'button',
          className: 'link-button receipt',
          textContent: t('portal.receipt', { n: i + 1, amount: r.amountFormatted }),
        });
        b.addEventListener('click', () => void download(r.url, `receipt-${inv.number}-${i + 1}.pdf`, note));
        list.append(el('li', {}, b));
      });
      list.hidden = false;
    } catch (error) {
      note.textContent = error instanceof ApiError ? error.message : t('portal.failed');
      note.className = 'message message-error';
      note.hidden = false;
    }
  }

  /** The card drawer, given the group as if it were one invoice (its API and view adapted). */
  function openDrawer(): void {
    const chosen = selection();
    if (!chosen.length) return;
    const currency = chosen[0]!.currency;
    const amounts = Object.fromEntries(chosen.map((i) => [i.id, amountOf(i)!]));
    const sum = chosen.reduce((s, i) => s + amounts[i.id]!, 0);
    const numbers = chosen.map((i) => i.number).join(', ');
    const requestKey = `portal-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
    let group: Group | null = null;
    const view = {
      documentId: chosen[0]!.id,
      number: numbers,
      state: 'sent',
      stateLabel: '',
      currency,
      exponent: 2,
      locale: LOCALE,
      language: LANG,
      billingName: null,
      billingEmail: null,
      issueDate: null,
      dueDate: null,
      notes: null,
      lines: [],
      subtotal: '',
      discount: null,
      tax: null,
      taxRate: null,
      total: '',
      amountPaid: null,
      amountRefunded: null,
      balanceDue: formatMinor(sum, currency, LOCALE),
      balanceDueMinor: sum,
      notice: null,
      pending: null,
      pay: {
        mode: 'payment_element',
        publishableKey: '',
        amount: sum,
        amountFormatted: formatMinor(sum, currency, LOCALE),
        feeFormatted: null,
        partial: null,
        canSaveMethod: false,
      },
      seller: null,
    } satisfies InvoiceView;
    const api = {
      view: () => Promise.resolve(view),
      async intent(): Promise<Intent> {
        group = await call<Group>('POST', '/portal/payments', {
          invoices: chosen.map((i) => i.id),
          // Only what differs from the balance: the server checks it against the admin's limits.
          amounts: Object.fromEntries(
            chosen.filter((i) => amounts[i.id] !== i.balanceDue).map((i) => [i.id, amounts[i.id]]),
          ),
          requestKey,
        });
        // The drawer loads Stripe.js with the view's key once the payment exists.
        view.pay.publishableKey = group.publishableKey ?? '';
        const fee = group.allocation.reduce((s, a) => s + a.fee, 0);
        return {
          providerPaymentId: group.providerPaymentId,
          clientSecret: group.clientSecret ?? '',
          publishableKey: group.publishableKey ?? '',
          amount: group.amount,
          portion: group.amount - fee,
          fee,
          currency: group.currency,
          status: group.status,
          nextAction: null,
        };
      },
      async confirm(): Promise<Settled> {
        const g = await call<Group>('POST', `/portal/payments/${encodeURIComponent(group!.id)}/confirm`, {});
        const allPaid = g.allocation.every((a) => a.invoiceState === 'paid');
        return {
          paymentStatus: g.status,
          failureMessage: null,
          invoice: {
            state: allPaid ? 'paid' : 'partially_paid',
            balanceDue: g.allocation.reduce((s, a) => s + (a.balanceDue ?? 0), 0),
            amountPaid: g.amount,
            currency: g.currency,
          },
        };
      },
      checkout: () => Promise.reject(new ApiError(409, t('portal.failed'))),
      saveMethod: () => Promise.resolve({ saving: false }),
    } satisfies Api;
    createCardDrawer({
      api,
      view: () => view,
      background: main,
      paidText: () => t(chosen.length > 1 ? 'portal.paidAll' : 'drawer.successPaid'),
      refresh: async () => {
        selected.clear();
        // What was typed was for the balances before this payment.
        typed.clear();
        await load();
      },
    }).open();
    const title = document.getElementById('drawer-title');
    if (title)
      title.textContent =
        chosen.length === 1 ? t('page.invoiceNumber', { number: numbers }) : t('portal.drawerTitle', { numbers });
  }

  async function load(): Promise<void> {
    try {
      listing = await call<Listing>('GET', `/portal/invoices?filter=${filter}`);
      render();
    } catch (error) {
      tell(error instanceof ApiError && error.status === 401 ? t('portal.expired') : t('portal.failed'));
    }
  }

  void load();
}
