// Bounds-checked read cursor (docs/architecture.md, Codec; after micro-packed's Reader). Byte fields are returned as
// `subarray` views of the buffer the reader was given; `decodePacket` hands it a private copy of
// the packet (`HipPacket.raw`), so the views are owned by the decoded packet and never alias the
// caller's buffer. A read past `end` throws a `DecodeFailure` naming the field; nothing here
// allocates on the success path except the views themselves.
import { DecodeFailure, type DecodeErrorCode } from './errors.js';

export class Reader {
  readonly b: Uint8Array;
  pos: number;
  end: number;
  /** What is being read, for error paths: `header`, `ESP_INFO`, `LOCATOR_SET`, ... */
  path: string;
  /** Index of the entry inside a list-shaped parameter (LOCATOR_SET), or -1. */
  index: number;
  /** Error code for a read that runs past `end`. */
  overrun: DecodeErrorCode;

  constructor(b: Uint8Array, pos: number, end: number) {
    this.b = b;
    this.pos = pos;
    this.end = end;
    this.path = '';
    this.index = -1;
    this.overrun = 'BAD_PARAM_LENGTH';
  }

  /** Points the reader at one region (a parameter's Contents) with a new path. */
  enter(pos: number, end: number, path: string): void {
    this.pos = pos;
    this.end = end;
    this.path = path;
    this.index = -1;
    this.overrun = 'BAD_PARAM_LENGTH';
  }

  remaining(): number {
    return this.end - this.pos;
  }

  u8(field: string): number {
    if (this.pos + 1 > this.end) this.short(field, 1);
    return this.b[this.pos++]!;
  }

  u16(field: string): number {
    const p = this.pos;
    if (p + 2 > this.end) this.short(field, 2);
    this.pos = p + 2;
    return (this.b[p]! << 8) | this.b[p + 1]!;
  }

  u32(field: string): number {
    const p = this.pos;
    if (p + 4 > this.end) this.short(field, 4);
    this.pos = p + 4;
    const b = this.b;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }

  /** `n` bytes as a view (not a copy). */
  bytes(n: number, field: string): Uint8Array {
    const p = this.pos;
    if (p + n > this.end) this.short(field, n);
    this.pos = p + n;
    return this.b.subarray(p, p + n);
  }

  /** Everything up to `end`, as a view. */
  rest(): Uint8Array {
    const p = this.pos;
    this.pos = this.end;
    return this.b.subarray(p, this.end);
  }

  /** Strict finish: every byte of the region must have been consumed. */
  finish(field: string): void {
    if (this.pos !== this.end) {
      this.fail(this.overrun, field, `${this.end - this.pos} unexpected trailing byte(s)`, this.pos);
    }
  }

  /** Builds the error path for `field` from the current path and entry index. */
  fieldPath(field: string): string {
    const base = this.index >= 0 ? `${this.path}[${this.index}]` : this.path;
    return field === '' ? base : base === '' ? field : `${base}.${field}`;
  }

  fail(code: DecodeErrorCode, field: string, message: string, offset: number = this.pos): never {
    const path = this.fieldPath(field);
    throw new DecodeFailure(code, offset, path, `${path}: ${message}`);
  }

  private short(field: string, n: number): never {
    return this.fail(this.overrun, field, `needs ${n} byte(s), only ${Math.max(0, this.end - this.pos)} left`);
  }
}
