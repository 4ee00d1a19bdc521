// Changing the preferred locator (RFC 8047 §5.4, RFC 8046 §5.5), each
// case: the new preferred locator ACTIVE (1), UNVERIFIED (2), no preference at all (3), and
// DEPRECATED (4), with the data plane following.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { DEFAULT_POLICY, type EnginePolicy } from '../../src/engine/policy.js';
import { on, type SimHost } from '../../src/testing/index.js';
import type { ParamInit } from '../../src/wire/types.js';
import { establish } from './sim-helpers.js';
import { A1, A2, A3, B1, figure, hipMsgs, host, locs, mesh, mhSim, outPaths, ping, resignUpdate, switchableAnnounce, table } from './mobility-helpers.js';

/** A with A1 (preferred) and A2, both ACTIVE at B. */
function twoActive(s: number, policyB: Partial<EnginePolicy> = {}, policyA: Partial<EnginePolicy> = {}) {
  const sim = mhSim(s);
  const a = host(sim, 'A', { locators: [A1], policy: policyA });
  const b = host(sim, 'B', { locators: [B1], policy: policyB });
  mesh(sim, [A1, A2, A3], [B1]);
  establish(sim, a, b);
  a.setLocators([A1, A2]);
  sim.run(300);
  expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
  expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
  return { sim, a, b };
}

/** Rewrites the lifetime of one locator in `a`'s next LOCATOR_SET UPDATE (a peer with per-locator lifetimes). */
function shortLifetime(a: SimHost, b: SimHost, address: string, seconds: number) {
  return on({ kind: 'UPDATE', from: 'A', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true }, (_bytes, ctx) => ({
    replace: resignUpdate(a, b, ctx.packet!, ctx, (params) =>
      params.map((p): ParamInit => (p.kind === 'LOCATOR_SET' ? { ...p, locators: p.locators.map((l) => ('address' in l && formatLocator(l.address) === address ? { ...l, lifetime: seconds } : l)) } : p)),
    ),
  }), { times: 1 });
}

describe('RFC 8047 §5.4 · changing the preferred locator (RFC 8047 §5.4)', () => {
  it('RFC 8047 §5.4 · case 1: the new preferred locator is ACTIVE: the peer switches at once, a plain ACK answers', () => {
    const { sim, a, b } = twoActive(1301);
    const t0 = sim.trace.length;
    a.setLocators([A1, { address: A2, preferred: true }]);
    sim.run(15);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1', [A2]: 'ACTIVE t0 P' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    sim.run(100);
    expect(figure(sim, t0)).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ACK)']);
    expect(locs(hipMsgs(sim, t0)[0]!)).toEqual([`t1 ${A1}`, `t0 ${A2} P`]);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it('RFC 8047 §5.4 · case 2: the new preferred locator is UNVERIFIED: the peer checks it and keeps using the ACTIVE one until the check succeeds', () => {
    const { sim, a, b } = twoActive(1302);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2, { address: A3, preferred: true }]);
    sim.run(15);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1', [A2]: 'ACTIVE t0', [A3]: 'UNVERIFIED t0 P' });
    // "SHOULD use a different locator listed as ACTIVE until address verification completes".
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
    const during = ping(sim, a, b, 2, 4);
    expect(during.ba).toEqual({});
    sim.run(100);
    // The UPDATE came from A1, so the ACK goes back there and A3 gets its own check, answered
    // from A3 (RFC 8047 Figure 1, RFC 8046 §5.4).
    expect(figure(sim, t0)).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ACK)', 'B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)']);
    expect(hipMsgs(sim, t0).map((m) => `${m.src}>${m.dst}`)).toEqual([`${A1}>${B1}`, `${B1}>${A1}`, `${B1}>${A3}`, `${A3}>${B1}`]);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1', [A2]: 'ACTIVE t0', [A3]: 'ACTIVE t0 P' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A3}`]);
    // The packets sent during the check went to A1 (no credit used), the next ones to A3.
    const arrivedDuring = a.received.filter((r) => r.t > sim.now - 120 && r.t < sim.now - 90).map((r) => formatLocator(r.dst));
    expect(new Set(arrivedDuring)).toEqual(new Set([A1]));
    expect(b.stats().esp.drops['no-credit']).toBe(0);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A3}`]: 3 });
  });

  it('RFC 8047 §5.4 · case 3: the peer indicates no preference: the host keeps an ACTIVE address chosen by policy (the choosePeerLocator hook)', () => {
    const calls: string[][] = [];
    const noP: Partial<EnginePolicy> = { announce: (ctx) => DEFAULT_POLICY.announce(ctx).map((x) => ({ ...x, preferred: false })) };
    const lastActive: Partial<EnginePolicy> = {
      choosePeerLocator: ({ active }) => {
        calls.push(active.map((e) => formatLocator(e.locator)));
        return active[active.length - 1]!;
      },
    };
    const sw = switchableAnnounce();
    const { sim, a, b } = twoActive(1303, lastActive, sw.policy);
    const t0 = sim.trace.length;
    // A now announces both addresses without any P bit (its own policy changed).
    sw.use(noP.announce);
    a.setLocators([A2, A1]);
    sim.run(100);
    expect(locs(hipMsgs(sim, t0)[0]!)).toEqual([`t0 ${A2}`, `t1 ${A1}`]);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1', [A2]: 'ACTIVE t0' });
    // Both ACTIVE, none preferred: the hook was asked and its pick (the last ACTIVE) is used.
    expect(calls.at(-1)).toEqual([A1, A2]);
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it('RFC 8047 §5.4 · case 3 (default policy): the preferred address is reported failed (as ICMP would) with no new preference: an ACTIVE one is picked', () => {
    const { sim, a, b } = twoActive(1304);
    b.pathFailed(a, A1);
    expect(table(b, a)).toEqual({ [A1]: 'UNVERIFIED t1', [A2]: 'ACTIVE t0' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it('RFC 8047 §5.4 · case 4: the preferred locator becomes DEPRECATED (its lifetime ran out): a non-deprecated ACTIVE address takes over', () => {
    const { sim, a, b } = twoActive(1305);
    sim.intercept(shortLifetime(a, b, A1, 2));
    a.setLocators([{ address: A1, preferred: true }, A2, A3]);
    sim.run(200);
    const exp = b.locatorTable(a).find((e) => formatLocator(e.locator) === A1)!.expiresAt;
    expect(exp).toBeLessThan(sim.now + 2000);
    // A1 stays the preferred one until its lifetime ends...
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
    sim.run(2000);
    expect(table(b, a)[A1]).toBe('DEPRECATED t1 P');
    // ...then B selects a non-deprecated address (A2, ACTIVE) and continues.
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it('RFC 8047 §5.4 · case 4 with the only alternative UNVERIFIED: verification applies, data within credit meanwhile, then unlimited', () => {
    const sim = mhSim(1306);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    establish(sim, a, b);
    // Credit for B: A sends it 20 x 300 bytes.
    for (let i = 0; i < 20; i++) a.send(b, new Uint8Array(300));
    sim.run(50);
    // A announces A2 and gives A1 a 1 s lifetime; B's first two checks of A2 are lost.
    sim.intercept(shortLifetime(a, b, A1, 1));
    sim.intercept(on({ kind: 'UPDATE', from: 'B', where: (_x, c) => c.packet?.params.some((p) => p.kind === 'ECHO_REQUEST_SIGNED') === true }, 'drop', { times: 2 }));
    a.setLocators([A1, A2]);
    // B has the set 10 ms later; A1 expires 1 s after that.
    sim.run(1012);
    expect(table(b, a)).toEqual({ [A1]: 'DEPRECATED t1 P', [A2]: 'UNVERIFIED t0' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A2} credit`]);
    const credit = b.esp.credit(a.hit, sim.now);
    let sent = 0;
    let refused = 0;
    for (let i = 0; i < 40; i++) {
      const r = b.send(a, new Uint8Array(300));
      if (r.ok) sent += r.packet.bytes.length;
      else refused++;
    }
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(credit);
    expect(refused).toBeGreaterThan(0);
    // A later copy of the check gets through: A2 ACTIVE, sending no longer limited.
    sim.run(3000);
    expect(table(b, a)[A2]).toBe('ACTIVE t0');
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });
});
