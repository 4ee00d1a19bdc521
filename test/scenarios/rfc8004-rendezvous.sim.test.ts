// RFC 8004: a rendezvous server in the simulator. R registers with the RVS (§3.2), I reaches R
// knowing only R's HIT and the RVS address (§3.3, Figure 2), R moves and keeps the RVS up to date
// with an ordinary mobility UPDATE (RFC 8046 §3.2.3 last paragraph). Real crypto, real ESP.
import { describe, expect, it } from 'vitest';
import { hipMsgs, host, mesh, mhSim, ping, setPath, table } from './mobility-helpers.js';
import { connectVia, registerRendezvous, rvsHost, tamperParam, type Sim, type SimHost } from '../../src/testing/index.js';
import { REG_TYPE_RENDEZVOUS } from '../../src/engine/reg-types.js';
import { decodePacket, encodePacket } from '../../src/wire/packet.js';
import { params } from '../../src/wire/access.js';
import { formatLocator, parseLocator } from '../../src/addr/locator.js';
import type { ParamInit } from '../../src/wire/types.js';

const I1 = '2001:db8:10::1';
const R1 = '2001:db8:20::1';
const R2 = '2001:db8:21::1';
const S1 = '2001:db8:30::1';

type World = { sim: Sim; i: SimHost; r: SimHost; rvs: SimHost };

/** Flips a bit inside the RVS_HMAC and fixes the checksum, so only the HMAC check can refuse it. */
const tamperRvsHmac = tamperParam('RVS_HMAC');

/** I, R and the RVS, each reaching the others; R registered for RENDEZVOUS unless told. */
function world(s: number, opts: { register?: boolean; rvsConfig?: Parameters<typeof rvsHost>[2]['config']; rvsPolicy?: Parameters<typeof rvsHost>[2]['policy'] } = {}): World {
  const sim = mhSim(s);
  const i = host(sim, 'I', { locators: [I1] });
  const r = host(sim, 'R', { locators: [R1] });
  const rvs = rvsHost(sim, 'RVS', { locators: [S1], clients: [r], ...(opts.rvsConfig ? { config: opts.rvsConfig } : {}), ...(opts.rvsPolicy ? { policy: opts.rvsPolicy } : {}) });
  mesh(sim, [I1], [R1, R2, S1]);
  mesh(sim, [R1, R2], [S1]);
  if (opts.register !== false) {
    registerRendezvous(sim, r, rvs);
    sim.runUntil(() => r.eventsOf('registered').length > 0, { maxTimeMs: 10_000 });
  }
  return { sim, i, r, rvs };
}

describe('RFC 8004 §3.2 rendezvous client registration', () => {
  it('RFC 8004 §3.2 · R1(REG_INFO), I2(REG_REQ), R2(REG_RES): the client holds RENDEZVOUS with its RVS', () => {
    const { sim, r, rvs } = world(8401);
    const msgs = hipMsgs(sim);
    expect(msgs.map((m) => `${m.from}>${m.to} ${m.kind}`)).toEqual(['R>RVS I1', 'RVS>R R1', 'R>RVS I2', 'RVS>R R2']);
    expect(msgs[1]!.params).toContain('REG_INFO');
    expect(msgs[2]!.params).toContain('REG_REQUEST');
    expect(msgs[3]!.params).toContain('REG_RESPONSE');
    expect(r.eventsOf('registered')).toMatchObject([{ as: 'requester', regTypes: [REG_TYPE_RENDEZVOUS] }]);
    expect(rvs.eventsOf('registered')).toMatchObject([{ as: 'registrar', regTypes: [REG_TYPE_RENDEZVOUS] }]);
  });
});

describe('RFC 8004 §3.3 relaying the base exchange (Figure 2)', () => {
  it('RFC 8004 §3.3 · I1 to the RVS, relayed with FROM:I and RVS_HMAC; R1 straight to I with VIA_RVS; I2 and R2 direct', () => {
    const { sim, i, r, rvs } = world(8402);
    const t0 = sim.trace.length;
    const relayed: Uint8Array[] = [];
    const r1s: Uint8Array[] = [];
    sim.intercept((bytes, ctx) => {
      if (ctx.from === 'RVS' && ctx.kind === 'I1') relayed.push(bytes);
      if (ctx.from === 'R' && ctx.kind === 'R1') r1s.push(bytes);
      return 'pass';
    });
    connectVia(sim, i, r, S1);
    sim.runUntil(() => i.established(r), { maxTimeMs: 20_000 });
    const msgs = hipMsgs(sim, t0);
    expect(msgs.map((m) => `${m.from}>${m.to} ${m.kind} ${m.src}>${m.dst}`)).toEqual([
      `I>RVS I1 ${I1}>${S1}`,
      // §3.3: the RVS rewrites both addresses (source: its own, ingress filtering).
      `RVS>R I1 ${S1}>${R1}`,
      // "R then completes the base exchange without further assistance from RVS by sending an
      // R1 directly to the I's IP address".
      `R>I R1 ${R1}>${I1}`,
      `I>R I2 ${I1}>${R1}`,
      `R>I R2 ${R1}>${I1}`,
    ]);
    expect(msgs[1]!.params.slice(-2)).toEqual(['FROM', 'RVS_HMAC']);
    expect(msgs[2]!.params.at(-1)).toBe('VIA_RVS');
    // The relayed I1: FROM holds I's address, the checksum is recomputed for the new addresses
    // (§3.3 "it MUST recompute the checksum field"), and it decodes with the checksum checked.
    const pkt = decodePacket(relayed[0]!, { src: parseLocator(S1), dst: parseLocator(R1) });
    expect(pkt.ok).toBe(true);
    if (!pkt.ok) return;
    expect(params(pkt.packet, 'FROM').map((f) => formatLocator(f.address))).toEqual([I1]);
    // §4.3.3: the R1's VIA_RVS contains "the IP addresses of the traversed RVSs": S1 only.
    const r1 = decodePacket(r1s[0]!, { src: parseLocator(R1), dst: parseLocator(I1) });
    expect(r1.ok).toBe(true);
    if (!r1.ok) return;
    expect(params(r1.packet, 'VIA_RVS').map((v) => v.addresses.map((x) => formatLocator(x)))).toEqual([[S1]]);
    // One relayed I1 per I1 (no amplification) and no association at the RVS for I.
    expect(msgs.filter((m) => m.from === 'RVS').length).toBe(1);
    expect(rvs.association(i)).toBeUndefined();
    expect(i.association(r)!.peerLocator).toEqual(parseLocator(R1));
    expect(ping(sim, i, r).ab).toEqual({ [`${I1}>${R1}`]: 3 });
  });

  it('RFC 8004 §4.3.2 · an I1 with FROM and a bad RVS_HMAC is dropped by the client with its own reason', () => {
    const { sim, i, r } = world(8403);
    sim.intercept((bytes, ctx) => {
      if (ctx.from !== 'RVS' || ctx.kind !== 'I1') return 'pass';
      return tamperRvsHmac(bytes, ctx);
    });
    connectVia(sim, i, r, S1);
    sim.run(sim.now + 500);
    expect(r.engine.stats().drops['bad-rvs-hmac']).toBe(1);
    expect(hipMsgs(sim).some((m) => m.from === 'R' && m.kind === 'R1')).toBe(false);
  });

  it('RFC 8004 §4.3.2 · an I1 with FROM and no RVS_HMAC ("MUST be dropped"), even straight from an Initiator', () => {
    const { sim, i, r } = world(8404);
    // An Initiator that forges a FROM to have R answer a victim address.
    sim.intercept((bytes, ctx) => {
      if (ctx.from !== 'I' || ctx.kind !== 'I1' || !ctx.packet) return 'pass';
      const p = ctx.packet;
      const list = [...p.params, { kind: 'FROM', address: parseLocator('2001:db8:66::6') }] as unknown as ParamInit[];
      return { replace: encodePacket({ kind: 'I1', senderHit: p.senderHit, receiverHit: p.receiverHit, params: list }, { src: ctx.src, dst: ctx.dst }) };
    });
    i.connect({ hit: r.hit, locators: [R1] });
    sim.run(sim.now + 500);
    expect(r.engine.stats().drops['bad-rvs-hmac']).toBeGreaterThanOrEqual(1);
    expect(hipMsgs(sim).some((m) => m.from === 'R' && m.kind === 'R1')).toBe(false);
  });

  it('RFC 8004 §4.3.2 · an I1 for a HIT with no registration is dropped by the RVS, never relayed', () => {
    const { sim, i, r, rvs } = world(8405, { register: false });
    connectVia(sim, i, r, S1);
    sim.run(sim.now + 500);
    expect(rvs.engine.stats().drops['unknown-hit']).toBeGreaterThanOrEqual(1);
    expect(hipMsgs(sim).some((m) => m.from === 'RVS')).toBe(false);
  });

  it('RFC 8004 §5 · the RVS relays at most its budget per client; the rest is dropped and counted', () => {
    const { sim, r, rvs } = world(8406, { rvsConfig: { rvsRelayPerSecond: 1, rvsRelayBurst: 3 } });
    const others = [0, 1, 2, 3, 4, 5].map((n) => host(sim, `X${n}`, { locators: [`2001:db8:40::${n + 1}`] }));
    for (const x of others) mesh(sim, [formatLocator(x.locators[0]!)], [S1, R1]);
    const t0 = sim.trace.length;
    for (const x of others) connectVia(sim, x, r, S1);
    sim.run(sim.now + 50);
    expect(hipMsgs(sim, t0).filter((m) => m.from === 'RVS' && m.kind === 'I1').length).toBe(3);
    expect(rvs.engine.stats().drops['rate-limited']).toBe(3);
  });

  it('RFC 8004 §5 · the rate limit is a policy hook: rvsRelayBudget chooses a client\'s budget, never above the configured one', () => {
    // §5: "the RVS SHOULD rate-limit ... the amount of I1 packets it relays". The hook is asked
    // per client: here R gets a burst of 1; a hook asking for more than configured (burst 1000
    // with config burst 2) is held to the configured budget.
    for (const [hookBurst, expected] of [[1, 1], [1000, 2]] as const) {
      const seen: string[] = [];
      const { sim, r, rvs } = world(8407, {
        rvsConfig: { rvsRelayPerSecond: 1, rvsRelayBurst: 2 },
        rvsPolicy: {
          rvsRelayBudget: ({ client, configured }) => {
            seen.push(formatLocator(client));
            return { perSecond: configured.perSecond, burst: hookBurst };
          },
        },
      });
      const others = [0, 1, 2, 3].map((n) => host(sim, `X${n}`, { locators: [`2001:db8:41::${n + 1}`] }));
      for (const x of others) mesh(sim, [formatLocator(x.locators[0]!)], [S1, R1]);
      const t0 = sim.trace.length;
      for (const x of others) connectVia(sim, x, r, S1);
      sim.run(sim.now + 50);
      expect(hipMsgs(sim, t0).filter((m) => m.from === 'RVS' && m.kind === 'I1').length).toBe(expected);
      expect(rvs.engine.stats().drops['rate-limited']).toBe(4 - expected);
      // The hook saw the client it was deciding for (the budget is created once per client).
      expect(seen.length).toBeGreaterThan(0);
      expect(new Set(seen)).toEqual(new Set([formatLocator(r.hit)]));
    }
  });

  it('RFC 8004 §3.2 / RFC 8046 §3.2.3 · a client that moves updates its RVS like any peer, and is reached at its new address', () => {
    const { sim, i, r, rvs } = world(8407);
    r.moveLocator(R1, R2);
    sim.run(sim.now + 1000);
    expect(rvs.association(r)!.peerLocator).toEqual(parseLocator(R2));
    const t0 = sim.trace.length;
    connectVia(sim, i, r, S1);
    sim.runUntil(() => i.established(r), { maxTimeMs: 20_000 });
    const msgs = hipMsgs(sim, t0);
    expect(msgs[1]).toMatchObject({ from: 'RVS', kind: 'I1', dst: R2 });
    expect(msgs[2]).toMatchObject({ from: 'R', kind: 'R1', src: R2, dst: I1 });
    expect(msgs[3]).toMatchObject({ from: 'I', kind: 'I2', dst: R2 });
  });

  it('RFC 8004 §3.2 / RFC 8047 §4.2.3 · a multihomed client: the RVS learns both addresses, and after pathFailed on one it relays to the other', () => {
    const { sim, i, r, rvs } = world(8408);
    // R adds a second address: the RVS association gets it in a LOCATOR_SET UPDATE and checks
    // it (RFC 8047 §4.2.3 Figure 1), exactly as any peer does.
    r.setLocators([R1, R2]);
    sim.run(sim.now + 2000);
    expect(table(rvs, r)).toEqual({ [R1]: 'ACTIVE t1 P', [R2]: 'ACTIVE t0' });
    // The RVS's path to R1 breaks; the RVS's caller signals it (RFC 8047 §4.2.3): the client's
    // association moves to R2 with no new base exchange, and relayed I1s follow it.
    setPath(sim, S1, R1, false);
    rvs.pathFailed(r, R1);
    sim.run(sim.now + 100);
    expect(rvs.association(r)!.peerLocator).toEqual(parseLocator(R2));
    const t0 = sim.trace.length;
    connectVia(sim, i, r, S1);
    sim.runUntil(() => i.established(r), { maxTimeMs: 20_000 });
    const msgs = hipMsgs(sim, t0);
    expect(msgs[1]).toMatchObject({ from: 'RVS', kind: 'I1', dst: R2 });
    expect(rvs.eventsOf('registration-ended')).toEqual([]);
    expect(rvs.engine.associations().length).toBe(1);
  });
});
