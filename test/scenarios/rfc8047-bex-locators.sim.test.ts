// LOCATOR_SET in R1, I2 and R2 (RFC 8047 §4.2.8, Figures 4 and 5).
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '../../src/engine/policy.js';
import { A1, A2, A4, B1, B2, B4, figure, hipMsgs, host, locs, mesh, mhSim, outPaths, ping, table } from './mobility-helpers.js';
import { count } from './sim-helpers.js';

describe('RFC 8047 §4.2.8 · LOCATOR_SET in the base exchange (RFC 8047 §4.2.8)', () => {
  it('RFC 8047 §4.2.8 · RFC 8047 Figure 4: R1 with LOCATOR_SET; its preferred locator is ACTIVE at once, the I2 goes there, the R2 to the I2 source; the rest is checked later', () => {
    const sim = mhSim(1001);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1, { address: B2, preferred: true }] });
    mesh(sim, [A1], [B1, B2]);
    sim.at(0, () => a.connect({ hit: b.hit, locators: [B1] }));
    sim.runUntil(() => a.established(b));
    const bex = hipMsgs(sim).slice(0, 4);
    expect(figure(sim).slice(0, 4)).toEqual(['A>B I1', 'B>A R1(LOCATOR_SET)', 'A>B I2', 'B>A R2(LOCATOR_SET)']);
    const [i1, r1, i2, r2] = bex;
    expect([i1!.dst, r1!.src]).toEqual([B1, B1]);
    // R1: type 0 locators only (no SA exists yet), B2 preferred; protected by the R1 signature.
    expect(locs(r1!)).toEqual([`t0 ${B1}`, `t0 ${B2} P`]);
    // "it MUST send the I2 packet to the new preferred locator"; "R2 to the source address of the I2".
    expect([i2!.src, i2!.dst]).toEqual([A1, B2]);
    expect([r2!.src, r2!.dst]).toEqual([B2, A1]);
    // The preferred locator of the R1 is ACTIVE without a check; B1 (not preferred) must still be verified.
    expect(table(a, b)).toEqual({ [B2]: 'ACTIVE t1 P', [B1]: 'UNVERIFIED t0' });
    expect(outPaths(a, b)).toEqual([`${A1}>${B2}`]);
    a.send(b, Uint8Array.of(1));
    sim.run(300);
    expect(figure(sim, bex.at(-1)!.i + 1)).toEqual(['A>B UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', 'B>A UPDATE(ACK,ECHO_RESPONSE)']);
    expect(hipMsgs(sim, bex.at(-1)!.i + 1)[0]!.dst).toBe(B1);
    expect(table(a, b)).toEqual({ [B2]: 'ACTIVE t1 P', [B1]: 'ACTIVE t0' });
    // ESP follows the preferred locator.
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A1}>${B2}`]: 3 }, ba: { [`${B2}>${A1}`]: 3 } });
  });

  it('RFC 8047 §4.2.8 · an R1 LOCATOR_SET without P bits: the exchange goes on as normal, every R1 address UNVERIFIED until checked', () => {
    const sim = mhSim(1002);
    const a = host(sim, 'A', { locators: [A1] });
    const noPreference = { announce: (ctx: Parameters<typeof DEFAULT_POLICY.announce>[0]) => DEFAULT_POLICY.announce(ctx).map((x) => ({ ...x, preferred: false })) };
    const b = host(sim, 'B', { locators: [B1, B2], policy: noPreference });
    mesh(sim, [A1], [B1, B2]);
    sim.at(0, () => a.connect({ hit: b.hit, locators: [B1] }));
    sim.runUntil(() => a.established(b));
    const [, r1, i2] = hipMsgs(sim);
    expect(locs(r1!)).toEqual([`t0 ${B1}`, `t0 ${B2}`]);
    expect(i2!.dst).toBe(B1);
    // B1 is the address the exchange used (ACTIVE, RFC 8046 §5.1); B2 is new: UNVERIFIED.
    expect(table(a, b)).toEqual({ [B1]: 'ACTIVE t1 P', [B2]: 'UNVERIFIED t0' });
    sim.run(300);
    expect(table(a, b)).toEqual({ [B1]: 'ACTIVE t1 P', [B2]: 'ACTIVE t0' });
  });

  it('RFC 8047 §4.2.8 · RFC 8047 Figure 5: I2 with LOCATOR_SET, its source preferred; the R2 goes to the I2 source; the other address is verified before use', () => {
    const sim = mhSim(1003);
    const a = host(sim, 'A', { locators: [A1, A2] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b));
    const bex = hipMsgs(sim);
    expect(figure(sim)).toEqual(['A>B I1', 'B>A R1', 'A>B I2(LOCATOR_SET)', 'B>A R2']);
    const i2 = bex[2]!;
    expect([i2.src, i2.dst]).toEqual([A1, B1]);
    expect(locs(i2)).toEqual([`t0 ${A1} P`, `t0 ${A2}`]);
    expect([bex[3]!.src, bex[3]!.dst]).toEqual([B1, A1]);
    a.send(b, Uint8Array.of(1));
    sim.runUntil(() => b.established(a));
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'UNVERIFIED t0' });
    sim.run(300);
    expect(figure(sim, bex.at(-1)!.i + 1)).toEqual(['B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)']);
    expect(hipMsgs(sim, bex.at(-1)!.i + 1)[0]!.dst).toBe(A2);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
    // "the ESP traffic that subsequently follows should use the preferred locator".
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A1}>${B1}`]: 3 }, ba: { [`${B1}>${A1}`]: 3 } });
  });

  it('RFC 8047 §4.2.8 · the I2 comes from another Initiator address than the I1 (R1 prefers IPv4): the puzzle is not keyed on Initiator addresses, the BEX completes', () => {
    const sim = mhSim(1004);
    const a = host(sim, 'A', { locators: [A1, A4] });
    const v4Preferred = {
      announce: (ctx: Parameters<typeof DEFAULT_POLICY.announce>[0]) => DEFAULT_POLICY.announce(ctx).map((x) => ({ ...x, preferred: x.locator[10] === 0xff })),
    };
    const b = host(sim, 'B', { locators: [B1, B4], policy: v4Preferred });
    mesh(sim, [A1, A4], [B1, B4]);
    sim.at(0, () => a.connect({ hit: b.hit, locators: [B1] }));
    sim.runUntil(() => a.established(b));
    const [i1, r1, i2, r2] = hipMsgs(sim);
    expect([i1!.src, i1!.dst]).toEqual([A1, B1]);
    expect(locs(r1!)).toEqual([`t0 ${B1}`, `t0 ${B4} P`]);
    expect([i2!.src, i2!.dst]).toEqual([A4, B4]);
    expect([r2!.src, r2!.dst]).toEqual([B4, A4]);
    expect(b.engine.stats().drops['bad-puzzle'] ?? 0).toBe(0);
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A4}>${B4}`]: 3 }, ba: { [`${B4}>${A4}`]: 3 } });
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  it('RFC 8047 §4.2.8 · both hosts multihomed: R1, I2 and R2 all carry LOCATOR_SETs; every address learned this way ends ACTIVE after its check', () => {
    const sim = mhSim(1005);
    const a = host(sim, 'A', { locators: [A1, A2] });
    const b = host(sim, 'B', { locators: [B1, B2] });
    mesh(sim, [A1, A2], [B1, B2]);
    sim.at(0, () => a.connect({ hit: b.hit, locators: [B1] }));
    sim.runUntil(() => a.established(b));
    expect(figure(sim).slice(0, 4)).toEqual(['A>B I1', 'B>A R1(LOCATOR_SET)', 'A>B I2(LOCATOR_SET)', 'B>A R2(LOCATOR_SET)']);
    a.send(b, Uint8Array.of(1));
    sim.run(500);
    expect(table(a, b)).toEqual({ [B1]: 'ACTIVE t1 P', [B2]: 'ACTIVE t0' });
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
  });
});
