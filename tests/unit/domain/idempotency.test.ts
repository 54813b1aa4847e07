import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  canonicalJson,
  customerCreateKey,
  refundKey,
  requestKey,
} from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

describe('idempotency keys', () => {
  it('are deterministic for the same request, whatever the order params were built in', () => {
    const a = requestKey('pi', 'inv1', { amount: 182750, currency: 'USD', metadata: { a: '1', b: '2' } });
    const b = requestKey('pi', 'inv1', { metadata: { b: '2', a: '1' }, currency: 'USD', amount: 182750 });
    expect(a).toBe(b);
    expect(a).toMatch(/^ip-pi-inv1-[A-Za-z0-9_]{22}-0$/);
  });

  it('never stand for two different requests: every parameter, the scope and the generation count', () => {
    const base = requestKey('piu', 'pi_1', { amount: 30000, revision: 1 });
    expect(requestKey('piu', 'pi_1', { amount: 10000, revision: 1 })).not.toBe(base);
    expect(requestKey('piu', 'pi_1', { amount: 30000, revision: 2 })).not.toBe(base);
    expect(requestKey('piu', 'pi_2', { amount: 30000, revision: 1 })).not.toBe(base);
    expect(requestKey('pi', 'pi_1', { amount: 30000, revision: 1 })).not.toBe(base);
    expect(requestKey('piu', 'pi_1', { amount: 30000, revision: 1 }, 1)).not.toBe(base);
    // Defect 2 of issue 10: 30000 -> 10000 -> 30000 -> 10000 on one intent used to reuse keys.
    const keys = [30000, 10000, 30000, 10000].map((amount, i) =>
      requestKey('piu', 'pi_1', { amount, revision: i + 1 }),
    );
    expect(new Set(keys).size).toBe(4);
  });

  it('canonical JSON sorts keys and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [1, { d: undefined, c: null }] })).toBe('{"a":[1,{"c":null}],"b":1}');
  });

  it('cannot collide through the separator', () => {
    expect(refundKey('a-1', 2)).toBe('ip-re-a%2D1-2');
    expect(requestKey('pi', 'a-1', {})).not.toBe(requestKey('pi', 'a', {}));
    expect(customerCreateKey('site', 'stripe', 'x y/ü')).toBe('ip-cus-site-stripe-x%20y%2F%C3%BC');
    expect(customerCreateKey('a-b', 'stripe', '1')).not.toBe(customerCreateKey('a', 'b-stripe', '1'));
  });

  it('customer keys: one per client of a site, never shared with another site on the same Stripe account', () => {
    // A retry on the same site (a lost answer, two first saves at once) repeats the key: one customer.
    expect(customerCreateKey('Site1aaaaaaa', 'stripe', '7')).toBe(customerCreateKey('Site1aaaaaaa', 'stripe', '7'));
    // Another site (or this one reinstalled) whose client has the same database id gets its own.
    expect(customerCreateKey('Site2bbbbbbb', 'stripe', '7')).not.toBe(customerCreateKey('Site1aaaaaaa', 'stripe', '7'));
    expect(customerCreateKey('Site1aaaaaaa', 'stripe', '8')).not.toBe(customerCreateKey('Site1aaaaaaa', 'stripe', '7'));
    expectDomainError(() => customerCreateKey('', 'stripe', '7'), 'idempotency_key_invalid');
  });

  it('refuse bad parts and over-long keys', () => {
    expectDomainError(() => requestKey('', 'inv', {}), 'idempotency_key_invalid');
    expectDomainError(() => requestKey('pi', '', {}), 'idempotency_key_invalid');
    expectDomainError(() => requestKey('pi', 'inv', {}, -1), 'idempotency_key_invalid');
    expectDomainError(() => requestKey('pi', 'x'.repeat(250), {}), 'idempotency_key_too_long');
    expectDomainError(() => refundKey('p', 0), 'idempotency_key_invalid');
    expectDomainError(() => customerCreateKey('s', 'p', 'x'.repeat(250)), 'idempotency_key_too_long');
    expect(customerCreateKey('s', 'p', 'x'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH - 11))).toHaveLength(
      MAX_IDEMPOTENCY_KEY_LENGTH,
    );
    expect(requestKey('pi', 'x'.repeat(200), {}).length).toBeLessThanOrEqual(MAX_IDEMPOTENCY_KEY_LENGTH);
  });
});
