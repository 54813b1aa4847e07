import { keepRawBody } from '../../server/src/register';

describe('keepRawBody (the webhook needs the exact bytes Stripe signed)', () => {
  it('turns the string form of strapi::body into the object form with includeUnparsed', () => {
    expect(keepRawBody(['strapi::errors', 'strapi::body', 'strapi::public'])).toEqual([
      'strapi::errors',
      { name: 'strapi::body', config: { includeUnparsed: true } },
      'strapi::public',
    ]);
  });
  it('keeps the options an app already set on strapi::body', () => {
    expect(keepRawBody([{ name: 'strapi::body', config: { jsonLimit: '2mb', formLimit: '1mb' } }])).toEqual([
      { name: 'strapi::body', config: { jsonLimit: '2mb', formLimit: '1mb', includeUnparsed: true } },
    ]);
  });
  it('leaves other middlewares alone', () => {
    const list = ['strapi::logger', { name: 'global::custom', config: { a: 1 } }];
    expect(keepRawBody(list)).toEqual(list);
  });
});
