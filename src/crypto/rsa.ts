// RSA for HIP host identities (RFC 7401 §5.2.9): the RFC 3110 public key encoding of the Host
// Identity field, RSASSA-PSS (RFC 8017 §8.1, MGF1 with the same hash, salt length = hash
// length) and key generation from an injected random source. Pure bigint arithmetic; the salt
// comes from the caller's RandomSource (micro-rsa-dsa-dh's PSS draws it from a global CSPRNG,
// so only its primality test is used here).
import { isProbablePrime } from 'micro-rsa-dsa-dh/primality.js';
import type { RandomSource } from '../types.js';
import { concatBytes, equalBytes } from '../util/bytes.js';
import { bigIntToBytes, bigIntToMinBytes, bitLength, bytesToBigInt, byteLength, gcd, modInv, modPow } from './bigint.js';
import { nobleHashFn } from './hashes.js';
import type { HashId, RsaPrivateKey } from './provider.js';

export type RsaPublicKey = { readonly n: bigint; readonly e: bigint };

/** Moduli outside this range are refused (the upper bound caps the cost of a remote key). */
export const RSA_MIN_BITS = 1024;
export const RSA_MAX_BITS = 8192;

/** RFC 3110 §2: exponent length (1 byte, or 0 + 2 bytes when > 255), exponent, modulus. */
export function encodeRsaHostIdentity(key: RsaPublicKey): Uint8Array {
  const e = bigIntToMinBytes(key.e);
  const n = bigIntToMinBytes(key.n);
  const len = e.length > 255 ? Uint8Array.of(0, e.length >>> 8, e.length & 0xff) : Uint8Array.of(e.length);
  return concatBytes(len, e, n);
}

/** Parses an RFC 3110 RSA public key; undefined when malformed or outside the accepted sizes. */
export function decodeRsaHostIdentity(hi: Uint8Array): RsaPublicKey | undefined {
  if (hi.length < 3) return undefined;
  let off = 1;
  let eLen = hi[0]!;
  if (eLen === 0) {
    eLen = (hi[1]! << 8) | hi[2]!;
    off = 3;
  }
  if (eLen === 0 || off + eLen >= hi.length) return undefined;
  const eBytes = hi.subarray(off, off + eLen);
  const nBytes = hi.subarray(off + eLen);
  if (eBytes[0] === 0 || nBytes[0] === 0) return undefined; // not minimal
  const e = bytesToBigInt(eBytes);
  const n = bytesToBigInt(nBytes);
  const bits = bitLength(n);
  if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) return undefined;
  if (e < 3n || (e & 1n) === 0n || e >= n || (n & 1n) === 0n) return undefined;
  return { n, e };
}

function mgf1(hash: HashId, seed: Uint8Array, len: number): Uint8Array {
  const h = nobleHashFn(hash);
  const out = new Uint8Array(Math.ceil(len / h.outputLen) * h.outputLen);
  const counter = new Uint8Array(4);
  for (let i = 0, off = 0; off < len; i++, off += h.outputLen) {
    counter[0] = i >>> 24;
    counter[1] = (i >>> 16) & 0xff;
    counter[2] = (i >>> 8) & 0xff;
    counter[3] = i & 0xff;
    out.set(h(concatBytes(seed, counter)), off);
  }
  return out.subarray(0, len);
}

/** EMSA-PSS-ENCODE (RFC 8017 §9.1.1) with sLen = hLen. */
export function emsaPssEncode(hash: HashId, message: Uint8Array, emBits: number, salt: Uint8Array): Uint8Array {
  const h = nobleHashFn(hash);
  const hLen = h.outputLen;
  const emLen = Math.ceil(emBits / 8);
  if (emLen < hLen + salt.length + 2) throw new RangeError('RSA modulus too short for PSS');
  const mHash = h(message);
  const H = h(concatBytes(new Uint8Array(8), mHash, salt));
  const db = new Uint8Array(emLen - hLen - 1);
  db[db.length - salt.length - 1] = 0x01;
  db.set(salt, db.length - salt.length);
  const mask = mgf1(hash, H, db.length);
  for (let i = 0; i < db.length; i++) db[i]! ^= mask[i]!;
  db[0]! &= 0xff >>> (8 * emLen - emBits);
  return concatBytes(db, H, Uint8Array.of(0xbc));
}

/** EMSA-PSS-VERIFY (RFC 8017 §9.1.2) with sLen = hLen. */
export function emsaPssVerify(hash: HashId, message: Uint8Array, em: Uint8Array, emBits: number): boolean {
  const h = nobleHashFn(hash);
  const hLen = h.outputLen;
  const sLen = hLen;
  const emLen = Math.ceil(emBits / 8);
  if (em.length !== emLen || emLen < hLen + sLen + 2) return false;
  if (em[emLen - 1] !== 0xbc) return false;
  const maskedDb = em.subarray(0, emLen - hLen - 1);
  const H = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >>> (8 * emLen - emBits);
  if ((maskedDb[0]! & ~topMask & 0xff) !== 0) return false;
  const mask = mgf1(hash, H, maskedDb.length);
  const db = new Uint8Array(maskedDb.length);
  for (let i = 0; i < db.length; i++) db[i] = maskedDb[i]! ^ mask[i]!;
  db[0]! &= topMask;
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const salt = db.subarray(db.length - sLen);
  const H2 = h(concatBytes(new Uint8Array(8), h(message), salt));
  return equalBytes(H, H2);
}

/** RSASP1 with CRT when the factors are known. */
function rsaPrivate(key: RsaPrivateKey, m: bigint): bigint {
  const crt = key.crt;
  if (crt === undefined) return modPow(m, key.d, key.n);
  const m1 = modPow(m % crt.p, crt.dp, crt.p);
  const m2 = modPow(m % crt.q, crt.dq, crt.q);
  let h = ((m1 - m2) * crt.qinv) % crt.p;
  if (h < 0n) h += crt.p;
  return m2 + h * crt.q;
}

/** RSASSA-PSS-SIGN with salt length = hash length; the salt is drawn from `random`. */
export function rsaPssSign(key: RsaPrivateKey, hash: HashId, message: Uint8Array, random: RandomSource): Uint8Array {
  const modBits = bitLength(key.n);
  const k = byteLength(key.n);
  const salt = random(nobleHashFn(hash).outputLen);
  const em = emsaPssEncode(hash, message, modBits - 1, salt);
  const m = bytesToBigInt(em);
  const s = rsaPrivate(key, m);
  // Fault check (a CRT error would leak a factor): the signature must verify.
  if (modPow(s, key.e, key.n) !== m) throw new Error('RSA signature fault check failed');
  return bigIntToBytes(s, k);
}

/** RSASSA-PSS-VERIFY with salt length = hash length. The signature must be exactly k bytes. */
export function rsaPssVerify(key: RsaPublicKey, hash: HashId, message: Uint8Array, signature: Uint8Array): boolean {
  const modBits = bitLength(key.n);
  const k = byteLength(key.n);
  if (signature.length !== k) return false;
  const s = bytesToBigInt(signature);
  if (s >= key.n) return false;
  const m = modPow(s, key.e, key.n);
  const emLen = Math.ceil((modBits - 1) / 8);
  if (byteLength(m) > emLen) return false;
  return emsaPssVerify(hash, message, bigIntToBytes(m, emLen), modBits - 1);
}

/** Completes a private key from n, e, d and the primes (CRT parameters). */
export function rsaPrivateFromPrimes(p: bigint, q: bigint, e: bigint): RsaPrivateKey {
  if (p < q) [p, q] = [q, p];
  const n = p * q;
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInv(e, lambda);
  return { type: 'rsa', n, e, d, crt: { p, q, dp: d % (p - 1n), dq: d % (q - 1n), qinv: modInv(q, p) } };
}

const SMALL_PRIMES: readonly bigint[] = (() => {
  const out: bigint[] = [];
  for (let i = 3; i < 2000; i += 2) {
    let prime = true;
    for (let j = 3; j * j <= i; j += 2) if (i % j === 0) { prime = false; break; }
    if (prime) out.push(BigInt(i));
  }
  return out;
})();

function randomPrime(bits: number, e: bigint, random: RandomSource): bigint {
  const bytes = Math.ceil(bits / 8);
  const extra = 8 * bytes - bits;
  for (let attempt = 0; attempt < 100 * bits; attempt++) {
    const r = random(bytes);
    let c = bytesToBigInt(r) >> BigInt(extra);
    c |= 3n << BigInt(bits - 2); // top two bits set: p·q has exactly 2·bits bits
    c |= 1n;
    if (SMALL_PRIMES.some((sp) => c % sp === 0n)) continue;
    if (gcd(c - 1n, e) !== 1n) continue;
    if (isProbablePrime(c, 40, random)) return c;
  }
  throw new Error('RSA prime generation failed');
}

/** RSA key generation (two random primes of bits/2 bits each, e = 65537) from `random` only. */
export function rsaGenerate(bits: number, random: RandomSource, e = 65537n): RsaPrivateKey {
  if (!Number.isInteger(bits) || bits < RSA_MIN_BITS || bits > RSA_MAX_BITS || bits % 16 !== 0) {
    throw new RangeError(`"bits" expected a multiple of 16 in ${RSA_MIN_BITS}..${RSA_MAX_BITS}, got ${bits}`);
  }
  for (;;) {
    const p = randomPrime(bits / 2, e, random);
    const q = randomPrime(bits / 2, e, random);
    if (p === q) continue;
    return rsaPrivateFromPrimes(p, q, e);
  }
}
