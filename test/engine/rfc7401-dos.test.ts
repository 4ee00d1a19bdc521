// Denial-of-service defences of the Responder (RFC 7401 §4.1.1, §6.7, §8).
//
// §4.1.1: "The Responder SHOULD use heuristics to determine when it is under a denial-of-service
// attack, and set the puzzle difficulty value #K appropriately." §8: "The Responder could
// increase the value of #K while under attack." §6.7: "An R1 packet sender MUST have a mechanism
// to rate-limit R1 packets sent to an address." §8: "the Responder SHOULD rate-limit the sending
// of R1 packets in general or SHOULD rate-limit the sending of R1 packets to a specific IP
// address." These tests count packets and drops, never time.
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import { nthLocator } from '../../src/testing/ip.js';
import { DEFAULT_CONFIG } from '../../src/engine/config.js';
import { engineInternals } from '../../src/engine/hip-engine.js';
import { fixHipChecksum } from '../../src/testing/intercept.js';
import { fastCrypto } from '../../src/testing/fast-crypto.js';
import { seededRandom } from '../../src/testing/rng.js';
import { encodePacket } from '../../src/wire/packet.js';
import type { HipPacket } from '../../src/wire/types.js';
import type { Locator } from '../../src/types.js';
import { Pair, LOC_A, LOC_B } from './pair.js';
import { dropsOf } from './helpers.js';

const fast = { crypto: fastCrypto() };

const SPOOF_BASE = parseLocator('2001:db8:ffff::');
const spoofed = (i: number): Locator => nthLocator(SPOOF_BASE, i);

/** A's I1, recorded, as an attacker (or a victim's spoofer) would replay it. */
function recordedI1(p: Pair): Uint8Array {
  p.filter = () => 'drop';
  p.connect('a');
  const i1 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I1');
  p.filter = () => 'pass';
  return i1 && i1.kind === 'transmit' ? i1.bytes : new Uint8Array(0);
}

/** Sends `bytes` to B from `src` at `now`; returns the transmits B sent back. */
function toB(p: Pair, bytes: Uint8Array, src: Locator, now: number): HipPacket[] {
  const mark = p.out.b.length;
  p.b.handle({ kind: 'datagram', bytes: fixHipChecksum(Uint8Array.from(bytes), src, LOC_B), src, dst: LOC_B }, now);
  p.filter = () => 'drop';
  p.drain('b');
  p.filter = () => 'pass';
  return p.out.b.slice(mark).flatMap((o) => (o.kind === 'transmit' ? [o.packet] : []));
}

describe('R1 rate limits (RFC 7401 §6.7, §8)', () => {
  it('a reflection flood at one victim address gets at most the per-source budget: burst + rate × time', () => {
    const p = new Pair({ extraA: fast, extraB: fast });
    const i1 = recordedI1(p);
    const victim = parseLocator('2001:db8::66');
    let r1s = 0;
    // 1000 I1s over 10 s, all "from" the victim.
    for (let i = 0; i < 1000; i++) r1s += toB(p, i1, victim, 10 * i).filter((x) => x.kind === 'R1').length;
    const bound = DEFAULT_CONFIG.r1PerSourceBurst + DEFAULT_CONFIG.r1PerSourcePerSecond * 10;
    expect(r1s).toBeLessThanOrEqual(bound);
    expect(r1s).toBeGreaterThanOrEqual(bound - 1);
    expect(p.b.stats().drops['rate-limited']).toBe(1000 - r1s);
  });

  it('a flood from many spoofed addresses gets at most the engine-wide budget; per-source state stays fixed', () => {
    const p = new Pair({ extraA: fast, extraB: fast });
    const i1 = recordedI1(p);
    let r1s = 0;
    // 6000 I1s in 2 s, each from a new address.
    for (let i = 0; i < 6000; i++) r1s += toB(p, i1, spoofed(i), i / 3).filter((x) => x.kind === 'R1').length;
    const bound = DEFAULT_CONFIG.r1Burst + DEFAULT_CONFIG.r1PerSecond * 2;
    expect(r1s).toBeLessThanOrEqual(bound);
    expect(r1s).toBeGreaterThanOrEqual(bound - 1);
    const limiter = (engineInternals(p.b) as unknown as { r1PerSource: { slots: number } }).r1PerSource;
    expect(limiter.slots).toBe(DEFAULT_CONFIG.r1SourceSlots);
  });

  it('a legitimate Initiator retransmitting its I1 gets an R1 for each, and completes', () => {
    const p = new Pair();
    let lost = 0;
    // The first four R1s are lost: the Initiator's I1 retransmissions (1, 2, 4, 8 s) each get one.
    p.filter = (x) => (x.packet.kind === 'R1' && lost < 4 ? (lost++, 'drop') : 'pass');
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED', 60_000);
    expect(p.log.filter((l) => l.from === 'b' && l.kind === 'R1')).toHaveLength(5);
    expect(dropsOf(p, 'b')).not.toContain('rate-limited');
  });

  it('the per-source budget is a policy hook, and the engine keeps it finite (the MUST of §6.7)', () => {
    const p = new Pair({ extraA: fast, extraB: { ...fast, policy: { r1SourceBudget: () => ({ perSecond: Infinity, burst: Infinity }) } } });
    const i1 = recordedI1(p);
    let r1s = 0;
    for (let i = 0; i < 3000; i++) r1s += toB(p, i1, LOC_A, i).filter((x) => x.kind === 'R1').length;
    // An infinite answer is capped at the engine-wide budget, which applies anyway: 3 s of it.
    const bound = DEFAULT_CONFIG.r1Burst + DEFAULT_CONFIG.r1PerSecond * 3;
    expect(r1s).toBeLessThanOrEqual(bound);
    expect(r1s).toBeGreaterThanOrEqual(bound - 1);
    const generous = new Pair({ extraA: fast, extraB: { ...fast, policy: { r1SourceBudget: () => ({ perSecond: 100, burst: 100 }) } } });
    const j1 = recordedI1(generous);
    let more = 0;
    for (let i = 0; i < 300; i++) more += toB(generous, j1, LOC_A, i).filter((x) => x.kind === 'R1').length;
    expect(more).toBe(100 + 29);
  });
});

describe('R1 limit configuration is validated once, naming the field', () => {
  for (const [field, value] of [
    ['r1PerSecond', 0],
    ['r1PerSourcePerSecond', Infinity],
    ['r1Burst', 0],
    ['r1PerSourceBurst', -1],
    ['r1SourceSlots', 0],
  ] as const) {
    it(`config.${field} = ${value} is a RangeError`, () => {
      expect(() => new Pair({ configB: { [field]: value } })).toThrow(RangeError);
      expect(() => new Pair({ configB: { [field]: value } })).toThrow(`config.${field}`);
    });
  }
});

describe('puzzle difficulty under an I2 flood (RFC 7401 §4.1.1, §8)', () => {
  /**
   * An attacker with the Initiator's recorded I2 sends copies with a random #J, fetching a fresh
   * R1 every 50 I2s (one I1) and answering its K and #I: the best a puzzle-less attacker can do.
   */
  function flood(p: Pair, i1: Uint8Array, template: HipPacket, from: number, n: number, ratePerS: number) {
    const random = seededRandom('dos-test-j');
    let puzzle = { k: 0, randomI: new Uint8Array(0), opaque: 0 };
    const ks: number[] = [];
    let reachedDh = 0;
    const afterDh = ['bad-mac', 'bad-signature', 'decrypt-failed', 'hit-mismatch', 'bad-dh-public', 'bad-esp-info'];
    for (let i = 0; i < n; i++) {
      const now = from + (1000 * i) / ratePerS;
      if (i % 50 === 0) {
        const r1 = toB(p, i1, LOC_A, now).find((x) => x.kind === 'R1');
        const pz = r1?.params.find((q) => q.kind === 'PUZZLE');
        if (pz && pz.kind === 'PUZZLE') puzzle = { k: pz.k, randomI: Uint8Array.from(pz.randomI), opaque: pz.opaque };
        ks.push(puzzle.k);
      }
      const bytes = encodePacket(
        { ...template, params: template.params.map((q) => (q.kind === 'SOLUTION' ? { ...q, k: puzzle.k, opaque: puzzle.opaque, randomI: puzzle.randomI, solutionJ: random(q.solutionJ.length) } : q)) },
        { src: LOC_A, dst: LOC_B },
      );
      const before = p.b.stats().drops;
      toB(p, bytes, LOC_A, now);
      const after = p.b.stats().drops;
      if (afterDh.some((r) => (after[r as keyof typeof after] ?? 0) > (before[r as keyof typeof before] ?? 0))) reachedDh++;
    }
    return { reachedDh, ks };
  }

  function attackerSetup() {
    // A generous R1 budget for the attacker's own address: this test is about the puzzle.
    const p = new Pair({ extraA: fast, extraB: { ...fast, policy: { r1SourceBudget: () => ({ perSecond: 500, burst: 500 }) } } });
    p.filter = (x) => (x.packet.kind === 'I2' ? 'drop' : 'pass');
    p.connect('a');
    p.run(50);
    const i1 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I1')!;
    const i2 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I2')!;
    p.filter = () => 'pass';
    return { p, i1: i1.kind === 'transmit' ? i1.bytes : new Uint8Array(0), i2: i2.kind === 'transmit' ? i2.packet : (undefined as never) };
  }

  it('K goes up once garbage I2s fail the puzzle, and under 1% of the flood then reaches Diffie-Hellman', () => {
    const { p, i1, i2 } = attackerSetup();
    // Detection: the first 100 I2s of a 500/s flood, at the configured K = 1.
    const start = flood(p, i1, i2, 1_000, 100, 500);
    expect(start.ks[0]).toBe(DEFAULT_CONFIG.puzzleK);
    // Sustained flood: 3000 more I2s.
    const sustained = flood(p, i1, i2, 1_200, 3000, 500);
    expect(Math.min(...sustained.ks)).toBeGreaterThanOrEqual(DEFAULT_CONFIG.puzzleK + 9);
    expect(sustained.reachedDh / 3000).toBeLessThan(0.01);
  });

  it('an I2 that answers an easier R1 from before the flood is refused at the puzzle, before any DH', () => {
    const { p, i1, i2 } = attackerSetup();
    // The genuine I2 answers a K = 1 puzzle; after a flood K is 10, and the I2 no longer passes.
    flood(p, i1, i2, 1_000, 200, 500);
    const puzzles = p.b.stats().drops['bad-puzzle'] ?? 0;
    const macs = p.b.stats().drops['bad-mac'] ?? 0;
    toB(p, encodePacket(i2, { src: LOC_A, dst: LOC_B }), LOC_A, 1_450);
    expect(p.b.stats().drops['bad-puzzle']).toBe(puzzles + 1);
    expect(p.b.stats().drops['bad-mac'] ?? 0).toBe(macs);
    expect(p.b.associations()).toEqual([]);
  });

  it('after the flood K decays back to the configured value; an Initiator completes at the raised K', () => {
    const { p, i1, i2 } = attackerSetup();
    flood(p, i1, i2, 1_000, 500, 500);
    const raised = toB(p, i1, LOC_A, 2_100).find((x) => x.kind === 'R1')!.params.find((q) => q.kind === 'PUZZLE');
    expect(raised && raised.kind === 'PUZZLE' && raised.k).toBe(DEFAULT_CONFIG.puzzleK + 9);
    // Right after the flood a legitimate Initiator (A, started afresh) solves the harder puzzle.
    const fresh = new Pair({ extraA: fast, extraB: fast });
    (p as unknown as { a: unknown }).a = fresh.a;
    p.now = 2_100;
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED', 10_000);
    const solution = p.log.filter((l) => l.from === 'a' && l.kind === 'I2').at(-1)?.packet.params.find((q) => q.kind === 'SOLUTION');
    expect(solution && solution.kind === 'SOLUTION' && solution.k).toBe(DEFAULT_CONFIG.puzzleK + 9);
    // A minute without failures: the rates decay (5 s half-life) under the thresholds.
    const later = toB(p, i1, LOC_A, 62_000).find((x) => x.kind === 'R1')!.params.find((q) => q.kind === 'PUZZLE');
    expect(later && later.kind === 'PUZZLE' && later.k).toBe(DEFAULT_CONFIG.puzzleK);
  });
});
