// RFC 9028 §4.8, §5.1, §5.11: the NAT in front of the Initiator gives its mapping a new public
// port; the Responder follows on fresh authenticated evidence (ESP that passed the data plane,
// a new UPDATE) and not on replayable packets. Two engines driven by hand on virtual time; the
// test plays the NAT and can rebind it.
import { describe, expect, it } from 'vitest';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { Output } from '../../src/engine/io.js';
import type { SaSpec, UdpPorts } from '../../src/types.js';
import { param } from '../../src/wire/access.js';
import type { HipPacket } from '../../src/wire/types.js';
import { LOC_A, LOC_B, identity, type Pair } from './pair.js';
import { forgeUpdate } from './helpers.js';
import { testRandom } from '../fixtures/keys.js';
import { runEngines } from './engine-loop.js';

const A_PORT = 40_000;

type Sent = { at: number; from: 'a' | 'b'; packet: HipPacket; bytes: Uint8Array; udp: UdpPorts | undefined };

function world() {
  const a = new HipEngine({ identities: [identity('p256A')], locators: [LOC_A], random: testRandom('rb-a'), config: { udpPort: A_PORT } }, 0);
  const b = new HipEngine({ identities: [identity('p256B')], locators: [LOC_B], random: testRandom('rb-b') }, 0);
  const nat = { port: 61_001 };
  const sent: Sent[] = [];
  const saUpdates: Record<'a' | 'b', SaSpec[]> = { a: [], b: [] };
  const sas: Record<'a' | 'b', SaSpec[]> = { a: [], b: [] };
  const wire: { at: number; from: 'a' | 'b'; o: Extract<Output, { kind: 'transmit' }> }[] = [];
  let now = 0;
  const drain = (side: 'a' | 'b'): void => {
    const e = side === 'a' ? a : b;
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') {
        sent.push({ at: now, from: side, packet: o.packet, bytes: o.bytes, udp: o.udp });
        wire.push({ at: now + 5, from: side, o });
      } else if (o.kind === 'sa') {
        if (o.op === 'add') sas[side].push(o.sa);
        if (o.op === 'update') saUpdates[side].push(o.sa);
      }
    }
  };
  const deliver = (w: (typeof wire)[number]): void => {
    const { from, o } = w;
    if (from === 'a') {
      b.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: o.src, dst: o.dst, srcPort: nat.port, dstPort: o.udp!.dstPort }, now);
    } else {
      // Only the NAT's current mapping leads back to A.
      if (o.udp!.dstPort !== nat.port) return;
      a.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: o.src, dst: o.dst, srcPort: o.udp!.srcPort, dstPort: A_PORT }, now);
    }
    drain(from === 'a' ? 'b' : 'a');
  };
  const run = (until: number): void => {
    now = runEngines({ a, b, wire, deliver: deliver, drain, setNow: (t) => (now = t) }, now, until, 100_000);
  };
  a.connect({ hit: b.localHits[0]!, locators: [LOC_B], udpPort: 10500 }, 0);
  drain('a');
  run(100);
  /** ESP from A reaches B through the NAT: what B's data plane would report. */
  const espFromA = (): void => {
    const inB = sas.b.find((s) => s.direction === 'in')!;
    b.handle({ kind: 'esp-seen', spi: inB.spi, src: LOC_A, dst: LOC_B, udp: { srcPort: nat.port, dstPort: 10500 } }, now);
    drain('b');
  };
  return { a, b, nat, sent, sas, saUpdates, run, drain, espFromA, now: () => now };
}

describe('RFC 9028 §4.8, §5.11: the peer\'s NAT rebinds to a new port', () => {
  it('authenticated ESP from the new port moves both of the Responder\'s SAs to it (sa update), and its HIP packets follow', () => {
    const w = world();
    w.espFromA(); // ESTABLISHED on data (RFC 7401 Table 5)
    expect(w.b.associations()[0]?.state).toBe('ESTABLISHED');
    w.nat.port = 62_002;
    w.espFromA();
    const outB = w.saUpdates.b.find((s) => s.direction === 'out');
    const inB = w.saUpdates.b.find((s) => s.direction === 'in');
    expect(outB?.udp).toEqual({ srcPort: 10500, dstPort: 62_002 });
    expect(inB?.udp).toEqual({ srcPort: 62_002, dstPort: 10500 });
    // B's next HIP packet (here its keepalive, RFC 9028 §4.10) goes to the new mapping.
    w.run(20_000);
    const later = w.sent.filter((s) => s.from === 'b' && s.at > 100);
    expect(later.length).toBeGreaterThan(0);
    for (const s of later) expect(s.udp?.dstPort).toBe(62_002);
  });

  it('an UPDATE from the new port with a new SEQ is answered at the new port: a rekey completes across the rebinding', () => {
    const w = world();
    w.espFromA();
    w.nat.port = 62_002;
    const id = w.a.associations()[0]!.id;
    w.a.rekey(id, w.now());
    w.drain('a');
    w.run(5_000);
    const fromB = w.sent.filter((s) => s.from === 'b' && s.packet.kind === 'UPDATE');
    expect(fromB.length).toBeGreaterThan(0);
    for (const s of fromB) expect(s.udp?.dstPort).toBe(62_002);
    // The rekey's three-way UPDATE went through: A has new SAs and nothing outstanding.
    expect(w.sent.filter((s) => s.from === 'a' && s.packet.kind === 'UPDATE').length).toBeGreaterThanOrEqual(2);
    expect(w.b.associations()[0]?.sas[0]?.localSpi).not.toBe(w.sas.b.find((s) => s.direction === 'in')!.spi);
  });

  it('a keepalive NOTIFY (replayable: no sequence number) from another port moves nothing', () => {
    const w = world();
    w.espFromA();
    w.run(16_000); // A sends its first keepalive at ~15 s from port 61001
    const keepalive = w.sent.find((s) => s.from === 'a' && s.packet.kind === 'NOTIFY')!;
    const before = w.saUpdates.b.length;
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: keepalive.bytes, src: LOC_A, dst: LOC_B, srcPort: 63_003, dstPort: 10500 }, w.now());
    w.drain('b');
    expect(w.saUpdates.b.length).toBe(before);
  });

  it('a copy of an UPDATE already processed, replayed from another port, moves nothing (RFC 7401 §6.12.1: a retransmission is not reprocessed)', () => {
    const w = world();
    w.espFromA();
    const id = w.a.associations()[0]!.id;
    w.a.rekey(id, w.now());
    w.drain('a');
    w.run(5_000);
    const firstUpdate = w.sent.find((s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'SEQ'))!;
    const before = w.saUpdates.b.length;
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: firstUpdate.bytes, src: LOC_A, dst: LOC_B, srcPort: 63_003, dstPort: 10500 }, w.now());
    w.drain('b');
    expect(w.saUpdates.b.slice(before).filter((s) => s.udp?.dstPort === 63_003 || s.udp?.srcPort === 63_003)).toEqual([]);
    const reply = w.sent.filter((s) => s.from === 'b').at(-1)!;
    expect(reply.udp?.dstPort).toBe(61_001);
  });

  it('a new UPDATE older than the latest (reordered from before the rebinding) does not move the port back', () => {
    const w = world();
    w.espFromA();
    // A's HIP_MAC key and signature make these genuine UPDATEs of A (test/engine/helpers.ts).
    const asPair = { engine: () => w.a } as unknown as Pair;
    const newer = forgeUpdate(asPair, 'a', [{ kind: 'SEQ', updateId: 1001 }], LOC_A, LOC_B);
    const older = forgeUpdate(asPair, 'a', [{ kind: 'SEQ', updateId: 1000 }], LOC_A, LOC_B);
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: newer, src: LOC_A, dst: LOC_B, srcPort: 62_002, dstPort: 10500 }, w.now());
    w.drain('b');
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: older, src: LOC_A, dst: LOC_B, srcPort: 61_001, dstPort: 10500 }, w.now());
    w.drain('b');
    const outs = w.saUpdates.b.filter((s) => s.direction === 'out');
    expect(outs.map((s) => s.udp?.dstPort)).toEqual([62_002]);
    const acks = w.sent.filter((s) => s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'ACK'));
    expect(acks.map((s) => s.udp?.dstPort)).toEqual([62_002, 62_002]);
  });
});
