// RFC 8046 §5.4-§5.6 address verification and credit-based authorization through a NAT
// (RFC 9028 §4.9: the mobility procedures of RFC 8046 run over UDP): the public peer B moves to a
// new address; A, behind an endpoint-independent NAT (RFC 4787 REQ-1, REQ-8), checks it with an
// ECHO_REQUEST that crosses the box, keeps sending ESP to it under credit while it is
// UNVERIFIED, and ends with it ACTIVE. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { ADDR, natBox, natHost, newSim, text, traceText, untext } from './nat-helpers.js';

const B_NEW = '198.51.100.7';

function world(s: number) {
  const sim = newSim(s);
  const box = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A]);
  // Plain UDP encapsulation, no ICE-HIP-UDP: an ICE-HIP-UDP association hands over with the
  // candidates and checks of RFC 9028 §4.9 instead (rfc9028-nat-move.sim.test.ts).
  const a = natHost(sim, 'A', [ADDR.A], { natTraversal: 'none' });
  const b = natHost(sim, 'B', [ADDR.B_PUB], { natTraversal: 'none' });
  sim.link(ADDR.NAT_A, ADDR.B_PUB, { latencyMs: 10 });
  sim.link(ADDR.NAT_A, B_NEW, { latencyMs: 10 });
  sim.at(0, () => a.connect(b));
  sim.runUntil(() => a.established(b), { maxTimeMs: 20_000 });
  a.send(b, text('x'));
  sim.runUntil(() => b.established(a), { maxTimeMs: 5_000 });
  return { sim, box, a, b };
}

describe('RFC 8046 §5.4-§5.6 address verification and credit through a NAT (RFC 9028 §4.9)', () => {
  it('§5.4 "the host MUST verify the reachability" of the peer\'s new address: A\'s locator for it goes UNVERIFIED → ACTIVE, the check and its answer crossing A\'s NAT; §5.5 A\'s ESP reaches it under credit meanwhile', () => {
    const { sim, box, a, b } = world(1801);
    const t0 = sim.now;
    const before = box.counters;
    b.moveLocator(ADDR.B_PUB, B_NEW);
    for (let i = 0; i < 20; i++) sim.at(sim.now + i * 10, () => { a.send(b, text(`a${i}`)); b.send(a, text(`b${i}`)); });
    sim.run(2_000);

    const states = sim.trace.records.filter((r) => r.t >= t0 && r.host === 'A' && r.dir === 'locator' && traceText(r.fields?.['loc']) === B_NEW).map((r) => r.fields?.['state']);
    expect(states[0]).toBe('UNVERIFIED');
    expect(states.at(-1)).toBe('ACTIVE');
    expect(a.locatorTable(b).find((l) => l.state === 'ACTIVE')).toBeDefined();
    // The check (B's ECHO_REQUEST answered by A's ECHO_RESPONSE, or A's own ECHO_REQUEST to B_NEW)
    // went through the box: HIP both ways between NAT_A and B_NEW, nothing dropped there.
    const hip = sim.trace.records.filter((r) => r.t >= t0 && r.host === 'natA' && r.kind === 'UPDATE');
    expect(hip.some((r) => r.fields?.['nat'] === 'out')).toBe(true);
    expect(hip.some((r) => r.fields?.['nat'] === 'in')).toBe(true);
    expect(box.counters.droppedByFilter + box.counters.droppedNoMapping).toBe(before.droppedByFilter + before.droppedNoMapping);
    // §5.5: while B_NEW was UNVERIFIED, A's outbound SA to it was credit-limited.
    const aOut = sim.trace.records.filter((r) => r.t >= t0 && r.host === 'A' && r.dir === 'sa' && r.fields?.['dir'] === 'out' && traceText(r.fields?.['dst']) === B_NEW);
    expect(aOut[0]?.fields?.['credit']).toBe(true);
    expect(aOut.at(-1)?.fields?.['credit']).toBeUndefined();
    // Data both ways, all of it, and no new base exchange.
    // A's packets sent before B's UPDATE reached A (one 10 ms latency: a0, a1) went to the old
    // address; everything from then on arrived, in order.
    expect(b.received.map((r) => untext(r.payload)).slice(1)).toEqual(Array.from({ length: 18 }, (_, i) => `a${i + 2}`));
    expect(a.received.map((r) => untext(r.payload))).toEqual(Array.from({ length: 20 }, (_, i) => `b${i}`));
    expect(a.stats().engine.sent.I1).toBe(1);
  });
});
