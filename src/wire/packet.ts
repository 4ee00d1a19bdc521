// decodePacket / encodePacket (docs/architecture.md, Codec): the HIP packet as a whole — fixed header, checksum,
// and the TLV walk with its ordering, padding and length rules (RFC 7401 §5.1, §5.2.1).
//
// Decoding untrusted bytes never throws: every structural problem comes back as
// `{ ok: false, error: { code, offset, path, message } }`. Only caller misuse throws (a `bytes`
// that is not a Uint8Array, checksum options without addresses), as TypeError/RangeError.
//
// Policies (documented decisions):
// - Trailing bytes after (Header Length + 1) * 8: `TRAILING_BYTES` when Next Header is 59
//   (IPPROTO_NONE), unless `allowTrailingBytes`. With any other Next Header they are ignored, as
//   §5.1 requires ("MUST ignore trailing data if an unimplemented Next Header value is received").
//   Ignored trailing bytes are not part of `raw`.
// - Padding bytes must be zero (`BAD_PADDING`), unless `lenientPadding`. §5.2.1 says receivers
//   SHOULD NOT check them; we do by default so that every accepted packet re-encodes byte for
//   byte, and offer the option for interop with sloppy senders.
// - Fixed bits: a packet whose fixed bits are not 0/1 is `BAD_FIXED_BIT`. (§5.1 says to ignore
//   them; hip-engine implements HIPv2 only, and a packet with them flipped is SHIM6 or garbage.)
// - Order: parameter types must not decrease (`PARAMS_OUT_OF_ORDER`); the same type twice in a
//   row is allowed only for types an RFC lets repeat, and for unknown types (§5.2.1 allows
//   consecutive repeats); otherwise `DUPLICATE_PARAM`.
import type { Locator } from '../types.js';
import { abytes } from '../util/bytes.js';
import { asLocator, isIpv4Mapped } from '../addr/locator.js';
import { invariant } from '../util/assert.js';
import { NEXT_HEADER_NONE, PACKET_TYPE, HIP_VERSION, type PacketKind } from './constants.js';
import { DecodeFailure, type DecodeError } from './errors.js';
import {
  CHECKSUM_OFFSET,
  HIP_HEADER_LENGTH,
  MAX_HIP_PACKET_LENGTH,
  MIN_HEADER_LENGTH_FIELD,
  hipChecksum,
  packetKindOf,
} from './header.js';
import { Reader } from './reader.js';
import { ownedAlloc, ownedCopy } from './pool.js';
import { Writer, checkBytes, checkInt, fieldPath } from './writer.js';
import { codecForKind, codecForType, decodeUnknown, isRepeatable, type ParamCodec } from './params/index.js';
import type { HipPacket, HipParam, PacketInit, ParamInit, Span } from './types.js';

/**
 * Options of {@link decodePacket}: the addresses for the checksum (RFC 7401 §5.1.1) and how strict
 * to be.
 */
export type DecodeOptions = {
  /**
   * Source address for the checksum pseudo-header: a 16-byte locator (IPv4 as IPv4-mapped) or a
   * 4-byte IPv4 address as a socket or a pcap gives it.
   */
  readonly src?: Locator;
  /** Destination address, as `src`. */
  readonly dst?: Locator;
  /** Verify the HIP checksum. Default: true when both `src` and `dst` are given. */
  readonly verifyChecksum?: boolean;
  /** Accept (and drop) bytes after the packet even when Next Header is 59. Default false. */
  readonly allowTrailingBytes?: boolean;
  /** Accept non-zero padding bytes (RFC 7401 §5.2.1 "SHOULD NOT be checked"). Default false. */
  readonly lenientPadding?: boolean;
};

/**
 * What {@link decodePacket} returns: the packet, or a typed {@link DecodeError}. Bad bytes never
 * throw.
 */
export type DecodePacketResult = { readonly ok: true; readonly packet: HipPacket } | { readonly ok: false; readonly error: DecodeError };
/**
 * What {@link decodeParamBlock} returns: the parameters in wire order, or a typed
 * {@link DecodeError}.
 */
export type DecodeParamsResult = { readonly ok: true; readonly params: HipParam[] } | { readonly ok: false; readonly error: DecodeError };

/**
 * Options of {@link encodePacket}: the addresses for the checksum (RFC 7401 §5.1.1), or keep it as
 * given.
 */
export type EncodeOptions = {
  /**
   * With `dst`: fill in the HIP checksum for this source address (16 bytes, or 4 for IPv4).
   * Otherwise the checksum is 0.
   */
  readonly src?: Locator;
  readonly dst?: Locator;
  /** Without src/dst: write `packet.checksum` as given (for byte-exact re-encoding). */
  readonly keepChecksum?: boolean;
};

/** Total on-wire size of a parameter whose Contents are `contentsLength` bytes (§5.2.1). */
export function paddedParamLength(contentsLength: number): number {
  return (contentsLength + 11) & ~7;
}

const PARAM_NAME_CACHE = new Map<number, string>();
/** Name of a parameter type for error paths: the kind, or `UNKNOWN(type)`. */
export function paramName(type: number): string {
  const c = codecForType(type);
  if (c) return c.kind;
  let s = PARAM_NAME_CACHE.get(type);
  if (s === undefined) {
    s = `UNKNOWN(${type})`;
    if (PARAM_NAME_CACHE.size < 1024) PARAM_NAME_CACHE.set(type, s);
  }
  return s;
}

function failAt(code: DecodeError['code'], offset: number, path: string, message: string): never {
  throw new DecodeFailure(code, offset, path, `${path}: ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Decoding

/**
 * Walks a region of TLV parameters `b[start..end)`. Spans are offsets in `b`. Byte fields are
 * views of `b`. Throws DecodeFailure.
 */
function readParams(b: Uint8Array, start: number, end: number, lenientPadding: boolean): HipParam[] {
  const r = new Reader(b, start, end);
  const out: HipParam[] = [];
  let off = start;
  let prev = -1;
  while (off < end) {
    if (end - off < 4) failAt('TRUNCATED', off, 'params', `${end - off} byte(s) left, a parameter needs at least 4`);
    const type = (b[off]! << 8) | b[off + 1]!;
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    const codec: ParamCodec | undefined = codecForType(type);
    if (type < prev) {
      failAt('PARAMS_OUT_OF_ORDER', off, paramName(type), `type ${type} follows type ${prev} (parameters must be in ascending type order, RFC 7401 §5.2.1)`);
    }
    if (type === prev && !(codec ? codec.repeatable : true)) {
      failAt('DUPLICATE_PARAM', off, paramName(type), `second ${paramName(type)} parameter (type ${type} may appear only once)`);
    }
    const contentsEnd = off + 4 + len;
    if (contentsEnd > end) {
      failAt('BAD_PARAM_LENGTH', off + 2, `${paramName(type)}.length`, `Length ${len} overruns the packet (${end - off - 4} byte(s) left)`);
    }
    const total = (len + 11) & ~7;
    const next = off + total;
    if (next > end) failAt('BAD_PADDING', contentsEnd, paramName(type), `padding to a multiple of 8 bytes is missing`);
    if (!lenientPadding) {
      for (let j = contentsEnd; j < next; j++) {
        if (b[j] !== 0) failAt('BAD_PADDING', j, paramName(type), `padding byte ${j - contentsEnd} is 0x${b[j]!.toString(16).padStart(2, '0')}, must be zero`);
      }
    }
    const span: Span = { offset: off, length: total };
    r.enter(off + 4, contentsEnd, codec ? codec.kind : 'UNKNOWN');
    const p = codec ? codec.decode(r, type, span) : decodeUnknown(r, type, span);
    if (r.pos !== contentsEnd) r.finish('');
    out.push(p);
    prev = type;
    off = next;
  }
  return out;
}

const NO_OPTIONS: DecodeOptions = {};

function checkAddressOptions(o: DecodeOptions | EncodeOptions): void {
  const src = o.src === undefined ? undefined : asLocator(o.src, 'src');
  const dst = o.dst === undefined ? undefined : asLocator(o.dst, 'dst');
  if (src !== undefined && dst !== undefined && isIpv4Mapped(src) !== isIpv4Mapped(dst)) {
    throw new RangeError('"src"/"dst" expected addresses of the same family (both IPv4-mapped or both IPv6)');
  }
}

/**
 * Decodes one HIP packet (RFC 7401 §5). Never throws on any byte content; returns
 * `{ ok: false, error }` with a `DecodeErrorCode`. The decoded packet keeps `raw` (a private copy
 * of the packet bytes, carved from a shared slab: see pool.ts) and every parameter's `span` in it;
 * byte fields are read-only views of `raw` (copy one with `copyBytes` to keep it apart from the
 * packet). Throws TypeError/RangeError only for caller misuse: `bytes` not a Uint8Array,
 * `src`/`dst` not 4 or 16 bytes or of different families, `verifyChecksum` without both addresses.
 */
export function decodePacket(bytes: Uint8Array, opts?: DecodeOptions): DecodePacketResult {
  if (!(bytes instanceof Uint8Array)) abytes(bytes, 'bytes');
  const o = opts ?? NO_OPTIONS;
  let verify = false;
  if (opts !== undefined) {
    checkAddressOptions(o);
    verify = o.verifyChecksum ?? (o.src !== undefined && o.dst !== undefined);
    if (verify && (o.src === undefined || o.dst === undefined)) {
      throw new TypeError('"verifyChecksum" needs both "src" and "dst"');
    }
  }
  try {
    return { ok: true, packet: decodeInner(bytes, verify, o) };
  } catch (e) {
    if (e instanceof DecodeFailure) return { ok: false, error: e.toError() };
    throw e;
  }
}

function decodeInner(bytes: Uint8Array, verify: boolean, opts: DecodeOptions): HipPacket {
  const n = bytes.length;
  if (n < 4) failAt('TRUNCATED', n, 'header', `${n} byte(s), the fixed header needs ${HIP_HEADER_LENGTH}`);
  const nextHeader = bytes[0]!;
  const hl = bytes[1]!;
  const b2 = bytes[2]!;
  const b3 = bytes[3]!;
  if ((b2 & 0x80) !== 0) failAt('BAD_FIXED_BIT', 2, 'header.fixed', 'the first fixed bit must be 0');
  if ((b3 & 0x01) !== 1) failAt('BAD_FIXED_BIT', 3, 'header.fixed', 'the second fixed bit must be 1');
  const version = b3 >>> 4;
  if (version !== HIP_VERSION) failAt('BAD_VERSION', 3, 'header.version', `version ${version}, expected ${HIP_VERSION}`);
  const code = b2 & 0x7f;
  const kind = packetKindOf(code);
  if (kind === undefined) failAt('UNKNOWN_PACKET_TYPE', 2, 'header.packetType', `packet type ${code} is not defined`);
  if (hl < MIN_HEADER_LENGTH_FIELD) failAt('BAD_HEADER_LENGTH', 1, 'header.length', `header length ${hl} < ${MIN_HEADER_LENGTH_FIELD}`);
  const pktLen = (hl + 1) * 8;
  if (n < pktLen) failAt('TRUNCATED', n, 'header.length', `header length ${hl} means ${pktLen} bytes, only ${n} present`);
  if (n > pktLen && nextHeader === NEXT_HEADER_NONE && opts.allowTrailingBytes !== true) {
    failAt('TRAILING_BYTES', pktLen, 'header.length', `${n - pktLen} byte(s) after the ${pktLen}-byte packet`);
  }
  const raw = ownedCopy(bytes, 0, pktLen);
  const checksum = (raw[4]! << 8) | raw[5]!;
  if (verify) {
    const want = hipChecksum(raw, opts.src!, opts.dst!);
    if (want !== checksum) {
      failAt('BAD_CHECKSUM', CHECKSUM_OFFSET, 'header.checksum', `checksum 0x${hex4(checksum)}, expected 0x${hex4(want)}`);
    }
  }
  const controls = (raw[6]! << 8) | raw[7]!;
  const senderHit = raw.subarray(8, 24);
  const receiverHit = raw.subarray(24, 40);
  const params = readParams(raw, HIP_HEADER_LENGTH, pktLen, opts.lenientPadding === true);
  return {
    kind,
    code,
    version,
    nextHeader,
    reserved: (b3 >>> 1) & 0x07,
    controls,
    checksum,
    senderHit,
    receiverHit,
    params,
    raw,
  };
}

function hex4(v: number): string {
  return v.toString(16).padStart(4, '0');
}

/**
 * Decodes a block of TLV parameters that is not a packet: the plaintext of an ENCRYPTED parameter
 * (RFC 7401 §5.2.18; strip the cipher padding first) or any concatenation of parameters. The
 * same order, padding and length rules apply; spans are offsets in `block`. Never throws on
 * byte content. Byte fields are views of a private copy of `block`.
 */
export function decodeParamBlock(block: Uint8Array, opts: Pick<DecodeOptions, 'lenientPadding'> = {}): DecodeParamsResult {
  if (!(block instanceof Uint8Array)) abytes(block, 'block');
  try {
    const copy = ownedCopy(block, 0, block.length);
    return { ok: true, params: readParams(copy, 0, copy.length, opts.lenientPadding === true) };
  } catch (e) {
    if (e instanceof DecodeFailure) return { ok: false, error: e.toError() };
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Encoding

type Prepared = { readonly codecs: (ParamCodec | undefined)[]; readonly types: number[]; readonly sizes: number[]; readonly total: number };

/** Validates `params` (throwing TypeError/RangeError naming `params[i].field`) and sizes them. */
function prepareParams(params: readonly ParamInit[]): Prepared {
  if (!Array.isArray(params)) throw new TypeError(`"params" expected array, got ${params === null ? 'null' : typeof params}`);
  const n = params.length;
  const codecs = new Array<ParamCodec | undefined>(n);
  const types = new Array<number>(n);
  const sizes = new Array<number>(n);
  let total = 0;
  let prev = -1;
  for (let i = 0; i < n; i++) {
    const p = params[i] as ParamInit | undefined;
    if (typeof p !== 'object' || p === null) throw new TypeError(`"${fieldPath(i, '')}" expected a parameter object, got ${p === null ? 'null' : typeof p}`);
    let type: number;
    let size: number;
    let codec: ParamCodec | undefined;
    if (p.kind === 'UNKNOWN') {
      type = checkInt(p.type, i, 'type', 0, 0xffff);
      size = checkBytes(p.body, i, 'body').length;
    } else {
      codec = codecForKind(p.kind as string);
      if (codec === undefined) throw new TypeError(`"${fieldPath(i, 'kind')}" unknown parameter kind ${JSON.stringify(p.kind)}`);
      type = codec.type;
      if (p.type !== undefined && p.type !== type) {
        throw new RangeError(`"${fieldPath(i, 'type')}" expected ${type} for ${codec.kind}, got ${String(p.type)}`);
      }
      size = codec.size(p as never, i);
    }
    if (p.critical !== undefined && p.critical !== ((type & 1) === 1)) {
      throw new RangeError(`"${fieldPath(i, 'critical')}" expected ${(type & 1) === 1} (the low bit of type ${type}), got ${String(p.critical)}`);
    }
    if (size > 0xffff) throw new RangeError(`"${fieldPath(i, '')}" contents of ${size} bytes exceed the 16-bit Length field`);
    if (type < prev) {
      throw new RangeError(`"${fieldPath(i, 'type')}" type ${type} (${paramName(type)}) follows type ${prev} (${paramName(prev)}): parameters must be in ascending type order (RFC 7401 §5.2.1)`);
    }
    if (type === prev && !isRepeatable(type)) {
      throw new RangeError(`"${fieldPath(i, 'type')}" a second ${paramName(type)} (type ${type} may appear only once)`);
    }
    prev = type;
    codecs[i] = codec;
    types[i] = type;
    sizes[i] = size;
    total += (size + 11) & ~7;
  }
  return { codecs, types, sizes, total };
}

function writeParams(w: Writer, params: readonly ParamInit[], prep: Prepared): void {
  for (let i = 0; i < params.length; i++) {
    const p = params[i]!;
    const size = prep.sizes[i]!;
    const start = w.pos;
    w.u16(prep.types[i]!);
    w.u16(size);
    const codec = prep.codecs[i];
    if (codec) codec.write(w, p as never);
    else w.bytes((p as Extract<ParamInit, { kind: 'UNKNOWN' }>).body);
    w.expect(start + 4 + size, fieldPath(i, ''));
    w.pos = start + ((size + 11) & ~7);
  }
}

type HeaderInit = { code: number; version: number; nextHeader: number; reserved: number; controls: number };

function prepareHeader(packet: PacketInit): HeaderInit {
  if (typeof packet !== 'object' || packet === null) throw new TypeError(`"packet" expected object, got ${packet === null ? 'null' : typeof packet}`);
  if (typeof packet.kind !== 'string' || !Object.prototype.hasOwnProperty.call(PACKET_TYPE, packet.kind)) {
    throw new TypeError(`"kind" expected a HIP packet kind (${Object.keys(PACKET_TYPE).join(', ')}), got ${JSON.stringify(packet.kind)}`);
  }
  const code = PACKET_TYPE[packet.kind as PacketKind];
  if (packet.code !== undefined && packet.code !== code) throw new RangeError(`"code" expected ${code} for ${packet.kind}, got ${String(packet.code)}`);
  const version = packet.version === undefined ? HIP_VERSION : checkInt(packet.version, -1, 'version', 0, 15);
  const nextHeader = packet.nextHeader === undefined ? NEXT_HEADER_NONE : checkInt(packet.nextHeader, -1, 'nextHeader', 0, 0xff);
  const reserved = packet.reserved === undefined ? 0 : checkInt(packet.reserved, -1, 'reserved', 0, 7);
  const controls = packet.controls === undefined ? 0 : checkInt(packet.controls, -1, 'controls', 0, 0xffff);
  checkBytes(packet.senderHit, -1, 'senderHit', 16);
  checkBytes(packet.receiverHit, -1, 'receiverHit', 16);
  return { code, version, nextHeader, reserved, controls };
}

/** Bytes `encodePacket(packet)` would produce (validates the packet like encodePacket). */
export function encodingLength(packet: PacketInit): number {
  prepareHeader(packet);
  return HIP_HEADER_LENGTH + prepareParams(packet.params).total;
}

/**
 * Encodes a HIP packet. Lengths and padding are computed; the checksum is filled in when `src`
 * and `dst` are given and is 0 otherwise (UDP encapsulation, or to be set later). Parameters
 * must already be in ascending type order (RFC 7401 §5.2.1): a misordered list is the caller's
 * bug and throws RangeError, as does any invalid field (naming it, e.g. `params[2].locators[0].address`).
 */
export function encodePacket(packet: PacketInit, opts: EncodeOptions = {}): Uint8Array {
  const h = prepareHeader(packet);
  checkAddressOptions(opts);
  if ((opts.src === undefined) !== (opts.dst === undefined)) throw new TypeError('"src" and "dst" must be given together');
  const prep = prepareParams(packet.params);
  const total = HIP_HEADER_LENGTH + prep.total;
  if (total > MAX_HIP_PACKET_LENGTH) {
    throw new RangeError(`"params" packet of ${total} bytes exceeds ${MAX_HIP_PACKET_LENGTH} (Header Length is 8 bits of 8-byte units)`);
  }
  const out = ownedAlloc(total);
  const w = new Writer(out);
  w.u8(h.nextHeader);
  w.u8(total / 8 - 1);
  w.u8(h.code);
  w.u8((h.version << 4) | (h.reserved << 1) | 1);
  w.u16(0);
  w.u16(h.controls);
  w.bytes(packet.senderHit);
  w.bytes(packet.receiverHit);
  writeParams(w, packet.params, prep);
  invariant(w.pos === total, 'encodePacket wrote the computed length');
  let checksum = 0;
  if (opts.src !== undefined && opts.dst !== undefined) checksum = hipChecksum(out, opts.src, opts.dst);
  else if (opts.keepChecksum === true && packet.checksum !== undefined) checksum = checkInt(packet.checksum, -1, 'checksum', 0, 0xffff);
  out[CHECKSUM_OFFSET] = checksum >>> 8;
  out[CHECKSUM_OFFSET + 1] = checksum & 0xff;
  return out;
}

/**
 * Encodes parameters as a bare TLV block (each padded to 8 bytes), e.g. the plaintext of an
 * ENCRYPTED parameter before the cipher's own padding, or one parameter on its own.
 */
export function encodeParamBlock(params: readonly ParamInit[]): Uint8Array {
  const prep = prepareParams(params);
  const out = ownedAlloc(prep.total);
  const w = new Writer(out);
  writeParams(w, params, prep);
  invariant(w.pos === prep.total, 'encodeParamBlock wrote the computed length');
  return out;
}
