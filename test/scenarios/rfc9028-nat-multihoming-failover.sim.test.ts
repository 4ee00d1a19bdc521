// A multihomed host with one public interface and one behind a NAT (RFC 9028 Appendix D, §4.9,
// with RFC 8047 §4 for the multihoming itself), and failover between them. Appendix D: "This
// document allows a host to collect address candidates from multiple interfaces but does not
// support activation and the simultaneous use of multiple address candidates": both interfaces
// are candidates and one pair is nominated. When the public interface dies, the host's locators
// change and §4.9 applies (the "ICE restart"): it announces its remaining candidates in an
// UPDATE (step 1), the peer answers with ECHO_REQUEST_SIGNED (step 3), the host echoes it
// (step 5), both run the checks again (step 7) and the original Initiator, still controlling
// (§4.9: it "MUST store information that it was the controlling host"), nominates the NATed
// interface's pair; ESP moves there (step 8). When the public interface returns, the same
// procedure moves ESP back to the public pair, the one of highest priority (RFC 8445 §5.1.2.1:
// our first locator has the highest local preference). SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import type { Sim, SimHost } from '../../src/testing/index.js';
import { equalBytes } from '../../src/util/bytes.js';
import { ADDR, mappedPortToward, multihomedNatWorld, text } from './nat-helpers.js';

const INTERVAL = 50;

/** Both hosts send one numbered packet every INTERVAL ms from `start`, `count` rounds. */
function flow(sim: Sim, a: SimHost, b: SimHost, start: number, count: number, tag: string): void {
  for (let i = 0; i < count; i++) {
    sim.at(start + i * INTERVAL, () => {
      a.send(b, text(`${tag}a${i}`));
      b.send(a, text(`${tag}b${i}`));
    });
  }
}

type PathEvent = { readonly t: number; readonly src: Uint8Array; readonly dst: Uint8Array; readonly srcPort: number; readonly dstPort: number; readonly kind: string };
const pair = (e: PathEvent) => ({ src: formatLocator(e.src), dst: formatLocator(e.dst), dstPort: e.dstPort, kind: e.kind });
const paths = (h: SimHost): PathEvent[] => h.eventsOf('nat-path') as PathEvent[];

/** ESP packets `host` sent in [from, to), by destination address text. */
function espSentTo(sim: Sim, host: SimHost, from: number, to = Infinity): string[] {
  return sim.trace.records
    .filter((r) => r.host === host.name && r.dir === 'send' && r.kind === 'ESP' && r.t >= from && r.t < to)
    .map((r) => {
      const d = (r.fields?.['dst'] as { loc?: Uint8Array } | undefined)?.loc;
      return d ? formatLocator(d) : '?';
    });
}

/** The outbound SAs of `h` toward `peer`: [dst address, UDP destination port]. */
const outSas = (h: SimHost, peer: SimHost) => h.sas.filter((s) => s.direction === 'out' && equalBytes(s.peerHit, peer.hit)).map((s) => [formatLocator(s.dst), s.udp?.dstPort]);

describe('RFC 9028 Appendix D · a multihomed host, one interface public and one behind a NAT: both are candidates, one pair is nominated', () => {
  it('§4.6.3 the controlling host nominates the public pair (the highest priority); ESP flows on it alone', () => {
    const { sim, a, b } = multihomedNatWorld(9401);
    expect(paths(a).map(pair)).toEqual([{ src: ADDR.A_PUB, dst: ADDR.B_PUB, dstPort: 10500, kind: 'host' }]);
    expect(paths(b).map(pair)).toEqual([{ src: ADDR.B_PUB, dst: ADDR.A_PUB, dstPort: 10500, kind: 'host' }]);
    // B knows both of A's host candidates (§4.2, §5.7); the private one was never reachable.
    const table = b.locatorTable(a).map((l) => formatLocator(l.locator));
    expect(table).toContain(ADDR.A_PUB);
    expect(table).toContain(ADDR.A);
    const t0 = sim.now;
    flow(sim, a, b, t0 + 10, 10, 'p');
    sim.run(10 * INTERVAL + 100);
    expect(Object.entries(b.receivedByPath(a)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.A_PUB}>${ADDR.B_PUB}`, 10]]);
    expect(Object.entries(a.receivedByPath(b)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.B_PUB}>${ADDR.A_PUB}`, 10]]);
    expect(outSas(b, a)).toEqual([[ADDR.A_PUB, 10500]]);
  });
});

describe('RFC 9028 §4.9 · failover of a multihomed host from its public interface to its NATed one, and back', () => {
  it('the public interface dies mid-flow: A announces its remaining candidate, checks run again, A nominates the NATed pair, ESP moves to it through the NAT; when the interface returns ESP moves back', () => {
    const { sim, natA, a, b } = multihomedNatWorld(9402, undefined, { traceParams: true });
    const pub = sim.linkBetween(ADDR.A_PUB, ADDR.B_PUB)!;
    const pubBack = sim.linkBetween(ADDR.B_PUB, ADDR.A_PUB)!;
    const start = sim.now + 10;
    flow(sim, a, b, start, 60, 'f');
    // The public interface goes away between two rounds: its link is down and A's locators
    // no longer have it (RFC 8046 §4: a changed set of locators is announced).
    const downAt = start + 10 * INTERVAL + 5;
    sim.at(downAt, () => {
      pub.setUp(false);
      pubBack.setUp(false);
      a.setLocators([ADDR.A]);
    });
    sim.run(61 * INTERVAL + 2_000);

    // Step 1: an UPDATE with ESP_INFO, the candidates inside ENCRYPTED and SEQ, from the NATed
    // interface (it crosses NAT A).
    const step1 = sim.trace.records.find((r) => r.host === 'A' && r.dir === 'send' && r.kind === 'UPDATE' && r.t >= downAt && (r.fields?.['params'] as string[] | undefined)?.includes('ENCRYPTED'));
    expect(step1).toBeDefined();
    expect(step1!.fields?.['params']).toEqual(expect.arrayContaining(['ESP_INFO', 'ENCRYPTED', 'SEQ']));
    // Step 7-8: new nominations, the NATed pair. B sees A's NATed interface as NAT A's mapping.
    const port = mappedPortToward(natA, sim.now, ADDR.B_PUB)!;
    expect(port).toBeDefined();
    const aNew = paths(a).filter((e) => e.t >= downAt);
    const bNew = paths(b).filter((e) => e.t >= downAt);
    expect(aNew.map(pair).at(-1)).toEqual({ src: ADDR.A, dst: ADDR.B_PUB, dstPort: 10500, kind: 'host' });
    expect(pair(bNew.at(-1)!)).toMatchObject({ src: ADDR.B_PUB, dst: ADDR.NAT_A, dstPort: port });
    expect(outSas(b, a)).toEqual([[ADDR.NAT_A, port]]);
    expect(outSas(a, b)).toEqual([[ADDR.B_PUB, 10500]]);
    // §4.6: no ESP to a candidate before it is nominated: until B's nomination, B's ESP went to
    // the old (now dead) public address only.
    const bMovedAt = bNew.at(-1)!.t;
    expect(espSentTo(sim, b, downAt, bMovedAt).every((d) => d === ADDR.A_PUB)).toBe(true);
    expect(espSentTo(sim, b, bMovedAt).every((d) => d === ADDR.NAT_A)).toBe(true);
    // The flow resumed through the NAT both ways and reached its last round.
    const atA = a.received.filter((r) => r.t > downAt);
    const atB = b.received.filter((r) => r.t > downAt);
    expect(atA.map((r) => new TextDecoder().decode(r.payload))).toContain('fb59');
    expect(atB.map((r) => new TextDecoder().decode(r.payload))).toContain('fa59');
    expect(atA.every((r) => formatLocator(r.src) === ADDR.B_PUB)).toBe(true);
    expect(b.receivedByPath(a)[`${ADDR.NAT_A}>${ADDR.B_PUB}`]?.packets ?? 0).toBeGreaterThan(0);
    // Failover time, from the interface loss to B's first packet delivered through the NAT:
    // steps 1, 3 and 5 (three one-way trips L), A's first check one Ta after its restart and its
    // answer (2L), the nomination one Ta after that check (§4.4 pacing) and its trip to B (L),
    // then B's next round (at most INTERVAL) and its trip (L): 7L + 2Ta + INTERVAL.
    const L = 10;
    const ta = a.engine.config.natMinTaMs;
    const bound = 7 * L + 2 * ta + INTERVAL;
    const recovered = atA[0]!.t - downAt;
    expect(recovered).toBeGreaterThan(0);
    expect(recovered).toBeLessThanOrEqual(bound);
    // Lost at A: what B sent to the dead public address before it moved, at most one round per
    // INTERVAL of that time plus the one in flight.
    const lostAtA = 60 - a.received.filter((r) => r.t > start).length;
    expect(lostAtA).toBeGreaterThan(0);
    expect(lostAtA).toBeLessThanOrEqual(Math.ceil(bound / INTERVAL) + 1);
    // A's own packets leave from its NATed interface at once (its SA follows its locators, and
    // B's address is verified), so B loses at most the one in flight on the public link.
    expect(60 - b.received.filter((r) => r.t > start).length).toBeLessThanOrEqual(1);

    // The public interface returns: A announces both interfaces again, the checks run and the
    // public pair, of higher priority, is nominated; ESP moves back.
    const upAt = sim.now + 5;
    sim.at(upAt, () => {
      pub.setUp(true);
      pubBack.setUp(true);
      a.setLocators([ADDR.A_PUB, ADDR.A]);
    });
    sim.run(3_000);
    expect(paths(a).at(-1)!.t - upAt).toBeLessThanOrEqual(bound);
    expect(pair(paths(a).at(-1)!)).toEqual({ src: ADDR.A_PUB, dst: ADDR.B_PUB, dstPort: 10500, kind: 'host' });
    expect(pair(paths(b).at(-1)!)).toMatchObject({ src: ADDR.B_PUB, dst: ADDR.A_PUB, dstPort: 10500 });
    expect(paths(b).at(-1)!.t).toBeGreaterThan(upAt);
    expect(outSas(b, a)).toEqual([[ADDR.A_PUB, 10500]]);
    const back = sim.now;
    flow(sim, a, b, back + 10, 5, 'r');
    sim.run(5 * INTERVAL + 100);
    expect(b.received.filter((r) => r.t > back).map((r) => formatLocator(r.src))).toEqual(Array(5).fill(ADDR.A_PUB));
    expect(a.received.filter((r) => r.t > back).map((r) => formatLocator(r.src))).toEqual(Array(5).fill(ADDR.B_PUB));
  });
});
