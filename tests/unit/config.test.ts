import config, { defaultConfig } from '../../server/src/config';

/** config/plugins.js problems stop Strapi's start with a line per problem naming the key and what it takes. */
describe('plugin config validator', () => {
  const problems = (value: unknown): string => {
    try {
      config.validator(value);
      return '';
    } catch (error) {
      return (error as Error).message;
    }
  };

  it('accepts the defaults and partial sections', () => {
    expect(problems(defaultConfig)).toBe('');
    expect(problems({ worker: { intervalMs: 200 }, stripe: { apiBase: 'http://127.0.0.1:12111' } })).toBe('');
    expect(problems({ stripe: { apiBase: null, jsUrl: null }, publicUrl: null })).toBe('');
  });

  it.each([
    [null, 'invoice-payments: config must be an object'],
    [{ stripe: 3 }, 'invoice-payments: config.stripe must be an object'],
    [
      { stripe: { apiBase: 'ftp://x' } },
      'invoice-payments: config.stripe.apiBase must be http:// or https://, got "ftp:".',
    ],
    [{ stripe: { apiBase: 'nope' } }, 'invoice-payments: config.stripe.apiBase "nope" is not a URL'],
    [{ stripe: { timeoutMs: -1 } }, 'invoice-payments: config.stripe.timeoutMs must be a whole number, 0 or more.'],
    [
      { stripe: { allowStandinInProduction: 'yes' } },
      'invoice-payments: config.stripe.allowStandinInProduction must be true or false.',
    ],
    [
      { worker: { intervalMs: '5000' } },
      'invoice-payments: config.worker.intervalMs must be a whole number above zero',
    ],
    [{ export: { pageSize: 0.5 } }, 'invoice-payments: config.export.pageSize must be a whole number above zero.'],
    [{ publicUrl: 4 }, 'invoice-payments: config.publicUrl must be a URL string'],
  ])('refuses %j', (value, message) => {
    expect(problems(value)).toContain(message);
  });

  it('lists every problem, one per line', () => {
    expect(
      problems({ worker: { intervalMs: 0, lockMs: -5 }, notifications: { maxAttempts: 'x' } }).split('\n'),
    ).toHaveLength(3);
  });
});
