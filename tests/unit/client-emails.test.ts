import { NEUTRAL_BRAND } from '../../server/src/branding/brand';
import { clientFailureMail, oneLine, type InvoiceForMail } from '../../server/src/services/notifications';
import { reminderText } from '../../server/src/services/reminders';

/** The client's emails in the client's language: reminders and a failed bank debit. */
const invoice: InvoiceForMail = {
  documentId: 'abcdefghij0123456789abcd',
  number: 'INV-7',
  currency: 'EUR',
  total: 182750,
  balanceDue: 182750,
  dueDate: '2026-12-14',
  billingName: 'Lola Flores',
  billingEmail: 'lola@example.test',
  payToken: 't'.repeat(32),
  language: 'es',
};
const norm = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

it('a reminder in Spanish: subject, greeting, the due date in words, the button; HTML and text', () => {
  const mail = reminderText('before', invoice, 'https://shop.example/pay/x', NEUTRAL_BRAND, {
    language: 'es',
    intl: 'es-ES',
  });
  expect(mail.subject).toBe('Recordatorio: la factura INV-7 vence el 14 de diciembre de 2026');
  const text = norm(mail.text);
  expect(text).toContain('Hola, Lola Flores:');
  expect(text).toContain('Un recordatorio amable: la factura INV-7 por 1827,50 € vence el 14 de diciembre de 2026.');
  expect(text).toContain('Si ya ha pagado, ignore este correo.');
  expect(text).toContain('Pagar en línea 1827,50 €: https://shop.example/pay/x');
  expect(mail.html).toContain('<html lang="es">');
  // English stays the default for callers that name no language.
  expect(reminderText('due', invoice, 'https://x').subject).toBe('Invoice INV-7 is due today');
});

it('a failed bank debit in German, with the bank’s reason', () => {
  const mail = clientFailureMail(
    { amount: 182750, currency: 'EUR', failureMessage: 'insufficient_funds' },
    invoice,
    'https://shop.example/pay/x',
    { language: 'de', intl: 'de-DE' },
  )!;
  expect(mail.subject).toBe('Ihre Zahlung für Rechnung INV-7 ist nicht durchgegangen');
  expect(norm(mail.text)).toBe(
    'Guten Tag Lola Flores, Ihre Zahlung von 1.827,50 € für Rechnung INV-7 wurde während der Bearbeitung von Ihrer Bank abgelehnt; es wurde nichts abgebucht. Begründung Ihrer Bank: insufficient_funds. Offener Betrag: 1.827,50 €. Sie können hier erneut bezahlen: https://shop.example/pay/x',
  );
});

it('a subject is always one line, whatever the invoice number or name holds', () => {
  expect(oneLine('Invoice INV-1\r\nBcc: attacker@example.test')).toBe('Invoice INV-1 Bcc: attacker@example.test');
  expect(oneLine('Rechnung\u2028X\n')).toBe('Rechnung X');
});
