import type { IntlShape } from 'react-intl';
import { getTranslation } from './getTranslation';
import { METHOD_LABELS, type AuditEntry } from './types';
// The server's own formatting: it knows each currency's Stripe decimals (ISK is sent with two, shown with none).
import { formatMinor } from '../../../server/src/domain/money';

/**
 * One audit entry as a sentence a person reads ("Manual payment of $1,827.50 by cheque, ref 1042,
 * recorded by Ada"). Details hold minor units and a currency: formatted with Intl, which knows each
 * currency's decimals (JPY 0, KWD 3). The raw details stay one click away in the table.
 */
const ACTOR_LABELS: Record<string, string> = {
  admin: 'an admin',
  client: 'the client',
  stripe: 'Stripe',
  system: 'the plugin',
};

/** Default (English) sentence of each action the server writes; `{…}` are filled from the details. */
export const AUDIT_SENTENCES: Record<string, string> = {
  'payment.manual': 'Manual payment of {amount} by {method}, recorded by {actor}',
  'payment.manual.ref': 'Manual payment of {amount} by {method}, ref {reference}, recorded by {actor}',
  'payment.manual_voided': 'Manual payment of {amount} voided by {actor}: {reason}',
  'payment.succeeded': 'Card payment of {amount} succeeded',
  'payment.failed': 'Card payment of {amount} failed ({failureCode})',
  'payment.processing': 'Payment of {amount} is processing',
  'payment.requires_action': 'Payment of {amount} waits for the client (authentication or voucher)',
  'payment.canceled': 'Payment attempt of {amount} canceled',
  'payment.refunded': 'Payment of {amount} refunded in full',
  'payment.partially_refunded': 'Payment of {amount} partly refunded',
  'payment.disputed': 'Payment of {amount} disputed',
  'payment.pending': 'Payment of {amount} started',
  'payment.other': 'Payment of {amount} is now {status}',
  'payment.overpaid': '{amount} paid more than the invoice owed; {next}',
  'payment.overpaid.refunding': 'refunding it to the client',
  'payment.overpaid.flagged': 'flagged for a refund',
  'payment.attempts_ended': 'Other open payment attempts ended ({ended})',
  'refund.requested': 'Refund of {amount} made by {actor}; {effect}',
  'refund.effect.keep_paid': 'the invoice stays paid',
  'refund.effect.reopen': 'the balance is due again',
  'refund.effect.none': 'the invoice was recomputed',
  'refund.failed': 'Refund of {amount} failed: {failureReason}',
  'refund.canceled': 'Refund of {amount} canceled',
  'refund.unconfirmed': 'Refund of {amount} not confirmed by the payment provider yet',
  'invoice.sent': 'Invoice sent to {to} by {actor}',
  'invoice.send_failed': 'Sending the invoice to {to} failed: {reason}',
  'invoice.viewed': 'The client opened the invoice',
  'invoice.pay_link_regenerated': 'New pay link made by {actor}; the old one no longer works',
  'invoice.resynced': 'Resynced with the payment provider by {actor} ({payments} payments checked)',
  'invoice.created': 'Invoice created by {actor} for {total} ({lines} lines)',
  'invoice.updated': 'Invoice edited by {actor}: total {previousTotal} → {total}',
  'invoice.marked_sent': 'Marked as sent by {actor} (no email)',
  'invoice.voided': 'Invoice voided by {actor}: {reason}',
  'invoice.duplicated': 'Created by {actor} as a copy of {from}',
  'invoice.link_copied': 'Pay link copied by {actor}',
  'email.failed': 'The {kind} email could not be sent after {attempts} attempts',
  'email.sent': 'The {kind} email was sent',
  'webhook.replayed': 'Event {type} ({eventId}) replayed by {actor}',
  'webhook.rejected': 'A webhook call was refused: {reason}',
  'webhook.dead_lettered': 'Event {type} ({eventId}) given up after {attempts} attempts',
  'settings.updated': 'Settings changed by {actor}: {fields}',
  'settings.secret_key.saved': 'Stripe secret key saved by {actor}',
  'settings.secret_key.rotated': 'Stripe secret key replaced by {actor}',
  'settings.secret_key.removed': 'Stripe secret key removed by {actor}',
  'settings.webhook_secret.saved': 'Webhook signing secret saved by {actor}',
  'settings.webhook_secret.rotated': 'Webhook signing secret replaced by {actor}',
  'settings.webhook_secret.removed': 'Webhook signing secret removed by {actor}',
  'settings.publishable_key.changed': 'Stripe publishable key changed by {actor}',
  'settings.disconnected': 'Stripe disconnected by {actor}',
  'settings.secrets.reencrypted': '{count} stored secrets re-encrypted with the current key',
  'settings.payment_methods.updated': 'Payment methods of new payments set to “{configurationName}” by {actor}',
  'settings.payment_methods.default':
    'Payment methods of new payments set back to the Stripe account default by {actor}',
  'settings.payment_method_domain.registered':
    'Domain {domain} registered with Stripe for Apple Pay and Google Pay by {actor}',
  'reminder.sent': 'Payment reminder ({reminder}) emailed to {to}',
  'reminder.skipped': 'Payment reminder ({reminder}) not sent: {why}',
  'invoice.reminders_off': 'Reminders switched off for this invoice by {actor}',
  'invoice.reminders_on': 'Reminders switched on for this invoice by {actor}',
  'autopay.attempt.ok': 'Autopay charged {amount} to the saved method (attempt {attemptNo})',
  'autopay.attempt.declined': 'Autopay charge of {amount} declined (attempt {attemptNo}): {code}',
  'autopay.attempt.requires_action':
    'Autopay charge of {amount} needs the client to confirm it: pay link emailed (attempt {attemptNo})',
  'autopay.attempt.refused': 'Autopay did not charge (attempt {attemptNo}): {why}',
  'autopay.attempt.error':
    'Autopay could not reach the payment provider (attempt {attemptNo}); it will retry with the same key',
  'autopay.attempt.failed': 'Autopay charge failed (attempt {attemptNo}): {message}',
  'autopay.attempt.deferred':
    'Autopay waited (attempt {attemptNo}): the client is already paying this invoice; the next retry day looks again',
  'payment_group.abandoned':
    'Multi-invoice payment of {amount} canceled: nobody paid it for {afterMinutes} minutes; its invoices can be paid again',
  'client.autopay_on': 'Autopay switched on for client {clientId} by {actor}',
  'client.autopay_off': 'Autopay switched off for client {clientId} by {actor}',
  'payment_method.save_requested': 'The client chose to save the payment method for future invoices',
  'payment_method.save_withdrawn': 'The client chose not to save the payment method',
  'payment_method.removed': 'Saved payment method ending in {last4} removed by the client',
  'payment_method.default_set': 'Saved payment method ending in {last4} made the default by the client',
  generic: '{action} by {actor}',
};

const str = (v: unknown): string =>
  v === null || v === undefined || v === '' ? '—' : typeof v === 'object' ? JSON.stringify(v) : String(v);

/** Minor units in the currency's own decimals, as the locale writes money. */
export function formatAuditAmount(minor: unknown, currency: unknown, locale: string): string {
  if (typeof minor !== 'number' || !Number.isFinite(minor)) return '—';
  if (typeof currency !== 'string' || !/^[A-Za-z]{3}$/.test(currency)) return String(minor);
  try {
    return formatMinor(minor, currency, locale);
  } catch {
    // A currency the plugin no longer supports: the number and the code, never a wrong amount.
    return `${minor} ${currency.toUpperCase()} (minor units)`;
  }
}

export function auditSentence(
  intl: IntlShape,
  entry: Pick<AuditEntry, 'action' | 'actorType' | 'actorLabel' | 'outcome' | 'details'>,
): string {
  const d = entry.details ?? {};
  const say = (key: string, values: Record<string, string> = {}) =>
    intl.formatMessage(
      { id: getTranslation(`audit.sentence.${key}`), defaultMessage: AUDIT_SENTENCES[key] ?? AUDIT_SENTENCES.generic! },
      values,
    );
  const actor =
    entry.actorLabel ||
    intl.formatMessage({
      id: getTranslation(`audit.sentence.actor.${entry.actorType}`),
      defaultMessage: ACTOR_LABELS[entry.actorType] ?? entry.actorType,
    });
  const amount = formatAuditAmount(d.amount, d.currency, intl.locale);
  const values: Record<string, string> = { actor, amount, action: entry.action };
  for (const [k, v] of Object.entries(d)) if (!(k in values)) values[k] = str(v);
  // Invoice totals in the details are minor units too.
  for (const k of ['total', 'previousTotal'])
    if (typeof d[k] === 'number') values[k] = formatAuditAmount(d[k], d.currency, intl.locale);
  const [group, ...rest] = entry.action.split('.');
  const name = rest.join('.');

  if (entry.action === 'payment.manual') {
    const method =
      typeof d.method === 'string'
        ? intl
            .formatMessage({
              id: getTranslation(`method.${d.method}`),
              defaultMessage: METHOD_LABELS[d.method] ?? d.method,
            })
            .toLowerCase()
        : '—';
    return say(d.reference ? 'payment.manual.ref' : 'payment.manual', { ...values, method });
  }
  if (entry.action === 'payment.overpaid')
    return say('payment.overpaid', {
      ...values,
      next: say(entry.outcome === 'refunding' ? 'payment.overpaid.refunding' : 'payment.overpaid.flagged'),
    });
  if (entry.action === 'refund.requested') {
    const effect = d.invoiceEffect === 'keep_paid' || d.invoiceEffect === 'reopen' ? d.invoiceEffect : 'none';
    return say('refund.requested', { ...values, effect: say(`refund.effect.${effect}`) });
  }
  if (entry.action === 'settings.payment_methods.updated' && !d.configurationId)
    return say('settings.payment_methods.default', values);
  if (entry.action === 'settings.updated' && Array.isArray(d.fields))
    return say('settings.updated', { ...values, fields: d.fields.join(', ') });
  // One sentence per outcome of an automatic charge (services/autopay).
  if (entry.action === 'autopay.attempt' && AUDIT_SENTENCES[`autopay.attempt.${entry.outcome}`])
    return say(`autopay.attempt.${entry.outcome}`, values);
  if (AUDIT_SENTENCES[entry.action]) return say(entry.action, values);
  if (group === 'payment') return say('payment.other', { ...values, status: name.replace(/_/g, ' ') });
  if (group === 'email') return say('email.sent', { ...values, kind: name.replace(/_/g, ' ') });
  return say('generic', values);
}
