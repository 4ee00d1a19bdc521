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


/**
 * Runs two measurements alternately, `rounds` times, swapping which goes first every round, so
 * that drift and bursts of load on a shared machine hit both alike. `a` and `b` each return one
 * sample (a time); the result holds the samples and the per-round ratios a / b.
 */
export function interleave(rounds: number, a: () => number, b: () => number): { a: number[]; b: number[]; ratios: number[] } {
  const out = { a: [] as number[], b: [] as number[], ratios: [] as number[] };
  for (let r = 0; r < rounds; r++) {
    let x: number;
    let y: number;
    if (r % 2 === 0) {
      x = a();
      y = b();
    } else {
      y = b();
      x = a();
    }
    out.a.push(x);
    out.b.push(y);
    out.ratios.push(x / y);
  }
  return out;
}

/**
 * CPU time of this process in ms (user + system, every thread): unlike wall time it does not
 * count the time other jobs on a shared machine hold the cores, so paired figures stay comparable
 * under load. Microsecond resolution: use it for operations of a millisecond or more.
 */
export function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
