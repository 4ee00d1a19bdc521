// Both hosts behind endpoint-independent NATs (RFC 4787 REQ-1) register with a Control Relay
// Server (RFC 9028 §4.1), learn their server-reflexive candidates from REG_FROM (§4.2), and run
// the base exchange through the relay (§4.5) with their candidates in the LOCATOR_SET of I2 and
// R2 (§4.3, §5.7). The connectivity checks of §4.6 that then find the direct path are in
// rfc9028-checks.sim.test.ts and rfc9028-symmetric-nat.sim.test.ts. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { ADDR, connectViaRelay, natBox, natHost, newSim, registerRelay, relayHost, traceText } from './nat-helpers.js';

function world(s: number) {
  const sim = newSim(s);
  const boxA = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A]);
  const boxB = natBox(sim, 'natB', ADDR.NAT_B, [ADDR.B]);
  const a = natHost(sim, 'A', [ADDR.A]);
  const b = natHost(sim, 'B', [ADDR.B]);
  // The relay runs plain UDP encapsulation with its clients: no connectivity checks between a
  // client and the relay mix UPDATEs into the relayed base exchange counted below.
  const r = relayHost(sim, [a, b], { natTraversal: 'none' });
  sim.link(ADDR.NAT_A, ADDR.RELAY, { latencyMs: 10 });
  sim.link(ADDR.NAT_B, ADDR.RELAY, { latencyMs: 10 });
  sim.link(ADDR.NAT_A, ADDR.NAT_B, { latencyMs: 10 });
  return { sim, boxA, boxB, a, b, r };
}

describe('RFC 9028 §4.1, §4.2, §4.5 both hosts behind NATs: registration, server-reflexive candidates, base exchange via the Control Relay Server', () => {
  it('§4.2 REG_FROM is each client\'s NAT mapping; §4.5 I1/R1/I2/R2 go through the relay, one packet out per packet in; §4.3 each side\'s LOCATOR_SET gives the peer its host and server-reflexive candidates', () => {
    const { sim, boxB, a, b, r } = world(2001);
    registerRelay(sim, a, r);
    registerRelay(sim, b, r);
    // RFC 9028 §4.1: "REG_FROM ... contains the transport address of the Control Relay Client as
    // observed by the Control Relay Server (server reflexive candidate)": the NAT's mapping.
    const mapB = boxB.mappings(sim.now)[0]!.external;
    const mark = sim.trace.records.length;

    connectViaRelay(sim, a, b, r);
    sim.runUntil(() => a.established(b) && b.association(a) !== undefined, { maxTimeMs: 20_000 });
    expect(a.association(b)!.state).toBe('ESTABLISHED');

    // §4.5: all four base exchange packets crossed the relay, each relayed once (steps 1-8).
    const during = sim.trace.records.slice(mark);
    expect(during.filter((x) => x.host === 'R' && x.dir === 'recv').map((x) => x.kind)).toEqual(['I1', 'R1', 'I2', 'R2']);
    expect(during.filter((x) => x.host === 'R' && x.dir === 'send').map((x) => x.kind)).toEqual(['I1', 'R1', 'I2', 'R2']);
    // Nothing went directly between the two NATs during the exchange.
    expect(during.some((x) => (x.host === 'A' || x.host === 'B') && x.dir === 'recv' && traceText(x.fields?.['src']) !== ADDR.RELAY)).toBe(false);

    // §4.3, §5.7: A's table for B holds B's candidates from the R2: its host candidate and the
    // server-reflexive one the relay saw (REG_FROM), both UNVERIFIED (§4.6: checks verify them).
    const cands = (h: typeof a, peer: typeof b) =>
      h
        .locatorTable(peer)
        .filter((l) => l.type === 2)
        .map((l) => `${l.kind} ${formatLocator(l.locator)}:${l.port} ${l.state}`);
    // B stays in R2_SENT until A's first ESP or UPDATE reaches it (RFC 7401 §4.4.2), which here
    // is A's first §4.6 check on the direct path; A's candidates from the I2 wait until then.
    expect(b.association(a)!.state).toBe('R2_SENT');
    expect(cands(a, b)).toEqual([`host ${ADDR.B}:10500 UNVERIFIED`, `srflx ${ADDR.NAT_B}:${mapB.port} UNVERIFIED`]);
    // The host candidate outranks the server-reflexive one (RFC 8445 §5.1.2.2: 126 vs 100).
    const pri = a.peerLocators(b).filter((l) => l.type === 2).map((l) => l.priority!);
    expect(pri[0]!).toBeGreaterThan(pri[1]!);
    // The base exchange with B was one I2 (one more for the registration with the relay).
    expect(a.stats().engine.sent.I2).toBe(2);
  });
});
