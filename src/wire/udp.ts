// UDP encapsulation framing (RFC 9028 §3, §5.1, §5.11; same as RFC 5770 and RFC 3948 §2).
//
// One UDP port carries both planes:
//   HIP control packet: 32 zero bits (the "zero SPI marker") ‖ HIP packet, whose HIP checksum
//                       MUST be zero (the UDP checksum covers it; NATs cannot fix a HIP one).
//   ESP data packet:    starts with the SPI, which is never zero (RFC 4303 §2.1 reserves 0).
//   NAT-keepalive:      a single 0xFF byte (RFC 3948 §2.3); RFC 9028 §5.3 prefers a NOTIFY
//                       NAT_KEEPALIVE, but the byte may still arrive and is recognised.
import { abytes } from '../util/bytes.js';
import { encodePacket, decodePacket, type DecodeOptions, type DecodePacketResult } from './packet.js';
import { CHECKSUM_OFFSET } from './header.js';
import type { PacketInit } from './types.js';

/** The UDP port a relay or non-relay Responder SHOULD listen on (RFC 9028 §5.1). */
export const HIP_UDP_PORT = 10500;
/** Length of the zero marker that precedes a UDP-encapsulated HIP packet. */
export const UDP_ZERO_MARKER_LENGTH = 4;
/** The RFC 3948 NAT-keepalive payload. */
export const NAT_KEEPALIVE_BYTE = 0xff;
/** Smallest ESP packet: SPI (4) and Sequence Number (4). */
export const MIN_ESP_LENGTH = 8;

/**
 * What a UDP datagram on the HIP port carries (RFC 9028 §5): a HIP packet after the 32-bit zero
 * marker, ESP (non-zero SPI, RFC 3948 framing), a NAT keepalive, or something invalid with a
 * reason.
 */
export type UdpPayload =
  /** A HIP control packet: `hip` is a view of the payload after the marker. */
  | { readonly kind: 'HIP'; readonly hip: Uint8Array }
  /** An ESP packet: `esp` is the whole payload (a view), `spi` its first 32 bits. */
  | { readonly kind: 'ESP'; readonly spi: number; readonly esp: Uint8Array }
  | { readonly kind: 'KEEPALIVE' }
  | { readonly kind: 'INVALID'; readonly reason: string };

/** Says what a UDP payload on the HIP port is. Never throws on byte content; no copies. */
export function demuxUdp(payload: Uint8Array): UdpPayload {
  if (!(payload instanceof Uint8Array)) abytes(payload, 'payload');
  const n = payload.length;
  if (n === 1 && payload[0] === NAT_KEEPALIVE_BYTE) return { kind: 'KEEPALIVE' };
  if (n < 4) return { kind: 'INVALID', reason: `${n}-byte payload is neither a HIP nor an ESP packet` };
  const spi = ((payload[0]! << 24) | (payload[1]! << 16) | (payload[2]! << 8) | payload[3]!) >>> 0;
  if (spi === 0) return { kind: 'HIP', hip: payload.subarray(UDP_ZERO_MARKER_LENGTH) };
  if (n < MIN_ESP_LENGTH) return { kind: 'INVALID', reason: `${n}-byte ESP packet is shorter than SPI + sequence number` };
  return { kind: 'ESP', spi, esp: payload };
}

/** Marker ‖ a copy of an encoded HIP packet with its checksum zeroed. */
export function encapsulateHip(hipPacket: Uint8Array): Uint8Array {
  abytes(hipPacket, 'hipPacket');
  const out = new Uint8Array(UDP_ZERO_MARKER_LENGTH + hipPacket.length);
  out.set(hipPacket, UDP_ZERO_MARKER_LENGTH);
  if (hipPacket.length >= CHECKSUM_OFFSET + 2) {
    out[UDP_ZERO_MARKER_LENGTH + CHECKSUM_OFFSET] = 0;
    out[UDP_ZERO_MARKER_LENGTH + CHECKSUM_OFFSET + 1] = 0;
  }
  return out;
}

/** Encodes `packet` for UDP encapsulation: marker ‖ HIP packet with checksum 0. */
export function encodeUdpPacket(packet: PacketInit): Uint8Array {
  return encapsulateHip(encodePacket(packet));
}

/**
 * Decodes a UDP payload that must be a HIP control packet: `BAD_MARKER` if it does not start
 * with the zero marker (use `demuxUdp` first to route ESP), `BAD_CHECKSUM` if the HIP checksum is
 * not zero. Error offsets count from the start of the UDP payload; `raw` and spans are those of
 * the HIP packet (after the marker). Never throws on byte content.
 */
export function decodeUdpPacket(payload: Uint8Array, opts: Pick<DecodeOptions, 'allowTrailingBytes' | 'lenientPadding'> = {}): DecodePacketResult {
  if (!(payload instanceof Uint8Array)) abytes(payload, 'payload');
  if (payload.length < UDP_ZERO_MARKER_LENGTH) {
    return { ok: false, error: { code: 'TRUNCATED', offset: payload.length, path: 'marker', message: `marker: ${payload.length}-byte payload, the zero marker alone needs 4` } };
  }
  for (let i = 0; i < UDP_ZERO_MARKER_LENGTH; i++) {
    if (payload[i] !== 0) {
      return { ok: false, error: { code: 'BAD_MARKER', offset: i, path: 'marker', message: 'marker: a UDP-encapsulated HIP packet starts with 32 zero bits (RFC 9028 §5.1)' } };
    }
  }
  const res = decodePacket(payload.subarray(UDP_ZERO_MARKER_LENGTH), { verifyChecksum: false, ...opts });
  if (!res.ok) {
    const e = res.error;
    return { ok: false, error: { ...e, offset: e.offset + UDP_ZERO_MARKER_LENGTH } };
  }
  if (res.packet.checksum !== 0) {
    return {
      ok: false,
      error: { code: 'BAD_CHECKSUM', offset: UDP_ZERO_MARKER_LENGTH + CHECKSUM_OFFSET, path: 'header.checksum', message: 'header.checksum: must be zero over UDP (RFC 9028 §5.1)' },
    };
  }
  return res;
}
