// A virtual clock for simulations (docs/architecture.md, Simulator): `now` only moves when told to and never
// decreases. The engine itself has no clock; `now` is an argument to every call (docs/architecture.md, Clock, randomness and crypto).
import type { Millis } from '../types.js';

/**
 * A virtual clock for tests and the simulator: time moves only when told, never backwards, so a run
 * gives the same `now` to the engine every time.
 */
export class VirtualClock {
  #now: Millis;

  constructor(start: Millis = 0) {
    if (!Number.isFinite(start)) throw new RangeError(`"start" expected a finite number, got ${start}`);
    this.#now = start;
  }

  /** The current virtual time, in milliseconds. */
  get now(): Millis {
    return this.#now;
  }

  /** Moves to `t`; throws RangeError if `t` is earlier than `now` (time never goes backwards). */
  advanceTo(t: Millis): Millis {
    if (!Number.isFinite(t)) throw new RangeError(`"t" expected a finite number, got ${t}`);
    if (t < this.#now) throw new RangeError(`virtual time would go backwards: ${t} < ${this.#now}`);
    this.#now = t;
    return t;
  }

  /** Moves forward by `ms` (>= 0). */
  advanceBy(ms: Millis): Millis {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`"ms" expected a finite number >= 0, got ${ms}`);
    return this.advanceTo(this.#now + ms);
  }
}
