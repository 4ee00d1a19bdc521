// Security of registration and rendezvous (RFC 8003 §6, RFC 8004 §5, RFC 8046 §3.2.3): a
// registration only inside an authenticated association, RVS_HMAC checked on everything relayed,
// and bad input from any side dropped and counted, with no state change.
import { describe, expect, it } from 'vitest';
import { A1, A2, B1, B2, hipMsgs, host, mesh, mhSim } from './mobility-helpers.js';
import { connectVia, registerRendezvous, rvsHost, tamperParam, type Sim } from '../../src/testing/index.js';
import { contactThroughRvs, twoClients } from './rvs-helpers.js';
import { parseLocator } from '../../src/addr/locator.js';
import { encodePacket } from '../../src/wire/packet.js';
import type { ParamInit } from '../../src/wire/types.js';

/** Flips a bit inside the RVS_HMAC and fixes the checksum, so only the HMAC check can refuse it. */
const tamperRvsHmac = tamperParam('RVS_HMAC');

const S = '2001:db8:30::1';

/** Initiator I, responder R, and an RVS that R may register with (not registered yet). */
function trio(sim: Sim): { i: ReturnType<typeof host>; r: ReturnType<typeof host>; rvs: ReturnType<typeof host> } {
  const i = host(sim, 'I', { locators: [A1] });
  const r = host(sim, 'R', { locators: [B1] });
  const rvs = rvsHost(sim, 'RVS', { locators: [S], clients: [r] });
  mesh(sim, [A1], [B1, S]);
  mesh(sim, [B1], [S]);
  return { i, r, rvs };
}

describe('RFC 8003 §6 / RFC 8004 §5 security of registration and rendezvous', () => {
  it('RFC 8003 §6 · a REG_REQUEST in an I1 (not authenticated) registers nothing: the RVS then relays nothing for that HIT', () => {
    const sim = mhSim(8501);
    const { i, r, rvs } = trio(sim);
    // R's I1 to the RVS carries a REG_REQUEST; R itself asks for nothing in its I2.
    sim.intercept((_bytes, ctx) => {
      if (ctx.from !== 'R' || ctx.kind !== 'I1' || !ctx.packet) return 'pass';
      const list = [...ctx.packet.params, { kind: 'REG_REQUEST', lifetime: 120, regTypes: [1] }] as unknown as ParamInit[];
      list.sort((x, y) => ((x as { type?: number }).type ?? 932) - ((y as { type?: number }).type ?? 932));
      return { replace: encodePacket({ kind: 'I1', senderHit: ctx.packet.senderHit, receiverHit: ctx.packet.receiverHit, params: list }, { src: ctx.src, dst: ctx.dst }) };
    });
    r.connect(rvs);
    sim.runUntil(() => r.established(rvs), { maxTimeMs: 10_000 });
    sim.run(200);
    expect(rvs.eventsOf('registered')).toEqual([]);
    const t0 = sim.trace.length;
    connectVia(sim, i, r, S);
    sim.run(500);
    expect(rvs.engine.stats().drops['unknown-hit']).toBeGreaterThanOrEqual(1);
    expect(hipMsgs(sim, t0).some((m) => m.from === 'RVS')).toBe(false);
  });

  it('RFC 8004 §4.2.1 / RFC 8046 §3.2.3 · a relayed UPDATE with a bad RVS_HMAC is dropped and counted by the receiver, and changes nothing', () => {
    const sim = mhSim(8502);
    const w = twoClients(sim);
    const { a, b } = w;
    contactThroughRvs(sim, w, false);
    // Everything the RVS relays to B is altered inside the RVS_HMAC (checksum fixed up).
    sim.intercept((bytes, ctx) => {
      if (ctx.from !== 'RVS' || ctx.kind !== 'UPDATE' || !ctx.packet?.params.some((p) => p.kind === 'FROM')) return 'pass';
      return tamperRvsHmac(bytes, ctx);
    });
    // A knows B's RVS from the R1's VIA_RVS; only A's UPDATEs go through the RVS here.
    a.moveLocator(A1, A2);
    b.moveLocator(B1, B2);
    sim.run(5000);
    expect(b.engine.stats().drops['bad-rvs-hmac']).toBeGreaterThanOrEqual(1);
    // Neither side learned the other's new address from the rejected UPDATEs.
    expect(b.association(a)!.peerLocator).toEqual(parseLocator(A1));
    expect(a.association(b)!.peerLocator).toEqual(parseLocator(B1));
  });

  it('RFC 8004 §4.3.2 · garbage for a registered client (a truncated I1) is dropped and counted by the RVS, never relayed', () => {
    const sim = mhSim(8503);
    const { i, r, rvs } = trio(sim);
    registerRendezvous(sim, r, rvs);
    sim.runUntil(() => r.eventsOf('registered').length > 0, { maxTimeMs: 10_000 });
    sim.intercept((bytes, ctx) => (ctx.from === 'I' && ctx.kind === 'I1' ? { replace: bytes.subarray(0, bytes.length - 8) } : 'pass'));
    const t0 = sim.trace.length;
    connectVia(sim, i, r, S);
    sim.run(300);
    expect(rvs.engine.stats().drops['decode']).toBeGreaterThanOrEqual(1);
    expect(hipMsgs(sim, t0).some((m) => m.from === 'RVS')).toBe(false);
  });
});
