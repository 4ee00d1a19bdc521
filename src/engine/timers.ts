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

export class TimerTable {
  private readonly deadlines = new Map<TimerKind, Millis>();

  set(kind: TimerKind, at: Millis): void {
    this.deadlines.set(kind, at);
  }
  clear(kind: TimerKind): void {
    this.deadlines.delete(kind);
  }
  clearAll(): void {
    this.deadlines.clear();
  }
  get(kind: TimerKind): Millis | undefined {
    return this.deadlines.get(kind);
  }
  /** Earliest deadline, or undefined when no timer is armed. */
  next(): Millis | undefined {
    let min: Millis | undefined;
    for (const at of this.deadlines.values()) if (min === undefined || at < min) min = at;
    return min;
  }
  /** Kinds due at `now`, in TIMER_ORDER; each is disarmed as it is returned. */
  takeExpired(now: Millis): TimerKind[] {
    const due: TimerKind[] = [];
    for (const kind of TIMER_ORDER) {
      const at = this.deadlines.get(kind);
      if (at !== undefined && at <= now) {
        this.deadlines.delete(kind);
        due.push(kind);
      }
    }
    return due;
  }
}
