// HIP and ESP over UDP (RFC 9028 §5.1, §5.11): the engine answers the UDP transport address a
// packet came from, zeroes the HIP checksum, and puts the association's ports on its SAs. The
// wire here is hand-driven: a port-rewriting middlebox between the hosts changes the Initiator's
// source port, as a NAT would, so the test shows that replies follow the port seen, not the one
// the Initiator chose.
import { describe, expect, it } from 'vitest';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { Output } from '../../src/engine/io.js';
import { EspDataPlane } from '../../src/esp/dataplane.js';
import { createDriver } from '../../src/driver/driver.js';
import type { Locator, SaSpec, UdpPorts } from '../../src/types.js';
import { CHECKSUM_OFFSET } from '../../src/wire/header.js';
import { LOC_A, LOC_B, identity } from './pair.js';
import { testRandom } from '../fixtures/keys.js';

type Sent = { from: 'a' | 'b'; src: Locator; dst: Locator; bytes: Uint8Array; kind: string; udp: UdpPorts | undefined };

const A_PORT = 40_000;
/** What the middlebox maps the Initiator's port to. */
const A_PORT_SEEN = 61_001;

function udpPair(aConnectsOverUdp: boolean) {
  const a = new HipEngine({ identities: [identity('p256A')], locators: [LOC_A], random: testRandom('udp-a'), config: { udpPort: A_PORT } }, 0);
  const b = new HipEngine({ identities: [identity('p256B')], locators: [LOC_B], random: testRandom('udp-b') }, 0);
  const sent: Sent[] = [];
  const sas: Record<'a' | 'b', SaSpec[]> = { a: [], b: [] };
  const queue: Sent[] = [];
  let now = 0;
  const drain = (side: 'a' | 'b'): void => {
    const e = side === 'a' ? a : b;
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') {
        const s = { from: side, src: o.src, dst: o.dst, bytes: o.bytes, kind: o.packet.kind, udp: o.udp };
        sent.push(s);
        queue.push(s);
      } else if (o.kind === 'sa' && o.op === 'add') sas[side].push(o.sa);
    }
  };
  const deliver = (): void => {
    while (queue.length > 0) {
      const p = queue.shift()!;
      now += 5;
      if (p.udp === undefined) {
        (p.from === 'a' ? b : a).handle({ kind: 'datagram', bytes: p.bytes, src: p.src, dst: p.dst }, now);
      } else if (p.from === 'a') {
        // The middlebox rewrites the Initiator's source port on the way out ...
        expect(p.udp.srcPort).toBe(A_PORT);
        b.handle({ kind: 'datagram', transport: 'udp', bytes: p.bytes, src: p.src, dst: p.dst, srcPort: A_PORT_SEEN, dstPort: p.udp.dstPort }, now);
      } else {
        // ... and maps replies to the seen port back to the Initiator's own.
        if (p.udp.dstPort !== A_PORT_SEEN) continue;
        a.handle({ kind: 'datagram', transport: 'udp', bytes: p.bytes, src: p.src, dst: p.dst, srcPort: p.udp.srcPort, dstPort: A_PORT }, now);
      }
      drain(p.from === 'a' ? 'b' : 'a');
    }
  };
  a.connect({ hit: b.localHits[0]!, locators: [LOC_B], ...(aConnectsOverUdp ? { udpPort: 10500 } : {}) }, now);
  drain('a');
  deliver();
  return { a, b, sent, sas, now: () => now };
}

const checksum = (bytes: Uint8Array): number => (bytes[CHECKSUM_OFFSET]! << 8) | bytes[CHECKSUM_OFFSET + 1]!;

describe('RFC 9028 §5.1 HIP control packets over UDP', () => {
  it('a base exchange over UDP completes, every packet with ports and a zero HIP checksum', () => {
    const { a, b, sent } = udpPair(true);
    expect(a.associations()[0]?.state).toBe('ESTABLISHED');
    expect(['R2_SENT', 'ESTABLISHED']).toContain(b.associations()[0]?.state);
    expect(sent.map((s) => `${s.from}:${s.kind}`)).toEqual(['a:I1', 'b:R1', 'a:I2', 'b:R2']);
    for (const s of sent) {
      expect(s.udp, `${s.kind} has UDP ports`).toBeDefined();
      // "the checksum field ... MUST be zero" (RFC 9028 §5.1): the UDP checksum covers the packet.
      expect(checksum(s.bytes), `${s.kind} checksum`).toBe(0);
    }
  });

  it('the Initiator sends from config.udpPort to the port given to connect', () => {
    const { sent } = udpPair(true);
    const i1 = sent.find((s) => s.kind === 'I1')!;
    expect(i1.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
  });

  it('the Responder answers the port the packets came from (the stateless R1 too), not the one the Initiator chose', () => {
    const { sent } = udpPair(true);
    const r1 = sent.find((s) => s.kind === 'R1')!;
    const r2 = sent.find((s) => s.kind === 'R2')!;
    expect(r1.udp).toEqual({ srcPort: 10500, dstPort: A_PORT_SEEN });
    expect(r2.udp).toEqual({ srcPort: 10500, dstPort: A_PORT_SEEN });
  });

  it('over IP nothing carries UDP ports and the HIP checksum is set', () => {
    const { a, sent, sas } = udpPair(false);
    expect(a.associations()[0]?.state).toBe('ESTABLISHED');
    for (const s of sent) {
      expect(s.udp).toBeUndefined();
      expect(checksum(s.bytes)).not.toBe(0);
    }
    for (const sa of [...sas.a, ...sas.b]) expect(sa.udp).toBeUndefined();
  });
});

describe('RFC 9028 §5.11 ESP over UDP', () => {
  it('"When two peers perform a UDP-encapsulated base exchange, they MUST define a pair of IPsec SAs that produces UDP-encapsulated ESP data traffic"', () => {
    const { sas } = udpPair(true);
    const outA = sas.a.find((s) => s.direction === 'out')!;
    const inA = sas.a.find((s) => s.direction === 'in')!;
    const outB = sas.b.find((s) => s.direction === 'out')!;
    const inB = sas.b.find((s) => s.direction === 'in')!;
    expect(outA.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
    expect(inA.udp).toEqual({ srcPort: 10500, dstPort: A_PORT });
    // The Responder sends ESP to the port it saw, on the same port as HIP (§5.1: one port).
    expect(outB.udp).toEqual({ srcPort: 10500, dstPort: A_PORT_SEEN });
    expect(inB.udp).toEqual({ srcPort: A_PORT_SEEN, dstPort: 10500 });
  });

  it('the data plane puts an SA\'s ports on its packets and reports the ports of received ones in esp-seen', () => {
    const { sas } = udpPair(true);
    const dpA = new EspDataPlane({ random: testRandom('dp-a') });
    const dpB = new EspDataPlane({ random: testRandom('dp-b') });
    for (const sa of sas.a) dpA.addSa(sa);
    for (const sa of sas.b) dpB.addSa(sa);
    const outA = sas.a.find((s) => s.direction === 'out')!;
    const sent = dpA.protect(outA.peerHit, new Uint8Array([1, 2, 3]));
    expect(sent.ok).toBe(true);
    if (!sent.ok) return;
    expect(sent.packet.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
    const seenPorts = { srcPort: A_PORT_SEEN, dstPort: 10500 };
    const got = dpB.unprotect(sent.packet.bytes, sent.packet.src, sent.packet.dst, undefined, seenPorts);
    expect(got.ok).toBe(true);
    const fb = dpB.pollFeedback();
    expect(fb).toMatchObject({ kind: 'esp-seen', udp: seenPorts });
  });
});

describe('UDP inputs are checked like every other field', () => {
  it('a port out of range throws a RangeError naming the field', () => {
    const { b } = udpPair(true);
    expect(() => b.handle({ kind: 'datagram', transport: 'udp', bytes: new Uint8Array(40), src: LOC_A, dst: LOC_B, srcPort: 0 }, 100)).toThrow(/input\.srcPort/);
    expect(() => b.handle({ kind: 'datagram', transport: 'udp', bytes: new Uint8Array(40), src: LOC_A, dst: LOC_B, dstPort: 70_000 }, 100)).toThrow(/input\.dstPort/);
    expect(() => b.handle({ kind: 'esp-seen', spi: 1, src: LOC_A, dst: LOC_B, udp: { srcPort: 1.5, dstPort: 1 } }, 100)).toThrow(/input\.udp\.srcPort/);
    expect(() => new HipEngine({ identities: [identity('p256A')], locators: [LOC_A], config: { udpPort: 0 } }, 0)).toThrow(/config\.udpPort/);
  });

  it('connect({ udpPort }) out of range throws naming peer.udpPort', () => {
    const { a, b } = udpPair(true);
    expect(() => a.connect({ hit: b.localHits[0]!, locators: [LOC_B], udpPort: 65_536 }, 100)).toThrow(/peer\.udpPort/);
  });
});

describe('the reference driver carries the ports', () => {
  it('socket.send gets the transmit\'s ports, and onDatagram passes the ports it is given to the engine', () => {
    const a = new HipEngine({ identities: [identity('p256A')], locators: [LOC_A], random: testRandom('drv-a'), config: { udpPort: A_PORT } }, 0);
    const b = new HipEngine({ identities: [identity('p256B')], locators: [LOC_B], random: testRandom('drv-b') }, 0);
    const sentA: { bytes: Uint8Array; udp: UdpPorts | undefined }[] = [];
    const sentB: { udp: UdpPorts | undefined; kind: string }[] = [];
    const scheduler = { now: () => 0, wakeAt: () => {} };
    const da = createDriver(a, { scheduler, socket: { send: (_s, _d, bytes, _p, udp) => void sentA.push({ bytes, udp }) } });
    const db = createDriver(b, { scheduler, socket: { send: (_s, _d, _b, packet, udp) => void sentB.push({ udp, kind: packet.kind }) } });
    da.connect({ hit: b.localHits[0]!, locators: [LOC_B], udpPort: 10500 });
    expect(sentA[0]!.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
    db.onDatagram(sentA[0]!.bytes, LOC_A, LOC_B, 'udp', { srcPort: 5555, dstPort: 10500 });
    expect(sentB).toEqual([{ kind: 'R1', udp: { srcPort: 10500, dstPort: 5555 } }]);
  });
});
