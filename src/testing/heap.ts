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
 * deterministic from its seed. Push and pop are O(log n), and O(1) for an item due no earlier
 * than the last one queued that way.
 *
 * Most items of a simulation are packets on links of one latency, pushed in time order: they go
 * to a FIFO lane (sorted by construction, since seq only grows), the others to a binary heap;
 * `pop` takes the smaller head of the two by (time, seq), so the order is exactly that of one
 * heap.
 */
export class EventHeap<T> {
  readonly #h = new BinaryHeap<HeapEntry<T>>(less);
  #fifo: (HeapEntry<T> | undefined)[] = [];
  #head = 0;
  #seq = 0;

  /** Number of pending entries. */
  get size(): number {
    return this.#h.size + this.#fifo.length - this.#head;
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
    const entry = { time, seq, item };
    const n = this.#fifo.length;
    if (n === this.#head || this.#fifo[n - 1]!.time <= time) this.#fifo.push(entry);
    else this.#h.push(entry);
    return seq;
  }

  /** The earliest entry without removing it. */
  peek(): HeapEntry<T> | undefined {
    const f = this.#fifo[this.#head];
    const h = this.#h.peek();
    if (f === undefined) return h;
    return h !== undefined && less(h, f) ? h : f;
  }

  /** Removes and returns the earliest entry (smallest time, then smallest seq). */
  pop(): HeapEntry<T> | undefined {
    const f = this.#fifo[this.#head];
    if (f === undefined) return this.#h.pop();
    const h = this.#h.peek();
    if (h !== undefined && less(h, f)) return this.#h.pop();
    this.#fifo[this.#head++] = undefined;
    if (this.#head === this.#fifo.length) {
      this.#fifo = [];
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= this.#fifo.length) {
      // Compact now and then, so a lane that never empties does not grow without bound.
      this.#fifo = this.#fifo.slice(this.#head);
      this.#head = 0;
    }
    return f;
  }

  /** Removes every entry (the seq counter keeps counting). */
  clear(): void {
    this.#h.clear();
    this.#fifo = [];
    this.#head = 0;
  }

  /** The pending entries in pop order (a sorted copy; O(n log n), for diagnostics). */
  toSortedArray(): HeapEntry<T>[] {
    const rest = this.#fifo.slice(this.#head) as HeapEntry<T>[];
    return [...this.#h.toSortedArray(), ...rest].sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
  }
}

function less<T>(x: HeapEntry<T>, y: HeapEntry<T>): boolean {
  return x.time < y.time || (x.time === y.time && x.seq < y.seq);
}
