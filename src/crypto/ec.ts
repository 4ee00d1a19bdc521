// Elliptic curves for HIP: ECDSA / ECDSA_LOW / EdDSA host identities (RFC 7401 §5.2.9,
// RFC 9374) and the ECDH groups 7-10 (RFC 7401 §5.2.7, RFC 5903).
//
// secp160r1 (ECDSA_LOW, DH group 10) is not shipped by noble; it is defined here from the SEC 2
// v1.0 §2.4.2 domain parameters. Its order n is 161 bits (n > p), so its scalars and ECDSA r, s
// are 21 bytes while the coordinates are 20 bytes.
import { ed25519 } from '@noble/curves/ed25519.js';
import { ecdsa, weierstrass, type ECDSA } from '@noble/curves/abstract/weierstrass.js';
import { p256, p384, p521 } from '@noble/curves/nist.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha384 } from '@noble/hashes/sha2.js';
import type { RandomSource } from '../types.js';
import { concatBytes, readU16 } from '../util/bytes.js';
import { bigIntToBytes, bytesToBigInt } from './bigint.js';
import type { DhGroup, DhGroupId, DhSharedResult, HostKeyType } from './provider.js';

/** SEC 2 v1.0 §2.4.2 secp160r1. */
const secp160r1Point = weierstrass({
  p: 0xffffffffffffffffffffffffffffffff7fffffffn,
  a: 0xffffffffffffffffffffffffffffffff7ffffffcn,
  b: 0x1c97befc54bd7a8b65acf89f81d4d4adc565fa45n,
  Gx: 0x4a96b5688ef573284664698968c38bb913cbfc82n,
  Gy: 0x23a628553168947d59dcc912042351377ac5fb32n,
  n: 0x0100000000000000000001f4c8f927aed3ca752257n,
  h: 1n,
});

/** The ECDSA signers of each EC key type, with the hash of its HIT suite (RFC 7401 Table 10). */
type EcdsaKeyType = 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-secp160r1';

type EcdsaCurve = {
  readonly signer: ECDSA;
  /** Field element width in bytes (coordinate width). */
  readonly fieldLength: number;
  /** Scalar width in bytes (private key, and each of r and s). */
  readonly scalarLength: number;
  /** Curve id inside the HI (RFC 7401 §5.2.9). */
  readonly curveId: number;
  readonly algorithm: 7 | 9;
};

let ecdsaCurves: { readonly [K in EcdsaKeyType]: EcdsaCurve } | undefined;

/** Lazily built (noble precomputes tables on first use anyway). */
export function ecdsaCurve(type: EcdsaKeyType): EcdsaCurve {
  ecdsaCurves ??= {
    // Every ECDSA HI belongs to HIT suite 2, whose hash is SHA-384, also for P-256 (the digest
    // is truncated to the order's bit length as ECDSA prescribes).
    'ecdsa-p256': { signer: ecdsa(p256.Point, sha384), fieldLength: 32, scalarLength: 32, curveId: 1, algorithm: 7 },
    'ecdsa-p384': { signer: ecdsa(p384.Point, sha384), fieldLength: 48, scalarLength: 48, curveId: 2, algorithm: 7 },
    'ecdsa-secp160r1': { signer: ecdsa(secp160r1Point, sha1), fieldLength: 20, scalarLength: 21, curveId: 1, algorithm: 9 },
  };
  return ecdsaCurves[type];
}

export function isEcdsaKeyType(t: HostKeyType): t is EcdsaKeyType {
  return t === 'ecdsa-p256' || t === 'ecdsa-p384' || t === 'ecdsa-secp160r1';
}

/** The key type of an ECDSA (7) or ECDSA_LOW (9) Host Identity field, from its curve id. */
export function ecdsaKeyTypeOf(algorithm: number, hi: Uint8Array): EcdsaKeyType | undefined {
  if (hi.length < 2) return undefined;
  const curve = readU16(hi, 0);
  let type: EcdsaKeyType | undefined;
  if (algorithm === 7 && curve === 1) type = 'ecdsa-p256';
  else if (algorithm === 7 && curve === 2) type = 'ecdsa-p384';
  else if (algorithm === 9 && curve === 1) type = 'ecdsa-secp160r1';
  if (type === undefined) return undefined;
  const c = ecdsaCurve(type);
  const pk = hi.subarray(2);
  // Uncompressed (0x04 ‖ X ‖ Y) is what is sent; compressed points are accepted on receipt.
  const ok =
    (pk.length === 1 + 2 * c.fieldLength && pk[0] === 0x04) ||
    (pk.length === 1 + c.fieldLength && (pk[0] === 0x02 || pk[0] === 0x03));
  return ok && c.signer.utils.isValidPublicKey(pk, pk.length === 1 + c.fieldLength) ? type : undefined;
}

/** ECDSA HI: 2-byte curve id ‖ uncompressed point with its 0x04 prefix (docs/architecture.md, Choices the RFCs leave open). */
export function encodeEcdsaHostIdentity(type: EcdsaKeyType, publicKey: Uint8Array): Uint8Array {
  const c = ecdsaCurve(type);
  const point = c.signer.Point.fromBytes(publicKey);
  return concatBytes(Uint8Array.of(0, c.curveId), point.toBytes(false));
}

export function ecdsaPublicKey(type: EcdsaKeyType, secret: Uint8Array): Uint8Array {
  return ecdsaCurve(type).signer.getPublicKey(secret, false);
}

/** A valid scalar from `random` (noble's hash-to-field reduction of seed-length bytes). */
export function ecdsaRandomSecret(type: EcdsaKeyType, random: RandomSource): Uint8Array {
  const s = ecdsaCurve(type).signer;
  return s.utils.randomSecretKey(random(s.lengths.seed ?? 48));
}

/** r ‖ s, each the width of the curve order; RFC 6979 deterministic nonce (no randomness). */
export function ecdsaSign(type: EcdsaKeyType, secret: Uint8Array, message: Uint8Array): Uint8Array {
  return ecdsaCurve(type).signer.sign(message, secret, { prehash: true, lowS: false, format: 'compact' });
}

export function ecdsaVerify(type: EcdsaKeyType, hi: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  const c = ecdsaCurve(type);
  if (signature.length !== 2 * c.scalarLength) return false;
  try {
    return c.signer.verify(signature, message, hi.subarray(2), { prehash: true, lowS: false, format: 'compact' });
  } catch {
    return false;
  }
}

// ---- EdDSA (RFC 9374 §3.4: 2-byte EdDSA curve id, then the public key as RFC 8032 encodes it)

export const ED25519_CURVE_ID = 1;

export function eddsaKeyTypeOf(hi: Uint8Array): 'ed25519' | undefined {
  if (hi.length !== 34 || readU16(hi, 0) !== ED25519_CURVE_ID) return undefined;
  return ed25519.utils.isValidPublicKey(hi.subarray(2), false) ? 'ed25519' : undefined;
}

export function encodeEd25519HostIdentity(publicKey: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0, ED25519_CURVE_ID), publicKey);
}

export function ed25519PublicKey(seed: Uint8Array): Uint8Array {
  return ed25519.getPublicKey(seed);
}

export function ed25519Sign(seed: Uint8Array, message: Uint8Array): Uint8Array {
  return ed25519.sign(message, seed);
}

export function ed25519Verify(hi: Uint8Array, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64 || hi.length !== 34) return false;
  try {
    return ed25519.verify(signature, message, hi.subarray(2), { zip215: false });
  } catch {
    return false;
  }
}

// ---- ECDH groups (RFC 5903): public value x ‖ y without prefix; Kij = x of the shared point.

type EcdhCurve = {
  readonly Point: (typeof p256)['Point'];
  readonly utils: (typeof p256)['utils'];
  readonly lengths: (typeof p256)['lengths'];
};

function ecpGroup(id: DhGroupId, curve: EcdhCurve, fieldLength: number): DhGroup {
  const { Point } = curve;
  const p = Point.Fp.ORDER;
  return {
    id,
    kind: 'ecp',
    publicValueLength: 2 * fieldLength,
    sharedSecretLength: fieldLength,
    generate(random) {
      const privateKey = curve.utils.randomSecretKey(random(curve.lengths.seed ?? 48));
      const pub = Point.BASE.multiply(Point.Fn.fromBytes(privateKey)).toBytes(false);
      return { privateKey, publicValue: pub.subarray(1) };
    },
    shared(privateKey, peerPublic): DhSharedResult {
      if (peerPublic.length !== 2 * fieldLength) return { ok: false, reason: 'length' };
      const x = bytesToBigInt(peerPublic.subarray(0, fieldLength));
      const y = bytesToBigInt(peerPublic.subarray(fieldLength));
      if (x === 0n && y === 0n) return { ok: false, reason: 'identity' };
      if (x >= p || y >= p) return { ok: false, reason: 'off-curve' };
      let point;
      try {
        point = Point.fromAffine({ x, y });
        point.assertValidity();
      } catch {
        return { ok: false, reason: 'off-curve' };
      }
      const shared = point.multiply(Point.Fn.fromBytes(privateKey));
      if (shared.is0()) return { ok: false, reason: 'identity' };
      return { ok: true, secret: bigIntToBytes(shared.toAffine().x, fieldLength) };
    },
  };
}

const secp160r1Ecdh: EcdhCurve = {
  Point: secp160r1Point as unknown as EcdhCurve['Point'],
  utils: ecdsa(secp160r1Point, sha1).utils as EcdhCurve['utils'],
  lengths: ecdsa(secp160r1Point, sha1).lengths,
};

let ecpGroups: Map<number, DhGroup> | undefined;

export function ecpDhGroup(id: number): DhGroup | undefined {
  ecpGroups ??= new Map<number, DhGroup>([
    [7, ecpGroup(7, p256, 32)],
    [8, ecpGroup(8, p384 as unknown as EcdhCurve, 48)],
    [9, ecpGroup(9, p521 as unknown as EcdhCurve, 66)],
    [10, ecpGroup(10, secp160r1Ecdh, 20)],
  ]);
  return ecpGroups.get(id);
}
