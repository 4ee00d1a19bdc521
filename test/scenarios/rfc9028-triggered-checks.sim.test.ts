// Triggered checks (RFC 9028 §4.6.2: "triggered-check queues MUST be followed as specified in
// Section 6.1 of [RFC8445]"; RFC 8445 §7.3.1.4) across two filtering NATs. Both hosts sit behind
// NATs with endpoint-independent mapping and address-and-port-dependent filtering (RFC 4787 §4.1,
// §5, "port-restricted"), register with a public Control Relay Server (§4.1) and run the base
// exchange through it (§4.5). The Initiator's checks to the Responder's server-reflexive
// candidate are filtered at the Responder's NAT, which has sent nothing toward the Initiator yet.
// The Responder's own check to the Initiator's server-reflexive candidate crosses the
// Initiator's NAT (the same mapping the Initiator's checks left from) and, on its way out,
// opens the Responder's NAT; the check the Initiator then triggers for that pair gets through
// and is answered, and the Initiator nominates it (§4.6.3). With the Responder behind a
// symmetric NAT instead, its check leaves from a mapping it never announced, and the Initiator's
// triggered check goes to that peer-reflexive candidate.
//
// The Responder starts its checks one Ta after its R2, still in R2-SENT (RFC 9028 §4.6: "the
// Initiator and Responder MUST start the connectivity checks"; §4.6.1 Figure 5), since no packet
// of the Initiator can reach it before its own check opens its NAT; the answer to that check is
// the first packet of the Initiator it gets, and moves it to ESTABLISHED (RFC 7401 §4.4.3
// Table 5). The Initiator's list never fails first. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { ADDR, NAT_EI, NAT_PORT_RESTRICTED, NAT_SYMMETRIC, mappedPortToward, text, traceText, twoNatsWorld } from './nat-helpers.js';

describe('RFC 9028 §4.6.2 · triggered checks (RFC 8445 §7.3.1.4) across filtering NATs (RFC 4787 §5)', () => {
  it('both hosts behind port-restricted NATs: the Responder\'s check, sent from R2-SENT one Ta after its R2 (RFC 9028 §4.6 MUST), opens its NAT, the Initiator\'s checks cross it, the Responder is ESTABLISHED within a few Ta, no nat-checks-failed, and the direct NAT-to-NAT pair is nominated; ESP flows on it', () => {
    const w = twoNatsWorld(9501, NAT_PORT_RESTRICTED, NAT_PORT_RESTRICTED, { traceParams: true });
    const { sim, a, b, natA, natB, assoc } = w;
    sim.runUntil(() => a.eventsOf('nat-path').some((e) => e.assoc === assoc), { maxTimeMs: 60_000 });
    const bAssoc = b.association(a)!.id;
    const srflxA = mappedPortToward(natA, sim.now, ADDR.RELAY)!;
    const srflxB = mappedPortToward(natB, sim.now, ADDR.RELAY)!;
    // Endpoint-independent mapping: one mapping per host, toward the relay and the peer alike.
    expect(natA.mappings(sim.now)).toHaveLength(1);
    expect(natB.mappings(sim.now)).toHaveLength(1);
    // The Initiator's list never failed: no nat-checks-failed before the path.
    expect(a.eventsOf('nat-checks-failed')).toEqual([]);
    const ta = a.association(b)!.natTraversal!.taMs;
    // B's first check to A's server-reflexive candidate (trace records of sends carry the
    // parameters) arrived at A, from B's mapping...
    const isCheck = (r: (typeof sim.trace.records)[number]) => r.kind === 'UPDATE' && (r.fields?.['params'] as string[] | undefined)?.includes('CANDIDATE_PRIORITY') === true;
    const bCheck = sim.trace.records.find((r) => r.host === 'B' && r.dir === 'send' && isCheck(r) && traceText(r.fields?.['dst']) === ADDR.NAT_A);
    expect(bCheck).toBeDefined();
    expect(bCheck!.fields?.['dport']).toBe(srflxA);
    // ...while B was still R2-SENT (nothing of A had reached it), within a few Ta of the
    // exchange, and B became ESTABLISHED on A's answer long before the Exchange Complete
    // timeout (r2SentTimeoutMs) would have made it.
    const exchangeAt = a.eventsOf('established').find((e) => e.assoc === assoc)!.t;
    const bEstablished = b.eventsOf('established').find((e) => e.assoc === bAssoc)!.t;
    expect(bCheck!.t).toBeLessThan(bEstablished);
    expect(bCheck!.t - exchangeAt).toBeLessThanOrEqual(10 * ta);
    expect(bEstablished - exchangeAt).toBeLessThan(20 * ta);
    expect(bEstablished - exchangeAt).toBeLessThan(b.engine.config.r2SentTimeoutMs / 10);
    const atA = sim.trace.records.find((r) => r.host === 'A' && r.dir === 'recv' && r.kind === 'UPDATE' && r.t >= bCheck!.t && traceText(r.fields?.['src']) === ADDR.NAT_B);
    expect(atA).toBeDefined();
    expect(atA!.fields?.['sport']).toBe(srflxB);
    // ...and A's checks to B's mapping, sent or retransmitted once B's check had opened B's NAT
    // toward A's (§4.6.1 Figure 5), crossed it: B got them from A's mapping. The check of that
    // pair is already under way at A, so no triggered one is needed (RFC 8445 §7.3.1.4: an
    // In-Progress pair keeps its check).
    const crossed = sim.trace.records.filter((r) => r.host === 'B' && r.dir === 'recv' && r.kind === 'UPDATE' && r.t > bCheck!.t && traceText(r.fields?.['src']) === ADDR.NAT_A);
    expect(crossed.length).toBeGreaterThan(0);
    expect(crossed[0]!.fields?.['sport']).toBe(srflxA);
    // The nominated pair: NAT to NAT, each side's server-reflexive transport address.
    const pa = a.eventsOf('nat-path').find((e) => e.assoc === assoc)!;
    expect([formatLocator(pa.src), formatLocator(pa.dst), pa.dstPort, pa.kind]).toEqual([ADDR.A, ADDR.NAT_B, srflxB, 'srflx']);
    sim.runUntil(() => b.eventsOf('nat-path').some((e) => e.assoc === bAssoc), { maxTimeMs: 5_000 });
    const pb = b.eventsOf('nat-path').find((e) => e.assoc === bAssoc)!;
    expect([formatLocator(pb.src), formatLocator(pb.dst), pb.dstPort]).toEqual([ADDR.B, ADDR.NAT_A, srflxA]);
    // ESP both ways on that pair.
    for (let k = 0; k < 3; k++) {
      expect(a.send(b, text(`a${k}`)).ok).toBe(true);
      expect(b.send(a, text(`b${k}`)).ok).toBe(true);
    }
    sim.run(500);
    expect(Object.entries(b.receivedByPath(a)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_A}>${ADDR.B}`, 3]]);
    expect(Object.entries(a.receivedByPath(b)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_B}>${ADDR.A}`, 3]]);
  });

  it('the Responder behind a symmetric NAT, the Initiator behind an endpoint-independent one: the Responder\'s check leaves from a new mapping, the Initiator learns it as a peer-reflexive candidate (RFC 8445 §7.3.1.3) and its triggered check there is the pair it nominates', () => {
    const w = twoNatsWorld(9502, NAT_EI, NAT_SYMMETRIC);
    const { sim, a, b, natB, assoc } = w;
    sim.runUntil(() => a.eventsOf('nat-path').some((e) => e.assoc === assoc), { maxTimeMs: 60_000 });
    // B's symmetric NAT: one mapping toward the relay (B's server-reflexive candidate) and
    // another, never announced, for B's check toward A's NAT.
    const srflxB = mappedPortToward(natB, sim.now, ADDR.RELAY)!;
    const towardA = mappedPortToward(natB, sim.now, ADDR.NAT_A)!;
    expect(towardA).toBeDefined();
    expect(towardA).not.toBe(srflxB);
    const pa = a.eventsOf('nat-path').find((e) => e.assoc === assoc)!;
    expect([formatLocator(pa.src), formatLocator(pa.dst), pa.dstPort, pa.kind]).toEqual([ADDR.A, ADDR.NAT_B, towardA, 'prflx']);
    const bAssoc = b.association(a)!.id;
    sim.runUntil(() => b.eventsOf('nat-path').some((e) => e.assoc === bAssoc), { maxTimeMs: 5_000 });
    for (let k = 0; k < 3; k++) {
      expect(a.send(b, text(`a${k}`)).ok).toBe(true);
      expect(b.send(a, text(`b${k}`)).ok).toBe(true);
    }
    sim.run(500);
    expect(Object.entries(b.receivedByPath(a)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_A}>${ADDR.B}`, 3]]);
    expect(Object.entries(a.receivedByPath(b)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_B}>${ADDR.A}`, 3]]);
    const aOut = a.sas.filter((x) => x.direction === 'out' && formatLocator(x.dst) === ADDR.NAT_B);
    expect(aOut.map((x) => x.udp?.dstPort)).toEqual([towardA]);
  });
});
