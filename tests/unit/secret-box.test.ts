import { fingerprint, keyId, keyRingFromEnv, open, parseKey, seal } from '../../server/src/utils/secret-box';

const A = Buffer.alloc(32, 1);
const B = Buffer.alloc(32, 2);

describe('secret box (AES-256-GCM)', () => {
  it('round-trips and never contains the plaintext', () => {
    const sealed = seal('sk_test_abc', A);
    expect(sealed).toMatch(/^v1:[0-9a-f]{8}:/);
    expect(sealed).not.toContain('sk_test_abc');
    expect(open(sealed, { current: A, previous: [] })).toBe('sk_test_abc');
  });

  it('uses a fresh IV each time', () => {
    expect(seal('x', A)).not.toBe(seal('x', A));
  });

  it('detects tampering', () => {
    const parts = seal('secret', A).split(':');
    parts[4] = Buffer.from('tampered').toString('base64url');
    expect(() => open(parts.join(':'), { current: A, previous: [] })).toThrow();
  });

  it('reads values sealed under a previous key', () => {
    const sealed = seal('old', A);
    expect(open(sealed, { current: B, previous: [A] })).toBe('old');
    expect(() => open(sealed, { current: B, previous: [] })).toThrow(/INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS/);
  });

  it('accepts base64, base64url and hex keys of 32 bytes only', () => {
    expect(parseKey(A.toString('base64'))).toEqual(A);
    expect(parseKey(A.toString('base64url'))).toEqual(A);
    expect(parseKey(A.toString('hex'))).toEqual(A);
    expect(() => parseKey('short')).toThrow(/32 random bytes/);
    expect(() => parseKey(Buffer.alloc(16).toString('hex'))).toThrow(/not a valid key/);
  });

  it('builds a key ring from env', () => {
    const ring = keyRingFromEnv({
      INVOICE_PAYMENTS_ENCRYPTION_KEY: B.toString('hex'),
      INVOICE_PAYMENTS_ENCRYPTION_KEY_PREVIOUS: `${A.toString('base64')},`,
    });
    expect(keyId(ring.current!)).toBe(keyId(B));
    expect(ring.previous.map(keyId)).toEqual([keyId(A)]);
  });

  it('fingerprints are stable and do not reveal the key', () => {
    expect(fingerprint('sk_test_1')).toBe(fingerprint('sk_test_1'));
    expect(fingerprint('sk_test_1')).not.toContain('sk_test');
    expect(fingerprint('sk_test_1')).toHaveLength(16);
  });
});
