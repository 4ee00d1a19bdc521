// Token bucket on virtual time. Used to rate-limit NOTIFY generation (RFC 7401 §5.3.6: a host
// MUST be able to rate-limit NOTIFYs it sends) and R1s per source (RFC 7401 §6.7).
import type { Millis } from '../types.js';

export class TokenBucket {
  private tokens: number;
  private last: Millis;
  private readonly perSecond: number;
  private readonly burst: number;

  constructor(perSecond: number, burst: number, now: Millis) {
    this.perSecond = perSecond;
    this.burst = burst;
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token if available. */
  take(now: Millis): boolean {
    if (now > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
      this.last = now;
    }
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}

/**
 * Token buckets per source address in a fixed table (RFC 7401 §6.7: "An R1 packet sender MUST
 * have a mechanism to rate-limit R1 packets sent to an address"). Addresses hash into `slots`
 * buckets, so the state is bounded whatever the number of (spoofed) sources: two sources that
 * share a slot share its budget, which can only limit more, never less. The rate and burst come
 * per call, so a policy may give some sources a larger budget.
 */
export class SourceRateLimiter {
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  private readonly used: Uint8Array;

  constructor(slots: number) {
    this.tokens = new Float64Array(slots);
    this.last = new Float64Array(slots);
    this.used = new Uint8Array(slots);
  }

  /** Number of buckets: fixed at construction. */
  get slots(): number {
    return this.tokens.length;
  }

  /** Takes one token for `src` at `now` if its bucket has one. */
  take(src: Uint8Array, now: Millis, perSecond: number, burst: number): boolean {
    const i = slotOf(src, this.tokens.length);
    let t: number;
    if (this.used[i] === 0) {
      this.used[i] = 1;
      t = burst;
    } else {
      t = Math.min(burst, this.tokens[i]! + (Math.max(0, now - this.last[i]!) * perSecond) / 1000);
    }
    this.last[i] = Math.max(now, this.last[i]!);
    if (t >= 1) {
      this.tokens[i] = t - 1;
      return true;
    }
    this.tokens[i] = t;
    return false;
  }
}

/** FNV-1a over the address bytes, reduced to a slot. */
function slotOf(src: Uint8Array, slots: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < src.length; i++) h = Math.imul(h ^ src[i]!, 0x01000193);
  return (h >>> 0) % slots;
}
