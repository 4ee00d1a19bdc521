// The default, complete, pure-JS provider (docs/architecture.md, Clock, randomness and crypto): @noble/hashes for SHA-1/SHA-2, HMAC
// and HKDF; @noble/curves for ECDSA, EdDSA and ECDH; @noble/ciphers for AES-CBC; RSA-PSS and the
// MODP groups on bigint with micro-rsa-dsa-dh's primality test and RFC 3526 primes.
import { cbc } from '@noble/ciphers/aes.js';
import { randomBytes } from '@noble/hashes/utils.js';
import { ESP_SUITE, type EspSuiteId, type RandomSource } from '../types.js';
import { ecdsaKeyTypeOf, ecdsaSign, ecdsaVerify, ecpDhGroup, ed25519Sign, ed25519Verify, eddsaKeyTypeOf } from './ec.js';
import { hashNoble, hkdfNoble, hmacNoble } from './hashes.js';
import { modpDhGroup } from './modp.js';
import type { CryptoProvider, DhGroup, HipCipher, HostIdAlgorithm, HostPrivateKey } from './provider.js';
import { decodeRsaHostIdentity, rsaPssSign, rsaPssVerify } from './rsa.js';

/**
 * The documented default RNG hook: the platform CSPRNG through @noble/hashes `randomBytes`.
 * The engine uses it only when the caller passes no `random`; nothing in crypto/ calls it.
 */
export const defaultRandom: RandomSource = (n) => randomBytes(n);

/** Caller misuse: a private key whose type does not match the HI algorithm (shared with the node provider). */
export function wrongKey(alg: number, key: HostPrivateKey): never {
  throw new TypeError(`HI algorithm ${alg} cannot sign with a ${key.type} key`);
}

const RSA: HostIdAlgorithm = {
  id: 5,
  keyType: (hi) => (decodeRsaHostIdentity(hi) !== undefined ? 'rsa' : undefined),
  sign(key, data, random) {
    if (key.type !== 'rsa') wrongKey(5, key);
    return rsaPssSign(key, 'sha256', data, random);
  },
  verify(hi, data, signature) {
    const pub = decodeRsaHostIdentity(hi);
    return pub !== undefined && rsaPssVerify(pub, 'sha256', data, signature);
  },
};

const ECDSA: HostIdAlgorithm = {
  id: 7,
  keyType: (hi) => ecdsaKeyTypeOf(7, hi),
  sign(key, data) {
    if (key.type !== 'ecdsa-p256' && key.type !== 'ecdsa-p384') wrongKey(7, key);
    return ecdsaSign(key.type, key.secret, data);
  },
  verify(hi, data, signature) {
    const t = ecdsaKeyTypeOf(7, hi);
    return t !== undefined && ecdsaVerify(t, hi, data, signature);
  },
};

const ECDSA_LOW: HostIdAlgorithm = {
  id: 9,
  keyType: (hi) => ecdsaKeyTypeOf(9, hi),
  sign(key, data) {
    if (key.type !== 'ecdsa-secp160r1') wrongKey(9, key);
    return ecdsaSign(key.type, key.secret, data);
  },
  verify(hi, data, signature) {
    return ecdsaKeyTypeOf(9, hi) !== undefined && ecdsaVerify('ecdsa-secp160r1', hi, data, signature);
  },
};

const EDDSA: HostIdAlgorithm = {
  id: 13,
  keyType: (hi) => eddsaKeyTypeOf(hi),
  sign(key, data) {
    if (key.type !== 'ed25519') wrongKey(13, key);
    return ed25519Sign(key.secret, data);
  },
  verify(hi, data, signature) {
    return eddsaKeyTypeOf(hi) !== undefined && ed25519Verify(hi, data, signature);
  },
};

const HOST_ID_ALGORITHMS = new Map<number, HostIdAlgorithm>([
  [5, RSA],
  [7, ECDSA],
  [9, ECDSA_LOW],
  [13, EDDSA],
]);

const NULL_CIPHER: HipCipher = {
  id: 1,
  keyLength: 0,
  ivLength: 0,
  blockSize: 1,
  encrypt: (_key, _iv, plaintext) => plaintext.slice(),
  decrypt: (_key, _iv, ciphertext) => ciphertext.slice(),
};

function aesCbc(id: 2 | 4, keyLength: 16 | 32): HipCipher {
  return {
    id,
    keyLength,
    ivLength: 16,
    blockSize: 16,
    encrypt(key, iv, plaintext) {
      if (key.length !== keyLength || iv.length !== 16 || plaintext.length % 16 !== 0) {
        throw new RangeError('AES-CBC: bad key/IV length or unaligned plaintext');
      }
      return cbc(key, iv, { disablePadding: true }).encrypt(plaintext);
    },
    decrypt(key, iv, ciphertext) {
      if (key.length !== keyLength || iv.length !== 16 || ciphertext.length % 16 !== 0) return undefined;
      return cbc(key, iv, { disablePadding: true }).decrypt(ciphertext);
    },
  };
}

const CIPHERS = new Map<number, HipCipher>([
  [1, NULL_CIPHER],
  [2, aesCbc(2, 16)],
  [4, aesCbc(4, 32)],
]);

/** Options of {@link nobleCrypto}. */
export type NobleCryptoOptions = {
  /**
   * ESP suites the caller's data plane supports, in preference order. Default: AES-128-CBC and
   * AES-256-CBC with HMAC-SHA-256 (8, 9), then NULL with HMAC-SHA-256 (7), which the engine
   * accepts only when its policy allows authentication-only ESP (RFC 7402 §5.1.2).
   */
  readonly espTransforms?: readonly EspSuiteId[];
};

/** Default ESP suites of the providers: 8, 9, then 7 (see NobleCryptoOptions). */
export const defaultEspTransforms: readonly EspSuiteId[] = Object.freeze([
  ESP_SUITE.AES_128_CBC_HMAC_SHA256,
  ESP_SUITE.AES_256_CBC_HMAC_SHA256,
  ESP_SUITE.NULL_HMAC_SHA256,
]);

/** The default pure-JS provider: every algorithm of RFC 7401/7402 that hip-engine implements. */
export function nobleCrypto(opts: NobleCryptoOptions = {}): CryptoProvider {
  const esp = Object.freeze([...(opts.espTransforms ?? defaultEspTransforms)]);
  return {
    name: 'noble',
    hash: hashNoble,
    hmac: hmacNoble,
    hkdf: hkdfNoble,
    dhGroup: (id): DhGroup | undefined => modpDhGroup(id) ?? ecpDhGroup(id),
    hostIdAlgorithm: (id) => HOST_ID_ALGORITHMS.get(id),
    cipher: (id) => CIPHERS.get(id),
    espTransforms: () => esp,
  };
}
