// HIP_MAC, HIP_MAC_2, HIP_SIGNATURE and HIP_SIGNATURE_2: computing the parameter values on the
// sending side and verifying them on a decoded packet (RFC 7401 §5.2.12-§5.2.15, §6.4).
//
// Sending order the engine follows:
//   1. encode the packet without HIP_MAC and what follows      → bytes A
//   2. hmac = computeMac(…, A)  (or computeMac2 with R1's HOST_ID)
//   3. encode the packet with HIP_MAC, without HIP_SIGNATURE    → bytes B
//   4. { algorithm, signature } = signPacket(…, B)
//   5. encode the final packet with HIP_SIGNATURE (and any unsigned parameters after it).
import type { RandomSource } from '../types.js';
import { equalBytes } from '../util/bytes.js';
import type { HipPacket } from '../wire/types.js';
import { coveredBytes, coveredBytesForAppend, type CoverageError } from './coverage.js';
import type { HostIdentity } from './host-id.js';
import type { CryptoProvider, HashId } from './provider.js';

/** The outcome of verifying a HIP_MAC or signature of a received packet (RFC 7401 §6.4, §6.4.2). */
export type VerifyResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: VerifyError };

/** Why a HIP_MAC or signature failed to verify: the packet is then dropped (RFC 7401 §6.4). */
export type VerifyError =
  | CoverageError
  /** HMAC or signature does not match. */
  | 'mismatch'
  /** HIP_SIGNATURE's algorithm differs from the HOST_ID's. */
  | 'algorithm-mismatch'
  /** The provider does not implement the HI algorithm, or the HI is malformed. */
  | 'unsupported-algorithm';

/** The HMAC parameters (RFC 7401 §5.2.12 HIP_MAC, §5.2.13 HIP_MAC_2). */
export type MacKind = 'HIP_MAC' | 'HIP_MAC_2';
/** The signature parameters (RFC 7401 §5.2.14 HIP_SIGNATURE, §5.2.15 HIP_SIGNATURE_2). */
export type SignatureKind = 'HIP_SIGNATURE' | 'HIP_SIGNATURE_2';

/** The public half needed to verify: the peer's HOST_ID algorithm and Host Identity field. */
export type PeerHostId = { readonly algorithm: number; readonly hostIdentity: Uint8Array };

function coverOrThrow(encoded: Uint8Array, kind: MacKind | SignatureKind, hostIdParam?: Uint8Array): Uint8Array {
  const c = coveredBytesForAppend(encoded, kind, hostIdParam);
  if (!c.ok) throw new RangeError(`cannot build ${kind} coverage: ${c.reason}`);
  return c.bytes;
}

/**
 * The HIP_MAC value for a packet encoded without HIP_MAC (and without the parameters after it).
 * `key` is our HIP integrity key (BexKeys.local.authKey); `hash` is RHASH.
 */
export function computeMac(crypto: Pick<CryptoProvider, 'hmac'>, hash: HashId, key: Uint8Array, encodedWithoutMac: Uint8Array): Uint8Array {
  return crypto.hmac(hash, key, coverOrThrow(encodedWithoutMac, 'HIP_MAC'));
}

/**
 * The HIP_MAC_2 value of an R2 encoded without HIP_MAC_2. `responderHostIdParam` is the
 * Responder's HOST_ID parameter exactly as it was sent in R1 (for the Responder: its own
 * HostIdentity.hostIdParam if R1 was encoded from it, else the bytes of its encoded R1).
 */
export function computeMac2(
  crypto: Pick<CryptoProvider, 'hmac'>,
  hash: HashId,
  key: Uint8Array,
  encodedWithoutMac2: Uint8Array,
  responderHostIdParam: Uint8Array,
): Uint8Array {
  return crypto.hmac(hash, key, coverOrThrow(encodedWithoutMac2, 'HIP_MAC_2', responderHostIdParam));
}

/** Verifies the HIP_MAC of a decoded packet with the peer's integrity key (BexKeys.peer.authKey). */
export function verifyMac(crypto: Pick<CryptoProvider, 'hmac'>, hash: HashId, key: Uint8Array, packet: HipPacket): VerifyResult {
  return verifyMacKind(crypto, hash, key, packet, 'HIP_MAC');
}

/** Verifies HIP_MAC_2 of an R2 with the R1's HOST_ID parameter bytes as received. */
export function verifyMac2(
  crypto: Pick<CryptoProvider, 'hmac'>,
  hash: HashId,
  key: Uint8Array,
  packet: HipPacket,
  responderHostIdParam: Uint8Array,
): VerifyResult {
  return verifyMacKind(crypto, hash, key, packet, 'HIP_MAC_2', responderHostIdParam);
}

function verifyMacKind(
  crypto: Pick<CryptoProvider, 'hmac'>,
  hash: HashId,
  key: Uint8Array,
  packet: HipPacket,
  kind: MacKind,
  hostIdParam?: Uint8Array,
): VerifyResult {
  const param = packet.params.find((p) => p.kind === kind);
  if (param === undefined || (param.kind !== 'HIP_MAC' && param.kind !== 'HIP_MAC_2')) return { ok: false, reason: 'missing-param' };
  const c = coveredBytes(packet, kind, hostIdParam);
  if (!c.ok) return c;
  const expected = crypto.hmac(hash, key, c.bytes);
  return equalBytes(expected, param.hmac) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/**
 * HIP_SIGNATURE / HIP_SIGNATURE_2 for a packet encoded without the signature (and without the
 * parameters after it). Returns the parameter's fields. RSA-PSS draws its salt from `random`.
 */
export function signPacket(
  crypto: Pick<CryptoProvider, 'hostIdAlgorithm'>,
  identity: Pick<HostIdentity, 'algorithm' | 'privateKey'>,
  encodedWithoutSignature: Uint8Array,
  random: RandomSource,
  kind: SignatureKind = 'HIP_SIGNATURE',
): { readonly algorithm: number; readonly signature: Uint8Array } {
  const alg = crypto.hostIdAlgorithm(identity.algorithm);
  if (alg === undefined) throw new TypeError(`the crypto provider lacks HI algorithm ${identity.algorithm}`);
  const signature = alg.sign(identity.privateKey, coverOrThrow(encodedWithoutSignature, kind), random);
  return { algorithm: identity.algorithm, signature };
}

/** Verifies HIP_SIGNATURE (or HIP_SIGNATURE_2 in an R1) of a decoded packet against a HOST_ID. */
export function verifySignature(
  crypto: Pick<CryptoProvider, 'hostIdAlgorithm'>,
  packet: HipPacket,
  hostId: PeerHostId,
  kind: SignatureKind = 'HIP_SIGNATURE',
): VerifyResult {
  const param = packet.params.find((p) => p.kind === kind);
  if (param === undefined || (param.kind !== 'HIP_SIGNATURE' && param.kind !== 'HIP_SIGNATURE_2')) {
    return { ok: false, reason: 'missing-param' };
  }
  if (param.algorithm !== hostId.algorithm) return { ok: false, reason: 'algorithm-mismatch' };
  const alg = crypto.hostIdAlgorithm(hostId.algorithm);
  if (alg === undefined || alg.keyType(hostId.hostIdentity) === undefined) return { ok: false, reason: 'unsupported-algorithm' };
  const c = coveredBytes(packet, kind);
  if (!c.ok) return c;
  return alg.verify(hostId.hostIdentity, c.bytes, param.signature) ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** Verifies the HIP_SIGNATURE_2 of an R1. */
export function verifySignature2(crypto: Pick<CryptoProvider, 'hostIdAlgorithm'>, packet: HipPacket, hostId: PeerHostId): VerifyResult {
  return verifySignature(crypto, packet, hostId, 'HIP_SIGNATURE_2');
}
