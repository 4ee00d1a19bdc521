// A picture of a simulation: the application data each path delivered over time (cumulative
// bytes per receiving host and outer address pair), with the events that explain it marked:
// link down and up, UPDATE sent, peer address verified (UNVERIFIED → ACTIVE, RFC 8046 §5.4),
// SA added, SA moved to other locators (failover, RFC 8047 §4.2.3). Returns SVG text; it needs
// no browser, DOM or canvas, and nothing in the engine imports it.
//
// A small writer of our own: a line chart with markers is about a hundred lines, while the
// charting libraries that render SVG in Node without a browser (vega, for one) would become a
// dependency of every install of the CLI for this one picture.
import { formatLocator } from '../addr/locator.js';
import type { Millis } from '../types.js';
import type { Sim } from './sim.js';
import type { TraceRecord } from './trace.js';

/**
 * An event marked on the plot: a link going down or up, an UPDATE sent, a peer address verified
 * (RFC 8046 §5.4), an SA added, an SA moved to other locators (failover, RFC 8047).
 */
export type PlotMarkKind = 'link-down' | 'link-up' | 'update' | 'verified' | 'sa-added' | 'sa-moved';

/** One event mark: its time, kind and label. */
export type PlotMark = { readonly t: Millis; readonly kind: PlotMarkKind; readonly label: string };
/** One line of the plot: a path's name and its (time, cumulative delivered bytes) points. */
export type PlotSeries = { readonly name: string; readonly points: readonly (readonly [Millis, number])[] };

/** Options of the SVG plot: title and size in pixels. */
export type PlotOptions = {
  /** Title at the top. Default "Delivered application data per path". */
  readonly title?: string;
  /** Default 1000. */
  readonly width?: number;
  /** Default 520. */
  readonly height?: number;
};

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
const MARK_STYLE: Readonly<Record<PlotMarkKind, { readonly color: string; readonly full: boolean }>> = {
  'link-down': { color: '#d62728', full: true },
  'link-up': { color: '#2ca02c', full: true },
  'sa-moved': { color: '#ff7f0e', full: true },
  'sa-added': { color: '#9467bd', full: true },
  verified: { color: '#17becf', full: true },
  update: { color: '#7f7f7f', full: false },
};

function str(rec: TraceRecord, key: string): string | undefined {
  const v = rec.fields?.[key];
  return typeof v === 'string' ? v : undefined;
}

function loc(rec: TraceRecord, key: string): string {
  const v = rec.fields?.[key];
  return typeof v === 'object' && v !== null && 'loc' in v ? formatLocator(v.loc) : '?';
}

/** The series and marks of a simulation, for `plotSvg` or another renderer. */
export function simPlotData(sim: Sim): { readonly series: readonly PlotSeries[]; readonly marks: readonly PlotMark[] } {
  const series = new Map<string, [Millis, number][]>();
  for (const h of sim.hosts) {
    const totals = new Map<string, number>();
    for (const r of h.received) {
      const name = `to ${h.name} via ${formatLocator(r.src)} → ${formatLocator(r.dst)}`;
      const total = (totals.get(name) ?? 0) + r.payload.length;
      totals.set(name, total);
      let pts = series.get(name);
      if (!pts) series.set(name, (pts = [[r.t, 0]]));
      pts.push([r.t, total]);
    }
  }
  const marks: PlotMark[] = [];
  const locState = new Map<string, string>();
  for (const rec of sim.trace.records) {
    if (rec.dir === 'note' && rec.kind === 'link') {
      const what = str(rec, 'what') ?? '';
      const name = str(rec, 'name') ?? 'link';
      if (/down/.test(what)) marks.push({ t: rec.t, kind: 'link-down', label: `${name} down` });
      else if (/up/.test(what)) marks.push({ t: rec.t, kind: 'link-up', label: `${name} up` });
    } else if (rec.dir === 'send' && rec.kind === 'UPDATE') {
      marks.push({ t: rec.t, kind: 'update', label: 'UPDATE' });
    } else if (rec.dir === 'locator' && rec.kind === 'upsert') {
      const key = `${rec.host} ${loc(rec, 'loc')}`;
      const state = str(rec, 'state') ?? '';
      if (state === 'ACTIVE' && locState.get(key) === 'UNVERIFIED') marks.push({ t: rec.t, kind: 'verified', label: `${rec.host}: ${loc(rec, 'loc')} verified` });
      locState.set(key, state);
    } else if (rec.dir === 'sa' && rec.fields?.['dir'] === 'in' && rec.kind === 'add') {
      marks.push({ t: rec.t, kind: 'sa-added', label: `${rec.host}: SA added` });
    } else if (rec.dir === 'sa' && rec.fields?.['dir'] === 'out' && rec.kind === 'update') {
      marks.push({ t: rec.t, kind: 'sa-moved', label: `${rec.host}: SA to ${loc(rec, 'dst')}` });
    }
  }
  return { series: [...series].map(([name, points]) => ({ name, points })), marks };
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const num = (n: number): string => (Math.round(n * 10) / 10).toString();

/** Nice tick step for a range (1, 2 or 5 times a power of ten). */
function step(range: number, ticks: number): number {
  const raw = range / Math.max(1, ticks);
  const p = 10 ** Math.floor(Math.log10(raw || 1));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
}

/** Renders series (cumulative bytes over time) and marks as a standalone SVG document. */
export function plotSvg(series: readonly PlotSeries[], marks: readonly PlotMark[], opts: PlotOptions = {}): string {
  const W = opts.width ?? 1000;
  const H = opts.height ?? 520;
  const m = { left: 70, right: 150, top: 130, bottom: 60 + 18 * Math.ceil(series.length / 2) };
  const tMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])), ...marks.map((k) => k.t));
  const yMax = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[1])));
  const x = (t: number): number => m.left + (t / tMax) * (W - m.left - m.right);
  const y = (v: number): number => H - m.bottom - (v / yMax) * (H - m.top - m.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#ffffff"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="15">${esc(opts.title ?? 'Delivered application data per path')}</text>`,
  ];
  // Axes and ticks.
  const ts = step(tMax, 10);
  for (let t = 0; t <= tMax + 1e-9; t += ts) {
    out.push(`<line x1="${num(x(t))}" y1="${H - m.bottom}" x2="${num(x(t))}" y2="${H - m.bottom + 4}" stroke="#000"/>`);
    out.push(`<text x="${num(x(t))}" y="${H - m.bottom + 16}" text-anchor="middle">${num(t / 1000)}</text>`);
  }
  const ys = step(yMax, 6);
  for (let v = 0; v <= yMax + 1e-9; v += ys) {
    out.push(`<line x1="${m.left}" y1="${num(y(v))}" x2="${W - m.right}" y2="${num(y(v))}" stroke="#eeeeee"/>`);
    out.push(`<text x="${m.left - 6}" y="${num(y(v) + 4)}" text-anchor="end">${v >= 1024 ? `${num(v / 1024)} KiB` : `${v} B`}</text>`);
  }
  out.push(`<line x1="${m.left}" y1="${H - m.bottom}" x2="${W - m.right}" y2="${H - m.bottom}" stroke="#000"/>`);
  out.push(`<line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${H - m.bottom}" stroke="#000"/>`);
  out.push(`<text x="${(m.left + W - m.right) / 2}" y="${H - m.bottom + 32}" text-anchor="middle">time (s)</text>`);
  // Marks: full-height lines with labels above the plot; UPDATEs as short ticks on the axis. A
  // label closer than 12 px to the last one drawn is left to the line's tooltip (no overprint).
  let lastLabelX = -Infinity;
  for (const k of marks) {
    const st = MARK_STYLE[k.kind];
    const X = num(x(k.t));
    if (!st.full) {
      out.push(`<line class="mark ${k.kind}" x1="${X}" y1="${H - m.bottom - 8}" x2="${X}" y2="${H - m.bottom}" stroke="${st.color}"><title>${esc(`${k.label} at ${k.t} ms`)}</title></line>`);
      continue;
    }
    out.push(`<line class="mark ${k.kind}" x1="${X}" y1="${m.top}" x2="${X}" y2="${H - m.bottom}" stroke="${st.color}" stroke-dasharray="4 3"><title>${esc(`${k.label} at ${k.t} ms`)}</title></line>`);
    if (x(k.t) - lastLabelX < 12) continue;
    lastLabelX = x(k.t);
    out.push(`<text x="${X}" y="${m.top - 4}" transform="rotate(-45 ${X} ${m.top - 4})" fill="${st.color}">${esc(k.label)}</text>`);
  }
  // Series as step lines (bytes arrive in packets) and a legend below the axis.
  series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts: string[] = [];
    let prev: number | undefined;
    for (const [t, v] of s.points) {
      if (prev !== undefined) pts.push(`${num(x(t))},${num(y(prev))}`);
      pts.push(`${num(x(t))},${num(y(v))}`);
      prev = v;
    }
    out.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${pts.join(' ')}"><title>${esc(s.name)}</title></polyline>`);
    const lx = m.left + (i % 2) * ((W - m.left - m.right) / 2);
    const ly = H - m.bottom + 50 + 18 * Math.floor(i / 2);
    out.push(`<rect x="${lx}" y="${ly - 9}" width="14" height="4" fill="${color}"/><text x="${lx + 20}" y="${ly - 4}">${esc(s.name)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

/** `plotSvg(simPlotData(sim))`: the simulator's picture of delivered traffic per path. */
export function simPlotSvg(sim: Sim, opts: PlotOptions = {}): string {
  const { series, marks } = simPlotData(sim);
  return plotSvg(series, marks, opts);
}
