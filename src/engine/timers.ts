// Timers (docs/architecture.md, States and timers; after quinn timer.rs): a closed union of kinds and a deadline table per
// association, plus one engine-wide queue of the tables. Firing order within one association
// follows TIMER_ORDER.
//
// The queue is an indexed binary heap with one entry per association that has a timer armed,
// keyed (earliest deadline, association creation order); each table knows its place in the heap
// and moves itself when its earliest deadline changes. So the engine's earliest deadline is
// read in O(1), arming or clearing a timer costs O(log n), and the k tables due at `now` are
// found in O(k) (a heap walk pruned at the first entry not due), never by visiting every
// association (the same shape as quinn-proto's per-connection timer table under the endpoint's
// BinaryHeap of deadlines).
import type { Millis } from '../types.js';
import { BinaryHeap } from '../util/heap.js';

export const TIMER_ORDER = [
  'I1_RETRANSMIT',
  'I2_RETRANSMIT',
  'R2_SENT_EXPIRE',
  'UPDATE_RETRANSMIT',
  'OLD_SA_EXPIRE',
  'LOCATOR_EXPIRE',
  'LOCATOR_REFRESH',
  'PATH_SILENCE',
  'NAT_KEEPALIVE',
  'NAT_CHECK',
  'CLOSE_RETRANSMIT',
  'UAL',
  'CLOSING_EXPIRE',
  'CLOSED_LINGER',
  'E_FAILED_LINGER',
  'REGISTRATION',
] as const;
export type TimerKind = (typeof TIMER_ORDER)[number];

const SLOT: { readonly [K in TimerKind]: number } = Object.fromEntries(TIMER_ORDER.map((k, i) => [k, i])) as { [K in TimerKind]: number };

/** The engine-wide queue of timer tables (one per association with a timer armed). */
export class TimerQueue {
  readonly heap = new BinaryHeap<TimerTable>(
    (x, y) => x.due < y.due || (x.due === y.due && x.order < y.order),
    (t, i) => {
      t.heapIndex = i;
    },
  );

  /** The earliest deadline of any association, or undefined when none is armed. O(1). */
  next(): Millis | undefined {
    return this.heap.peek()?.due;
  }

  /**
   * The tables with a timer due at `now`, in association creation order. O(k log k) for k due
   * tables: the walk descends only below entries that are due (heap order: a child is never
   * earlier than its parent).
   */
  due(now: Millis): TimerTable[] {
    const out: TimerTable[] = [];
    const h = this.heap;
    const stack = h.size > 0 ? [0] : [];
    while (stack.length > 0) {
      const i = stack.pop()!;
      const t = h.at(i);
      if (t === undefined || t.due > now) continue;
      out.push(t);
      stack.push(2 * i + 1, 2 * i + 2);
    }
    return out.sort((x, y) => x.order - y.order);
  }

  /** Called by a table whose earliest deadline changed. */
  reschedule(t: TimerTable): void {
    const inHeap = t.heapIndex >= 0;
    if (t.due === Infinity) {
      if (inHeap) {
        this.heap.removeAt(t.heapIndex);
        t.heapIndex = -1;
      }
    } else if (inHeap) this.heap.fixAt(t.heapIndex);
    else this.heap.push(t);
  }
}

/**
 * The armed deadlines of one association, in one small array of doubles: the earliest deadline
 * first (this table's key in the queue), then (slot, deadline) pairs in TIMER_ORDER for the armed
 * kinds only. An established association usually has one or two timers armed, so this stays a
 * few words; a kind is found by a scan of at most TIMER_ORDER.length pairs, O(1) in the number
 * of associations. The array is rebuilt at its exact size when a kind is armed or disarmed.
 */
export class TimerTable {
  /** [earliest, slot, at, slot, at, ...], or undefined when nothing is armed. */
  private armed: number[] | undefined;
  /** Position in the queue's heap, -1 when not queued (kept by the heap). */
  heapIndex = -1;
  readonly #queue: TimerQueue;
  /** Tie-break in the queue: the association's creation order. */
  readonly order: number;

  constructor(queue: TimerQueue, order: number) {
    this.#queue = queue;
    this.order = order;
  }

  /** Earliest armed deadline (Infinity when none): this table's key in the queue. */
  get due(): number {
    return this.armed === undefined ? Infinity : this.armed[0]!;
  }

  set(kind: TimerKind, at: Millis): void {
    const slot = SLOT[kind];
    const a = this.armed;
    const i = a === undefined ? -1 : indexOf(a, slot);
    if (i >= 0) a![i + 1] = at;
    else {
      // Insert the pair in slot order, into an array of exactly the new size.
      const n = a === undefined ? 1 : a.length;
      const next = new Array<number>(n + 2);
      next[0] = a === undefined ? Infinity : a[0]!;
      let j = 1;
      let placed = false;
      for (let k = 1; k < n; k += 2) {
        if (!placed && a![k]! > slot) {
          next[j++] = slot;
          next[j++] = at;
          placed = true;
        }
        next[j++] = a![k]!;
        next[j++] = a![k + 1]!;
      }
      if (!placed) {
        next[j++] = slot;
        next[j++] = at;
      }
      this.armed = next;
    }
    this.resync();
  }
  clear(kind: TimerKind): void {
    const a = this.armed;
    if (a === undefined) return;
    const i = indexOf(a, SLOT[kind]);
    if (i < 0) return;
    this.remove([i]);
  }
  clearAll(): void {
    if (this.armed === undefined) return;
    this.armed = undefined;
    this.#queue.reschedule(this);
  }
  get(kind: TimerKind): Millis | undefined {
    const a = this.armed;
    if (a === undefined) return undefined;
    const i = indexOf(a, SLOT[kind]);
    return i < 0 ? undefined : a[i + 1];
  }
  /** Earliest deadline, or undefined when no timer is armed. */
  next(): Millis | undefined {
    return this.armed?.[0];
  }
  /** Kinds due at `now`, in TIMER_ORDER; each is disarmed as it is returned. */
  takeExpired(now: Millis): TimerKind[] {
    const due: TimerKind[] = [];
    const a = this.armed;
    if (a === undefined || a[0]! > now) return due;
    const at: number[] = [];
    for (let k = 1; k < a.length; k += 2) {
      if (a[k + 1]! <= now) {
        due.push(TIMER_ORDER[a[k]!]!);
        at.push(k);
      }
    }
    this.remove(at);
    return due;
  }

  /** Drops the pairs at indices `at` (ascending) and re-keys the table. */
  private remove(at: readonly number[]): void {
    const a = this.armed!;
    const n = a.length - 2 * at.length;
    if (n <= 1) {
      this.armed = undefined;
      this.#queue.reschedule(this);
      return;
    }
    const next = new Array<number>(n);
    next[0] = a[0]!;
    let j = 1;
    for (let k = 1, r = 0; k < a.length; k += 2) {
      if (r < at.length && at[r] === k) {
        r++;
        continue;
      }
      next[j++] = a[k]!;
      next[j++] = a[k + 1]!;
    }
    this.armed = next;
    this.resync();
  }

  /** Recomputes the earliest deadline; the queue moves this table if it changed. */
  private resync(): void {
    const a = this.armed!;
    const before = a[0]!;
    let min = Infinity;
    for (let k = 2; k < a.length; k += 2) if (a[k]! < min) min = a[k]!;
    a[0] = min;
    if (min !== before) this.#queue.reschedule(this);
  }
}

/** Index of `slot`'s pair in an armed array, or -1. */
function indexOf(a: readonly number[], slot: number): number {
  for (let k = 1; k < a.length; k += 2) if (a[k] === slot) return k;
  return -1;
}
