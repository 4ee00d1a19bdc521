// RFC 8046 §3.2.3: the double jump. Both hosts move within one RTT, so each one's UPDATEs go to
// a stale address of the other; with the UPDATE forwarding extensions of §3.2.3 the UPDATEs are
// resent to the peer's rendezvous server, which relays them (FROM, RVS_HMAC) to the peer's new
// address, and the hosts find each other again without a new base exchange.
import { describe, expect, it } from 'vitest';
import { A1, A2, B1, B2, hipMsgs, i1Count, mhSim, ping } from './mobility-helpers.js';
import { RVS_ADDR, contactThroughRvs, twoClients } from './rvs-helpers.js';
import type { Sim, SimHost } from '../../src/testing/index.js';
import { parseLocator } from '../../src/addr/locator.js';
import type { EnginePolicy } from '../../src/engine/policy.js';

const S = RVS_ADDR;

/** A and B, each registered with the RVS S; A reached B through S, B knows S is A's RVS too. */
function world(s: number, policy?: Partial<EnginePolicy>): { sim: Sim; a: SimHost; b: SimHost; rvs: SimHost } {
  const sim = mhSim(s);
  const w = twoClients(sim, policy);
  contactThroughRvs(sim, w, true);
  return { sim, ...w };
}

describe('RFC 8046 §3.2.3 mobility messaging through the rendezvous server (double jump)', () => {
  it('RFC 8046 §3.2.3 · both hosts move at once: the UPDATEs reach each other through the RVS, answered directly, no new base exchange', () => {
    const { sim, a, b, rvs } = world(3231);
    const i1s = i1Count(sim);
    const spis = { a: a.association(b)!.sas[0]!, b: b.association(a)!.sas[0]! };
    const t0 = sim.trace.length;
    a.moveLocator(A1, A2);
    b.moveLocator(B1, B2);
    sim.run(sim.now + 10_000);
    const msgs = hipMsgs(sim, t0);
    // Step 1: an unacknowledged UPDATE is resent to the peer's RVS...
    const toRvs = msgs.filter((m) => m.kind === 'UPDATE' && m.dst === S && ((m.from === 'A' && m.to === 'RVS') || (m.from === 'B' && m.to === 'RVS')));
    expect(toRvs.length).toBeGreaterThan(0);
    // ...step 2: the RVS forwards it with FROM and RVS_HMAC to the client's new address...
    const relayed = msgs.filter((m) => m.from === 'RVS' && m.kind === 'UPDATE' && m.params.includes('FROM'));
    expect(relayed.map((m) => m.dst).sort()).toEqual(expect.arrayContaining([A2, B2]));
    for (const m of relayed) expect(m.params.slice(-2)).toEqual(['FROM', 'RVS_HMAC']);
    // ...step 3: the receiver answers directly, with VIA_RVS in the reply that carries the ACK.
    const replies = msgs.filter((m) => m.kind === 'UPDATE' && m.params.includes('VIA_RVS'));
    expect(replies.length).toBeGreaterThan(0);
    for (const m of replies) {
      expect(m.params).toContain('ACK');
      expect(m.to === 'A' || m.to === 'B').toBe(true);
      expect([A2, B2]).toContain(m.dst);
    }
    // Both ends now use each other's new address, with the same SAs: no new base exchange.
    expect(a.association(b)!.peerLocator).toEqual(parseLocator(B2));
    expect(b.association(a)!.peerLocator).toEqual(parseLocator(A2));
    expect(a.association(b)!.sas[0]).toEqual(spis.a);
    expect(b.association(a)!.sas[0]).toEqual(spis.b);
    expect(i1Count(sim)).toBe(i1s);
    expect(a.eventsOf('failed').length + b.eventsOf('failed').length).toBe(0);
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A2}>${B2}`]: 3 }, ba: { [`${B2}>${A2}`]: 3 } });
    // The RVS kept no state for the relayed UPDATEs beyond its clients' relay budgets.
    expect(rvs.engine.associations().length).toBe(2);
  });

  it('RFC 8046 §3.2.3 · without the RVS (policy: never try it) the double jump is not recovered: every UPDATE goes to a stale address', () => {
    const { sim, a, b } = world(3232, { updateViaRvs: () => false });
    const t0 = sim.trace.length;
    a.moveLocator(A1, A2);
    b.moveLocator(B1, B2);
    sim.run(sim.now + 120_000);
    const between = hipMsgs(sim, t0).filter((m) => (m.from === 'A' && m.to !== 'RVS' && m.dst !== S) || (m.from === 'B' && m.to !== 'RVS' && m.dst !== S));
    expect(between.length).toBeGreaterThan(2);
    expect(between.every((m) => m.kind === 'UPDATE' && ((m.from === 'A' && m.dst === B1) || (m.from === 'B' && m.dst === A1)))).toBe(true);
    expect(a.eventsOf('failed').map((e) => e.reason)).toEqual(['update-retries']);
    expect(b.eventsOf('failed').map((e) => e.reason)).toEqual(['update-retries']);
  });
});
