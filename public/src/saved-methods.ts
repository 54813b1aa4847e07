/**
 * The logged-in client's saved payment methods, under their invoice (customer page): brand or bank
 * and last four digits, the mandate reference of bank debits, "Remove" and "Make default". The
 * server checks every method belongs to this client; the list shown is always the server's answer.
 */
import { ApiError } from './api';
import { t } from './page-data';

interface Method {
  id: string;
  type: string;
  label: string | null;
  last4: string | null;
  expMonth: number | null;
  expYear: number | null;
  isDefault: boolean;
  expired: boolean;
  mandate: { id: string; reference: string | null } | null;
}
interface Listed {
  supported: boolean;
  message: string | null;
  methods: Method[];
}

const TYPES = { card: 'saved.card', sepa_debit: 'saved.sepa_debit', us_bank_account: 'saved.us_bank_account' } as const;
const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export function describeMethod(m: Method): string {
  const type = Object.prototype.hasOwnProperty.call(TYPES, m.type) ? TYPES[m.type as keyof typeof TYPES] : undefined;
  let text = m.type === 'card' && m.label ? cap(m.label) : (m.label ?? (type ? t(type) : m.type));
  if (m.last4) text = t('saved.endingIn', { method: text, last4: m.last4 });
  if (m.expMonth && m.expYear) {
    const date = `${String(m.expMonth).padStart(2, '0')}/${m.expYear}`;
    text = t(m.expired ? 'saved.expired' : 'saved.expires', { method: text, date });
  }
  return text;
}

export function startSavedMethods(base: string, jwt: string, after: HTMLElement): void {
  const section = document.createElement('section');
  section.className = 'sheet saved-methods';
  section.id = 'saved-methods';
  section.setAttribute('aria-labelledby', 'saved-methods-title');
  after.after(section);
  const headers = { Accept: 'application/json', Authorization: `Bearer ${jwt}` };

  async function call(method: 'GET' | 'POST' | 'DELETE', path: string): Promise<Listed> {
    let res: Response;
    try {
      res = await fetch(`${base}/saved-methods${path}`, { method, headers, credentials: 'same-origin' });
    } catch {
      throw new ApiError(0, t('drawer.serverUnreachable'));
    }
    const json = (await res.json().catch(() => null)) as { data?: Listed; error?: { message?: string } } | null;
    if (!res.ok || !json?.data) throw new ApiError(res.status, json?.error?.message ?? t('drawer.error'));
    return json.data;
  }

  function say(text: string, tone: 'error' | 'success'): void {
    const box = section.querySelector<HTMLElement>('#saved-methods-message')!;
    box.textContent = text;
    box.className = `message message-${tone}`;
    box.hidden = false;
  }

  function render(listed: Listed): void {
    section.innerHTML = '';
    const h = document.createElement('h2');
    h.id = 'saved-methods-title';
    h.textContent = t('saved.title');
    const message = document.createElement('p');
    message.id = 'saved-methods-message';
    message.setAttribute('role', 'status');
    message.hidden = true;
    section.append(h, message);
    if (!listed.supported) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = listed.message ?? t('saved.unavailable');
      section.append(p);
      return;
    }
    if (!listed.methods.length) {
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = t('saved.none');
      section.append(p);
      return;
    }
    const list = document.createElement('ul');
    list.className = 'method-list';
    for (const m of listed.methods) {
      const item = document.createElement('li');
      item.className = 'method';
      item.dataset.method = m.id;
      const text = document.createElement('span');
      text.className = 'method-name';
      text.textContent = describeMethod(m);
      item.append(text);
      if (m.isDefault) {
        const badge = document.createElement('span');
        badge.className = 'badge';
        badge.textContent = t('saved.default');
        item.append(' ', badge);
      }
      if (m.mandate) {
        const mandate = document.createElement('span');
        mandate.className = 'muted method-mandate';
        // SEPA mandates have a reference the bank shows; ACH mandates only Stripe's id.
        mandate.textContent = m.mandate.reference
          ? t('saved.mandate', { reference: m.mandate.reference })
          : t('saved.mandateId', { id: m.mandate.id });
        item.append(' ', mandate);
      }
      const actions = document.createElement('span');
      actions.className = 'method-actions';
      if (!m.isDefault && !m.expired)
        actions.append(
          button(t('saved.makeDefault'), t('saved.makeDefaultAria', { method: describeMethod(m) }), () =>
            act('POST', m, 'default'),
          ),
        );
      actions.append(
        button(t('saved.remove'), t('saved.removeAria', { method: describeMethod(m) }), () => act('DELETE', m, '')),
      );
      item.append(actions);
      list.append(item);
    }
    section.append(list);
  }

  function button(label: string, aria: string, run: () => Promise<void>): HTMLButtonElement {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link-button';
    b.textContent = label;
    b.setAttribute('aria-label', aria);
    b.addEventListener('click', () => {
      b.disabled = true;
      void run().finally(() => (b.disabled = false));
    });
    return b;
  }

  async function act(method: 'POST' | 'DELETE', m: Method, what: string): Promise<void> {
    try {
      const listed = await call(method, `/${encodeURIComponent(m.id)}${what ? `/${what}` : ''}`);
      render(listed);
      say(t(method === 'DELETE' ? 'saved.removed' : 'saved.nowDefault', { method: describeMethod(m) }), 'success');
    } catch (error) {
      say(error instanceof ApiError ? error.message : t('drawer.error'), 'error');
    }
  }

  call('GET', '')
    .then(render)
    .catch(() => {
      // The invoice stays usable; the list is an extra.
      section.hidden = true;
    });
}
