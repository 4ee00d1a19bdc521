// A host behind an address-and-port-dependent ("symmetric") NAT (RFC 4787 §4.1, §5) and no Data
// Relay Server (RFC 9028 §4.12: not implemented, see README, NAT traversal). Two hosts, each behind
// its own NAT box, register with a public Control Relay Server (§4.1, learning their
// server-reflexive candidates, §4.2), run the base exchange through it (§4.5) and check their
// candidate pairs (§4.6).
//
// Where a direct path exists, the checks find it: with the symmetric NAT in front of the
// Initiator and an endpoint-independent one in front of the Responder, the Initiator's check
// leaves its NAT from a port nobody announced, reaches the Responder, and the Responder learns it
// as a peer-reflexive candidate (RFC 8445 §7.3.1.3, RFC 9028 §4.6.1 step 3) and answers there.
// Where none exists (a symmetric NAT on both sides, or a symmetric NAT facing a port-restricted
// one: each side's checks leave from a mapping the other side's filter does not admit), only a
// relayed candidate could carry ESP, and without a Data Relay Server the failure must be clean
// (§4.6.3): nat-checks-failed, NOTIFY CONNECTIVITY_CHECKS_FAILED, no ESP, nothing left running.
// SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { equalBytes } from '../../src/util/bytes.js';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';
import type { SimHost } from '../../src/testing/index.js';
import { ADDR, NAT_EI, NAT_PORT_RESTRICTED, NAT_SYMMETRIC, mappedPortToward, text, traceText, twoNatsWorld, type NatType } from './nat-helpers.js';

/** Packets `host` sent at or after `t`, from the trace (kind, notify type when traced). */
function sentSince(w: { readonly sim: { readonly trace: { readonly records: readonly { t: number; host: string; dir: string; kind?: string; fields?: Record<string, unknown> }[] } } }, host: SimHost, t: number) {
  return w.sim.trace.records.filter((r) => r.host === host.name && r.dir === 'send' && r.t >= t);
}

describe('RFC 9028 §4.6.3 · symmetric NAT without a Data Relay Server: a clean failure (RFC 4787 §4.1, §5)', () => {
  const cases: readonly (readonly [string, NatType, NatType])[] = [
    ['both hosts behind symmetric NATs', NAT_SYMMETRIC, NAT_SYMMETRIC],
    ['the Initiator behind a symmetric NAT, the Responder behind a port-restricted one', NAT_SYMMETRIC, NAT_PORT_RESTRICTED],
    ['the Initiator behind a port-restricted NAT, the Responder behind a symmetric one', NAT_PORT_RESTRICTED, NAT_SYMMETRIC],
  ];
  it.each(cases)(
    '%s: every check fails, nat-checks-failed once, NOTIFY CONNECTIVITY_CHECKS_FAILED reaches the peer via the relay, no ESP to an unverified candidate, no error, only keepalives afterwards',
    (_name, typeA, typeB) => {
      const w = twoNatsWorld(9301, typeA, typeB, { traceParams: true });
      const { sim, a, b, assoc } = w;
      // The sim checks its invariants after every step and throws on any engine error: running
      // it to the end is the "no thrown error" part.
      sim.runUntil(() => a.eventsOf('nat-checks-failed').length > 0, { maxTimeMs: 60_000 });
      const failedAt = sim.now;
      sim.run(90_000);
      // §4.6.3: "If all the connectivity checks have failed ... the hosts SHOULD notify each other
      // about the failure with a CONNECTIVITY_CHECKS_FAILED NOTIFY packet". The Initiator concludes
      // (it is the controlling host, §4.6.1), once.
      expect(a.eventsOf('nat-checks-failed').map((e) => e.assoc)).toEqual([assoc]);
      expect(b.eventsOf('nat-checks-failed')).toEqual([]);
      const bAssoc = b.association(a)!.id;
      expect(a.eventsOf('nat-path').filter((e) => e.assoc === assoc)).toEqual([]);
      expect(b.eventsOf('nat-path').filter((e) => e.assoc === bAssoc)).toEqual([]);
      const notices = sim.trace.records.filter((r) => r.host === 'A' && r.dir === 'send' && r.kind === 'NOTIFY' && r.fields?.['notify'] === NOTIFY_TYPE.CONNECTIVITY_CHECKS_FAILED);
      expect(notices).toHaveLength(1);
      // "MAY continue communicating using HIP packets and the locators used for the base
      // exchange": the NOTIFY goes to the relay (the base exchange's locator), which forwards it.
      expect(traceText(notices[0]!.fields?.['dst'])).toBe(ADDR.RELAY);
      const got = b.eventsOf('notify').filter((e) => e.messageType === NOTIFY_TYPE.CONNECTIVITY_CHECKS_FAILED);
      expect(got).toHaveLength(1);
      expect(got[0]!.authenticated).toBe(true);
      expect(got[0]!.assoc).toBe(bAssoc);
      // Both stay associated (HIP may go on over the base exchange's path).
      expect(a.established(b)).toBe(true);
      expect(b.established(a)).toBe(true);
      // "the hosts MUST NOT send ESP traffic to each other": none was sent, and no SA was moved
      // to a candidate the checks never verified (§4.6.2: "A host MUST NOT select a candidate pair
      // until it has verified the pair using a connectivity check").
      expect(sim.trace.records.filter((r) => r.kind === 'ESP' && r.dir === 'send')).toEqual([]);
      // The SAs stay where the base exchange put them (nothing moved them to a candidate): A's
      // toward the relay it ran the exchange through, B's toward the transport address the relay
      // reported A's packets from (RELAY_FROM, §4.5), which is A's server-reflexive one.
      const outTo = (h: SimHost, peer: SimHost) => h.sas.filter((x) => x.direction === 'out' && equalBytes(x.peerHit, peer.hit));
      expect(outTo(a, b).length).toBeGreaterThan(0);
      expect(outTo(b, a).length).toBeGreaterThan(0);
      for (const sa of outTo(a, b)) expect(formatLocator(sa.dst)).toBe(ADDR.RELAY);
      const relayFromA = mappedPortToward(w.natA, sim.now, ADDR.RELAY);
      for (const sa of outTo(b, a)) expect([formatLocator(sa.dst), sa.udp?.dstPort]).toEqual([ADDR.NAT_A, relayFromA]);
      // The candidates the checks tried stay unverified (the base exchange's own locator keeps
      // the state the exchange gave it).
      for (const e of a.locatorTable(b).filter((l) => l.type === 2)) expect(e.state).toBe('UNVERIFIED');
      for (const e of b.locatorTable(a).filter((l) => l.type === 2)) expect(e.state).toBe('UNVERIFIED');
      expect(a.locatorTable(b).filter((l) => l.type === 2).length).toBeGreaterThan(0);
      // No state left running: from 20 s after the failure (the controlled host's own checks, run
      // started from R2-SENT, have timed out by then), every packet either host sends is a
      // NAT_KEEPALIVE NOTIFY (§4.10), at most one per Tr per association (its peer and the relay).
      const quietFrom = failedAt + 20_000;
      const tr = a.engine.config.natKeepaliveMs;
      for (const h of [a, b]) {
        const sent = sentSince(w, h, quietFrom);
        expect(sent.length).toBeGreaterThan(0);
        for (const r of sent) expect([r.kind, r.fields?.['notify']]).toEqual(['NOTIFY', NOTIFY_TYPE.NAT_KEEPALIVE]);
        expect(sent.length).toBeLessThanOrEqual(2 * (Math.ceil((sim.now - quietFrom) / tr) + 1));
        const next = h.engine.pollTimeout();
        expect(next).toBeDefined();
        expect(next!).toBeGreaterThan(sim.now);
      }
    },
  );
});

describe('RFC 9028 §4.6.1 · one host behind a symmetric NAT: the direct path through a peer-reflexive candidate (RFC 8445 §7.3.1.3)', () => {
  it('the Initiator behind a symmetric NAT, the Responder behind an endpoint-independent one: the Responder learns the check\'s mapping as prflx, both nominate the NAT-to-NAT pair, ESP bypasses the relay', () => {
    const w = twoNatsWorld(9302, NAT_SYMMETRIC, NAT_EI);
    const { sim, a, b, natA, natB, assoc } = w;
    sim.runUntil(() => a.eventsOf('nat-path').some((e) => e.assoc === assoc) && b.eventsOf('nat-path').some((e) => e.assoc === b.association(a)?.id), { maxTimeMs: 60_000 });
    expect(a.eventsOf('nat-checks-failed')).toEqual([]);
    // A's symmetric NAT gave A one mapping per remote transport address (RFC 4787 §4.1): the one
    // toward the relay (A's server-reflexive candidate, what REG_FROM told A) and a new one for
    // its check toward B's NAT, which A never announced.
    const srflxA = mappedPortToward(natA, sim.now, ADDR.RELAY)!;
    const towardB = mappedPortToward(natA, sim.now, ADDR.NAT_B)!;
    expect(srflxA).toBeDefined();
    expect(towardB).toBeDefined();
    expect(towardB).not.toBe(srflxA);
    const srflxB = mappedPortToward(natB, sim.now, ADDR.RELAY)!;
    // A (controlling) nominated its host candidate × B's server-reflexive one.
    const pa = a.eventsOf('nat-path').find((e) => e.assoc === assoc)!;
    expect({ src: formatLocator(pa.src), dst: formatLocator(pa.dst), dstPort: pa.dstPort, kind: pa.kind }).toEqual({ src: ADDR.A, dst: ADDR.NAT_B, dstPort: srflxB, kind: 'srflx' });
    // B (controlled) follows the NOMINATE on the pair it was sent over: A's peer-reflexive
    // transport address, the port of A's NAT mapping toward B, not A's announced srflx port.
    const pb = b.eventsOf('nat-path').find((e) => e.assoc === b.association(a)!.id)!;
    expect({ src: formatLocator(pb.src), dst: formatLocator(pb.dst), dstPort: pb.dstPort, kind: pb.kind }).toEqual({ src: ADDR.B, dst: ADDR.NAT_A, dstPort: towardB, kind: 'prflx' });
    const prflx = b.locatorTable(a).find((l) => formatLocator(l.locator) === ADDR.NAT_A)!;
    expect(prflx.state).toBe('ACTIVE');
    // ESP both ways on that pair, none of it via the relay (§4.6: the relay's address "MUST NOT
    // be used as a destination for data plane traffic").
    const viaRelay: string[] = [];
    sim.intercept((_bytes, ctx) => {
      if (ctx.proto === 'esp' && (formatLocator(ctx.dst) === ADDR.RELAY || formatLocator(ctx.src) === ADDR.RELAY)) viaRelay.push(ctx.from);
      return 'pass';
    });
    for (let k = 0; k < 4; k++) {
      expect(a.send(b, text(`a${k}`)).ok).toBe(true);
      expect(b.send(a, text(`b${k}`)).ok).toBe(true);
    }
    sim.run(500);
    expect(Object.entries(b.receivedByPath(a)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_A}>${ADDR.B}`, 4]]);
    expect(Object.entries(a.receivedByPath(b)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_B}>${ADDR.A}`, 4]]);
    expect(viaRelay).toEqual([]);
    const bOut = b.sas.filter((s) => s.direction === 'out' && s.peerHit !== undefined && formatLocator(s.dst) === ADDR.NAT_A);
    expect(bOut.map((s) => s.udp?.dstPort)).toEqual([towardB]);
  });
});

describe('RFC 9028 §4.6, §4.6.1 Figure 5 · a symmetric NAT facing an address-dependent filter (RFC 4787 §5): crossed once the Responder checks from R2-SENT', () => {
  // Endpoint-independent mapping, address-dependent filtering ("address-restricted cone").
  const NAT_ADDRESS_RESTRICTED: NatType = { mapping: 'endpoint-independent', filtering: 'address-dependent' };
  const cases: readonly (readonly [string, NatType, NatType])[] = [
    ['the Initiator behind the symmetric NAT', NAT_SYMMETRIC, NAT_ADDRESS_RESTRICTED],
    ['the Responder behind the symmetric NAT', NAT_ADDRESS_RESTRICTED, NAT_SYMMETRIC],
  ];
  // RFC 8445 §7.2.5.3.1 / §7.3.1.3: the address-restricted host's check toward the symmetric
  // NAT's address opens its filter to every port of that address; the symmetric host's check,
  // from a mapping it never announced, then passes it and is learned as a peer-reflexive
  // candidate, and the answer goes back through the mapping it came from.
  it.each(cases)('%s: a direct pair is nominated with no nat-checks-failed, through a peer-reflexive candidate of the symmetric side, and ESP flows on it', (_name, typeA, typeB) => {
    const w = twoNatsWorld(9303, typeA, typeB);
    const { sim, a, b, assoc } = w;
    const bAssoc = () => b.association(a)?.id;
    sim.runUntil(() => a.eventsOf('nat-path').some((e) => e.assoc === assoc) && b.eventsOf('nat-path').some((e) => e.assoc === bAssoc()), { maxTimeMs: 60_000 });
    expect(a.eventsOf('nat-checks-failed')).toEqual([]);
    const pa = a.eventsOf('nat-path').find((e) => e.assoc === assoc)!;
    const pb = b.eventsOf('nat-path').find((e) => e.assoc === bAssoc())!;
    expect([formatLocator(pa.dst), formatLocator(pb.dst)]).toEqual([ADDR.NAT_B, ADDR.NAT_A]);
    // The symmetric side is reached at its peer-reflexive transport address (its mapping toward
    // the other NAT), not at the server-reflexive one it announced.
    const [symNat, symPeerPath, symHost] = typeA === NAT_SYMMETRIC ? [w.natA, pb, ADDR.NAT_B] : [w.natB, pa, ADDR.NAT_A];
    expect(symPeerPath.kind).toBe('prflx');
    expect(symPeerPath.dstPort).toBe(mappedPortToward(symNat, sim.now, symHost));
    expect(symPeerPath.dstPort).not.toBe(mappedPortToward(symNat, sim.now, ADDR.RELAY));
    for (let k = 0; k < 3; k++) {
      expect(a.send(b, text(`a${k}`)).ok).toBe(true);
      expect(b.send(a, text(`b${k}`)).ok).toBe(true);
    }
    sim.run(500);
    expect(Object.entries(b.receivedByPath(a)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_A}>${ADDR.B}`, 3]]);
    expect(Object.entries(a.receivedByPath(b)).map(([p, c]) => [p, c.packets])).toEqual([[`${ADDR.NAT_B}>${ADDR.A}`, 3]]);
  });
});
