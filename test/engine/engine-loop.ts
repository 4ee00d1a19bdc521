// The event loop of the two-engine UDP tests that play their own wire (NATs, filters, ports):
// the earliest due of a packet on the wire, A's timer or B's timer, handled in virtual time.
import type { HipEngine } from '../../src/engine/hip-engine.js';

export type LoopIo<W extends { readonly at: number }> = {
  readonly a: HipEngine;
  readonly b: HipEngine;
  /** Packets in flight, each due at `at`. */
  readonly wire: W[];
  /** Hands a due packet to its receiver (and drains it). */
  deliver(w: W): void;
  drain(side: 'a' | 'b'): void;
  /** The clock moved to `t`, before anything due at `t` is handled. */
  setNow(t: number): void;
};

/** Handles everything due up to `until` (at most `maxSteps` events); returns the clock, at least `until`. */
export function runEngines<W extends { readonly at: number }>(io: LoopIo<W>, now: number, until: number, maxSteps: number): number {
  const { a, b, wire } = io;
  for (let i = 0; i < maxSteps; i++) {
    const tw = wire.length > 0 ? Math.min(...wire.map((x) => x.at)) : Infinity;
    const ta = a.pollTimeout() ?? Infinity;
    const tb = b.pollTimeout() ?? Infinity;
    const t = Math.min(tw, ta, tb);
    if (t > until) break;
    now = Math.max(now, t);
    io.setNow(now);
    if (tw === t) io.deliver(wire.splice(wire.findIndex((x) => x.at === t), 1)[0]!);
    else if (ta === t) {
      a.handleTimeout(now);
      io.drain('a');
    } else {
      b.handleTimeout(now);
      io.drain('b');
    }
  }
  return Math.max(now, until);
}
