// Puzzle (RFC 7401 §6.3): solve with a budget, verify, Ltrunc = lowest-order K bits, HIT order.
import * as nc from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { lowBitsZero, nobleCrypto, solvePuzzle, verifyPuzzle, type HashId } from '../../src/crypto/index.js';
import { testRandom } from '../fixtures/keys.js';
import { unhex } from './helpers.js';

const crypto = nobleCrypto();
const hitI = unhex('20010021aaaaaaaaaaaaaaaaaaaaaaaa');
const hitR = unhex('20010022bbbbbbbbbbbbbbbbbbbbbbbb');

/** Independent check: K low-order bits of node's digest, as a BigInt. */
function nodeCheck(hash: string, I: Uint8Array, J: Uint8Array, k: number, first = hitI, second = hitR): boolean {
  const d = nc.createHash(hash).update(I).update(first).update(second).update(J).digest();
  return (BigInt('0x' + d.toString('hex')) & ((1n << BigInt(k)) - 1n)) === 0n;
}

describe('puzzle', () => {
  it.each([
    ['sha256', 32, 10],
    ['sha384', 48, 8],
    ['sha1', 20, 12],
  ] as [HashId, number, number][])('%s: solves K=%i and node agrees', (hash, n, k) => {
    const rnd = testRandom('puzzle-' + hash);
    const randomI = rnd(n);
    const p = { crypto, hash, k, randomI, hitI, hitR };
    const sol = solvePuzzle({ ...p, random: rnd, maxAttempts: 1 << 20 });
    expect(sol.ok).toBe(true);
    if (!sol.ok) return;
    expect(sol.randomJ).toHaveLength(n);
    expect(verifyPuzzle(p, sol.randomJ)).toBe(true);
    expect(nodeCheck(hash, randomI, sol.randomJ, k)).toBe(true);
    // HITs swapped (some implementations do this; we must not)
    const swapped = { ...p, hitI: hitR, hitR: hitI };
    expect(verifyPuzzle(swapped, sol.randomJ)).toBe(nodeCheck(hash, randomI, sol.randomJ, k, hitR, hitI));
    // wrong lengths are refused, not thrown
    expect(verifyPuzzle(p, sol.randomJ.subarray(1))).toBe(false);
    expect(verifyPuzzle({ ...p, randomI: randomI.subarray(1) }, sol.randomJ)).toBe(false);
  });

  it('K = 0 accepts any #J; K = hash length demands an all-zero digest; K beyond is invalid', () => {
    const randomI = new Uint8Array(32);
    const p = { crypto, hash: 'sha256' as const, randomI, hitI, hitR };
    expect(verifyPuzzle({ ...p, k: 0 }, new Uint8Array(32).fill(9))).toBe(true);
    expect(verifyPuzzle({ ...p, k: 256 }, new Uint8Array(32))).toBe(false);
    expect(verifyPuzzle({ ...p, k: 257 }, new Uint8Array(32))).toBe(false);
    expect(solvePuzzle({ ...p, k: 257, random: testRandom('x'), maxAttempts: 10 })).toEqual({ ok: false, reason: 'bad-k', attempts: 0 });
    const zero = solvePuzzle({ ...p, k: 0, random: testRandom('x'), maxAttempts: 1 });
    expect(zero.ok && zero.attempts === 1).toBe(true);
  });

  it('stops at the attempt budget', () => {
    const r = solvePuzzle({ crypto, hash: 'sha256', k: 40, randomI: new Uint8Array(32), hitI, hitR, random: testRandom('budget'), maxAttempts: 500 });
    expect(r).toEqual({ ok: false, reason: 'budget', attempts: 500 });
  });

  it('Ltrunc is the lowest-order bits (the end of the digest)', () => {
    expect(lowBitsZero(Uint8Array.of(0xff, 0x00), 8)).toBe(true);
    expect(lowBitsZero(Uint8Array.of(0x00, 0x01), 1)).toBe(false);
    expect(lowBitsZero(Uint8Array.of(0xff, 0xf0), 4)).toBe(true);
    expect(lowBitsZero(Uint8Array.of(0xff, 0xf0), 5)).toBe(false);
    expect(lowBitsZero(Uint8Array.of(0xfe, 0x00), 9)).toBe(true);
    expect(lowBitsZero(Uint8Array.of(0xfe, 0x00), 10)).toBe(false);
  });

  it('#J starts from the injected random and counts up', () => {
    const start = new Uint8Array(32).fill(0xff);
    const r = solvePuzzle({ crypto, hash: 'sha256', k: 0, randomI: new Uint8Array(32), hitI, hitR, random: () => start, maxAttempts: 1 });
    expect(r.ok && r.randomJ.every((b) => b === 0xff)).toBe(true);
  });
});
