// Test helpers for hand-written wire vectors. Vectors are written as hex from the RFC bit
// diagrams; these helpers only strip formatting and frame the fixed header — they never call the
// encoder under test.
import { expect } from 'vitest';
import type { DecodeErrorCode } from '../../src/wire/index.js';

/** Hex with free formatting: whitespace, `|`, `_`, `:` and `# comments` to end of line are ignored. */
export function h(text: string): Uint8Array {
  const clean = text.replace(/#[^\n]*/g, '').replace(/[\s|_:]/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-fA-F]/.test(clean)) throw new Error(`bad hex vector: ${clean.slice(0, 60)}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** The Appendix C HITs: 2001:20::1 and 2001:20::2. */
export const HIT_I = h('2001 0020 0000 0000 0000 0000 0000 0001');
export const HIT_R = h('2001 0020 0000 0000 0000 0000 0000 0002');

/**
 * A HIPv2 packet written by hand: Next Header 59, Header Length = (40 + params) / 8 - 1,
 * packet type `type`, byte 3 = 0x21 (version 2, fixed bit), checksum `checksum`, controls 0,
 * sender HIT_I, receiver HIT_R, then `params` as given.
 */
export function pkt(type: number, params: Uint8Array = new Uint8Array(0), checksum = 0): Uint8Array {
  const len = 40 + params.length;
  if (len % 8 !== 0) throw new Error('hand-built packet must be a multiple of 8 bytes');
  const head = new Uint8Array([0x3b, len / 8 - 1, type, 0x21, checksum >>> 8, checksum & 0xff, 0x00, 0x00]);
  return cat(head, HIT_I, HIT_R, params);
}

/** Offset of the first parameter in a packet built by `pkt`. */
export const P0 = 40;

type Failure = { ok: false; error: { code: DecodeErrorCode; offset: number; path: string; message: string } };

/** Asserts a failed decode with `code` (and `path`/`offset` when given). */
export function expectError(
  res: { ok: boolean },
  code: DecodeErrorCode,
  path?: string,
  offset?: number,
): void {
  expect(res.ok, `expected ${code}, got ok`).toBe(false);
  const e = (res as Failure).error;
  expect(e.code, e.message).toBe(code);
  if (path !== undefined) expect(e.path, e.message).toBe(path);
  if (offset !== undefined) expect(e.offset, e.message).toBe(offset);
  expect(typeof e.message).toBe('string');
}

export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Hex of `n` bytes counting up from `start` (mod 256): a readable filler for long fields. */
export function run(start: number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += ((start + i) & 0xff).toString(16).padStart(2, '0');
  return s;
}

/** `n` zero bytes as hex (padding). */
export function pad(n: number): string {
  return '00'.repeat(n);
}
