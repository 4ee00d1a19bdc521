// The narration shared by the demo's scenarios: acts at fixed virtual times, lines that say what
// happened, and one message each way between two hosts. A `{name}` in a title or line names one
// of the scenario's addresses, and the trace record carries that address as a field of its own.
import { parseLocator } from '../../addr/locator.js';
import type { Sim, SimHost } from '../../testing/sim.js';
import { traceLoc, type TraceValue } from '../../testing/trace.js';

export type Story = {
  /** Runs the simulation up to `at` (virtual ms) and writes the header of act `n`. */
  act(sim: Sim, at: number, n: number, title: string): void;
  /** A line of narration in the timeline, from `host`. */
  say(sim: Sim, host: string, text: string, fields?: Record<string, TraceValue>): void;
};

/** The story helpers of a scenario whose `{name}` placeholders are the keys of `addresses`. */
export function story(addresses: Readonly<Record<string, string>>): Story {
  const fields = (text: string): Record<string, TraceValue> => {
    const out: Record<string, TraceValue> = {};
    for (const [k, v] of Object.entries(addresses)) if (text.includes(`{${k}}`)) out[k] = traceLoc(parseLocator(v));
    return out;
  };
  return {
    act(sim, at, n, title) {
      if (sim.now > at) throw new Error(`act ${n} should start at t=${at} ms but the previous act ran until t=${sim.now} ms`);
      sim.run(at - sim.now);
      sim.note('demo', 'act', { n, title: `${n}. ${title}`, ...fields(title) });
    },
    say(sim, host, text, extra = {}) {
      sim.note(host, 'say', { text, ...fields(text), ...extra });
    },
  };
}

const enc = new TextEncoder();
const dec = new TextDecoder();

/** One message each way between `a` and `b`; fails the run if either is not delivered in 2 s. */
export function talk(sim: Sim, a: SimHost, b: SimHost, tag: string): void {
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    const text = `hello ${to.name}, ${from.name} here (${tag})`;
    sim.note(from.name, 'app-send', { to: to.name, text });
    const r = from.send(to, enc.encode(text));
    if (!r.ok) throw new Error(`${from.name} could not send ${JSON.stringify(text)}: ${r.reason}`);
    sim.runUntil(() => to.received.some((m) => dec.decode(m.payload) === text), { maxTimeMs: 2000 });
  }
}
