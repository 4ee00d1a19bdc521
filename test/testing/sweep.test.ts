// The sweep API (hip-engine sweep): the expansion of a spec into runs, shards that partition
// them, lines that depend only on scenario, seed and parameters (so the same seed gives the same
// line whatever the sharding), and a merge that is independent of the order of the shards.
import { describe, expect, it } from 'vitest';
import { mergeSweep, parseSweepLines, runSweepLine, shardRuns, sweepRuns, sweepTable } from '../../src/testing/index.js';

const spec = { scenario: 'bex', seeds: [1, 2, 3], params: { loss: [0, 0.2], latencyMs: [5] } } as const;

describe('sweepRuns and shardRuns', () => {
  it('expands parameters in key order, values as given, then seeds; defaults fill the rest', () => {
    const runs = sweepRuns(spec);
    expect(runs.map((r) => [r.index, r.seed, r.params['loss']])).toEqual([
      [0, 1, 0],
      [1, 2, 0],
      [2, 3, 0],
      [3, 1, 0.2],
      [4, 2, 0.2],
      [5, 3, 0.2],
    ]);
    expect(runs[0]!.params).toEqual({ crypto: 'fast', jitterMs: 0, latencyMs: 5, loss: 0 });
  });

  it('the shards of i/N are disjoint and together hold every run', () => {
    const runs = sweepRuns(spec);
    const parts = [1, 2, 3, 4].map((i) => shardRuns(runs, { index: i, count: 4 }).map((r) => r.index));
    expect(parts.flat().sort((a, b) => a - b)).toEqual(runs.map((r) => r.index));
    expect(new Set(parts.flat()).size).toBe(runs.length);
  });

  it('rejects an unknown scenario or parameter and a bad shard', () => {
    expect(() => sweepRuns({ scenario: 'nope', seeds: [1] })).toThrow(/scenario/);
    expect(() => sweepRuns({ scenario: 'bex', seeds: [1], params: { lossy: [1] } })).toThrow(/no parameter "lossy"/);
    expect(() => sweepRuns({ scenario: 'bex', seeds: [] })).toThrow(/seeds/);
    expect(() => shardRuns([], { index: 3, count: 2 })).toThrow(/shard/);
  });
});

describe('lines and merge', () => {
  it('the same seed gives the same line whatever the sharding', () => {
    const runs = sweepRuns(spec);
    const whole = runs.map(runSweepLine);
    const sharded = [3, 1, 2].flatMap((i) => shardRuns(runs, { index: i, count: 3 }).map(runSweepLine));
    expect([...sharded].sort()).toEqual([...whole].sort());
    // Every line is the run's own: a rerun of one run alone gives the same bytes.
    expect(runSweepLine(runs[4]!)).toBe(whole[4]);
    const first = JSON.parse(whole[0]!) as { result: { ok: boolean; establishMs: number } };
    expect(first.result.ok).toBe(true);
    // RFC 7401 §4.1: the Initiator is ESTABLISHED when the R2 arrives, after I1, R1, I2 and R2
    // have each crossed the 5 ms link.
    expect(first.result.establishMs).toBe(20);
  });

  it('merging shards in any order gives the same rows; a run seen twice must be identical', () => {
    const runs = sweepRuns(spec);
    const lines = runs.map(runSweepLine);
    const a = mergeSweep(parseSweepLines(lines.join('\n')));
    const b = mergeSweep(parseSweepLines([...lines].reverse().join('\n') + '\n' + lines[0]));
    expect(b).toEqual(a);
    expect(a.rows.map((r) => [r.params['loss'], r.runs])).toEqual([
      [0, 3],
      [0.2, 3],
    ]);
    expect(a.rows[0]!.ok).toBe(3);
    expect(a.rows[0]!.medians['establishMs']).toBe(20);
    const table = sweepTable(a.rows);
    expect(table.split('\n')[0]).toBe('| crypto | jitterMs | latencyMs | loss | runs | ok | median establishMs | median i1Sent | median i2Sent | median hipSent | median espDelivered |');
    const other = lines[0]!.replace('"ok":true', '"ok":false');
    expect(() => mergeSweep(parseSweepLines(`${lines[0]}\n${other}`))).toThrow(/run 0 appears twice/);
    expect(() => parseSweepLines('{"x":1}')).toThrow(/line 1: not a sweep line/);
  });
});
