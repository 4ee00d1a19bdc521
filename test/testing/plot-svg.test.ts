// The simulator's picture drawn by Apache ECharts (src/testing/plot/, `hip-engine/testing/plot`):
// one line per path and a labelled mark per event (link down and up, UPDATE sent, address
// verified, SA added, SA moved), read back from the SVG text; the same simulation gives the same
// bytes.
import { describe, expect, it } from 'vitest';
import { MULTIHOMING_SCENARIO } from '../../src/cli/node/scenario-multihoming.js';
import { Sim, simPlotData } from '../../src/testing/index.js';
import { plotSvg, simPlotSvg } from '../../src/testing/plot/index.js';
import { readSvgChart } from './svg-chart.js';

/** The CLI's multihoming story (the default `demo` scenario), as `demo` runs it. */
function multihoming(): Sim {
  const sim = new Sim({ seed: MULTIHOMING_SCENARIO.defaultSeed, crypto: 'noble' });
  MULTIHOMING_SCENARIO.run(MULTIHOMING_SCENARIO.setup(sim));
  return sim;
}

/** The legend names of the kinds of mark. */
const KIND_NAMES = {
  'link-down': 'link down',
  'link-up': 'link up',
  update: 'UPDATE sent',
  verified: 'address verified',
  'sa-added': 'SA added',
  'sa-moved': 'failover (SA moved)',
} as const;

describe('simulator plot of the multihoming demo (RFC 8046 §5.4 verification, RFC 8047 §4.2.3 failover)', () => {
  const sim = multihoming();
  const data = simPlotData(sim);
  const svg = simPlotSvg(sim, { title: 'multihoming' });
  const chart = readSvgChart(svg);

  it('is a standalone SVG document with the title', () => {
    expect(svg.startsWith('<svg ')).toBe(true);
    expect(svg).toContain('xmlns="http://www.w3.org/2000/svg"');
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(chart.texts).toContain('multihoming');
    expect(chart.texts).toContain('time (s)');
  });

  it('draws one line per path, each in its own colour, and names each in the legend', () => {
    // Both hosts received over each of A's three addresses (wlan, lte, and the third).
    expect(data.series.length).toBe(6);
    expect(chart.lines.length).toBe(data.series.length);
    expect(new Set(chart.lines.map((l) => l.stroke)).size).toBe(data.series.length);
    expect(chart.legend.slice(0, data.series.length).map((l) => l.name)).toEqual(data.series.map((s) => s.name));
    expect(chart.legend.map((l) => l.name)).toContain('to B via 2001:db8:1::a → 2001:db8::b');
    expect(chart.legend.map((l) => l.name)).toContain('to B via 2001:db8:2::a → 2001:db8::b');
  });

  it('marks every event, one legend entry per kind present, with the events labelled', () => {
    const kinds = [...new Set(data.marks.map((m) => m.kind))];
    // The story has all six kinds: wlan goes down and up, UPDATEs, the new address is verified
    // before use (RFC 8046 §5.4), SAs are added and moved to the other locators (RFC 8047).
    expect(kinds.sort()).toEqual(['link-down', 'link-up', 'sa-added', 'sa-moved', 'update', 'verified']);
    expect(chart.legend.slice(data.series.length).map((l) => l.name)).toEqual(Object.values(KIND_NAMES));
    for (const kind of kinds) {
      expect(chart.marks.get(KIND_NAMES[kind]), kind).toBe(data.marks.filter((m) => m.kind === kind).length);
    }
    expect([...chart.marks.values()].reduce((a, b) => a + b, 0)).toBe(data.marks.length);
    // A label per kind of vertical mark (UPDATEs are triangles on the time axis, unlabelled).
    expect(chart.texts).toContain('wlan down');
    expect(chart.texts).toContain('wlan up');
    for (const re of [/ verified$/, /: SA added$/, /: SA to /]) expect(chart.texts.some((t) => re.test(t)), String(re)).toBe(true);
  });

  it('gives the same bytes for the same simulation, drawn again or run again', () => {
    expect(simPlotSvg(sim, { title: 'multihoming' })).toBe(svg);
    expect(simPlotSvg(multihoming(), { title: 'multihoming' })).toBe(svg);
  });
});

describe('plotSvg of given series and marks', () => {
  const svg = plotSvg(
    [
      { name: 'to B via a → b', points: [[0, 0], [100, 50], [200, 150]] },
      { name: 'to B via c → b <lte>', points: [[150, 0], [250, 80]] },
    ],
    [
      { t: 120, kind: 'link-down', label: 'wlan down' },
      { t: 130, kind: 'update', label: 'UPDATE' },
      { t: 180, kind: 'sa-moved', label: 'A: SA to c & d' },
    ],
    { title: 'T', width: 800, height: 400 },
  );
  const chart = readSvgChart(svg);

  it('draws the lines, a legend entry per series and kind present, and only those', () => {
    expect(svg).toMatch(/^<svg width="800" height="400" /);
    expect(chart.lines.length).toBe(2);
    expect(chart.legend.map((l) => l.name)).toEqual(['to B via a → b', 'to B via c → b <lte>', 'link down', 'UPDATE sent', 'failover (SA moved)']);
    expect(Object.fromEntries(chart.marks)).toEqual({ 'link down': 1, 'UPDATE sent': 1, 'failover (SA moved)': 1 });
  });

  it('escapes names and labels as XML text', () => {
    expect(chart.texts).toContain('A: SA to c & d');
    expect(svg).toContain('to B via c → b &lt;lte&gt;');
    expect(svg).not.toMatch(/<lte>|c & d/);
  });

  it('leaves out a label that would overprint the one before it', () => {
    const close = plotSvg(
      [{ name: 'p', points: [[0, 0], [10_000, 10]] }],
      [
        { t: 5000, kind: 'link-down', label: 'first' },
        { t: 5001, kind: 'sa-moved', label: 'second' },
        { t: 7000, kind: 'sa-moved', label: 'third' },
      ],
    );
    const texts = readSvgChart(close).texts;
    expect(texts).toContain('first');
    expect(texts).not.toContain('second');
    expect(texts).toContain('third');
    // The mark itself stays.
    expect(readSvgChart(close).marks.get('failover (SA moved)')).toBe(2);
  });
});
