// R1_COUNTER, PUZZLE and SOLUTION (RFC 7401 §5.2.3–§5.2.5).
//
// R1_COUNTER (129), Length 12: | Reserved (32) | R1 generation counter (64) |
// PUZZLE (257):   | #K (8) | Lifetime (8) | Opaque (16) | Random #I (RHASH_len/8) |
// SOLUTION (321): | #K (8) | Reserved (8) | Opaque (16) | Random #I | Puzzle solution #J |
// In HIPv2 #I and #J are RHASH-sized: Length = 4 + RHASH_len/8 (PUZZLE) and 4 + RHASH_len/4
// (SOLUTION), with RHASH of 160, 256 or 384 bits (HIT suites 3, 1, 2). The "12" and "20" of the
// §5.2 table are HIPv1 leftovers (docs/architecture.md, Choices the RFCs leave open); any other length is BAD_PARAM_LENGTH.
import { PARAM_TYPE } from '../constants.js';
import { checkBigU64, checkBytes, checkInt, fieldPath, optInt } from '../writer.js';
import { badLength, expectLength, type ParamCodec } from './codec.js';

/** #I / #J sizes in bytes for the RHASH functions of the defined HIT suites (SHA-1, -256, -384). */
export const RHASH_LENGTHS: readonly number[] = [20, 32, 48];

function isRhashLength(n: number): boolean {
  return n === 20 || n === 32 || n === 48;
}

function checkRhash(v: unknown, i: number, field: string): Uint8Array {
  const a = checkBytes(v, i, field);
  if (!isRhashLength(a.length)) {
    throw new RangeError(`"${fieldPath(i, field)}" expected Uint8Array of length 20, 32 or 48 (RHASH_len/8), got length=${a.length}`);
  }
  return a;
}

export const R1_COUNTER: ParamCodec<'R1_COUNTER'> = {
  kind: 'R1_COUNTER',
  type: PARAM_TYPE.R1_COUNTER,
  repeatable: false,
  decode(r, type, span) {
    expectLength(r, span, 12);
    const reserved = r.u32('reserved');
    const hi = r.u32('generation');
    const lo = r.u32('generation');
    const generation = (BigInt(hi) << 32n) | BigInt(lo);
    return { kind: 'R1_COUNTER', type, critical: (type & 1) === 1, span, reserved, generation };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffffffff, 0);
    checkBigU64(p.generation, i, 'generation');
    return 12;
  },
  write(w, p) {
    w.u32(p.reserved ?? 0);
    w.u32(Number(p.generation >> 32n));
    w.u32(Number(p.generation & 0xffffffffn));
  },
};

export const PUZZLE: ParamCodec<'PUZZLE'> = {
  kind: 'PUZZLE',
  type: PARAM_TYPE.PUZZLE,
  repeatable: false,
  decode(r, type, span) {
    const len = r.end - r.pos;
    if (!isRhashLength(len - 4)) badLength(r, span, `Length must be 4 + RHASH_len/8 (24, 36 or 52), got ${len}`);
    const k = r.u8('k');
    const lifetime = r.u8('lifetime');
    const opaque = r.u16('opaque');
    const randomI = r.rest();
    return { kind: 'PUZZLE', type, critical: (type & 1) === 1, span, k, lifetime, opaque, randomI };
  },
  size(p, i) {
    checkInt(p.k, i, 'k', 0, 0xff);
    checkInt(p.lifetime, i, 'lifetime', 0, 0xff);
    checkInt(p.opaque, i, 'opaque', 0, 0xffff);
    return 4 + checkRhash(p.randomI, i, 'randomI').length;
  },
  write(w, p) {
    w.u8(p.k);
    w.u8(p.lifetime);
    w.u16(p.opaque);
    w.bytes(p.randomI);
  },
};

export const SOLUTION: ParamCodec<'SOLUTION'> = {
  kind: 'SOLUTION',
  type: PARAM_TYPE.SOLUTION,
  repeatable: false,
  decode(r, type, span) {
    const len = r.end - r.pos;
    const n = (len - 4) / 2;
    if (!isRhashLength(n)) badLength(r, span, `Length must be 4 + RHASH_len/4 (44, 68 or 100), got ${len}`);
    const k = r.u8('k');
    const reserved = r.u8('reserved');
    const opaque = r.u16('opaque');
    const randomI = r.bytes(n, 'randomI');
    const solutionJ = r.bytes(n, 'solutionJ');
    return { kind: 'SOLUTION', type, critical: (type & 1) === 1, span, k, reserved, opaque, randomI, solutionJ };
  },
  size(p, i) {
    checkInt(p.k, i, 'k', 0, 0xff);
    optInt(p.reserved, i, 'reserved', 0, 0xff, 0);
    checkInt(p.opaque, i, 'opaque', 0, 0xffff);
    const n = checkRhash(p.randomI, i, 'randomI').length;
    checkBytes(p.solutionJ, i, 'solutionJ', n);
    return 4 + 2 * n;
  },
  write(w, p) {
    w.u8(p.k);
    w.u8(p.reserved ?? 0);
    w.u16(p.opaque);
    w.bytes(p.randomI);
    w.bytes(p.solutionJ);
  },
};
