// RFC 9028 §4.2, §4.3, §5.7 with RFC 8445 §5.1.2: candidates gathered, prioritised and carried as
// type 2 locators inside ENCRYPTED in I2 (the "HIP offer") and R2 (the "ICE answer"), and the
// peer's candidates in its locator table. Two engines driven by hand over UDP; the Initiator sits
// behind a NAT that the test plays: it rewrites A's private address and port to a public one on
// the way out and maps replies back.
import { describe, expect, it } from 'vitest';
import { parseLocator, locatorKey } from '../../src/addr/locator.js';
import { HipEngine, engineInternals } from '../../src/engine/hip-engine.js';
import type { Output } from '../../src/engine/io.js';
import type { HipConfig } from '../../src/engine/config.js';
import type { EnginePolicy } from '../../src/engine/policy.js';
import { addPeerCandidates, candidatePriority, gatherCandidates, TYPE_PREFERENCE } from '../../src/engine/nat-candidates.js';
import type { Locator, PeerLocator } from '../../src/types.js';
import { equalBytes } from '../../src/util/bytes.js';
import { param } from '../../src/wire/access.js';
import type { HipPacket, LocatorEntry } from '../../src/wire/types.js';
import { identity } from './pair.js';
import { testRandom } from '../fixtures/keys.js';

const A_PRIV = parseLocator('10.0.0.1');
const A_PORT = 40_000;
const NAT_PUB = parseLocator('198.51.100.1');
const NAT_PORT = 61_001;
const B_V4 = parseLocator('192.0.2.2');
const B_V6 = parseLocator('2001:db8::b');

type Sent = { from: 'a' | 'b'; packet: HipPacket };

function natPair(opts: { configA?: Partial<HipConfig>; configB?: Partial<HipConfig>; policyA?: Partial<EnginePolicy>; reflexiveA?: { address: Locator; port: number }[] } = {}) {
  const ice: Partial<HipConfig> = { natTraversal: 'ice-hip-udp' };
  const a = new HipEngine({ identities: [identity('p256A')], locators: [A_PRIV], random: testRandom('cand-a'), config: { ...ice, udpPort: A_PORT, ...opts.configA }, ...(opts.policyA ? { policy: opts.policyA } : {}) }, 0);
  const b = new HipEngine({ identities: [identity('p256B')], locators: [B_V4, B_V6], random: testRandom('cand-b'), config: { ...ice, ...opts.configB } }, 0);
  if (opts.reflexiveA) {
    const list = opts.reflexiveA;
    engineInternals(a).reflexiveCandidates = () => list;
  }
  const sent: Sent[] = [];
  const locators: Record<'a' | 'b', PeerLocator[]> = { a: [], b: [] };
  const queue: { from: 'a' | 'b'; o: Extract<Output, { kind: 'transmit' }> }[] = [];
  let now = 0;
  const drain = (side: 'a' | 'b'): void => {
    const e = side === 'a' ? a : b;
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') {
        sent.push({ from: side, packet: o.packet });
        queue.push({ from: side, o });
      } else if (o.kind === 'locator' && o.op === 'upsert') locators[side].push(o.entry);
    }
  };
  const deliver = (): void => {
    while (queue.length > 0) {
      const { from, o } = queue.shift()!;
      now += 5;
      const udp = o.udp!;
      if (from === 'a') {
        // The NAT: A's private source address and port become the public ones.
        expect(equalBytes(o.src, A_PRIV)).toBe(true);
        b.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: NAT_PUB, dst: o.dst, srcPort: NAT_PORT, dstPort: udp.dstPort }, now);
        drain('b');
      } else {
        if (!equalBytes(o.dst, NAT_PUB) || udp.dstPort !== NAT_PORT) continue; // nothing else crosses the NAT
        a.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: o.src, dst: A_PRIV, srcPort: udp.srcPort, dstPort: A_PORT }, now);
        drain('a');
      }
    }
  };
  a.connect({ hit: b.localHits[0]!, locators: [B_V4], udpPort: 10500 }, now);
  drain('a');
  deliver();
  // The Responder applies the I2's candidates on sending the R2 (RFC 9028 §4.6) and the rest of
  // the base exchange's locators once ESTABLISHED (RFC 7401 §4.4.3 Table 5): here on the
  // Exchange Complete timeout, no data having flowed.
  now += 10_000;
  b.handleTimeout(now);
  drain('b');
  deliver();
  return { a, b, sent, locators, now: () => now };
}

const of = (sent: Sent[], from: 'a' | 'b', kind: string): HipPacket => sent.find((s) => s.from === from && s.packet.kind === kind)!.packet;

describe('RFC 8445 §5.1.2.1 candidate priority, as RFC 9028 §4.2 and §5.7 use it', () => {
  it('"priority = (2^24)*(type preference) + (2^8)*(local preference) + (2^0)*(256 - component ID)"', () => {
    expect(candidatePriority('host', 65535)).toBe(126 * 2 ** 24 + 65535 * 2 ** 8 + 255);
    expect(candidatePriority('host', 65535)).toBe(0x7effffff);
    expect(candidatePriority('srflx', 65535)).toBe(0x64ffffff);
    expect(candidatePriority('prflx', 0)).toBe(110 * 2 ** 24 + 255);
    expect(candidatePriority('relayed', 1, 2)).toBe(256 + 254);
  });

  it('§5.1.2.2 recommended type preferences: host 126, peer-reflexive 110, server-reflexive 100, relayed 0', () => {
    expect(TYPE_PREFERENCE).toEqual({ host: 126, prflx: 110, srflx: 100, relayed: 0 });
  });

  it('local preference is 0..65535 and the component ID at least 1', () => {
    expect(() => candidatePriority('host', 65536)).toThrow(RangeError);
    expect(() => candidatePriority('host', 1, 0)).toThrow(RangeError);
  });
});

describe('RFC 9028 §4.3: candidates in I2 and R2, inside ENCRYPTED', () => {
  it('"With ICE-HIP-UDP mode, the LOCATOR_SET parameter MUST be encapsulated within an ENCRYPTED parameter": no plain LOCATOR_SET in I2 or R2', () => {
    const { a, sent } = natPair();
    expect(a.associations()[0]?.state).toBe('ESTABLISHED');
    for (const kind of ['I2', 'R2']) {
      const p = of(sent, kind === 'I2' ? 'a' : 'b', kind);
      expect(param(p, 'LOCATOR_SET'), kind).toBeUndefined();
      expect(param(p, 'ENCRYPTED'), kind).toBeDefined();
    }
  });

  it('the Responder learns the Initiator\'s host candidate (private address, its own UDP port) as a type 2 locator, UNVERIFIED', () => {
    const { locators } = natPair();
    const host = locators.b.find((l) => equalBytes(l.locator, A_PRIV));
    expect(host).toEqual(expect.objectContaining({ type: 2, port: A_PORT, kind: 'host', priority: 0x7effffff, state: 'UNVERIFIED' }));
  });

  it('the Initiator learns the Responder\'s other host candidate; the one in use stays the ACTIVE base-exchange locator', () => {
    const { locators, a } = natPair();
    const v6 = locators.a.find((l) => equalBytes(l.locator, B_V6));
    expect(v6).toEqual(expect.objectContaining({ type: 2, port: 10500, kind: 'host', state: 'UNVERIFIED' }));
    // The second of B's locators has the next local preference (RFC 8445 §5.1.2.1, multihomed).
    expect(v6?.priority).toBe(candidatePriority('host', 65534));
    expect(equalBytes(a.associations()[0]!.peerLocator, B_V4)).toBe(true);
  });

  it('server-reflexive candidates come from the relay seam (§4.2) with type preference 100', () => {
    const other = parseLocator('203.0.113.9');
    const { locators } = natPair({ reflexiveA: [{ address: other, port: 50_000 }] });
    const srflx = locators.b.find((l) => equalBytes(l.locator, other));
    expect(srflx).toEqual(expect.objectContaining({ type: 2, kind: 'srflx', port: 50_000, priority: candidatePriority('srflx', 65535) }));
  });

  it('the gatherCandidates policy decides which kinds are announced: srflx only hides the host candidate', () => {
    const other = parseLocator('203.0.113.9');
    const { locators } = natPair({ reflexiveA: [{ address: other, port: 50_000 }], policyA: { gatherCandidates: () => ['srflx'] } });
    expect(locators.b.some((l) => equalBytes(l.locator, A_PRIV))).toBe(false);
    expect(locators.b.some((l) => equalBytes(l.locator, other))).toBe(true);
  });

  it('with an encrypted HOST_ID (RFC 7401 §5.3.3) the I2\'s one ENCRYPTED holds both, and the Responder reads both', () => {
    const { b, sent, locators } = natPair({ configA: { encryptHostId: true } });
    const i2 = of(sent, 'a', 'I2');
    expect(param(i2, 'HOST_ID')).toBeUndefined();
    expect(i2.params.filter((p) => p.kind === 'ENCRYPTED')).toHaveLength(1);
    expect(b.associations()[0]?.state).toBe('ESTABLISHED');
    expect(locators.b.some((l) => equalBytes(l.locator, A_PRIV) && l.type === 2)).toBe(true);
  });

  it('candidates are left to connectivity checks (§4.6): no RFC 8046 address check UPDATE goes to them', () => {
    const { sent } = natPair();
    // Every UPDATE is a connectivity check (CANDIDATE_PRIORITY, RFC 9028 §5.14); none is an
    // RFC 8046 §5.4 address check (UPDATE with ECHO_REQUEST_SIGNED and no CANDIDATE_PRIORITY).
    const updates = sent.filter((s) => s.packet.kind === 'UPDATE');
    expect(updates.filter((s) => param(s.packet, 'CANDIDATE_PRIORITY') === undefined && param(s.packet, 'ECHO_REQUEST_SIGNED') !== undefined)).toEqual([]);
  });

  it('with UDP-ENCAPSULATION (no checks) the exchange keeps the plain type 0 LOCATOR_SET of RFC 8047 §4.2.8', () => {
    const { sent, a } = natPair({ configA: { natTraversal: 'none' } });
    expect(a.associations()[0]?.natTraversal).toBeUndefined();
    const r2 = of(sent, 'b', 'R2');
    expect(param(r2, 'LOCATOR_SET')?.locators.every((l) => l.locatorType === 0)).toBe(true);
    expect(param(r2, 'ENCRYPTED')).toBeUndefined();
  });
});

describe('RFC 9028 §5.7: which peer candidates are kept', () => {
  const entry = (over: Partial<Extract<LocatorEntry, { locatorType: 2 }>>): LocatorEntry => ({
    trafficType: 0,
    locatorType: 2,
    reserved: 0,
    preferred: false,
    lifetime: 60,
    transportPort: 7000,
    transportProtocol: 17,
    candidateKind: 0,
    priority: 1000,
    spi: 0x1234,
    address: parseLocator('2001:db8::77'),
    ...over,
  });

  it('"Currently, only UDP (17) is supported"; unknown Kinds, zero lifetimes and port 0 are left out; the highest priority of an address wins', () => {
    const { b } = natPair();
    const impl = engineInternals(b) as unknown as { assocs: Map<number, Parameters<typeof addPeerCandidates>[1]> };
    const assoc = [...impl.assocs.values()][0]!;
    const added = addPeerCandidates(engineInternals(b), assoc, [
      entry({ transportProtocol: 6, address: parseLocator('2001:db8::1') }),
      entry({ candidateKind: 7, address: parseLocator('2001:db8::2') }),
      entry({ lifetime: 0, address: parseLocator('2001:db8::3') }),
      entry({ transportPort: 0, address: parseLocator('2001:db8::4') }),
      entry({ priority: 10, transportPort: 1111 }),
      entry({ priority: 20, transportPort: 2222 }),
    ]);
    expect(added.map((e) => [locatorKey(e.locator), e.port, e.priority])).toEqual([[locatorKey(parseLocator('2001:db8::77')), 2222, 20]]);
  });

  it('the peer table stays within maxPeerLocators (RFC 9028 §7.7: a peer cannot make us keep unbounded candidates)', () => {
    const { b } = natPair({ configB: { maxPeerLocators: 4 } });
    const impl = engineInternals(b) as unknown as { assocs: Map<number, Parameters<typeof addPeerCandidates>[1]> };
    const assoc = [...impl.assocs.values()][0]!;
    const many = Array.from({ length: 20 }, (_, i) => entry({ address: parseLocator(`2001:db8::1:${i + 1}`), priority: i }));
    addPeerCandidates(engineInternals(b), assoc, many);
    expect(assoc.peerLocators.size).toBe(4);
  });

  it('RFC 8445 §5.1.1.1 · "Addresses from a loopback interface MUST NOT be included in the candidate addresses", even when the announce hook offers them; config.natLoopbackCandidates opts a one-machine bench in', () => {
    const lo = parseLocator('127.0.0.2');
    const peer = parseLocator('127.0.0.1');
    // A hook that announces every locator, loopback included (the default hook already skips it).
    const announceAll: Partial<EnginePolicy> = { announce: ({ locators }) => locators.map((l) => ({ locator: l.address, preferred: false })) };
    const make = (config: Partial<HipConfig>) =>
      new HipEngine({ identities: [identity('p256A')], locators: [lo, A_PRIV], random: testRandom('cand-lo'), config: { natTraversal: 'ice-hip-udp', ...config }, policy: announceAll }, 0);
    const hosts = (e: HipEngine) => gatherCandidates(engineInternals(e), peer).filter((c) => c.kind === 'host').map((c) => locatorKey(c.address));
    expect(hosts(make({}))).toEqual([locatorKey(A_PRIV)]);
    expect(hosts(make({ natLoopbackCandidates: true })).sort()).toEqual([locatorKey(A_PRIV), locatorKey(lo)].sort());
  });
});
