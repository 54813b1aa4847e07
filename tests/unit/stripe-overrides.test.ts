import { createStripeClient, LiveKeyOverrideError } from '../../server/src/providers/stripe/client';
import {
  livePublishableKeyProblem,
  liveSecretKeyProblem,
  productionOverrideProblem,
  stripeOverrides,
} from '../../server/src/utils/stripe-overrides';

/** Issue 10, defect 10: a stand-in (apiBase / jsUrl) never with a live key, in production only on purpose. */
const LIVE_SK = 'sk_live' + '_51LiveSecretKey0000000000000000';
const LIVE_RK = 'rk_live' + '_51LiveRestricted000000000000000';
const TEST_SK = 'sk_test_51TestSecretKey0000000000000000';
const BASE = 'http://127.0.0.1:12111';

describe('stripeOverrides', () => {
  it('reads config first, then the environment; empty counts as unset', () => {
    expect(stripeOverrides({ apiBase: null, jsUrl: null }, { STRIPE_API_BASE: BASE, STRIPE_JS_URL: '' })).toEqual({
      apiBase: BASE,
      jsUrl: null,
      allowInProduction: false,
    });
    expect(
      stripeOverrides({ apiBase: 'http://a:1', jsUrl: null, allowStandinInProduction: true }, { STRIPE_API_BASE: BASE })
        .apiBase,
    ).toBe('http://a:1');
    expect(stripeOverrides({}, { INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: 'true' }).allowInProduction).toBe(true);
    expect(stripeOverrides({}, { INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN: '1' }).allowInProduction).toBe(false);
  });
});

describe('productionOverrideProblem', () => {
  const o = (apiBase: string | null, jsUrl: string | null, allowInProduction = false) => ({
    apiBase,
    jsUrl,
    allowInProduction,
  });
  it('refuses an API base or Stripe.js URL in production without the opt-in, naming both and the way out', () => {
    const message = productionOverrideProblem(o(BASE, `${BASE}/_standin/stripe.js`), 'production');
    expect(message).toContain(`stripe.apiBase / STRIPE_API_BASE (${BASE}) and stripe.jsUrl / STRIPE_JS_URL`);
    expect(message).toContain('INVOICE_PAYMENTS_ALLOW_STRIPE_STANDIN=true');
    expect(productionOverrideProblem(o(null, `${BASE}/x.js`), 'production')).toContain(
      'is set while NODE_ENV=production',
    );
  });
  it('accepts them with the opt-in, outside production, or when unset', () => {
    expect(productionOverrideProblem(o(BASE, null, true), 'production')).toBeNull();
    expect(productionOverrideProblem(o(BASE, null), 'development')).toBeNull();
    expect(productionOverrideProblem(o(BASE, null), undefined)).toBeNull();
    expect(productionOverrideProblem(o(null, null), 'production')).toBeNull();
  });
});

describe('live keys', () => {
  it('a live secret or restricted key with an API base is a problem; a test key or no base is not', () => {
    expect(liveSecretKeyProblem(BASE, LIVE_SK)).toContain(`sends Stripe calls to ${BASE}`);
    expect(liveSecretKeyProblem(BASE, LIVE_RK)).not.toBeNull();
    expect(liveSecretKeyProblem(BASE, TEST_SK)).toBeNull();
    expect(liveSecretKeyProblem(null, LIVE_SK)).toBeNull();
  });
  it('a live publishable key with a replacement Stripe.js is a problem', () => {
    expect(livePublishableKeyProblem(`${BASE}/s.js`, 'pk_live' + '_51abcdefgh')).toContain('live card numbers');
    expect(livePublishableKeyProblem(`${BASE}/s.js`, 'pk_test_51abcdefgh')).toBeNull();
    expect(livePublishableKeyProblem(null, 'pk_live' + '_51abcdefgh')).toBeNull();
  });
  it('the client factory refuses to build a client that would send a live key elsewhere, and never echoes the key', () => {
    expect(() => createStripeClient({ secretKey: LIVE_SK, apiBase: BASE })).toThrow(LiveKeyOverrideError);
    try {
      createStripeClient({ secretKey: LIVE_SK, apiBase: BASE });
    } catch (error) {
      expect((error as Error).message).not.toContain(LIVE_SK);
    }
    expect(createStripeClient({ secretKey: TEST_SK, apiBase: BASE })).toBeDefined();
    expect(createStripeClient({ secretKey: LIVE_SK, apiBase: null })).toBeDefined();
  });
});
