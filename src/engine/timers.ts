// Timers (DESIGN C3.5, quinn timer.rs): a closed union of kinds and a deadline table per
// association. Firing order within one association follows TIMER_ORDER.
import type { Millis } from '../types.js';

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

/**
 * Deadlines by kind, in a small array indexed by TIMER_ORDER (Infinity = not armed): cheaper per
 * association than a Map, and scanned in firing order.
 */
export class TimerTable {
  private deadlines: number[] | undefined;

  set(kind: TimerKind, at: Millis): void {
    this.deadlines ??= new Array<number>(TIMER_ORDER.length).fill(Infinity);
    this.deadlines[SLOT[kind]] = at;
  }
  clear(kind: TimerKind): void {
    if (this.deadlines) this.deadlines[SLOT[kind]] = Infinity;
  }
  clearAll(): void {
    this.deadlines = undefined;
  }
  get(kind: TimerKind): Millis | undefined {
    const at = this.deadlines?.[SLOT[kind]] ?? Infinity;
    return at === Infinity ? undefined : at;
  }
  /** Earliest deadline, or undefined when no timer is armed. */
  next(): Millis | undefined {
    if (!this.deadlines) return undefined;
    let min = Infinity;
    for (const at of this.deadlines) if (at < min) min = at;
    return min === Infinity ? undefined : min;
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
    return due;
  }
}
