/**
 * Payment method configurations: which payment methods dynamic payment methods may offer when a
 * PaymentIntent or Checkout Session names no types
 * (https://docs.stripe.com/payments/payment-methods/dynamic-payment-methods,
 * https://docs.stripe.com/payments/multiple-payment-method-configs).
 *
 * - Object: https://docs.stripe.com/api/payment_method_configurations/object — `id` (`pmc_…`), `name`,
 *   `active`, `is_default`, `livemode`, `parent`, `application`, and per payment method
 *   `{ available, display_preference: { overridable, preference, value } }`; `available` is true when the
 *   effective `value` is `on` and the capability is active (SDK 23.1.0 `PaymentMethodConfiguration.ApplePay`).
 * - List: https://docs.stripe.com/api/payment_method_configurations/list — `active`, `application`, cursors.
 * - Retrieve: https://docs.stripe.com/api/payment_method_configurations/retrieve — 404 `resource_missing`
 *   for an unknown id.
 * - Use: `payment_method_configuration` on PaymentIntent create/update and Checkout Session create
 *   (SDK 23.1.0 PaymentIntentCreateParams, Checkout.SessionCreateParams); without it the account's
 *   default configuration applies ("The default configuration is used whenever a payment method
 *   configuration is not specified", `is_default`). The one used shows in
 *   `payment_method_configuration_details: { id, parent }`.
 *
 * The stand-in's account has two, seeded in each mode and never changed by the API (the stand-in
 * does not model create/update): "Default" (cards, wallets, ACH, vouchers, bank transfers) and
 * "Cards and wallets" (card, Apple Pay, Google Pay, Link).
 */
import { StripeApiError } from '../errors';
import { hashBase62 } from '../ids';
import type { ParamReader } from '../form';
import { listObjects } from '../pagination';
import type { JsonObject, RequestContext } from '../types';

/**
 * Payment methods a configuration object lists: those of Stripe's example object (fixtures3.json)
 * plus the stand-in's vouchers (oxxo, boleto, konbini). The SDK types every one as optional.
 */
export const CONFIGURATION_METHODS = [
  'acss_debit',
  'affirm',
  'afterpay_clearpay',
  'alipay',
  'amazon_pay',
  'apple_pay',
  'bacs_debit',
  'bancontact',
  'blik',
  'boleto',
  'card',
  'cartes_bancaires',
  'cashapp',
  'customer_balance',
  'eps',
  'giropay',
  'google_pay',
  'ideal',
  'klarna',
  'konbini',
  'link',
  'multibanco',
  'oxxo',
  'p24',
  'sepa_debit',
  // Still a field of the object (SDK 23.1.0), never turned on: Stripe discontinued SOFORT on 31 March
  // 2025 (https://docs.stripe.com/payments/sofort/replace), and the stand-in models no Sofort payment.
  'sofort',
  'us_bank_account',
  'wechat_pay',
  'zip',
] as const;

export interface ConfigurationRecord {
  id: string;
  seq: number;
  created: number;
  livemode: boolean;
  name: string;
  is_default: boolean;
  active: boolean;
  /** Methods whose display preference is `on`. */
  on: readonly string[];
}

const mode = (livemode: boolean) => (livemode ? 'live' : 'test');

/** The default configuration's id; the same id PaymentIntents already reported before configurations were modelled. */
export const defaultConfigurationId = (livemode: boolean): string => `pmc_standin${hashBase62(mode(livemode), 12)}`;
export const cardsOnlyConfigurationId = (livemode: boolean): string =>
  `pmc_standin${hashBase62(`${mode(livemode)}-cards`, 12)}`;

export function configurations(livemode: boolean): ConfigurationRecord[] {
  return [
    {
      id: defaultConfigurationId(livemode),
      seq: 1,
      created: 1_700_000_000,
      livemode,
      name: 'Default',
      is_default: true,
      active: true,
      on: [
        'card',
        'apple_pay',
        'google_pay',
        'link',
        'us_bank_account',
        'oxxo',
        'boleto',
        'konbini',
        'multibanco',
        'customer_balance',
        // Bank debits and redirects (resources/local-methods.ts).
        'sepa_debit',
        'ideal',
        'bancontact',
      ],
    },
    {
      id: cardsOnlyConfigurationId(livemode),
      seq: 2,
      created: 1_700_000_100,
      livemode,
      name: 'Cards and wallets',
      is_default: false,
      active: true,
      on: ['card', 'apple_pay', 'google_pay', 'link'],
    },
  ];
}

export function renderConfiguration(record: ConfigurationRecord): JsonObject {
  const out: JsonObject = {
    id: record.id,
    object: 'payment_method_configuration',
    active: record.active,
    application: null,
    is_default: record.is_default,
    livemode: record.livemode,
    name: record.name,
    parent: null,
  };
  for (const method of CONFIGURATION_METHODS) {
    const value = record.on.includes(method) ? 'on' : 'off';
    out[method] = {
      available: value === 'on',
      display_preference: { overridable: null, preference: value, value },
    };
  }
  return out;
}

function find(id: string, livemode: boolean, param?: string): ConfigurationRecord {
  const found = configurations(livemode).find((c) => c.id === id);
  if (found) return found;
  // A configuration of the other mode is invisible, as every object is.
  const other = configurations(!livemode).some((c) => c.id === id);
  throw StripeApiError.resourceMissing('payment_method_configuration', id, param, other ? mode(!livemode) : undefined);
}

export function retrieveConfiguration(id: string, reader: ParamReader, ctx: RequestContext): JsonObject {
  reader.assertKnown(['expand']);
  return renderConfiguration(find(id, ctx.livemode));
}

export function listConfigurations(reader: ParamReader, ctx: RequestContext): JsonObject {
  const active = reader.has('active') ? reader.boolean('active') : undefined;
  return listObjects(configurations(ctx.livemode), reader, {
    url: '/v1/payment_method_configurations',
    kind: 'payment_method_configuration',
    livemode: ctx.livemode,
    filterParams: ['active', 'application'],
    filter: (c) => active === undefined || c.active === active,
    render: renderConfiguration,
  });
}

/**
 * `payment_method_configuration` on a create call: the named configuration (a 400 `resource_missing`
 * naming the parameter when the account has none by that id, as Stripe answers unknown ids passed
 * as parameters) or the account's default.
 */
export function configurationFor(reader: ParamReader, livemode: boolean): ConfigurationRecord {
  const id = reader.string('payment_method_configuration');
  if (id === undefined) return configurations(livemode).find((c) => c.is_default)!;
  const found = find(id, livemode, 'payment_method_configuration');
  if (!found.active)
    throw StripeApiError.invalidRequest(
      `The payment method configuration ${id} is not active.`,
      'payment_method_configuration',
    );
  return found;
}

/** The dynamic types for a currency, narrowed to what the configuration turns on (wallets run as cards). */
export function narrowTypes(types: readonly string[], configuration: ConfigurationRecord): string[] {
  return types.filter((type) => configuration.on.includes(type));
}
