// `hip-engine/testing/plot`: the simulator's picture as SVG, drawn by Apache ECharts (an optional
// peer dependency: `npm install echarts`). The data behind it, `simPlotData`, is in
// `hip-engine/testing` and needs no library.
export { plotSvg, simPlotSvg, type PlotOptions } from './svg.js';
export type { PlotMark, PlotMarkKind, PlotSeries } from '../plot.js';
