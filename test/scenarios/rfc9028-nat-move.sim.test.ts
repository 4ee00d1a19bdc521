// RFC 9028 §4.9 end to end in the simulator: the mobility handover of an ICE-HIP-UDP
// association (the "ICE restart"). A registers with a Control Relay Server (§4.1) from behind
// NAT A; B, behind NAT B, reaches A through the relay (§4.5); the checks (§4.6) find the direct
// path and ESP flows on it. Then a host moves behind another NAT (RFC 4787 endpoint-independent
// boxes): it refreshes its relay registration to learn its new server-reflexive address, sends
// its candidates in UPDATE (Figure 6), both restart the checks after step 6, and ESP flows on the
// new pair, with loss bounded by the handover's round trips. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { param } from '../../src/wire/access.js';
import { REG_TYPE_RELAY_UDP_HIP } from '../../src/engine/reg-types.js';
import { Sim, type SimHost } from '../../src/testing/index.js';
import { seed } from './sim-helpers.js';
import { ADDR, connectViaRelay, natBox, natHost, newSim, registerRelay, relayHost, text, untext } from './nat-helpers.js';

const LATENCY = 10;
const INTERVAL = 100;
const B2 = '10.0.2.2';
const NAT_B2 = '198.51.100.9';

function world(s: number, config: { natRelayRefreshWaitMs?: number } = {}) {
  const sim = newSim(s);
  const boxA = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A], { mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  const boxA2 = natBox(sim, 'natA2', ADDR.NAT_A2, [ADDR.A2], { mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  const boxB = natBox(sim, 'natB', ADDR.NAT_B, [ADDR.B], { mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  const boxB2 = natBox(sim, 'natB2', NAT_B2, [B2], { mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  const a = natHost(sim, 'A', [ADDR.A], config);
  const b = natHost(sim, 'B', [ADDR.B], config);
  const r = relayHost(sim, [a]);
  for (const x of [ADDR.NAT_A, ADDR.NAT_A2, ADDR.NAT_B, NAT_B2]) sim.link(x, ADDR.RELAY, { latencyMs: LATENCY });
  for (const [x, y] of [
    [ADDR.NAT_A, ADDR.NAT_B],
    [ADDR.NAT_A2, ADDR.NAT_B],
    [ADDR.NAT_A, NAT_B2],
    [ADDR.NAT_A2, NAT_B2],
  ] as const)
    sim.link(x, y, { latencyMs: LATENCY });
  const relayAssoc = registerRelay(sim, a, r);
  sim.runUntil(() => a.eventsOf('server-reflexive').length > 0, { maxTimeMs: 10_000 });
  connectViaRelay(sim, b, a, r);
  sim.runUntil(() => a.eventsOf('nat-path').length > 0 && b.eventsOf('nat-path').length > 0, { maxTimeMs: 60_000 });
  return { sim, a, b, r, boxA, boxA2, boxB, boxB2, relayAssoc };
}

/** Both hosts send one numbered packet every INTERVAL ms from `start` for `count` rounds. */
function flow(sim: Sim, a: SimHost, b: SimHost, start: number, count: number): void {
  for (let i = 0; i < count; i++) {
    sim.at(start + i * INTERVAL, () => {
      a.send(b, text(`a${i}`));
      b.send(a, text(`b${i}`));
    });
  }
}

/** Every handover UPDATE (step 1: SEQ and ENCRYPTED, RFC 9028 §4.9) as its host sends it. */
function handoverUpdates(sim: Sim): { t: number; from: string; dst: string }[] {
  const out: { t: number; from: string; dst: string }[] = [];
  sim.intercept((_bytes, ctx) => {
    if (ctx.packet?.kind === 'UPDATE' && param(ctx.packet, 'ENCRYPTED') && param(ctx.packet, 'SEQ')) out.push({ t: ctx.now, from: ctx.from, dst: formatLocator(ctx.dst) });
    return 'pass';
  });
  return out;
}

const payloads = (h: SimHost, prefix: string): string[] => h.received.map((x) => untext(x.payload)).filter((p) => p.startsWith(prefix));

describe('RFC 9028 §4.9 · a host moving from behind one NAT to another', () => {
  it('the relay client moves behind NAT A2: relay refresh with the new REG_FROM (¶3), UPDATE with its candidates, checks, and ESP on the new pair with bounded loss', () => {
    const { sim, a, b, r, boxA2 } = world(9049);
    const steps1 = handoverUpdates(sim);
    const start = sim.now + 10;
    const rounds = 150;
    flow(sim, a, b, start, rounds);
    const moveAt = start + 20 * INTERVAL + 5;
    sim.at(moveAt, () => a.moveLocator(ADDR.A, ADDR.A2));
    sim.run(rounds * INTERVAL + 2_000);

    // ¶3: first the relay hears of the new locators; its answer tells A its new server-reflexive
    // address (NAT A2's mapping), before A's UPDATE to B leaves.
    const srflx = a.eventsOf('server-reflexive').filter((e) => e.t >= moveAt);
    expect(srflx).toHaveLength(1);
    expect(formatLocator(srflx[0]!.address)).toBe(ADDR.NAT_A2);
    expect(srflx[0]!.port).toBe(boxA2.mappings(sim.now)[0]!.external.port);
    expect(formatLocator(srflx[0]!.previous!.address)).toBe(ADDR.NAT_A);
    // Step 1 to B's address (B has no relay), once, after the relay's answer.
    expect(steps1.map((x) => `${x.from}>${x.dst}`)).toEqual([`A>${ADDR.NAT_B}`]);
    expect(steps1[0]!.t).toBeGreaterThanOrEqual(srflx[0]!.t);

    // Steps 7-8: the checks ran again and both ends use NAT A2's mapping.
    const pb = b.eventsOf('nat-path').filter((e) => e.t >= moveAt);
    const pa = a.eventsOf('nat-path').filter((e) => e.t >= moveAt);
    expect(pb).toHaveLength(1);
    expect(pa).toHaveLength(1);
    expect(formatLocator(pb[0]!.dst)).toBe(ADDR.NAT_A2);
    expect(formatLocator(pa[0]!.src)).toBe(ADDR.A2);
    expect(formatLocator(pa[0]!.dst)).toBe(ADDR.NAT_B);
    const bOut = b.sas.filter((s) => s.direction === 'out').at(-1)!;
    expect(formatLocator(bOut.dst)).toBe(ADDR.NAT_A2);

    // ESP flows on the new pair: B's packets reach A through NAT A2, and the last rounds of both
    // directions arrived.
    expect(Object.keys(a.receivedByPath(b))).toContain(`${ADDR.NAT_B}>${ADDR.A2}`);
    expect(payloads(a, 'b').at(-1)).toBe(`b${rounds - 1}`);
    expect(payloads(b, 'a').at(-1)).toBe(`a${rounds - 1}`);
    // Bounded loss: only what was sent between the move and the nomination, plus what was in
    // flight, can be lost, in either direction; everything sent after the nomination arrived.
    const done = Math.max(pb[0]!.t, pa[0]!.t);
    const bound = Math.ceil((done - moveAt + 2 * LATENCY) / INTERVAL) + 1;
    expect(rounds - payloads(a, 'b').length).toBeLessThanOrEqual(bound);
    expect(rounds - payloads(b, 'a').length).toBeLessThanOrEqual(bound);
    const sentAfter = Array.from({ length: rounds }, (_, i) => i).filter((i) => start + i * INTERVAL > done + LATENCY);
    expect(sentAfter.length).toBeGreaterThan(0);
    for (const i of sentAfter) expect(payloads(a, 'b')).toContain(`b${i}`);
    // The handover takes round trips and the checks (their unanswered pairs time out, RFC 7401
    // §6.11), far less than the two minutes of ¶3.
    expect(done - moveAt).toBeLessThan(15_000);
    // No new base exchange.
    expect(b.stats().engine.sent.I1).toBe(1);
    // The relay checked the transport address A's UPDATE came from (RFC 8046 §5.4 through NAT A2)
    // and relays to A there now.
    const atRelay = r.locatorTable(a).find((l) => formatLocator(l.locator) === ADDR.NAT_A2);
    expect(atRelay?.state).toBe('ACTIVE');
    expect(formatLocator(r.association(a)!.peerLocator)).toBe(ADDR.NAT_A2);
  });

  it('¶15 double jump: both hosts move at once; the UPDATEs cross through the Control Relay Server, the host whose step 1 went to the peer\'s old address sends it again where the peer\'s step 5 came from, and the checks find the new pair', () => {
    const { sim, a, b } = world(9054);
    const steps1 = handoverUpdates(sim);
    const t0 = sim.now;
    a.moveLocator(ADDR.A, ADDR.A2);
    b.moveLocator(ADDR.B, B2);
    sim.run(30_000);
    const pa = a.eventsOf('nat-path').filter((e) => e.t > t0);
    const pb = b.eventsOf('nat-path').filter((e) => e.t > t0);
    expect(pa.length).toBeGreaterThanOrEqual(1);
    expect(pb.length).toBeGreaterThanOrEqual(1);
    expect(formatLocator(pa.at(-1)!.dst)).toBe(NAT_B2);
    expect(formatLocator(pb.at(-1)!.dst)).toBe(ADDR.NAT_A2);
    expect(a.eventsOf('failed')).toEqual([]);
    expect(b.eventsOf('failed')).toEqual([]);
    // A's first step 1 went to B's old address; the one that got through went via the relay.
    expect(steps1.filter((x) => x.from === 'A').map((x) => x.dst)).toContain(ADDR.RELAY);
    for (let k = 0; k < 5; k++) {
      expect(a.send(b, new Uint8Array([1, k])).ok).toBe(true);
      expect(b.send(a, new Uint8Array([2, k])).ok).toBe(true);
    }
    sim.run(500);
    expect(b.receivedByPath(a)[`${ADDR.NAT_A2}>${B2}`]?.packets).toBe(5);
    expect(a.receivedByPath(b)[`${NAT_B2}>${ADDR.A2}`]?.packets).toBe(5);
  });

  it('Figure 6: B, which reached A through A\'s Control Relay Server, moves behind NAT B2 and sends its UPDATE via that relay (RELAY_FROM / RELAY_TO), the peer answering there', () => {
    const { sim, a, b, r } = world(9050);
    const steps1 = handoverUpdates(sim);
    const t0 = sim.now;
    const mark = sim.trace.records.length;
    b.moveLocator(ADDR.B, B2);
    sim.run(20_000);
    // Steps 1-2: B's UPDATE goes to A's relay (B's base exchange reached A through it, RFC 9028
    // §4.5), which forwards it to A's registered transport address.
    expect(steps1.map((x) => `${x.from}>${x.dst}`)).toEqual([`B>${ADDR.RELAY}`, `R>${ADDR.NAT_A}`]);
    const after = sim.trace.records.slice(mark);
    const at = (host: string, dir: string) => after.filter((x) => x.host === host && x.dir === dir && x.kind === 'UPDATE');
    // Steps 1-2: B's UPDATE goes to the relay, which forwards it to A; steps 3-4 and 5-6 the same.
    expect(at('B', 'send').some((x) => formatLocator((x.fields?.['dst'] as { loc: Uint8Array }).loc) === ADDR.RELAY)).toBe(true);
    expect(at('R', 'recv').length).toBeGreaterThanOrEqual(3);
    expect(at('R', 'send').length).toBeGreaterThanOrEqual(3);
    // Steps 7-8: new checks, the pair through NAT B2 nominated by B, the Initiator.
    const pa = a.eventsOf('nat-path').filter((e) => e.t > t0);
    const pb = b.eventsOf('nat-path').filter((e) => e.t > t0);
    expect(pa).toHaveLength(1);
    expect(pb).toHaveLength(1);
    expect(formatLocator(pa[0]!.dst)).toBe(NAT_B2);
    expect(formatLocator(pb[0]!.src)).toBe(B2);
    for (let k = 0; k < 5; k++) {
      expect(a.send(b, new Uint8Array([1, k])).ok).toBe(true);
      expect(b.send(a, new Uint8Array([2, k])).ok).toBe(true);
    }
    sim.run(500);
    expect(b.receivedByPath(a)[`${ADDR.NAT_A}>${B2}`]?.packets).toBe(5);
    expect(a.receivedByPath(b)[`${NAT_B2}>${ADDR.A}`]?.packets).toBe(5);
    expect(r.peekEngine().associations()).toHaveLength(1);
  });

  it('§4.8 "the Control Relay Client MUST always utilize the RELAY_TO parameter": A\'s step 3, lost once, is retransmitted through its relay too, and the handover completes', () => {
    const { sim, a, b } = world(9056);
    const t0 = sim.now;
    let dropped = 0;
    // Every copy of A's step 3 (an UPDATE with ECHO_REQUEST_SIGNED that is no check), by destination.
    const step3: string[] = [];
    // A's first step 3 (its UPDATE with ACK and ECHO_REQUEST_SIGNED to the relay) is lost.
    sim.intercept((_bytes, ctx) => {
      const p = ctx.packet;
      if (ctx.from === 'A' && p?.kind === 'UPDATE' && param(p, 'ECHO_REQUEST_SIGNED') && !param(p, 'CANDIDATE_PRIORITY') && ctx.now < 5_000 + t0) step3.push(formatLocator(ctx.dst));
      if (dropped === 0 && ctx.from === 'A' && formatLocator(ctx.dst) === ADDR.RELAY && p?.kind === 'UPDATE' && param(p, 'RELAY_TO') && param(p, 'ECHO_REQUEST_SIGNED') && param(p, 'ACK')) {
        dropped++;
        return 'drop';
      }
      return 'pass';
    });
    b.moveLocator(ADDR.B, B2);
    sim.run(20_000);
    expect(dropped).toBe(1);
    // The first copy and its retransmission both went to the relay, never straight to B's new NAT.
    expect(step3.length).toBeGreaterThanOrEqual(2);
    expect(step3.every((d) => d === ADDR.RELAY)).toBe(true);
    const pa = a.eventsOf('nat-path').filter((e) => e.t > t0);
    expect(pa).toHaveLength(1);
    expect(formatLocator(pa[0]!.dst)).toBe(NAT_B2);
    expect(b.eventsOf('failed')).toEqual([]);
  });

  it('§4.8: a NAT rebinding that changes REG_FROM is announced the same way: after a registration refresh (RFC 8003 §3.3) the peer is told the new server-reflexive candidate', () => {
    const { sim, a, b, boxA, relayAssoc } = world(9051);
    const t0 = sim.now;
    sim.rebindNat(boxA);
    const steps1 = handoverUpdates(sim);
    a.engine.register(relayAssoc, [REG_TYPE_RELAY_UDP_HIP], sim.now);
    sim.drainHost(a);
    sim.run(20_000);
    expect(steps1.map((x) => `${x.from}>${x.dst}`)).toEqual([`A>${ADDR.NAT_B}`]);
    const srflx = a.eventsOf('server-reflexive').filter((e) => e.t > t0);
    expect(srflx).toHaveLength(1);
    const port = srflx[0]!.port;
    expect(port).not.toBe(srflx[0]!.previous!.port);
    // B's table holds A's new server-reflexive candidate, verified by the restarted checks.
    const cand = b.locatorTable(a).find((l) => l.kind === 'srflx' && l.port === port);
    expect(cand).toBeDefined();
    expect(formatLocator(cand!.locator)).toBe(ADDR.NAT_A);
    expect(b.eventsOf('nat-path').filter((e) => e.t > t0).length).toBeGreaterThanOrEqual(1);
  });

  it('§7.7 "not possible to inject fake server-reflexive address candidates": the relay\'s old UPDATE with the old REG_FROM, replayed after the rebinding, changes nothing', () => {
    const { sim, a, r, boxA, relayAssoc } = world(9053);
    // Every UPDATE the relay sends A, as sent (its REG_FROM names A's mapping of the moment).
    const fromRelay: Uint8Array[] = [];
    sim.intercept((bytes, ctx) => {
      if (ctx.from === 'R' && ctx.kind === 'UPDATE') fromRelay.push(Uint8Array.from(bytes));
      return 'pass';
    });
    a.engine.register(relayAssoc, [REG_TYPE_RELAY_UDP_HIP], sim.now);
    sim.drainHost(a);
    sim.run(5_000);
    const old = fromRelay[0]!;
    expect(old).toBeDefined();
    sim.rebindNat(boxA);
    a.engine.register(relayAssoc, [REG_TYPE_RELAY_UDP_HIP], sim.now);
    sim.drainHost(a);
    sim.run(20_000);
    const t1 = sim.now;
    const srflxBefore = a.eventsOf('server-reflexive').length;
    const steps1 = handoverUpdates(sim);
    // The replay goes to A's current mapping, as an attacker on the path would send it.
    // (endpoint-independent mapping: one mapping for A's transport address, RFC 4787 REQ-1)
    const mapping = boxA.mappings(sim.now)[0]!;
    r.sendUdp(new Uint8Array([0, 0, 0, 0, ...old]), { dst: ADDR.NAT_A, dstPort: mapping.external.port });
    sim.run(20_000);
    expect(a.eventsOf('server-reflexive').length).toBe(srflxBefore);
    expect(steps1.filter((x) => x.t > t1)).toEqual([]);
  });

  it('¶3 "wait for all of them to respond for a configurable time": with the relay silent, the UPDATE to the peer leaves config.natRelayRefreshWaitMs after the move', () => {
    const wait = 3_000;
    const { sim, a } = world(9052, { natRelayRefreshWaitMs: wait });
    const steps1 = handoverUpdates(sim);
    // The relay hears nothing from A any more.
    sim.intercept((_bytes, ctx) => (ctx.from === 'A' && formatLocator(ctx.dst) === ADDR.RELAY ? 'drop' : 'pass'));
    const t0 = sim.now;
    a.moveLocator(ADDR.A, ADDR.A2);
    sim.run(wait + 2_000);
    // "and then continue with the handover procedure without information from the Relay Server
    // that did not respond".
    expect(steps1).toHaveLength(1);
    expect(steps1[0]!.t - t0).toBeGreaterThanOrEqual(wait);
    expect(steps1[0]!.t - t0).toBeLessThan(wait + 100);
  });
});
describe('RFC 9028 §4.9 with many peers: the announcement is a sweep, never a walk of all associations on one packet', () => {
  it('a changed REG_FROM is announced to 70 ICE-HIP-UDP peers in batches of at most 64 per engine timeout step, none while the relay\'s UPDATE is handled', () => {
    const sim = new Sim({ seed: seed(9055), crypto: 'fast' });
    const boxA = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A], { mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
    const a = natHost(sim, 'A', [ADDR.A]);
    const r = relayHost(sim, [a], { natTraversal: 'none' });
    sim.link(ADDR.NAT_A, ADDR.RELAY, { latencyMs: LATENCY });
    const peers: SimHost[] = [];
    for (let i = 0; i < 70; i++) {
      const addr = `198.18.${Math.floor(i / 200)}.${(i % 200) + 1}`;
      const p = natHost(sim, `P${i}`, [addr]);
      sim.link(ADDR.NAT_A, addr, { latencyMs: LATENCY });
      peers.push(p);
    }
    const relayAssoc = registerRelay(sim, a, r);
    for (const p of peers) a.connect(p, { udpPort: p.udpPort });
    sim.runUntil(() => peers.every((p) => p.eventsOf('nat-path').length > 0), { maxTimeMs: 120_000 });
    const steps1 = handoverUpdates(sim);
    const t0 = sim.now;
    sim.rebindNat(boxA);
    a.engine.register(relayAssoc, [REG_TYPE_RELAY_UDP_HIP], sim.now);
    sim.drainHost(a);
    sim.run(1_000);
    const [srflx] = a.eventsOf('server-reflexive').filter((e) => e.t > t0);
    expect(srflx).toBeDefined();
    const fromA = steps1.filter((x) => x.from === 'A');
    expect(new Set(fromA.map((x) => x.dst)).size).toBe(70);
    const byTime = new Map<number, number>();
    for (const x of fromA) byTime.set(x.t, (byTime.get(x.t) ?? 0) + 1);
    expect(byTime.has(srflx!.t)).toBe(false);
    expect([...byTime.values()].every((n) => n <= 64)).toBe(true);
    expect(byTime.size).toBeGreaterThanOrEqual(2);
  });
});
