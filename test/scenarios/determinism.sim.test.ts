// Determinism (docs/architecture.md, Simulator): the same seed gives a byte-identical trace (and capture);
// a golden trace of the happy path pins the exchange as a whole (toMatchFileSnapshot).
import { describe, expect, it } from 'vitest';
import { Sim, type Seed } from '../../src/testing/index.js';
import { A6, B6, establish, exchangeData, seed } from './sim-helpers.js';

/** A busy scenario: lossy, jittery, duplicating link, a BEX, data both ways and a rekey. */
function busyRun(s: Seed): { trace: string; pcap: Uint8Array } {
  const sim = new Sim({ seed: s, pcap: true });
  const a = sim.host('A', { locators: [A6] });
  const b = sim.host('B', { locators: [B6] });
  sim.link(A6, B6, { latencyMs: 15, jitterMs: 30, loss: 0.2, duplicate: 0.1, reorder: 0.1 });
  sim.at(0, () => a.connect(b));
  sim.runUntil(() => a.established(b) || a.eventsOf('failed').length > 0, { maxTimeMs: 120_000 });
  for (let i = 0; i < 5; i++) a.send(b, Uint8Array.of(i));
  sim.run(500);
  if (a.established(b)) a.rekey(b);
  sim.run(10_000);
  for (let i = 0; i < 5; i++) b.send(a, Uint8Array.of(i));
  sim.run(500);
  return { trace: sim.traceText(), pcap: sim.pcap().toBytes() };
}

describe('determinism', () => {
  it('the same seed twice gives byte-identical traces and captures', () => {
    const s = seed(20241);
    const x = busyRun(s);
    const y = busyRun(s);
    expect(x.trace.length).toBeGreaterThan(1000);
    expect(y.trace).toBe(x.trace);
    expect(y.pcap).toEqual(x.pcap);
  });

  it('another seed gives another run', () => {
    expect(busyRun(1).trace).not.toBe(busyRun(2).trace);
  });
});

describe('golden trace', () => {
  it('BEX happy path, seed 42, then data both ways', async () => {
    const sim = new Sim({ seed: 42 });
    const a = sim.host('A', { locators: [A6] });
    const b = sim.host('B', { locators: [B6] });
    sim.link(A6, B6, { latencyMs: 10 });
    establish(sim, a, b);
    exchangeData(sim, a, b, 2);
    await expect(sim.traceText({ redact: true })).toMatchFileSnapshot('../__traces__/bex-happy-seed42.txt');
  });
});
