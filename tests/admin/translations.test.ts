import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createIntl } from 'react-intl';
import en from '../../admin/src/translations/en.json';
import fr from '../../admin/src/translations/fr.json';

/** Every string the admin shows is translated: same keys in every language, valid ICU messages. */
const SRC = path.resolve(__dirname, '../../admin/src');
const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((f) =>
    statSync(path.join(dir, f)).isDirectory() ? files(path.join(dir, f)) : /\.tsx?$/.test(f) ? [path.join(dir, f)] : [],
  );

/** Static translation ids in the source: t('id', …), m('id', …), getTranslation('id'). */
function idsInSource(): Set<string> {
  const ids = new Set<string>();
  for (const file of files(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\b(?:t|m|getTranslation)\(\s*'([a-zA-Z]+(?:\.[a-zA-Z_]+)+)'/g)) ids.add(m[1]!);
    for (const m of text.matchAll(/\[\s*'((?:amount|payments|webhooks|audit)\.[a-zA-Z.]+)',\s*'/g)) ids.add(m[1]!);
  }
  return ids;
}

describe('translations', () => {
  it('French has exactly the English keys, none empty', () => {
    expect(Object.keys(fr).sort()).toEqual(Object.keys(en).sort());
    for (const [key, value] of Object.entries(fr)) expect([key, value.trim().length > 0]).toEqual([key, true]);
  });

  it('every id the source uses exists in English', () => {
    const ids = idsInSource();
    expect(ids.size).toBeGreaterThan(150);
    const missing = [...ids].filter((id) => !(id in en));
    expect(missing).toEqual([]);
  });

  it.each([
    ['en', en],
    ['fr', fr],
  ])('%s messages are valid ICU and keep the English placeholders', (locale, messages) => {
    const errors: string[] = [];
    const intl = createIntl({ locale, messages, onError: (e) => errors.push(String(e)) });
    const sample = {
      accountId: 'acct_1',
      number: 'INV-1',
      balance: '$1.00',
      amount: '$1.00',
      max: '$1.00',
      currency: 'USD',
      exponent: 2,
      count: 2,
      time: 'now',
      type: 't',
      status: 's',
      email: 'a@b.c',
      label: 'L',
      pkMode: 'test',
      skMode: 'live',
      // Audit sentences (admin/src/utils/auditSentence.ts) and the payment history.
      actor: 'Ada',
      method: 'cheque',
      reference: '1042',
      reason: 'r',
      failureCode: 'card_declined',
      next: 'n',
      ended: '1',
      effect: 'e',
      failureReason: 'f',
      to: 'a@b.c',
      payments: '1',
      kind: 'k',
      attempts: '3',
      eventId: 'evt_1',
      fields: 'x',
      action: 'a.b',
      id: 'pi_1',
      // The invoice editor and void dialog.
      days: '14',
      paid: '$1.00',
      n: '1',
      total: '$1.00',
      previousTotal: '$1.00',
      lines: '3',
      from: 'INV-1',
      // The dashboard.
      collected: '$1.00',
      refunded: '$1.00',
      // Settings → Payment methods.
      configurationName: 'Cards and wallets',
      domain: 'billing.example.com',
      // Payment reminders.
      reminder: 'due',
      why: 'paid',
      name: 'On the due date',
      when: '20 Mar 2031, 09:00',
      timeZone: 'UTC',
      // A payment's provider by name (payment history, refund dialog).
      provider: 'Mollie',
      // The API drift warning (Webhooks).
      version: '2025-03-31.basil',
      versions: '2025-03-31.basil',
      pinned: '2026-10-28.endive',
      // Autopay and saved payment methods.
      attemptNo: '1',
      code: 'card_declined',
      clientId: '7',
      last4: '4242',
      message: 'Your card was declined.',
      // A multi-invoice payment ended as abandoned (the sweep).
      afterMinutes: '10',
      // The client's language (Settings, invoice editor).
      language: 'Français',
    };
    for (const [id, message] of Object.entries(messages)) {
      intl.formatMessage({ id }, sample);
      // An argument is `{name}` or `{name, plural, …}`; plural branches (`{# items}`) are text.
      const placeholders = (s: string) => [...new Set([...s.matchAll(/\{(\w+)(?=[,}])/g)].map((m) => m[1]))].sort();
      expect([id, placeholders(message)]).toEqual([id, placeholders((en as Record<string, string>)[id]!)]);
    }
    expect(errors).toEqual([]);
  });
});
