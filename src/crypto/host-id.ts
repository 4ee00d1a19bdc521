// Host identities: key pairs, their Host Identity field (RFC 7401 §5.2.9), HOST_ID parameter
// values, HITs, and import/export as raw keys and PKCS#8 / SPKI DER (OpenSSL-compatible).
//
// Host Identity field encodings:
//   RSA (5):        RFC 3110 §2: e_len (1 byte, or 0 + 2 bytes) | e | n
//   ECDSA (7):      curve id (2 bytes: 1 = P-256, 2 = P-384) | 0x04 | X | Y
//   ECDSA_LOW (9):  curve id (2 bytes: 1 = secp160r1) | 0x04 | X | Y
//   EdDSA (13):     curve id (2 bytes: 1 = Ed25519) | 32-byte public key (RFC 9374 §3.4)
import type { Hit, RandomSource } from '../types.js';
import { abytes, aint, concatBytes, readU16, writeU16 } from '../util/bytes.js';
import { PARAM_TYPE } from '../wire/constants.js';
import { modInv } from './bigint.js';
import {
  DerError,
  encodeEcPkcs8,
  encodeEcSpki,
  encodeEd25519Pkcs8,
  encodeEd25519Spki,
  encodeRsaPkcs8,
  encodeRsaSpki,
  parsePkcs8,
  parseSpki,
  pemToDer,
  type EcCurveName,
} from './der.js';
import {
  ecdsaCurve,
  ecdsaKeyTypeOf,
  ecdsaPublicKey,
  ecdsaRandomSecret,
  eddsaKeyTypeOf,
  ed25519PublicKey,
  encodeEcdsaHostIdentity,
  encodeEd25519HostIdentity,
  isEcdsaKeyType,
} from './ec.js';
import { hitFromHostIdentity } from './hit.js';
import {
  KEY_TYPE_ALGORITHM,
  KEY_TYPE_SUITE,
  type CryptoProvider,
  type HiAlgorithmId,
  type HitSuiteId,
  type HostKeyType,
  type HostPrivateKey,
  type RsaPrivateKey,
} from './provider.js';
import { decodeRsaHostIdentity, encodeRsaHostIdentity, rsaGenerate, rsaPrivateFromPrimes } from './rsa.js';

/** A local host identity: what the engine's options take (docs/architecture.md, Clock, randomness and crypto). */
export type HostIdentity = {
  readonly keyType: HostKeyType;
  /** HI algorithm number of HOST_ID and HIP_SIGNATURE (RFC 7401 §5.2.9). */
  readonly algorithm: HiAlgorithmId;
  /** HIT suite (OGA ID) of `hit`. */
  readonly suite: HitSuiteId;
  readonly privateKey: HostPrivateKey;
  /** The Host Identity field: the public key as HOST_ID carries it and the HIT hashes it. */
  readonly hostIdentity: Uint8Array;
  readonly hit: Hit;
  readonly diType: number;
  readonly domainIdentifier: Uint8Array;
  /** HOST_ID parameter contents (HI Length .. Domain Identifier), without Type/Length/padding. */
  readonly hostIdValue: Uint8Array;
  /** The whole HOST_ID parameter: Type, Length, contents, zero padding to a multiple of 8. */
  readonly hostIdParam: Uint8Array;
};

/**
 * How a Host Identity is presented in HOST_ID (RFC 7401 §5.2.9: the optional Domain Identifier) and
 * which hash derives its HIT (RFC 7401 §3.2, RFC 7343).
 */
export type HostIdentityOptions = {
  /** DI-Type of HOST_ID (0 none, 1 FQDN, 2 NAI). Default 0. */
  readonly diType?: number;
  /** Domain Identifier bytes (FQDN in RFC 1035 binary form, or NAI). Default empty. */
  readonly domainIdentifier?: Uint8Array;
  /** Provider whose hash derives the HIT (default: noble). */
  readonly crypto?: Pick<CryptoProvider, 'hash'>;
};

// ---- Host Identity field

/** The key type a Host Identity field encodes for an HI algorithm, or undefined if invalid/unsupported. */
export function hostIdKeyType(algorithm: number, hostIdentity: Uint8Array): HostKeyType | undefined {
  switch (algorithm) {
    case 5:
      return decodeRsaHostIdentity(hostIdentity) !== undefined ? 'rsa' : undefined;
    case 7:
    case 9:
      return ecdsaKeyTypeOf(algorithm, hostIdentity);
    case 13:
      return eddsaKeyTypeOf(hostIdentity);
    default:
      return undefined;
  }
}

/** The Host Identity field of a private key's public half. */
export function hostIdentityOf(key: HostPrivateKey): Uint8Array {
  if (key.type === 'rsa') return encodeRsaHostIdentity(key);
  if (key.type === 'ed25519') return encodeEd25519HostIdentity(ed25519PublicKey(key.secret));
  return encodeEcdsaHostIdentity(key.type, ecdsaPublicKey(key.type, key.secret));
}

// ---- HOST_ID parameter contents (RFC 7401 §5.2.9)

/**
 * The fields of a HOST_ID parameter's contents (RFC 7401 §5.2.9), as {@link buildHostIdValue} takes
 * them.
 */
export type HostIdFields = {
  readonly algorithm: number;
  readonly hostIdentity: Uint8Array;
  readonly diType: number;
  readonly domainIdentifier: Uint8Array;
};

/** HOST_ID contents: HI Length(16) | DI-Type(4) DI Length(12) | Algorithm(16) | HI | DI. */
export function buildHostIdValue(f: HostIdFields): Uint8Array {
  aint(f.algorithm, 'algorithm', 0, 0xffff);
  aint(f.diType, 'diType', 0, 15);
  abytes(f.hostIdentity, 'hostIdentity');
  abytes(f.domainIdentifier, 'domainIdentifier');
  aint(f.hostIdentity.length, 'hostIdentity.length', 0, 0xffff);
  aint(f.domainIdentifier.length, 'domainIdentifier.length', 0, 0xfff);
  const head = new Uint8Array(6);
  writeU16(head, 0, f.hostIdentity.length);
  writeU16(head, 2, (f.diType << 12) | f.domainIdentifier.length);
  writeU16(head, 4, f.algorithm);
  return concatBytes(head, f.hostIdentity, f.domainIdentifier);
}

/** Parses HOST_ID contents (any trailing padding is ignored); undefined when the lengths do not fit. */
export function parseHostIdValue(value: Uint8Array): HostIdFields | undefined {
  if (value.length < 6) return undefined;
  const hiLen = readU16(value, 0);
  const diWord = readU16(value, 2);
  const diType = diWord >>> 12;
  const diLen = diWord & 0xfff;
  if (6 + hiLen + diLen > value.length) return undefined;
  return {
    algorithm: readU16(value, 4),
    hostIdentity: value.slice(6, 6 + hiLen),
    diType,
    domainIdentifier: value.slice(6 + hiLen, 6 + hiLen + diLen),
  };
}

/** A whole TLV: Type | Length (contents only) | contents | zero padding to a multiple of 8. */
export function buildParamTlv(type: number, contents: Uint8Array): Uint8Array {
  const total = 4 + contents.length;
  const out = new Uint8Array(Math.ceil(total / 8) * 8);
  writeU16(out, 0, type);
  writeU16(out, 2, contents.length);
  out.set(contents, 4);
  return out;
}

/** The whole HOST_ID parameter (TLV with padding). */
export function buildHostIdParam(f: HostIdFields): Uint8Array {
  return buildParamTlv(PARAM_TYPE.HOST_ID, buildHostIdValue(f));
}

// ---- HostIdentity construction

/** The HostIdentity of a private key. */
export function hostIdentityFromPrivateKey(key: HostPrivateKey, opts: HostIdentityOptions = {}): HostIdentity {
  return hostIdentityWithField(key, hostIdentityOf(key), opts);
}

/**
 * The HostIdentity of a private key whose Host Identity field the caller already has (saves
 * the public-key computation). The field is trusted to be the key's public half.
 */
export function hostIdentityWithField(key: HostPrivateKey, hostIdentity: Uint8Array, opts: HostIdentityOptions = {}): HostIdentity {
  const algorithm = KEY_TYPE_ALGORITHM[key.type];
  const suite = KEY_TYPE_SUITE[key.type];
  const diType = opts.diType ?? 0;
  const domainIdentifier = opts.domainIdentifier ?? new Uint8Array(0);
  if (diType === 0 && domainIdentifier.length !== 0) throw new RangeError('"domainIdentifier" must be empty when diType is 0');
  const fields = { algorithm, hostIdentity, diType, domainIdentifier };
  const hostIdValue = buildHostIdValue(fields);
  return {
    keyType: key.type,
    algorithm,
    suite,
    privateKey: key,
    hostIdentity,
    hit: hitFromHostIdentity(suite, hostIdentity, opts.crypto),
    diType,
    domainIdentifier,
    hostIdValue,
    hostIdParam: buildParamTlv(PARAM_TYPE.HOST_ID, hostIdValue),
  };
}

/**
 * Options of {@link generateHostIdentity}: the {@link HostIdentityOptions} plus the RSA key size.
 */
export type GenerateOptions = HostIdentityOptions & {
  /** RSA modulus size in bits (default 2048; slow in pure JS: seconds). */
  readonly rsaBits?: number;
};

/** A fresh private key of `keyType` drawn from `random` only. */
export function generateHostPrivateKey(keyType: HostKeyType, random: RandomSource, rsaBits = 2048): HostPrivateKey {
  if (keyType === 'rsa') return rsaGenerate(rsaBits, random);
  if (keyType === 'ed25519') return { type: 'ed25519', secret: random(32) };
  if (isEcdsaKeyType(keyType)) return { type: keyType, secret: ecdsaRandomSecret(keyType, random) };
  throw new TypeError(`unknown key type ${JSON.stringify(keyType)}`);
}

/** Generates a host identity of `keyType` from `random`. */
export function generateHostIdentity(keyType: HostKeyType, random: RandomSource, opts: GenerateOptions = {}): HostIdentity {
  return hostIdentityFromPrivateKey(generateHostPrivateKey(keyType, random, opts.rsaBits), opts);
}

/** A private key from raw bytes: the EC scalar (big-endian, order width) or the Ed25519 seed. */
export function hostPrivateKeyFromRaw(keyType: Exclude<HostKeyType, 'rsa'>, secret: Uint8Array): HostPrivateKey {
  abytes(secret, 'secret');
  if (keyType === 'ed25519') {
    abytes(secret, 'secret', 32);
    return { type: 'ed25519', secret: secret.slice() };
  }
  const c = ecdsaCurve(keyType);
  if (!c.signer.utils.isValidSecretKey(secret)) throw new RangeError(`"secret" is not a valid ${keyType} scalar`);
  return { type: keyType, secret: secret.slice() };
}

const CURVE_KEY_TYPE: { readonly [K in EcCurveName]: HostKeyType } = {
  p256: 'ecdsa-p256',
  p384: 'ecdsa-p384',
  secp160r1: 'ecdsa-secp160r1',
};

const KEY_TYPE_CURVE: { readonly [K in HostKeyType]?: EcCurveName } = {
  'ecdsa-p256': 'p256',
  'ecdsa-p384': 'p384',
  'ecdsa-secp160r1': 'secp160r1',
};

function leftPad(b: Uint8Array, len: number): Uint8Array {
  if (b.length === len) return b;
  if (b.length > len) {
    // DER INTEGER-style leading zero or an over-long encoding.
    const extra = b.subarray(0, b.length - len);
    if (extra.some((x) => x !== 0)) throw new RangeError('private scalar too long');
    return b.slice(b.length - len);
  }
  const out = new Uint8Array(len);
  out.set(b, len - b.length);
  return out;
}

/**
 * Imports a private key from PKCS#8 DER, or PEM text ("PRIVATE KEY"), e.g. from
 * `openssl genpkey` or node:crypto. Throws DerError / RangeError when unsupported or invalid.
 */
export function importPkcs8(pkcs8: Uint8Array | string): HostPrivateKey {
  const der = typeof pkcs8 === 'string' ? pemToDer(pkcs8) : pkcs8;
  const k = parsePkcs8(der);
  if (k.kind === 'rsa') {
    const key = rsaPrivateFromPrimes(k.p, k.q, k.e);
    if (key.n !== k.n) throw new DerError('RSA key: n != p·q');
    return key; // d recomputed as e^-1 mod lambda(n); equivalent to the file's d
  }
  if (k.kind === 'ed25519') return { type: 'ed25519', secret: k.seed };
  const type = CURVE_KEY_TYPE[k.curve] as Exclude<HostKeyType, 'rsa' | 'ed25519'>;
  return hostPrivateKeyFromRaw(type, leftPad(k.secret, ecdsaCurve(type).scalarLength));
}

/** A HostIdentity from PKCS#8 DER or PEM. */
export function importHostIdentity(pkcs8: Uint8Array | string, opts: HostIdentityOptions = {}): HostIdentity {
  return hostIdentityFromPrivateKey(importPkcs8(pkcs8), opts);
}

/** PKCS#8 DER of a private key (OpenSSL and node:crypto read it). */
export function exportPkcs8(key: HostPrivateKey | HostIdentity): Uint8Array {
  const k = 'privateKey' in key ? key.privateKey : key;
  if (k.type === 'rsa') {
    if (k.crt === undefined) throw new RangeError('an RSA key without its primes cannot be exported as PKCS#8');
    return encodeRsaPkcs8({ n: k.n, e: k.e, d: k.d, ...k.crt });
  }
  if (k.type === 'ed25519') return encodeEd25519Pkcs8(k.secret);
  return encodeEcPkcs8(KEY_TYPE_CURVE[k.type]!, k.secret, ecdsaPublicKey(k.type, k.secret));
}

/** SPKI DER of a Host Identity field (for OpenSSL/node:crypto verification). */
export function spkiFromHostId(algorithm: number, hostIdentity: Uint8Array): Uint8Array {
  const type = hostIdKeyType(algorithm, hostIdentity);
  if (type === undefined) throw new RangeError('unsupported or invalid Host Identity');
  if (type === 'rsa') {
    const { n, e } = decodeRsaHostIdentity(hostIdentity)!;
    return encodeRsaSpki(n, e);
  }
  if (type === 'ed25519') return encodeEd25519Spki(hostIdentity.slice(2));
  const point = ecdsaCurve(type).signer.Point.fromBytes(hostIdentity.subarray(2)).toBytes(false);
  return encodeEcSpki(KEY_TYPE_CURVE[type]!, point);
}

/** SPKI DER of an identity's public key. */
export function exportSpki(identity: HostIdentity): Uint8Array {
  return spkiFromHostId(identity.algorithm, identity.hostIdentity);
}

/** The HI algorithm and Host Identity field of an SPKI public key (DER or "PUBLIC KEY" PEM). */
export function hostIdFromSpki(spki: Uint8Array | string): { readonly algorithm: HiAlgorithmId; readonly keyType: HostKeyType; readonly hostIdentity: Uint8Array } {
  const der = typeof spki === 'string' ? pemToDer(spki) : spki;
  const k = parseSpki(der);
  let keyType: HostKeyType;
  let hostIdentity: Uint8Array;
  if (k.kind === 'rsa') {
    keyType = 'rsa';
    hostIdentity = encodeRsaHostIdentity(k);
  } else if (k.kind === 'ed25519') {
    keyType = 'ed25519';
    hostIdentity = encodeEd25519HostIdentity(k.publicKey);
  } else {
    const t = CURVE_KEY_TYPE[k.curve] as Exclude<HostKeyType, 'rsa' | 'ed25519'>;
    keyType = t;
    hostIdentity = encodeEcdsaHostIdentity(t, k.point);
  }
  const algorithm = KEY_TYPE_ALGORITHM[keyType];
  if (hostIdKeyType(algorithm, hostIdentity) !== keyType) throw new RangeError('invalid public key');
  return { algorithm, keyType, hostIdentity };
}

/** An RSA private key from its components (e.g. from a JWK); primes enable CRT and export. */
export function rsaPrivateKey(n: bigint, e: bigint, d: bigint, p?: bigint, q?: bigint): RsaPrivateKey {
  if (p !== undefined && q !== undefined) {
    if (p * q !== n) throw new RangeError('RSA key: n != p·q');
    const [P, Q] = p > q ? [p, q] : [q, p];
    return { type: 'rsa', n, e, d, crt: { p: P, q: Q, dp: d % (P - 1n), dq: d % (Q - 1n), qinv: modInv(Q, P) } };
  }
  return { type: 'rsa', n, e, d };
}
