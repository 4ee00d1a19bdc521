// Mobility that holds over time and under a hostile peer (RFC 8046 §4, §4.3, §5.1, §5.3, §6.2;
// RFC 8047 §5.1, §5.2): announced lifetimes refreshed before they run out, a peer locator table
// bounded per peer, the HOST_ID of an UPDATE checked, the MUST rules of LOCATOR_SET contents
// holding after any announce hook, type 1 locators naming an unknown SPI reported, and ESP_INFO
// case 4 on the last SA pair. Hostile peers are played by re-signing A's own UPDATEs
// (mobility-helpers `resignUpdate`): a peer holding its keys can send any of this.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { DEFAULT_POLICY, type EnginePolicy } from '../../src/engine/policy.js';
import { HipStateError } from '../../src/engine/errors.js';
import { on, type SimHost } from '../../src/testing/index.js';
import type { ParamInit, ParamOf } from '../../src/wire/types.js';
import { establish } from './sim-helpers.js';
import { A1, A2, A3, B1, B2, L, drops, hipMsgs, host, mesh, mhSim, ping, resignUpdate, states } from './mobility-helpers.js';

const hasLocatorSet = { kind: 'UPDATE' as const, from: 'A', where: (_x: Uint8Array, c: { packet?: { params: readonly { kind: string }[] } }) => c.packet?.params.some((p) => p.kind === 'LOCATOR_SET') === true };

function pair(seed: number, spec: { configA?: Parameters<typeof host>[2]['config']; configB?: Parameters<typeof host>[2]['config']; policyA?: Partial<EnginePolicy> } = {}) {
  const sim = mhSim(seed);
  const a = host(sim, 'A', { locators: [A1], ...(spec.configA ? { config: spec.configA } : {}), ...(spec.policyA ? { policy: spec.policyA } : {}) });
  const b = host(sim, 'B', { locators: [B1], ...(spec.configB ? { config: spec.configB } : {}) });
  mesh(sim, [A1, A2, A3], [B1]);
  return { sim, a, b };
}

/** Rewrites every UPDATE of A that carries a LOCATOR_SET (the first `times` only, if given). */
function rewriteLocatorUpdates(sim: ReturnType<typeof mhSim>, a: SimHost, b: SimHost, edit: (ps: ParamInit[]) => ParamInit[], times?: number): void {
  sim.intercept(on(hasLocatorSet, (_bytes, ctx) => ({ replace: resignUpdate(a, b, ctx.packet!, ctx, edit) }), times === undefined ? {} : { times }));
}

describe('RFC 8046 §5.1 · announced lifetimes are tracked and refreshed', () => {
  it('RFC 8046 §5.1: with a 60 s lifetime over 3 h of virtual time, A re-announces at half of it and B never sees an unchanged address DEPRECATED', () => {
    const { sim, a, b } = pair(1101, { configA: { locatorLifetimeS: 60 } });
    establish(sim, a, b);
    const t0 = sim.trace.length;
    const tStart = sim.now;
    a.setLocators([A1, A2]);
    sim.run(200);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
    const hours = 3;
    let worst = Infinity;
    for (let m = 0; m < hours * 60; m++) {
      sim.run(60_000);
      // How much lifetime B has left for A's addresses, at each minute.
      for (const e of b.locatorTable(a)) worst = Math.min(worst, e.expiresAt - sim.now);
      expect(Object.values(states(b, a)).every((s) => s === 'ACTIVE')).toBe(true);
    }
    const deprecated = sim.trace.records.slice(t0).filter((r) => r.host === 'B' && r.dir === 'locator' && r.fields?.['state'] === 'DEPRECATED');
    expect(deprecated).toEqual([]);
    // Refreshes every 30 s (half of 60 s): about 2 per minute, no more.
    const refreshes = hipMsgs(sim, t0).filter((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'));
    const elapsedMin = (sim.now - tStart) / 60_000;
    expect(refreshes.length).toBeGreaterThanOrEqual(Math.floor(2 * elapsedMin) - 1);
    expect(refreshes.length).toBeLessThanOrEqual(Math.ceil(2 * elapsedMin) + 1);
    // B always had at least the other half of the lifetime in hand.
    expect(worst).toBeGreaterThanOrEqual(29_000);
    expect(b.established(a) && a.established(b)).toBe(true);
  });

  it('RFC 8046 §4, §5.1: the default lifetime is finite (3600 s) and re-announced after 30 min', () => {
    // An idle association would close after UAL (RFC 7401 §4.4.3, 15 min by default) first.
    const ual = { ualMs: 3 * 3600_000 };
    const { sim, a, b } = pair(1102, { configA: ual, configB: ual });
    establish(sim, a, b);
    expect(a.engine.config.locatorLifetimeS).toBe(3600);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(200);
    const first = b.locatorTable(a).map((e) => e.expiresAt);
    sim.run(30 * 60_000);
    const sets = hipMsgs(sim, t0).filter((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'));
    expect(sets).toHaveLength(2);
    expect(sets[1]!.t - sets[0]!.t).toBe(30 * 60_000);
    expect(b.locatorTable(a).map((e) => e.expiresAt - 30 * 60_000)).toEqual(first);
  });
});

describe('RFC 8046 §6.2.2 · the peer locator table is bounded per peer', () => {
  it('RFC 8046 §6.2.2: 40 UPDATEs with a fresh set of 10 addresses each never grow the table past maxPeerLocators; DEPRECATED entries age out', () => {
    const { sim, a, b } = pair(1103, { configB: { maxPeerLocators: 16, deprecatedLocatorMs: 60_000 } });
    establish(sim, a, b);
    let largest = 0;
    for (let round = 0; round < 40; round++) {
      const fresh = Array.from({ length: 9 }, (_, i) => `2001:db8:${(0x100 + round).toString(16)}:${i}::a`);
      a.setLocators([A1, ...fresh]);
      for (let ms = 0; ms < 2000; ms += 100) {
        sim.run(100);
        largest = Math.max(largest, b.locatorTable(a).length);
      }
    }
    expect(largest).toBeLessThanOrEqual(16);
    expect(largest).toBe(16);
    expect(b.established(a)).toBe(true);
    // Quiet for longer than deprecatedLocatorMs: only what the last set named is left.
    sim.run(120_000);
    const left = b.locatorTable(a);
    expect(left.every((e) => e.state !== 'DEPRECATED' || sim.now - 60_000 < e.expiresAt)).toBe(true);
    expect(left.filter((e) => e.state === 'DEPRECATED').length).toBeLessThanOrEqual(9);
    expect(left.some((e) => formatLocator(e.locator) === A1)).toBe(true);
    expect(left.length).toBeLessThanOrEqual(10);
  });
});

describe('RFC 8046 §6.2.2 · DEPRECATED entries age out', () => {
  it('RFC 8046 §6.2.2: an address whose check failed is DEPRECATED, then leaves the table deprecatedLocatorMs later', () => {
    const sim = mhSim(1116);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1], config: { deprecatedLocatorMs: 30_000 } });
    // No link to A3: B's checks of it never arrive.
    mesh(sim, [A1, A2], [B1]);
    establish(sim, a, b);
    a.setLocators([A1, A3]);
    sim.run(8000);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A3]: 'DEPRECATED' });
    const dep = sim.trace.records.find((r) => r.host === 'B' && r.dir === 'locator' && r.fields?.['state'] === 'DEPRECATED')!;
    sim.run(30_000);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE' });
    const removed = sim.trace.records.filter((r) => r.host === 'B' && r.dir === 'locator' && r.kind === 'remove');
    expect(removed.map((r) => r.t)).toEqual([dep.t + 30_000]);
  });
});

describe('RFC 8046 §4.3 · the HOST_ID of an UPDATE is checked', () => {
  it('RFC 8046 §4.3: an UPDATE whose HOST_ID differs from the association\'s is dropped (host-id-mismatch), no locator applied; the right HOST_ID is accepted', () => {
    const { sim, a, b } = pair(1104);
    let hostId: ParamOf<'HOST_ID'> | undefined;
    sim.intercept(on({ kind: 'I2', from: 'A' }, (_x, ctx) => {
      hostId ??= ctx.packet?.params.find((p) => p.kind === 'HOST_ID') as ParamOf<'HOST_ID'> | undefined;
      return 'pass';
    }));
    establish(sim, a, b);
    expect(hostId).toBeDefined();
    const other = { ...hostId!, hostIdentity: Uint8Array.from(hostId!.hostIdentity, (x, i) => (i === hostId!.hostIdentity.length - 1 ? x ^ 1 : x)) };
    const strip = ({ span: _s, ...rest }: ParamOf<'HOST_ID'> & { span?: unknown }): ParamInit => rest as ParamInit;
    rewriteLocatorUpdates(sim, a, b, (ps) => [...ps, strip(other)], 1);
    a.setLocators([A1, A2]);
    sim.run(300);
    expect(drops(b, 'host-id-mismatch')).toBeGreaterThanOrEqual(1);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE' });
    // A's retransmission carries the association's own HOST_ID: accepted.
    rewriteLocatorUpdates(sim, a, b, (ps) => [...ps, strip(hostId!)]);
    sim.run(3000);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
  });
});

describe('RFC 8047 §5.1 · MUST rules hold after any announce hook', () => {
  it('RFC 8047 §5.1: a hook returning multicast, broadcast, link-local (peer not on-link) and foreign addresses gets only our legal addresses into the LOCATOR_SET', () => {
    const bad: Partial<EnginePolicy> = {
      announce: ({ locators }) => [
        { locator: L('ff02::1'), preferred: true },
        { locator: L('255.255.255.255'), preferred: false },
        { locator: L('fe80::a'), preferred: false },
        { locator: L('2001:db8:77::7'), preferred: false },
        ...locators.map((l) => ({ locator: l.address, preferred: false })),
      ],
    };
    const { sim, a, b } = pair(1105, { policyA: bad });
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2, 'fe80::a']);
    sim.run(300);
    const u = hipMsgs(sim, t0).find((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'))!;
    const listed = (u.fields['locs'] as { loc?: Uint8Array; addr?: string }[]).map((l) => JSON.stringify(l));
    expect(listed.join(' ')).not.toMatch(/ff02|255\.255|fe80|db8:77/);
    expect(Object.keys(states(b, a)).sort()).toEqual([A1, A2].sort());
  });
});

describe('RFC 8047 §5.2 · a type 1 locator naming an SPI the receiver does not know', () => {
  it('RFC 8047 §5.2: is a reported drop of that locator (unknown-spi, in stats and events); the rest of the UPDATE is applied and ACKed', () => {
    const { sim, a, b } = pair(1106);
    establish(sim, a, b);
    rewriteLocatorUpdates(sim, a, b, (ps) =>
      ps.map((p): ParamInit =>
        p.kind === 'LOCATOR_SET' ? { ...p, locators: [...p.locators, { trafficType: 0, locatorType: 1, preferred: false, lifetime: 600, spi: 0x0badcafe, address: L(A3) }] } : p,
      ),
    );
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(500);
    const ev = b.eventsOf('dropped').filter((e) => e.reason === 'unknown-spi');
    expect(ev).toHaveLength(1);
    expect(ev[0]!.detail).toMatch(new RegExp(`SPI ${0x0badcafe}`));
    expect(b.engine.stats().drops['unknown-spi']).toBe(1);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
    // ACKed: A got its ACK and did not retransmit.
    const fromA = hipMsgs(sim, t0).filter((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'));
    expect(fromA).toHaveLength(1);
    expect(hipMsgs(sim, t0).some((m) => m.from === 'B' && m.params.includes('ACK'))).toBe(true);
  });
});

describe('RFC 8047 §5.2 case 4 · ESP_INFO deprecating the last SA pair', () => {
  it('RFC 8046 §5.3 case 4: "all locators uniquely bound to the SPI are put into the DEPRECATED state", also for the last pair; traffic leaves them for an address not bound to it', () => {
    const { sim, a, b } = pair(1107, { configA: { locatorLifetimeS: 600 } });
    establish(sim, a, b);
    const spi = a.association(b)!.sas[0]!.localSpi;
    // A announces A2 as a type 0 locator bound to no SA in particular: B's policy binds it to
    // "any" when the ESP_INFO is absent, so the UPDATE carries no ESP_INFO.
    rewriteLocatorUpdates(sim, a, b, (ps) => ps.filter((p) => p.kind !== 'ESP_INFO'), 1);
    a.setLocators([A1, A2]);
    sim.run(500);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
    // Now A deprecates its (only) inbound SA: ESP_INFO OLD = spi, NEW = 0.
    rewriteLocatorUpdates(sim, a, b, (ps) => ps.map((p): ParamInit => (p.kind === 'ESP_INFO' ? { ...p, oldSpi: spi, newSpi: 0 } : p)).filter((p) => p.kind !== 'LOCATOR_SET'), 1);
    a.setLocators([A2, A1]);
    sim.run(500);
    expect(states(b, a)[A1]).toBe('DEPRECATED');
    expect(states(b, a)[A2]).toBe('ACTIVE');
    // The pair itself stays (CLOSE ends an association), and B no longer sends to A1.
    expect(b.association(a)!.sas).toHaveLength(1);
    expect(Object.keys(ping(sim, a, b).ba)).toEqual([`${B1}>${A2}`]);
  });
});

describe('RFC 8046 §6.4 · the privacy filter holds on the wire', () => {
  const PRIV = '2001:db8:bad::a';
  const PRIV_B = '2001:db8:bad::b';
  /** Every HIP or ESP packet `host` sent, as its source address. */
  const sources = (sim: ReturnType<typeof mhSim>, name: string): Set<string> =>
    new Set(sim.trace.records.filter((r) => r.host === name && r.dir === 'send').map((r) => formatLocator((r.fields!['src'] as { loc: Uint8Array }).loc)));

  it('RFC 8046 §6.4: an address in neverAnnounce is never the source of HIP or ESP to the peer: base exchange, data, a move, address checks (both as Initiator and as Responder)', () => {
    const sim = mhSim(1108);
    const cfgA = { neverAnnounce: ['2001:db8:bad::a/128'] };
    const cfgB = { neverAnnounce: ['2001:db8:bad::b/128'] };
    // The filtered address comes first in each host's list: without the filter it is the source
    // the engine would pick.
    const a = host(sim, 'A', { locators: [PRIV, A1], config: cfgA });
    const b = host(sim, 'B', { locators: [PRIV_B, B1], config: cfgB });
    mesh(sim, [PRIV, A1, A2, A3], [PRIV_B, B1]);
    // A contacts B at its filtered address (learned out of band): B answers from B1.
    sim.at(0, () => a.connect({ hit: b.hit, locators: [PRIV_B] }));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(0));
    sim.runUntil(() => b.established(a), { maxTimeMs: 10_000 });
    ping(sim, a, b);
    // A moves, announces a second address (checked by B), and B checks them.
    a.moveLocator(A1, A2);
    sim.run(500);
    a.setLocators([PRIV, A2, A3]);
    sim.run(2000);
    ping(sim, a, b);
    expect(states(b, a)[A3]).toBe('ACTIVE');
    expect([...sources(sim, 'A')]).not.toContain(PRIV);
    expect([...sources(sim, 'B')]).not.toContain(PRIV_B);
    expect(sources(sim, 'A').size).toBeGreaterThan(1);
    // Nor is it announced.
    expect(Object.keys(states(b, a))).not.toContain(PRIV);
    expect(b.established(a) && a.established(b)).toBe(true);
  });

  it('RFC 8046 §6.4: addSaPair on an address in neverAnnounce is refused (ERR_NO_LOCATOR) and changes nothing: its ESP would expose it', () => {
    const sim = mhSim(1118);
    const a = host(sim, 'A', { locators: [A1, PRIV], config: { neverAnnounce: ['2001:db8:bad::a/128'] } });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [PRIV, A1], [B1]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    const before = a.association(b)!.sas.length;
    let thrown: unknown;
    try {
      a.addSaPair(b, { local: PRIV });
    } catch (e) {
      thrown = e;
    }
    expect(thrown).toBeInstanceOf(HipStateError);
    expect((thrown as HipStateError).code).toBe('ERR_NO_LOCATOR');
    expect((thrown as Error).message).toContain('paths.local');
    sim.run(2000);
    expect(a.association(b)!.sas.length).toBe(before);
    expect([...sources(sim, 'A')]).not.toContain(PRIV);
    expect(hipMsgs(sim, t0).filter((m) => m.from === 'A' && m.params.includes('ESP_INFO'))).toEqual([]);
  });
});

describe('RFC 8047 §4.2.3 · local path failures are inputs', () => {
  it('RFC 8047 §4.2.3: a path-error input (send error from A1 to B1) moves A\'s traffic to A2 and announces A2 as preferred; B follows; no new base exchange', () => {
    const sim = mhSim(1109);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    const l1 = sim.link(A1, B1, { latencyMs: 10 });
    sim.link(A2, B1, { latencyMs: 10 });
    establish(sim, a, b);
    a.setLocators([A1, A2]);
    sim.run(500);
    expect(states(b, a)).toEqual({ [A1]: 'ACTIVE', [A2]: 'ACTIVE' });
    expect(Object.keys(ping(sim, a, b).ab)).toEqual([`${A1}>${B1}`]);
    // A1's uplink goes down; A's driver sees the send error on its SA and reports it.
    l1.forward.setUp(false);
    l1.reverse.setUp(false);
    const spi = a.association(b)!.sas[0]!.peerSpi;
    const t0 = sim.trace.length;
    a.engine.handle({ kind: 'path-error', spi, src: L(A1), dst: L(B1), cause: 'send-error' }, sim.now);
    sim.drainHost(a);
    sim.run(300);
    // The UPDATE leaves from A2 with A2 preferred (RFC 8047 §4.2.3: the locator on which the host
    // prefers to receive traffic), and B ACKs it.
    const u = hipMsgs(sim, t0).find((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'))!;
    expect(u.src).toBe(A2);
    expect(b.locatorTable(a).find((e) => formatLocator(e.locator) === A2)!.preferred).toBe(true);
    expect(b.locatorTable(a).find((e) => formatLocator(e.locator) === A1)!.preferred).toBe(false);
    // Data both ways now uses A2, and nothing was lost to a new base exchange.
    const flow = ping(sim, a, b);
    expect(flow.ab).toEqual({ [`${A2}>${B1}`]: 3 });
    expect(flow.ba).toEqual({ [`${B1}>${A2}`]: 3 });
    expect(hipMsgs(sim, t0).filter((m) => m.kind === 'I1')).toEqual([]);
  });

  it('RFC 8047 §4.2.3: with no other local locator of the family, a path-error makes the peer address suspect instead: traffic moves to another ACTIVE peer address', () => {
    const sim = mhSim(1110);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    const l1 = sim.link(B1, A1, { latencyMs: 10 });
    sim.link(B1, A2, { latencyMs: 10 });
    establish(sim, a, b);
    a.setLocators([A1, A2]);
    sim.run(500);
    l1.forward.setUp(false);
    const spi = b.association(a)!.sas[0]!.peerSpi;
    b.engine.handle({ kind: 'path-error', spi, src: L(B1), dst: L(A1), cause: 'unreachable' }, sim.now);
    sim.drainHost(b);
    sim.run(300);
    expect(states(b, a)[A1]).toBe('UNVERIFIED');
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it('path-error for an SPI of no association is a reported drop (unknown-spi); a bad cause is caller misuse', () => {
    const sim = mhSim(1111);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    sim.link(A1, B1, { latencyMs: 10 });
    establish(sim, a, b);
    a.engine.handle({ kind: 'path-error', spi: 0x7777, src: L(A1), dst: L(B1), cause: 'send-error' }, sim.now);
    expect(a.engine.stats().drops['unknown-spi']).toBe(1);
    expect(() => a.engine.handle({ kind: 'path-error', spi: 1, src: L(A1), dst: L(B1), cause: 'bad' as never }, sim.now)).toThrow(/input\.cause/);
  });
});

describe('RFC 8046 §4.1 · Traffic Type and the scope of the P bit', () => {
  it('RFC 8046 §4.1: A announces a data-only (2) and a signalling-only (1) locator, each preferred for its type; B sends ESP only to the data one and HIP control only to the signalling one', () => {
    const { sim, a, b } = pair(1112);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([A1, { address: A2, trafficType: 2, preferred: true }, { address: A3, trafficType: 1, preferred: true }]);
    sim.run(1000);
    // On the wire: each locator with its Traffic Type and a P bit per type (RFC 8046 §4.1: "The
    // P bit, when set, has scope over the corresponding Traffic Type").
    // B's table holds what it decoded from A's LOCATOR_SET.
    expect(hipMsgs(sim, t0).some((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'))).toBe(true);
    const byAddr = Object.fromEntries(b.locatorTable(a).map((e) => [formatLocator(e.locator), [e.trafficType, e.preferred, e.state]]));
    expect(byAddr).toEqual({ [A1]: [0, true, 'ACTIVE'], [A2]: [2, true, 'ACTIVE'], [A3]: [1, true, 'ACTIVE'] });
    const t1 = sim.trace.length;
    // Data: only to A2 (preferred for data, "the more specific Traffic Type rule applies").
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A2}`]: 3 });
    // HIP control: a rekey from B goes to A3 (preferred for signalling), never to A2.
    b.rekey(a);
    sim.run(1000);
    const control = hipMsgs(sim, t1).filter((m) => m.from === 'B');
    expect(control.length).toBeGreaterThan(0);
    expect(new Set(control.map((m) => m.dst))).toEqual(new Set([A3]));
    const esp = sim.trace.records.slice(t1).filter((r) => r.host === 'B' && r.dir === 'send' && r.kind === 'ESP').map((r) => formatLocator((r.fields!['dst'] as { loc: Uint8Array }).loc));
    expect(new Set(esp)).toEqual(new Set([A2]));
  });

  it('RFC 8046 §4.1: with no P bit at all, B sends HIP control only to the signalling-only A3 and ESP only to the data-only A2', () => {
    // "If no locators are indicated as preferred for a given Traffic Type, the implementation may
    // use an arbitrary destination locator from the set of active locators": the set of that
    // Traffic Type. A2 comes first in B's table, so a choice blind to Traffic Type takes it.
    const noP: Partial<EnginePolicy> = { announce: (ctx) => DEFAULT_POLICY.announce(ctx).map((x) => ({ ...x, preferred: false })) };
    const { sim, a, b } = pair(1118, { policyA: noP });
    establish(sim, a, b);
    a.setLocators([A1, { address: A2, trafficType: 2 }, { address: A3, trafficType: 1 }]);
    sim.run(2000);
    // A1 goes away: B's control path must move, and the first ACTIVE address of its table is A2.
    a.setLocators([{ address: A2, trafficType: 2 }, { address: A3, trafficType: 1 }]);
    sim.run(2000);
    expect(b.locatorTable(a).filter((e) => e.preferred)).toEqual([]);
    // After the checks (which go to each address, RFC 8046 §5.4), control traffic from B.
    const t1 = sim.trace.length;
    b.rekey(a);
    sim.run(1000);
    const flow = ping(sim, a, b);
    const control = hipMsgs(sim, t1).filter((m) => m.from === 'B');
    expect(control.length).toBeGreaterThan(0);
    expect(new Set(control.map((m) => m.dst))).toEqual(new Set([A3]));
    expect(flow.ba).toEqual({ [`${B1}>${A2}`]: 3 });
  });

  it('RFC 8046 §4.1: a signalling-only locator never carries ESP, even when it is the only preferred one', () => {
    const { sim, a, b } = pair(1113);
    establish(sim, a, b);
    a.setLocators([{ address: A1, preferred: false }, { address: A3, trafficType: 1, preferred: true }]);
    sim.run(1000);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A1}`]: 3 });
  });
});

describe('RFC 8046 §4.1 · our own Traffic Types choose our source addresses', () => {
  /** Source addresses of what `name` sent from trace record `from` on: ESP and HIP apart. */
  const sent = (sim: ReturnType<typeof mhSim>, name: string, from: number) => {
    const recs = sim.trace.records.slice(from).filter((r) => r.host === name && r.dir === 'send');
    const src = (r: (typeof recs)[number]): string => formatLocator((r.fields!['src'] as { loc: Uint8Array }).loc);
    return { esp: new Set(recs.filter((r) => r.kind === 'ESP').map(src)), hip: new Set(recs.filter((r) => r.kind !== 'ESP').map(src)) };
  };

  // RFC 8046 §4.1: "1: Signaling packets only. 2: Data packets only." What a host announces
  // binds its own sending too: a signalling-only locator is never the source of ESP, a data-only
  // one never the source of a HIP control packet. The signalling-only address is listed first,
  // so a choice blind to Traffic Type would send ESP from it, and then (as the first of the
  // family) HIP from it after the data-only one.
  it('RFC 8046 §4.1: after A moves to a signalling-only A3 and a data-only A2, A sends HIP only from A3 and ESP only from A2 (updates, checks, rekey, data)', () => {
    const { sim, a, b } = pair(1114);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([{ address: A3, trafficType: 1 }, { address: A2, trafficType: 2 }]);
    sim.run(2000);
    const paths = ping(sim, a, b);
    a.rekey(b);
    sim.run(1000);
    ping(sim, a, b);
    const out = sent(sim, 'A', t0);
    expect(out.hip.size).toBeGreaterThan(0);
    expect(out.esp.size).toBeGreaterThan(0);
    expect([...out.hip]).toEqual([A3]);
    expect([...out.esp]).toEqual([A2]);
    // B verified both (RFC 8046 §5.4: the peer "received and replied to the nonce at the new
    // address"; the reply to the check of A2 leaves from A3), and data flows both ways, B
    // sending ESP to the data-only address.
    expect(states(b, a)).toMatchObject({ [A2]: 'ACTIVE', [A3]: 'ACTIVE' });
    expect(paths.ab).toEqual({ [`${A2}>${B1}`]: 3 });
    expect(paths.ba).toEqual({ [`${B1}>${A2}`]: 3 });
    expect(a.established(b) && b.established(a)).toBe(true);
  });

  it('RFC 8046 §4.1: in the base exchange, A (listing a signalling-only A3 first and a data-only A2) sends I1 and I2 from A3 and its ESP from A2', () => {
    const sim = mhSim(1115);
    const a = host(sim, 'A', { locators: [A3, A2] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2, A3], [B1]);
    a.setLocators([{ address: A3, trafficType: 1 }, { address: A2, trafficType: 2 }], { announce: false });
    establish(sim, a, b);
    ping(sim, a, b);
    const out = sent(sim, 'A', 0);
    expect([...out.hip]).toEqual([A3]);
    expect([...out.esp]).toEqual([A2]);
    expect(a.established(b) && b.established(a)).toBe(true);
  });

  it('RFC 8046 §4.1, RFC 8047 §4.2.4: an extra SA pair on a data-only A2 has its outbound SA on A2 and its UPDATEs from elsewhere; one on a signalling-only A3 is refused', () => {
    const { sim, a, b } = pair(1117);
    establish(sim, a, b);
    a.setLocators([A1, { address: A2, trafficType: 2 }, { address: A3, trafficType: 1 }]);
    sim.run(2000);
    const t0 = sim.trace.length;
    expect(() => a.addSaPair(b, { local: A3 })).toThrow(/signalling only/);
    a.addSaPair(b, { local: A2 });
    sim.run(2000);
    expect(a.association(b)!.sas.length).toBe(2);
    ping(sim, a, b);
    const out = sent(sim, 'A', t0);
    expect(out.hip.size).toBeGreaterThan(0);
    expect([...out.hip]).not.toContain(A2);
    // The new pair's outbound SA leaves from A2 (which of the pairs the data plane uses is its
    // own policy).
    const outbound = a.sas.filter((x) => x.direction === 'out').map((x) => formatLocator(x.src));
    expect(outbound).toContain(A2);
    expect(outbound).not.toContain(A3);
    expect([...out.esp]).not.toContain(A3);
  });

  it('RFC 8046 §4.1: as Responder contacted at its data-only B2, B answers R1 and R2 from its signalling-only B1 and sends ESP from B2', () => {
    const sim = mhSim(1116);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B2, B1] });
    mesh(sim, [A1], [B1, B2]);
    b.setLocators([{ address: B2, trafficType: 2 }, { address: B1, trafficType: 1 }], { announce: false });
    // A learned B2 out of band.
    sim.at(0, () => a.connect({ hit: b.hit, locators: [B2] }));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(0));
    sim.runUntil(() => b.established(a), { maxTimeMs: 10_000 });
    ping(sim, a, b);
    const out = sent(sim, 'B', 0);
    expect(out.hip.size).toBeGreaterThan(0);
    expect([...out.hip]).toEqual([B1]);
    expect([...out.esp]).toEqual([B2]);
  });
});

describe('RFC 8047 §5.2 case 4 · an SA pair whose interface went away is deprecated, not kept', () => {
  it('RFC 8047 §5.2 case 4, §4.3: interface a1 goes away: UPDATE(ESP_INFO NEW SPI 0) retires its pair on both sides; when a1 comes back with a new address it gets one pair again, so pairs never pile up', () => {
    const sim = mhSim(1114);
    const a = host(sim, 'A', { locators: [{ address: A1, interface: 'a0' }] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2, A3], [B1]);
    establish(sim, a, b);
    a.setLocators([{ address: A1, interface: 'a0' }, { address: A2, interface: 'a1' }]);
    sim.run(2000);
    expect(a.association(b)!.sas).toHaveLength(2);
    const extra = a.association(b)!.sas[1]!;
    const t0 = sim.trace.length;
    a.setLocators([{ address: A1, interface: 'a0' }]);
    sim.run(2000);
    const retire = hipMsgs(sim, t0).find((m) => m.from === 'A' && m.fields['esp'] === `0x${extra.localSpi.toString(16).padStart(8, '0')}>0x00000000`);
    expect(retire).toBeDefined();
    expect(a.association(b)!.sas).toHaveLength(1);
    expect(b.association(a)!.sas).toHaveLength(1);
    for (let round = 0; round < 3; round++) {
      a.setLocators([{ address: A1, interface: 'a0' }, { address: round % 2 === 0 ? A3 : A2, interface: 'a1' }]);
      sim.run(2000);
      expect(a.association(b)!.sas).toHaveLength(2);
      a.setLocators([{ address: A1, interface: 'a0' }]);
      sim.run(2000);
      expect(a.association(b)!.sas).toHaveLength(1);
    }
    expect(b.association(a)!.sas).toHaveLength(1);
    expect(a.eventsOf('failed')).toEqual([]);
  });
});

describe('RFC 8047 §4.2.3 · retransmissions leave an address that stopped answering', () => {
  it('RFC 8047 §4.2.3: B\'s preferred address B2 silently goes away; A\'s UPDATE to it is retransmitted to B1 after two unanswered tries, ACKed, and the association lives', () => {
    const sim = mhSim(1115);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    const B2 = '2001:db8:2::b';
    sim.link(A1, B1, { latencyMs: 10 });
    sim.link(A2, B1, { latencyMs: 10 });
    const l2 = sim.link(A1, B2, { latencyMs: 10 });
    establish(sim, a, b);
    b.setLocators([B1, { address: B2, preferred: true }]);
    sim.run(2000);
    expect(states(a, b)).toEqual({ [B1]: 'ACTIVE', [B2]: 'ACTIVE' });
    l2.forward.setUp(false);
    l2.reverse.setUp(false);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(20_000);
    const tries = hipMsgs(sim, t0).filter((m) => m.from === 'A' && m.params.includes('LOCATOR_SET'));
    expect(tries.slice(0, 2).map((m) => m.dst)).toEqual([B2, B2]);
    expect(tries[2]!.dst).toBe(B1);
    expect(hipMsgs(sim, t0).some((m) => m.from === 'B' && m.params.includes('ACK') && m.dst === A1)).toBe(true);
    expect(a.eventsOf('failed')).toEqual([]);
    expect(states(b, a)[A2]).toBe('ACTIVE');
  });
});
