import { z } from 'zod';
import {
  DEFAULT_REMINDER_SETTINGS,
  isTimeZone,
  MAX_REMINDER_DAYS,
  MAX_REMINDER_OFFSETS,
  type ReminderSettings,
} from '../domain/reminders';
import {
  DEFAULT_AUTOPAY_SETTINGS,
  MAX_AUTOPAY_RETRIES,
  MAX_AUTOPAY_RETRY_DAYS,
  type AutopaySettings,
} from '../domain/autopay';
import { defaultMollieSettings, PAY_LINK_PROVIDERS, type StoredMollieSettings } from './settings-mollie';
import { brandingInputSchema, defaultBranding, type StoredBranding } from './settings-branding';
import { LANGUAGES, type Language } from '../i18n/messages';

const reminderDays = (which: string) =>
  z
    .array(
      z
        .number()
        .int('Whole days only.')
        .min(1, `Days ${which} the due date start at 1.`)
        .max(MAX_REMINDER_DAYS, `At most ${MAX_REMINDER_DAYS} days ${which} the due date.`),
    )
    .max(MAX_REMINDER_OFFSETS, `At most ${MAX_REMINDER_OFFSETS} reminders ${which} the due date.`)
    .refine((days) => new Set(days).size === days.length, 'Each number of days once.');

/** Payment reminders (Settings → Reminders): the whole group is sent together. */
export const reminderSettingsSchema = z
  .object({
    enabled: z.boolean(),
    beforeDays: reminderDays('before'),
    onDueDate: z.boolean(),
    afterDays: reminderDays('after'),
    timeZone: z
      .string()
      .trim()
      .max(64)
      .refine(isTimeZone, 'Use a time zone name such as Europe/Amsterdam or America/New_York.'),
    sendHour: z.number().int().min(0, 'An hour from 0 to 23.').max(23, 'An hour from 0 to 23.'),
  })
  .strict();

/** Autopay (Settings → Reminders and autopay): the retry schedule of declined automatic charges. */
export const autopaySettingsSchema = z
  .object({
    enabled: z.boolean(),
    retryDays: z
      .array(
        z
          .number()
          .int('Whole days only.')
          .min(1, 'Retries start 1 day after the due date.')
          .max(MAX_AUTOPAY_RETRY_DAYS, `At most ${MAX_AUTOPAY_RETRY_DAYS} days after the due date.`),
      )
      .max(MAX_AUTOPAY_RETRIES, `At most ${MAX_AUTOPAY_RETRIES} retries.`)
      .refine((days) => new Set(days).size === days.length, 'Each number of days once.'),
    chargeHour: z.number().int().min(0, 'An hour from 0 to 23.').max(23, 'An hour from 0 to 23.'),
  })
  .strict();

/** What an admin may send to PUT /settings. Secrets: omitted = keep, null or '' = remove. */
export const settingsInputSchema = z
  .object({
    publishableKey: z.string().trim().max(255).nullable().optional(),
    secretKey: z.string().trim().max(255).nullable().optional(),
    webhookSecret: z.string().trim().max(255).nullable().optional(),
    defaultCurrency: z
      .string()
      .trim()
      .regex(/^[A-Za-z]{3}$/, 'Use a three-letter ISO currency code such as USD.')
      .optional(),
    partialPayments: z.boolean().optional(),
    /** Smallest partial payment, minor units of the default currency (0: the provider's minimum only). */
    partialMinimumAmount: z.number().int().min(0).max(99999999).optional(),
    /** Smallest partial payment as a percentage of the invoice's balance (0: no such limit). */
    partialMinimumPercent: z
      .number()
      .int()
      .min(0, 'A percentage from 0 to 100.')
      .max(100, 'A percentage from 0 to 100.')
      .optional(),
    checkoutMode: z.enum(['payment_element', 'hosted', 'embedded']).optional(),
    feePercentBps: z.number().int().min(0).max(2000, 'The fee percentage cannot exceed 20%.').optional(),
    feeFixedAmount: z.number().int().min(0).max(100000).optional(),
    refundPolicy: z.enum(['reopen', 'keep_paid']).optional(),
    refundFeePolicy: z.enum(['keep_fee', 'refund_fee']).optional(),
    notificationEmail: z.union([z.email('Enter a valid email address.'), z.literal(''), z.null()]).optional(),
    sendFailureNotices: z.boolean().optional(),
    sendDisputeAlerts: z.boolean().optional(),
    reconcileAfterMinutes: z.number().int().min(1).max(10080).optional(),
    refundOverpayments: z.boolean().optional(),
    abandonedAuthenticationMinutes: z
      .number()
      .int()
      .min(1, 'At least 1 minute.')
      .max(1440, 'At most 1440 minutes (a day).')
      .optional(),
    paymentTermDays: z
      .number()
      .int()
      .min(0, 'At least 0 days (due on receipt).')
      .max(365, 'At most 365 days.')
      .optional(),
    /** The language of invoices that name none (pay pages fall back to the browser's first). */
    defaultLanguage: z.enum(LANGUAGES, `Choose one of ${LANGUAGES.join(', ')}.`).optional(),
    mollieApiKey: z.string().trim().max(255).nullable().optional(),
    payLinkProvider: z.enum(PAY_LINK_PROVIDERS, 'Choose stripe or mollie.').optional(),
    reminders: reminderSettingsSchema.optional(),
    /** Seller branding (settings-branding.ts): the fields given replace the saved ones. */
    branding: brandingInputSchema.optional(),
    autopay: autopaySettingsSchema.optional(),
  })
  .strict();

export type SettingsInput = z.infer<typeof settingsInputSchema>;

/** What is stored in the plugin store. Secrets only ever as ciphertext. */
export interface StoredSettings extends StoredMollieSettings {
  publishableKey: string | null;
  secretKeySealed: string | null;
  secretKeyMask: string | null;
  secretKeyFingerprint: string | null;
  webhookSecretSealed: string | null;
  webhookSecretMask: string | null;
  webhookSecretFingerprint: string | null;
  defaultCurrency: string;
  partialPayments: boolean;
  partialMinimumAmount: number;
  partialMinimumPercent: number;
  checkoutMode: 'payment_element' | 'hosted' | 'embedded';
  feePercentBps: number;
  feeFixedAmount: number;
  refundPolicy: 'reopen' | 'keep_paid';
  refundFeePolicy: 'keep_fee' | 'refund_fee';
  notificationEmail: string | null;
  sendFailureNotices: boolean;
  sendDisputeAlerts: boolean;
  reconcileAfterMinutes: number;
  /** Money paid on top of the balance (two tabs, an older session) is refunded at once. */
  refundOverpayments: boolean;
  /** A card authentication (3-D Secure) older than this counts as abandoned and may be ended. */
  abandonedAuthenticationMinutes: number;
  /** A new invoice is due this many days after its issue date (the editor's default). */
  paymentTermDays: number;
  /** Default client language: invoices without a language of their own (services/pages clientLocale). */
  defaultLanguage: Language;
  /** Payment reminders before and after the due date (services/reminders). */
  reminders: ReminderSettings;
  /** The seller's name, address, logo... on pay pages, PDFs and emails (settings-branding.ts). */
  branding: StoredBranding;
  /** Automatic charges of saved payment methods on the due date (services/autopay). */
  autopay: AutopaySettings;
  connection: ConnectionState;
}

export interface ConnectionState {
  status: 'not_configured' | 'connected' | 'error';
  accountId: string | null;
  message: string | null;
  checkedAt: string | null;
}

/** Every key-related field cleared: the state after "Disconnect" and before the first save. */
export const NO_KEYS = {
  publishableKey: null,
  secretKeySealed: null,
  secretKeyMask: null,
  secretKeyFingerprint: null,
  webhookSecretSealed: null,
  webhookSecretMask: null,
  webhookSecretFingerprint: null,
} satisfies Partial<StoredSettings>;

export const defaultSettings: StoredSettings = {
  ...NO_KEYS,
  ...defaultMollieSettings,
  defaultCurrency: 'USD',
  partialPayments: false,
  partialMinimumAmount: 0,
  partialMinimumPercent: 0,
  checkoutMode: 'payment_element',
  feePercentBps: 0,
  feeFixedAmount: 0,
  refundPolicy: 'reopen',
  refundFeePolicy: 'keep_fee',
  notificationEmail: null,
  sendFailureNotices: false,
  sendDisputeAlerts: true,
  reconcileAfterMinutes: 30,
  refundOverpayments: true,
  abandonedAuthenticationMinutes: 10,
  paymentTermDays: 14,
  defaultLanguage: 'en',
  reminders: DEFAULT_REMINDER_SETTINGS,
  branding: defaultBranding,
  autopay: DEFAULT_AUTOPAY_SETTINGS,
  connection: { status: 'not_configured', accountId: null, message: null, checkedAt: null },
};
