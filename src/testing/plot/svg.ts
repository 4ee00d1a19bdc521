// The simulator's picture drawn by Apache ECharts: each path's delivered application data over
// time (step lines, bytes arrive in packets) and the events that explain it as vertical marks
// with labels. ECharts renders SVG text in Node without a browser, DOM or canvas (its
// server-side mode); it is an optional peer dependency of hip-engine, so only this subpath
// (`hip-engine/testing/plot`) and the CLI's `demo --plot`, which loads it on demand, import it.
import { use, init } from 'echarts/core';
import { LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TitleComponent } from 'echarts/components';
import { SVGRenderer } from 'echarts/renderers';
import type { Sim } from '../sim.js';
import { simPlotData, type PlotMark, type PlotMarkKind, type PlotSeries } from '../plot.js';

use([LineChart, GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TitleComponent, SVGRenderer]);

/** Options of the SVG plot: title and size in pixels. */
export type PlotOptions = {
  /**
   * Title at the top.
   * @defaultValue `"Delivered application data per path"`
   */
  readonly title?: string;
  /**
   * Width of the picture in pixels.
   * @defaultValue `1000`
   */
  readonly width?: number;
  /**
   * Height of the picture in pixels.
   * @defaultValue `560`
   */
  readonly height?: number;
};

/**
 * The legend name and colour of each kind of mark. UPDATEs are frequent (every retransmission,
 * every rekey, RFC 8046 §5.3), so they are small triangles on the time axis instead of lines.
 */
const PLOT_MARK_LEGEND: Readonly<Record<PlotMarkKind, { readonly name: string; readonly color: string }>> = {
  'link-down': { name: 'link down', color: '#d62728' },
  'link-up': { name: 'link up', color: '#2ca02c' },
  update: { name: 'UPDATE sent', color: '#7f7f7f' },
  verified: { name: 'address verified', color: '#17becf' },
  'sa-added': { name: 'SA added', color: '#9467bd' },
  'sa-moved': { name: 'failover (SA moved)', color: '#ff7f0e' },
};

const PATH_COLORS = ['#1f77b4', '#e377c2', '#8c564b', '#bcbd22', '#393b79', '#637939', '#843c39', '#7b4173'];
const KIND_ORDER: readonly PlotMarkKind[] = ['link-down', 'link-up', 'update', 'verified', 'sa-added', 'sa-moved'];
/** Labels of vertical marks closer than this many pixels to the last label drawn are left out. */
const LABEL_GAP_PX = 14;
const LEGEND_ROW_PX = 20;

const bytes = (v: number): string => (v >= 1024 ? `${Math.round((v / 1024) * 10) / 10} KiB` : `${v} B`);

/**
 * zrender names clip paths after its instance counter and CSS classes after a process-wide
 * counter, so the second picture drawn in one process would differ from the first in its ids
 * alone. Renumbered in order of appearance, the text depends on the picture only.
 */
function stableIds(svg: string): string {
  const classes = new Map<string, number>();
  return svg
    .replace(/\bzr\d+-cls-\d+\b/g, (c) => {
      let n = classes.get(c);
      if (n === undefined) classes.set(c, (n = classes.size));
      return `hip-plot-cls-${n}`;
    })
    .replace(/\bzr\d+-/g, 'hip-plot-');
}

/**
 * Renders series (cumulative delivered bytes over time) and marks (events) as a standalone SVG
 * document, with Apache ECharts: one line per series, a legend naming each series and each kind
 * of event present, vertical marks labelled with the event (UPDATEs as triangles on the time
 * axis). The same input gives the same bytes.
 */
export function plotSvg(series: readonly PlotSeries[], marks: readonly PlotMark[], opts: PlotOptions = {}): string {
  const width = opts.width ?? 1000;
  const height = opts.height ?? 560;
  const kinds = KIND_ORDER.filter((kind) => marks.some((m) => m.kind === kind));
  // Two legends in columns under the axis, paths on the left and kinds of event on the right.
  const legendRows = Math.max(series.length, kinds.length);
  const grid = { left: 80, right: 40, top: 60, bottom: 64 + LEGEND_ROW_PX * legendRows };
  // The time axis ends on a whole second (a tenth under two seconds) at or after the last point.
  const last = Math.max(1, ...series.flatMap((s) => s.points.map((p) => p[0])), ...marks.map((m) => m.t)) / 1000;
  const unit = last < 2 ? 0.1 : 1;
  const tMaxS = Math.round(Math.ceil(last / unit - 1e-9) * unit * 10) / 10;
  const tMax = tMaxS * 1000;
  const pxPerMs = (width - grid.left - grid.right) / tMax;

  // Labels of vertical marks, thinned left to right so that no two overprint.
  const shown = new Set<PlotMark>();
  let lastX = -Infinity;
  for (const m of [...marks].filter((k) => k.kind !== 'update').sort((a, b) => a.t - b.t)) {
    if (m.t * pxPerMs - lastX < LABEL_GAP_PX) continue;
    shown.add(m);
    lastX = m.t * pxPerMs;
  }

  const pathSeries = series.map((s, i) => ({
    type: 'line' as const,
    name: s.name,
    step: 'end' as const,
    showSymbol: false,
    color: PATH_COLORS[i % PATH_COLORS.length]!,
    lineStyle: { width: 2 },
    data: s.points.map(([t, v]) => [t / 1000, v]),
  }));
  const markSeries = kinds.map((kind) => {
    const { name, color } = PLOT_MARK_LEGEND[kind];
    const own = marks.filter((m) => m.kind === kind);
    const base = { type: 'line' as const, name, color, data: [] as number[][], silent: true };
    if (kind === 'update') {
      return {
        ...base,
        markPoint: { symbol: 'triangle', symbolSize: 9, silent: true, label: { show: false }, itemStyle: { color, opacity: 0.7 }, data: own.map((m) => ({ name: m.label, coord: [m.t / 1000, 0] })) },
      };
    }
    return {
      ...base,
      markLine: {
        symbol: 'none',
        silent: true,
        lineStyle: { color, type: 'dashed' as const, width: 1.5 },
        data: own.map((m) => ({
          name: m.label,
          xAxis: m.t / 1000,
          label: { show: shown.has(m), formatter: m.label, position: 'insideEndTop' as const, color, fontSize: 11 },
        })),
      },
    };
  });

  const chart = init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({
      animation: false,
      backgroundColor: '#ffffff',
      textStyle: { fontFamily: 'sans-serif' },
      title: { text: opts.title ?? 'Delivered application data per path', left: 'center', top: 10, textStyle: { fontSize: 15 } },
      grid,
      legend: [
        { data: series.map((s) => s.name), orient: 'vertical', top: height - grid.bottom + 44, left: grid.left, itemGap: LEGEND_ROW_PX - 14, itemHeight: 14 },
        { data: kinds.map((k) => PLOT_MARK_LEGEND[k].name), orient: 'vertical', top: height - grid.bottom + 44, left: Math.round(width * 0.62), itemGap: LEGEND_ROW_PX - 14, itemHeight: 14 },
      ],
      xAxis: { type: 'value', name: 'time (s)', nameLocation: 'middle', nameGap: 28, min: 0, max: tMaxS },
      yAxis: { type: 'value', name: 'delivered', axisLabel: { formatter: bytes } },
      series: [...pathSeries, ...markSeries],
    });
    return stableIds(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

/** `plotSvg(simPlotData(sim))`: the simulator's picture of delivered traffic per path. */
export function simPlotSvg(sim: Sim, opts: PlotOptions = {}): string {
  const { series, marks } = simPlotData(sim);
  return plotSvg(series, marks, opts);
}
