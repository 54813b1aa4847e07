/**
 * The Mollie part of the settings: its API key (sealed exactly like Stripe's secret key, shown only
 * masked, mode from the key's prefix), its last connection check, and which provider a new
 * invoice's pay link uses. Kept apart from settings.ts so that file only wires it in.
 */
import type { Core } from '@strapi/strapi';
import {
  checkMollieApiKey,
  maskedMollieKeyMode,
  mollieEndpointProblem,
  mollieKeyMode,
  mollieOverridesOf,
  type MollieKeyMode,
} from '../providers/mollie';
import type { ConnectionState } from './settings-schema';

export const PAY_LINK_PROVIDERS = ['stripe', 'mollie'] as const;
export type PayLinkProvider = (typeof PAY_LINK_PROVIDERS)[number];

export interface StoredMollieSettings {
  mollieKeySealed: string | null;
  mollieKeyMask: string | null;
  mollieKeyFingerprint: string | null;
  payLinkProvider: PayLinkProvider;
}

export const NO_MOLLIE_KEY = {
  mollieKeySealed: null,
  mollieKeyMask: null,
  mollieKeyFingerprint: null,
} satisfies Partial<StoredMollieSettings>;

export const defaultMollieSettings: StoredMollieSettings = { ...NO_MOLLIE_KEY, payLinkProvider: 'stripe' };

export interface MollieSettingsView {
  apiKey: { set: boolean; masked: string | null };
  mode: MollieKeyMode | null;
  webhookUrl: string;
  connection: ConnectionState;
}

/** The connection check for Mollie is stored under its own key, tagged with the key's fingerprint. */
export const MOLLIE_CONNECTION_KEY = 'connection.mollie';

export const notConfigured = (): ConnectionState => ({
  status: 'not_configured',
  accountId: null,
  message: null,
  checkedAt: null,
});

export function mollieView(
  s: StoredMollieSettings,
  webhookUrl: string,
  connection: ConnectionState,
): MollieSettingsView {
  return {
    apiKey: { set: s.mollieKeySealed !== null, masked: s.mollieKeyMask },
    mode: maskedMollieKeyMode(s.mollieKeyMask),
    webhookUrl,
    connection: s.mollieKeySealed ? connection : notConfigured(),
  };
}

/** Problems with a Mollie key and pay-link choice as they will be after the save (messages an admin can act on). */
export function mollieProblems(
  strapi: Core.Strapi,
  input: { mollieApiKey?: string | null; payLinkProvider?: PayLinkProvider },
  current: StoredMollieSettings,
): Array<{ path: string[]; message: string }> {
  const problems: Array<{ path: string[]; message: string }> = [];
  const key = input.mollieApiKey;
  if (key) {
    const p = checkMollieApiKey(key);
    if (p) problems.push({ path: ['mollieApiKey'], message: p });
    else {
      const refusal = mollieEndpointProblem(mollieOverridesOf(strapi), key);
      if (refusal) problems.push({ path: ['mollieApiKey'], message: refusal });
    }
  }
  const willHaveKey = key === undefined ? current.mollieKeySealed !== null : Boolean(key);
  // Removing the key without naming a provider sends pay links back to Stripe (settings.update).
  const removing = key === null || key === '';
  const provider = input.payLinkProvider ?? (removing ? 'stripe' : current.payLinkProvider);
  if (provider === 'mollie' && !willHaveKey) {
    problems.push({
      path: ['payLinkProvider'],
      message: 'Save a Mollie API key before choosing Mollie for pay links (or choose Stripe).',
    });
  }
  return problems;
}

export { mollieKeyMode };
