// Monte-Carlo sweep (docs/architecture.md, Tests; slow suite: `npm run test:slow`): the base exchange over
// links with loss from 0 to 50% and jitter from 0 to 500 ms, K seeds per cell, with the fast
// (insecure) provider so the sweep is about the protocol, not the crypto. Reports the success
// rate and the median time to establish per cell, and asserts thresholds.
import { describe, expect, it } from 'vitest';
import { Sim } from '../../src/testing/index.js';
import { A6, B6 } from './sim-helpers.js';

const K = Number(process.env['MC_SEEDS'] ?? 40);
const LOSS = [0, 0.1, 0.2, 0.3, 0.5];
const JITTER = [0, 100, 500];

describe('Monte-Carlo: base exchange under loss and jitter', () => {
  it(`establishes in nearly every run up to 30% loss (${K} seeds per cell)`, () => {
    const rows: string[] = [];
    const rate = new Map<string, number>();
    for (const loss of LOSS) {
      for (const jitterMs of JITTER) {
        let ok = 0;
        const times: number[] = [];
        for (let s = 0; s < K; s++) {
          const sim = new Sim({ seed: `mc/${loss}/${jitterMs}/${s}`, crypto: 'fast' });
          const config = { i1RetriesMax: 8, i2RetriesMax: 8 };
          const a = sim.host('A', { locators: [A6], config });
          const b = sim.host('B', { locators: [B6], config });
          sim.link(A6, B6, { latencyMs: 20, jitterMs, loss });
          sim.at(0, () => a.connect(b));
          sim.run(300_000);
          if (a.established(b)) {
            ok++;
            times.push(a.eventsOf('established')[0]!.t);
          }
        }
        times.sort((x, y) => x - y);
        const median = times.length ? times[times.length >> 1]! : NaN;
        rate.set(`${loss}/${jitterMs}`, ok / K);
        rows.push(`loss ${String(loss * 100).padStart(2)}%  jitter ${String(jitterMs).padStart(3)} ms  success ${((100 * ok) / K).toFixed(0).padStart(3)}%  median time to establish ${median.toFixed(0)} ms`);
      }
    }
    console.log(rows.join('\n'));
    for (const [cell, r] of rate) {
      const loss = Number(cell.split('/')[0]);
      if (loss <= 0.3) expect(r, cell).toBeGreaterThanOrEqual(0.95);
      else expect(r, cell).toBeGreaterThan(0.5);
    }
  });
});
