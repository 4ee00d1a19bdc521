// RFC 9028 §4.10, §5.3: NAT keepalives on associations over UDP. Two engines driven by hand on
// virtual time; the Initiator sits behind a port-rewriting NAT as in rfc9028-udp-transport.
import { describe, expect, it } from 'vitest';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { HipConfig } from '../../src/engine/config.js';
import { resolveConfig } from '../../src/engine/config.js';
import type { HipEvent, Output } from '../../src/engine/io.js';
import type { UdpPorts } from '../../src/types.js';
import { param } from '../../src/wire/access.js';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';
import type { HipPacket } from '../../src/wire/types.js';
import { LOC_A, LOC_B, identity } from './pair.js';
import { testRandom } from '../fixtures/keys.js';
import { runEngines } from './engine-loop.js';

const A_PORT = 40_000;
const A_SEEN = 61_001;

type Sent = { at: number; from: 'a' | 'b'; packet: HipPacket; udp: UdpPorts | undefined };

function world(opts: { udp?: boolean; config?: Partial<HipConfig> } = {}) {
  const udp = opts.udp ?? true;
  const a = new HipEngine({ identities: [identity('p256A')], locators: [LOC_A], random: testRandom('ka-a'), config: { udpPort: A_PORT, ...opts.config } }, 0);
  const b = new HipEngine({ identities: [identity('p256B')], locators: [LOC_B], random: testRandom('ka-b'), config: { ...opts.config } }, 0);
  const sent: Sent[] = [];
  const events: Record<'a' | 'b', HipEvent[]> = { a: [], b: [] };
  const wire: { at: number; from: 'a' | 'b'; o: Extract<Output, { kind: 'transmit' }> }[] = [];
  let now = 0;
  const drain = (side: 'a' | 'b'): void => {
    const e = side === 'a' ? a : b;
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') {
        sent.push({ at: now, from: side, packet: o.packet, udp: o.udp });
        wire.push({ at: now + 5, from: side, o });
      } else if (o.kind === 'event') events[side].push(o.event);
    }
  };
  const deliver = (w: (typeof wire)[number]): void => {
    const { from, o } = w;
    if (!o.udp) {
      (from === 'a' ? b : a).handle({ kind: 'datagram', bytes: o.bytes, src: o.src, dst: o.dst }, now);
    } else if (from === 'a') {
      b.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: o.src, dst: o.dst, srcPort: A_SEEN, dstPort: o.udp.dstPort }, now);
    } else {
      if (o.udp.dstPort !== A_SEEN) return;
      a.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: o.src, dst: o.dst, srcPort: o.udp.srcPort, dstPort: A_PORT }, now);
    }
    drain(from === 'a' ? 'b' : 'a');
  };
  /** Runs deliveries and timers in time order up to `until`. */
  const run = (until: number): void => {
    now = runEngines({ a, b, wire, deliver: deliver, drain, setNow: (t) => (now = t) }, now, until, 100_000);
  };
  a.connect({ hit: b.localHits[0]!, locators: [LOC_B], ...(udp ? { udpPort: 10500 } : {}) }, 0);
  drain('a');
  run(100);
  return { a, b, sent, events, run, now: () => now, drain };
}

const keepalives = (sent: Sent[], from?: 'a' | 'b'): Sent[] =>
  sent.filter((s) => s.packet.kind === 'NOTIFY' && param(s.packet, 'NOTIFICATION')?.messageType === NOTIFY_TYPE.NAT_KEEPALIVE && (from === undefined || s.from === from));

describe('RFC 9028 §4.10 NAT keepalives', () => {
  it('"hosts MUST send periodic keepalives ... every 15 seconds": each side of an idle UDP association sends one NOTIFY NAT_KEEPALIVE per 15 s', () => {
    const w = world();
    expect(w.a.associations()[0]?.state).toBe('ESTABLISHED');
    w.run(62_000);
    const fromA = keepalives(w.sent, 'a');
    expect(fromA.length).toBe(4);
    // 15 s after the last packet A sent (its I2), then every 15 s.
    const i2At = w.sent.find((s) => s.packet.kind === 'I2')!.at;
    expect(fromA.map((s) => s.at)).toEqual([1, 2, 3, 4].map((k) => i2At + k * 15_000));
    expect(keepalives(w.sent, 'b').length).toBeGreaterThanOrEqual(3);
  });

  it('§5.3: "with the Notify message type field set to NAT_KEEPALIVE (16385) and with an empty Notification data field", over the association\'s UDP ports, signed', () => {
    const w = world();
    w.run(16_000);
    const k = keepalives(w.sent, 'a')[0]!;
    const n = param(k.packet, 'NOTIFICATION')!;
    expect(n.messageType).toBe(16385);
    expect(n.data.length).toBe(0);
    expect(param(k.packet, 'HIP_SIGNATURE')).toBeDefined();
    expect(k.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
    const kb = keepalives(w.sent, 'b')[0]!;
    expect(kb.udp).toEqual({ srcPort: 10500, dstPort: A_SEEN });
  });

  it('the receiver verifies a keepalive and does not report it as a notify event or a drop', () => {
    const w = world();
    w.run(40_000);
    expect(keepalives(w.sent).length).toBeGreaterThan(0);
    for (const side of ['a', 'b'] as const) {
      expect(w.events[side].filter((e) => e.type === 'notify' || e.type === 'dropped')).toEqual([]);
    }
    expect(w.b.stats().received.NOTIFY).toBeGreaterThan(0);
  });

  it('§5.3: "the sending of such a HIP NOTIFY message SHOULD be omitted if the host is sending some other traffic": a rekey at 10 s moves A\'s keepalive to 15 s after it', () => {
    const w = world();
    w.run(10_000);
    const id = w.a.associations()[0]!.id;
    w.a.rekey(id, w.now());
    w.drain('a');
    w.run(30_000);
    const lastA = Math.max(...w.sent.filter((s) => s.from === 'a' && s.packet.kind !== 'NOTIFY' && s.at <= 30_000).map((s) => s.at));
    const first = keepalives(w.sent, 'a')[0]!;
    expect(first.at).toBe(lastA + 15_000);
  });

  it('an association over plain IP sends no keepalives', () => {
    const w = world({ udp: false });
    w.run(60_000);
    expect(keepalives(w.sent)).toEqual([]);
  });

  it('Tr is config.natKeepaliveMs; "a Tr value smaller than 15 seconds MUST NOT be used"', () => {
    const w = world({ config: { natKeepaliveMs: 20_000 } });
    w.run(41_000);
    const i2At = w.sent.find((s) => s.packet.kind === 'I2')!.at;
    expect(keepalives(w.sent, 'a').map((s) => s.at)).toEqual([i2At + 20_000, i2At + 40_000]);
    expect(() => resolveConfig({ natKeepaliveMs: 14_999 })).toThrow(/config\.natKeepaliveMs/);
  });

  it('keepalives are not activity for UAL (RFC 7401 §4.4.3 Table 6): an unused association still closes', () => {
    const w = world({ config: { ualMs: 60_000 } });
    w.run(70_000);
    expect(keepalives(w.sent).length).toBeGreaterThan(0);
    expect(w.sent.some((s) => s.packet.kind === 'CLOSE')).toBe(true);
    const closeAt = w.sent.find((s) => s.packet.kind === 'CLOSE')!.at;
    expect(closeAt).toBeLessThanOrEqual(61_000);
  });
});
