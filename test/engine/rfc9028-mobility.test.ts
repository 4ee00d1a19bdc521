// RFC 9028 §4.9 (Figure 6): the mobility handover of an ICE-HIP-UDP association, the
// "ICE restart". Two engines driven by hand on virtual time over UDP. The Initiator A sits behind
// an endpoint-independent NAT that the test plays (RFC 4787 REQ-1, REQ-8): each private address
// of A has its own box and public mapping, and the server-reflexive candidate A announces is the
// mapping of its current address (the relay seam of RFC 9028 §4.2, as a relay's REG_FROM would
// give it). B is public. A moves from behind one box to behind another; B moves between its two
// public addresses.
import { describe, expect, it } from 'vitest';
import { locatorKey, parseLocator } from '../../src/addr/locator.js';
import type { HipConfig } from '../../src/engine/config.js';
import { HipEngine, engineInternals } from '../../src/engine/hip-engine.js';
import type { HipEvent, Output } from '../../src/engine/io.js';
import type { EnginePolicy } from '../../src/engine/policy.js';
import type { Locator, PeerLocator, SaSpec, UdpPorts } from '../../src/types.js';
import { equalBytes } from '../../src/util/bytes.js';
import { param } from '../../src/wire/access.js';
import type { HipPacket } from '../../src/wire/types.js';
import { testRandom } from '../fixtures/keys.js';
import { identity } from './pair.js';
import { runEngines } from './engine-loop.js';

const A1 = parseLocator('10.0.0.1');
const A2 = parseLocator('10.9.0.1');
const A3 = parseLocator('10.7.0.1');
const A_PORT = 40_000;
/** The public side of the box in front of each private address of A. */
const BOXES = new Map<string, { addr: Locator; port: number }>([
  [locatorKey(A1), { addr: parseLocator('198.51.100.1'), port: 61_001 }],
  [locatorKey(A2), { addr: parseLocator('203.0.113.9'), port: 52_002 }],
  [locatorKey(A3), { addr: parseLocator('203.0.113.77'), port: 53_003 }],
]);
const box = (l: Locator) => BOXES.get(locatorKey(l))!;
const B1 = parseLocator('192.0.2.2');
const B2 = parseLocator('192.0.2.3');
const TA = 50;

type Side = 'a' | 'b';
type Sent = { at: number; from: Side; packet: HipPacket; bytes: Uint8Array; src: Locator; dst: Locator; udp: UdpPorts | undefined };

function world(opts: { configB?: Partial<HipConfig>; policy?: Partial<EnginePolicy>; plainUdp?: boolean } = {}) {
  const ice: Partial<HipConfig> = opts.plainUdp ? { natTraversal: 'none' } : { natTraversal: 'ice-hip-udp', natMinTaMs: TA };
  const a = new HipEngine({ identities: [identity('p256A')], locators: [A1], random: testRandom('mob-a'), config: { ...ice, udpPort: A_PORT }, ...(opts.policy ? { policy: opts.policy } : {}) }, 0);
  const b = new HipEngine({ identities: [identity('p256B')], locators: [B1], random: testRandom('mob-b'), config: { ...ice, ...opts.configB }, ...(opts.policy ? { policy: opts.policy } : {}) }, 0);
  // A's server-reflexive candidate: the mapping of the box in front of its current address.
  engineInternals(a).reflexiveCandidates = () => engineInternals(a).localLocators.flatMap((l) => (BOXES.has(locatorKey(l)) ? [{ address: box(l).addr, port: box(l).port }] : []));
  const net = { blocked: new Set<string>(), drop: (_s: Sent) => false };
  const sent: Sent[] = [];
  const events: Record<Side, { at: number; e: HipEvent }[]> = { a: [], b: [] };
  const saUpdates: Record<Side, { at: number; sa: SaSpec }[]> = { a: [], b: [] };
  const locators: Record<Side, { at: number; entry: PeerLocator }[]> = { a: [], b: [] };
  const wire: { at: number; s: Sent }[] = [];
  let now = 0;
  const drain = (side: Side): void => {
    const e = side === 'a' ? a : b;
    for (let o: Output | undefined = e.poll(); o !== undefined; o = e.poll()) {
      if (o.kind === 'transmit') {
        const s = { at: now, from: side, packet: o.packet, bytes: o.bytes, src: o.src, dst: o.dst, udp: o.udp };
        sent.push(s);
        wire.push({ at: now + 5, s });
      } else if (o.kind === 'event') events[side].push({ at: now, e: o.event });
      else if (o.kind === 'sa' && o.op === 'update') saUpdates[side].push({ at: now, sa: o.sa });
      else if (o.kind === 'locator' && o.op === 'upsert') locators[side].push({ at: now, entry: o.entry });
    }
  };
  const deliver = (s: Sent): void => {
    if (net.blocked.has(locatorKey(s.dst)) || net.drop(s)) return;
    const udp = s.udp!;
    if (s.from === 'a') {
      // A's box: only from an address A has, out through that address's own mapping.
      if (!engineInternals(a).localLocators.some((l) => equalBytes(l, s.src)) || udp.srcPort !== A_PORT) return;
      if (!engineInternals(b).localLocators.some((l) => equalBytes(l, s.dst))) return;
      const m = box(s.src);
      b.handle({ kind: 'datagram', transport: 'udp', bytes: s.bytes, src: m.addr, dst: s.dst, srcPort: m.port, dstPort: udp.dstPort }, now);
      drain('b');
    } else {
      // Endpoint-independent filtering: what reaches a mapping reaches A, if A still has that address.
      const inside = engineInternals(a).localLocators.find((l) => equalBytes(box(l).addr, s.dst) && box(l).port === udp.dstPort);
      if (!inside || !engineInternals(b).localLocators.some((l) => equalBytes(l, s.src))) return;
      a.handle({ kind: 'datagram', transport: 'udp', bytes: s.bytes, src: s.src, dst: inside, srcPort: udp.srcPort, dstPort: A_PORT }, now);
      drain('a');
    }
  };
  const run = (until: number): void => {
    now = runEngines({ a, b, wire, deliver: (x) => deliver(x.s), drain, setNow: (t) => (now = t) }, now, until, 200_000);
  };
  /** A packet as from the wire, from any transport address (an attacker's replay). */
  const inject = (to: Side, bytes: Uint8Array, src: Locator, srcPort: number, dst: Locator, dstPort: number): void => {
    (to === 'a' ? a : b).handle({ kind: 'datagram', transport: 'udp', bytes, src, dst, srcPort, dstPort }, now);
    drain(to);
  };
  a.connect({ hit: b.localHits[0]!, locators: [B1], udpPort: 10500 }, 0);
  drain('a');
  return { a, b, net, sent, events, saUpdates, locators, run, drain, inject, now: () => now };
}

type World = ReturnType<typeof world>;
const natPaths = (w: World, side: Side) => w.events[side].filter((x) => x.e.type === 'nat-path').map((x) => ({ at: x.at, ...(x.e as Extract<HipEvent, { type: 'nat-path' }>) }));
const isCheck = (s: Sent): boolean => s.packet.kind === 'UPDATE' && param(s.packet, 'CANDIDATE_PRIORITY') !== undefined;
const isStep1 = (s: Sent): boolean => s.packet.kind === 'UPDATE' && param(s.packet, 'ENCRYPTED') !== undefined && param(s.packet, 'SEQ') !== undefined;
/** Checks `side` sent from `since` on with an Update ID it never sent before (no retransmissions). */
function newChecks(w: World, side: Side, since: number): Sent[] {
  const before = new Set(w.sent.filter((s) => s.at < since && s.from === side && s.packet.kind === 'UPDATE').map((s) => param(s.packet, 'SEQ')?.updateId));
  return w.sent.filter((s) => s.at >= since && s.from === side && isCheck(s) && !before.has(param(s.packet, 'SEQ')!.updateId));
}
const assocOf = (e: HipEngine) => e.associations()[0]!;
const inboundSpi = (e: HipEngine): number => {
  const st = [...engineInternals(e).allAssociations()][0]!.state;
  return st.name === 'ESTABLISHED' ? st.sas[0]!.localSpi : -1;
};
const checkListOf = (e: HipEngine) => [...engineInternals(e).allAssociations()][0]?.checks;

/** Base exchange, checks and nomination done; then A moves from behind box 1 to behind box 2. */
function moved(opts: { configB?: Partial<HipConfig> } = {}) {
  const w = world(opts);
  w.run(10_000);
  expect(natPaths(w, 'a')).toHaveLength(1);
  expect(natPaths(w, 'b')).toHaveLength(1);
  const t0 = w.now();
  const mark = w.sent.length;
  w.a.setLocalLocators([A2], t0);
  w.drain('a');
  return { w, t0, mark };
}

describe('RFC 9028 §4.9: the mobile host (Figure 6 steps 1 and 5)', () => {
  it('step 1: UPDATE(ESP_INFO with OLD SPI = NEW SPI = the existing inbound SPI, ENCRYPTED(LOCATOR_SET), SEQ), no plain LOCATOR_SET, from the new address to the peer', () => {
    const { w, mark } = moved();
    const step1 = w.sent.slice(mark).filter(isStep1);
    expect(step1).toHaveLength(1);
    const u = step1[0]!;
    expect(u.from).toBe('a');
    const esp = param(u.packet, 'ESP_INFO')!;
    expect(esp.oldSpi).toBe(esp.newSpi);
    expect(esp.oldSpi).toBe(inboundSpi(w.a));
    // "the locators of the mobile host in a LOCATOR_SET parameter, encapsulated inside an ENCRYPTED parameter".
    expect(param(u.packet, 'LOCATOR_SET')).toBeUndefined();
    expect(param(u.packet, 'HIP_MAC')).toBeDefined();
    expect(param(u.packet, 'HIP_SIGNATURE')).toBeDefined();
    expect(equalBytes(u.src, A2)).toBe(true);
    expect(equalBytes(u.dst, B1)).toBe(true);
    // No RFC 8046 type 1 announcement went out instead of it.
    expect(w.sent.slice(mark).some((s) => s.packet.kind === 'UPDATE' && param(s.packet, 'LOCATOR_SET') !== undefined)).toBe(false);
  });

  it('step 1 carries the host candidate and the new server-reflexive one: after step 6 the peer holds them, type 2 and UNVERIFIED (§4.6)', () => {
    const { w, t0 } = moved();
    w.run(t0 + 10_000);
    const fresh = w.locators.b.filter((x) => x.at >= t0 && x.entry.type === 2);
    const host = fresh.find((x) => equalBytes(x.entry.locator, A2));
    const srflx = fresh.find((x) => equalBytes(x.entry.locator, box(A2).addr));
    expect(host?.entry).toMatchObject({ kind: 'host', port: A_PORT, state: 'UNVERIFIED' });
    expect(srflx?.entry).toMatchObject({ kind: 'srflx', port: box(A2).port, state: 'UNVERIFIED' });
  });

  it('step 5: the mobile host answers the peer\'s UPDATE with ACK and ECHO_RESPONSE_SIGNED, then starts its checks ("can start connectivity checks after this packet")', () => {
    const { w, t0, mark } = moved();
    w.run(t0 + 10_000);
    const after = w.sent.slice(mark);
    const step3 = after.find((s) => s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_REQUEST_SIGNED') && param(s.packet, 'ACK'))!;
    const nonce = param(step3.packet, 'ECHO_REQUEST_SIGNED')!.opaque;
    const step5 = after.find((s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_RESPONSE_SIGNED') && equalBytes(param(s.packet, 'ECHO_RESPONSE_SIGNED')!.opaque, nonce))!;
    expect(step5).toBeDefined();
    expect(param(step5.packet, 'ACK')!.peerUpdateIds).toContain(param(step3.packet, 'SEQ')!.updateId);
    const firstCheckA = after.find((s) => s.from === 'a' && isCheck(s))!;
    expect(firstCheckA.at).toBeGreaterThanOrEqual(step5.at);
    expect(equalBytes(firstCheckA.src, A2)).toBe(true);
  });
});

describe('RFC 9028 §4.9: the peer host (Figure 6 steps 3 and 6)', () => {
  it('step 3: UPDATE(ESP_INFO with OLD SPI = NEW SPI = its inbound SPI, SEQ, ACK, ECHO_REQUEST_SIGNED) back to the transport address step 1 came from', () => {
    const { w, t0, mark } = moved();
    w.run(t0 + 10_000);
    const after = w.sent.slice(mark);
    const step1 = after.find(isStep1)!;
    const step3 = after.find((s) => s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'ACK')?.peerUpdateIds.includes(param(step1.packet, 'SEQ')!.updateId))!;
    expect(param(step3.packet, 'SEQ')).toBeDefined();
    expect(param(step3.packet, 'ECHO_REQUEST_SIGNED')).toBeDefined();
    const esp = param(step3.packet, 'ESP_INFO')!;
    expect(esp.oldSpi).toBe(esp.newSpi);
    expect(esp.oldSpi).toBe(inboundSpi(w.b));
    expect(equalBytes(step3.dst, box(A2).addr)).toBe(true);
    expect(step3.udp?.dstPort).toBe(box(A2).port);
  });

  it('"the peer host MUST NOT restart the connectivity checks until step 6 is successfully completed": with step 5 lost, the peer learns no candidate and checks nothing', () => {
    const { w, t0 } = moved();
    const listBefore = checkListOf(w.b);
    // Every answer of A to an ECHO_REQUEST_SIGNED is lost (step 5 and its repeats).
    w.net.drop = (s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_RESPONSE_SIGNED') !== undefined;
    w.run(t0 + 3_000);
    // The host candidate that only step 1 announced never enters B's table (what B learns from
    // A's own authenticated checks is peer-reflexive, RFC 8445 §7.3.1.3, not from step 1).
    expect(w.locators.b.filter((x) => x.at >= t0 && equalBytes(x.entry.locator, A2))).toEqual([]);
    expect(w.locators.b.filter((x) => x.at >= t0 && x.entry.kind !== 'prflx' && equalBytes(x.entry.locator, box(A2).addr))).toEqual([]);
    expect(checkListOf(w.b)).toBe(listBefore);
    expect(newChecks(w, 'b', t0)).toEqual([]);
  });

  it('step 6 verified: both restart their checks, the Initiator stays controlling and nominates, and both move to the new pair (§4.9 ¶2, ¶12, ¶13)', () => {
    const { w, t0, mark } = moved();
    w.run(t0 + 10_000);
    const after = w.sent.slice(mark);
    const nominations = after.filter((s) => isCheck(s) && param(s.packet, 'NOMINATE'));
    // The controlling host's NOMINATE (the controlled host's answer repeats NOMINATE, §4.6.3, without CANDIDATE_PRIORITY).
    expect(nominations.length).toBeGreaterThan(0);
    expect(nominations.every((s) => s.from === 'a')).toBe(true);
    expect(assocOf(w.a).role).toBe('initiator');
    const pa = natPaths(w, 'a').filter((p) => p.at >= t0);
    const pb = natPaths(w, 'b').filter((p) => p.at >= t0);
    expect(pa).toHaveLength(1);
    expect(pb).toHaveLength(1);
    expect(equalBytes(pa[0]!.src, A2) && equalBytes(pa[0]!.dst, B1)).toBe(true);
    expect(equalBytes(pb[0]!.dst, box(A2).addr)).toBe(true);
    expect(pb[0]!.dstPort).toBe(box(A2).port);
    // The SAs follow: B's outbound SA goes to A's new mapping, with its UDP port (RFC 9028 §5.11).
    const bOut = w.saUpdates.b.filter((x) => x.at >= t0 && x.sa.direction === 'out').at(-1)!.sa;
    expect(equalBytes(bOut.dst, box(A2).addr)).toBe(true);
    expect(bOut.udp?.dstPort).toBe(box(A2).port);
    const aOut = w.saUpdates.a.filter((x) => x.at >= t0 && x.sa.direction === 'out').at(-1)!.sa;
    expect(equalBytes(aOut.src, A2) && equalBytes(aOut.dst, B1)).toBe(true);
    // The old candidates of A are DEPRECATED at B (RFC 8046 §5.3: a LOCATOR_SET is the complete list).
    const old = w.b.associations()[0]!;
    expect(old.state).toBe('ESTABLISHED');
    expect(w.locators.b.filter((x) => x.at >= t0 && equalBytes(x.entry.locator, box(A1).addr)).at(-1)?.entry.state).toBe('DEPRECATED');
  });

  it('§4.6: before the checks verified a new candidate, no SA of the peer points at it', () => {
    const { w, t0 } = moved();
    w.run(t0 + 10_000);
    const [pb] = natPaths(w, 'b').filter((p) => p.at >= t0);
    const early = w.saUpdates.b.filter((x) => x.at >= t0 && x.at < pb!.at);
    for (const x of early) {
      expect(equalBytes(x.sa.direction === 'out' ? x.sa.dst : x.sa.src, A2)).toBe(false);
      expect(equalBytes(x.sa.direction === 'out' ? x.sa.dst : x.sa.src, box(A2).addr)).toBe(false);
    }
  });

  it('the Responder moves: it sends step 1, and the Initiator, still controlling, nominates after step 6', () => {
    const w = world();
    w.run(10_000);
    const t0 = w.now();
    const mark = w.sent.length;
    w.b.setLocalLocators([B2], t0);
    w.drain('b');
    w.run(t0 + 10_000);
    const after = w.sent.slice(mark);
    const step1 = after.find(isStep1)!;
    expect(step1.from).toBe('b');
    expect(equalBytes(step1.src, B2)).toBe(true);
    expect(after.filter((s) => isCheck(s) && param(s.packet, 'NOMINATE')).every((s) => s.from === 'a')).toBe(true);
    const pa = natPaths(w, 'a').filter((p) => p.at >= t0);
    expect(pa).toHaveLength(1);
    expect(equalBytes(pa[0]!.dst, B2)).toBe(true);
    const aOut = w.saUpdates.a.filter((x) => x.at >= t0 && x.sa.direction === 'out').at(-1)!.sa;
    expect(equalBytes(aOut.dst, B2)).toBe(true);
  });
});

describe('RFC 9028 §4.9 ¶15: double jump and replays', () => {
  it('"the UPDATE message carrying locators in step 1 could be replayed by an attacker": a replayed step 1 changes nothing', () => {
    const { w, t0, mark } = moved();
    w.run(t0 + 10_000);
    const step1 = w.sent.slice(mark).find(isStep1)!;
    const table = JSON.stringify(w.b.peerLocators(assocOf(w.b).id));
    const paths = natPaths(w, 'b').length;
    const saCount = w.saUpdates.b.length;
    const t1 = w.now();
    // The attacker replays the captured step 1 from its own transport address.
    w.inject('b', step1.bytes, parseLocator('198.18.0.66'), 4444, B1, 10500);
    w.run(t1 + 5_000);
    expect(JSON.stringify(w.b.peerLocators(assocOf(w.b).id))).toBe(table);
    expect(natPaths(w, 'b')).toHaveLength(paths);
    expect(w.saUpdates.b).toHaveLength(saCount);
    expect(newChecks(w, 'b', t1)).toEqual([]);
    // At most the ACK of RFC 7401 §6.12.1 step 2 ("retransmitted" UPDATE: ACK it, process no
    // further) goes back: no SEQ, no ECHO_REQUEST_SIGNED of a new step 3, no check.
    for (const s of w.sent.filter((x) => x.at >= t1 && equalBytes(x.dst, parseLocator('198.18.0.66')))) {
      expect(param(s.packet, 'ACK')?.peerUpdateIds).toEqual([param(step1.packet, 'SEQ')!.updateId]);
      expect(param(s.packet, 'SEQ')).toBeUndefined();
      expect(param(s.packet, 'ECHO_REQUEST_SIGNED')).toBeUndefined();
    }
  });

  it('a handover UPDATE arriving during the checks restarts them only after its step 6, with the new candidates', () => {
    const w = world();
    // Run until B has its check list from the base exchange, before the nomination.
    for (let i = 0; i < 2000 && !(checkListOf(w.b) && natPaths(w, 'b').length === 0 && assocOf(w.b).state === 'ESTABLISHED'); i++) w.run(w.now() + 1);
    const first = checkListOf(w.b);
    expect(first).toBeDefined();
    expect(natPaths(w, 'b')).toHaveLength(0);
    const t0 = w.now();
    w.a.setLocalLocators([A2], t0);
    w.drain('a');
    // Step 1 reached B (5 ms) but step 5 cannot have yet (another 10 ms): the checks are the same.
    w.run(t0 + 6);
    expect(w.sent.some((s) => s.at >= t0 && s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_REQUEST_SIGNED') && !isCheck(s))).toBe(true);
    expect(checkListOf(w.b)).toBe(first);
    w.run(t0 + 10_000);
    expect(checkListOf(w.b)).not.toBe(first);
    const pb = natPaths(w, 'b');
    expect(pb.length).toBeGreaterThanOrEqual(1);
    expect(equalBytes(pb.at(-1)!.dst, box(A2).addr)).toBe(true);
    // A moved again right away: B ends on the newest mapping too.
    const t1 = w.now();
    w.a.setLocalLocators([A3], t1);
    w.drain('a');
    w.run(t1 + 10_000);
    expect(equalBytes(natPaths(w, 'b').at(-1)!.dst, box(A3).addr)).toBe(true);
  });
});

describe('RFC 9028 §4.7.1 with §4.9: no connectivity checks', () => {
  it('with skipConnectivityChecks on both hosts, the peer moves to the transport address of the verified step 5 (its return routability), and ESP follows', () => {
    const w = world({ policy: { skipConnectivityChecks: () => true } });
    w.run(10_000);
    expect(natPaths(w, 'b')).toHaveLength(0);
    const t0 = w.now();
    w.a.setLocalLocators([A2], t0);
    w.drain('a');
    w.run(t0 + 5_000);
    expect(w.sent.filter((s) => s.at >= t0 && isCheck(s))).toEqual([]);
    const [pb] = natPaths(w, 'b');
    expect(pb).toBeDefined();
    expect(equalBytes(pb!.dst, box(A2).addr)).toBe(true);
    expect(pb!.dstPort).toBe(box(A2).port);
    const bOut = w.saUpdates.b.filter((x) => x.at >= t0 && x.sa.direction === 'out').at(-1)!.sa;
    expect(equalBytes(bOut.dst, box(A2).addr)).toBe(true);
    expect(bOut.udp?.dstPort).toBe(box(A2).port);
  });
});

describe('RFC 8046 §5.4 over plain UDP encapsulation (RFC 9028 §4.7.1) through a NAT', () => {
  it('an UPDATE whose LOCATOR_SET lists only a private address, from a NAT mapping it does not list: the peer checks that transport address (combined ECHO_REQUEST_SIGNED) and, verified, moves there', () => {
    const w = world({ plainUdp: true });
    w.run(10_000);
    expect(assocOf(w.a).natTraversal).toBeUndefined();
    const t0 = w.now();
    const mark = w.sent.length;
    w.a.setLocalLocators([A2], t0);
    w.drain('a');
    w.run(t0 + 5_000);
    const after = w.sent.slice(mark);
    // RFC 8046 §5.2 case 1 (no ICE): the plain LOCATOR_SET with A's private address only.
    const announce = after.find((s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'LOCATOR_SET'))!;
    const listed = param(announce.packet, 'LOCATOR_SET')!.locators.map((l) => ('address' in l ? locatorKey(l.address) : ''));
    expect(listed).toEqual([locatorKey(A2)]);
    // B's reply checks the NAT mapping the UPDATE came from, at its port.
    const reply = after.find((s) => s.from === 'b' && s.packet.kind === 'UPDATE' && param(s.packet, 'ECHO_REQUEST_SIGNED') && param(s.packet, 'ACK'))!;
    expect(equalBytes(reply.dst, box(A2).addr)).toBe(true);
    expect(reply.udp?.dstPort).toBe(box(A2).port);
    const entry = w.b.peerLocators(assocOf(w.b).id).find((l) => equalBytes(l.locator, box(A2).addr));
    expect(entry?.state).toBe('ACTIVE');
    const bOut = w.saUpdates.b.filter((x) => x.at >= t0 && x.sa.direction === 'out').at(-1)!.sa;
    expect(equalBytes(bOut.dst, box(A2).addr)).toBe(true);
    expect(bOut.udp?.dstPort).toBe(box(A2).port);
  });

  it('a replayed copy of that UPDATE from another transport address adds nothing (a SEQ already processed is only ACKed, RFC 7401 §6.12.1)', () => {
    const w = world({ plainUdp: true });
    w.run(10_000);
    const t0 = w.now();
    const mark = w.sent.length;
    w.a.setLocalLocators([A2], t0);
    w.drain('a');
    w.run(t0 + 5_000);
    const announce = w.sent.slice(mark).find((s) => s.from === 'a' && s.packet.kind === 'UPDATE' && param(s.packet, 'LOCATOR_SET'))!;
    const t1 = w.now();
    const attacker = parseLocator('198.18.0.66');
    w.inject('b', announce.bytes, attacker, 4444, B1, 10500);
    w.run(t1 + 3_000);
    expect(w.b.peerLocators(assocOf(w.b).id).some((l) => equalBytes(l.locator, attacker))).toBe(false);
    expect(w.locators.b.filter((x) => x.at >= t1 && equalBytes(x.entry.locator, attacker))).toEqual([]);
    expect(w.saUpdates.b.filter((x) => x.at >= t1)).toEqual([]);
    // No check (ECHO_REQUEST_SIGNED) toward the attacker's address.
    expect(w.sent.filter((s) => s.at >= t1 && equalBytes(s.dst, attacker) && param(s.packet, 'ECHO_REQUEST_SIGNED'))).toEqual([]);
  });
});

describe('RFC 9028 §7.7: bounded candidates', () => {
  it('a handover LOCATOR_SET with more candidates than config.maxPeerLocators is refused whole, and the peer keeps its table', () => {
    const w = world({ configB: { maxPeerLocators: 3 } });
    w.run(10_000);
    const t0 = w.now();
    const table = JSON.stringify(w.b.peerLocators(assocOf(w.b).id));
    const drops: string[] = [];
    // Three new host candidates and one server-reflexive: four > 3.
    w.a.setLocalLocators([A2, parseLocator('10.9.0.2'), parseLocator('10.9.0.3')], t0);
    w.drain('a');
    w.run(t0 + 2_000);
    for (const x of w.events.b) if (x.at >= t0 && x.e.type === 'dropped') drops.push(`${x.e.reason}`);
    expect(drops).toContain('policy');
    expect(JSON.stringify(w.b.peerLocators(assocOf(w.b).id))).toBe(table);
    expect(newChecks(w, 'b', t0)).toEqual([]);
  });
});
