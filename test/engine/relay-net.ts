// A hand-driven UDP network for the RFC 9028 Control Relay tests: a relay R on a public
// address, a client C behind a NAT and an Initiator I behind another. Each NAT maps the host's
// private (address, port) to one public (address, port) for every destination (the
// endpoint-independent mapping of RFC 4787 §4.1) and lets replies in only to a mapping that
// exists; everything else is dropped. A test can rebind a NAT (a new public port), watch, drop or
// rewrite any datagram on the wire. The hosts keep the default config (natTraversal "none"): the
// relayed base exchange still runs ICE-HIP-UDP, as RFC 9028 §4.5 steps 3 and 5 require, and the
// registration with the relay none (§4.7.1).
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { HipEvent, Output } from '../../src/engine/io.js';
import type { HipConfig } from '../../src/engine/config.js';
import type { EnginePolicy } from '../../src/engine/policy.js';
import type { EngineOptions } from '../../src/engine/engine.js';
import { parseLocator } from '../../src/addr/locator.js';
import type { Locator, SaSpec } from '../../src/types.js';
import { decodePacket } from '../../src/wire/index.js';
import type { HipPacket } from '../../src/wire/types.js';
import { REG_TYPE_RELAY_UDP_HIP } from '../../src/engine/reg-types.js';
import { identity } from './pair.js';
import { testRandom } from '../fixtures/keys.js';

export type Name = 'r' | 'c' | 'i';
/** One datagram on the wire, as it left its sender's NAT (public addresses and ports). */
export type Wire = { from: Name; to: Name | undefined; src: Locator; dst: Locator; srcPort: number; dstPort: number; bytes: Uint8Array; packet: HipPacket };

export const R_PUB = parseLocator('2001:db8:ffff::1');
export const C_PRIV = parseLocator('fd00:c::2');
export const C_NAT = parseLocator('2001:db8:c::1');
export const I_PRIV = parseLocator('fd00:1::2');
export const I_NAT = parseLocator('2001:db8:1::1');
export const HIP_PORT = 10500;

const eq = (a: Locator, b: Locator): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

type Nat = { priv: Locator; pub: Locator; privPort: number; pubPort: number };

export type RelayNetOptions = {
  relayConfig?: Partial<HipConfig>;
  relayPolicy?: Partial<EnginePolicy>;
  clientConfig?: Partial<HipConfig>;
  initiatorConfig?: Partial<HipConfig>;
  /** The client's engine trace (EngineOptions.trace). */
  clientTrace?: EngineOptions['trace'];
  /** The client's crypto provider (EngineOptions.crypto), e.g. one that counts signatures. */
  clientCrypto?: EngineOptions['crypto'];
};

export class RelayNet {
  readonly r: HipEngine;
  readonly c: HipEngine;
  readonly i: HipEngine;
  now = 0;
  readonly wire: Wire[] = [];
  readonly events: Record<Name, HipEvent[]> = { r: [], c: [], i: [] };
  readonly sas: Record<Name, SaSpec[]> = { r: [], c: [], i: [] };
  /** Decides the fate of each datagram before delivery: pass, drop, or other bytes. */
  filter: (w: Wire) => 'pass' | 'drop' | Uint8Array = () => 'pass';
  private readonly queue: Wire[] = [];
  readonly nats: Record<'c' | 'i', Nat> = {
    c: { priv: C_PRIV, pub: C_NAT, privPort: HIP_PORT, pubPort: 40_001 },
    i: { priv: I_PRIV, pub: I_NAT, privPort: HIP_PORT, pubPort: 50_001 },
  };

  constructor(opts: RelayNetOptions = {}) {
    this.i = new HipEngine({ identities: [identity('p256A')], locators: [I_PRIV], random: testRandom('relay-i'), config: { ...opts.initiatorConfig } }, 0);
    this.c = new HipEngine(
      {
        identities: [identity('p256B')],
        locators: [C_PRIV],
        random: testRandom('relay-c'),
        config: { ...opts.clientConfig },
        ...(opts.clientTrace ? { trace: opts.clientTrace } : {}),
        ...(opts.clientCrypto ? { crypto: opts.clientCrypto } : {}),
      },
      0,
    );
    this.r = new HipEngine(
      {
        identities: [identity('ed25519A')],
        locators: [R_PUB],
        random: testRandom('relay-r'),
        config: { registrarTypes: [REG_TYPE_RELAY_UDP_HIP], registrationAllowList: [this.c.localHits[0]!, this.i.localHits[0]!], ...opts.relayConfig },
        ...(opts.relayPolicy ? { policy: opts.relayPolicy } : {}),
      },
      0,
    );
  }

  engine(n: Name): HipEngine {
    return n === 'r' ? this.r : n === 'c' ? this.c : this.i;
  }
  hit(n: Name): Uint8Array {
    return this.engine(n).localHits[0]!;
  }

  /** Drains `n`'s outputs: transmits leave through its NAT onto the wire. */
  drain(n: Name): void {
    const e = this.engine(n);
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'event') this.events[n].push(o.event);
      if (o.kind === 'sa' && o.op === 'add') this.sas[n].push(o.sa);
      if (o.kind !== 'transmit') continue;
      if (!o.udp) throw new Error(`${n} sent ${o.packet.kind} on plain IP in a UDP-only network`);
      let src = o.src;
      let srcPort = o.udp.srcPort;
      if (n !== 'r') {
        const nat = this.nats[n];
        if (!eq(src, nat.priv) || srcPort !== nat.privPort) throw new Error(`${n} sent from an unexpected transport address`);
        src = nat.pub;
        srcPort = nat.pubPort;
      }
      const to: Name | undefined = eq(o.dst, R_PUB) ? 'r' : eq(o.dst, this.nats.c.pub) ? 'c' : eq(o.dst, this.nats.i.pub) ? 'i' : undefined;
      const w: Wire = { from: n, to, src, dst: o.dst, srcPort, dstPort: o.udp.dstPort, bytes: o.bytes, packet: o.packet };
      this.wire.push(w);
      this.queue.push(w);
    }
  }

  /** Delivers queued datagrams (and what they cause) until the wire is quiet. */
  deliver(): void {
    while (this.queue.length > 0) {
      const w = this.queue.shift()!;
      this.now += 5;
      const fate = this.filter(w);
      if (fate === 'drop' || w.to === undefined) continue;
      const bytes = fate === 'pass' ? w.bytes : fate;
      let dst = w.dst;
      let dstPort = w.dstPort;
      if (w.to !== 'r') {
        const nat = this.nats[w.to];
        // Only a datagram to the current mapping gets in (the rest is filtered).
        if (dstPort !== nat.pubPort) continue;
        dst = nat.priv;
        dstPort = nat.privPort;
      } else if (dstPort !== HIP_PORT) continue;
      this.engine(w.to).handle({ kind: 'datagram', transport: 'udp', bytes, src: w.src, dst, srcPort: w.srcPort, dstPort }, this.now);
      this.drain(w.to);
    }
  }

  /** Runs timers up to `until`, delivering what they send. */
  runUntil(until: number): void {
    while (this.now < until) {
      const next = Math.min(until, ...(['r', 'c', 'i'] as const).map((n) => this.engine(n).pollTimeout() ?? Infinity));
      this.now = Math.max(this.now, next);
      for (const n of ['r', 'c', 'i'] as const) {
        const t = this.engine(n).pollTimeout();
        if (t !== undefined && t <= this.now) {
          this.engine(n).handleTimeout(this.now);
          this.drain(n);
        }
      }
      this.deliver();
    }
  }

  /** C registers with R for RELAY_UDP_HIP during a base exchange over UDP (RFC 9028 §4.1 Figure 2). */
  register(who: 'c' | 'i' = 'c'): void {
    this.engine(who).connect({ hit: this.hit('r'), locators: [R_PUB], udpPort: HIP_PORT, register: [REG_TYPE_RELAY_UDP_HIP] }, this.now);
    this.drain(who);
    this.deliver();
  }

  /** I connects to C by giving the relay's address as C's locator (RFC 9028 §4.5). */
  connectViaRelay(): void {
    this.i.connect({ hit: this.hit('c'), locators: [R_PUB], udpPort: HIP_PORT }, this.now);
    this.drain('i');
    this.deliver();
  }

  state(n: Name, peer: Name): string | undefined {
    const ph = this.hit(peer);
    return this.engine(n)
      .associations()
      .find((a) => a.peerHit.every((b, k) => b === ph[k]))?.state;
  }

  assocId(n: Name, peer: Name): number {
    const ph = this.hit(peer);
    return this.engine(n)
      .associations()
      .find((a) => a.peerHit.every((b, k) => b === ph[k]))!.id;
  }

  drops(n: Name): Extract<HipEvent, { type: 'dropped' }>[] {
    return this.events[n].filter((e): e is Extract<HipEvent, { type: 'dropped' }> => e.type === 'dropped');
  }

  /** Decodes bytes seen on the wire. */
  static decode(bytes: Uint8Array): HipPacket {
    const d = decodePacket(bytes, { verifyChecksum: false });
    if (!d.ok) throw new Error(d.error.message);
    return d.packet;
  }
}
