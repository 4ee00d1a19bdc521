// The noble hash functions behind HashId (internal; providers expose them via CryptoProvider).
import { hkdf as nobleHkdf } from '@noble/hashes/hkdf.js';
import { hmac as nobleHmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256, sha384, sha512 } from '@noble/hashes/sha2.js';
import type { CHash } from '@noble/hashes/utils.js';
import type { HashId } from './provider.js';

/** A noble CHash (callable with outputLen/blockLen/create). */
export type NobleHash = CHash;

export const NOBLE_HASH: { readonly [K in HashId]: NobleHash } = {
  sha1,
  sha256,
  sha384,
  sha512,
};

export function nobleHashFn(alg: HashId): NobleHash {
  const h = NOBLE_HASH[alg];
  if (h === undefined) throw new TypeError(`unknown hash ${JSON.stringify(alg)}`);
  return h;
}

export function hashNoble(alg: HashId, data: Uint8Array): Uint8Array {
  return nobleHashFn(alg)(data);
}

export function hmacNoble(alg: HashId, key: Uint8Array, data: Uint8Array): Uint8Array {
  return nobleHmac(nobleHashFn(alg), key, data);
}

export function hkdfNoble(alg: HashId, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  return nobleHkdf(nobleHashFn(alg), ikm, salt, info, length);
}
