// Seeded randomness for tests and the simulator (docs/architecture.md, Clock, randomness and crypto).
//
// `seededRandom(seed)` is a ChaCha20 keystream (RFC 8439, @noble/ciphers) keyed by
// sha256(seed material) with an all-zero nonce and the block counter starting at 0: the bytes it
// returns are exactly `chacha20(key, 0^12, 0^n)`. It is deterministic, well distributed and cheap.
// `deriveSeed(master, label)` = sha256(master ‖ label) gives every host and every link its own
// stream, so adding a link never changes any host's randomness (quinn's per-connection seeds).
// `Prng` turns a byte stream into decisions (floats, integers, coin flips) without Math.random.
//
// NOT for production keys: the stream is reproducible by anyone who knows the seed.
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import type { RandomSource } from '../types.js';
import { concatBytes } from '../util/bytes.js';

/** Seed material: a non-negative safe integer, a string (UTF-8) or raw bytes. */
export type Seed = number | string | Uint8Array;

/**
 * The bytes a seed stands for:
 * - a number: its value as an 8-byte big-endian unsigned integer (so `42` and `42n`-style
 *   seeds from `SIM_SEED` are simple to reproduce anywhere);
 * - a string: its UTF-8 bytes;
 * - a Uint8Array: the bytes themselves (copied).
 * Throws RangeError for a number that is not a safe non-negative integer.
 */
export function seedBytes(seed: Seed): Uint8Array {
  if (seed instanceof Uint8Array) return Uint8Array.from(seed);
  if (typeof seed === 'string') return utf8ToBytes(seed);
  if (typeof seed === 'number') {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`"seed" expected a non-negative safe integer, got ${seed}`);
    }
    const out = new Uint8Array(8);
    const hi = Math.floor(seed / 0x1_0000_0000);
    const lo = seed >>> 0;
    out[0] = hi >>> 24;
    out[1] = (hi >>> 16) & 0xff;
    out[2] = (hi >>> 8) & 0xff;
    out[3] = hi & 0xff;
    out[4] = lo >>> 24;
    out[5] = (lo >>> 16) & 0xff;
    out[6] = (lo >>> 8) & 0xff;
    out[7] = lo & 0xff;
    return out;
  }
  throw new TypeError(`"seed" expected number, string or Uint8Array, got ${typeof seed}`);
}

/**
 * A 32-byte child seed: sha256(seedBytes(master) ‖ label), label as UTF-8 when a string.
 * Use fixed-length masters (numbers, or 32-byte seeds returned by this function) so that the
 * concatenation is unambiguous; labels such as `host:A` or `link:2001:db8::a>2001:db8::b`.
 */
export function deriveSeed(master: Seed, label: string | Uint8Array): Uint8Array {
  const l = typeof label === 'string' ? utf8ToBytes(label) : label;
  if (!(l instanceof Uint8Array)) throw new TypeError('"label" expected string or Uint8Array');
  return sha256(concatBytes(seedBytes(master), l));
}

/** The ChaCha20 key `seededRandom(seed)` uses: sha256(seedBytes(seed)). */
export function seedKey(seed: Seed): Uint8Array {
  return sha256(seedBytes(seed));
}

const BLOCK = 64;
/** Keystream bytes generated per refill (64 blocks). */
const CHUNK_BLOCKS = 64;
const ZEROS = new Uint8Array(CHUNK_BLOCKS * BLOCK);
/** noble's 32-bit counter never wraps; switch nonce before reaching it (after 256 GiB). */
const MAX_COUNTER = 0xffff_ffff - CHUNK_BLOCKS;

/**
 * A deterministic `RandomSource`: successive calls return successive bytes of the ChaCha20
 * keystream for key sha256(seedBytes(seed)), nonce 0^12, initial block counter 0 (RFC 8439
 * layout; equals OpenSSL/node `chacha20` with a 16-byte IV of 0^16). After 2^32 blocks the
 * 12-byte nonce's first 4 bytes (little-endian) count up, so the stream never repeats.
 */
export function seededRandom(seed: Seed): RandomSource {
  const key = seedKey(seed);
  const nonce = new Uint8Array(12);
  let nonceWord = 0;
  let counter = 0;
  let buf = new Uint8Array(0);
  let pos = 0;

  const refill = (): void => {
    if (counter > MAX_COUNTER) {
      nonceWord = (nonceWord + 1) >>> 0;
      nonce[0] = nonceWord & 0xff;
      nonce[1] = (nonceWord >>> 8) & 0xff;
      nonce[2] = (nonceWord >>> 16) & 0xff;
      nonce[3] = nonceWord >>> 24;
      counter = 0;
    }
    buf = chacha20(key, nonce, ZEROS, undefined, counter);
    counter += CHUNK_BLOCKS;
    pos = 0;
  };

  return (n: number): Uint8Array => {
    if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
      throw new RangeError(`"n" expected a non-negative integer, got ${String(n)}`);
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (pos >= buf.length) refill();
      const take = Math.min(n - off, buf.length - pos);
      out.set(buf.subarray(pos, pos + take), off);
      pos += take;
      off += take;
    }
    return out;
  };
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_53 = 2 ** 53;

/**
 * A small decision PRNG over a byte stream. Every method consumes a fixed, documented number of
 * bytes per draw (except `int`, which rejects and redraws to stay unbiased), so a run is
 * reproducible from the seed alone.
 */
export class Prng {
  readonly #random: RandomSource;
  #buf: Uint8Array = new Uint8Array(0);
  #pos = 0;

  /** From a seed (through `seededRandom`) or from any `RandomSource`. */
  constructor(source: Seed | RandomSource) {
    this.#random = typeof source === 'function' ? source : seededRandom(source);
  }

  /** n fresh bytes from the underlying stream. */
  bytes(n: number): Uint8Array {
    // Drain the local buffer first so that bytes() and the number draws share one stream.
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (this.#pos >= this.#buf.length) {
        this.#buf = this.#random(256);
        this.#pos = 0;
      }
      const take = Math.min(n - off, this.#buf.length - this.#pos);
      out.set(this.#buf.subarray(this.#pos, this.#pos + take), off);
      this.#pos += take;
      off += take;
    }
    return out;
  }

  /** A uniform 32-bit unsigned integer (4 bytes, big-endian). */
  u32(): number {
    if (this.#buf.length - this.#pos < 4) return readBe32(this.bytes(4), 0);
    const v = readBe32(this.#buf, this.#pos);
    this.#pos += 4;
    return v;
  }

  /** A uniform integer in [0, 2^53) (two u32 draws, the top 21 bits of the first). */
  u53(): number {
    const hi = this.u32() >>> 11;
    const lo = this.u32();
    return hi * TWO_POW_32 + lo;
  }

  /** A uniform float in [0, 1) with 53 bits of precision. */
  next(): number {
    return this.u53() / TWO_POW_53;
  }

  /** A uniform float in [lo, hi). */
  float(lo: number, hi: number): number {
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || hi < lo) {
      throw new RangeError(`"float" expected finite lo <= hi, got ${lo}..${hi}`);
    }
    return lo + (hi - lo) * this.next();
  }

  /** A uniform integer in [lo, hi], both inclusive, without modulo bias. */
  int(lo: number, hi: number): number {
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi < lo) {
      throw new RangeError(`"int" expected safe integers lo <= hi, got ${lo}..${hi}`);
    }
    const range = hi - lo + 1;
    if (range > TWO_POW_53) throw new RangeError(`"int" range too large: ${lo}..${hi}`);
    if (range <= TWO_POW_32) {
      const limit = TWO_POW_32 - (TWO_POW_32 % range);
      for (;;) {
        const x = this.u32();
        if (x < limit) return lo + (x % range);
      }
    }
    const limit = TWO_POW_53 - (TWO_POW_53 % range);
    for (;;) {
      const x = this.u53();
      if (x < limit) return lo + (x % range);
    }
  }

  /** True with probability p (p <= 0 is always false and p >= 1 always true; both draw). */
  bool(p = 0.5): boolean {
    if (typeof p !== 'number' || Number.isNaN(p)) throw new RangeError(`"p" expected a probability, got ${String(p)}`);
    return this.next() < p;
  }

  /** A uniformly chosen element; throws RangeError on an empty array. */
  pick<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError('"pick" expected a non-empty array');
    return arr[this.int(0, arr.length - 1)]!;
  }

  /** A Fisher–Yates shuffled copy. */
  shuffle<T>(arr: readonly T[]): T[] {
    const out = arr.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i]!;
      out[i] = out[j]!;
      out[j] = tmp;
    }
    return out;
  }
}

function readBe32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}
