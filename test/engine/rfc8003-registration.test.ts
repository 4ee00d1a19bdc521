// RFC 8003: the HIP Registration Extension between two engines (registrar B, requester A).
import { describe, expect, it } from 'vitest';
import { Pair, LOC_A, LOC_B, decoded } from './pair.js';
import { encodePacket } from '../../src/wire/packet.js';
import type { ParamInit } from '../../src/wire/types.js';
import { dropsOf, forgeUpdate } from './helpers.js';
import { param, params } from '../../src/wire/access.js';
import { HipStateError } from '../../src/engine/errors.js';
import { REG_FAILURE, REG_TYPES, REG_TYPE_RENDEZVOUS, encodeLifetime, lifetimeSeconds } from '../../src/engine/reg-types.js';
import { resolveConfig } from '../../src/engine/config.js';
import type { HipConfig } from '../../src/engine/config.js';
import type { HipEvent } from '../../src/engine/io.js';
import type { HipPacket } from '../../src/wire/types.js';

const RVS = REG_TYPE_RENDEZVOUS;

/** A requester A and a registrar B that offers RENDEZVOUS; A is on B's allow-list unless told. */
function registrarPair(b: Partial<HipConfig> = {}, opts: { allowA?: boolean; a?: Partial<HipConfig> } = {}): Pair {
  const probe = new Pair();
  const allow = opts.allowA === false ? [] : [probe.aHit];
  return new Pair({ configA: opts.a ?? {}, configB: { registrarTypes: [RVS], registrationAllowList: allow, ...b } });
}

function sent(p: Pair, from: 'a' | 'b', kind: string): HipPacket[] {
  return p.log.filter((l) => l.from === from && l.kind === kind && !l.dropped).map((l) => l.packet);
}

function ev<T extends HipEvent['type']>(p: Pair, side: 'a' | 'b', type: T): Extract<HipEvent, { type: T }>[] {
  return p.events(side).filter((e): e is Extract<HipEvent, { type: T }> => e.type === type);
}

function connectRegistering(p: Pair, types: readonly number[] = [RVS]): number {
  const id = p.a.connect({ hit: p.bHit, locators: [LOC_B], register: types }, p.now);
  p.drain('a');
  return id;
}

describe('RFC 8003 §4.1 lifetime encoding', () => {
  it('RFC 8003 §4.1 · 0 is zero seconds and L is 2^((L - 64)/8) seconds, ~4 ms to ~178 days', () => {
    expect(lifetimeSeconds(0)).toBe(0);
    expect(lifetimeSeconds(64)).toBe(1);
    expect(lifetimeSeconds(72)).toBe(2);
    expect(lifetimeSeconds(1)).toBeCloseTo(2 ** (-63 / 8), 12);
    expect(lifetimeSeconds(255) / 86400).toBeCloseTo(178, 0);
    // The encoding never shortens what is asked for: the smallest code at least that long.
    for (const s of [1, 10, 120, 600, 3600]) {
      const code = encodeLifetime(s);
      expect(lifetimeSeconds(code)).toBeGreaterThanOrEqual(s - 1e-9);
      expect(lifetimeSeconds(code - 1)).toBeLessThan(s);
    }
  });
});

describe('RFC 8003 §7 the registration type table', () => {
  it('RFC 8003 §7 · only types in the table (RENDEZVOUS = 1, RFC 8004 §4.1; RELAY_UDP_HIP = 2, RFC 9028 §5.9) can be offered; anything else is refused at configuration', () => {
    expect([...REG_TYPES.keys()]).toEqual([RVS, 2]);
    expect(REG_TYPES.get(RVS)!.name).toBe('RENDEZVOUS');
    expect(REG_TYPES.get(2)!.name).toBe('RELAY_UDP_HIP');
    // RELAY_UDP_ESP (3, RFC 9028 §5.9) needs a Data Relay Server, which hip-engine does not provide.
    expect(() => resolveConfig({ registrarTypes: [3] })).toThrow(/config\.registrarTypes\[0\]/);
    expect(() => resolveConfig({ registrarTypes: [RVS] })).not.toThrow();
    // A requester may still ask for any type: an unknown one is refused with Failure Type 1
    // by the registrar (see "RFC 8003 §4.5 · a type the registrar does not offer").
  });
});

describe('RFC 8003 §3 registration during the base exchange (Figure 1)', () => {
  it('RFC 8003 §3.1-§3.3 · R1(REG_INFO), I2(REG_REQUEST), R2(REG_RESPONSE): both ends hold the registration', () => {
    const p = registrarPair();
    const id = connectRegistering(p);
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    // §3.1: "A host that is capable and willing to act as a registrar ... SHOULD include a
    // REG_INFO parameter in the R1 packets".
    const info = param(sent(p, 'b', 'R1')[0]!, 'REG_INFO')!;
    expect(info.regTypes).toEqual([RVS]);
    expect(lifetimeSeconds(info.minLifetime)).toBeGreaterThanOrEqual(10); // §5: at least 10 s
    expect(lifetimeSeconds(info.maxLifetime)).toBeLessThanOrEqual(3600);
    // §3.2: "it SHOULD send the REG_REQUEST at the earliest possibility, i.e., in the I2".
    const req = params(sent(p, 'a', 'I2')[0]!, 'REG_REQUEST');
    expect(req).toHaveLength(1);
    expect(req[0]!.regTypes).toEqual([RVS]);
    expect(lifetimeSeconds(req[0]!.lifetime)).toBeGreaterThanOrEqual(600);
    // §3.3 / §4.4: the R2 carries exactly one REG_RESPONSE listing the granted type.
    const res = params(sent(p, 'b', 'R2')[0]!, 'REG_RESPONSE');
    expect(res).toHaveLength(1);
    expect(res[0]!.regTypes).toEqual([RVS]);
    const granted = lifetimeSeconds(res[0]!.lifetime);
    expect(ev(p, 'a', 'registered')).toMatchObject([{ as: 'requester', regTypes: [RVS], lifetimeS: granted }]);
    expect(ev(p, 'b', 'registered')).toMatchObject([{ as: 'registrar', regTypes: [RVS], lifetimeS: granted }]);
    // The engine keeps the lifetime: the registration runs out `granted` seconds after the R2.
    const held = p.a.registrations(id).held;
    expect(held.map((h) => h.regType)).toEqual([RVS]);
    expect(held[0]!.expiresAt).toBe(p.now + granted * 1000);
    const bId = p.b.associations()[0]!.id;
    expect(p.b.registrations(bId).granted.map((g) => g.regType)).toEqual([RVS]);
  });

  it('RFC 8003 §3.1 · a host that offers no service sends no REG_INFO, and the requester then sends no REG_REQUEST (§4.3 MUST NOT)', () => {
    const p = new Pair();
    connectRegistering(p);
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(param(sent(p, 'b', 'R1')[0]!, 'REG_INFO')).toBeUndefined();
    expect(param(sent(p, 'a', 'I2')[0]!, 'REG_REQUEST')).toBeUndefined();
    // The requester reports the type as unavailable (Failure Type 1) without asking.
    expect(ev(p, 'a', 'registration-failed')).toMatchObject([{ regTypes: [RVS], failureType: REG_FAILURE.TYPE_UNAVAILABLE }]);
  });

  it('RFC 8003 §3.3 · a requester not on the allow-list is refused with REG_FAILED Failure Type 0 and the registrar keeps no registration', () => {
    const p = registrarPair({}, { allowA: false });
    const id = connectRegistering(p);
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const r2 = sent(p, 'b', 'R2')[0]!;
    expect(param(r2, 'REG_RESPONSE')).toBeUndefined();
    expect(params(r2, 'REG_FAILED')).toMatchObject([{ failureType: REG_FAILURE.CREDENTIALS_REQUIRED, regTypes: [RVS] }]);
    expect(ev(p, 'a', 'registration-failed')).toMatchObject([{ failureType: 0, regTypes: [RVS] }]);
    expect(p.a.registrations(id).held).toEqual([]);
    expect(p.b.registrations(p.b.associations()[0]!.id).granted).toEqual([]);
    // The association itself is set up: registration is refused, not the base exchange.
    expect(p.state('a')).toBe('ESTABLISHED');
  });

  it('RFC 8003 §3.3 · the registrar policy hook decides: a hook that grants everyone overrides the default allow-list', () => {
    const probe = new Pair();
    const p = new Pair({
      configB: { registrarTypes: [RVS] },
      extraB: { policy: { authorizeRegistration: ({ requester }) => (requester.length === 16 ? { grant: true } : { grant: false, failureType: 0 }) } },
    });
    expect(probe.aHit).toEqual(p.aHit);
    connectRegistering(p);
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(ev(p, 'a', 'registered')).toHaveLength(1);
  });

  it('RFC 8003 §4.5 / §6 · the limits per requester and in total refuse with Failure Type 2 (insufficient resources)', () => {
    for (const limit of [{ maxRegistrations: 0 }, { maxRegistrationsPerRequester: 0 }]) {
      const p = registrarPair(limit);
      connectRegistering(p);
      p.runUntil(() => p.state('a') === 'ESTABLISHED');
      expect(params(sent(p, 'b', 'R2')[0]!, 'REG_FAILED')).toMatchObject([{ failureType: REG_FAILURE.INSUFFICIENT_RESOURCES, regTypes: [RVS] }]);
      expect(ev(p, 'b', 'registered')).toHaveLength(0);
    }
  });
});

describe('RFC 8003 §3.2 registration by UPDATE (Figure 2), refresh, cancellation', () => {
  function established(b: Partial<HipConfig> = {}, a: Partial<HipConfig> = {}): { p: Pair; id: number } {
    const p = registrarPair(b, { a });
    const id = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    p.run(p.now + 100);
    return { p, id };
  }

  it('RFC 8003 §3.2 · an established association registers later: UPDATE(REG_REQUEST), answered by UPDATE(REG_RESPONSE)', () => {
    const { p, id } = established();
    expect(p.a.registrations(id).offered?.regTypes).toEqual([RVS]);
    p.a.register(id, [RVS], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const updA = sent(p, 'a', 'UPDATE');
    expect(updA.some((u) => param(u, 'REG_REQUEST')?.regTypes.includes(RVS))).toBe(true);
    const updB = sent(p, 'b', 'UPDATE');
    const answer = updB.find((u) => param(u, 'REG_RESPONSE'));
    expect(answer && param(answer, 'REG_RESPONSE')!.regTypes).toEqual([RVS]);
    expect(ev(p, 'a', 'registered')).toMatchObject([{ as: 'requester', regTypes: [RVS] }]);
    expect(p.a.registrations(id).held.map((h) => h.regType)).toEqual([RVS]);
  });

  it('RFC 8003 §4.3 · the requester MUST NOT request a type the latest REG_INFO did not list: register throws ERR_NOT_OFFERED', () => {
    const p = new Pair();
    const id = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(() => p.a.register(id, [RVS], p.now)).toThrow(HipStateError);
    try {
      p.a.register(id, [RVS], p.now);
    } catch (e) {
      expect((e as HipStateError).code).toBe('ERR_NOT_OFFERED');
    }
    expect(() => p.a.register(id, [256], p.now)).toThrow(RangeError);
  });

  it('RFC 8003 §4.3 · a lifetime above the maximum is granted for the maximum, below the minimum for the minimum', () => {
    const { p } = established({ registrationMinLifetimeS: 30, registrationMaxLifetimeS: 120 });
    // A requester that ignores the announced range (our engine never does: forged).
    for (const [seq, asked, expectS] of [[100, 255, 120], [101, 1, 30]] as const) {
      const before = sent(p, 'b', 'UPDATE').length;
      p.inject('b', forgeUpdate(p, 'a', [{ kind: 'SEQ', updateId: seq }, { kind: 'REG_REQUEST', lifetime: asked, regTypes: [RVS] }], LOC_A, LOC_B));
      const res = sent(p, 'b', 'UPDATE').slice(before).map((u) => param(u, 'REG_RESPONSE')).find((r) => r);
      expect(res).toBeDefined();
      const granted = lifetimeSeconds(res!.lifetime);
      expect(granted).toBeLessThanOrEqual(expectS * 1.1);
      expect(granted).toBeGreaterThanOrEqual(expectS * 0.9);
    }
  });

  it('RFC 8003 §4.5 · a type the registrar does not offer is refused with Failure Type 1, the others are granted', () => {
    const { p } = established();
    const before = sent(p, 'b', 'UPDATE').length;
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'SEQ', updateId: 7 }, { kind: 'REG_REQUEST', lifetime: 120, regTypes: [2, RVS] }], LOC_A, LOC_B));
    const answer = sent(p, 'b', 'UPDATE').slice(before).find((u) => param(u, 'REG_RESPONSE'))!;
    expect(param(answer, 'REG_RESPONSE')!.regTypes).toEqual([RVS]);
    expect(params(answer, 'REG_FAILED')).toMatchObject([{ failureType: REG_FAILURE.TYPE_UNAVAILABLE, regTypes: [2] }]);
  });

  it('RFC 8003 §5 · the requester refreshes before the lifetime ends: the registration never lapses', () => {
    const { p, id } = established({ registrationMaxLifetimeS: 60 }, { registrationLifetimeS: 60 });
    p.a.register(id, [RVS], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const granted = ev(p, 'a', 'registered')[0]!.lifetimeS;
    p.run(p.now + 5 * granted * 1000);
    // One grant, then one refresh per 80% of the lifetime, each answered.
    const refreshes = sent(p, 'a', 'UPDATE').filter((u) => param(u, 'REG_REQUEST')).length;
    expect(refreshes).toBeGreaterThanOrEqual(6);
    expect(ev(p, 'a', 'registration-ended')).toEqual([]);
    expect(ev(p, 'b', 'registration-ended')).toEqual([]);
    expect(p.a.registrations(id).held.map((h) => h.regType)).toEqual([RVS]);
    expect(p.b.registrations(p.b.associations()[0]!.id).granted[0]!.expiresAt).toBeGreaterThan(p.now);
  });

  it('RFC 8003 §5 · cancellation with lifetime 0 is granted with lifetime 0 and ends the registration on both sides', () => {
    const { p, id } = established();
    p.a.register(id, [RVS], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    p.a.unregister(id, [RVS], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const cancel = sent(p, 'a', 'UPDATE').map((u) => param(u, 'REG_REQUEST')).filter((r) => r).at(-1)!;
    expect(cancel.lifetime).toBe(0);
    const answer = sent(p, 'b', 'UPDATE').map((u) => param(u, 'REG_RESPONSE')).filter((r) => r).at(-1)!;
    expect(answer).toMatchObject({ lifetime: 0, regTypes: [RVS] });
    expect(ev(p, 'a', 'registration-ended')).toMatchObject([{ as: 'requester', by: 'cancelled', regTypes: [RVS] }]);
    expect(ev(p, 'b', 'registration-ended')).toMatchObject([{ as: 'registrar', by: 'cancelled', regTypes: [RVS] }]);
    expect(p.a.registrations(id).held).toEqual([]);
    // No refresh follows a cancellation.
    const n = sent(p, 'a', 'UPDATE').length;
    p.run(p.now + 3_600_000);
    expect(sent(p, 'a', 'UPDATE').filter((u) => param(u, 'REG_REQUEST')).length).toBe(sent(p, 'a', 'UPDATE').slice(0, n).filter((u) => param(u, 'REG_REQUEST')).length);
  });

  it('RFC 8003 §4.4 · a registration not refreshed expires at the registrar at its granted lifetime', () => {
    const { p } = established({ registrationMinLifetimeS: 10, registrationMaxLifetimeS: 20 });
    // A requester that never refreshes (forged request; A's engine did not ask, so it ignores the answer).
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'SEQ', updateId: 9 }, { kind: 'REG_REQUEST', lifetime: 255, regTypes: [RVS] }], LOC_A, LOC_B));
    const t0 = p.now;
    expect(ev(p, 'b', 'registered')).toHaveLength(1);
    const lifetimeS = ev(p, 'b', 'registered')[0]!.lifetimeS;
    p.run(t0 + lifetimeS * 1000 - 1);
    expect(ev(p, 'b', 'registration-ended')).toEqual([]);
    p.run(t0 + lifetimeS * 1000 + 1);
    expect(ev(p, 'b', 'registration-ended')).toMatchObject([{ as: 'registrar', by: 'expired', regTypes: [RVS] }]);
    expect(p.b.registrations(p.b.associations()[0]!.id).granted).toEqual([]);
    // The requester's engine never asked: the answer created no state there (§4.4 answers only what was asked).
    expect(ev(p, 'a', 'registered')).toEqual([]);
  });

  it('RFC 8003 §6 · a REG_REQUEST is acted on only inside the authenticated association: a bad HIP_MAC is dropped and registers nothing', () => {
    const { p } = established();
    const forged = forgeUpdate(p, 'a', [{ kind: 'SEQ', updateId: 11 }, { kind: 'REG_REQUEST', lifetime: 120, regTypes: [RVS] }], LOC_A, LOC_B);
    // The same UPDATE with the lifetime changed after the HIP_MAC was computed (a valid checksum).
    const pkt = decoded(forged);
    const altered = pkt.params.map((q) => (q.kind === 'REG_REQUEST' ? { ...q, lifetime: 200 } : q)) as unknown as ParamInit[];
    p.inject('b', encodePacket({ kind: 'UPDATE', senderHit: pkt.senderHit, receiverHit: pkt.receiverHit, params: altered }, { src: LOC_A, dst: LOC_B }));
    expect(dropsOf(p, 'b')).toEqual(['bad-mac']);
    expect(ev(p, 'b', 'registered')).toEqual([]);
  });
});

describe('RFC 8003 §3.1 / §4.2 REG_INFO in UPDATE when the offer changes (setRegistrarTypes)', () => {
  function establishedWith(b: Partial<HipConfig>): { p: Pair; id: number } {
    const p = registrarPair(b);
    const id = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED' && p.state('b') === 'ESTABLISHED');
    p.run(p.now + 100);
    return { p, id };
  }

  it('RFC 8003 §3.1 · "If services can be provided later, it SHOULD send UPDATE packets ... in a new REG_INFO": the peer may then register by UPDATE', () => {
    const { p, id } = establishedWith({ registrarTypes: [] });
    // Not a registrar yet: no REG_INFO, so registering is not allowed (§4.3).
    expect(param(sent(p, 'b', 'R1')[0]!, 'REG_INFO')).toBeUndefined();
    expect(() => p.a.register(id, [RVS], p.now)).toThrow(HipStateError);
    const before = sent(p, 'b', 'UPDATE').length;
    p.b.setRegistrarTypes([RVS], p.now);
    p.drain('b');
    p.run(p.now + 1000);
    const announce = sent(p, 'b', 'UPDATE').slice(before);
    // One UPDATE, with REG_INFO and a SEQ of its own (retransmitted until ACKed, RFC 7401 §6.12).
    expect(announce).toHaveLength(1);
    expect(param(announce[0]!, 'REG_INFO')!.regTypes).toEqual([RVS]);
    expect(param(announce[0]!, 'SEQ')).toBeDefined();
    expect(sent(p, 'a', 'UPDATE').some((u) => param(u, 'ACK')?.peerUpdateIds.includes(param(announce[0]!, 'SEQ')!.updateId))).toBe(true);
    // The requester recorded the new offer (§4.3: "latest received UPDATE packet has contained a
    // REG_INFO parameter with the requested registration types") and may now register.
    expect(p.a.registrations(id).offered?.regTypes).toEqual([RVS]);
    p.a.register(id, [RVS], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(ev(p, 'a', 'registered')).toMatchObject([{ as: 'requester', regTypes: [RVS] }]);
    expect(ev(p, 'b', 'registered')).toMatchObject([{ as: 'registrar', regTypes: [RVS] }]);
    // Nothing is retransmitted once ACKed: B sends no more UPDATE with REG_INFO.
    p.run(p.now + 60_000);
    expect(sent(p, 'b', 'UPDATE').filter((u) => param(u, 'REG_INFO'))).toHaveLength(1);
  });

  it('RFC 8003 §3.1 · an association still in its base exchange (R2-SENT) gets the new REG_INFO in an UPDATE once ESTABLISHED', () => {
    const p = registrarPair({ registrarTypes: [] });
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(p.state('b')).toBe('R2_SENT');
    p.b.setRegistrarTypes([RVS], p.now);
    p.drain('b');
    // R2-SENT cannot send an UPDATE (RFC 7401 §4.4.2): nothing yet.
    expect(sent(p, 'b', 'UPDATE')).toEqual([]);
    // The exchange-complete timeout moves B to ESTABLISHED (RFC 7401 §4.4.3); then it announces.
    p.runUntil(() => p.state('b') === 'ESTABLISHED', p.now + 60_000);
    p.run(p.now + 1000);
    const infos = sent(p, 'b', 'UPDATE').map((u) => param(u, 'REG_INFO')).filter((r) => r);
    expect(infos).toHaveLength(1);
    expect(infos[0]!.regTypes).toEqual([RVS]);
    expect(p.a.registrations(p.a.associations()[0]!.id).offered?.regTypes).toEqual([RVS]);
  });

  it('RFC 8003 §3.1 · R1s after the change carry the new REG_INFO (a new base exchange sees it)', () => {
    // One R1 generation for the whole test: the R1 signed before the change must not be reused.
    const { p, id } = establishedWith({ registrarTypes: [], r1RotateMs: 3_600_000 });
    p.b.setRegistrarTypes([RVS], p.now);
    p.drain('b');
    p.run(p.now + 1000);
    p.a.close(id, p.now);
    p.drain('a');
    p.run(p.now + 120_000);
    expect(p.a.associations()).toEqual([]);
    const r1sBefore = sent(p, 'b', 'R1').length;
    connectRegistering(p);
    p.runUntil(() => p.state('a') === 'ESTABLISHED', p.now + 60_000);
    const r1 = sent(p, 'b', 'R1').slice(r1sBefore)[0]!;
    expect(param(r1, 'R1_COUNTER')!.generation).toBe(param(sent(p, 'b', 'R1')[0]!, 'R1_COUNTER')!.generation);
    expect(param(r1, 'REG_INFO')!.regTypes).toEqual([RVS]);
    expect(ev(p, 'a', 'registered').at(-1)).toMatchObject({ as: 'requester', regTypes: [RVS] });
  });

  it('RFC 8003 §3.1 · "unable to provide services due to transient conditions, it SHOULD include an empty REG_INFO": the requester stops refreshing and the registration expires', () => {
    const { p, id } = establishedWith({ registrationMinLifetimeS: 10, registrationMaxLifetimeS: 40 });
    p.a.register(id, [RVS], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const lifetimeS = ev(p, 'a', 'registered')[0]!.lifetimeS;
    const requestsBefore = sent(p, 'a', 'UPDATE').filter((u) => param(u, 'REG_REQUEST')).length;
    p.b.setRegistrarTypes([], p.now);
    p.drain('b');
    p.run(p.now + 1000);
    const empty = sent(p, 'b', 'UPDATE').map((u) => param(u, 'REG_INFO')).filter((r) => r);
    expect(empty).toHaveLength(1);
    expect(empty[0]!.regTypes).toEqual([]);
    expect(p.a.registrations(id).offered?.regTypes).toEqual([]);
    // §4.3: the requester MUST NOT request a type the latest REG_INFO did not list: no refresh.
    p.run(p.now + 2 * lifetimeS * 1000);
    expect(sent(p, 'a', 'UPDATE').filter((u) => param(u, 'REG_REQUEST')).length).toBe(requestsBefore);
    expect(ev(p, 'a', 'registration-ended')).toMatchObject([{ as: 'requester', by: 'expired', regTypes: [RVS] }]);
    expect(ev(p, 'b', 'registration-ended')).toMatchObject([{ as: 'registrar', by: 'expired', regTypes: [RVS] }]);
    expect(() => p.a.register(id, [RVS], p.now)).toThrow(HipStateError);
  });

  it('RFC 8003 §7 · setRegistrarTypes takes only rows of the registration type table (caller misuse throws, nothing is sent)', () => {
    const { p } = establishedWith({});
    const before = sent(p, 'b', 'UPDATE').length;
    expect(() => p.b.setRegistrarTypes([3], p.now)).toThrow(RangeError);
    expect(() => p.b.setRegistrarTypes([256], p.now)).toThrow(RangeError);
    p.drain('b');
    p.run(p.now + 1000);
    expect(sent(p, 'b', 'UPDATE').length).toBe(before);
  });
});

describe('RFC 8003 §6 registrations end with their association', () => {
  it('RFC 8003 §6 · closing the association ends its registrations on both sides with registration-ended "closed"', () => {
    const p = registrarPair();
    const id = connectRegistering(p);
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    p.run(p.now + 100);
    expect(ev(p, 'a', 'registered')).toHaveLength(1);
    p.a.close(id, p.now);
    p.drain('a');
    p.run(p.now + 2000);
    // CLOSING at A, CLOSED at B: the registrations end there, not when the state is discarded.
    expect(p.state('a')).toBeUndefined();
    expect(p.state('b')).toBe('CLOSED');
    expect(ev(p, 'a', 'registration-ended')).toMatchObject([{ assoc: id, as: 'requester', by: 'closed', regTypes: [RVS] }]);
    expect(ev(p, 'b', 'registration-ended')).toMatchObject([{ as: 'registrar', by: 'closed', regTypes: [RVS] }]);
    // Each ends once: no later expiry is reported for a registration that already ended.
    p.run(p.now + 3_600_000);
    expect(ev(p, 'a', 'registration-ended')).toHaveLength(1);
    expect(ev(p, 'b', 'registration-ended')).toHaveLength(1);
  });

  it('RFC 8003 §6 · an association with no registration emits no registration-ended when it closes', () => {
    const p = new Pair();
    const id = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    p.a.close(id, p.now);
    p.drain('a');
    p.run(p.now + 120_000);
    expect(p.a.associations()).toEqual([]);
    expect(ev(p, 'a', 'registration-ended')).toEqual([]);
    expect(ev(p, 'b', 'registration-ended')).toEqual([]);
  });
});
