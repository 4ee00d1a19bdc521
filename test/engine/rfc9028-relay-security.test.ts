// Security of the Control Relay Server and its client (RFC 9028 §4.5, §5.8, §7.3, §7.6): every
// unauthenticated or malformed relay packet is dropped with its DropReason, the relay forwards
// one packet per packet within a per-client budget, and registrations obey the RFC 8003 limits.
import { describe, expect, it } from 'vitest';
import { encodeParamBlock, param } from '../../src/wire/index.js';
import { concatBytes } from '../../src/util/bytes.js';
import { HIP_PORT, I_NAT, R_PUB, RelayNet, type RelayNetOptions, type Wire } from './relay-net.js';

function registered(opts: RelayNetOptions = {}): RelayNet {
  const net = new RelayNet(opts);
  net.register('c');
  expect(net.state('c', 'r')).toBe('ESTABLISHED');
  net.wire.length = 0;
  return net;
}

/** `bytes` with the last byte of the packet (inside the trailing RELAY_HMAC) flipped. */
function flipLast(w: Wire): Uint8Array {
  const b = w.bytes.slice();
  const mac = param(w.packet, 'RELAY_HMAC')!;
  b[mac.span!.offset + 4] = b[mac.span!.offset + 4]! ^ 0x01;
  return b;
}

/** `bytes` without the trailing RELAY_HMAC (header length fixed). */
function stripHmac(w: Wire): Uint8Array {
  const mac = param(w.packet, 'RELAY_HMAC')!;
  const b = w.bytes.slice(0, mac.span!.offset);
  b[1] = b.length / 8 - 1;
  return b;
}

const dropped = (net: RelayNet, n: 'r' | 'c' | 'i', reason: string): number => net.drops(n).filter((d) => d.reason === reason).length;

describe('RFC 9028 §4.5 step 3 / §5.8 the client verifies RELAY_HMAC', () => {
  it('§4.5 "validates the RELAY_HMAC ... and silently drops the packet if the validation fails": a tampered RELAY_HMAC gets no R1', () => {
    const net = registered();
    net.filter = (w) => (w.from === 'r' && w.to === 'c' ? flipLast(w) : 'pass');
    net.connectViaRelay();
    expect(dropped(net, 'c', 'bad-relay-hmac')).toBe(1);
    expect(net.wire.filter((w) => w.from === 'c')).toEqual([]);
    expect(net.c.associations().filter((a) => a.peerHit.every((x, k) => x === net.hit('i')[k]))).toEqual([]);
  });

  it('§5.8 · RELAY_FROM without RELAY_HMAC is dropped with bad-relay-hmac', () => {
    const net = registered();
    net.filter = (w) => (w.from === 'r' && w.to === 'c' ? stripHmac(w) : 'pass');
    net.connectViaRelay();
    expect(dropped(net, 'c', 'bad-relay-hmac')).toBe(1);
    expect(net.wire.filter((w) => w.from === 'c')).toEqual([]);
  });

  it('§5.8 "keyed with the HIP integrity key ... established during the relay registration": a host that is not our relay cannot relay to us', () => {
    // The Initiator registers with its own relay, C with R: only R's key counts at C. Here no
    // relay registration at all: a RELAY_FROM packet is dropped for want of any relay key.
    const net = new RelayNet();
    net.register('c');
    const relayedI1 = (() => {
      net.wire.length = 0;
      net.connectViaRelay();
      return net.wire.find((w) => w.from === 'r' && w.to === 'c')!;
    })();
    const fresh = new RelayNet();
    fresh.c.handle({ kind: 'datagram', transport: 'udp', bytes: relayedI1.bytes, src: R_PUB, dst: fresh.nats.c.priv, srcPort: HIP_PORT, dstPort: HIP_PORT }, 1);
    fresh.drain('c');
    expect(fresh.drops('c').map((d) => [d.reason, d.detail])).toEqual([['bad-relay-hmac', 'no Control Relay Server registration']]);
    expect(fresh.wire).toEqual([]);
  });
});

describe('RFC 9028 §4.5 steps 2 and 4 the relay forwards only for registered clients', () => {
  it('§4.5 step 2 "Otherwise, the Control Relay Server MUST drop the packet silently": an I1 for a HIT with no registration', () => {
    const net = new RelayNet();
    net.connectViaRelay();
    expect(net.wire.map((w) => `${w.from}>${w.to}:${w.packet.kind}`)).toEqual(['i>r:I1']);
    expect(dropped(net, 'r', 'unknown-hit')).toBe(1);
  });

  it('§4.5 step 4 · a packet with RELAY_TO whose RELAY_HMAC does not verify with the client key is not forwarded (no reflection off the relay)', () => {
    const net = registered();
    net.filter = (w) => (w.from === 'c' && w.to === 'r' && w.packet.kind === 'R1' ? flipLast(w) : 'pass');
    net.connectViaRelay();
    expect(dropped(net, 'r', 'bad-relay-hmac')).toBe(1);
    expect(net.wire.filter((w) => w.from === 'r' && w.to === 'i')).toEqual([]);
  });

  it('§4.5 step 4 · RELAY_TO without RELAY_HMAC is not forwarded', () => {
    const net = registered();
    net.filter = (w) => (w.from === 'c' && w.to === 'r' && w.packet.kind === 'R1' ? stripHmac(w) : 'pass');
    net.connectViaRelay();
    expect(net.drops('r').map((d) => [d.reason, d.detail])).toEqual([['bad-relay-hmac', 'RELAY_TO without RELAY_HMAC']]);
    expect(net.wire.filter((w) => w.from === 'r' && w.to === 'i')).toEqual([]);
  });

  it('§4.1 · after the client unregisters, packets for it are dropped silently', () => {
    const net = registered();
    net.c.unregister(net.assocId('c', 'r'), [2], net.now);
    net.drain('c');
    net.deliver();
    expect(net.events.r.some((e) => e.type === 'registration-ended')).toBe(true);
    net.wire.length = 0;
    net.connectViaRelay();
    expect(net.wire.filter((w) => w.from === 'r')).toEqual([]);
    expect(dropped(net, 'r', 'unknown-hit')).toBe(1);
  });

  it('§4.5 · a packet for a client that already carries RELAY_FROM (a loop or a forgery) is dropped with reason relay', () => {
    const net = registered();
    net.connectViaRelay();
    const relayed = net.wire.find((w) => w.from === 'r' && w.to === 'c' && w.packet.kind === 'I1')!;
    net.wire.length = 0;
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: relayed.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now + 1);
    net.drain('r');
    expect(net.wire).toEqual([]);
    expect(net.drops('r').at(-1)?.reason).toBe('relay');
  });

  it('§4.1 "delivered on top of UDP" · a packet for a client arriving on plain IP is not relayed', () => {
    const net = registered();
    net.i.connect({ hit: net.hit('c'), locators: [R_PUB] }, net.now);
    const out = net.i.poll();
    if (out?.kind !== 'transmit') throw new Error('expected the I1');
    net.r.handle({ kind: 'datagram', bytes: out.bytes, src: out.src, dst: out.dst }, net.now + 1);
    net.drain('r');
    expect(net.wire).toEqual([]);
    // Not the relay's business: a HIT that is not ours, with no rendezvous registration.
    expect(net.drops('r').at(-1)?.reason).toBe('unknown-hit');
  });
});

describe('RFC 9028 §7.6 amplification: one bounded packet per packet, a budget per client', () => {
  it('§7.6 · each relayed packet is the one received plus RELAY_FROM (24 bytes) and RELAY_HMAC, or minus the RELAY_HMAC', () => {
    const net = registered();
    net.connectViaRelay();
    const ins = net.wire.filter((w) => w.to === 'r');
    const outs = net.wire.filter((w) => w.from === 'r');
    expect(outs.length).toBe(ins.length);
    for (let k = 0; k < ins.length; k++) {
      const a = ins[k]!;
      const b = outs[k]!;
      expect(b.packet.kind).toBe(a.packet.kind);
      const hmacLen = (param(b.packet, 'RELAY_HMAC') ?? param(a.packet, 'RELAY_HMAC'))!.span!.length;
      const growth = b.bytes.length - a.bytes.length;
      expect(growth === 24 + hmacLen || growth === -hmacLen, `${a.packet.kind}: ${growth}`).toBe(true);
    }
  });

  it('§7.6 / controlRelayBudget · the relay forwards at most the burst for one client, the rest is dropped rate-limited', () => {
    const net = registered({ relayConfig: { controlRelayBurst: 3, controlRelayPerSecond: 1 } });
    net.i.connect({ hit: net.hit('c'), locators: [R_PUB], udpPort: HIP_PORT }, net.now);
    const out = net.i.poll();
    if (out?.kind !== 'transmit') throw new Error('expected the I1');
    for (let k = 0; k < 10; k++) {
      net.r.handle({ kind: 'datagram', transport: 'udp', bytes: out.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now);
    }
    net.drain('r');
    expect(net.wire.filter((w) => w.from === 'r').length).toBe(3);
    expect(dropped(net, 'r', 'rate-limited')).toBe(7);
  });

  it('§7.6 · the controlRelayBudget hook can lower the budget; an answer above the configured one is clamped to it', () => {
    const seen: number[] = [];
    const run = (perSecond: number, burst: number): number => {
      const net = registered({
        relayConfig: { controlRelayBurst: 4, controlRelayPerSecond: 1 },
        relayPolicy: {
          controlRelayBudget: ({ configured }) => {
            seen.push(configured.burst);
            return { perSecond, burst };
          },
        },
      });
      net.i.connect({ hit: net.hit('c'), locators: [R_PUB], udpPort: HIP_PORT }, net.now);
      const out = net.i.poll();
      if (out?.kind !== 'transmit') throw new Error('expected the I1');
      for (let k = 0; k < 10; k++) {
        net.r.handle({ kind: 'datagram', transport: 'udp', bytes: out.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now);
      }
      net.drain('r');
      return net.wire.filter((w) => w.from === 'r').length;
    };
    expect(run(1, 2)).toBe(2);
    expect(run(1000, 1000)).toBe(4);
    expect(run(0, 0)).toBe(0);
    expect(run(Number.NaN, Number.NaN)).toBe(0);
    expect(seen.every((b) => b === 4)).toBe(true);
  });
});

describe('RFC 9028 §4.1 / RFC 8003 §6 registration limits apply to RELAY_UDP_HIP', () => {
  it('RFC 8003 §3.3 · a host not on the allow-list is refused (Failure Type 0) and gets nothing relayed', () => {
    const net = new RelayNet({ relayConfig: { registrationAllowList: [] } });
    net.register('c');
    expect(net.events.c.some((e) => e.type === 'registration-failed' && e.failureType === 0)).toBe(true);
    expect(net.events.c.some((e) => e.type === 'server-reflexive')).toBe(false);
    expect(param(net.wire.find((w) => w.packet.kind === 'R2')!.packet, 'REG_FROM')).toBeUndefined();
    net.wire.length = 0;
    net.connectViaRelay();
    expect(net.wire.filter((w) => w.from === 'r')).toEqual([]);
  });

  it('RFC 9028 §4.1 "MUST reject the request with Failure Type Insufficient resources" · maxRegistrations bounds the relay clients', () => {
    const net = new RelayNet({ relayConfig: { maxRegistrations: 1 } });
    net.register('c');
    net.register('i');
    expect(net.events.c.some((e) => e.type === 'registered')).toBe(true);
    expect(net.events.i.some((e) => e.type === 'registration-failed' && e.failureType === 2)).toBe(true);
  });
});

describe('RFC 9028 §7.3 replayed base exchange through the relay', () => {
  // With config.controlRelayReplayNonces off (the default): the relay relays the copies, the end
  // hosts stop them. With it on, see test/engine/rfc9028-relay-replay.test.ts.
  it('§7.3 · a replayed relayed I2 and R2 install nothing: the relay keeps no state per exchange, and the end hosts drop the copies', () => {
    const net = registered();
    net.connectViaRelay();
    const i2 = net.wire.find((w) => w.from === 'i' && w.packet.kind === 'I2')!;
    const r2 = net.wire.find((w) => w.from === 'c' && w.packet.kind === 'R2')!;
    const before = { c: net.c.associations().length, i: net.i.associations().length, r: net.r.associations().length };
    net.runUntil(net.now + 120_000);
    net.wire.length = 0;
    const dropsBefore = { c: net.drops('c').length, i: net.drops('i').length };
    const sasBefore = { c: net.sas.c.length, i: net.sas.i.length };
    // An attacker replays the Initiator's I2 to the relay, and the client's R2 (its RELAY_HMAC is
    // still valid) from the client's NAT address.
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: i2.bytes, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now);
    net.drain('r');
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: r2.bytes, src: r2.src, dst: R_PUB, srcPort: r2.srcPort, dstPort: HIP_PORT }, net.now);
    net.drain('r');
    net.deliver();
    expect(net.c.associations().length).toBe(before.c);
    expect(net.i.associations().length).toBe(before.i);
    expect(net.r.associations().length).toBe(before.r);
    expect(net.state('i', 'c')).toBe('ESTABLISHED');
    // No new SA anywhere, and the Initiator dropped the R2 copies (it is ESTABLISHED, RFC 7401
    // §4.4.3 Table 7); the client at most resent the R2 it already sent (RFC 7401 §6.9).
    expect(net.sas.c.length).toBe(sasBefore.c);
    expect(net.sas.i.length).toBe(sasBefore.i);
    expect(net.drops('i').length).toBeGreaterThan(dropsBefore.i);
    for (const w of net.wire.filter((x) => x.from === 'c')) expect(w.packet.kind).toBe('R2');
  });
});

describe('RFC 9028 §5.10 RVS_HMAC_PROHIBITED_WITH_RELAY', () => {
  it('§5.10 "the Control Relay Client drops the received HIP message and sends a notify message back to the Control Relay Server"', () => {
    const net = registered();
    net.i.connect({ hit: net.hit('c'), locators: [R_PUB], udpPort: HIP_PORT }, net.now);
    const out = net.i.poll();
    if (out?.kind !== 'transmit') throw new Error('expected the I1');
    // The I1 arrives at the relay with an RVS_HMAC: the relay passes it on inside its RELAY_FROM
    // and RELAY_HMAC, so the client gets a message from its relay that carries an RVS_HMAC.
    const withRvsHmac = concatBytes(out.bytes, encodeParamBlock([{ kind: 'RVS_HMAC', hmac: new Uint8Array(32).fill(7) }]));
    withRvsHmac[1] = withRvsHmac.length / 8 - 1;
    net.r.handle({ kind: 'datagram', transport: 'udp', bytes: withRvsHmac, src: I_NAT, dst: R_PUB, srcPort: 50_001, dstPort: HIP_PORT }, net.now);
    net.drain('r');
    net.deliver();
    expect(net.drops('c').map((d) => [d.reason, d.packetKind])).toEqual([['relay', 'I1']]);
    const fromC = net.wire.filter((w) => w.from === 'c');
    expect(fromC.map((w) => w.packet.kind)).toEqual(['NOTIFY']);
    expect(fromC[0]!.dst).toEqual(R_PUB);
    const n = param(fromC[0]!.packet, 'NOTIFICATION')!;
    expect(n.messageType).toBe(64);
    // "The Notification Data field for the error notifications SHOULD contain the HIP header of the rejected packet".
    expect(n.data.length).toBe(40);
    expect(n.data.subarray(8, 24)).toEqual(net.hit('i'));
    expect(net.events.r.some((e) => e.type === 'notify' && e.messageType === 64 && e.authenticated)).toBe(true);
  });
});

describe('RFC 9028 §4.1 relay registration runs over UDP', () => {
  it('§4.1 "all UPDATE messages are delivered on top of UDP" · RELAY_UDP_HIP requested over plain IP is refused with Failure Type 1', () => {
    const net = new RelayNet();
    net.c.connect({ hit: net.hit('r'), locators: [R_PUB], register: [2] }, net.now);
    // Hand-carry the plain-IP exchange (the NAT of the test network carries UDP only).
    const carry = (from: 'c' | 'r'): number => {
      let n = 0;
      const e = net.engine(from);
      for (let o = e.poll(); o !== undefined; o = e.poll()) {
        if (o.kind === 'event') net.events[from].push(o.event);
        if (o.kind !== 'transmit') continue;
        n++;
        expect(o.udp).toBeUndefined();
        net.engine(from === 'c' ? 'r' : 'c').handle({ kind: 'datagram', bytes: o.bytes, src: o.src, dst: o.dst }, ++net.now);
      }
      return n;
    };
    while (carry('c') + carry('r') > 0);
    expect(net.state('c', 'r')).toBe('ESTABLISHED');
    expect(net.events.c.some((e) => e.type === 'registration-failed' && e.failureType === 1 && e.regTypes.includes(2))).toBe(true);
    expect(net.events.c.some((e) => e.type === 'server-reflexive')).toBe(false);
  });
});
