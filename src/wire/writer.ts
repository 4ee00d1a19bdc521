// Write cursor over a buffer allocated once by the encoder, plus the argument checks the encoder's
// length pre-pass runs. Encoding a malformed packet object is a local bug: it throws TypeError or
// RangeError naming the field, e.g. `"params[2].locators[0].address" expected Uint8Array of
// length 16, got length=4` (docs/architecture.md, Codec; noble-style messages). Paths are only built on failure.
import { abytes, aint } from '../util/bytes.js';
import { invariant } from '../util/assert.js';

export class Writer {
  readonly b: Uint8Array;
  pos: number;

  constructor(b: Uint8Array, pos = 0) {
    this.b = b;
    this.pos = pos;
  }

  u8(v: number): void {
    this.b[this.pos++] = v;
  }

  u16(v: number): void {
    const p = this.pos;
    this.b[p] = v >>> 8;
    this.b[p + 1] = v;
    this.pos = p + 2;
  }

  u32(v: number): void {
    const p = this.pos;
    const b = this.b;
    b[p] = v >>> 24;
    b[p + 1] = v >>> 16;
    b[p + 2] = v >>> 8;
    b[p + 3] = v;
    this.pos = p + 4;
  }

  bytes(a: Uint8Array): void {
    this.b.set(a, this.pos);
    this.pos += a.length;
  }

  /** Skips `n` bytes (the buffer is zero-filled, so this writes zero padding). */
  skip(n: number): void {
    this.pos += n;
  }

  /** Asserts that exactly up to `end` was written (catches a codec whose size() and write() disagree). */
  expect(end: number, what: string): void {
    invariant(this.pos === end, `${what}: wrote ${this.pos} bytes, expected ${end}`);
  }
}

/** Path of a field of parameter `i`: `params[i].field`, with `#` in `field` replaced by `sub`. */
export function fieldPath(i: number, field: string, sub = -1): string {
  const f = sub >= 0 ? field.replace('#', String(sub)) : field;
  return i < 0 ? f : f === '' ? `params[${i}]` : `params[${i}].${f}`;
}

/** Integer in [min, max]; TypeError/RangeError naming `params[i].field`. */
export function checkInt(v: unknown, i: number, field: string, min: number, max: number, sub = -1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) aint(v, fieldPath(i, field, sub), min, max);
  return v as number;
}

/** Optional integer, default `dflt`. */
export function optInt(v: unknown, i: number, field: string, min: number, max: number, dflt: number): number {
  return v === undefined ? dflt : checkInt(v, i, field, min, max);
}

/** Uint8Array (of `length`, if given); TypeError/RangeError naming `params[i].field`. */
export function checkBytes(v: unknown, i: number, field: string, length?: number, sub = -1): Uint8Array {
  if (!(v instanceof Uint8Array) || (length !== undefined && v.length !== length)) {
    abytes(v, fieldPath(i, field, sub), length);
  }
  return v as Uint8Array;
}

/** Uint8Array whose length is at most `max`. */
export function checkBytesMax(v: unknown, i: number, field: string, max: number, sub = -1): Uint8Array {
  const a = checkBytes(v, i, field, undefined, sub);
  if (a.length > max) {
    throw new RangeError(`"${fieldPath(i, field, sub)}" expected Uint8Array of length at most ${max}, got length=${a.length}`);
  }
  return a;
}

/** An array of integers in [min, max]. */
export function checkIntList(v: unknown, i: number, field: string, min: number, max: number): readonly number[] {
  if (!Array.isArray(v)) throw new TypeError(`"${fieldPath(i, field)}" expected array, got ${v === null ? 'null' : typeof v}`);
  for (let j = 0; j < v.length; j++) {
    const x: unknown = v[j];
    if (typeof x !== 'number' || !Number.isInteger(x) || x < min || x > max) aint(x, `${fieldPath(i, field)}[${j}]`, min, max);
  }
  return v as readonly number[];
}

export function checkBool(v: unknown, i: number, field: string, sub = -1): boolean {
  if (typeof v !== 'boolean') throw new TypeError(`"${fieldPath(i, field, sub)}" expected boolean, got ${typeof v}`);
  return v;
}

export function checkArray(v: unknown, i: number, field: string): readonly unknown[] {
  if (!Array.isArray(v)) throw new TypeError(`"${fieldPath(i, field)}" expected array, got ${v === null ? 'null' : typeof v}`);
  return v;
}

export function checkBigU64(v: unknown, i: number, field: string): bigint {
  if (typeof v !== 'bigint') throw new TypeError(`"${fieldPath(i, field)}" expected bigint, got ${typeof v}`);
  if (v < 0n || v > 0xffff_ffff_ffff_ffffn) {
    throw new RangeError(`"${fieldPath(i, field)}" expected bigint in 0..2^64-1, got ${v}`);
  }
  return v;
}
