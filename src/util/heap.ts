// A binary min-heap over a caller's order, shared by the engine's timer queue and the
// simulator's event queue. push, pop, removeAt and fixAt are O(log n); peek is O(1).
//
// A caller that needs to find its items again (to re-key or remove one, as the engine's timer
// queue does) passes `onMove`, which is told every item's new index as it moves; the caller
// keeps that index on the item (an "indexed heap"). Without `onMove` it is a plain heap.

export class BinaryHeap<T> {
  readonly #a: T[] = [];
  readonly #less: (x: T, y: T) => boolean;
  readonly #onMove: ((item: T, index: number) => void) | undefined;
  /**
   * Comparisons made so far. Work, not time: the engine's scale tests assert that a timer
   * operation makes O(log n) of them.
   */
  comparisons = 0;

  constructor(less: (x: T, y: T) => boolean, onMove?: (item: T, index: number) => void) {
    this.#less = less;
    this.#onMove = onMove;
  }

  get size(): number {
    return this.#a.length;
  }

  /** The least item without removing it. */
  peek(): T | undefined {
    return this.#a[0];
  }

  /** The item at `index` (as last reported to `onMove`). */
  at(index: number): T | undefined {
    return this.#a[index];
  }

  push(item: T): void {
    const a = this.#a;
    a.push(item);
    this.#up(a.length - 1, item);
  }

  /** Removes and returns the least item. */
  pop(): T | undefined {
    const top = this.#a[0];
    if (top !== undefined) this.removeAt(0);
    return top;
  }

  /** Removes the item at `index`; returns it. */
  removeAt(index: number): T | undefined {
    const a = this.#a;
    const item = a[index];
    if (item === undefined) return undefined;
    const last = a.pop()!;
    if (index < a.length) {
      // `last` takes the hole and moves whichever way restores the order.
      this.#place(index, last);
    }
    return item;
  }

  /** Restores the order after the key of the item at `index` changed. */
  fixAt(index: number): void {
    const item = this.#a[index];
    if (item !== undefined) this.#place(index, item);
  }

  /** Removes every item. */
  clear(): void {
    this.#a.length = 0;
  }

  /** The items in pop order (a sorted copy; O(n log n), for diagnostics). */
  toSortedArray(): T[] {
    const less = this.#less;
    return this.#a.slice().sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
  }

  #place(index: number, item: T): void {
    if (index > 0 && this.#lt(item, this.#a[(index - 1) >> 1]!)) this.#up(index, item);
    else this.#down(index, item);
  }

  #lt(x: T, y: T): boolean {
    this.comparisons++;
    return this.#less(x, y);
  }

  #set(index: number, item: T): void {
    this.#a[index] = item;
    this.#onMove?.(item, index);
  }

  #up(index: number, item: T): void {
    const a = this.#a;
    let i = index;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const parent = a[p]!;
      if (!this.#lt(item, parent)) break;
      this.#set(i, parent);
      i = p;
    }
    this.#set(i, item);
  }

  #down(index: number, item: T): void {
    const a = this.#a;
    const n = a.length;
    let i = index;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && this.#lt(a[r]!, a[l]!)) c = r;
      if (!this.#lt(a[c]!, item)) break;
      this.#set(i, a[c]!);
      i = c;
    }
    this.#set(i, item);
  }
}
