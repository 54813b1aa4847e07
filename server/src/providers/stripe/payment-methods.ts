import Stripe from 'stripe';
import { toRequestError } from './provider';

/**
 * Stripe's payment method settings the admin sees: payment method configurations (which methods
 * dynamic payment methods may offer, https://docs.stripe.com/payments/multiple-payment-method-configs)
 * and payment method domains (where wallets may show,
 * https://docs.stripe.com/payments/payment-methods/pmd-registration).
 * Reads and one create; never called inside a lock or transaction.
 */
export interface ConfigurationSummary {
  id: string;
  name: string;
  isDefault: boolean;
  active: boolean;
  /** Payment method ids whose effective display preference is `on` (`card`, `apple_pay`, …). */
  methods: string[];
}

export interface WalletStatus {
  status: 'active' | 'inactive' | string;
  /** Stripe's reason when inactive (`status_details.error_message`). */
  message: string | null;
}

export interface DomainRegistration {
  id: string;
  domainName: string;
  enabled: boolean;
  applePay: WalletStatus;
  googlePay: WalletStatus;
}

/** The payment methods a configuration turns on: every member shaped `{ display_preference: { value } }`. */
export function enabledMethods(configuration: Stripe.PaymentMethodConfiguration): string[] {
  const methods: string[] = [];
  for (const [key, value] of Object.entries(configuration)) {
    if (!value || typeof value !== 'object' || !('display_preference' in value)) continue;
    const preference = (value as { display_preference?: { value?: string } }).display_preference;
    if (preference?.value === 'on') methods.push(key);
  }
  return methods.sort();
}

export function summarize(configuration: Stripe.PaymentMethodConfiguration): ConfigurationSummary {
  return {
    id: configuration.id,
    name: configuration.name,
    isDefault: configuration.is_default,
    active: configuration.active,
    methods: enabledMethods(configuration),
  };
}

const wallet = (w: { status: string; status_details?: { error_message: string } } | undefined): WalletStatus => ({
  status: w?.status ?? 'inactive',
  message: w?.status_details?.error_message ?? null,
});

export function toRegistration(domain: Stripe.PaymentMethodDomain): DomainRegistration {
  return {
    id: domain.id,
    domainName: domain.domain_name,
    enabled: domain.enabled,
    applePay: wallet(domain.apple_pay),
    googlePay: wallet(domain.google_pay),
  };
}

/** An account holds a handful of configurations; this bounds the listing all the same. */
const MAX_CONFIGURATIONS = 200;

export class StripePaymentMethodSettings {
  constructor(private readonly stripe: Stripe) {}

  /** The account's configurations (https://docs.stripe.com/api/payment_method_configurations/list), active first. */
  async listConfigurations(): Promise<ConfigurationSummary[]> {
    const all = await this.call(() =>
      this.stripe.paymentMethodConfigurations.list({ limit: 100 }).autoPagingToArray({ limit: MAX_CONFIGURATIONS }),
    );
    // Child configurations (Connect platforms' `parent`) are not for payments on this account.
    return all
      .filter((c) => !c.parent)
      .map(summarize)
      .sort((a, b) => Number(b.isDefault) - Number(a.isDefault) || a.name.localeCompare(b.name));
  }

  /** One configuration, or null when the account has none by that id (404 from Stripe). */
  async retrieveConfiguration(id: string): Promise<ConfigurationSummary | null> {
    try {
      return summarize(await this.stripe.paymentMethodConfigurations.retrieve(id));
    } catch (error) {
      if (error instanceof Stripe.errors.StripeInvalidRequestError && error.code === 'resource_missing') return null;
      throw toRequestError(error);
    }
  }

  /** The registration of a domain name (https://docs.stripe.com/api/payment_method_domains/list), or null. */
  async findDomain(domainName: string): Promise<DomainRegistration | null> {
    const list = await this.call(() => this.stripe.paymentMethodDomains.list({ domain_name: domainName, limit: 1 }));
    return list.data[0] ? toRegistration(list.data[0]) : null;
  }

  /**
   * Registers a domain (https://docs.stripe.com/api/payment_method_domains/create). No key of ours:
   * the SDK gives its own retries of this call one key, and a later click looks (findDomain) before
   * creating again, so a saved 500 is never replayed at the admin for a day.
   */
  async registerDomain(domainName: string): Promise<DomainRegistration> {
    return toRegistration(
      await this.call(() => this.stripe.paymentMethodDomains.create({ domain_name: domainName, enabled: true })),
    );
  }

  private async call<T>(run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw toRequestError(error);
    }
  }
}
