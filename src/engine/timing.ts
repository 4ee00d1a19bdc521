// Retransmission timing: exponential backoff from a base, capped (RFC 7401 §6.8 step 18 asks for
// a timer larger than the worst-case RTT and a bounded number of tries).
import type { Millis } from '../types.js';

/** Timeout before retry number `retries` (1-based): base · 2^retries, at most `cap`. */
export function backoff(base: Millis, retries: number, cap: Millis): Millis {
  return Math.min(cap, base * 2 ** Math.min(retries, 30));
}
