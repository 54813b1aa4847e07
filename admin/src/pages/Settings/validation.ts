import type { MessageDescriptor } from 'react-intl';
import { getTranslation } from '../../utils/getTranslation';

export interface SettingsForm {
  publishableKey: string;
  secretKey: string;
  webhookSecret: string;
  defaultCurrency: string;
  partialPayments: boolean;
  partialMinimumAmount: string;
  partialMinimumPercent: string;
  checkoutMode: 'payment_element' | 'hosted' | 'embedded';
  feePercent: string;
  feeFixedAmount: string;
  refundPolicy: 'reopen' | 'keep_paid';
  refundFeePolicy: 'keep_fee' | 'refund_fee';
  notificationEmail: string;
  refundOverpayments: boolean;
  abandonedAuthenticationMinutes: string;
  paymentTermDays: string;
  /** Default client language (en, fr, de, es): invoices without their own. */
  defaultLanguage: string;
  /** A typed replacement for the Mollie API key ('' = keep the saved one). */
  mollieApiKey: string;
  payLinkProvider: 'stripe' | 'mollie';
  /** Payment reminders: day lists as typed ("7, 14"). */
  remindersEnabled: boolean;
  reminderBeforeDays: string;
  reminderOnDueDate: boolean;
  reminderAfterDays: string;
  reminderTimeZone: string;
  reminderSendHour: string;
  /** Autopay: retry days as typed ("1, 3, 7"). */
  autopayEnabled: boolean;
  autopayRetryDays: string;
  autopayChargeHour: string;
}

/** "7, 14" → [7, 14]; null when it is not a list of whole numbers. */
export function parseDayList(text: string): number[] | null {
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (!parts.every((p) => /^\d{1,3}$/.test(p))) return null;
  return parts.map(Number);
}

export type SettingsProblem = MessageDescriptor & { values?: Record<string, string> };
export type SettingsProblems = Partial<Record<keyof SettingsForm, SettingsProblem>>;

const m = (id: string, defaultMessage: string, values?: Record<string, string>): SettingsProblem => ({
  id: getTranslation(id),
  defaultMessage,
  values,
});

/**
 * Client-side checks mirroring server/src/utils/stripe-keys.ts and the settings schema, so a
 * malformed or mismatched key is flagged under its field before anything is sent. The server
 * checks again and its answer wins. `storedSecretMode` is the mode of the saved secret key when
 * the admin is not replacing it (read from its mask, e.g. sk_test_••••4242).
 */
export function validateSettings(
  form: SettingsForm,
  storedSecretMode: 'test' | 'live' | null = null,
): SettingsProblems {
  const problems: SettingsProblems = {};
  const pk = form.publishableKey;
  const sk = form.secretKey;
  if (pk && !/^pk_(test|live)_[A-Za-z0-9]{8,247}$/.test(pk)) {
    problems.publishableKey = /^(sk|rk)_/.test(pk)
      ? m(
          'validation.publishableIsSecret',
          'This is a secret key. The publishable key starts with pk_test_ or pk_live_.',
        )
      : m(
          'validation.publishableFormat',
          'The publishable key must start with pk_test_ or pk_live_ (Stripe Dashboard → Developers → API keys).',
        );
  }
  if (sk && !/^(sk|rk)_(test|live)_[A-Za-z0-9]{8,247}$/.test(sk)) {
    problems.secretKey = sk.startsWith('pk_')
      ? m(
          'validation.secretIsPublishable',
          'This is a publishable key. The secret key starts with sk_test_, sk_live_, rk_test_ or rk_live_.',
        )
      : m(
          'validation.secretFormat',
          'The secret key must start with sk_test_ or sk_live_ (or rk_test_ / rk_live_ for a restricted key).',
        );
  }
  const pkMode = /^pk_(test|live)_/.exec(pk)?.[1];
  const skMode = sk ? /^(?:sk|rk)_(test|live)_/.exec(sk)?.[1] : storedSecretMode;
  if (!problems.publishableKey && !problems.secretKey && pkMode && skMode && pkMode !== skMode) {
    problems.secretKey = m(
      'validation.modeMismatch',
      'The keys are from different modes: the publishable key is a {pkMode} key but the secret key is a {skMode} key. Use both keys from the same mode (both test or both live).',
      { pkMode, skMode },
    );
  }
  if (form.webhookSecret && !/^whsec_[A-Za-z0-9+/=]{8,247}$/.test(form.webhookSecret)) {
    problems.webhookSecret = m(
      'validation.webhookFormat',
      'The webhook signing secret starts with whsec_ (Stripe Dashboard → Developers → Webhooks → your endpoint → Signing secret).',
    );
  }
  if (!/^[A-Za-z]{3}$/.test(form.defaultCurrency))
    problems.defaultCurrency = m('validation.currency', 'Use a three-letter ISO currency code such as USD.');
  const percent = Number(form.feePercent || '0');
  if (!/^\d+(\.\d{1,2})?$/.test(form.feePercent || '0') || percent > 20)
    problems.feePercent = m('validation.feePercent', 'Enter a percentage between 0 and 20, with at most two decimals.');
  if (!/^\d{1,3}$/.test(form.paymentTermDays) || Number(form.paymentTermDays) > 365) {
    problems.paymentTermDays = m('validation.paymentTermDays', 'Enter a whole number of days between 0 and 365.');
  }
  const minutes = Number(form.abandonedAuthenticationMinutes);
  if (!/^\d{1,4}$/.test(form.abandonedAuthenticationMinutes) || minutes < 1 || minutes > 1440) {
    problems.abandonedAuthenticationMinutes = m(
      'validation.abandonedMinutes',
      'Enter a whole number of minutes between 1 and 1440.',
    );
  }
  if (!/^\d{1,8}$/.test(form.partialMinimumAmount || '0')) {
    problems.partialMinimumAmount = m(
      'validation.partialMinimumAmount',
      'Enter a whole number of minor units (500 = 5.00 USD), or 0 for no minimum of your own.',
    );
  }
  if (!/^\d{1,3}$/.test(form.partialMinimumPercent || '0') || Number(form.partialMinimumPercent || '0') > 100) {
    problems.partialMinimumPercent = m('validation.partialMinimumPercent', 'Enter a whole percentage from 0 to 100.');
  }
  if (!/^\d{1,6}$/.test(form.feeFixedAmount || '0') || Number(form.feeFixedAmount || '0') > 100000) {
    problems.feeFixedAmount = m(
      'validation.feeFixed',
      'Enter a whole number of minor units between 0 and 100000 (250 = 2.50 USD).',
    );
  }
  // Mirrors server/src/providers/mollie/keys.ts (https://docs.mollie.com/reference/authentication).
  if (form.mollieApiKey && !/^(test|live)_[A-Za-z0-9]{20,64}$/.test(form.mollieApiKey)) {
    problems.mollieApiKey = m(
      'validation.mollieKey',
      'The Mollie API key must start with test_ or live_ (Mollie Dashboard → Developers → API keys).',
    );
  }
  for (const key of ['reminderBeforeDays', 'reminderAfterDays'] as const) {
    const days = parseDayList(form[key]);
    if (!days || days.length > 5 || days.some((d) => d < 1 || d > 365) || new Set(days).size !== days.length)
      problems[key] = m(
        'validation.reminderDays',
        'Up to 5 different whole numbers of days from 1 to 365, separated by commas (e.g. 7, 14). Empty: none.',
      );
  }
  if (!/^\d{1,2}$/.test(form.reminderSendHour) || Number(form.reminderSendHour) > 23)
    problems.reminderSendHour = m('validation.reminderHour', 'Enter an hour from 0 to 23.');
  if (!/^[A-Za-z_]+(\/[A-Za-z0-9_+-]+)*$/.test(form.reminderTimeZone.trim()))
    problems.reminderTimeZone = m(
      'validation.reminderTimeZone',
      'Use a time zone name such as Europe/Amsterdam, America/New_York or UTC.',
    );
  const retries = parseDayList(form.autopayRetryDays);
  if (
    !retries ||
    retries.length > 5 ||
    retries.some((d) => d < 1 || d > 60) ||
    new Set(retries).size !== retries.length
  )
    problems.autopayRetryDays = m(
      'validation.autopayRetryDays',
      'Up to 5 different whole numbers of days from 1 to 60, separated by commas (e.g. 1, 3, 7). Empty: no retry.',
    );
  if (!/^\d{1,2}$/.test(form.autopayChargeHour) || Number(form.autopayChargeHour) > 23)
    problems.autopayChargeHour = m('validation.reminderHour', 'Enter an hour from 0 to 23.');
  if (form.notificationEmail && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(form.notificationEmail))
    problems.notificationEmail = m('validation.email', 'Enter a valid email address.');
  return problems;
}

/** Mode of a stored secret key, from its mask. */
export const maskMode = (masked: string | null): 'test' | 'live' | null =>
  (/^(?:sk|rk)_(test|live)_/.exec(masked ?? '')?.[1] as 'test' | 'live' | undefined) ?? null;
