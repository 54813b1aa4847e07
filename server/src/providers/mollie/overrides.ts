/**
 * mollie.apiEndpoint (MOLLIE_API_ENDPOINT) points the Mollie client at something that is not
 * api.mollie.com: the Mollie stand-in of tests and the offline demo. Same rules as the Stripe
 * stand-in's apiBase (utils/stripe-overrides.ts): never with a live key (it would be sent to that
 * host), and in production only with the explicit stand-in opt-in. Pure functions.
 */
import { STANDIN_OPT_IN_ENV } from '../../utils/stripe-overrides';
import { mollieKeyMode } from './keys';

type Env = Record<string, string | undefined>;

export interface MollieOverrides {
  apiEndpoint: string | null;
  allowInProduction: boolean;
}

export function mollieOverrides(
  config: { apiEndpoint?: string | null; allowStandinInProduction?: boolean | null } = {},
  env: Env = process.env,
): MollieOverrides {
  return {
    apiEndpoint: config.apiEndpoint || env.MOLLIE_API_ENDPOINT || null,
    allowInProduction: config.allowStandinInProduction === true || env[STANDIN_OPT_IN_ENV] === 'true',
  };
}

/** Why this endpoint must not be used with this key in this environment, or null. */
export function mollieEndpointProblem(
  o: MollieOverrides,
  apiKey: string | null | undefined,
  nodeEnv: string | undefined = process.env.NODE_ENV,
): string | null {
  if (!o.apiEndpoint) return null;
  if (mollieKeyMode(apiKey) === 'live') {
    return (
      `A live Mollie API key cannot be used while mollie.apiEndpoint / MOLLIE_API_ENDPOINT sends Mollie calls to ${o.apiEndpoint} instead of api.mollie.com: ` +
      'the key would be sent to that host. Unset MOLLIE_API_ENDPOINT (and mollie.apiEndpoint) and restart, or use a test key (test_).'
    );
  }
  if (nodeEnv === 'production' && !o.allowInProduction) {
    return (
      `mollie.apiEndpoint / MOLLIE_API_ENDPOINT (${o.apiEndpoint}) is set while NODE_ENV=production: payments would not be real. ` +
      `On a real site, unset it. To run against the stand-in on purpose, with test keys only, set ${STANDIN_OPT_IN_ENV}=true.`
    );
  }
  return null;
}
