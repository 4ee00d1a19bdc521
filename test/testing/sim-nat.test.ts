// The simulator's UDP carriage (RFC 9028 §5.1, §5.11 framing) and its NAT boxes (RFC 4787)
// (docs/architecture.md, Simulator): what a host sends over UDP, what its peer's engine and data
// plane get, what crosses a NAT and what does not, and the pcap records on each side of a box,
// checked against a UDP checksum computed here independently.
import { describe, expect, it } from 'vitest';
import { formatLocator, parseLocator } from '../../src/addr/locator.js';
import type { Input } from '../../src/engine/io.js';
import { readU16 } from '../../src/util/bytes.js';
import { encodeUdpPacket } from '../../src/wire/udp.js';
import { Sim, parseIpPacket, readPcap, type SimHost, type TraceRecord } from '../../src/testing/index.js';

const A = '10.0.0.1';
const C = '10.0.0.3';
const NAT1 = '203.0.113.1';
const NAT2 = '203.0.113.2';
const B = '198.51.100.2';
const D = '198.51.100.4';

/** Every engine input of `h` from now on (the engine's handle, wrapped). */
function inputsOf(h: SimHost): Input[] {
  const log: Input[] = [];
  const eng = h.engine;
  const orig = eng.handle.bind(eng);
  eng.handle = (input: Input, now: number) => {
    log.push(input);
    orig(input, now);
  };
  return log;
}

function records(sim: Sim, pred: (r: TraceRecord) => boolean): TraceRecord[] {
  return sim.trace.records.filter(pred);
}

/**
 * The RFC 768 UDP checksum over the IPv4 pseudo-header, written out here without the library's
 * helpers: 16-bit words of src, dst, zero/protocol, UDP length, then the datagram with its
 * checksum field as zero.
 */
function independentUdpChecksumV4(ip: Uint8Array): number {
  const ihl = (ip[0]! & 0x0f) * 4;
  const udp = ip.subarray(ihl);
  const len = (udp[4]! << 8) | udp[5]!;
  const words: number[] = [];
  for (let i = 12; i < 20; i += 2) words.push((ip[i]! << 8) | ip[i + 1]!);
  words.push(17, len);
  for (let i = 0; i < len; i += 2) {
    const hi = i === 6 ? 0 : udp[i]!;
    const lo = i === 6 ? 0 : i + 1 < len ? udp[i + 1]! : 0;
    words.push((hi << 8) | lo);
  }
  let sum = 0;
  for (const w of words) {
    sum += w;
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  const c = ~sum & 0xffff;
  return c === 0 ? 0xffff : c;
}

/**
 * The same for IPv6 (RFC 8200 §8.1 pseudo-header: src, dst, 32-bit upper-layer length, three zero
 * bytes and next header 17).
 */
function independentUdpChecksumV6(ip: Uint8Array): number {
  const udp = ip.subarray(40);
  const len = (udp[4]! << 8) | udp[5]!;
  const pseudo = new Uint8Array(40);
  pseudo.set(ip.subarray(8, 40), 0);
  pseudo[32] = len >>> 24;
  pseudo[33] = (len >>> 16) & 0xff;
  pseudo[34] = (len >>> 8) & 0xff;
  pseudo[35] = len & 0xff;
  pseudo[39] = 17;
  const body = Uint8Array.from(udp.subarray(0, len));
  body[6] = 0;
  body[7] = 0;
  let sum = 0;
  for (const part of [pseudo, body]) {
    for (let i = 0; i < part.length; i += 2) {
      sum += (part[i]! << 8) | (i + 1 < part.length ? part[i + 1]! : 0);
      sum = (sum & 0xffff) + (sum >>> 16);
    }
  }
  const c = ~sum & 0xffff;
  return c === 0 ? 0xffff : c;
}

/** A behind nat1 (endpoint-independent unless told), B and D public, links nat1-B, nat1-D. */
function natWorld(seed: number, nat: Partial<Parameters<Sim['nat']>[1]> = {}, simOpts: { pcap?: boolean } = {}) {
  const sim = new Sim({ seed, crypto: 'fast', ...simOpts });
  const box = sim.nat('nat1', { publicAddress: NAT1, inside: [A, C], ...nat });
  const a = sim.host('A', { locators: [A], udp: true });
  const b = sim.host('B', { locators: [B], udp: true });
  sim.link(NAT1, B, { latencyMs: 10 });
  return { sim, box, a, b };
}

describe('UDP carriage (RFC 9028 §5.1)', () => {
  it('§5.1 a HIP packet after the zero marker reaches the peer engine as transport udp with the ports it came from', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const a = sim.host('A', { locators: ['192.0.2.1'] });
    const b = sim.host('B', { locators: ['192.0.2.2'], udp: true });
    sim.link('192.0.2.1', '192.0.2.2', { latencyMs: 5 });
    const seen = inputsOf(b);
    const i1 = encodeUdpPacket({ kind: 'I1', senderHit: a.hit, receiverHit: b.hit, params: [{ kind: 'DH_GROUP_LIST', groups: [9] }] });
    a.sendUdp(i1, { dst: '192.0.2.2', srcPort: 10500 });
    sim.run(50);
    expect(seen).toHaveLength(1);
    const got = seen[0]!;
    expect(got).toMatchObject({ kind: 'datagram', transport: 'udp', srcPort: 10500, dstPort: 10500 });
    expect(got.kind === 'datagram' && got.bytes).toEqual(i1.subarray(4));
    // The engine answers over UDP to the port the I1 came from (RFC 9028 §5.1).
    const r1 = records(sim, (r) => r.host === 'B' && r.dir === 'send' && r.kind === 'R1');
    expect(r1[0]?.fields).toMatchObject({ sport: 10500, dport: 10500 });
  });

  it('§5.1 a datagram to a port the host does not listen on is dropped (port-unreachable)', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const a = sim.host('A', { locators: ['192.0.2.1'] });
    const b = sim.host('B', { locators: ['192.0.2.2'], udp: { port: 20000 } });
    sim.link('192.0.2.1', '192.0.2.2');
    const seen = inputsOf(b);
    a.sendUdp(encodeUdpPacket({ kind: 'I1', senderHit: a.hit, receiverHit: b.hit, params: [{ kind: 'DH_GROUP_LIST', groups: [9] }] }), { dst: '192.0.2.2', dstPort: 10500 });
    sim.run(10);
    expect(seen).toHaveLength(0);
    expect(records(sim, (r) => r.dir === 'drop' && r.fields?.['reason'] === 'port-unreachable')).toHaveLength(1);
    expect(b.udpPort).toBe(20000);
  });

  it('§5.11 ESP of an SA with UDP ports travels over UDP; the receiving engine gets esp-seen with those ports', () => {
    const sim = new Sim({ seed: 3, crypto: 'fast' });
    const a = sim.host('A', { locators: ['192.0.2.1'], udp: { port: 40000 } });
    const b = sim.host('B', { locators: ['192.0.2.2'], udp: true });
    sim.link('192.0.2.1', '192.0.2.2', { latencyMs: 5 });
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    expect(a.sas.every((s) => s.udp !== undefined)).toBe(true);
    const seen = inputsOf(b);
    a.send(b, Uint8Array.of(1, 2, 3));
    sim.run(20);
    expect(b.received.map((r) => [...r.payload])).toEqual([[1, 2, 3]]);
    const esp = seen.filter((i) => i.kind === 'esp-seen');
    expect(esp).toHaveLength(1);
    expect(esp[0]).toMatchObject({ udp: { srcPort: 40000, dstPort: 10500 } });
    const send = records(sim, (r) => r.host === 'A' && r.dir === 'send' && r.kind === 'ESP');
    expect(send[0]?.fields).toMatchObject({ sport: 40000, dport: 10500 });
  });

  it('RFC 768: a UDP datagram damaged in flight fails its checksum and is dropped before the engine (RFC 9028 §5.1 relies on it)', () => {
    const sim = new Sim({ seed: 4, crypto: 'fast', pcap: true });
    const a = sim.host('A', { locators: ['192.0.2.1'] });
    const b = sim.host('B', { locators: ['192.0.2.2'] });
    sim.link('192.0.2.1', '192.0.2.2', { corrupt: 1, corruptKinds: ['flip'] });
    const seen = inputsOf(b);
    a.sendUdp(encodeUdpPacket({ kind: 'I1', senderHit: a.hit, receiverHit: b.hit, params: [{ kind: 'DH_GROUP_LIST', groups: [9] }] }), { dst: '192.0.2.2' });
    sim.run(10);
    expect(seen).toHaveLength(0);
    expect(records(sim, (r) => r.host === 'B' && r.dir === 'drop')[0]?.fields).toMatchObject({ reason: 'udp-checksum', corrupted: 'flip' });
    // The capture shows the damaged datagram with a checksum that does not match its bytes.
    const file = readPcap(sim.pcap().toBytes());
    if (!file.ok) throw new Error(file.error.message);
    const rec = file.value.records[0]!.bytes;
    expect(readU16(rec, 20 + 6)).not.toBe(independentUdpChecksumV4(rec));
  });

  it('RFC 3948 §2.3 a NAT-keepalive byte is recognised and counted, not given to the engine', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const a = sim.host('A', { locators: ['192.0.2.1'] });
    const b = sim.host('B', { locators: ['192.0.2.2'] });
    sim.link('192.0.2.1', '192.0.2.2');
    const seen = inputsOf(b);
    a.sendUdp(Uint8Array.of(0xff), { dst: '192.0.2.2' });
    a.sendUdp(Uint8Array.of(1, 2), { dst: '192.0.2.2' });
    sim.run(10);
    expect(b.keepalivesReceived).toBe(1);
    expect(seen).toHaveLength(0);
    expect(records(sim, (r) => r.host === 'B' && r.dir === 'drop' && r.fields?.['reason'] === 'udp-invalid')).toHaveLength(1);
  });
});

describe('NAT boxes in the simulator (RFC 4787)', () => {
  it('§4.1 outbound UDP leaves with the mapping\'s external address and port; the reply is mapped back', () => {
    const { sim, box, a, b } = natWorld(5);
    const seen = inputsOf(a);
    const bSeen = inputsOf(b);
    sim.at(0, () => a.connect(b));
    sim.run(25);
    const [m] = box.mappings(sim.now);
    expect(m?.internal).toEqual({ address: parseLocator(A), port: 10500 });
    // B saw the I1 from the NAT's public address and the external port.
    expect(bSeen[0]).toMatchObject({ kind: 'datagram', transport: 'udp', srcPort: m!.external.port, dstPort: 10500 });
    expect(bSeen[0]?.kind === 'datagram' && formatLocator(bSeen[0].src)).toBe(NAT1);
    // A saw the R1 on its private address and port.
    expect(seen[0]).toMatchObject({ kind: 'datagram', transport: 'udp', srcPort: 10500, dstPort: 10500 });
    expect(seen[0]?.kind === 'datagram' && formatLocator(seen[0].dst)).toBe(A);
    // I1 out, R1 in, I2 out (at 20 ms, once the R1 is in): one mapping for all of them.
    expect(box.counters).toMatchObject({ outbound: 2, inbound: 1, mappingsCreated: 1 });
    const notes = records(sim, (r) => r.host === 'nat1' && r.dir === 'note' && r.fields?.['nat'] !== undefined).map((r) => r.fields?.['nat']);
    expect(notes).toEqual(['out', 'in', 'out']);
  });

  it('RFC 4787 §4.1: interceptors see the inside host as the receiver of a packet to its mapped external endpoint, and the ports as sent', () => {
    const { sim, a, b } = natWorld(16);
    const seen: string[] = [];
    sim.intercept((_bytes, ctx) => {
      seen.push(`${ctx.kind} ${ctx.direction} ${ctx.proto} ${ctx.udp?.srcPort}>${ctx.udp?.dstPort}`);
      return 'pass';
    });
    sim.at(0, () => a.connect(b));
    sim.run(25);
    expect(seen.slice(0, 3)).toEqual(['I1 A->B hip 10500>10500', expect.stringMatching(/^R1 B->A hip 10500>\d+$/), 'I2 A->B hip 10500>10500']);
  });

  it('"UDP-only paths": HIP over IP (protocol 139) from behind a NAT is dropped at the box and counted', () => {
    const sim = new Sim({ seed: 6, crypto: 'fast' });
    const box = sim.nat('nat1', { publicAddress: NAT1, inside: [A] });
    const a = sim.host('A', { locators: [A] });
    const b = sim.host('B', { locators: [B] });
    sim.link(NAT1, B, { latencyMs: 10 });
    const bSeen = inputsOf(b);
    sim.at(0, () => a.connect(b));
    sim.run(100);
    expect(bSeen).toHaveLength(0);
    expect(box.counters.droppedNotUdp).toBe(1);
    expect(records(sim, (r) => r.host === 'nat1' && r.dir === 'drop')[0]?.fields).toMatchObject({ reason: 'nat-not-udp', proto: 139 });
  });

  it('§5 address-and-port-dependent filtering: a packet from a remote the inside host never sent to is dropped at the box', () => {
    const { sim, box, a, b } = natWorld(7, { filtering: 'address-and-port-dependent' });
    const d = sim.host('D', { locators: [D], udp: true });
    sim.link(NAT1, D, { latencyMs: 10 });
    sim.link(D, B);
    const seen = inputsOf(a);
    a.sendUdp(Uint8Array.of(0xff), { dst: B });
    sim.run(20);
    const port = box.mappings(sim.now)[0]!.external.port;
    d.sendUdp(Uint8Array.of(0xff), { dst: NAT1, dstPort: port });
    b.sendUdp(Uint8Array.of(0xff), { dst: NAT1, dstPort: port, srcPort: 4000 });
    b.sendUdp(Uint8Array.of(0xff), { dst: NAT1, dstPort: port });
    sim.run(20);
    expect(a.keepalivesReceived).toBe(1);
    expect(box.counters.droppedByFilter).toBe(2);
    expect(seen).toHaveLength(0);
    expect(records(sim, (r) => r.host === 'nat1' && r.dir === 'drop').map((r) => r.fields?.['reason'])).toEqual(['nat-filtered', 'nat-filtered']);
  });

  it('§4.3 keepalives refresh the mapping; without them it expires and the next packet gets a new external port', () => {
    const { sim, box, a } = natWorld(8, { mappingTimeoutMs: 20_000 });
    a.sendUdp(Uint8Array.of(0xff), { dst: B });
    const p1 = box.mappings(sim.now)[0]!.external.port;
    sim.run(15_000);
    a.sendUdp(Uint8Array.of(0xff), { dst: B });
    sim.run(15_000);
    expect(box.mappings(sim.now)[0]?.external.port).toBe(p1);
    sim.run(25_000);
    expect(box.mappings(sim.now)).toEqual([]);
    a.sendUdp(Uint8Array.of(0xff), { dst: B });
    expect(box.mappings(sim.now)[0]?.external.port).not.toBe(p1);
    expect(box.counters.mappingsCreated).toBe(2);
  });

  it('§6 hairpinning: a packet to the box\'s own public address reaches the inside host from the sender\'s external endpoint (REQ-9a); off, it is dropped', () => {
    for (const hairpinning of [true, false]) {
      const { sim, box, a, b } = natWorld(9, { hairpinning });
      const c = sim.host('C', { locators: [C], udp: true });
      c.sendUdp(Uint8Array.of(0xff), { dst: B });
      sim.run(20);
      const cPort = box.mappings(sim.now)[0]!.external.port;
      a.sendUdp(Uint8Array.of(0xff), { dst: NAT1, dstPort: cPort });
      sim.run(1);
      const aPort = box.mappings(sim.now)[1]!.external.port;
      if (hairpinning) {
        expect(c.keepalivesReceived).toBe(1);
        expect(box.counters.hairpinned).toBe(1);
        const rec = records(sim, (r) => r.host === 'C' && r.dir === 'recv')[0]!;
        expect(rec.fields).toMatchObject({ src: { loc: parseLocator(NAT1) }, sport: aPort });
      } else {
        expect(c.keepalivesReceived).toBe(0);
        expect(box.counters.droppedHairpin).toBe(1);
      }
      expect(b.keepalivesReceived).toBe(1);
    }
  });

  it('several NATs: a host behind one reaches a host behind another through both boxes (RFC 4787 §4.1 mapping at one, §5 endpoint-independent filtering at the other)', () => {
    const sim = new Sim({ seed: 10, crypto: 'fast' });
    const n1 = sim.nat('nat1', { publicAddress: NAT1, inside: [A] });
    const n2 = sim.nat('nat2', { publicAddress: NAT2, inside: [C] });
    const a = sim.host('A', { locators: [A], udp: true });
    const c = sim.host('C', { locators: [C], udp: true });
    sim.link(NAT1, NAT2, { latencyMs: 10 });
    // C opens a mapping toward A's box (its packet is dropped there: no mapping yet) ...
    c.sendUdp(Uint8Array.of(0xff), { dst: NAT1, dstPort: 9999 });
    sim.run(20);
    expect(n1.counters.droppedNoMapping).toBe(1);
    // ... then A sends to C's external endpoint, which the endpoint-independent filter lets in.
    a.sendUdp(Uint8Array.of(0xff), { dst: NAT2, dstPort: n2.mappings(sim.now)[0]!.external.port });
    sim.run(20);
    expect(c.keepalivesReceived).toBe(1);
    const rec = records(sim, (r) => r.host === 'C' && r.dir === 'recv')[0]!;
    expect(rec.fields).toMatchObject({ src: { loc: parseLocator(NAT1) }, sport: n1.mappings(sim.now)[0]!.external.port });
    expect(sim.natOf(A)).toBe(n1);
    expect(sim.natOf(C)).toBe(n2);
  });

  it('RFC 8047 multihoming: a host with one interface behind a NAT and one public; each address takes its own path', () => {
    const sim = new Sim({ seed: 11, crypto: 'fast' });
    const box = sim.nat('nat1', { publicAddress: NAT1, inside: [A] });
    const m = sim.host('M', { locators: [A, '198.51.100.9'], udp: true });
    const b = sim.host('B', { locators: [B], udp: true });
    sim.link(NAT1, B, { latencyMs: 10 });
    sim.link('198.51.100.9', B, { latencyMs: 3 });
    m.sendUdp(Uint8Array.of(0xff), { src: A, dst: B });
    m.sendUdp(Uint8Array.of(0xff), { src: '198.51.100.9', dst: B });
    sim.run(20);
    const recv = records(sim, (r) => r.host === 'B' && r.dir === 'recv').map((r) => [r.t, formatLocator((r.fields?.['src'] as { loc: Uint8Array }).loc), r.fields?.['sport']]);
    expect(recv).toEqual([
      [3, '198.51.100.9', 10500],
      [10, NAT1, box.mappings(sim.now)[0]!.external.port],
    ]);
    expect(box.counters.outbound).toBe(1);
  });

  it('RFC 9028 §4.10 a NAT rebinding in the middle of a flow: the peer sees the next packet from a new source port (esp-seen carries it, §5.11)', () => {
    const { sim, box, a, b } = natWorld(12);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(1));
    sim.run(20);
    const before = box.mappings(sim.now)[0]!.external.port;
    const seen = inputsOf(b);
    sim.rebindNat(box, 'new-ports');
    a.send(b, Uint8Array.of(2));
    sim.run(20);
    const after = box.mappings(sim.now)[0]!.external.port;
    expect(after).not.toBe(before);
    expect(b.received.map((r) => r.payload[0])).toEqual([1, 2]);
    expect(seen.find((i) => i.kind === 'esp-seen')).toMatchObject({ udp: { srcPort: after, dstPort: 10500 } });
    expect(records(sim, (r) => r.kind === 'nat-rebind')).toHaveLength(1);
  });

  it('caller misuse throws naming the field or the conflict', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    sim.host('B', { locators: [B] });
    expect(() => sim.nat('n', { publicAddress: B, inside: [] })).toThrow(/host B/);
    const n = sim.nat('n1', { publicAddress: NAT1, inside: [A] });
    expect(() => sim.nat('n1', { publicAddress: NAT2, inside: [] })).toThrow(/already exists/);
    expect(() => sim.nat('n2', { publicAddress: NAT2, inside: [A] })).toThrow(/already behind NAT n1/);
    expect(() => sim.host('X', { locators: [NAT1] })).toThrow(/public address of NAT n1/);
    expect(() => sim.host('Y', { locators: ['192.0.2.9'], udp: { port: 0 } })).toThrow(/opts\.udp\.port/);
    sim.attachToNat(n, C);
    expect(sim.natOf(C)).toBe(n);
  });

  it('RFC 4787 §8 deterministic behaviour: the same seed gives the same NAT ports and the same trace', () => {
    const run = (): string => {
      const { sim, a, b } = natWorld(13, { mapping: 'address-and-port-dependent', filtering: 'address-dependent' });
      sim.at(0, () => a.connect(b));
      sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
      a.send(b, Uint8Array.of(7));
      sim.run(50);
      return sim.traceText();
    };
    const t = run();
    expect(t).toContain('nat=out');
    expect(run()).toBe(t);
  });
});

describe('pcap of UDP paths through a NAT', () => {
  it('each packet is written as it looks on each side of the box, with a correct UDP checksum and the RFC 9028 framing', () => {
    const { sim, box, a, b } = natWorld(14, {}, { pcap: true });
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(9, 9));
    sim.run(50);
    const file = readPcap(sim.pcap().toBytes());
    if (!file.ok) throw new Error(file.error.message);
    const ext = box.mappings(sim.now)[0]!.external.port;
    const rows = file.value.records.map((rec) => {
      const ip = parseIpPacket(rec.bytes);
      if (!ip.ok) throw new Error(ip.error.message);
      expect(ip.value.protocol).toBe(17);
      expect(ip.value.checksumOk).toBe(true);
      const udp = rec.bytes.subarray(ip.value.headerLength);
      expect(readU16(udp, 6)).toBe(independentUdpChecksumV4(rec.bytes));
      expect(readU16(udp, 4)).toBe(udp.length);
      const payload = udp.subarray(8);
      const marker = readU16(payload, 0) === 0 && readU16(payload, 2) === 0;
      return `${formatLocator(ip.value.src)}:${readU16(udp, 0)}>${formatLocator(ip.value.dst)}:${readU16(udp, 2)} ${marker ? 'HIP' : 'ESP'}`;
    });
    const inside = `${A}:10500>${B}:10500`;
    const outside = `${NAT1}:${ext}>${B}:10500`;
    const back = `${B}:10500>${NAT1}:${ext}`;
    const backInside = `${B}:10500>${A}:10500`;
    // I1 out (both sides), R1 in (both sides), I2 out, R2 in, then the ESP packet out.
    expect(rows).toEqual([
      `${inside} HIP`,
      `${outside} HIP`,
      `${back} HIP`,
      `${backInside} HIP`,
      `${inside} HIP`,
      `${outside} HIP`,
      `${back} HIP`,
      `${backInside} HIP`,
      `${inside} ESP`,
      `${outside} ESP`,
    ]);
  });

  it('IPv6: the UDP checksum of each record uses the RFC 8200 §8.1 pseudo-header, on both sides of the box', () => {
    const sim = new Sim({ seed: 15, crypto: 'fast', pcap: true });
    const box = sim.nat('nat6', { publicAddress: '2001:db8:ffff::1', inside: ['fd00::1'] });
    const a = sim.host('A', { locators: ['fd00::1'], udp: true });
    const b = sim.host('B', { locators: ['2001:db8::b'], udp: true });
    sim.link('2001:db8:ffff::1', '2001:db8::b', { latencyMs: 10 });
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(1));
    sim.run(50);
    const file = readPcap(sim.pcap().toBytes());
    if (!file.ok) throw new Error(file.error.message);
    expect(file.value.records).toHaveLength(10);
    const srcs = new Set<string>();
    for (const rec of file.value.records) {
      const ip = parseIpPacket(rec.bytes);
      if (!ip.ok) throw new Error(ip.error.message);
      expect(ip.value).toMatchObject({ family: 'ipv6', protocol: 17 });
      expect(readU16(rec.bytes, 40 + 6)).toBe(independentUdpChecksumV6(rec.bytes));
      srcs.add(formatLocator(ip.value.src));
    }
    expect([...srcs].sort()).toEqual(['2001:db8::b', '2001:db8:ffff::1', 'fd00::1']);
    expect(box.counters.translated).toBe(5);
  });
});
