// `demo --plot` loads the drawing (src/testing/plot/) on demand: it needs Apache ECharts, an
// optional peer dependency, so the CLI works without it until a plot is asked for, and then says
// in one line what to install.
export type PlotModule = typeof import('../../testing/plot/index.js');

/** The one-line message when the charting library is not installed. */
export const PLOT_NEEDS_ECHARTS = 'hip-engine demo: --plot needs the optional package echarts: npm install echarts';

/** Whether `e` is Node's "cannot find package" error for echarts (or one of its subpaths). */
function echartsMissing(e: unknown): boolean {
  if (!(e instanceof Error) || (e as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') return false;
  return /['"]echarts(?:\/[^'"]*)?['"]/.test(e.message);
}

/**
 * The plot module, or `PLOT_NEEDS_ECHARTS` when echarts is not installed. Any other failure to
 * load is a bug of the package and is thrown.
 */
export async function loadPlotModule(load: () => Promise<PlotModule> = () => import('../../testing/plot/index.js')): Promise<PlotModule | typeof PLOT_NEEDS_ECHARTS> {
  try {
    return await load();
  } catch (e) {
    if (echartsMissing(e)) return PLOT_NEEDS_ECHARTS;
    throw e;
  }
}
