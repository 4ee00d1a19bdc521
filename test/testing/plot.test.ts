// The simulator's picture (src/testing/plot.ts): each path's delivered data over time with the
// events marked, as a standalone SVG document.
import { describe, expect, it } from 'vitest';
import { Sim, plotSvg, simPlotData, simPlotSvg } from '../../src/testing/index.js';

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

describe('simulator plot', () => {
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

  it('renders a standalone SVG: one polyline per series, one line per mark, labels escaped', () => {
    const svg = plotSvg(
      [
        { name: 'to B via a → b', points: [[0, 0], [100, 50], [200, 150]] },
        { name: 'to B via c → b <lte>', points: [[150, 0], [250, 80]] },
      ],
      [
        { t: 120, kind: 'link-down', label: 'wlan down' },
        { t: 130, kind: 'update', label: 'UPDATE' },
        { t: 140, kind: 'verified', label: 'B: c verified' },
        { t: 160, kind: 'sa-moved', label: 'A: SA to c & d' },
      ],
      { title: 'T' },
    );
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg.match(/<polyline class="series"/g)).toHaveLength(2);
    expect(svg.match(/<line class="mark /g)).toHaveLength(4);
    expect(svg).toContain('wlan down');
    expect(svg).toContain('to B via c → b &lt;lte&gt;');
    expect(svg).toContain('A: SA to c &amp; d');
    expect(svg).not.toMatch(/<lte>|c & d/);
    // Every opened element is closed (a well-formedness check without an XML parser).
    const opened = (svg.match(/<(?!\/)[a-z]+[^>]*[^/]>/g) ?? []).length;
    const closed = (svg.match(/<\/[a-z]+>/g) ?? []).length;
    expect(opened).toBe(closed);
  });

  it('simPlotSvg is the same picture from the simulator API, and is deterministic per seed', () => {
    expect(simPlotSvg(story())).toBe(simPlotSvg(story()));
  });
});
