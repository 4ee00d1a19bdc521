// Helpers shared by the bench suites: forced-GC heap readings, medians, Markdown tables.
/** Forces GC (the bench runs with --expose-gc) and returns heap plus ArrayBuffer bytes. */
export function heapBytes(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

/** Formats a duration in ms with a unit that keeps 3 significant digits. */
export function fmtMs(ms: number): string {
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  if (ms >= 0.001) return `${(ms * 1000).toFixed(ms >= 0.1 ? 0 : ms >= 0.01 ? 1 : 2)} µs`;
  return `${(ms * 1e6).toFixed(0)} ns`;
}

/** Prints a Markdown table. */
export function table(head: readonly string[], rows: readonly (readonly string[])[]): void {
  console.log(`| ${head.join(' | ')} |`);
  console.log(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const r of rows) console.log(`| ${r.join(' | ')} |`);
}

