// testing/rng.ts: seeded ChaCha20 byte streams (docs/architecture.md, Clock, randomness and crypto) and the decision PRNG.
import { createCipheriv } from 'node:crypto';
import { chacha20 } from '@noble/ciphers/chacha.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { describe, expect, it } from 'vitest';
import { Prng, deriveSeed, seedBytes, seedKey, seededRandom } from '../../src/testing/index.js';
import { toHex } from '../../src/util/bytes.js';

/** OpenSSL's chacha20 takes a 16-byte IV: 32-bit little-endian block counter ‖ 12-byte nonce. */
function nodeKeystream(key: Uint8Array, nonce12: Uint8Array, counter: number, n: number): Uint8Array {
  const iv = new Uint8Array(16);
  new DataView(iv.buffer).setUint32(0, counter, true);
  iv.set(nonce12, 4);
  const c = createCipheriv('chacha20', key, iv);
  return new Uint8Array(c.update(new Uint8Array(n)));
}

describe('seededRandom', () => {
  it('is deterministic: same seed, same bytes, however the reads are split', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    const whole = a(10_000);
    const parts = [b(1), b(63), b(64), b(5000), b(0), b(4872)];
    const joined = new Uint8Array(10_000);
    let off = 0;
    for (const p of parts) {
      joined.set(p, off);
      off += p.length;
    }
    expect(toHex(joined)).toBe(toHex(whole));
    expect(toHex(seededRandom('hello')(32))).toBe(toHex(seededRandom('hello')(32)));
    expect(toHex(seededRandom(Uint8Array.of(1, 2, 3))(32))).toBe(toHex(seededRandom(Uint8Array.of(1, 2, 3))(32)));
  });

  it('different seeds give different streams', () => {
    const seen = new Set<string>();
    for (const s of [0, 1, 42, 2 ** 53 - 1, '', '0', 'a', Uint8Array.of(), Uint8Array.of(0)]) seen.add(toHex(seededRandom(s)(32)));
    // '' and Uint8Array.of() are the same seed material (empty bytes); everything else differs.
    expect(seen.size).toBe(8);
  });

  it('seed material: numbers are 8-byte big-endian, strings UTF-8, bytes as given', () => {
    expect(toHex(seedBytes(42))).toBe('000000000000002a');
    expect(toHex(seedBytes(2 ** 40 + 5))).toBe('0000010000000005');
    expect(toHex(seedBytes('hé'))).toBe('68c3a9');
    expect(toHex(seedKey('abc'))).toBe(toHex(sha256(Uint8Array.of(0x61, 0x62, 0x63))));
    expect(() => seedBytes(-1)).toThrow(RangeError);
    expect(() => seedBytes(1.5)).toThrow(RangeError);
    expect(() => seedBytes(2 ** 53)).toThrow(RangeError);
  });

  it('equals the RFC 8439 ChaCha20 keystream of node:crypto for key sha256(seed), nonce 0, counter 0', () => {
    for (const seed of [0, 42, 'sim', deriveSeed(7, 'host:A')]) {
      const key = seedKey(seed);
      const n = 64 * 64 * 2 + 100; // crosses two internal refills
      expect(toHex(seededRandom(seed)(n))).toBe(toHex(nodeKeystream(key, new Uint8Array(12), 0, n)));
    }
  });

  it("noble's chacha20 nonce/counter layout matches OpenSSL's IV = LE32(counter) ‖ nonce", () => {
    const key = sha256(Uint8Array.of(9));
    const nonce = Uint8Array.from({ length: 12 }, (_, i) => i * 17 + 1);
    for (const counter of [0, 1, 7, 0x01020304]) {
      const noble = chacha20(key, nonce, new Uint8Array(200), undefined, counter);
      expect(toHex(noble)).toBe(toHex(nodeKeystream(key, nonce, counter, 200)));
    }
  });

  it('rejects bad lengths', () => {
    const r = seededRandom(1);
    expect(() => r(-1)).toThrow(RangeError);
    expect(() => r(1.5)).toThrow(RangeError);
    expect(r(0).length).toBe(0);
  });
});

describe('deriveSeed', () => {
  it('is sha256(seedBytes(master) ‖ label)', () => {
    const want = sha256(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 42, ...new TextEncoder().encode('host:A')));
    expect(toHex(deriveSeed(42, 'host:A'))).toBe(toHex(want));
    expect(toHex(deriveSeed(42, Uint8Array.of(1, 2)))).toBe(toHex(sha256(Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 42, 1, 2))));
  });

  it('gives independent streams per label, unaffected by other labels', () => {
    const a = seededRandom(deriveSeed(42, 'host:A'))(64);
    const b = seededRandom(deriveSeed(42, 'host:B'))(64);
    const l = seededRandom(deriveSeed(42, 'link:A>B'))(64);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(toHex(a)).not.toBe(toHex(l));
    // Deriving more streams (adding a link) does not change host A's stream.
    seededRandom(deriveSeed(42, 'link:B>A'))(64);
    expect(toHex(seededRandom(deriveSeed(42, 'host:A'))(64))).toBe(toHex(a));
    expect(toHex(deriveSeed(43, 'host:A'))).not.toBe(toHex(deriveSeed(42, 'host:A')));
  });
});

describe('Prng', () => {
  it('is deterministic from a seed and from a RandomSource', () => {
    const a = new Prng(5);
    const b = new Prng(seededRandom(5));
    for (let i = 0; i < 1000; i++) expect(a.next()).toBe(b.next());
    expect(a.int(0, 1000)).toBe(b.int(0, 1000));
  });

  it('next() is in [0, 1) and uniform (chi-square over 20 bins, fixed seed)', () => {
    const p = new Prng('chi');
    const bins = new Array<number>(20).fill(0);
    const N = 100_000;
    let inRange = true;
    for (let i = 0; i < N; i++) {
      const x = p.next();
      if (!(x >= 0 && x < 1)) inRange = false;
      bins[Math.floor(x * 20)]!++;
    }
    expect(inRange).toBe(true);
    const e = N / 20;
    const chi = bins.reduce((s, o) => s + ((o - e) ** 2) / e, 0);
    // df = 19: the 99.9th percentile is 43.8.
    expect(chi).toBeLessThan(43.8);
  });

  it('int(lo, hi) covers [lo, hi] uniformly, both ends inclusive', () => {
    const p = new Prng('int');
    const counts = new Map<number, number>();
    const N = 60_000;
    for (let i = 0; i < N; i++) {
      const v = p.int(-2, 3);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((x, y) => x - y)).toEqual([-2, -1, 0, 1, 2, 3]);
    const e = N / 6;
    const chi = [...counts.values()].reduce((s, o) => s + ((o - e) ** 2) / e, 0);
    expect(chi).toBeLessThan(20.5); // df = 5, 99.9th percentile
    expect(p.int(7, 7)).toBe(7);
    const big = p.int(0, 2 ** 40);
    expect(Number.isInteger(big) && big >= 0 && big <= 2 ** 40).toBe(true);
    expect(() => p.int(3, 2)).toThrow(RangeError);
    expect(() => p.int(0.5, 2)).toThrow(RangeError);
  });

  it('bool(p) hits p, pick covers the array, shuffle permutes', () => {
    const p = new Prng('bool');
    let t = 0;
    for (let i = 0; i < 100_000; i++) if (p.bool(0.3)) t++;
    expect(Math.abs(t / 100_000 - 0.3)).toBeLessThan(0.01);
    expect(p.bool(0)).toBe(false);
    expect(p.bool(1)).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(p.pick(['a', 'b', 'c']));
    expect([...seen].sort()).toEqual(['a', 'b', 'c']);
    expect(() => p.pick([])).toThrow(RangeError);
    const s = p.shuffle([1, 2, 3, 4, 5, 6, 7, 8]);
    expect([...s].sort()).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it('bytes() and number draws share one stream', () => {
    const a = new Prng(9);
    const raw = seededRandom(9)(12);
    expect(toHex(a.bytes(4))).toBe(toHex(raw.subarray(0, 4)));
    expect(a.u32()).toBe(new DataView(raw.buffer).getUint32(4, false));
    expect(toHex(a.bytes(4))).toBe(toHex(raw.subarray(8, 12)));
  });
});
