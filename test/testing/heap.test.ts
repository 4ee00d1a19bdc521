// testing/heap.ts: (time, seq) min-heap; ties break in insertion order (docs/architecture.md, Simulator).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EventHeap } from '../../src/testing/index.js';

describe('EventHeap', () => {
  it('pops sorted by (time, seq); equal times in insertion order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20 }), { maxLength: 300 }), (times) => {
        const h = new EventHeap<number>();
        times.forEach((t, i) => expect(h.push(t, i)).toBe(i));
        expect(h.size).toBe(times.length);
        const out: { time: number; seq: number; item: number }[] = [];
        for (let e = h.pop(); e !== undefined; e = h.pop()) out.push(e);
        expect(h.size).toBe(0);
        const want = times.map((t, i) => ({ time: t, seq: i, item: i })).sort((a, b) => a.time - b.time || a.seq - b.seq);
        expect(out).toEqual(want);
      }),
      { numRuns: 300, seed: 1 },
    );
  });

  it('matches a sorted-list model under interleaved push/pop/peek', () => {
    type Op = { push: number } | { pop: true };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ push: fc.oneof(fc.integer({ min: -5, max: 5 }), fc.double({ min: -10, max: 10, noNaN: true })) }),
      fc.constant({ pop: true as const }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 400 }), (ops) => {
        const h = new EventHeap<string>();
        const model: { time: number; seq: number; item: string }[] = [];
        let seq = 0;
        for (const o of ops) {
          if ('push' in o) {
            const item = `i${seq}`;
            expect(h.push(o.push, item)).toBe(seq);
            model.push({ time: o.push, seq, item });
            seq++;
            model.sort((a, b) => a.time - b.time || a.seq - b.seq);
          } else {
            expect(h.peek()).toEqual(model[0]);
            expect(h.pop()).toEqual(model.shift());
          }
          expect(h.size).toBe(model.length);
        }
        expect(h.toSortedArray()).toEqual(model);
      }),
      { numRuns: 200, seed: 2 },
    );
  });

  it('a long run of in-order pushes with pops and out-of-order pushes between them keeps (time, seq) order', () => {
    // Long enough that the in-order lane compacts (over 1,024 pops) while it never empties.
    const rnd = fc.sample(fc.integer({ min: 0, max: 1_000_000 }), { numRuns: 12_000, seed: 3 });
    const h = new EventHeap<number>();
    const model: { time: number; seq: number; item: number }[] = [];
    let t = 0;
    let out = 0;
    for (let i = 0; i < 12_000; i++) {
      const r = rnd[i]!;
      const time = r % 7 === 0 ? t - (r % 13) : (t += r % 3);
      h.push(time, i);
      model.push({ time, seq: i, item: i });
      if (i % 3 !== 0) {
        model.sort((a, b) => a.time - b.time || a.seq - b.seq);
        expect(h.pop()).toEqual(model.shift());
        out++;
      }
    }
    model.sort((a, b) => a.time - b.time || a.seq - b.seq);
    expect(h.size).toBe(model.length);
    expect(h.toSortedArray()).toEqual(model);
    for (const want of model) expect(h.pop()).toEqual(want);
    expect(out).toBe(8_000);
  });

  it('empty heap; clear keeps the seq counter; NaN rejected', () => {
    const h = new EventHeap<number>();
    expect(h.pop()).toBeUndefined();
    expect(h.peek()).toBeUndefined();
    h.push(1, 1);
    h.push(0, 2);
    h.clear();
    expect(h.size).toBe(0);
    expect(h.nextSeq).toBe(2);
    expect(h.push(0, 3)).toBe(2);
    expect(() => h.push(Number.NaN, 4)).toThrow(RangeError);
  });
});
