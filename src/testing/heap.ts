// The simulator's event queue (DESIGN C3.10 "Virtual clock and event heap"): a binary min-heap
// keyed (time, seq), where seq is a monotonically increasing insertion counter, so that items due
// at the same time always come out in insertion order. push/pop are O(log n), peek O(1).
import type { Millis } from '../types.js';

export type HeapEntry<T> = { readonly time: Millis; readonly seq: number; readonly item: T };

export class EventHeap<T> {
  readonly #a: HeapEntry<T>[] = [];
  #seq = 0;

  /** Number of pending entries. */
  get size(): number {
    return this.#a.length;
  }

  /** The seq the next `push` will assign. */
  get nextSeq(): number {
    return this.#seq;
  }

  /** Adds `item` due at `time`; returns its seq (unique, increasing). */
  push(time: Millis, item: T): number {
    if (typeof time !== 'number' || Number.isNaN(time)) {
      throw new RangeError(`"time" expected a number, got ${String(time)}`);
    }
    const seq = this.#seq++;
    const a = this.#a;
    a.push({ time, seq, item });
    // Sift up.
    let i = a.length - 1;
    const e = a[i]!;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pe = a[p]!;
      if (!less(e, pe)) break;
      a[i] = pe;
      i = p;
    }
    a[i] = e;
    return seq;
  }

  /** The earliest entry without removing it. */
  peek(): HeapEntry<T> | undefined {
    return this.#a[0];
  }

  /** Removes and returns the earliest entry (smallest time, then smallest seq). */
  pop(): HeapEntry<T> | undefined {
    const a = this.#a;
    const top = a[0];
    if (top === undefined) return undefined;
    const last = a.pop()!;
    if (a.length > 0) {
      // Sift `last` down from the root.
      const n = a.length;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        let c = l;
        if (r < n && less(a[r]!, a[l]!)) c = r;
        if (!less(a[c]!, last)) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }

  /** Removes every entry (the seq counter keeps counting). */
  clear(): void {
    this.#a.length = 0;
  }

  /** The pending entries in pop order (a sorted copy; O(n log n), for diagnostics). */
  toSortedArray(): HeapEntry<T>[] {
    return this.#a.slice().sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
  }
}

function less<T>(x: HeapEntry<T>, y: HeapEntry<T>): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
