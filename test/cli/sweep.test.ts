// `hip-engine sweep` as a real process (compiled, so its worker threads load real .js files):
// the lines of a sweep on two worker threads equal the lines of its three shards run one by one
// on one thread ("the same seed gives the same line, whatever the sharding"), `sweep merge`
// makes the summary table from the shard files in any order, and bad arguments exit 2.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main as mainInProcess } from '../../src/cli/node/main.js';
import { runSweepLine, sweepRuns } from '../../src/testing/index.js';
import { buildCli } from './build.js';

let main = '';
let tmp = '';
beforeAll(() => {
  main = buildCli('hip-engine-cli-sweep-test');
  tmp = mkdtempSync(join(tmpdir(), 'hip-sweep-'));
}, 120_000);
afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

function cli(args: readonly string[]): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [main, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const ARGS = ['sweep', '--scenario', 'bex', '--seeds', '1-3,7', '--param', 'loss=0,0.25', '--param', 'latencyMs=5'];

describe('hip-engine sweep', () => {
  it('two worker threads, or three shards on one: the same lines; merge in any order gives one table', () => {
    const whole = cli([...ARGS, '--workers', '2']);
    expect(whole.err).toContain('sweep: 8 runs of bex');
    expect(whole.code).toBe(0);
    const lines = whole.out.trimEnd().split('\n');
    expect(lines).toHaveLength(8);
    expect(lines.map((l) => (JSON.parse(l) as { index: number }).index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // The in-process API gives the same bytes as the worker threads.
    expect(lines).toEqual(sweepRuns({ scenario: 'bex', seeds: [1, 2, 3, 7], params: { loss: [0, 0.25], latencyMs: [5] } }).map(runSweepLine));
    const files = [1, 2, 3].map((i) => {
      const f = join(tmp, `shard-${i}.jsonl`);
      const r = cli([...ARGS, '--workers', '1', '--shard', `${i}/3`, '--out', f]);
      expect(r.code).toBe(0);
      return f;
    });
    const sharded = files.flatMap((f) => readFileSync(f, 'utf8').trimEnd().split('\n'));
    expect([...sharded].sort()).toEqual([...lines].sort());
    const m1 = cli(['sweep', 'merge', ...files]);
    const m2 = cli(['sweep', 'merge', files[2]!, files[0]!, files[1]!]);
    expect(m1.code).toBe(0);
    expect(m2.out).toBe(m1.out);
    const rows = m1.out.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^\| crypto \| jitterMs \| latencyMs \| loss \| runs \| ok \| median establishMs/);
    expect(rows).toHaveLength(4);
    expect(rows[2]).toMatch(/^\| fast \| 0 \| 5 \| 0 \| 4 \| 100\.0% \| 20 \|/);
  }, 120_000);

  it('bad arguments exit 2 with a message', async () => {
    let err = '';
    const io = { out: () => {}, err: (l: string) => (err += `${l}\n`) };
    expect(await mainInProcess(['sweep', '--scenario', 'bex', '--seeds', '1', '--shard', '4/3'], io)).toBe(2);
    expect(err).toMatch(/--shard expects i\/N/);
    expect(await mainInProcess(['sweep', '--scenario', 'bex', '--seeds', 'x'], io)).toBe(2);
    expect(await mainInProcess(['sweep', '--scenario', 'bex', '--seeds', '1', '--param', 'nope=1'], io)).toBe(2);
    expect(err).toMatch(/has no parameter "nope"/);
    expect(await mainInProcess(['sweep', '--seeds', '1'], io)).toBe(2);
    let out = '';
    expect(await mainInProcess(['sweep', '--list'], { out: (l) => (out += `${l}\n`), err: () => {} })).toBe(0);
    expect(out).toMatch(/^bex: /m);
    expect(out).toMatch(/^mesh: /m);
  });
});
