// The exact bytes covered by HIP_MAC, HIP_MAC_2, HIP_SIGNATURE and HIP_SIGNATURE_2
// (RFC 7401 §5.2.12-§5.2.15, §6.4; docs/architecture.md, Choices the RFCs leave open). Built from raw bytes only, never by
// re-encoding a decoded packet:
//
//   HIP_MAC / HIP_SIGNATURE:  the packet up to (excluding) the parameter, with the header
//                             length recomputed for those bytes and the checksum zeroed.
//   HIP_MAC_2:                as HIP_MAC, then the Responder's HOST_ID parameter exactly as
//                             received in R1 (Type, Length, contents, padding) appended out of
//                             type order; the header length counts it.
//   HIP_SIGNATURE_2:          as HIP_SIGNATURE, and also zero the Receiver's HIT (the
//                             Initiator's HIT in R1) and the PUZZLE's Opaque and Random #I.
//
// Two entry points: a receiver passes the decoded packet (raw bytes + parameter spans); a sender
// passes the bytes of the packet encoded WITHOUT the parameter being computed (and without the
// parameters after it).
import type { HipPacket, Span } from '../wire/types.js';
import { readU16 } from '../util/bytes.js';
import { PARAM_TYPE } from '../wire/constants.js';

/** Fixed HIP header length (RFC 7401 §5.1). */
export const HIP_HEADER_LENGTH = 40;
/** Largest packet the 8-bit header length can describe: (255 + 1) · 8 bytes. */
export const HIP_MAX_PACKET_LENGTH = 2048;

/**
 * A parameter that covers part of a packet with an HMAC or a signature (RFC 7401 §5.2.12-§5.2.15).
 */
export type CoveredKind = 'HIP_MAC' | 'HIP_MAC_2' | 'HIP_SIGNATURE' | 'HIP_SIGNATURE_2';

/**
 * The bytes a HIP_MAC or signature covers (RFC 7401 §6.4, §6.4.2), or why they cannot be formed.
 */
export type CoverageResult =
  | { readonly ok: true; readonly bytes: Uint8Array }
  | { readonly ok: false; readonly reason: CoverageError };

/** Why the covered bytes of a packet cannot be formed; the packet is dropped (RFC 7401 §6.4). */
export type CoverageError =
  /** The packet has no such parameter. */
  | 'missing-param'
  /** The packet was not decoded from bytes (no `raw`) or the parameter has no span. */
  | 'no-raw'
  /** Lengths do not add up (truncated, not 8-byte aligned, or over 2048 bytes with HOST_ID). */
  | 'bad-length'
  /** HIP_SIGNATURE_2 needs a well-formed PUZZLE before it. */
  | 'bad-puzzle';

/** Sets the header length for `out` and zeroes the checksum, in place. */
function fixHeader(out: Uint8Array): boolean {
  if (out.length < HIP_HEADER_LENGTH || out.length % 8 !== 0 || out.length > HIP_MAX_PACKET_LENGTH) return false;
  out[1] = out.length / 8 - 1;
  out[4] = 0;
  out[5] = 0;
  return true;
}

/** Zeroes the Receiver's HIT and the PUZZLE Opaque and #I (in place) for HIP_SIGNATURE_2. */
function zeroForSignature2(out: Uint8Array, puzzle: Span | undefined): boolean {
  out.fill(0, 24, 40);
  if (puzzle === undefined) return true; // an R1 without PUZZLE is malformed, but nothing to zero
  const off = puzzle.offset;
  if (off + 8 > out.length) return false;
  const len = readU16(out, off + 2);
  if (len < 4 || off + 4 + len > out.length) return false;
  out.fill(0, off + 6, off + 8); // Opaque
  out.fill(0, off + 8, off + 4 + len); // Random #I
  return true;
}

function finish(prefix: Uint8Array, kind: CoveredKind, extra: { hostIdParam?: Uint8Array; puzzle?: Span | undefined }): CoverageResult {
  let out: Uint8Array;
  if (kind === 'HIP_MAC_2') {
    const h = extra.hostIdParam;
    if (h === undefined || h.length < 4 || h.length % 8 !== 0) return { ok: false, reason: 'bad-length' };
    out = new Uint8Array(prefix.length + h.length);
    out.set(prefix);
    out.set(h, prefix.length);
  } else {
    out = prefix.slice();
  }
  if (!fixHeader(out)) return { ok: false, reason: 'bad-length' };
  if (kind === 'HIP_SIGNATURE_2' && !zeroForSignature2(out, extra.puzzle)) return { ok: false, reason: 'bad-puzzle' };
  return { ok: true, bytes: out };
}

/** Walks the TLVs of raw packet bytes from the end of the header: [type, offset] per parameter. */
function* walkParams(bytes: Uint8Array): Generator<{ type: number; span: Span }> {
  let off = HIP_HEADER_LENGTH;
  while (off + 4 <= bytes.length) {
    const type = readU16(bytes, off);
    const len = readU16(bytes, off + 2);
    const total = Math.ceil((4 + len) / 8) * 8;
    yield { type, span: { offset: off, length: total } };
    off += total;
  }
}

/**
 * Sender side: the covered bytes for a parameter that will be appended to `encoded`, the packet
 * encoded without that parameter and without anything after it. For HIP_MAC_2 pass the
 * Responder's HOST_ID parameter bytes exactly as sent in R1.
 */
export function coveredBytesForAppend(encoded: Uint8Array, kind: CoveredKind, responderHostIdParam?: Uint8Array): CoverageResult {
  let puzzle: Span | undefined;
  if (kind === 'HIP_SIGNATURE_2') {
    for (const p of walkParams(encoded)) if (p.type === PARAM_TYPE.PUZZLE) puzzle = p.span;
  }
  return finish(encoded, kind, responderHostIdParam === undefined ? { puzzle } : { hostIdParam: responderHostIdParam, puzzle });
}

/**
 * Receiver side: the covered bytes of the parameter `kind` of a decoded packet, from
 * `packet.raw` and the parameter spans. For HIP_MAC_2 pass the HOST_ID parameter bytes exactly
 * as they were received in R1 (`r1.raw.subarray(span.offset, span.offset + span.length)`).
 */
export function coveredBytes(packet: HipPacket, kind: CoveredKind, responderHostIdParam?: Uint8Array): CoverageResult {
  const param = packet.params.find((p) => p.kind === kind);
  if (param === undefined) return { ok: false, reason: 'missing-param' };
  const raw = packet.raw;
  if (raw === undefined || param.span === undefined) return { ok: false, reason: 'no-raw' };
  if (param.span.offset < HIP_HEADER_LENGTH || param.span.offset > raw.length) return { ok: false, reason: 'bad-length' };
  const prefix = raw.subarray(0, param.span.offset);
  let puzzle: Span | undefined;
  if (kind === 'HIP_SIGNATURE_2') {
    const pz = packet.params.find((p) => p.kind === 'PUZZLE');
    if (pz !== undefined) {
      if (pz.span === undefined) return { ok: false, reason: 'no-raw' };
      if (pz.span.offset < param.span.offset) puzzle = pz.span;
    }
  }
  return finish(prefix, kind, responderHostIdParam === undefined ? { puzzle } : { hostIdParam: responderHostIdParam, puzzle });
}

/** The raw bytes of a decoded parameter (Type .. padding), e.g. R1's HOST_ID for HIP_MAC_2. */
export function rawParamBytes(packet: HipPacket, kind: HipPacket['params'][number]['kind']): Uint8Array | undefined {
  const p = packet.params.find((x) => x.kind === kind);
  if (p === undefined || p.span === undefined || packet.raw === undefined) return undefined;
  if (p.span.offset + p.span.length > packet.raw.length) return undefined;
  return packet.raw.slice(p.span.offset, p.span.offset + p.span.length);
}
