// The data of the simulator's picture: the application data each path delivered over time
// (cumulative bytes per receiving host and outer address pair), with the events that explain it:
// link down and up, UPDATE sent, peer address verified (UNVERIFIED → ACTIVE, RFC 8046 §5.4), SA
// added, SA moved to other locators (failover, RFC 8047 §4.2.3). Pure data, no library: the
// drawing is in src/testing/plot/ (`hip-engine/testing/plot`), which needs the optional
// charting library, so that `hip-engine/testing` stays free of it.
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

function str(rec: TraceRecord, key: string): string | undefined {
  const v = rec.fields?.[key];
  return typeof v === 'string' ? v : undefined;
}

function loc(rec: TraceRecord, key: string): string {
  const v = rec.fields?.[key];
  return typeof v === 'object' && v !== null && 'loc' in v ? formatLocator(v.loc) : '?';
}

/** The series and marks of a simulation, for `plotSvg` (in `hip-engine/testing/plot`) or another renderer. */
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
