// Minimal IPv4 (RFC 791) and IPv6 (RFC 8200) headers around a HIP (protocol 139), ESP (50) or
// UDP (17, RFC 768, carrying the RFC 9028 framing) payload, so that simulated traffic can be
// written to pcap files that Wireshark decodes.
// Locators are 16-byte canonical: an IPv4-mapped pair gets an IPv4 header, anything else IPv6.
// No options, no extension headers, no fragmentation.
import { isIpv4Mapped } from '../addr/locator.js';
import type { Locator } from '../types.js';
import { abytes, readU16, writeU16 } from '../util/bytes.js';

/** IPv4 header length without options (RFC 791 §3.1). */
export const IPV4_HEADER_BYTES = 20;
/** IPv6 fixed header length (RFC 8200 §3). */
export const IPV6_HEADER_BYTES = 40;

/**
 * An IP packet to build around a HIP or ESP payload (for pcap files and the simulator's IP view):
 * addresses, protocol and the header fields a test may set.
 */
export type IpPacketSpec = {
  readonly src: Locator;
  readonly dst: Locator;
  /** IP protocol / next header: 139 for HIP, 50 for ESP, 17 for UDP. */
  readonly protocol: number;
  readonly payload: Uint8Array;
  /** IPv4 TTL or IPv6 hop limit (default 64). */
  readonly ttl?: number;
  /** IPv4 Identification (default 0). */
  readonly identification?: number;
  /** IPv4 DF bit (default false). */
  readonly dontFragment?: boolean;
  /** IPv4 TOS / IPv6 traffic class (default 0). */
  readonly trafficClass?: number;
  /** IPv6 flow label (default 0). */
  readonly flowLabel?: number;
};

/** RFC 1071 one's-complement sum folded to 16 bits (not complemented), from `initial`. */
export function onesComplementSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = bytes.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (n % 2 === 1) sum += bytes[n - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * The RFC 791 header checksum to store in bytes 10..11 of an IPv4 header, computed with that
 * field taken as zero. `header` is the whole header (IHL × 4 bytes).
 */
export function ipv4HeaderChecksum(header: Uint8Array): number {
  abytes(header, 'header');
  const copy = Uint8Array.from(header);
  if (copy.length >= 12) {
    copy[10] = 0;
    copy[11] = 0;
  }
  return ~onesComplementSum(copy) & 0xffff;
}

function checkInt(v: number | undefined, field: string, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`"${field}" expected integer in 0..${max}, got ${String(v)}`);
  return v;
}

/**
 * An IP packet: IPv4 header with a correct checksum when both locators are IPv4-mapped, IPv6
 * header when neither is. Throws RangeError on mixed families or a payload too big for the
 * 16-bit length field.
 */
export function buildIpPacket(spec: IpPacketSpec): Uint8Array {
  abytes(spec.src, 'src', 16);
  abytes(spec.dst, 'dst', 16);
  abytes(spec.payload, 'payload');
  const protocol = checkInt(spec.protocol, 'protocol', 255, 0);
  const ttl = checkInt(spec.ttl, 'ttl', 255, 64);
  const tc = checkInt(spec.trafficClass, 'trafficClass', 255, 0);
  const v4s = isIpv4Mapped(spec.src);
  const v4d = isIpv4Mapped(spec.dst);
  if (v4s !== v4d) throw new RangeError('"src" and "dst" expected the same address family');
  const payload = spec.payload;
  if (v4s) {
    const total = IPV4_HEADER_BYTES + payload.length;
    if (total > 0xffff) throw new RangeError(`IPv4 packet too large: ${total} bytes`);
    const id = checkInt(spec.identification, 'identification', 0xffff, 0);
    const out = new Uint8Array(total);
    out[0] = 0x45; // version 4, IHL 5
    out[1] = tc;
    writeU16(out, 2, total);
    writeU16(out, 4, id);
    writeU16(out, 6, spec.dontFragment === true ? 0x4000 : 0);
    out[8] = ttl;
    out[9] = protocol;
    out.set(spec.src.subarray(12, 16), 12);
    out.set(spec.dst.subarray(12, 16), 16);
    writeU16(out, 10, ipv4HeaderChecksum(out.subarray(0, IPV4_HEADER_BYTES)));
    out.set(payload, IPV4_HEADER_BYTES);
    return out;
  }
  if (payload.length > 0xffff) throw new RangeError(`IPv6 payload too large: ${payload.length} bytes`);
  const flow = checkInt(spec.flowLabel, 'flowLabel', 0xfffff, 0);
  const out = new Uint8Array(IPV6_HEADER_BYTES + payload.length);
  out[0] = 0x60 | (tc >>> 4);
  out[1] = ((tc & 0x0f) << 4) | (flow >>> 16);
  writeU16(out, 2, flow & 0xffff);
  writeU16(out, 4, payload.length);
  out[6] = protocol;
  out[7] = ttl;
  out.set(spec.src, 8);
  out.set(spec.dst, 24);
  out.set(payload, IPV6_HEADER_BYTES);
  return out;
}

/** The header fields of a parsed IPv4 or IPv6 packet and its payload. */
export type ParsedIpPacket = {
  readonly family: 'ipv4' | 'ipv6';
  /** Canonical 16-byte locators (IPv4 as IPv4-mapped). */
  readonly src: Locator;
  readonly dst: Locator;
  /** IPv4 protocol or IPv6 next header (extension headers are not walked). */
  readonly protocol: number;
  /** TTL or hop limit. */
  readonly ttl: number;
  readonly trafficClass: number;
  readonly headerLength: number;
  readonly payload: Uint8Array;
  /** IPv4 only. */
  readonly identification?: number;
  readonly dontFragment?: boolean;
  readonly moreFragments?: boolean;
  readonly fragmentOffset?: number;
  /** IPv4 only: the stored header checksum verifies. */
  readonly checksumOk?: boolean;
  /** IPv6 only. */
  readonly flowLabel?: number;
};

/** Why {@link parseIpPacket} could not parse a header, with a message. */
export type IpParseError = { readonly code: 'TRUNCATED' | 'BAD_VERSION' | 'BAD_HEADER_LENGTH' | 'BAD_TOTAL_LENGTH'; readonly message: string };
/** What {@link parseIpPacket} returns: the parsed packet, or an error. It never throws. */
export type IpParseResult = { readonly ok: true; readonly value: ParsedIpPacket } | { readonly ok: false; readonly error: IpParseError };

const fail = (code: IpParseError['code'], message: string): IpParseResult => ({ ok: false, error: { code, message } });

/** Parses an IPv4 or IPv6 packet header; never throws. Trailing bytes beyond the length are ignored. */
export function parseIpPacket(bytes: Uint8Array): IpParseResult {
  if (!(bytes instanceof Uint8Array)) return fail('TRUNCATED', 'expected Uint8Array');
  if (bytes.length < 1) return fail('TRUNCATED', 'empty packet');
  const version = bytes[0]! >>> 4;
  if (version === 4) {
    if (bytes.length < IPV4_HEADER_BYTES) return fail('TRUNCATED', `IPv4 header needs 20 bytes, have ${bytes.length}`);
    const ihl = (bytes[0]! & 0x0f) * 4;
    if (ihl < IPV4_HEADER_BYTES) return fail('BAD_HEADER_LENGTH', `IPv4 IHL ${ihl / 4} < 5`);
    if (bytes.length < ihl) return fail('TRUNCATED', `IPv4 header of ${ihl} bytes, have ${bytes.length}`);
    const total = readU16(bytes, 2);
    if (total < ihl) return fail('BAD_TOTAL_LENGTH', `IPv4 total length ${total} < header ${ihl}`);
    if (total > bytes.length) return fail('TRUNCATED', `IPv4 total length ${total}, have ${bytes.length}`);
    const ff = readU16(bytes, 6);
    const src = new Uint8Array(16);
    const dst = new Uint8Array(16);
    src[10] = src[11] = dst[10] = dst[11] = 0xff;
    src.set(bytes.subarray(12, 16), 12);
    dst.set(bytes.subarray(16, 20), 12);
    return {
      ok: true,
      value: {
        family: 'ipv4',
        src,
        dst,
        protocol: bytes[9]!,
        ttl: bytes[8]!,
        trafficClass: bytes[1]!,
        headerLength: ihl,
        payload: new Uint8Array(bytes.subarray(ihl, total)),
        identification: readU16(bytes, 4),
        dontFragment: (ff & 0x4000) !== 0,
        moreFragments: (ff & 0x2000) !== 0,
        fragmentOffset: (ff & 0x1fff) * 8,
        checksumOk: onesComplementSum(bytes.subarray(0, ihl)) === 0xffff,
      },
    };
  }
  if (version === 6) {
    if (bytes.length < IPV6_HEADER_BYTES) return fail('TRUNCATED', `IPv6 header needs 40 bytes, have ${bytes.length}`);
    const plen = readU16(bytes, 4);
    if (IPV6_HEADER_BYTES + plen > bytes.length) return fail('TRUNCATED', `IPv6 payload length ${plen}, have ${bytes.length - IPV6_HEADER_BYTES}`);
    return {
      ok: true,
      value: {
        family: 'ipv6',
        src: new Uint8Array(bytes.subarray(8, 24)),
        dst: new Uint8Array(bytes.subarray(24, 40)),
        protocol: bytes[6]!,
        ttl: bytes[7]!,
        trafficClass: ((bytes[0]! & 0x0f) << 4) | (bytes[1]! >>> 4),
        headerLength: IPV6_HEADER_BYTES,
        payload: new Uint8Array(bytes.subarray(IPV6_HEADER_BYTES, IPV6_HEADER_BYTES + plen)),
        flowLabel: ((bytes[1]! & 0x0f) << 16) | readU16(bytes, 2),
      },
    };
  }
  return fail('BAD_VERSION', `IP version ${version}`);
}

/**
 * The `i`-th address after `base` (its low 32 bits replaced by `i`): many distinct sources for
 * flood and spoofing tests without a table of them.
 */
export function nthLocator(base: Locator, i: number): Locator {
  abytes(base, 'base', 16);
  if (!Number.isInteger(i) || i < 0 || i > 0xffffffff) throw new RangeError(`"i" expected an integer in 0..2^32-1, got ${i}`);
  const l = Uint8Array.from(base);
  l[12] = (i >>> 24) & 0xff;
  l[13] = (i >>> 16) & 0xff;
  l[14] = (i >>> 8) & 0xff;
  l[15] = i & 0xff;
  return l;
}

/** IP protocol number of UDP (RFC 768). */
export const IPPROTO_UDP = 17;
/** UDP header length (RFC 768). */
export const UDP_HEADER_BYTES = 8;

/** A UDP datagram to build (RFC 768): the IP addresses it travels between, its ports and payload. */
export type UdpDatagramSpec = {
  readonly src: Locator;
  readonly dst: Locator;
  readonly srcPort: number;
  readonly dstPort: number;
  readonly payload: Uint8Array;
};

function pseudoHeaderSum(src: Locator, dst: Locator, length: number): number {
  // RFC 768 (IPv4) and RFC 8200 §8.1 (IPv6) pseudo-headers, protocol 17.
  if (isIpv4Mapped(src)) {
    let sum = onesComplementSum(src.subarray(12, 16));
    sum = onesComplementSum(dst.subarray(12, 16), sum);
    return sum + IPPROTO_UDP + length;
  }
  let sum = onesComplementSum(src);
  sum = onesComplementSum(dst, sum);
  return sum + (length >>> 16) + (length & 0xffff) + IPPROTO_UDP;
}

/**
 * The UDP checksum of `datagram` (header and payload, its checksum field taken as zero) between
 * `src` and `dst`, with the pseudo-header of their family (RFC 768; RFC 8200 §8.1). A computed
 * zero is sent as 0xFFFF.
 */
export function udpChecksum(src: Locator, dst: Locator, datagram: Uint8Array): number {
  abytes(src, 'src', 16);
  abytes(dst, 'dst', 16);
  abytes(datagram, 'datagram');
  let sum = pseudoHeaderSum(src, dst, datagram.length);
  // The checksum field (bytes 6..7) counts as zero: sum the parts around it.
  sum = onesComplementSum(datagram.subarray(0, Math.min(6, datagram.length)), sum);
  if (datagram.length > 8) sum = onesComplementSum(datagram.subarray(8), sum);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  const c = ~sum & 0xffff;
  return c === 0 ? 0xffff : c;
}

/**
 * A UDP datagram (8-byte header with a correct checksum, then the payload), to put in an IP
 * packet of protocol 17 with {@link buildIpPacket}. Throws RangeError on a bad port, mixed
 * address families or a payload too big for the length field.
 */
export function buildUdpDatagram(spec: UdpDatagramSpec): Uint8Array {
  abytes(spec.src, 'src', 16);
  abytes(spec.dst, 'dst', 16);
  abytes(spec.payload, 'payload');
  const sp = checkInt(spec.srcPort, 'srcPort', 0xffff, 0);
  const dp = checkInt(spec.dstPort, 'dstPort', 0xffff, 0);
  if (isIpv4Mapped(spec.src) !== isIpv4Mapped(spec.dst)) throw new RangeError('"src" and "dst" expected the same address family');
  const length = UDP_HEADER_BYTES + spec.payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram too large: ${length} bytes`);
  const out = new Uint8Array(length);
  writeU16(out, 0, sp);
  writeU16(out, 2, dp);
  writeU16(out, 4, length);
  out.set(spec.payload, UDP_HEADER_BYTES);
  writeU16(out, 6, udpChecksum(spec.src, spec.dst, out));
  return out;
}

/** A parsed UDP header (RFC 768) and its payload. */
export type ParsedUdpDatagram = {
  readonly srcPort: number;
  readonly dstPort: number;
  readonly length: number;
  /** The stored checksum (0: none, allowed over IPv4 only). */
  readonly checksum: number;
  readonly payload: Uint8Array;
};

/** Parses a UDP header; undefined when it is shorter than 8 bytes or its length field is wrong. Never throws. */
export function parseUdpDatagram(bytes: Uint8Array): ParsedUdpDatagram | undefined {
  if (!(bytes instanceof Uint8Array) || bytes.length < UDP_HEADER_BYTES) return undefined;
  const length = readU16(bytes, 4);
  if (length < UDP_HEADER_BYTES || length > bytes.length) return undefined;
  return { srcPort: readU16(bytes, 0), dstPort: readU16(bytes, 2), length, checksum: readU16(bytes, 6), payload: new Uint8Array(bytes.subarray(UDP_HEADER_BYTES, length)) };
}
