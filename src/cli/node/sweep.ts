// `hip-engine sweep`: a scenario over a range of seeds and parameters (src/testing/sweep.ts), on
// worker threads of this machine, one shard of the runs with `--shard i/N` so that any batch
// scheduler can spread a sweep over machines, one JSON line per run; `sweep merge` turns the
// outputs of every shard into one summary table.
//
// Worker threads come from node:worker_threads directly: each run is one message in and one line
// out, with no shared state, so a pool library would add a dependency for a dozen lines of
// scheduling. Lines are written in run-index order whatever order the workers finish in, so the
// output of a shard is the same bytes with 1 worker or 8.
import { readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SWEEP_SCENARIOS, mergeSweep, parseSweepLines, runSweepLine, shardRuns, sweepRuns, sweepTable, type SweepRun, type SweepShard, type SweepValue } from '../../testing/sweep.js';
import { EXIT_OK, RuntimeFailure, UsageError, flag, int, parse, str, strs } from './args.js';
import type { Io } from './live.js';

export const SWEEP_HELP = `Usage: hip-engine sweep --scenario NAME --seeds A-B [--param NAME=V1,V2...]... [options]
       hip-engine sweep merge FILE... [--json]
       hip-engine sweep --list

Runs a simulator scenario once for every combination of seeds and parameter values and writes
one JSON line per run (index, scenario, seed, params, result), in run-index order. A run's line
depends only on its scenario, seed and parameters: the same seed gives the same line whatever
the sharding or the number of workers. "merge" reads the outputs of every shard (in any order)
and prints one summary row per parameter combination: runs, success rate, medians.

Options:
  --scenario NAME   bex or mesh (--list shows their parameters and defaults)
  --seeds SPEC      seeds: 1-100, or a list 1,5,9, or both: 1-10,20
  --param N=V,...   values of parameter N (repeatable); others keep their defaults
  --shard i/N       run only the i-th of N disjoint parts (1 <= i <= N; default 1/1)
  --workers N       worker threads (default: available cores, at most the runs; 0 runs inline)
  --out FILE        write the lines to FILE instead of stdout
  --json            (merge) print the merged lines and rows as JSON instead of a table
  --list            list the scenarios
  -h, --help        this text`;

/** Parses a seed list: ranges A-B and single seeds, comma-separated. */
export function parseSeeds(spec: string): number[] {
  const out: number[] = [];
  for (const part of spec.split(',')) {
    const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(part);
    if (m === null) throw new UsageError(`--seeds expects ranges A-B or integers, comma-separated, got ${JSON.stringify(spec)}`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (!Number.isSafeInteger(a) || !Number.isSafeInteger(b) || b < a) throw new UsageError(`--seeds: bad range ${JSON.stringify(part)}`);
    if (b - a > 1_000_000) throw new UsageError('--seeds: at most 1,000,001 seeds in one range');
    for (let s = a; s <= b; s++) out.push(s);
  }
  return out;
}

function parseShard(v: string | undefined): SweepShard {
  if (v === undefined) return { index: 1, count: 1 };
  const m = /^(\d+)\/(\d+)$/.exec(v.trim());
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) throw new UsageError(`--shard expects i/N with 1 <= i <= N, got ${JSON.stringify(v)}`);
  return { index, count };
}

function parseParams(specs: readonly string[], scenario: string): Record<string, SweepValue[]> {
  const defaults = SWEEP_SCENARIOS[scenario]!.params;
  const out: Record<string, SweepValue[]> = {};
  for (const s of specs) {
    const eq = s.indexOf('=');
    if (eq <= 0 || eq === s.length - 1) throw new UsageError(`--param expects NAME=V1,V2,..., got ${JSON.stringify(s)}`);
    const name = s.slice(0, eq);
    if (!Object.prototype.hasOwnProperty.call(defaults, name)) throw new UsageError(`--param: scenario ${scenario} has no parameter ${JSON.stringify(name)} (it has ${Object.keys(defaults).join(', ')})`);
    const numeric = typeof defaults[name] === 'number';
    out[name] = s
      .slice(eq + 1)
      .split(',')
      .map((v) => {
        if (!numeric) return v;
        const n = Number(v);
        if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`--param ${name} expects numbers, got ${JSON.stringify(v)}`);
        return n;
      });
  }
  return out;
}

/**
 * Runs `runs` on `workers` worker threads (0: inline, in this thread) and hands each line to
 * `emit` in run-index order. Rejects on the first failed run.
 */
export async function runSweepPool(runs: readonly SweepRun[], workers: number, emit: (line: string) => void): Promise<void> {
  if (workers === 0 || runs.length === 0) {
    for (const r of runs) emit(runSweepLine(r));
    return;
  }
  const n = Math.min(workers, runs.length);
  const done = new Map<number, string>();
  let nextToEmit = 0;
  let nextToSend = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      const send = (w: Worker): void => {
        if (nextToSend < runs.length) w.postMessage(runs[nextToSend++]);
      };
      for (let i = 0; i < n; i++) {
        const w = new Worker(new URL('./sweep-worker.js', import.meta.url));
        pool.push(w);
        w.on('error', reject);
        w.on('exit', (code) => {
          if (code !== 0 && finished < runs.length) reject(new RuntimeFailure(`a worker exited with code ${code}`));
        });
        w.on('message', (m: { index: number; line?: string; error?: string }) => {
          if (m.error !== undefined) {
            reject(new RuntimeFailure(`run ${m.index} failed: ${m.error}`));
            return;
          }
          done.set(m.index, m.line!);
          finished++;
          while (nextToEmit < runs.length && done.has(runs[nextToEmit]!.index)) {
            emit(done.get(runs[nextToEmit]!.index)!);
            done.delete(runs[nextToEmit]!.index);
            nextToEmit++;
          }
          if (finished === runs.length) resolve();
          else send(w);
        });
        send(w);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
}

/** `hip-engine sweep ...`: resolves to the exit code. */
export async function runSweepCommand(args: readonly string[], io: Io): Promise<number> {
  if (args[0] === 'merge') return merge(args.slice(1), io);
  const p = parse(args, {
    scenario: { type: 'string' },
    seeds: { type: 'string' },
    param: { type: 'string', multiple: true },
    shard: { type: 'string' },
    workers: { type: 'string' },
    out: { type: 'string' },
    list: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  });
  if (flag(p, 'help')) {
    io.out(SWEEP_HELP);
    return EXIT_OK;
  }
  if (flag(p, 'list')) {
    for (const [name, s] of Object.entries(SWEEP_SCENARIOS)) {
      io.out(`${name}: ${s.description}`);
      io.out(`  parameters: ${Object.entries(s.params).map(([k, v]) => `${k}=${String(v)}`).join(' ')}`);
    }
    return EXIT_OK;
  }
  const scenario = str(p, 'scenario');
  if (scenario === undefined || !Object.prototype.hasOwnProperty.call(SWEEP_SCENARIOS, scenario)) throw new UsageError(`--scenario expects one of ${Object.keys(SWEEP_SCENARIOS).join(', ')}`);
  const seedSpec = str(p, 'seeds');
  if (seedSpec === undefined) throw new UsageError('--seeds is required (for example --seeds 1-100)');
  const runs = shardRuns(sweepRuns({ scenario, seeds: parseSeeds(seedSpec), params: parseParams(strs(p, 'param'), scenario) }), parseShard(str(p, 'shard')));
  const workers = int(p, 'workers', Math.max(1, availableParallelism()), 0, 256);
  const out = str(p, 'out');
  const lines: string[] = [];
  await runSweepPool(runs, workers, (line) => {
    if (out === undefined) io.out(line);
    else lines.push(line);
  });
  if (out !== undefined) writeFileSync(out, lines.map((l) => `${l}\n`).join(''));
  io.err(`hip-engine sweep: ${runs.length} runs of ${scenario}${out !== undefined ? ` written to ${out}` : ''}`);
  return EXIT_OK;
}

function merge(args: readonly string[], io: Io): number {
  const p = parse(args, { json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, true);
  if (flag(p, 'help')) {
    io.out(SWEEP_HELP);
    return EXIT_OK;
  }
  if (p.positionals.length === 0) throw new UsageError('merge: name the output files of the shards');
  const all = [];
  for (const f of p.positionals) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8');
    } catch (e) {
      throw new RuntimeFailure(`merge: cannot read ${f}: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      all.push(...parseSweepLines(text));
    } catch (e) {
      throw new RuntimeFailure(`merge: ${f}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  let merged;
  try {
    merged = mergeSweep(all);
  } catch (e) {
    throw new RuntimeFailure(`merge: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (flag(p, 'json')) io.out(JSON.stringify(merged));
  else io.out(sweepTable(merged.rows).trimEnd());
  return EXIT_OK;
}
