// The HIP fixed header (RFC 7401 §5.1) and the HIP checksum (§5.1.1).
//
//    0                   1                   2                   3
//    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//   | Next Header   | Header Length |0| Packet Type |Version| RES.|1|
//   |          Checksum             |           Controls            |
//   |                Sender's HIT (16 bytes)                        |
//   |                Receiver's HIT (16 bytes)                      |
//
// Header Length counts 8-byte units after the first 8 bytes: packet length = (len + 1) * 8.
// The checksum is the Internet checksum over a pseudo-header and the packet: the IPv6 pseudo-header
// (RFC 2460 §8.1) when HIP runs over IPv6, the IPv4 UDP-style one (RFC 768) over IPv4, with the
// protocol number 139 and the HIP packet length. Locators are canonical 16-byte addresses; an
// IPv4-mapped pair selects the IPv4 pseudo-header.
import type { Locator } from '../types.js';
import { asLocator, isIpv4Mapped } from '../addr/locator.js';
import { abytes } from '../util/bytes.js';
import { IPPROTO_HIP, PACKET_TYPE, type PacketKind } from './constants.js';

/** Bytes in the fixed header (both HITs included). */
export const HIP_HEADER_LENGTH = 40;
/** Largest HIP packet: header length field 255 → (255 + 1) * 8 bytes (§5.1). */
export const MAX_HIP_PACKET_LENGTH = 2048;
/** Smallest legal header length field value: the two HITs must fit (§5.1). */
export const MIN_HEADER_LENGTH_FIELD = 4;
/** Offset of the checksum field in the header. */
export const CHECKSUM_OFFSET = 4;

const KIND_BY_CODE: readonly (PacketKind | undefined)[] = (() => {
  const t: (PacketKind | undefined)[] = new Array<PacketKind | undefined>(128).fill(undefined);
  for (const k of Object.keys(PACKET_TYPE) as PacketKind[]) t[PACKET_TYPE[k]] = k;
  return t;
})();

/** Packet kind for a numeric packet type, or undefined for types RFC 7401 §5.3 does not define. */
export function packetKindOf(code: number): PacketKind | undefined {
  return KIND_BY_CODE[code];
}

/** Packet length in bytes for a header length field value. */
export function packetLengthOf(headerLengthField: number): number {
  return (headerLengthField + 1) * 8;
}

// ---------------------------------------------------------------------------------------------
// Checksum

/**
 * Running sum of big-endian 16-bit words of `b[start..end)` (odd tail padded with zero), minus the
 * word at `skip` (the checksum field; -1 for none), added to `acc`. Plain additions: up to 2^15
 * words of 0xffff stay far below 2^31, so no carry folding is needed inside the loop.
 */
function sumWords(b: Uint8Array, start: number, end: number, skip: number, acc: number): number {
  let s = 0;
  const even = start + ((end - start) & ~1);
  let i = start;
  for (; i + 8 <= even; i += 8) {
    s += ((b[i]! << 8) | b[i + 1]!) + ((b[i + 2]! << 8) | b[i + 3]!) + ((b[i + 4]! << 8) | b[i + 5]!) + ((b[i + 6]! << 8) | b[i + 7]!);
  }
  for (; i < even; i += 2) s += (b[i]! << 8) | b[i + 1]!;
  if (even < end) s += b[even]! << 8;
  if (skip >= start && skip + 1 < end) s -= (b[skip]! << 8) | b[skip + 1]!;
  return fold(s) + acc;
}

function fold(s: number): number {
  while (s > 0xffff) s = (s % 0x10000) + Math.floor(s / 0x10000);
  return s;
}

/**
 * Running sum of the pseudo-header; `src` and `dst` are 16-byte locators or 4-byte IPv4
 * addresses. With both locators IPv4-mapped: the IPv4 form (RFC 768: src,
 * dst, zero, protocol, length); otherwise the IPv6 form (RFC 2460 §8.1: src, dst, 32-bit length,
 * 24 zero bits, next header). Throws RangeError if the families differ.
 */
export function pseudoHeaderSum(srcAddress: Locator, dstAddress: Locator, nextHeader: number, length: number): number {
  // 4-byte IPv4 addresses (from a socket or a pcap) are accepted as their mapped form.
  const src = asLocator(srcAddress, 'src');
  const dst = asLocator(dstAddress, 'dst');
  const v4 = isIpv4Mapped(src);
  if (v4 !== isIpv4Mapped(dst)) {
    throw new RangeError('"src"/"dst" expected addresses of the same family (both IPv4-mapped or both IPv6)');
  }
  let s = v4 ? sumWords(src, 12, 16, -1, 0) + sumWords(dst, 12, 16, -1, 0) : sumWords(src, 0, 16, -1, 0) + sumWords(dst, 0, 16, -1, 0);
  // IPv4: [0, proto] [len16]; IPv6: [len32 hi] [len32 lo] [0, 0] [0, nh] — same sum for len < 2^16.
  s += nextHeader & 0xff;
  s += (length >>> 16) & 0xffff;
  s += length & 0xffff;
  return s;
}

/** The Internet checksum of `data` (one's complement of the one's complement sum), 0..0xffff. */
export function internetChecksum(data: Uint8Array, initialSum = 0): number {
  return ~fold(sumWords(data, 0, data.length, -1, initialSum)) & 0xffff;
}

/**
 * The HIP checksum of a packet for `src` → `dst` (RFC 7401 §5.1.1). The checksum field of
 * `packet` is treated as zero, so this works on packets to send and on packets received.
 * `packet` is the HIP packet only (header + parameters; no UDP marker).
 */
export function hipChecksum(packet: Uint8Array, src: Locator, dst: Locator): number {
  abytes(packet, 'packet');
  const s = pseudoHeaderSum(src, dst, IPPROTO_HIP, packet.length);
  return ~fold(sumWords(packet, 0, packet.length, CHECKSUM_OFFSET, s)) & 0xffff;
}

/**
 * Writes the HIP checksum for `src` → `dst` into `packet`'s checksum field (in place) and returns
 * `packet`: what a packet needs after its addresses change, since only the checksum covers them
 * (RFC 7401 §5.1.1). A buffer too short to hold the field is returned unchanged.
 */
/**
 * Sets the Header Length field for the whole of `packet` and zeroes its checksum, in place: the
 * form a relay's HMAC covers after it appended parameters (RFC 8004 §4.2.1, RFC 9028 §5.8).
 */
export function fixHeaderLength(packet: Uint8Array): Uint8Array {
  packet[1] = packet.length / 8 - 1;
  packet[CHECKSUM_OFFSET] = 0;
  packet[CHECKSUM_OFFSET + 1] = 0;
  return packet;
}

export function writeHipChecksum(packet: Uint8Array, src: Locator, dst: Locator): Uint8Array {
  if (packet.length < CHECKSUM_OFFSET + 2) return packet;
  const sum = hipChecksum(packet, src, dst);
  packet[CHECKSUM_OFFSET] = sum >>> 8;
  packet[CHECKSUM_OFFSET + 1] = sum & 0xff;
  return packet;
}

/**
 * Checksum of an upper-layer segment (TCP, UDP, ...) with the IPv6 pseudo-header over `src` and
 * `dst`. For data over HIP SAs the HITs take the place of the addresses (RFC 7401 §4.5.1,
 * Appendix C.3). `checksumOffset` is the offset of the segment's own checksum field (TCP: 16,
 * UDP: 6), treated as zero; pass -1 if it is already zero.
 */
export function upperLayerChecksum(src: Uint8Array, dst: Uint8Array, nextHeader: number, segment: Uint8Array, checksumOffset = -1): number {
  abytes(segment, 'segment');
  const s = pseudoHeaderSum(src, dst, nextHeader, segment.length);
  return ~fold(sumWords(segment, 0, segment.length, checksumOffset, s)) & 0xffff;
}
