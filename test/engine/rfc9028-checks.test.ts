// RFC 9028 §4.6, §5.14, §5.15 (pairing and ordering after RFC 8445 §6.1.2): ICE-HIP-UDP
// connectivity checks and nomination. Two engines driven by hand on virtual time over UDP; the
// Initiator sits behind an endpoint-independent NAT that the test plays (its private address and
// port become a public mapping on the way out; anything to the mapping comes back), and the test
// can block destinations to make pairs fail.
import { describe, expect, it } from 'vitest';
import { locatorKey, parseLocator } from '../../src/addr/locator.js';
import type { HipConfig } from '../../src/engine/config.js';
import { HipEngine, engineInternals } from '../../src/engine/hip-engine.js';
import type { HipEvent, Output } from '../../src/engine/io.js';
import { pairPriority } from '../../src/engine/nat-checks.js';
import type { EnginePolicy } from '../../src/engine/policy.js';
import type { EngineTraceRecord } from '../../src/engine/trace.js';
import type { Locator, PeerLocator, SaSpec, UdpPorts } from '../../src/types.js';
import { equalBytes } from '../../src/util/bytes.js';
import { param } from '../../src/wire/access.js';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';
import type { HipPacket } from '../../src/wire/types.js';
import { testRandom } from '../fixtures/keys.js';
import { identity } from './pair.js';
import { runEngines } from './engine-loop.js';

const A_PRIV = parseLocator('10.0.0.1');
const A_PORT = 40_000;
const NAT_PUB = parseLocator('198.51.100.1');
const NAT_PORT = 61_001;
const NAT_PUB2 = parseLocator('198.51.100.2');
const B_V4 = parseLocator('192.0.2.2');
const B_V4B = parseLocator('192.0.2.3');
const TA = 200;

type Side = 'a' | 'b';
type Sent = { at: number; from: Side; packet: HipPacket; bytes: Uint8Array; src: Locator; dst: Locator; udp: UdpPorts | undefined };

type WorldOpts = {
  configA?: Partial<HipConfig>;
  configB?: Partial<HipConfig>;
  policyA?: Partial<EnginePolicy>;
  /** A announces its NAT mapping as a server-reflexive candidate (the relay seam, RFC 9028 §4.2). */
  srflx?: boolean;
  traceA?: (r: EngineTraceRecord) => void;
};

function world(opts: WorldOpts = {}) {
  const ice: Partial<HipConfig> = { natTraversal: 'ice-hip-udp', natMinTaMs: TA };
  const a = new HipEngine({ identities: [identity('p256A')], locators: [A_PRIV], random: testRandom('chk-a'), config: { ...ice, udpPort: A_PORT, ...opts.configA }, ...(opts.policyA ? { policy: opts.policyA } : {}), ...(opts.traceA ? { trace: opts.traceA } : {}) }, 0);
  const b = new HipEngine({ identities: [identity('p256B')], locators: [B_V4, B_V4B], random: testRandom('chk-b'), config: { ...ice, ...opts.configB } }, 0);
  if (opts.srflx !== false) engineInternals(a).reflexiveCandidates = () => [{ address: NAT_PUB, port: NAT_PORT }];
  const nat = { addr: NAT_PUB, port: NAT_PORT };
  // filterB: a filter in front of B (RFC 4787 §5, address-and-port-dependent) that lets A's
  // packets reach only a transport address of B that has sent to A's mapping since it was set.
  const net = { blocked: new Set<string>(), blockAll: false, filterB: false, opened: new Set<string>(), filtered: 0 };
  const sent: Sent[] = [];
  const events: Record<Side, HipEvent[]> = { a: [], b: [] };
  const saUpdates: Record<Side, SaSpec[]> = { a: [], b: [] };
  const locators: Record<Side, PeerLocator[]> = { a: [], b: [] };
  const wire: { at: number; from: Side; o: Extract<Output, { kind: 'transmit' }> }[] = [];
  let now = 0;
  const drain = (side: Side): void => {
    const e = side === 'a' ? a : b;
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') {
        sent.push({ at: now, from: side, packet: o.packet, bytes: o.bytes, src: o.src, dst: o.dst, udp: o.udp });
        if (side === 'b' && equalBytes(o.dst, nat.addr) && o.udp?.dstPort === nat.port) net.opened.add(`${locatorKey(o.src)}:${o.udp.srcPort}`);
        wire.push({ at: now + 5, from: side, o });
      } else if (o.kind === 'event') events[side].push(o.event);
      else if (o.kind === 'sa' && o.op === 'update') saUpdates[side].push(o.sa);
      else if (o.kind === 'locator' && o.op === 'upsert') locators[side].push(o.entry);
    }
  };
  const deliver = ({ from, o }: (typeof wire)[number]): void => {
    if (net.blockAll || net.blocked.has(locatorKey(o.dst))) return;
    const udp = o.udp!;
    if (from === 'a') {
      // The NAT: A's private source address and port become the mapping's.
      if (!equalBytes(o.src, A_PRIV) || udp.srcPort !== A_PORT) return;
      if (!equalBytes(o.dst, B_V4) && !equalBytes(o.dst, B_V4B)) return;
      if (net.filterB && !net.opened.has(`${locatorKey(o.dst)}:${udp.dstPort}`)) {
        net.filtered++;
        return;
      }
      b.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: nat.addr, dst: o.dst, srcPort: nat.port, dstPort: udp.dstPort }, now);
      drain('b');
    } else {
      // Endpoint-independent filtering: whatever reaches the mapping reaches A; nothing else does.
      if (!equalBytes(o.dst, nat.addr) || udp.dstPort !== nat.port) return;
      a.handle({ kind: 'datagram', transport: 'udp', bytes: o.bytes, src: o.src, dst: A_PRIV, srcPort: udp.srcPort, dstPort: A_PORT }, now);
      drain('a');
    }
  };
  const run = (until: number): void => {
    now = runEngines({ a, b, wire, deliver: deliver, drain, setNow: (t) => (now = t) }, now, until, 200_000);
  };
  a.connect({ hit: b.localHits[0]!, locators: [B_V4], udpPort: 10500 }, 0);
  drain('a');
  /** Runs the base exchange only: up to the Initiator's ESTABLISHED (R2 received). */
  const runBex = (): void => {
    for (let i = 0; i < 1000 && a.associations()[0]?.state !== 'ESTABLISHED'; i++) run(now + 5);
  };
  return { a, b, nat, net, sent, events, saUpdates, locators, run, runBex, drain, now: () => now };
}

const isCheck = (s: Sent): boolean => s.packet.kind === 'UPDATE' && param(s.packet, 'CANDIDATE_PRIORITY') !== undefined;
/** The first transmission of each check (a retransmission repeats its SEQ, RFC 7401 §6.11). */
function firstChecks(sent: readonly Sent[], from: Side): Sent[] {
  const seen = new Set<number>();
  return sent.filter((s) => {
    if (s.from !== from || !isCheck(s)) return false;
    const id = param(s.packet, 'SEQ')!.updateId;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
const natPath = (events: readonly HipEvent[]) => events.filter((e): e is Extract<HipEvent, { type: 'nat-path' }> => e.type === 'nat-path');

describe('RFC 8445 §6.1.2.3 (RFC 9028 §4.6): pair priority', () => {
  it('"pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0)"', () => {
    expect(pairPriority(10, 20)).toBe(2n ** 32n * 10n + 2n * 20n);
    expect(pairPriority(20, 10)).toBe(2n ** 32n * 10n + 2n * 20n + 1n);
    // Beyond 2^53: exact.
    const g = 126 * 2 ** 24 + 65535 * 2 ** 8 + 255;
    expect(pairPriority(g, g)).toBe(2n ** 32n * BigInt(g) + 2n * BigInt(g));
  });
});

describe('RFC 9028 §4.6, §5.14: connectivity checks', () => {
  it('§4.6.1: a check is an UPDATE with SEQ, ECHO_REQUEST_SIGNED and CANDIDATE_PRIORITY, signed, from the local candidate to the remote transport address', () => {
    const w = world();
    w.run(60_000);
    const checks = firstChecks(w.sent, 'a');
    expect(checks.length).toBeGreaterThan(0);
    for (const c of checks) {
      expect(param(c.packet, 'SEQ')).toBeDefined();
      expect(param(c.packet, 'ECHO_REQUEST_SIGNED')).toBeDefined();
      expect(param(c.packet, 'HIP_MAC')).toBeDefined();
      expect(param(c.packet, 'HIP_SIGNATURE')).toBeDefined();
      expect(equalBytes(c.src, A_PRIV)).toBe(true);
      expect(c.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
      // RFC 8445 §7.1.1: the priority a peer-reflexive candidate would get (type preference 110).
      expect(Math.floor(param(c.packet, 'CANDIDATE_PRIORITY')!.priority / 2 ** 24)).toBe(110);
    }
  });

  it('RFC 8445 §6.1.2.3: the pairs are checked in pair-priority order (the Responder\'s first-listed address first)', () => {
    const w = world();
    w.run(60_000);
    const dsts = firstChecks(w.sent, 'a').filter((c) => !param(c.packet, 'NOMINATE')).map((c) => locatorKey(c.dst));
    expect(dsts).toEqual([locatorKey(B_V4), locatorKey(B_V4B)]);
  });

  it('§4.4: "Ta" paces the checks: one new check per association at most every Ta', () => {
    const w = world();
    w.run(60_000);
    const ts = firstChecks(w.sent, 'a').map((c) => c.at);
    expect(ts.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBeGreaterThanOrEqual(TA);
    // The first check waits one Ta after the base exchange, too.
    const r2 = w.sent.find((s) => s.from === 'b' && s.packet.kind === 'R2')!;
    expect(ts[0]! - r2.at).toBeGreaterThanOrEqual(TA);
  });

  it('§5.14: the check is answered with ACK and ECHO_RESPONSE_SIGNED to the address and port it came from (the NAT mapping)', () => {
    const w = world();
    w.run(60_000);
    const check = firstChecks(w.sent, 'a')[0]!;
    const echo = param(check.packet, 'ECHO_REQUEST_SIGNED')!.opaque;
    const reply = w.sent.find((s) => s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_RESPONSE_SIGNED') && equalBytes(param(s.packet, 'ECHO_RESPONSE_SIGNED')!.opaque, echo))!;
    expect(reply).toBeDefined();
    expect(param(reply.packet, 'ACK')!.peerUpdateIds).toContain(param(check.packet, 'SEQ')!.updateId);
    expect(equalBytes(reply.src, B_V4)).toBe(true);
    expect(equalBytes(reply.dst, NAT_PUB)).toBe(true);
    expect(reply.udp).toEqual({ srcPort: 10500, dstPort: NAT_PORT });
  });
});

describe('RFC 9028 §4.6.3, §5.15: nomination', () => {
  it('"The Initiator MUST take the role of controlling host": it nominates the highest-priority valid pair with NOMINATE, and both sides use it', () => {
    const w = world({ srflx: true });
    w.run(60_000);
    const nominations = firstChecks(w.sent, 'a').filter((c) => param(c.packet, 'NOMINATE'));
    expect(nominations).toHaveLength(1);
    expect(equalBytes(nominations[0]!.dst, B_V4)).toBe(true);
    expect(firstChecks(w.sent, 'b').some((c) => param(c.packet, 'NOMINATE'))).toBe(false);
    const [pa] = natPath(w.events.a);
    const [pb] = natPath(w.events.b);
    expect(pa).toMatchObject({ srcPort: A_PORT, dstPort: 10500, kind: 'host' });
    expect(equalBytes(pa!.src, A_PRIV) && equalBytes(pa!.dst, B_V4)).toBe(true);
    expect(pb).toMatchObject({ srcPort: 10500, dstPort: NAT_PORT, kind: 'srflx' });
    expect(equalBytes(pb!.src, B_V4) && equalBytes(pb!.dst, NAT_PUB)).toBe(true);
    expect(natPath(w.events.a)).toHaveLength(1);
    // The candidate of the nominated pair is verified (ACTIVE) at the controlled host.
    const entry = w.b.associations()[0]!;
    expect(entry.state).toBe('ESTABLISHED');
  });

  it('"The response message MUST include a SEQ ..., ACK ..., a new ECHO_REQUEST_SIGNED ..., an ECHO_RESPONSE_SIGNED ... and the NOMINATE parameter"; the controlling host "MUST acknowledge this" with ACK and ECHO_RESPONSE_SIGNED', () => {
    const w = world();
    w.run(60_000);
    const nomination = firstChecks(w.sent, 'a').find((c) => param(c.packet, 'NOMINATE'))!;
    const answer = w.sent.find((s) => s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'NOMINATE'))!;
    expect(answer).toBeDefined();
    expect(param(answer.packet, 'SEQ')).toBeDefined();
    expect(param(answer.packet, 'ACK')!.peerUpdateIds).toEqual([param(nomination.packet, 'SEQ')!.updateId]);
    expect(param(answer.packet, 'ECHO_RESPONSE_SIGNED')!.opaque).toEqual(param(nomination.packet, 'ECHO_REQUEST_SIGNED')!.opaque);
    const ask = param(answer.packet, 'ECHO_REQUEST_SIGNED')!.opaque;
    expect(equalBytes(answer.dst, NAT_PUB) && answer.udp?.dstPort === NAT_PORT).toBe(true);
    const final = w.sent.find((s) => s.from === 'a' && s.at > answer.at && s.packet.kind === 'UPDATE' && param(s.packet, 'ACK'))!;
    expect(param(final.packet, 'ACK')!.peerUpdateIds).toEqual([param(answer.packet, 'SEQ')!.updateId]);
    expect(param(final.packet, 'ECHO_RESPONSE_SIGNED')!.opaque).toEqual(ask);
    expect(param(final.packet, 'SEQ')).toBeUndefined();
    // Nothing is left to retransmit on either side: B's answer was acknowledged.
    const t = w.now();
    w.run(t + 10_000);
    expect(w.sent.filter((s) => s.at > t && s.packet.kind === 'UPDATE')).toEqual([]);
  });

  it('the nominated pair carries ESP: sa update with the pair\'s addresses and UDP ports on both sides', () => {
    const w = world();
    w.run(60_000);
    const outA = w.saUpdates.a.filter((s) => s.direction === 'out').at(-1)!;
    const outB = w.saUpdates.b.filter((s) => s.direction === 'out').at(-1)!;
    expect(equalBytes(outA.src, A_PRIV) && equalBytes(outA.dst, B_V4)).toBe(true);
    expect(outA.udp).toEqual({ srcPort: A_PORT, dstPort: 10500 });
    expect(equalBytes(outB.src, B_V4) && equalBytes(outB.dst, NAT_PUB)).toBe(true);
    expect(outB.udp).toEqual({ srcPort: 10500, dstPort: NAT_PORT });
    const inB = w.saUpdates.b.filter((s) => s.direction === 'in').at(-1)!;
    expect(inB.udp).toEqual({ srcPort: NAT_PORT, dstPort: 10500 });
  });

  it('HIP control traffic moves to the nominated pair: later packets of the Responder go to the mapping', () => {
    const w = world();
    w.run(60_000);
    const t = w.now();
    w.run(t + 20_000); // a NAT keepalive (RFC 9028 §4.10) at least
    const later = w.sent.filter((s) => s.from === 'b' && s.at > t);
    expect(later.length).toBeGreaterThan(0);
    for (const s of later) {
      expect(equalBytes(s.dst, NAT_PUB)).toBe(true);
      expect(s.udp?.dstPort).toBe(NAT_PORT);
    }
  });

  it('the trace shows the nominated pair (event nat-path)', () => {
    const records: EngineTraceRecord[] = [];
    const w = world({ traceA: (r) => records.push(r) });
    w.run(60_000);
    const rec = records.find((r) => r.type === 'event' && r.event === 'nat-path');
    expect(rec && 'detail' in rec ? rec.detail : undefined).toContain('192.0.2.2:10500');
  });
});

describe('RFC 8445 §7.3.1.3 (RFC 9028 §4.6): peer-reflexive candidates', () => {
  it('a check from a transport address the peer never announced gives a prflx candidate with the CANDIDATE_PRIORITY of the check, and it can be nominated', () => {
    const w = world({ srflx: false });
    w.runBex();
    // The NAT gives A's mapping a new public address after the base exchange.
    w.nat.addr = NAT_PUB2;
    w.nat.port = 61_002;
    w.run(60_000);
    const prflx = w.locators.b.find((l) => equalBytes(l.locator, NAT_PUB2));
    expect(prflx).toMatchObject({ type: 2, kind: 'prflx', port: 61_002 });
    const check = firstChecks(w.sent, 'a')[0]!;
    expect(prflx!.priority).toBe(param(check.packet, 'CANDIDATE_PRIORITY')!.priority);
    const [pb] = natPath(w.events.b);
    expect(pb).toMatchObject({ kind: 'prflx', dstPort: 61_002 });
    expect(equalBytes(pb!.dst, NAT_PUB2)).toBe(true);
  });
});

describe('RFC 9028 §4.6.3: "If all the connectivity checks have failed"', () => {
  it('the Initiator reports nat-checks-failed, sends NOTIFY CONNECTIVITY_CHECKS_FAILED, and the association stays on the base exchange\'s locators', () => {
    const w = world();
    w.runBex();
    // Every check and every answer is lost; the NOTIFY is still sent on the base-exchange path.
    w.net.blockAll = true;
    w.run(120_000);
    expect(w.events.a.filter((e) => e.type === 'nat-checks-failed')).toHaveLength(1);
    expect(natPath(w.events.a)).toEqual([]);
    const notify = w.sent.find((s) => s.from === 'a' && s.packet.kind === 'NOTIFY' && param(s.packet, 'NOTIFICATION')?.messageType === NOTIFY_TYPE.CONNECTIVITY_CHECKS_FAILED);
    expect(notify).toBeDefined();
    expect(equalBytes(notify!.dst, B_V4)).toBe(true);
    expect(w.a.associations()[0]?.state).toBe('ESTABLISHED');
    expect(w.saUpdates.a).toEqual([]);
  });
});

describe('RFC 9028 §7.6, §7.7 and §5.14: bounded and authenticated checks', () => {
  it('a forged check (bad signature) from an unknown address is dropped with a DropReason and teaches nothing', () => {
    const w = world();
    w.run(60_000);
    const check = firstChecks(w.sent, 'a')[0]!;
    const forged = check.bytes.slice();
    forged[forged.length - 3]! ^= 0xff;
    const before = w.locators.b.length;
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: forged, src: parseLocator('203.0.113.9'), dst: B_V4, srcPort: 5_000, dstPort: 10500 }, w.now());
    w.drain('b');
    const drop = w.events.b.at(-1);
    expect(drop?.type).toBe('dropped');
    expect(['bad-mac', 'bad-signature']).toContain(drop?.type === 'dropped' ? drop.reason : '');
    expect(w.locators.b.length).toBe(before);
    expect(w.sent.filter((s) => s.from === 'b' && equalBytes(s.dst, parseLocator('203.0.113.9')))).toEqual([]);
  });

  it('a check without HIP_MAC and signature (unauthenticated) is dropped: missing-param', () => {
    const w = world();
    w.run(60_000);
    const check = firstChecks(w.sent, 'a')[0]!;
    // Cut the packet before HIP_MAC: the header length is fixed up so that it decodes.
    const pkt = check.packet;
    expect(pkt.params.some((p) => p.kind === 'HIP_MAC')).toBe(true);
    const macAt = findParamOffset(check.bytes, 61_505);
    const cut = check.bytes.slice(0, macAt);
    cut[1] = cut.length / 8 - 1;
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: cut, src: NAT_PUB, dst: B_V4, srcPort: NAT_PORT, dstPort: 10500 }, w.now());
    w.drain('b');
    const drop = w.events.b.at(-1);
    expect(drop?.type === 'dropped' ? drop.reason : undefined).toBe('missing-param');
    expect(natPath(w.events.b)).toHaveLength(1);
  });

  it('§4.6.2 "restrict the total number of connectivity checks": config.natMaxCandidatePairs caps the pairs', () => {
    const w = world({ configA: { natMaxCandidatePairs: 1 } });
    w.run(60_000);
    const dsts = new Set(firstChecks(w.sent, 'a').map((c) => locatorKey(c.dst)));
    expect([...dsts]).toEqual([locatorKey(B_V4)]);
  });

  it('config.natMaxChecksInFlight bounds the unanswered checks: with 1, the next check waits until the first one gave up', () => {
    const w = world({ configA: { natMaxChecksInFlight: 1 } });
    w.runBex();
    w.net.blockAll = true;
    w.run(120_000);
    const a = w.sent.filter((s) => s.from === 'a' && isCheck(s));
    const ids = [...new Set(a.map((s) => param(s.packet, 'SEQ')!.updateId))];
    expect(ids.length).toBe(2);
    const lastOfFirst = Math.max(...a.filter((s) => param(s.packet, 'SEQ')!.updateId === ids[0]).map((s) => s.at));
    const firstOfSecond = Math.min(...a.filter((s) => param(s.packet, 'SEQ')!.updateId === ids[1]).map((s) => s.at));
    expect(firstOfSecond).toBeGreaterThan(lastOfFirst);
  });
});

describe('RFC 9028 §4.7.1: skipping the checks (policy skipConnectivityChecks)', () => {
  it('with the hook saying skip, no check is sent and the association keeps the base exchange\'s path', () => {
    const w = world({ policyA: { skipConnectivityChecks: () => true } });
    w.run(60_000);
    expect(firstChecks(w.sent, 'a')).toEqual([]);
    expect(natPath(w.events.a)).toEqual([]);
    expect(w.a.associations()[0]?.state).toBe('ESTABLISHED');
  });

  it('the default runs the checks', () => {
    const w = world();
    w.run(60_000);
    expect(firstChecks(w.sent, 'a').length).toBeGreaterThan(0);
  });
});

/** Byte offset of the first parameter of `type` in a HIP packet (RFC 7401 §5.2.1 TLV walk). */
function findParamOffset(bytes: Uint8Array, type: number): number {
  let off = 40;
  while (off + 4 <= bytes.length) {
    const t = (bytes[off]! << 8) | bytes[off + 1]!;
    const len = (bytes[off + 2]! << 8) | bytes[off + 3]!;
    if (t === type) return off;
    off += (4 + len + 7) & ~7;
  }
  return bytes.length;
}

describe('RFC 9028 §4.6.3: a nomination that gets no answer', () => {
  it('the next valid pair is nominated instead', () => {
    const w = world();
    w.runBex();
    // Let both ordinary checks succeed, then lose everything to B_V4 (the first nominee).
    const sawTwo = (): boolean => firstChecks(w.sent, 'a').filter((c) => !param(c.packet, 'NOMINATE')).length >= 2;
    for (let i = 0; i < 1000 && !sawTwo(); i++) w.run(w.now() + 5);
    w.run(w.now() + 50);
    w.net.blocked.add(locatorKey(B_V4));
    w.run(120_000);
    const nominations = firstChecks(w.sent, 'a').filter((c) => param(c.packet, 'NOMINATE')).map((c) => locatorKey(c.dst));
    expect(nominations).toEqual([locatorKey(B_V4), locatorKey(B_V4B)]);
    const [pa] = natPath(w.events.a);
    expect(equalBytes(pa!.dst, B_V4B)).toBe(true);
  });
});

describe('RFC 9028 §4.6, §4.6.1 Figure 5: the Responder starts its checks right after the base exchange', () => {
  /**
   * Runs until B has sent its R2, then puts the filter in front of B (filterB): B's R2 opened
   * nothing (as an R2 through a Control Relay Server would not), so none of A's packets reach B
   * until B itself sends to A's mapping (RFC 4787 §5).
   */
  const afterR2 = (opts: WorldOpts = {}) => {
    const w = world(opts);
    const r2Sent = (): Sent | undefined => w.sent.find((s) => s.from === 'b' && s.packet.kind === 'R2');
    for (let i = 0; i < 1000 && !r2Sent(); i++) w.run(w.now() + 1);
    const r2 = r2Sent()!;
    w.net.filterB = true;
    w.net.opened.clear();
    return { ...w, r2 };
  };
  const bState = (w: ReturnType<typeof world>) => w.b.associations()[0]!.state;

  it('"the Initiator and Responder MUST start the connectivity checks": the Responder\'s first check leaves one Ta after its R2, in R2-SENT, before any packet of the Initiator has reached it', () => {
    const w = afterR2();
    w.run(w.r2.at + TA - 1);
    expect(firstChecks(w.sent, 'b')).toEqual([]);
    w.run(w.r2.at + TA);
    const [first] = firstChecks(w.sent, 'b');
    expect(first).toBeDefined();
    expect(first!.at).toBe(w.r2.at + TA);
    // Nothing of A reached B since the I2 (A's own checks start one Ta after the R2 reached it).
    expect(bState(w)).toBe('R2_SENT');
    expect(w.events.b.some((e) => e.type === 'established')).toBe(false);
    // An ordinary check (RFC 9028 §5.14): SEQ, ECHO_REQUEST_SIGNED, CANDIDATE_PRIORITY, signed, over UDP.
    for (const kind of ['SEQ', 'ECHO_REQUEST_SIGNED', 'CANDIDATE_PRIORITY', 'HIP_MAC', 'HIP_SIGNATURE'] as const) expect(param(first!.packet, kind)).toBeDefined();
    expect(first!.udp?.srcPort).toBe(10500);
    // Paced by Ta (§4.4) while it waits.
    w.run(w.r2.at + 3 * TA);
    const ts = firstChecks(w.sent, 'b').map((c) => c.at);
    expect(ts.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < ts.length; i++) expect(ts[i]! - ts[i - 1]!).toBeGreaterThanOrEqual(TA);
    // A's checks to B, sent meanwhile, were filtered in front of B.
    expect(w.net.filtered).toBeGreaterThan(0);
  });

  it('RFC 7401 §4.4.3 Table 5 ("Receive data or UPDATE: move to ESTABLISHED"): the answer to the Responder\'s check, through the filter its check opened, makes it ESTABLISHED long before the Exchange Complete timeout; the path is found with no nat-checks-failed', () => {
    const w = afterR2();
    w.run(w.r2.at + 20 * TA);
    const bChecks = firstChecks(w.sent, 'b');
    const toMapping = bChecks.find((c) => equalBytes(c.dst, NAT_PUB))!;
    expect(toMapping).toBeDefined();
    const nonce = param(toMapping.packet, 'ECHO_REQUEST_SIGNED')!.opaque;
    const answer = w.sent.find((s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_RESPONSE_SIGNED') && equalBytes(param(s.packet, 'ECHO_RESPONSE_SIGNED')!.opaque, nonce));
    expect(answer).toBeDefined();
    expect(param(answer!.packet, 'ACK')!.peerUpdateIds).toContain(param(toMapping.packet, 'SEQ')!.updateId);
    expect(bState(w)).toBe('ESTABLISHED');
    const est = w.events.b.filter((e) => e.type === 'established');
    expect(est).toHaveLength(1);
    // The Initiator nominated a pair; neither side saw its checks all fail first.
    expect(natPath(w.events.a)).toHaveLength(1);
    expect(natPath(w.events.b)).toHaveLength(1);
    expect(w.events.a.some((e) => e.type === 'nat-checks-failed')).toBe(false);
    expect(w.events.b.some((e) => e.type === 'nat-checks-failed')).toBe(false);
    expect(w.now()).toBeLessThan(w.r2.at + 10_000);
  });

  it('§6.9 step 4: a retransmitted I2 in R2-SENT, after the Responder\'s checks began, is still answered with the stored R2', () => {
    const w = afterR2();
    w.run(w.r2.at + TA);
    expect(firstChecks(w.sent, 'b').length).toBeGreaterThan(0);
    expect(bState(w)).toBe('R2_SENT');
    const i2 = w.sent.find((s) => s.from === 'a' && s.packet.kind === 'I2')!;
    const before = w.sent.length;
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: i2.bytes, src: NAT_PUB, dst: i2.dst, srcPort: NAT_PORT, dstPort: i2.udp!.dstPort }, w.now());
    w.drain('b');
    const again = w.sent.slice(before).filter((s) => s.from === 'b' && s.packet.kind === 'R2');
    expect(again).toHaveLength(1);
    expect(equalBytes(again[0]!.bytes, w.r2.bytes)).toBe(true);
    expect(bState(w)).toBe('R2_SENT');
  });

  it('without ICE-HIP-UDP (UDP-ENCAPSULATION) nothing changes: the Responder sends no UPDATE in R2-SENT and leaves it on the Exchange Complete timeout', () => {
    const none: Partial<HipConfig> = { natTraversal: 'none' };
    const w = afterR2({ configA: none, configB: none });
    w.run(w.r2.at + 9_000);
    expect(bState(w)).toBe('R2_SENT');
    expect(w.sent.filter((s) => s.from === 'b' && s.packet.kind === 'UPDATE')).toEqual([]);
    w.run(w.r2.at + 10_000);
    expect(bState(w)).toBe('ESTABLISHED');
  });
});

describe('RFC 9028 §7.7: "HIP messages are integrity and replay protected": a replayed check moves nothing', () => {
  const OTHER = parseLocator('203.0.113.66');
  function nominated() {
    const w = world();
    w.run(60_000);
    expect(natPath(w.events.b)).toHaveLength(1);
    const nominate = w.sent.find((s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'NOMINATE') !== undefined)!;
    expect(nominate).toBeDefined();
    return { w, nominate };
  }
  const replay = (w: ReturnType<typeof world>, s: Sent): void => {
    w.b.handle({ kind: 'datagram', transport: 'udp', bytes: s.bytes, src: OTHER, dst: s.dst, srcPort: 7777, dstPort: s.udp!.dstPort }, w.now());
    w.drain('b');
  };
  const movedToOther = (w: ReturnType<typeof world>): boolean => w.saUpdates.b.some((sa) => equalBytes(sa.dst, OTHER)) || w.locators.b.some((l) => equalBytes(l.locator, OTHER));

  it('a copy of the NOMINATE from another address, within the receive window: ACKed again, no SA, path or locator change', () => {
    const { w, nominate } = nominated();
    const before = { sas: w.saUpdates.b.length, paths: natPath(w.events.b).length };
    replay(w, nominate);
    w.run(w.now() + 5_000);
    expect(movedToOther(w)).toBe(false);
    expect(natPath(w.events.b)).toHaveLength(before.paths);
    expect(w.saUpdates.b.length).toBe(before.sas);
  });

  it('a copy of the NOMINATE replayed after 40 more UPDATEs (older than the receive window): dropped stale-update, nothing moves', () => {
    const { w, nominate } = nominated();
    const id = w.a.associations()[0]!.id;
    for (let i = 0; i < 40; i++) {
      w.a.rekey(id, w.now());
      w.drain('a');
      w.run(w.now() + 2_000);
    }
    const before = { sas: w.saUpdates.b.length, paths: natPath(w.events.b).length };
    replay(w, nominate);
    expect(w.events.b.some((e) => e.type === 'dropped' && e.reason === 'stale-update')).toBe(true);
    w.run(w.now() + 5_000);
    expect(movedToOther(w)).toBe(false);
    expect(natPath(w.events.b)).toHaveLength(before.paths);
    expect(w.saUpdates.b.length).toBe(before.sas);
  });
});
