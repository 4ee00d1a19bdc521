// Responder load, measured on engine time for the puzzle policy (RFC 7401 §4.1.1: "The
// Responder SHOULD use heuristics to determine when it is under a denial-of-service attack, and
// set the puzzle difficulty value #K appropriately"). Each meter is an exponentially decaying
// event count: O(1) per event, a few numbers per engine, no per-source or per-association state.
import type { Millis } from '../types.js';

/** Half-life of every meter: a flood is seen within a second and forgotten within a minute. */
export const LOAD_HALF_LIFE_MS = 5_000;

/** Events per second, smoothed with half-life `halfLifeMs`. */
export class DecayingRate {
  private count = 0;
  private last: Millis;
  private readonly halfLifeMs: Millis;

  constructor(now: Millis, halfLifeMs: Millis = LOAD_HALF_LIFE_MS) {
    this.last = now;
    this.halfLifeMs = halfLifeMs;
  }

  private decay(now: Millis): void {
    if (now > this.last) {
      this.count *= 2 ** (-(now - this.last) / this.halfLifeMs);
      this.last = now;
    }
  }

  /** One event at `now`. */
  add(now: Millis): void {
    this.decay(now);
    this.count += 1;
  }

  /** The smoothed rate at `now`, events per second (a steady rate r reads r once settled). */
  perSecond(now: Millis): number {
    this.decay(now);
    return (this.count * Math.LN2 * 1000) / this.halfLifeMs;
  }
}

/** What the Responder measures about incoming I2s (the inputs of `policy.puzzleDifficulty`). */
export class I2Load {
  /** I2s refused at the puzzle check (§6.9 step 8): wrong #I, K or solution. */
  readonly puzzleFailures: DecayingRate;
  /** I2s that got past the puzzle and cost a Diffie-Hellman computation (§6.9 step 10). */
  readonly dhComputations: DecayingRate;
  /** Of those, the ones refused afterwards (bad HIP_MAC, signature, Host Identity, ...). */
  readonly failuresAfterDh: DecayingRate;

  constructor(now: Millis) {
    this.puzzleFailures = new DecayingRate(now);
    this.dhComputations = new DecayingRate(now);
    this.failuresAfterDh = new DecayingRate(now);
  }
}
