// Reads the structure of a chart drawn by src/testing/plot/ back out of its SVG text: the data
// lines, the legend entries, the event marks (each with the legend entry of its kind) and the
// texts. ECharts tags every element it draws for a series with `ecmeta_series_index` and says
// whether it belongs to the legend or the chart; the data lines are the non-empty paths of the
// plot area (each in the grid's clip path).
export type SvgChart = {
  /** Non-empty data lines of the plot area, with their stroke colours. */
  readonly lines: readonly { readonly d: string; readonly stroke: string }[];
  /** Legend entries in order, each with the index of its series. */
  readonly legend: readonly { readonly name: string; readonly series: number }[];
  /** Event marks (mark lines and mark points) by the legend name of their series. */
  readonly marks: ReadonlyMap<string, number>;
  /** Every text element, entities decoded. */
  readonly texts: readonly string[];
};

const decode = (s: string): string => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');

export function readSvgChart(svg: string): SvgChart {
  const lines = [...svg.matchAll(/<g clip-path="url\(#[^)"]+\)">\n<path d="([^"]*)"[^>]*? stroke="([^"]+)"/g)].filter((m) => m[1] !== '').map((m) => ({ d: m[1]!, stroke: m[2]! }));
  const legend = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>\n<path [^>]*ecmeta_series_index="(\d+)"[^>]*ecmeta_ssr_type="legend"/g)].map((m) => ({ name: decode(m[1]!), series: Number(m[2]) }));
  const bySeries = new Map(legend.map((l) => [l.series, l.name]));
  const marks = new Map<string, number>();
  for (const m of svg.matchAll(/<path [^>]*ecmeta_series_index="(\d+)"[^>]*ecmeta_ssr_type="chart"/g)) {
    const name = bySeries.get(Number(m[1])) ?? `series ${m[1]}`;
    marks.set(name, (marks.get(name) ?? 0) + 1);
  }
  const texts = [...svg.matchAll(/<text [^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));
  return { lines, legend, marks, texts };
}
