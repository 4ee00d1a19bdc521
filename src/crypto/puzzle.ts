// The HIP puzzle (RFC 7401 §4.1.1, §6.3, Appendix A), pure functions:
//
//   valid  ⇔  Ltrunc( RHASH( #I | HIT-I | HIT-R | #J ), #K ) == 0
//
// Ltrunc takes the K lowest-order bits, i.e. the last bits of the digest in network byte order.
// HIT-I is always the Initiator's HIT and HIT-R the Responder's, whatever the packet's
// sender/receiver order. #I and #J are RHASH-length (the Responder's HIT suite hash).
// K may be 0 (every #J is valid) up to the full RHASH length in bits.
import type { Hit, RandomSource } from '../types.js';
import { concatBytes } from '../util/bytes.js';
import { HASH_LENGTH, type CryptoProvider, type HashId } from './provider.js';

/**
 * The inputs of the puzzle (RFC 7401 §4.1.2, §5.2.4): difficulty K, #I from R1 and both HITs,
 * hashed with the Responder's RHASH.
 */
export type PuzzleInput = {
  readonly crypto: Pick<CryptoProvider, 'hash'>;
  /** RHASH: the hash of the Responder's HIT suite (see hit.ts rhashOf). */
  readonly hash: HashId;
  readonly k: number;
  readonly randomI: Uint8Array;
  readonly hitI: Hit;
  readonly hitR: Hit;
};

/** True when the `k` lowest-order bits of `digest` are zero. */
export function lowBitsZero(digest: Uint8Array, k: number): boolean {
  if (k > digest.length * 8) return false;
  let i = digest.length - 1;
  let rem = k;
  while (rem >= 8) {
    if (digest[i] !== 0) return false;
    i--;
    rem -= 8;
  }
  return rem === 0 || (digest[i]! & ((1 << rem) - 1)) === 0;
}

function checkInput(p: PuzzleInput): string | undefined {
  const n = HASH_LENGTH[p.hash];
  if (!Number.isInteger(p.k) || p.k < 0 || p.k > n * 8) return 'bad-k';
  if (p.randomI.length !== n) return 'bad-length';
  if (p.hitI.length !== 16 || p.hitR.length !== 16) return 'bad-length';
  return undefined;
}

/** RHASH(#I | HIT-I | HIT-R | #J). */
export function puzzleDigest(p: PuzzleInput, randomJ: Uint8Array): Uint8Array {
  return p.crypto.hash(p.hash, concatBytes(p.randomI, p.hitI, p.hitR, randomJ));
}

/** Verifies a solution #J. False for any malformed input (wrong #I/#J length, K out of range). */
export function verifyPuzzle(p: PuzzleInput, randomJ: Uint8Array): boolean {
  if (checkInput(p) !== undefined || randomJ.length !== HASH_LENGTH[p.hash]) return false;
  return lowBitsZero(puzzleDigest(p, randomJ), p.k);
}

/**
 * The outcome of {@link solvePuzzle}: #J with the attempts spent, or why there is none (budget
 * exhausted, K outside 0..RHASH bits, wrong #I or HIT length).
 */
export type PuzzleSolution =
  | { readonly ok: true; readonly randomJ: Uint8Array; readonly attempts: number }
  | { readonly ok: false; readonly reason: 'budget' | 'bad-k' | 'bad-length'; readonly attempts: number };

/**
 * Searches #J from a random start (drawn from `random`), incrementing it as a big-endian
 * counter, for at most `maxAttempts` hashes. Expected cost: 2^K hashes.
 */
export function solvePuzzle(p: PuzzleInput & { readonly random: RandomSource; readonly maxAttempts: number }): PuzzleSolution {
  const bad = checkInput(p);
  if (bad !== undefined) return { ok: false, reason: bad as 'bad-k' | 'bad-length', attempts: 0 };
  const n = HASH_LENGTH[p.hash];
  const buf = concatBytes(p.randomI, p.hitI, p.hitR, p.random(n));
  const jOff = buf.length - n;
  for (let attempt = 1; attempt <= p.maxAttempts; attempt++) {
    if (lowBitsZero(p.crypto.hash(p.hash, buf), p.k)) {
      return { ok: true, randomJ: buf.slice(jOff), attempts: attempt };
    }
    for (let i = buf.length - 1; i >= jOff; i--) {
      buf[i] = (buf[i]! + 1) & 0xff;
      if (buf[i] !== 0) break;
    }
  }
  return { ok: false, reason: 'budget', attempts: p.maxAttempts };
}
