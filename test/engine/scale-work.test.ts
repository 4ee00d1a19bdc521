// The engine's cost per packet, timer and command does not grow with the number of
// associations n (issue 13). Work is counted, not timed: every walk over the engine's maps
// (associations, HIT pairs, SPIs) is counted by wrapping them, and every comparison in the
// engine-wide timer heap by the heap's own counter. At two sizes, 10x apart, each operation walks
// no map at all and makes O(log n) heap comparisons; the scans this replaces (the half-open
// count on each I1 and I2, pollTimeout and handleTimeout over every association, the SPI map walk
// of a discard, the outbound-SPI scan) each visited all n.
import { beforeAll, describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import type { HostIdentity } from '../../src/crypto/host-id.js';
import { HipEngine, engineInternals } from '../../src/engine/hip-engine.js';
import { RESPONDER_STEPS, establishDirect, fastCrypto, fastIdentity, responderLifecycle, seededRandom } from '../../src/testing/index.js';
import type { BinaryHeap } from '../../src/util/heap.js';

const LOC_I = parseLocator('2001:db8::1');
const LOC_R = parseLocator('2001:db8::2');
const LOC_P = parseLocator('2001:db8::3');
const SIZES = [150, 1500] as const;
const crypto = fastCrypto();
// Every Initiator here shares one address and one instant: the R1 rate limits (RFC 7401 §6.7)
// are lifted so that they do not refuse the exchanges the test counts.
const CONFIG = { puzzleK: 1, dhGroups: [7 as const], maxHalfOpen: 100_000, r1PerSecond: 1e9, r1Burst: 1 << 24, r1PerSourcePerSecond: 1e9, r1PerSourceBurst: 1 << 20 };

/** A Map that counts the entries any iteration over it yields. */
class CountingMap<K, V> extends Map<K, V> {
  visited = 0;
  private *counted<T>(it: Iterable<T>): Generator<T, undefined, unknown> {
    for (const x of it) {
      this.visited++;
      yield x;
    }
    return undefined;
  }
  override values(): ReturnType<Map<K, V>['values']> {
    return this.counted(super.values()) as unknown as ReturnType<Map<K, V>['values']>;
  }
  override keys(): ReturnType<Map<K, V>['keys']> {
    return this.counted(super.keys()) as unknown as ReturnType<Map<K, V>['keys']>;
  }
  override entries(): ReturnType<Map<K, V>['entries']> {
    return this.counted(super.entries()) as unknown as ReturnType<Map<K, V>['entries']>;
  }
  override [Symbol.iterator](): ReturnType<Map<K, V>['entries']> {
    return this.entries();
  }
  override forEach(f: (v: V, k: K, m: Map<K, V>) => void): void {
    for (const [k, v] of this.entries()) f(v, k, this);
  }
}

type Internals = {
  assocs: Map<unknown, unknown>;
  byHits: Map<string, Map<string, unknown>>;
  bySpi: Map<unknown, unknown>;
  byOutboundSpi: { map: Map<unknown, unknown> };
  timerQueue: { heap: BinaryHeap<unknown> };
};

/** Wraps the engine's maps; returns a reader of (map entries visited, heap comparisons). */
function instrument(engine: HipEngine): () => { visited: number; comparisons: number } {
  const e = engineInternals(engine) as unknown as Internals;
  const maps: CountingMap<unknown, unknown>[] = [];
  const wrap = <M extends Map<unknown, unknown>>(m: M): M => {
    const c = new CountingMap(m);
    maps.push(c);
    return c as unknown as M;
  };
  e.assocs = wrap(e.assocs);
  e.bySpi = wrap(e.bySpi);
  e.byOutboundSpi.map = wrap(e.byOutboundSpi.map);
  for (const [k, inner] of [...e.byHits]) e.byHits.set(k, wrap(inner));
  e.byHits = wrap(e.byHits);
  return () => ({ visited: maps.reduce((s, m) => s + m.visited, 0), comparisons: e.timerQueue.heap.comparisons });
}

type Work = { visited: number; comparisons: number };

describe('work per operation does not grow with the number of associations', () => {
  const random = seededRandom('scale-work');
  const work = new Map<number, Map<string, Work>>();
  const now = 1_000;

  beforeAll(() => {
    const responderId = fastIdentity(random);
    const ids = (k: number): HostIdentity[] => Array.from({ length: k }, () => fastIdentity(random));
    for (const n of SIZES) {
      const responder = new HipEngine({ identities: [responderId], locators: [LOC_R], crypto, random, config: CONFIG }, 0);
      for (const identity of ids(n)) establishDirect(responder, { identity, locator: LOC_I, responderLocator: LOC_R, crypto, random, config: CONFIG }, 0);
      expect(responder.stats().established).toBe(n);
      const read = instrument(responder);
      const ops = new Map<string, Work>();
      const count = (op: string, f: () => void): void => {
        const before = read();
        f();
        const after = read();
        const w = { visited: after.visited - before.visited, comparisons: after.comparisons - before.comparisons };
        const prev = ops.get(op);
        ops.set(op, prev ? { visited: Math.max(prev.visited, w.visited), comparisons: Math.max(prev.comparisons, w.comparisons) } : w);
      };
      // Five whole lives of a new association: I1, I2, first ESP, rekey, close to discard.
      for (const identity of ids(5)) {
        responderLifecycle(responder, { identity, locator: LOC_I, responderLocator: LOC_R, crypto, random, config: CONFIG }, now, count);
      }
      count('pollTimeout', () => responder.pollTimeout());
      count('idle handleTimeout', () => responder.handleTimeout(now));
      // A connect, then its I1 retransmission: the one due timer among n idle associations.
      const peer = fastIdentity(random);
      let id = 0;
      count('connect', () => {
        id = responder.connect({ hit: peer.hit, locators: [LOC_P] }, now);
      });
      while (responder.poll());
      count('one due timer', () => responder.handleTimeout(now + 1_000));
      expect(responder.stats().sent.I1).toBe(2);
      count('close half-open', () => responder.close(id, now + 1_000));
      expect(responder.association(id)).toBeUndefined();
      // esp-seq-exhausting names an outbound SPI (the peer's inbound one): found by index.
      const any = responder.association(responder.associationByHits(responderId.hit, peerOf(responder))!)!;
      count('esp-seq-exhausting', () => responder.handle({ kind: 'esp-seq-exhausting', spi: any.sas[0]!.peerSpi }, now + 1_000));
      count('stats', () => responder.stats());
      // The one command that must touch every established association (documented in engine.ts).
      count('setLocalLocators', () => responder.setLocalLocators([LOC_R], now + 1_000, { announce: false }));
      expect(responder.stats().associations).toBe(n);
      work.set(n, ops);
    }
  }, 120_000);

  it('setLocalLocators, the documented exception, visits each association once: O(n), O(1) per association', () => {
    for (const n of SIZES) expect(work.get(n)!.get('setLocalLocators')!.visited).toBe(n);
  });

  const OPS = [...RESPONDER_STEPS, 'pollTimeout', 'idle handleTimeout', 'connect', 'one due timer', 'close half-open', 'esp-seq-exhausting', 'stats'];
  for (const op of OPS) {
    it(`${op}: no walk over the associations or SPIs, O(log n) timer-heap comparisons`, () => {
      for (const n of SIZES) {
        const w = work.get(n)!.get(op)!;
        expect(w, `${op} at n = ${n}`).toBeDefined();
        expect(w.visited, `${op} at n = ${n}: map entries visited`).toBe(0);
        // A handful of timer changes per operation, each at most 2 log2 n comparisons.
        expect(w.comparisons, `${op} at n = ${n}: heap comparisons`).toBeLessThanOrEqual(8 * (Math.ceil(Math.log2(n)) + 1));
      }
      const small = work.get(SIZES[0])!.get(op)!.comparisons;
      const large = work.get(SIZES[1])!.get(op)!.comparisons;
      // 10x the associations adds at most a few levels of heap per timer change, never 10x.
      expect(large).toBeLessThanOrEqual(small + 8 * Math.ceil(Math.log2(SIZES[1] / SIZES[0])));
    });
  }
});

/** The peer HIT of the Responder's oldest association. */
function peerOf(engine: HipEngine): Uint8Array {
  return engine.association(1)!.peerHit;
}
