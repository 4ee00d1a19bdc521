// The data of the simulator's picture (src/testing/plot.ts): each path's delivered data over time
// and the events to mark. The drawing is tested in plot-svg.test.ts.
import { describe, expect, it } from 'vitest';
import { Sim, simPlotData } from '../../src/testing/index.js';

function story(): Sim {
  const sim = new Sim({ seed: 5, crypto: 'fast' });
  const a = sim.host('A', { locators: ['2001:db8::a'] });
  const b = sim.host('B', { locators: ['2001:db8::b'] });
  sim.link('2001:db8::a', '2001:db8::b', { latencyMs: 10 });
  sim.at(0, () => a.connect(b));
  sim.runUntil(() => a.established(b));
  for (let i = 0; i < 5; i++) {
    sim.after(100 * i, () => a.send(b, new Uint8Array(100)));
  }
  sim.run(1000);
  a.rekey(b);
  sim.run(1000);
  return sim;
}

describe('simulator plot data', () => {
  it('one series per receiving host and path, cumulative bytes, rising to what was delivered', () => {
    const sim = story();
    const { series, marks } = simPlotData(sim);
    expect(series.map((s) => s.name)).toEqual(['to B via 2001:db8::a → 2001:db8::b']);
    const pts = series[0]!.points;
    expect(pts[0]![1]).toBe(0);
    expect(pts.at(-1)![1]).toBe(500);
    for (let i = 1; i < pts.length; i++) {
      expect(pts[i]![0]).toBeGreaterThanOrEqual(pts[i - 1]![0]);
      expect(pts[i]![1]).toBeGreaterThanOrEqual(pts[i - 1]![1]);
    }
    // The base exchange adds one inbound SA on each side, the Initiator's first (before its I2,
    // RFC 7402 §6.4); the rekey adds one more on each (RFC 7402 §6.8) and sends UPDATEs.
    const added = marks.filter((m) => m.kind === 'sa-added').map((m) => m.label);
    expect(added.slice(0, 2)).toEqual(['A: SA added', 'B: SA added']);
    expect(added.sort()).toEqual(['A: SA added', 'A: SA added', 'B: SA added', 'B: SA added']);
    expect(marks.filter((m) => m.kind === 'update').length).toBeGreaterThanOrEqual(2);
  });
});
