import { isIP } from 'node:net';
import type { Core } from '@strapi/strapi';
import { z } from 'zod';
import { PLUGIN_ID } from '../utils/plugin-id';
import { badGateway, badRequest, conflict } from '../utils/errors';
import { fromZod } from '../utils/respond';
import { publicBaseUrl } from '../utils/public-url';
import { getService } from '../utils/get-service';
import { ProviderRequestError } from '../providers/types';
import { stripePaymentMethodSettingsFor } from '../providers/stripe';
import type {
  ConfigurationSummary,
  DomainRegistration,
  StripePaymentMethodSettings,
} from '../providers/stripe/payment-methods';
import type { Actor } from './settings';

/**
 * "Payment methods" settings (issue 13): which Stripe payment method configuration narrows the
 * dynamic payment methods of new PaymentIntents and Checkout Sessions, and whether the site's
 * domain is registered for Apple Pay / Google Pay. Stored under a plugin-store key of its own, so
 * saving the main settings form never overwrites the choice (and the reverse).
 *
 * The choice is tied to the secret key it was made with (its fingerprint): a configuration id of
 * another account or mode would make every new payment fail, so after a key change the account's
 * default applies until the admin picks again.
 */
const STORE_KEY = 'paymentMethods';

interface StoredChoice {
  configurationId: string | null;
  configurationName: string | null;
  /** Fingerprint of the secret key the choice was made with. */
  keyFingerprint: string | null;
}

const NO_CHOICE: StoredChoice = { configurationId: null, configurationName: null, keyFingerprint: null };

export const choiceInputSchema = z
  .object({
    configurationId: z
      .string({ error: 'Send a configuration id from the list (pmc_…), or null for the Stripe account default.' })
      .trim()
      .regex(/^pmc_[A-Za-z0-9]{1,250}$/, 'Pick a configuration from the list (its id starts with pmc_).')
      .nullable(),
  })
  .strict();

export interface PaymentMethodsView {
  /** The configuration new payments use; null: the account's default. */
  selected: { id: string; name: string | null } | null;
  /** A choice saved with another secret key, no longer applied (pick again). */
  staleChoice: { id: string; name: string | null } | null;
  configurations: ConfigurationSummary[];
}

export interface DomainView {
  /** Host name of the site's public URL (where the pay pages are). */
  domain: string;
  publicUrl: string;
  /** Why this domain cannot be registered (localhost, an IP address); null when it can. */
  problem: string | null;
  /** Stripe's registration of the domain; null when it is not registered. */
  registration: DomainRegistration | null;
}

export default ({ strapi }: { strapi: Core.Strapi }) => {
  const store = () => strapi.store({ type: 'plugin', name: PLUGIN_ID });

  async function loadChoice(): Promise<StoredChoice> {
    const raw = (await store().get({ key: STORE_KEY })) as Partial<StoredChoice> | null;
    return { ...NO_CHOICE, ...(raw ?? {}) };
  }

  /** The Stripe client for these settings and the fingerprint of the key it uses; 409 when no key is saved. */
  async function stripe(): Promise<{ api: StripePaymentMethodSettings; fingerprint: string | null }> {
    const settings = getService(strapi, 'settings');
    const secret = await settings.secretKey();
    if (!secret)
      throw conflict(
        'Save a Stripe secret key first: payment methods are read from your Stripe account.',
        'StripeNotConnected',
      );
    return {
      api: stripePaymentMethodSettingsFor(strapi, secret),
      fingerprint: (await settings.stored()).secretKeyFingerprint,
    };
  }

  /**
   * Stripe's refusals (4xx) carry a message for people, e.g. an invalid domain name: a 400 with it.
   * An outage, a rejected key or a missing permission is a 502 with what to do, never Stripe's raw text.
   */
  function providerError(error: unknown, doing: string): Error {
    if (!(error instanceof ProviderRequestError)) return error instanceof Error ? error : new Error(String(error));
    const status = error.httpStatus ?? 0;
    if (status === 401)
      return badGateway(
        `Stripe rejected the saved secret key while ${doing}. Check the key in the Stripe section above.`,
      );
    if (status === 403)
      return badGateway(
        `The saved key may not do this (${doing}). A restricted key needs read access to Payment Method Configurations and write access to Payment Method Domains.`,
      );
    if (status >= 400 && status < 500 && status !== 409 && status !== 429 && !error.retryable)
      return badRequest(`Stripe refused this: ${error.message}`, [], 'PaymentProviderRefused');
    return badGateway(`Stripe could not be reached while ${doing}. Nothing was changed; try again in a moment.`);
  }

  function siteDomain(): { domain: string; publicUrl: string; problem: string | null } {
    const publicUrl = publicBaseUrl(strapi);
    let domain = '';
    try {
      domain = new URL(publicUrl).hostname.replace(/^\[|\]$/g, '');
    } catch {
      domain = '';
    }
    const local = domain === 'localhost' || domain.endsWith('.localhost') || !domain.includes('.');
    const problem =
      !domain || local || isIP(domain)
        ? `Apple Pay and Google Pay need the public domain your clients pay on, and this site's public URL is ${publicUrl}. Set the plugin's publicUrl (or Strapi's server.url) to the address clients use, e.g. https://billing.example.com, then register it.`
        : null;
    return { domain, publicUrl, problem };
  }

  async function view(
    api: StripePaymentMethodSettings,
    fingerprint: string | null,
    choice?: StoredChoice,
  ): Promise<PaymentMethodsView> {
    const saved = choice ?? (await loadChoice());
    let configurations: ConfigurationSummary[];
    try {
      configurations = await api.listConfigurations();
    } catch (error) {
      throw providerError(error, 'listing payment method configurations');
    }
    const applies = saved.configurationId !== null && saved.keyFingerprint === fingerprint;
    const found = configurations.find((c) => c.id === saved.configurationId);
    const named = saved.configurationId
      ? { id: saved.configurationId, name: found?.name ?? saved.configurationName }
      : null;
    return { selected: applies ? named : null, staleChoice: applies ? null : named, configurations };
  }

  return {
    /**
     * The configuration new PaymentIntents and Checkout Sessions name; null: the account's default.
     * `keyFingerprint`: of the secret key in use, when the caller has it (else read from the settings).
     */
    async configurationId(keyFingerprint?: string | null): Promise<string | null> {
      const choice = await loadChoice();
      if (!choice.configurationId) return null;
      const fingerprint =
        keyFingerprint === undefined
          ? (await getService(strapi, 'settings').stored()).secretKeyFingerprint
          : keyFingerprint;
      return choice.keyFingerprint === fingerprint ? choice.configurationId : null;
    },

    async get(): Promise<PaymentMethodsView> {
      const { api, fingerprint } = await stripe();
      return view(api, fingerprint);
    },

    /**
     * Saves the configuration for new payments after Stripe confirms the account has it (active);
     * anything else is a 400 and nothing is saved. `null` goes back to the account's default.
     */
    async choose(input: unknown, actor: Actor): Promise<PaymentMethodsView> {
      const parsed = choiceInputSchema.safeParse(input);
      if (!parsed.success) throw fromZod(parsed.error);
      const id = parsed.data.configurationId;
      const { api, fingerprint } = await stripe();
      let name: string | null = null;
      if (id) {
        let found: ConfigurationSummary | null;
        try {
          found = await api.retrieveConfiguration(id);
        } catch (error) {
          throw providerError(error, 'checking the payment method configuration');
        }
        if (!found)
          throw badRequest(
            `Your Stripe account has no payment method configuration ${id} (in this mode). Pick one from the list, or create it in the Stripe Dashboard under Settings → Payment methods.`,
            [{ path: ['configurationId'], message: 'Not a configuration of this Stripe account.' }],
          );
        if (!found.active)
          throw badRequest(
            `The payment method configuration "${found.name}" is turned off in Stripe. Turn it on in the Stripe Dashboard or pick another.`,
            [{ path: ['configurationId'], message: 'This configuration is not active.' }],
          );
        name = found.name;
      }
      const previous = await loadChoice();
      const next: StoredChoice = {
        configurationId: id,
        configurationName: name,
        keyFingerprint: id ? fingerprint : null,
      };
      await store().set({ key: STORE_KEY, value: next });
      await getService(strapi, 'audit').log({
        action: 'settings.payment_methods.updated',
        actor,
        outcome: 'ok',
        details: { configurationId: id, configurationName: name, previousConfigurationId: previous.configurationId },
      });
      return view(api, fingerprint, next);
    },

    /** The site's domain and its registration with Stripe for wallets. */
    async domain(): Promise<DomainView> {
      const site = siteDomain();
      if (site.problem) return { ...site, registration: null };
      const { api } = await stripe();
      try {
        return { ...site, registration: await api.findDomain(site.domain) };
      } catch (error) {
        throw providerError(error, 'reading the domain registration');
      }
    },

    /** Registers the site's domain with Stripe (once: an existing registration is answered as it is). */
    async registerDomain(actor: Actor): Promise<DomainView> {
      const site = siteDomain();
      if (site.problem) throw badRequest(site.problem, [], 'DomainNotRegistrable');
      const { api } = await stripe();
      let registration: DomainRegistration;
      try {
        registration = (await api.findDomain(site.domain)) ?? (await api.registerDomain(site.domain));
      } catch (error) {
        throw providerError(error, 'registering the domain');
      }
      await getService(strapi, 'audit').log({
        action: 'settings.payment_method_domain.registered',
        actor,
        outcome: 'ok',
        details: {
          domain: registration.domainName,
          domainId: registration.id,
          applePay: registration.applePay.status,
          googlePay: registration.googlePay.status,
        },
      });
      return { ...site, registration };
    },
  };
};
