// A multihomed host with one public interface and one behind a NAT (RFC 8047 §4.2.4 with RFC 9028
// §4.9, §5.1): an extra SA pair asked for from the NATed interface, and the reply to its UPDATE
// crossing the NAT. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { param } from '../../src/wire/access.js';
import { decodePacket } from '../../src/wire/packet.js';
import { ADDR, natBox, natHost, newSim, text, traceText } from './nat-helpers.js';

function world(s: number) {
  const sim = newSim(s);
  const box = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A]);
  // Plain UDP encapsulation: with ICE-HIP-UDP the connectivity checks (RFC 9028 §4.6) add
  // UPDATEs of their own to the count below.
  const a = natHost(sim, 'A', [ADDR.A_PUB, ADDR.A], { natTraversal: 'none' });
  const b = natHost(sim, 'B', [ADDR.B_PUB], { natTraversal: 'none' });
  sim.link(ADDR.NAT_A, ADDR.B_PUB, { latencyMs: 10 });
  sim.link(ADDR.A_PUB, ADDR.B_PUB, { latencyMs: 10 });
  sim.at(0, () => a.connect(b));
  sim.runUntil(() => a.established(b), { maxTimeMs: 20_000 });
  a.send(b, text('x'));
  sim.runUntil(() => b.established(a), { maxTimeMs: 5_000 });
  return { sim, box, a, b };
}

describe('RFC 9028 §5.1 with RFC 8047 §4.2.4: the UPDATE from a NATed interface is answered through its NAT mapping', () => {
  // Was an engine bug (fixed in packets.ts udpPortsFor): the association ran over the public
  // interface on port 10500, so B sent its reply to the UPDATE from A's NATed interface to the
  // NAT's address on 10500 (the association's port), where the box has no mapping: the
  // reply was dropped at the box and A retransmitted its UPDATE. A reply to the transport
  // address a datagram came from goes back to the port it came from.
  it('B\'s UPDATE reply goes to the NAT mapping\'s port the UPDATE came from, crosses the box and reaches A', () => {
    const { sim, box, a, b } = world(1901);
    const t0 = sim.now;
    // A's UPDATEs that ask for the SA pair (ESP_INFO), as opposed to the ICE-HIP-UDP connectivity
    // checks (RFC 9028 §4.6, UPDATEs with CANDIDATE_PRIORITY) the two hosts also run now.
    const saUpdates: number[] = [];
    sim.intercept((bytes, ctx) => {
      if (ctx.proto !== 'hip' || ctx.from !== 'A' || ctx.kind !== 'UPDATE') return 'pass';
      const p = decodePacket(bytes, { verifyChecksum: false });
      if (p.ok && param(p.packet, 'ESP_INFO') && !param(p.packet, 'CANDIDATE_PRIORITY')) saUpdates.push(param(p.packet, 'SEQ')?.updateId ?? -1);
      return 'pass';
    });
    a.addSaPair(b, { local: ADDR.A });
    sim.run(500);
    const [m] = box.mappings(sim.now);
    expect(m).toBeDefined();
    const toNat = sim.trace.records.filter((r) => r.t >= t0 && r.host === 'B' && r.dir === 'send' && r.kind === 'UPDATE' && traceText(r.fields?.['dst']) === ADDR.NAT_A);
    expect(toNat.length).toBeGreaterThan(0);
    for (const r of toNat) expect(r.fields?.['dport']).toBe(m!.external.port);
    expect(box.counters.droppedNoMapping).toBe(0);
    const atA = sim.trace.records.filter((r) => r.t >= t0 && r.host === 'A' && r.dir === 'recv' && r.kind === 'UPDATE' && traceText(r.fields?.['dst']) === ADDR.A);
    expect(atA.length).toBeGreaterThan(0);
    // A got its ACK at the first try: no retransmission of its UPDATE within the 500 ms.
    expect(saUpdates).toHaveLength(1);
  });
});
