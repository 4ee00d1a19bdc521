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
