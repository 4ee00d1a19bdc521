// engine/timers.ts: the per-association TimerTable and the engine-wide TimerQueue, checked
// against a plain model (a deadline per kind per association; the minimum by scanning), the
// behaviour the engine had before the queue: pollTimeout is the earliest deadline of any
// association, and handleTimeout visits the due associations in creation order, each one's due
// kinds in TIMER_ORDER (docs/architecture.md, States and timers).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TIMER_ORDER, TimerQueue, TimerTable, type TimerKind } from '../../src/engine/timers.js';

type Op =
  | { op: 'set'; t: number; kind: TimerKind; at: number }
  | { op: 'clear'; t: number; kind: TimerKind }
  | { op: 'clearAll'; t: number }
  | { op: 'take'; t: number; now: number };

const TABLES = 6;
const kind = fc.constantFrom(...TIMER_ORDER);
const table = fc.integer({ min: 0, max: TABLES - 1 });
const time = fc.integer({ min: 0, max: 50 });
const ops: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('set' as const), t: table, kind, at: fc.oneof(time, fc.double({ min: 0, max: 50, noNaN: true })) }),
  fc.record({ op: fc.constant('clear' as const), t: table, kind }),
  fc.record({ op: fc.constant('clearAll' as const), t: table }),
  fc.record({ op: fc.constant('take' as const), t: table, now: time }),
);

describe('TimerTable and TimerQueue', () => {
  it('match a scanned model: get, next, the queue minimum, and the due tables in creation order', () => {
    fc.assert(
      fc.property(fc.array(ops, { maxLength: 200 }), fc.array(time, { minLength: 1, maxLength: 5 }), (list, probes) => {
        const q = new TimerQueue();
        const tables = Array.from({ length: TABLES }, (_, i) => new TimerTable(q, i + 1));
        const model = Array.from({ length: TABLES }, () => new Map<TimerKind, number>());
        const minOf = (m: Map<TimerKind, number>): number | undefined => (m.size === 0 ? undefined : Math.min(...m.values()));
        for (const o of list) {
          const t = tables[o.t]!;
          const m = model[o.t]!;
          if (o.op === 'set') {
            t.set(o.kind, o.at);
            m.set(o.kind, o.at);
          } else if (o.op === 'clear') {
            t.clear(o.kind);
            m.delete(o.kind);
          } else if (o.op === 'clearAll') {
            t.clearAll();
            m.clear();
          } else {
            const want = TIMER_ORDER.filter((k) => m.has(k) && m.get(k)! <= o.now);
            for (const k of want) m.delete(k);
            expect(t.takeExpired(o.now)).toEqual(want);
          }
          for (let i = 0; i < TABLES; i++) {
            for (const k of TIMER_ORDER) expect(tables[i]!.get(k)).toBe(model[i]!.get(k));
            expect(tables[i]!.next()).toBe(minOf(model[i]!));
          }
          const mins = model.map(minOf).filter((x): x is number => x !== undefined);
          expect(q.next()).toBe(mins.length === 0 ? undefined : Math.min(...mins));
          expect(q.heap.size).toBe(mins.length);
        }
        for (const now of probes) {
          const want = tables.filter((_, i) => (minOf(model[i]!) ?? Infinity) <= now).map((t) => t.order);
          expect(q.due(now).map((t) => t.order)).toEqual(want);
        }
      }),
      { numRuns: 300, seed: 13 },
    );
  });
});
