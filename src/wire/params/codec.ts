// The shape of one parameter codec in the registry (docs/architecture.md, Codec; dns-packet's table idea).
//
// decode: the reader is positioned on the Contents and bounded by the Length field; the codec
//   checks the Length against its layout and returns the parameter object (fields that are bytes
//   are views of the packet's private `raw` copy). It throws `DecodeFailure` through the reader.
// size:   validates the input object (TypeError/RangeError naming `params[i].field`) and returns
//   the Contents length in bytes (without Type, Length and padding).
// write:  writes exactly `size` bytes of Contents.
import type { KnownParamKind } from '../constants.js';
import type { ParamInitFor, ParamOf, Span } from '../types.js';
import type { Reader } from '../reader.js';
import type { Writer } from '../writer.js';

export interface ParamCodec<K extends KnownParamKind = KnownParamKind> {
  readonly kind: K;
  readonly type: number;
  /**
   * May the parameter appear more than once (consecutively, RFC 7401 §5.2.1)? True only where an
   * RFC says so; a repeat of any other known type is `DUPLICATE_PARAM`.
   */
  readonly repeatable: boolean;
  decode(r: Reader, type: number, span: Span): ParamOf<K>;
  size(p: ParamInitFor<K>, i: number): number;
  write(w: Writer, p: ParamInitFor<K>): void;
}

/** Fails with BAD_PARAM_LENGTH on the Length field (2 bytes after the Type field). */
export function badLength(r: Reader, span: Span, message: string): never {
  return r.fail('BAD_PARAM_LENGTH', 'length', message, span.offset + 2);
}

/** Contents length must be exactly `n`. */
export function expectLength(r: Reader, span: Span, n: number): void {
  const len = r.end - r.pos;
  if (len !== n) badLength(r, span, `Length must be ${n}, got ${len}`);
}

/** Contents length must be at least `n`. */
export function expectMinLength(r: Reader, span: Span, n: number): void {
  const len = r.end - r.pos;
  if (len < n) badLength(r, span, `Length must be at least ${n}, got ${len}`);
}

/** (Contents length - `fixed`) must be a multiple of `unit`. */
export function expectMultiple(r: Reader, span: Span, fixed: number, unit: number): void {
  const len = r.end - r.pos;
  if (len < fixed || (len - fixed) % unit !== 0) {
    badLength(r, span, fixed === 0 ? `Length must be a multiple of ${unit}, got ${len}` : `Length must be ${fixed} + a multiple of ${unit}, got ${len}`);
  }
}

/** Reads the rest of the region as a list of 8-bit values. */
export function readU8List(r: Reader): number[] {
  const n = r.end - r.pos;
  const out = new Array<number>(n);
  const b = r.b;
  const p = r.pos;
  for (let j = 0; j < n; j++) out[j] = b[p + j]!;
  r.pos = r.end;
  return out;
}

/** Reads the rest of the region as a list of 16-bit values (length already checked even). */
export function readU16List(r: Reader): number[] {
  const n = (r.end - r.pos) >>> 1;
  const out = new Array<number>(n);
  const b = r.b;
  let p = r.pos;
  for (let j = 0; j < n; j++, p += 2) out[j] = (b[p]! << 8) | b[p + 1]!;
  r.pos = p;
  return out;
}

/** Reads the rest of the region as a list of 32-bit values (length already checked). */
export function readU32List(r: Reader): number[] {
  const n = (r.end - r.pos) >>> 2;
  const out = new Array<number>(n);
  const b = r.b;
  let p = r.pos;
  for (let j = 0; j < n; j++, p += 4) out[j] = ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  r.pos = p;
  return out;
}

