// Big-integer helpers for RSA and the MODP groups (internal). Uint8Array ↔ bigint, big-endian.

export function bytesToBigInt(b: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < b.length; i++) hex += b[i]!.toString(16).padStart(2, '0');
  return hex === '' ? 0n : BigInt('0x' + hex);
}

/** Fixed-width big-endian encoding; throws if `n` does not fit in `len` bytes. */
export function bigIntToBytes(n: bigint, len: number): Uint8Array {
  if (n < 0n) throw new RangeError('negative integer');
  let hex = n.toString(16);
  if (hex.length > 2 * len) throw new RangeError(`integer does not fit in ${len} bytes`);
  hex = hex.padStart(2 * len, '0');
  const out = new Uint8Array(len);
  for (let i = 0; i < len; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Minimal big-endian encoding (at least one byte). */
export function bigIntToMinBytes(n: bigint): Uint8Array {
  return bigIntToBytes(n, Math.max(1, byteLength(n)));
}

export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

export function byteLength(n: bigint): number {
  return Math.ceil(bitLength(n) / 8);
}

export function mod(a: bigint, m: bigint): bigint {
  const r = a % m;
  return r < 0n ? r + m : r;
}

/** base^exp mod m (left-to-right, 4-bit fixed window). */
export function modPow(base: bigint, exp: bigint, m: bigint): bigint {
  if (m === 1n) return 0n;
  base = mod(base, m);
  if (exp === 0n) return 1n;
  const table: bigint[] = [1n, base];
  for (let i = 2; i < 16; i++) table.push((table[i - 1]! * base) % m);
  const hex = exp.toString(16);
  let r = 1n;
  for (let i = 0; i < hex.length; i++) {
    if (i > 0) {
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
      r = (r * r) % m;
    }
    const d = parseInt(hex[i]!, 16);
    if (d !== 0) r = (r * table[d]!) % m;
  }
  return r;
}

export function gcd(a: bigint, b: bigint): bigint {
  a = a < 0n ? -a : a;
  b = b < 0n ? -b : b;
  while (b !== 0n) [a, b] = [b, a % b];
  return a;
}

/** Modular inverse; throws if none exists. */
export function modInv(a: bigint, m: bigint): bigint {
  let [oldR, r] = [mod(a, m), m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new RangeError('no modular inverse');
  return mod(oldS, m);
}
