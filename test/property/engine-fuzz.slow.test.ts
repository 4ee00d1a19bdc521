// Engine fuzz at scale (`npm run fuzz:engine`): the engine-fuzz.prop properties with 10 million
// cases (engine-fuzz.ts explains inputs and oracle).
//   FUZZ_CASES=<n>        total cases (default 10,000,000), split evenly over the six targets
//   ENGINE_FUZZ_SEED=<s>  seed label (default "slow-1"); a failure prints target, seed and case
import { describe, expect, it } from 'vitest';
import { TARGETS, buildTarget, fuzzTarget } from './engine-fuzz.js';

const TOTAL = process.env.FUZZ_CASES !== undefined ? Number(process.env.FUZZ_CASES) : 10_000_000;
const SEED = process.env.ENGINE_FUZZ_SEED ?? 'slow-1';
const PER_TARGET = Math.ceil(TOTAL / TARGETS.length);
console.log(`engine-fuzz: ${PER_TARGET * TARGETS.length} cases, seed ${SEED} (replay with ENGINE_FUZZ_SEED=${SEED} FUZZ_CASES=${TOTAL})`);

describe(`engine fuzz (${PER_TARGET * TARGETS.length} cases)`, () => {
  for (const name of TARGETS) {
    it(`${name}: no throw, no state, SA or locator change`, () => {
      const t = buildTarget(name);
      // Rebuilt every million cases so that time-dependent paths (R1 rotation, rate limits)
      // see fresh engines too.
      let done = 0;
      let bytesIn = 0;
      let bytesOut = 0;
      let round = 0;
      for (let tt = t; done < PER_TARGET; tt = buildTarget(name), round++) {
        const n = Math.min(1_000_000, PER_TARGET - done);
        const r = fuzzTarget(tt, `${SEED}/${round}`, n);
        done += r.cases;
        bytesIn += r.bytesIn;
        bytesOut += r.bytesOut;
      }
      console.log(`engine-fuzz ${name}: ${done} cases, ${bytesIn} bytes in, ${bytesOut} bytes out (${(bytesOut / bytesIn).toFixed(3)} per byte in)`);
      expect(done).toBe(PER_TARGET);
      expect(bytesOut / bytesIn).toBeLessThan(1);
    });
  }
});
