// The crypto provider contract (docs/architecture.md, Clock, randomness and crypto). Synchronous, because the engine is synchronous and
// noble is synchronous. Every random value comes from an injected `RandomSource`; a provider
// never reads a random source of its own.
//
// `nobleCrypto()` (crypto/noble.ts) is the complete, pure-JS default. A provider may leave an
// algorithm out by returning `undefined`; negotiation intersects the engine's preference lists
// with what the provider supports.
import type { EspSuiteId, RandomSource } from '../types.js';
import type { HiAlgorithmId } from '../wire/constants.js';

export type { HiAlgorithmId } from '../wire/constants.js';
export type { EspSuiteId, RandomSource } from '../types.js';

/** Hash functions used by HIP (RHASH of the HIT suites, RSA-PSS, HKDF). */
export type HashId = 'sha1' | 'sha256' | 'sha384' | 'sha512';

/**
 * HIT suite ids: the 4-bit OGA ID of the HIT (RFC 7401 §5.2.10; 5 = EdDSA from RFC 9374).
 * In HIT_SUITE_LIST each appears as one byte with the id in the high nibble (0x10, 0x20, ...).
 */
export type HitSuiteId = 1 | 2 | 3 | 5;

/** DH group ids of RFC 7401 §5.2.7 (3, 4: MODP; 7, 8, 9: NIST P-256/384/521; 10 secp160r1; 11 MODP-2048). */
export type DhGroupId = 3 | 4 | 7 | 8 | 9 | 10 | 11;

/** HIP_CIPHER ids of RFC 7401 §5.2.8 (1 = NULL-ENCRYPT, 2 = AES-128-CBC, 4 = AES-256-CBC). */
export type HipCipherId = 1 | 2 | 4;

/** ESP transform suite ids of RFC 7402 §5.1.2. */
export type EspTransformId = EspSuiteId;

/**
 * The kind of key behind a Host Identity: the HI algorithm plus, for the EC algorithms, the curve.
 * RSA: RSASSA-PSS with SHA-256 (suite 1). ECDSA P-256 and P-384: ECDSA with SHA-384 (suite 2,
 * RFC 7401 Table 10 maps every ECDSA HI to suite 2). ECDSA_LOW secp160r1: ECDSA with SHA-1
 * (suite 3). Ed25519: pure EdDSA (RFC 8032), HIT suite 5 (RFC 9374).
 */
export type HostKeyType = 'rsa' | 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-secp160r1' | 'ed25519';

/** RSA private key; the CRT parameters make signing about 3x faster and are kept when known. */
export type RsaPrivateKey = {
  readonly type: 'rsa';
  readonly n: bigint;
  readonly e: bigint;
  readonly d: bigint;
  readonly crt?: {
    readonly p: bigint;
    readonly q: bigint;
    readonly dp: bigint;
    readonly dq: bigint;
    readonly qinv: bigint;
  };
};

/** EC / EdDSA private key: the raw scalar (ECDSA, big-endian, curve order width) or seed (Ed25519, 32 bytes). */
export type EcPrivateKey = {
  readonly type: 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-secp160r1' | 'ed25519';
  readonly secret: Uint8Array;
};

/**
 * The private half of a Host Identity, as a provider signs with it (RFC 7401 §5.2.9 algorithms).
 */
export type HostPrivateKey = RsaPrivateKey | EcPrivateKey;

/** A DH key pair: `publicValue` is in the wire form of the DIFFIE_HELLMAN parameter. */
export type DhKeyPair = { readonly privateKey: Uint8Array; readonly publicValue: Uint8Array };

/**
 * Why a peer's DH public value was refused.
 * - `length`: not the group's fixed public value length.
 * - `zero`, `one`, `p-minus-1`, `out-of-range` (>= p): MODP values that are not in (1, p-1).
 * - `off-curve`: an EC point whose coordinates are >= p or that does not satisfy the curve equation.
 * - `identity`: the shared secret came out as the point at infinity or as 1 (never for valid keys).
 */
export type DhRejectReason = 'length' | 'zero' | 'one' | 'p-minus-1' | 'out-of-range' | 'off-curve' | 'identity';

/**
 * The result of a DH/ECDH computation on a peer's public value: the shared secret, or why the
 * value was rejected (RFC 7401 §6.4 drops the packet then; it never throws on remote input).
 */
export type DhSharedResult =
  | { readonly ok: true; readonly secret: Uint8Array }
  | { readonly ok: false; readonly reason: DhRejectReason };

/**
 * One Diffie-Hellman group (RFC 7401 §5.2.7).
 * MODP (RFC 3526): public value = g^x mod p, big-endian, fixed width = length of p; shared
 * secret also fixed width. ECP (RFC 5903): public value = x ‖ y (no 0x04 prefix), each the
 * field width; shared secret = the x coordinate of the shared point.
 */
export interface DhGroup {
  /** The DH_GROUP_LIST / DIFFIE_HELLMAN group id (RFC 7401 §5.2.7). */
  readonly id: DhGroupId;
  /**
   * 'modp' for a MODP group (RFC 3526, RFC 5114), 'ecp' for an elliptic curve group (RFC 7401
   * §5.2.7).
   */
  readonly kind: 'modp' | 'ecp';
  /** Length in bytes of a public value on the wire. */
  readonly publicValueLength: number;
  /** Length in bytes of the shared secret Kij. */
  readonly sharedSecretLength: number;
  /** A fresh key pair from `random` (the only source of randomness). */
  generate(random: RandomSource): DhKeyPair;
  /** Kij from our private key and the peer's public value; refuses invalid peer values. */
  shared(privateKey: Uint8Array, peerPublic: Uint8Array): DhSharedResult;
}

/**
 * One HI algorithm (RFC 7401 §5.2.9): signing with a private key and verifying against the
 * Host Identity field of a HOST_ID parameter (the exact bytes that are hashed into the HIT).
 */
export interface HostIdAlgorithm {
  /** The HI algorithm number (RFC 7401 §5.2.9). */
  readonly id: HiAlgorithmId;
  /** The key type a Host Identity field encodes, or undefined if it is malformed or unsupported. */
  keyType(hostIdentity: Uint8Array): HostKeyType | undefined;
  /** Signature over `data` (the covered bytes). RSA-PSS draws its salt from `random`. */
  sign(key: HostPrivateKey, data: Uint8Array, random: RandomSource): Uint8Array;
  /** False for any malformed key or signature; never throws on remote input. */
  verify(hostIdentity: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
}

/**
 * A HIP_CIPHER block cipher for the ENCRYPTED parameter (RFC 7401 §5.2.18), raw CBC without
 * padding: `encrypt` requires a multiple of `blockSize`; crypto/encrypted.ts does the padding.
 * NULL-ENCRYPT has keyLength = ivLength = 0 and blockSize = 1.
 */
export interface HipCipher {
  /** The HIP_CIPHER id (RFC 7401 §5.2.8). */
  readonly id: HipCipherId;
  /** Key length in bytes (0 for NULL-ENCRYPT). */
  readonly keyLength: number;
  /** IV length in bytes (0 for NULL-ENCRYPT). */
  readonly ivLength: number;
  /** Cipher block size in bytes; `encrypt` input must be a multiple of it. */
  readonly blockSize: number;
  /** CBC encryption of `plaintext`, whose length must be a multiple of `blockSize` (no padding). */
  encrypt(key: Uint8Array, iv: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Undefined when the ciphertext length is not a multiple of the block size. */
  decrypt(key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array): Uint8Array | undefined;
}

/**
 * The cryptographic primitives the engine needs, injected so the core stays portable and testable:
 * {@link nobleCrypto} is the default, `hip-engine/crypto/node` the node:crypto one. Each lookup
 * returns undefined for an id it does not support, and negotiation skips it (RFC 7401 §5.2.7,
 * §5.2.8, §5.2.10).
 */
export interface CryptoProvider {
  /** A short name for traces and benchmarks, e.g. "noble" or "node". */
  readonly name: string;
  /** The digest of `data` (RHASH of a HIT suite, RFC 7401 §5.2.10). */
  hash(alg: HashId, data: Uint8Array): Uint8Array;
  /** HMAC (RFC 2104) of `data` under `key`, for the HIP_MAC parameters (RFC 7401 §5.2.12). */
  hmac(alg: HashId, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** HKDF (RFC 5869): Expand(Extract(salt, ikm), info, length). Throws if length > 255·HashLen. */
  hkdf(alg: HashId, ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Uint8Array;
  /**
   * The DH or ECDH group with this DH_GROUP_LIST id (RFC 7401 §5.2.7), or undefined if not
   * supported.
   */
  dhGroup(id: number): DhGroup | undefined;
  /** The signature algorithm with this HI algorithm number (RFC 7401 §5.2.9), or undefined. */
  hostIdAlgorithm(id: number): HostIdAlgorithm | undefined;
  /** The HIP_CIPHER with this id (RFC 7401 §5.2.8), or undefined. */
  cipher(id: number): HipCipher | undefined;
  /** ESP suites the caller's data plane can do, in preference order. */
  espTransforms(): readonly EspTransformId[];
}

/** Output length in bytes of each hash. */
export const HASH_LENGTH: { readonly [K in HashId]: number } = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };

/**
 * RHASH of each HIT suite (RFC 7401 Table 10). Suite 5 (EdDSA, RFC 9374) uses cSHAKE128 only to
 * form HHITs; for HIP's RHASH/HMAC with EdDSA hip-engine uses SHA-256 (see crypto/hit.ts).
 */
export const HIT_SUITE_HASH: { readonly [K in HitSuiteId]: HashId } = { 1: 'sha256', 2: 'sha384', 3: 'sha1', 5: 'sha256' };

/** The HIT suite of each key type (RFC 7401 §5.2.10 Table 10; RFC 9374 for EdDSA). */
export const KEY_TYPE_SUITE: { readonly [K in HostKeyType]: HitSuiteId } = {
  rsa: 1,
  'ecdsa-p256': 2,
  'ecdsa-p384': 2,
  'ecdsa-secp160r1': 3,
  ed25519: 5,
};

/** The HI algorithm number of each key type (RFC 7401 §5.2.9, RFC 9374). */
export const KEY_TYPE_ALGORITHM: { readonly [K in HostKeyType]: HiAlgorithmId } = {
  rsa: 5,
  'ecdsa-p256': 7,
  'ecdsa-p384': 7,
  'ecdsa-secp160r1': 9,
  ed25519: 13,
};

/**
 * True for a HIT suite id hip-engine implements (1, 2, 3; 5 for EdDSA from RFC 9374), RFC 7401
 * §5.2.10.
 */
export function isHitSuiteId(n: number): n is HitSuiteId {
  return n === 1 || n === 2 || n === 3 || n === 5;
}

/** True for a DH group id hip-engine implements (3, 4, 7..11), RFC 7401 §5.2.7. */
export function isDhGroupId(n: number): n is DhGroupId {
  return n === 3 || n === 4 || (n >= 7 && n <= 11);
}

/**
 * True for a HIP_CIPHER id hip-engine implements (1 NULL, 2 AES-128-CBC, 4 AES-256-CBC), RFC 7401
 * §5.2.8.
 */
export function isHipCipherId(n: number): n is HipCipherId {
  return n === 1 || n === 2 || n === 4;
}
