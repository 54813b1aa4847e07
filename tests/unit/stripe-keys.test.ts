import {
  checkModesMatch,
  checkPublishableKey,
  checkSecretKey,
  checkWebhookSecret,
  maskKey,
  maskedKeyInfo,
  publishableKeyMode,
  secretKeyInfo,
} from '../../server/src/utils/stripe-keys';

describe('Stripe key formats', () => {
  it('reads mode and kind from prefixes', () => {
    expect(publishableKeyMode('pk_live_abcdefgh1234')).toBe('live');
    expect(secretKeyInfo('rk_test_abcdefgh1234')).toEqual({ mode: 'test', kind: 'restricted' });
    expect(secretKeyInfo('sk_live' + '_abcdefgh1234')).toEqual({ mode: 'live', kind: 'secret' });
    expect(secretKeyInfo('sk_prod_abcdefgh1234')).toBeNull();
  });

  it('explains swapped and malformed keys', () => {
    expect(checkPublishableKey('sk_test_abcdefgh1234')?.message).toMatch(/This is a secret key/);
    expect(checkSecretKey('pk_test_abcdefgh1234')?.message).toMatch(/This is a publishable key/);
    expect(checkSecretKey('sk_test_abcdefgh1234')).toBeNull();
    expect(checkWebhookSecret('whsec' + '_abcdefgh1234')).toBeNull();
    expect(checkWebhookSecret('abc')?.field).toBe('webhookSecret');
  });

  it('refuses mixed modes with both named', () => {
    expect(checkModesMatch('pk_test_abcdefgh1234', 'live')?.message).toMatch(
      /publishable key is a test key .* secret key is a live key/,
    );
    expect(checkModesMatch('pk_live_abcdefgh1234', 'live')).toBeNull();
  });

  it('masks keeping prefix and last four', () => {
    expect(maskKey('sk_test_51ZyXwVuTsRqPoNmLkJiHg4242')).toBe('sk_test_••••4242');
    expect(maskKey('whsec' + '_abcdefgh1234')).toBe('whsec_••••1234');
    expect(maskedKeyInfo('rk_live_••••1234')).toEqual({ mode: 'live', kind: 'restricted' });
  });
});
