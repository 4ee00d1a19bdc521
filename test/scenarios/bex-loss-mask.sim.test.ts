// Exhaustive loss over the first six HIP packets of a base exchange (picoquic-style loss mask,
// docs/architecture.md, Simulator): bit i of the mask drops the i-th HIP packet sent, counted over both directions.
// 64 runs with fastCrypto (insecure, fast; the protocol logic is the same). Every run must end,
// either ESTABLISHED on both sides or with a `failed` event; never hang. Every run in which at
// least one copy of each of I1, R1, I2 and R2 got through must establish.
import { describe, expect, it } from 'vitest';
import { Sim, type SimPacketKind } from '../../src/testing/index.js';
import { A6, B6, seed } from './sim-helpers.js';

type Outcome = { mask: number; result: 'established' | 'failed'; passed: Set<SimPacketKind>; at: number };

function runMask(mask: number): Outcome {
  const sim = new Sim({ seed: seed(`loss-mask-${mask}`), crypto: 'fast' });
  const a = sim.host('A', { locators: [A6] });
  const b = sim.host('B', { locators: [B6] });
  sim.link(A6, B6, { latencyMs: 10 });
  let index = 0;
  const passed = new Set<SimPacketKind>();
  sim.intercept((_bytes, ctx) => {
    if (ctx.proto !== 'hip') return 'pass';
    const i = index++;
    if (i < 6 && ((mask >> i) & 1) === 1) return 'drop';
    passed.add(ctx.kind);
    return 'pass';
  });
  sim.at(0, () => a.connect(b));
  const failed = (): boolean => a.eventsOf('failed').length > 0 || b.eventsOf('failed').length > 0;
  sim.runUntil(() => a.established(b) || failed(), { maxTimeMs: 120_000, maxSteps: 5_000 });
  if (failed()) return { mask, result: 'failed', passed, at: sim.now };
  // The Responder leaves R2-SENT on the first ESP packet.
  expect(a.send(b, Uint8Array.of(mask)).ok).toBe(true);
  sim.runUntil(() => b.established(a) || failed(), { maxTimeMs: 120_000, maxSteps: 5_000 });
  expect(b.received.map((r) => r.payload)).toEqual([Uint8Array.of(mask)]);
  expect(sim.saProblems(a, b)).toEqual([]);
  // Nothing else goes wrong afterwards: let every timer run out.
  sim.run(60_000);
  expect(a.established(b) && b.established(a)).toBe(true);
  return { mask, result: 'established', passed, at: sim.now };
}

describe('BEX under an exhaustive loss mask over the first 6 packets', () => {
  it('all 64 masks end: established, or failed with an event; never hang', () => {
    const outcomes = Array.from({ length: 64 }, (_, mask) => runMask(mask));
    for (const o of outcomes) {
      const allThrough = (['I1', 'R1', 'I2', 'R2'] as const).every((k) => o.passed.has(k));
      if (allThrough) expect({ mask: o.mask, result: o.result }).toEqual({ mask: o.mask, result: 'established' });
      else expect({ mask: o.mask, result: o.result }).toEqual({ mask: o.mask, result: 'failed' });
    }
    // With I1_RETRIES_MAX = 4 there are five I1 rounds; the exchange fails exactly when every
    // round loses its I1 or its R1, which takes five drops among the first six packets.
    expect(outcomes.filter((o) => o.result === 'failed').map((o) => o.mask)).toEqual([31, 47, 55, 59, 61, 62, 63]);
    for (const o of outcomes.filter((x) => x.result === 'failed')) expect(o.passed.has('R1')).toBe(false);
  });
});
