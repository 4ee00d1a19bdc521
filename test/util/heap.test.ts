// util/heap.ts: the binary heap under the engine's timer queue and the simulator's event queue.
// Checked against a sorted-list model, with the indices reported to onMove used to re-key and
// remove items, as the engine's TimerQueue does.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BinaryHeap } from '../../src/util/heap.js';

type Node = { key: number; id: number; index: number };
const less = (x: Node, y: Node): boolean => x.key < y.key || (x.key === y.key && x.id < y.id);
const byKey = (x: Node, y: Node): number => x.key - y.key || x.id - y.id;

describe('BinaryHeap with onMove (indexed heap)', () => {
  it('matches a sorted-list model under push, pop, removeAt and re-keying with fixAt', () => {
    type Op = { push: number } | { pop: true } | { remove: number } | { rekey: number; to: number };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ push: fc.integer({ min: 0, max: 30 }) }),
      fc.constant({ pop: true as const }),
      fc.record({ remove: fc.nat() }),
      fc.record({ rekey: fc.nat(), to: fc.integer({ min: 0, max: 30 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 300 }), (ops) => {
        const h = new BinaryHeap<Node>(less, (n, i) => {
          n.index = i;
        });
        let live: Node[] = [];
        let id = 0;
        for (const o of ops) {
          if ('push' in o) {
            const n = { key: o.push, id: id++, index: -1 };
            h.push(n);
            live.push(n);
          } else if ('pop' in o) {
            live.sort(byKey);
            expect(h.pop()).toBe(live.shift());
          } else if ('remove' in o) {
            if (live.length === 0) continue;
            const n = live[o.remove % live.length]!;
            expect(h.removeAt(n.index)).toBe(n);
            live = live.filter((x) => x !== n);
          } else {
            if (live.length === 0) continue;
            const n = live[o.rekey % live.length]!;
            n.key = o.to;
            h.fixAt(n.index);
          }
          expect(h.size).toBe(live.length);
          // Every live item sits where onMove last said.
          for (const n of live) expect(h.at(n.index)).toBe(n);
          live.sort(byKey);
          expect(h.peek()).toBe(live[0]);
        }
        expect(h.toSortedArray()).toEqual([...live].sort(byKey));
      }),
      { numRuns: 300, seed: 3 },
    );
  });

  it('counts comparisons: a push or pop on n items makes at most 2 log2(n) + 2 of them', () => {
    for (const n of [1_000, 100_000]) {
      const h = new BinaryHeap<number>((x, y) => x < y);
      for (let i = 0; i < n; i++) h.push((i * 7919) % n);
      const bound = 2 * Math.ceil(Math.log2(n)) + 2;
      let before = h.comparisons;
      h.push(-1);
      expect(h.comparisons - before).toBeLessThanOrEqual(bound);
      before = h.comparisons;
      expect(h.pop()).toBe(-1);
      expect(h.comparisons - before).toBeLessThanOrEqual(bound);
    }
  });
});
