// Timers (DESIGN C3.5, quinn timer.rs): a closed union of kinds and a deadline table per
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
  'PATH_SILENCE',
  'CLOSE_RETRANSMIT',
  'UAL',
  'CLOSING_EXPIRE',
  'CLOSED_LINGER',
  'E_FAILED_LINGER',
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
 * Deadlines by kind, in a small array indexed by TIMER_ORDER (Infinity = not armed): cheaper per
 * association than a Map, and scanned in firing order. The array has one slot per timer kind, so
 * recomputing the earliest deadline after a change is O(1) in the number of associations.
 */
export class TimerTable {
  private deadlines: number[] | undefined;
  /** Earliest armed deadline (Infinity when none): this table's key in the queue. */
  due = Infinity;
  /** Position in the queue's heap, -1 when not queued (kept by the heap). */
  heapIndex = -1;
  readonly #queue: TimerQueue;
  /** Tie-break in the queue: the association's creation order. */
  readonly order: number;

  constructor(queue: TimerQueue, order: number) {
    this.#queue = queue;
    this.order = order;
  }

  set(kind: TimerKind, at: Millis): void {
    this.deadlines ??= new Array<number>(TIMER_ORDER.length).fill(Infinity);
    this.deadlines[SLOT[kind]] = at;
    this.resync();
  }
  clear(kind: TimerKind): void {
    if (!this.deadlines) return;
    this.deadlines[SLOT[kind]] = Infinity;
    this.resync();
  }
  clearAll(): void {
    this.deadlines = undefined;
    this.resync();
  }
  get(kind: TimerKind): Millis | undefined {
    const at = this.deadlines?.[SLOT[kind]] ?? Infinity;
    return at === Infinity ? undefined : at;
  }
  /** Earliest deadline, or undefined when no timer is armed. */
  next(): Millis | undefined {
    return this.due === Infinity ? undefined : this.due;
  }
  /** Kinds due at `now`, in TIMER_ORDER; each is disarmed as it is returned. */
  takeExpired(now: Millis): TimerKind[] {
    const due: TimerKind[] = [];
    if (!this.deadlines) return due;
    for (let i = 0; i < TIMER_ORDER.length; i++) {
      if (this.deadlines[i]! <= now) {
        this.deadlines[i] = Infinity;
        due.push(TIMER_ORDER[i]!);
      }
    }
    if (due.length > 0) this.resync();
    return due;
  }

  private resync(): void {
    let min = Infinity;
    if (this.deadlines) for (const at of this.deadlines) if (at < min) min = at;
    if (min === this.due) return;
    this.due = min;
    this.#queue.reschedule(this);
  }
}
