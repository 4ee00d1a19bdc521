// Parameter sweeps on the simulator (the API under `hip-engine sweep`): a scenario run over every
// combination of seeds and parameter values, one JSON line per run, any subset of the runs on
// any machine (`--shard i/N`), and a merge of the shard outputs into a summary table.
//
// Determinism: a run is named by its index in the expansion of the spec (parameters in key
// order, values in the order given, then seeds), and its line depends only on the scenario, the
// seed and the parameter values; no wall-clock time goes into it. So a seed gives the same line
// whatever the sharding or the number of worker threads, and merging shards in any order gives
// the same summary. Browser-safe: the worker pool lives in the CLI (src/cli/node/sweep.ts).
import { buildMesh } from './mesh.js';
import { Sim } from './sim.js';

/** A parameter value of a sweep: a number or a string. */
export type SweepValue = number | string;

/** One scenario a sweep can run: its parameters with defaults, and the run itself. */
export type SweepScenario = {
  /** One line of help. */
  readonly description: string;
  /** Every parameter the scenario reads, with its default value. */
  readonly params: Readonly<Record<string, SweepValue>>;
  /**
   * Runs once; returns the measured values (numbers and booleans, JSON-serialisable). The
   * `ok` field is the run's success, which the summary counts.
   */
  readonly run: (seed: number, params: Readonly<Record<string, SweepValue>>) => SweepResult;
};

/** What one run measured; `ok` is its success. */
export type SweepResult = { readonly ok: boolean } & Readonly<Record<string, number | boolean>>;

/** A sweep: the scenario, the seeds, and the values of each parameter to combine. */
export type SweepSpec = {
  readonly scenario: string;
  readonly seeds: readonly number[];
  /** Values per parameter; a parameter left out keeps its default. */
  readonly params?: Readonly<Record<string, readonly SweepValue[]>>;
};

/** One run of a sweep: its index in the expansion, the seed and every parameter's value. */
export type SweepRun = {
  readonly index: number;
  readonly scenario: string;
  readonly seed: number;
  readonly params: Readonly<Record<string, SweepValue>>;
};

/** A shard: the `index`-th (1-based) of `count` disjoint parts of the runs. */
export type SweepShard = { readonly index: number; readonly count: number };

/** One output line, parsed: the run and its result. */
export type SweepLine = SweepRun & { readonly result: SweepResult };

/** One row of the merged summary: the runs of one parameter combination over every seed. */
export type SweepSummaryRow = {
  readonly params: Readonly<Record<string, SweepValue>>;
  readonly runs: number;
  readonly ok: number;
  /** Median of each numeric result field over the runs that have it. */
  readonly medians: Readonly<Record<string, number>>;
};

/** The scenarios `hip-engine sweep` knows, by name. */
export const SWEEP_SCENARIOS: Readonly<Record<string, SweepScenario>> = {
  bex: {
    description: 'one base exchange over a lossy, jittery link (RFC 7401 §4.1), then ESP both ways',
    params: { loss: 0, latencyMs: 20, jitterMs: 0, crypto: 'fast' },
    run: runBex,
  },
  mesh: {
    description: 'hosts on a ring, each connecting to `degree` others, then ESP every periodMs on every association',
    params: { hosts: 20, degree: 3, loss: 0, latencyMs: 10, periodMs: 20, trafficMs: 1000 },
    run: runMesh,
  },
};

function num(params: Readonly<Record<string, SweepValue>>, name: string): number {
  const v = params[name];
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) throw new RangeError(`parameter "${name}" expected a number, got ${JSON.stringify(v)}`);
  return n;
}

function runBex(seed: number, params: Readonly<Record<string, SweepValue>>): SweepResult {
  const crypto = params['crypto'];
  if (crypto !== 'fast' && crypto !== 'noble') throw new RangeError(`parameter "crypto" expected fast or noble, got ${JSON.stringify(crypto)}`);
  const sim = new Sim({ seed, crypto, traceWindow: 0, receivedWindow: 0 });
  const a = sim.host('A', { locators: ['2001:db8::a'], config: { puzzleK: 1 } });
  const b = sim.host('B', { locators: ['2001:db8::b'], config: { puzzleK: 1 } });
  sim.link(a, b, { latencyMs: num(params, 'latencyMs'), jitterMs: num(params, 'jitterMs'), loss: num(params, 'loss') });
  a.connect(b);
  const bound = 120_000;
  let establishedAt: number | undefined;
  while (sim.now < bound && establishedAt === undefined && a.eventsOf('failed').length === 0) {
    if (!sim.step()) break;
    if (a.established(b)) establishedAt = sim.now;
  }
  let delivered = 0;
  if (establishedAt !== undefined) {
    for (let i = 0; i < 10; i++) {
      a.send(b, Uint8Array.of(i));
      b.send(a, Uint8Array.of(i));
    }
    sim.run(2_000);
    delivered = b.stats().esp.rxPackets + a.stats().esp.rxPackets;
  }
  const st = a.stats().engine;
  return {
    ok: establishedAt !== undefined && b.established(a),
    establishMs: establishedAt ?? -1,
    i1Sent: st.sent.I1 ?? 0,
    i2Sent: st.sent.I2 ?? 0,
    hipSent: sim.counters.sent.hip,
    espDelivered: delivered,
  };
}

function runMesh(seed: number, params: Readonly<Record<string, SweepValue>>): SweepResult {
  const hosts = num(params, 'hosts');
  const mesh = buildMesh({
    seed,
    hosts,
    degree: num(params, 'degree'),
    link: { latencyMs: num(params, 'latencyMs'), loss: num(params, 'loss') },
    sim: { invariants: false, insecureFastEsp: true, traceWindow: 0, receivedWindow: 0, eventsWindow: 0 },
  });
  mesh.sim.run(hosts * 0.5 + 5_000);
  const traffic = mesh.startTraffic(num(params, 'periodMs'), 64);
  mesh.sim.run(num(params, 'trafficMs'));
  traffic.stop();
  const established = mesh.established();
  const c = mesh.sim.counters;
  return {
    ok: established === mesh.pairs.length,
    associations: mesh.pairs.length,
    established,
    espSent: c.sent.esp,
    espDelivered: c.delivered.esp,
    hipSent: c.sent.hip,
    steps: c.steps,
  };
}

/** The runs of a spec, in index order (parameters in key order, values as given, then seeds). */
export function sweepRuns(spec: SweepSpec): SweepRun[] {
  const scenario = SWEEP_SCENARIOS[spec.scenario];
  if (scenario === undefined || !Object.prototype.hasOwnProperty.call(SWEEP_SCENARIOS, spec.scenario)) {
    throw new RangeError(`"scenario" expected one of ${Object.keys(SWEEP_SCENARIOS).join(', ')}, got ${JSON.stringify(spec.scenario)}`);
  }
  if (!Array.isArray(spec.seeds) || spec.seeds.length === 0 || spec.seeds.some((s) => !Number.isSafeInteger(s) || s < 0)) {
    throw new RangeError('"seeds" expected a non-empty list of non-negative integers');
  }
  const given = spec.params ?? {};
  for (const [k, vs] of Object.entries(given)) {
    if (!Object.prototype.hasOwnProperty.call(scenario.params, k)) throw new RangeError(`scenario ${spec.scenario} has no parameter "${k}" (it has ${Object.keys(scenario.params).join(', ')})`);
    if (!Array.isArray(vs) || vs.length === 0) throw new RangeError(`parameter "${k}" expected a non-empty list of values`);
  }
  const keys = Object.keys(scenario.params).sort();
  let combos: Record<string, SweepValue>[] = [{}];
  for (const k of keys) {
    const values = given[k] ?? [scenario.params[k]!];
    const next: Record<string, SweepValue>[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [k]: v });
    combos = next;
  }
  const runs: SweepRun[] = [];
  for (const params of combos) for (const seed of spec.seeds) runs.push({ index: runs.length, scenario: spec.scenario, seed, params });
  return runs;
}

/** The runs of one shard: every run whose index is `shard.index - 1` modulo `shard.count`. */
export function shardRuns(runs: readonly SweepRun[], shard: SweepShard): SweepRun[] {
  if (!Number.isInteger(shard.count) || shard.count < 1 || !Number.isInteger(shard.index) || shard.index < 1 || shard.index > shard.count) {
    throw new RangeError(`"shard" expected i/N with 1 <= i <= N, got ${shard.index}/${shard.count}`);
  }
  return runs.filter((r) => r.index % shard.count === shard.index - 1);
}

/** Runs one run and returns its output line (JSON, keys in a fixed order, no newline). */
export function runSweepLine(run: SweepRun): string {
  const scenario = SWEEP_SCENARIOS[run.scenario];
  if (scenario === undefined) throw new RangeError(`unknown scenario ${JSON.stringify(run.scenario)}`);
  const result = scenario.run(run.seed, run.params);
  return JSON.stringify({ index: run.index, scenario: run.scenario, seed: run.seed, params: run.params, result });
}

/** Parses output lines (blank lines skipped); throws on a line that is not a sweep line. */
export function parseSweepLines(text: string): SweepLine[] {
  const out: SweepLine[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new RangeError(`line ${i + 1}: not JSON`);
    }
    const o = v as Partial<SweepLine>;
    if (typeof o !== 'object' || o === null || typeof o.index !== 'number' || typeof o.scenario !== 'string' || typeof o.seed !== 'number' || typeof o.params !== 'object' || typeof o.result !== 'object' || o.result === null || typeof o.result.ok !== 'boolean') {
      throw new RangeError(`line ${i + 1}: not a sweep line (index, scenario, seed, params, result.ok)`);
    }
    out.push(o as SweepLine);
  }
  return out;
}

/**
 * Merges the lines of any number of shards: sorted by run index, a run present twice must have
 * the same line (else it throws), then one summary row per parameter combination, in order of
 * first run index.
 */
export function mergeSweep(lines: readonly SweepLine[]): { readonly lines: SweepLine[]; readonly rows: SweepSummaryRow[] } {
  const byIndex = new Map<number, SweepLine>();
  for (const l of lines) {
    const old = byIndex.get(l.index);
    if (old !== undefined && JSON.stringify(old) !== JSON.stringify(l)) throw new RangeError(`run ${l.index} appears twice with different lines (different code or spec?)`);
    byIndex.set(l.index, l);
  }
  const sorted = [...byIndex.values()].sort((a, b) => a.index - b.index);
  const groups = new Map<string, SweepLine[]>();
  for (const l of sorted) {
    const key = `${l.scenario} ${JSON.stringify(l.params)}`;
    const g = groups.get(key);
    if (g === undefined) groups.set(key, [l]);
    else g.push(l);
  }
  const rows: SweepSummaryRow[] = [];
  for (const g of groups.values()) {
    const fields = new Map<string, number[]>();
    for (const l of g) {
      for (const [k, v] of Object.entries(l.result)) {
        if (typeof v !== 'number') continue;
        const xs = fields.get(k);
        if (xs === undefined) fields.set(k, [v]);
        else xs.push(v);
      }
    }
    const medians: Record<string, number> = {};
    for (const [k, xs] of fields) medians[k] = median(xs);
    rows.push({ params: g[0]!.params, runs: g.length, ok: g.filter((l) => l.result.ok).length, medians });
  }
  return { lines: sorted, rows };
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** The summary rows as a Markdown table: the parameters, runs, success rate and medians. */
export function sweepTable(rows: readonly SweepSummaryRow[]): string {
  if (rows.length === 0) return '(no runs)\n';
  const pk = Object.keys(rows[0]!.params);
  const mk = [...new Set(rows.flatMap((r) => Object.keys(r.medians)))];
  const head = [...pk, 'runs', 'ok', ...mk.map((k) => `median ${k}`)];
  let out = `| ${head.join(' | ')} |\n|${head.map(() => '---').join('|')}|\n`;
  for (const r of rows) {
    const cells = [...pk.map((k) => String(r.params[k])), String(r.runs), `${((100 * r.ok) / r.runs).toFixed(1)}%`, ...mk.map((k) => (r.medians[k] === undefined ? '-' : String(Math.round(r.medians[k]! * 1000) / 1000)))];
    out += `| ${cells.join(' | ')} |\n`;
  }
  return out;
}
