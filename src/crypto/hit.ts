// HIT derivation: ORCHIDv2 (RFC 7343 §2, RFC 7401 §3.2 and Appendix E) and HIT suite handling.
//
//   HIT := Prefix(28 bits: 2001:20::/28) | OGA ID (4 bits: HIT suite) | Encode_96(Hash)
//   Hash := RHASH(Context ID | Host Identity field)
//   Encode_96 := the MIDDLE 96 bits of the digest (RFC 7343 §2): bits (L-96)/2 .. (L+96)/2 - 1,
//                i.e. bytes 10..21 of SHA-256, bytes 18..29 of SHA-384, bytes 4..15 of SHA-1.
//
// Only the Host Identity field of HOST_ID is hashed (not HI Length, DI or Algorithm).
//
// HIT suite 5 (EdDSA, RFC 9374): RFC 9374 generalises the ORCHID hash to
//   cSHAKE128(Prefix | Additional Information | OGA ID | HI, L, N = "", S = Context ID)
// where L is the length of the ORCHID's hash part. For a HIT (2001:20::/28, no additional
// information, 4-bit OGA ID) hip-engine uses L = 96 and S = the HIP context id above, with the
// 32-bit Prefix|OGA ID as the first four input bytes. RFC 9374 itself was not available while
// this was written (see docs/architecture.md, Choices the RFCs leave open); this reading matches a third-party ORCHID
// library but has not been checked against a HIPv2 EdDSA implementation's traffic.
import { cshake128 } from '@noble/hashes/sha3-addons.js';
import type { Hit } from '../types.js';
import { concatBytes, fromHex } from '../util/bytes.js';
import { hashNoble } from './hashes.js';
import { HIT_SUITE_HASH, isHitSuiteId, type CryptoProvider, type HashId, type HitSuiteId } from './provider.js';

/** The HIP ORCHID context id (RFC 7401 §3.2). */
export const HIT_CONTEXT_ID: Uint8Array = fromHex('F0EFF02FBFF43D0FE7930C3C6E6174EA');

/** The 28-bit ORCHIDv2 prefix 2001:20::/28 as the first 4 bytes with the OGA nibble zero. */
const PREFIX = Uint8Array.of(0x20, 0x01, 0x00, 0x20);

/** Encode_96: the middle 96 bits of `digest` (RFC 7343 §2), for any digest of at least 96 bits. */
export function encode96(digest: Uint8Array): Uint8Array {
  const totalBits = digest.length * 8;
  if (totalBits < 96) throw new RangeError('digest shorter than 96 bits');
  const startBit = Math.floor((totalBits - 96) / 2);
  const out = new Uint8Array(12);
  for (let i = 0; i < 96; i++) {
    const bit = startBit + i;
    const v = (digest[bit >> 3]! >> (7 - (bit & 7))) & 1;
    out[i >> 3]! |= v << (7 - (i & 7));
  }
  return out;
}

/** Prefix | OGA ID | 96-bit hash part. */
export function orchidFromParts(suite: HitSuiteId, hash96: Uint8Array): Hit {
  const hit = new Uint8Array(16);
  hit.set(PREFIX);
  hit[3] = 0x20 | (suite & 0x0f);
  hit.set(hash96, 4);
  return hit;
}

/** The HIT suite of an HI algorithm (RFC 7401 Table 10; RFC 9374 for EdDSA). */
export function hitSuiteOfAlgorithm(algorithm: number): HitSuiteId | undefined {
  switch (algorithm) {
    case 3: // DSA
    case 5: // RSA
      return 1;
    case 7: // ECDSA (P-256 and P-384 alike)
      return 2;
    case 9: // ECDSA_LOW
      return 3;
    case 13: // EdDSA
      return 5;
    default:
      return undefined;
  }
}

/** RHASH of a HIT suite: the hash of HMAC, puzzle and KEYMAT (RFC 7401 §5.2.10, §6.3, §6.5). */
export function rhashOf(suite: HitSuiteId): HashId {
  return HIT_SUITE_HASH[suite];
}

/** Length in bytes of RHASH for the suite: the length of #I, #J and the HIP_MAC. */
export function rhashLength(suite: HitSuiteId): number {
  return suite === 2 ? 48 : suite === 3 ? 20 : 32;
}

/** The HIT suite of a HIT (its OGA ID), or undefined when it is not a known suite. */
export function hitSuiteOfHit(hit: Hit): HitSuiteId | undefined {
  if (hit.length !== 16) return undefined;
  const s = hit[3]! & 0x0f;
  return isHitSuiteId(s) ? s : undefined;
}

/**
 * The HIT of a Host Identity field for an HI algorithm, or undefined for an algorithm without a
 * HIT suite. Hashing goes through `crypto.hash` when a provider is given (suites 1-3).
 */
export function hitFromHostId(algorithm: number, hostIdentity: Uint8Array, crypto?: Pick<CryptoProvider, 'hash'>): Hit | undefined {
  const suite = hitSuiteOfAlgorithm(algorithm);
  if (suite === undefined) return undefined;
  return hitFromHostIdentity(suite, hostIdentity, crypto);
}

/** The HIT of a Host Identity field under an explicit HIT suite. */
export function hitFromHostIdentity(suite: HitSuiteId, hostIdentity: Uint8Array, crypto?: Pick<CryptoProvider, 'hash'>): Hit {
  if (suite === 5) {
    const prefixOga = orchidFromParts(5, new Uint8Array(12)).subarray(0, 4);
    const h = cshake128(concatBytes(prefixOga, hostIdentity), { personalization: HIT_CONTEXT_ID, dkLen: 12 });
    return orchidFromParts(5, h);
  }
  const alg = rhashOf(suite);
  const input = concatBytes(HIT_CONTEXT_ID, hostIdentity);
  const digest = crypto !== undefined ? crypto.hash(alg, input) : hashNoble(alg, input);
  return orchidFromParts(suite, encode96(digest));
}

// ---- HIT_SUITE_LIST (RFC 7401 §5.2.10): one byte per suite, the suite in the high nibble.

/** The HIT_SUITE_LIST bytes for suites in preference order (0x10, 0x20, ...). */
export function encodeHitSuiteList(suites: readonly HitSuiteId[]): number[] {
  return suites.map((s) => s << 4);
}

/**
 * The suites of a received HIT_SUITE_LIST, in the sender's order. Ids with a non-zero low
 * nibble (which SHOULD be treated as an error, §5.2.10) and unknown suites are reported apart.
 */
export function decodeHitSuiteList(ids: readonly number[]): {
  readonly suites: HitSuiteId[];
  readonly invalid: number[];
  readonly unknown: number[];
} {
  const suites: HitSuiteId[] = [];
  const invalid: number[] = [];
  const unknown: number[] = [];
  for (const id of ids) {
    if ((id & 0x0f) !== 0 || id > 0xff) invalid.push(id);
    else if (isHitSuiteId(id >> 4)) suites.push((id >> 4) as HitSuiteId);
    else unknown.push(id);
  }
  return { suites, invalid, unknown };
}

/**
 * RFC 7401 §6.8 step 6: the Initiator checks that its own HIT suite is in the Responder's
 * HIT_SUITE_LIST; when it is not, it may pick another of its identities from the list.
 * Returns the first of `ours` (our identities' suites, in our preference) that the peer lists.
 */
export function selectHitSuite(ours: readonly HitSuiteId[], peerList: readonly number[]): HitSuiteId | undefined {
  const theirs = decodeHitSuiteList(peerList).suites;
  return ours.find((s) => theirs.includes(s));
}
