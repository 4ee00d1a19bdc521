// Engine fuzz, fast size (engine-fuzz.ts explains inputs and oracle): 100,002 cases over six
// engines, in ESTABLISHED (both ends), I1-SENT, I2-SENT, R2-SENT and CLOSING. `npm run
// fuzz:engine` runs the same at 10 million (engine-fuzz.slow.test.ts).
import { describe, expect, it } from 'vitest';
import { TARGETS, buildTarget, fuzzTarget } from './engine-fuzz.js';

const PER_TARGET = 16_667;
const SEED = process.env.ENGINE_FUZZ_SEED ?? 'fast-1';

describe(`engine fuzz: ${PER_TARGET * TARGETS.length} cases (seed ${SEED})`, () => {
  for (const name of TARGETS) {
    it(`${name}: mutated, replayed (also from spoofed sources), foreign and random packets never throw and change no state, SA or locator`, () => {
      const t = buildTarget(name);
      const stateBefore = t.engine.associations().map((a) => a.state);
      const r = fuzzTarget(t, SEED, PER_TARGET);
      expect(r.cases).toBe(PER_TARGET);
      expect(t.engine.associations().map((a) => a.state)).toEqual(stateBefore);
      // Every input kind was exercised.
      for (const label of ['random', 'random-params', 'replay', 'foreign', 'foreign-rewritten']) expect(r.byLabel[label] ?? 0).toBeGreaterThan(0);
      // Answers are bounded: R1s for replayed I1s (rate-limited), R2s, ACKs and NOTIFYs again.
      const ratio = r.bytesOut / r.bytesIn;
      console.log(`engine-fuzz ${name}: ${r.cases} cases, ${r.bytesIn} bytes in, ${r.bytesOut} bytes out (${ratio.toFixed(3)} per byte in); drops ${JSON.stringify(r.drops)}`);
      expect(ratio).toBeLessThan(1);
    });
  }
});
