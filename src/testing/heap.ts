// The simulator's event queue (docs/architecture.md, Simulator): a binary min-heap
// keyed (time, seq), where seq is a monotonically increasing insertion counter, so that items due
// at the same time always come out in insertion order. push/pop are O(log n), peek O(1).
import type { Millis } from '../types.js';
import { BinaryHeap } from '../util/heap.js';

/**
 * One scheduled item: its time, and a sequence number that orders items of the same time by
 * insertion.
 */
export type HeapEntry<T> = { readonly time: Millis; readonly seq: number; readonly item: T };

/**
 * The simulator's event queue: items ordered by time, ties by insertion order, so a run is
 * deterministic from its seed. Push and pop are O(log n).
 */
export class EventHeap<T> {
  readonly #h = new BinaryHeap<HeapEntry<T>>(less);
  #seq = 0;

  /** Number of pending entries. */
  get size(): number {
    return this.#h.size;
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
    this.#h.push({ time, seq, item });
    return seq;
  }

  /** The earliest entry without removing it. */
  peek(): HeapEntry<T> | undefined {
    return this.#h.peek();
  }

  /** Removes and returns the earliest entry (smallest time, then smallest seq). */
  pop(): HeapEntry<T> | undefined {
    return this.#h.pop();
  }

  /** Removes every entry (the seq counter keeps counting). */
  clear(): void {
    this.#h.clear();
  }

  /** The pending entries in pop order (a sorted copy; O(n log n), for diagnostics). */
  toSortedArray(): HeapEntry<T>[] {
    return this.#h.toSortedArray();
  }
}

function less<T>(x: HeapEntry<T>, y: HeapEntry<T>): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
