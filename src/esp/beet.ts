// BEET mode glue for a TUN-based driver (RFC 7402 §3.2 and Appendix B): the inner packet of a
// HIP SA is an IPv6 packet between the two HITs, and the ESP payload carries it in transport
// mode syntax, without the inner IP header. These helpers add that header to a decrypted
// payload (and verify the upper-layer checksum, which the sender computed over the HITs) and
// take it off an outgoing packet read from a TUN device (recomputing the checksum over the HITs,
// §3.2: "the implementation recalculates upper-layer checksums using Host Identity Tags").
import { isHit } from '../addr/hit.js';
import type { Hit } from '../types.js';
import { abytes } from '../util/bytes.js';
import { upperLayerChecksum } from '../wire/header.js';

/** IPv6 fixed header length (RFC 8200 §3). */
export const IPV6_HEADER_LENGTH = 40;

/** Offset of the checksum field in each upper-layer header the helpers know (RFC 9293, RFC 768, RFC 4443). */
export const UPPER_LAYER_CHECKSUM_OFFSET: Readonly<Record<number, number>> = { 6: 16, 17: 6, 58: 2 };

/** What ESP carries in BEET mode: the payload after the inner IP header, and its Next Header. */
export type BeetPayload = {
  readonly srcHit: Hit;
  readonly dstHit: Hit;
  /** Next Header of the ESP trailer (RFC 4303 §2.6), e.g. 6 TCP, 17 UDP, 58 ICMPv6. */
  readonly nextHeader: number;
  readonly payload: Uint8Array;
};

/**
 * What {@link beetToIpv6} returns: the inner IPv6 packet between the HITs and whether its
 * upper-layer checksum is right.
 */
export type BeetInnerPacket = {
  /** The inner IPv6 packet from `srcHit` to `dstHit`, ready to write to a TUN device. */
  readonly packet: Uint8Array;
  /**
   * Whether the TCP, UDP or ICMPv6 checksum is right for the HIT pseudo-header (RFC 7402 §3.2:
   * "upper-layer checksums are verified before passing the packet to the upper layer");
   * `undefined` for another Next Header.
   */
  readonly checksumOk: boolean | undefined;
};

/**
 * Why {@link beetFromIpv6} refused a packet: too short, not IPv6, a bad Payload Length, or an
 * address that is not a HIT (BEET carries only HIT-to-HIT packets, RFC 7402 §3.2).
 */
export type BeetFromIpv6Error = 'truncated' | 'not-ipv6' | 'bad-length' | 'not-hit';
/**
 * What {@link beetFromIpv6} returns: the BEET payload to protect, or why the packet was refused.
 */
export type BeetFromIpv6Result = ({ readonly ok: true } & BeetPayload) | { readonly ok: false; readonly reason: BeetFromIpv6Error };

/** Options of {@link beetToIpv6}. */
export type BeetInnerOptions = {
  /** Hop Limit of the inner header. Default 64. */
  readonly hopLimit?: number;
};

/** Options of {@link beetFromIpv6}. */
export type BeetFromIpv6Options = {
  /**
   * Recompute the TCP, UDP or ICMPv6 checksum over the HIT pseudo-header (RFC 7402 §3.2), for
   * packets whose checksum a local stack left partial or computed over other addresses.
   * Default true.
   */
  readonly recomputeChecksum?: boolean;
};

function checksumOf(src: Hit, dst: Hit, nextHeader: number, segment: Uint8Array): number | undefined {
  const offset = UPPER_LAYER_CHECKSUM_OFFSET[nextHeader];
  if (offset === undefined || segment.length < offset + 2) return undefined;
  const c = upperLayerChecksum(src, dst, nextHeader, segment, offset);
  // RFC 768 / RFC 8200 §8.1: a UDP checksum that computes to zero is sent as 0xffff.
  return nextHeader === 17 && c === 0 ? 0xffff : c;
}

/**
 * The inner IPv6 packet for a decrypted BEET payload (`EspDataPlane.unprotect` gives
 * `peerHit`, `localHit`, `nextHeader` and `payload`): a 40-byte IPv6 header from `srcHit` to
 * `dstHit`, then the payload unchanged. Throws only for caller misuse (not HITs, a payload longer
 * than the 16-bit Payload Length).
 */
export function beetToIpv6(inner: BeetPayload, opts: BeetInnerOptions = {}): BeetInnerPacket {
  abytes(inner?.srcHit, 'srcHit', 16);
  abytes(inner.dstHit, 'dstHit', 16);
  abytes(inner.payload, 'payload');
  if (!Number.isInteger(inner.nextHeader) || inner.nextHeader < 0 || inner.nextHeader > 255) throw new RangeError('"nextHeader" expected integer 0..255');
  if (inner.payload.length > 0xffff) throw new RangeError(`"payload" expected at most 65535 bytes, got ${inner.payload.length}`);
  const hopLimit = opts.hopLimit ?? 64;
  if (!Number.isInteger(hopLimit) || hopLimit < 0 || hopLimit > 255) throw new RangeError('"opts.hopLimit" expected integer 0..255');
  const packet = new Uint8Array(IPV6_HEADER_LENGTH + inner.payload.length);
  packet[0] = 0x60; // version 6, traffic class 0, flow label 0
  packet[4] = inner.payload.length >>> 8;
  packet[5] = inner.payload.length & 0xff;
  packet[6] = inner.nextHeader;
  packet[7] = hopLimit;
  packet.set(inner.srcHit, 8);
  packet.set(inner.dstHit, 24);
  packet.set(inner.payload, IPV6_HEADER_LENGTH);
  const offset = UPPER_LAYER_CHECKSUM_OFFSET[inner.nextHeader];
  const want = checksumOf(inner.srcHit, inner.dstHit, inner.nextHeader, inner.payload);
  const checksumOk = want === undefined || offset === undefined ? undefined : ((inner.payload[offset]! << 8) | inner.payload[offset + 1]!) === want;
  return { packet, checksumOk };
}

/**
 * The BEET payload of an IPv6 packet between two HITs (as read from a TUN device): the bytes after
 * the fixed header (extension headers included, as transport mode carries them) and its Next
 * Header, for `EspDataPlane.protect(dstHit, payload, { nextHeader })`. A packet that is not
 * IPv6 between HITs is refused with a reason, never thrown on.
 */
export function beetFromIpv6(packet: Uint8Array, opts: BeetFromIpv6Options = {}): BeetFromIpv6Result {
  abytes(packet, 'packet');
  if (packet.length < IPV6_HEADER_LENGTH) return { ok: false, reason: 'truncated' };
  if (packet[0]! >>> 4 !== 6) return { ok: false, reason: 'not-ipv6' };
  const length = (packet[4]! << 8) | packet[5]!;
  // Payload Length 0 is a jumbogram (RFC 2675), which a TUN MTU never carries.
  if (length === 0 && packet.length > IPV6_HEADER_LENGTH) return { ok: false, reason: 'bad-length' };
  if (IPV6_HEADER_LENGTH + length > packet.length) return { ok: false, reason: 'truncated' };
  const srcHit = packet.slice(8, 24);
  const dstHit = packet.slice(24, 40);
  if (!isHit(srcHit) || !isHit(dstHit)) return { ok: false, reason: 'not-hit' };
  const nextHeader = packet[6]!;
  const payload = packet.slice(IPV6_HEADER_LENGTH, IPV6_HEADER_LENGTH + length);
  if (opts.recomputeChecksum !== false) {
    const offset = UPPER_LAYER_CHECKSUM_OFFSET[nextHeader];
    const c = checksumOf(srcHit, dstHit, nextHeader, payload);
    if (offset !== undefined && c !== undefined) {
      payload[offset] = c >>> 8;
      payload[offset + 1] = c & 0xff;
    } else if (offset !== undefined) return { ok: false, reason: 'truncated' };
  }
  return { ok: true, srcHit, dstHit, nextHeader, payload };
}
