import {
  MAX_IDEMPOTENCY_KEY_LENGTH,
  checkoutSessionKey,
  customerCreateKey,
  paymentIntentCancelKey,
  paymentIntentCreateKey,
  paymentIntentUpdateKey,
  refundKey,
} from '../../../server/src/domain';
import { expectDomainError } from './expect-domain-error';

describe('idempotency keys', () => {
  it('are deterministic and readable', () => {
    expect(paymentIntentCreateKey('abc123', 182750, 'USD', 0)).toBe('ip-pi-abc123-182750-usd-0');
    expect(paymentIntentCreateKey('abc123', 182750, 'usd', 0)).toBe(paymentIntentCreateKey('abc123', 182750, 'USD', 0));
    expect(checkoutSessionKey('abc123', 5000, 2)).toBe('ip-cs-abc123-5000-2');
    expect(refundKey('pay_42', 1)).toBe('ip-re-pay_42-1');
    expect(paymentIntentUpdateKey('pi_123', 5000, 1)).toBe('ip-piu-pi_123-5000-1');
    expect(paymentIntentCancelKey('pi_123')).toBe('ip-pic-pi_123');
    expect(customerCreateKey('client9')).toBe('ip-cus-client9');
  });

  it('change when the operation changes', () => {
    const base = paymentIntentCreateKey('inv', 1000, 'USD', 0);
    expect(paymentIntentCreateKey('inv', 1001, 'USD', 0)).not.toBe(base);
    expect(paymentIntentCreateKey('inv', 1000, 'EUR', 0)).not.toBe(base);
    expect(paymentIntentCreateKey('inv', 1000, 'USD', 1)).not.toBe(base);
    expect(refundKey('p', 1)).not.toBe(refundKey('p', 2));
  });

  it('cannot collide through the separator', () => {
    expect(refundKey('a-1', 2)).toBe('ip-re-a%2D1-2');
    expect(checkoutSessionKey('a-1', 2, 3)).not.toBe(checkoutSessionKey('a', 12, 3));
    expect(customerCreateKey('x y/ü')).toBe('ip-cus-x%20y%2F%C3%BC');
  });

  it('refuse bad parts and over-long keys', () => {
    expectDomainError(() => paymentIntentCreateKey('', 1000, 'USD', 0), 'idempotency_key_invalid');
    expectDomainError(() => paymentIntentCreateKey('inv', 0, 'USD', 0), 'idempotency_key_invalid');
    expectDomainError(() => paymentIntentCreateKey('inv', 10.5, 'USD', 0), 'idempotency_key_invalid');
    expectDomainError(() => paymentIntentCreateKey('inv', 1000, 'USD', -1), 'idempotency_key_invalid');
    expectDomainError(() => paymentIntentCreateKey('inv', 1000, 'XYZ', 0), 'unsupported_currency');
    expectDomainError(() => refundKey('p', 0), 'idempotency_key_invalid');
    expectDomainError(() => customerCreateKey('x'.repeat(250)), 'idempotency_key_too_long');
    expect(customerCreateKey('x'.repeat(MAX_IDEMPOTENCY_KEY_LENGTH - 7))).toHaveLength(MAX_IDEMPOTENCY_KEY_LENGTH);
  });
});
