import type { PaymentsEnv } from './payments';

/** The plugin's admin API as the invoice editor's screens call it (admin session by default). */
export const editorApi =
  (env: () => PaymentsEnv) =>
  (method: 'get' | 'post' | 'put', path: string, body?: unknown, auth = env().admin.auth) => {
    const req = env().app.http()[method](`/invoice-payments${path}`).set(auth);
    return body === undefined ? req : req.send(body as object);
  };

let seq = 0;
/** An editor form as an admin fills it in (major units, as typed), with a unique number. */
export const editorForm =
  (prefix: string, defaults: Record<string, unknown>) =>
  (over: Record<string, unknown> = {}) => ({
    number: `${prefix}-${Date.now()}-${(seq += 1)}`,
    currency: 'USD',
    customer: null,
    billingName: 'Ada Lovelace',
    billingEmail: 'ada@example.test',
    issueDate: '2026-11-30',
    dueDate: '2026-12-14',
    taxRate: '',
    discount: '',
    notes: '',
    ...defaults,
    ...over,
  });
