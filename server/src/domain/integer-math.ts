/**
 * Exact integer helpers on BigInt. Money and quantities never go through
 * floating point; every division that can leave a remainder goes through one of
 * these so the rounding rule is explicit.
 */

/** n / d rounded half away from zero. `d` must be positive. */
export function divRoundHalfUp(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const negative = n < 0n;
  const abs = negative ? -n : n;
  const q = abs / d;
  const r = abs % d;
  const rounded = r * 2n >= d ? q + 1n : q;
  return negative ? -rounded : rounded;
}

/** n / d rounded towards +infinity. `d` must be positive. */
export function divCeil(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('divisor must be positive');
  const q = n / d;
  // BigInt division truncates toward zero, so only positive remainders need a bump.
  return n % d > 0n ? q + 1n : q;
}
