// HIP over UDP through the simulator's NAT boxes (RFC 9028 §5.1, §5.11; NAT behaviour from
// RFC 4787): a base exchange and ESP from behind a NAT, a mapping that times out while idle, and
// a symmetric NAT that keeps an unsolicited I1 out. SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { Sim, type NatOptions } from '../../src/testing/index.js';
import { seed } from './sim-helpers.js';
import type { HipConfig } from '../../src/engine/config.js';

const A = '10.0.0.1';
const NAT = '203.0.113.1';
const B = '198.51.100.2';
const D = '198.51.100.4';

/** A behind a NAT box, B (and D) public; the access link of the box to each public host. */
function world(s: number, nat: Partial<NatOptions> = {}, config: Partial<HipConfig> = {}) {
  const sim = new Sim({ seed: seed(s), crypto: 'noble' });
  const box = sim.nat('nat', { publicAddress: NAT, inside: [A], ...nat });
  const a = sim.host('A', { locators: [A], udp: true, config });
  const b = sim.host('B', { locators: [B], udp: true, config });
  const d = sim.host('D', { locators: [D], udp: true });
  sim.link(NAT, B, { latencyMs: 15 });
  sim.link(NAT, D, { latencyMs: 15 });
  return { sim, box, a, b, d };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('RFC 9028 §5.1, §5.11 HIP and ESP over UDP through an endpoint-independent NAT (RFC 4787 REQ-1)', () => {
  it('§5.1 the host behind the NAT completes a base exchange with the public host, and §5.11 ESP flows both ways over UDP', () => {
    const { sim, box, a, b } = world(1501);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
    a.send(b, text('from behind the NAT'));
    sim.runUntil(() => b.established(a) && b.received.length === 1, { maxTimeMs: 5_000 });
    b.send(a, text('back through the NAT'));
    sim.run(100);
    expect(b.received.map((r) => untext(r.payload))).toEqual(['from behind the NAT']);
    expect(a.received.map((r) => untext(r.payload))).toEqual(['back through the NAT']);

    // One mapping carried everything; B only ever saw the NAT's external endpoint.
    const [m] = box.mappings(sim.now);
    expect(box.mappings(sim.now)).toHaveLength(1);
    expect(box.counters).toMatchObject({ mappingsCreated: 1, droppedByFilter: 0, droppedNoMapping: 0, droppedNotUdp: 0 });
    expect(formatLocator(b.received[0]!.src)).toBe(NAT);
    // §5.11: both ends' SAs are UDP-encapsulated; B's outbound SA goes to the mapped port.
    const bOut = b.sas.find((s) => s.direction === 'out')!;
    expect(bOut.udp).toEqual({ srcPort: 10500, dstPort: m!.external.port });
    expect(formatLocator(bOut.dst)).toBe(NAT);
    const aOut = a.sas.find((s) => s.direction === 'out')!;
    expect(aOut.udp).toEqual({ srcPort: 10500, dstPort: 10500 });
    // Every packet that crossed the box was UDP: nothing was sent as IP protocol 139 or 50.
    const sends = sim.trace.records.filter((r) => r.dir === 'send');
    expect(sends.length).toBeGreaterThan(5);
    for (const r of sends) expect(r.fields?.['sport']).toBeTypeOf('number');
  });
});

describe('RFC 4787 §4.3 the NAT mapping expires while the association is idle', () => {
  it('REQ-5 default 300 s: after 301 idle seconds the public host\'s ESP finds no mapping; the next outbound packet gets a new external port', () => {
    // RFC 9028 §4.10 keepalives (every 15 s by default) would keep the mapping alive; Tr may be
    // longer ("Other values MAY be used"), here longer than the idle time, so the mapping can expire.
    const { sim, box, a, b } = world(1502, {}, { natKeepaliveMs: 600_000 });
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
    a.send(b, text('hello'));
    sim.runUntil(() => b.established(a), { maxTimeMs: 5_000 });
    const before = box.mappings(sim.now)[0]!.external.port;
    expect(box.mappingTimeoutMs).toBe(300_000);

    sim.run(301_000);
    expect(box.mappings(sim.now)).toEqual([]);
    const lostBefore = box.counters.droppedNoMapping;
    b.send(a, text('into a closed mapping'));
    sim.run(100);
    expect(a.received).toHaveLength(0);
    expect(box.counters.droppedNoMapping).toBe(lostBefore + 1);
    expect(sim.trace.records.some((r) => r.host === 'nat' && r.dir === 'drop' && r.fields?.['reason'] === 'nat-no-mapping')).toBe(true);

    // A's next packet opens a new mapping: B sees the same SPI from a new source port.
    a.send(b, text('again'));
    sim.run(100);
    const after = box.mappings(sim.now)[0]!.external.port;
    expect(after).not.toBe(before);
    expect(b.received.map((r) => untext(r.payload))).toEqual(['hello', 'again']);
    const recv = sim.trace.records.filter((r) => r.host === 'B' && r.dir === 'recv' && r.kind === 'ESP');
    expect(recv.at(-1)?.fields).toMatchObject({ sport: after });
  });
});

describe('RFC 4787 §5 an address-and-port-dependent NAT blocks an unsolicited inbound I1', () => {
  it('§5 the I1 of a host A never sent to is filtered at the box, every retransmission of it; no state at A', () => {
    const { sim, box, a, b, d } = world(1503, { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' });
    // A talks to D, so the box has a live mapping; B learns nothing but tries A's external
    // endpoint of that mapping and the HIP port.
    a.sendUdp(Uint8Array.of(0xff), { dst: D });
    sim.run(20);
    expect(d.keepalivesReceived).toBe(1);
    const port = box.mappings(sim.now)[0]!.external.port;
    sim.at(sim.now, () => b.connect({ hit: a.hit, locators: [NAT] }, { udpPort: port }));
    sim.run(20_000);
    const sentI1 = b.stats().engine.sent.I1 ?? 0;
    expect(sentI1).toBeGreaterThan(1);
    expect(box.counters.droppedByFilter).toBe(sentI1);
    expect(a.stats().engine.received.I1 ?? 0).toBe(0);
    expect(a.association(b)).toBeUndefined();
    expect(b.established(a)).toBe(false);
  });

  it('§5 contrast: behind an endpoint-independent filter the same I1 reaches A and is answered', () => {
    const { sim, box, a, b, d } = world(1503, { mapping: 'address-and-port-dependent', filtering: 'endpoint-independent' });
    a.sendUdp(Uint8Array.of(0xff), { dst: D });
    sim.run(20);
    expect(d.keepalivesReceived).toBe(1);
    const port = box.mappings(sim.now)[0]!.external.port;
    sim.at(sim.now, () => b.connect({ hit: a.hit, locators: [NAT] }, { udpPort: port }));
    sim.run(200);
    expect(box.counters.droppedByFilter).toBe(0);
    expect(a.stats().engine.received.I1).toBe(1);
    expect(a.stats().engine.sent.R1).toBe(1);
  });
});
