// RFC 8047 (Host Multihoming with HIP): fault tolerance, load balancing with several SA pairs,
// dual-host multihoming, the sending rules of §5.1 and the preferred-locator changes of §5.4.
import { describe, expect, it } from 'vitest';
import { LOC_A, LOC_B, Pair } from './pair.js';
import { expectSasCrossed } from './helpers.js';
import { formatLocator, parseLocator } from '../../src/addr/locator.js';
import type { HipPacket } from '../../src/wire/types.js';

const A2 = parseLocator('2001:db8:2::a');
const A4 = parseLocator('192.0.2.10');
const B4 = parseLocator('198.51.100.20');

function established(opts: ConstructorParameters<typeof Pair>[0] = {}) {
  const p = new Pair(opts);
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000);
  return { p, idA, idB: p.b.associations()[0]!.id };
}

const names = (pkt: HipPacket): string => pkt.params.map((x) => x.kind).filter((k) => k !== 'HIP_MAC' && k !== 'HIP_SIGNATURE').join(',');
const flow = (p: Pair, from = 0): string[] => p.log.slice(from).filter((l) => l.kind === 'UPDATE').map((l) => `${l.from}: ${names(l.packet)}`);
const states = (p: Pair, side: 'a' | 'b', id: number): Record<string, string> =>
  Object.fromEntries(p.engine(side).peerLocators(id).map((l) => [formatLocator(l.locator), l.state]));
const lastLocatorSet = (p: Pair, side: 'a' | 'b') =>
  p.log.filter((l) => l.from === side).flatMap((l) => l.packet.params.filter((x) => x.kind === 'LOCATOR_SET')).at(-1);

describe('RFC 8047 §4.2.3 Figure 1: fault tolerance with one SA and several addresses', () => {
  it('announcing a second address: existing one as type 1 with its SPI, the new one as type 0; the peer checks it', () => {
    const { p, idA, idB } = established();
    const start = p.log.length;
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    // RFC 8047 Figure 1: UPDATE(LOCATOR_SET, SEQ) / UPDATE(ACK) back to the sender; the new
    // address is then checked on its own.
    expect(flow(p, start)).toEqual(['a: ESP_INFO,LOCATOR_SET,SEQ', 'b: ACK', 'b: ESP_INFO,SEQ,ECHO_REQUEST_SIGNED', 'a: ACK,ECHO_RESPONSE_SIGNED']);
    const ls = lastLocatorSet(p, 'a');
    const spi = p.a.association(idA)!.sas[0]!.localSpi;
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators.map((l) => [l.locatorType, formatLocator((l as { address: Uint8Array }).address), 'spi' in l ? l.spi : null])).toEqual([
      [1, '2001:db8::a', spi],
      [0, '2001:db8:2::a', null],
    ]);
    expect(states(p, 'b', idB)).toEqual({ '2001:db8::a': 'ACTIVE', '2001:db8:2::a': 'ACTIVE' });
    // The preferred address keeps carrying the traffic.
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('2001:db8::a');
  });

  it('when the preferred path fails, traffic moves to the other verified address without a new base exchange', () => {
    const { p, idB } = established();
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const bexBefore = p.log.filter((l) => l.kind === 'I1').length;
    // The path to 2001:db8::a dies; the caller (or its data plane) tells B.
    p.filter = (x) => (formatLocator(x.dst) === '2001:db8::a' || formatLocator(x.src) === '2001:db8::a' ? 'drop' : 'pass');
    p.b.pathFailed(idB, LOC_A, p.now);
    p.drain('b');
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('2001:db8:2::a');
    expect(out.creditLimited).toBeUndefined();
    p.run(p.now + 120_000);
    expect(states(p, 'b', idB)['2001:db8::a']).toBe('DEPRECATED');
    expect(p.state('b')).toBe('ESTABLISHED');
    expect(p.log.filter((l) => l.kind === 'I1').length).toBe(bexBefore);
  });
});

describe('RFC 8047 §4.2.4 Figure 2: load balancing with a second SA pair', () => {
  it('UPDATE(ESP_INFO OLD SPI 0, LOCATOR_SET, SEQ) / UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST) / UPDATE(ACK, ECHO_RESPONSE)', () => {
    const { p, idA, idB } = established();
    // A new interface comes up; it is announced together with its own SA pair.
    p.a.setLocalLocators([LOC_A, A2], p.now, { announce: false });
    const start = p.log.length;
    p.a.addSaPair(idA, { local: A2 }, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(flow(p, start)).toEqual(['a: ESP_INFO,LOCATOR_SET,SEQ', 'b: ESP_INFO,SEQ,ACK,ECHO_REQUEST_SIGNED', 'a: ACK,ECHO_RESPONSE_SIGNED']);
    const u1 = p.log[start]!.packet;
    const info = u1.params.find((x) => x.kind === 'ESP_INFO');
    expect(info && info.kind === 'ESP_INFO' && info.oldSpi).toBe(0);
    // The new address is a type 1 locator bound to the NEW SPI (RFC 8047 §5.1 case 2), sent from it.
    const ls = u1.params.find((x) => x.kind === 'LOCATOR_SET');
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators.find((l) => formatLocator((l as { address: Uint8Array }).address) === '2001:db8:2::a')).toMatchObject({
      locatorType: 1,
      spi: info && info.kind === 'ESP_INFO' ? info.newSpi : -1,
    });
    expect(formatLocator(p.out.a.filter((o) => o.kind === 'transmit' && o.packet === u1).map((o) => (o.kind === 'transmit' ? o.src : LOC_A))[0]!)).toBe('2001:db8:2::a');
    expect(p.a.association(idA)!.sas).toHaveLength(2);
    expect(p.b.association(idB)!.sas).toHaveLength(2);
    expectSasCrossed(p);
    expect([...p.sas.a.values()].filter((s) => s.direction === 'out').map((s) => formatLocator(s.src)).sort()).toEqual(['2001:db8:2::a', '2001:db8::a']);
    expect(p.events('a')).toContainEqual({ type: 'update-completed', assoc: idA, what: 'new-sa' });
  });
});

describe('RFC 8047 §4.2.6 Figure 3: dual-host multihoming', () => {
  it('both hosts announce two addresses; a full mesh of SA pairs is set up where policy asks', () => {
    const B2 = parseLocator('2001:db8:2::b');
    const { p, idA, idB } = established();
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.b.setLocalLocators([LOC_B, B2], p.now);
    p.drain('a');
    p.drain('b');
    p.run(p.now + 2000);
    expect(states(p, 'a', idA)).toEqual({ '2001:db8::b': 'ACTIVE', '2001:db8:2::b': 'ACTIVE' });
    expect(states(p, 'b', idB)).toEqual({ '2001:db8::a': 'ACTIVE', '2001:db8:2::a': 'ACTIVE' });
    // Mesh: A1-B1 exists; add A2-B2, A1-B2 and A2-B1 pairs.
    for (const [local, peer] of [[A2, B2], [LOC_A, B2], [A2, LOC_B]] as const) {
      p.a.addSaPair(idA, { local, peer }, p.now);
      p.drain('a');
      p.run(p.now + 1000);
    }
    expect(p.a.association(idA)!.sas).toHaveLength(4);
    expectSasCrossed(p);
    const paths = [...p.sas.a.values()].filter((s) => s.direction === 'out').map((s) => `${formatLocator(s.src)}>${formatLocator(s.dst)}`).sort();
    expect(paths).toEqual(['2001:db8:2::a>2001:db8:2::b', '2001:db8:2::a>2001:db8::b', '2001:db8::a>2001:db8:2::b', '2001:db8::a>2001:db8::b']);
  });
});

describe('RFC 8047 §4.2.9: locators across address families', () => {
  it('an IPv4 locator added to an IPv6 association is verified and the association can move to IPv4 and back', () => {
    const { p, idA, idB } = established({ extraA: { locators: [LOC_A] }, extraB: { locators: [LOC_B, B4] } });
    p.b.setLocalLocators([LOC_B, B4], p.now);
    p.drain('b');
    p.run(p.now + 1000);
    // A has no IPv4 address yet: it cannot check B's IPv4 address, which stays UNVERIFIED...
    expect(states(p, 'a', idA)['198.51.100.20']).toBe('UNVERIFIED');
    p.a.setLocalLocators([LOC_A, A4], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    // ...until it has one: then both IPv4 addresses are checked.
    expect(states(p, 'a', idA)['198.51.100.20']).toBe('ACTIVE');
    expect(states(p, 'b', idB)['192.0.2.10']).toBe('ACTIVE');
    // A loses IPv6: the association moves to IPv4 (B answers from its IPv4 locator).
    p.a.setLocalLocators([A4], p.now);
    p.drain('a');
    p.run(p.now + 2000);
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('192.0.2.10');
    expect(formatLocator(out.src)).toBe('198.51.100.20');
    expect(p.a.association(idA)!.localLocator.slice(10, 12)).toEqual(Uint8Array.of(0xff, 0xff));
    // ...and back to IPv6.
    p.a.setLocalLocators([LOC_A], p.now);
    p.drain('a');
    p.run(p.now + 2000);
    const back = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(back.dst)).toBe('2001:db8::a');
    expect(p.log.filter((l) => l.kind === 'I1')).toHaveLength(1);
  });
});

describe('RFC 8047 §5.1 sending rules', () => {
  it('never announces multicast, loopback or filtered (privacy) addresses; link-local only to a link-local peer', () => {
    const { p } = established({ configA: { neverAnnounce: ['2001:db8:99::/48'] } });
    p.a.setLocalLocators([LOC_A, parseLocator('ff02::1'), parseLocator('::1'), parseLocator('fe80::1'), parseLocator('2001:db8:99::1'), A2], p.now);
    p.drain('a');
    const ls = lastLocatorSet(p, 'a');
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators.map((l) => formatLocator((l as { address: Uint8Array }).address))).toEqual(['2001:db8::a', '2001:db8:2::a']);
  });

  it('sets the P bit on one locator per address family, never on a tunnel when another exists', () => {
    const { p } = established();
    p.a.setLocalLocators([{ address: parseLocator('2001:db8:7::1'), tunnel: true }, { address: LOC_A }, { address: A4 }, { address: A2, preferred: true }], p.now);
    p.drain('a');
    const ls = lastLocatorSet(p, 'a');
    const pbits = ls && ls.kind === 'LOCATOR_SET' ? ls.locators.filter((l) => l.preferred).map((l) => formatLocator((l as { address: Uint8Array }).address)) : [];
    expect(pbits.sort()).toEqual(['192.0.2.10', '2001:db8:2::a']);
  });

  it('does not send a LOCATOR_SET again when nothing the peer sees changed', () => {
    const { p } = established();
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.drain('a');
    const n = p.a.stats().sent.UPDATE;
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.drain('a');
    expect(p.a.stats().sent.UPDATE).toBe(n);
  });
});

describe('RFC 8047 §5.4 changing the preferred locator', () => {
  it('case 1 and 2: a new preferred locator is used at once when ACTIVE, after verification when UNVERIFIED', () => {
    const { p, idB } = established();
    // Case 2: A2 announced as preferred: B keeps the ACTIVE old one until A2 is verified.
    p.a.setLocalLocators([{ address: LOC_A }, { address: A2, preferred: true }], p.now);
    p.drain('a');
    p.step(); // deliver the UPDATE to B only
    const during = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(during.dst)).toBe('2001:db8::a');
    expect(states(p, 'b', idB)['2001:db8:2::a']).toBe('UNVERIFIED');
    p.run(p.now + 1000);
    const after = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(after.dst)).toBe('2001:db8:2::a');
    // Case 1: now the old one becomes preferred again; it is ACTIVE, so the switch is immediate.
    p.a.setLocalLocators([{ address: LOC_A, preferred: true }, { address: A2 }], p.now);
    p.drain('a');
    p.step();
    const back = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(back.dst)).toBe('2001:db8::a');
  });
});

describe('RFC 8047 §4.2.8: LOCATOR_SET in R1, I2 and R2', () => {
  const B2 = parseLocator('2001:db8:2::b');

  it('Figure 4: a preferred locator in the R1 is ACTIVE without a check and the I2 goes to it', () => {
    const p = new Pair({ extraB: { locators: [{ address: LOC_B }, { address: B2, preferred: true }] } });
    const idA = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const r1 = p.log.find((l) => l.kind === 'R1')!.packet;
    const ls = r1.params.find((x) => x.kind === 'LOCATOR_SET');
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators.every((l) => l.locatorType === 0)).toBe(true);
    const i2 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I2')!;
    expect(i2.kind === 'transmit' && formatLocator(i2.dst)).toBe('2001:db8:2::b');
    // The I1 went to the other address: nothing about the puzzle depends on it (§4.2.8).
    const i1 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'I1')!;
    expect(i1.kind === 'transmit' && formatLocator(i1.dst)).toBe('2001:db8::b');
    const before = states(p, 'a', idA);
    expect(before['2001:db8:2::b']).toBe('ACTIVE');
    expect(before['2001:db8::b']).toBe('UNVERIFIED');
    p.run(p.now + 2000);
    expect(states(p, 'a', idA)['2001:db8::b']).toBe('ACTIVE'); // checked after the exchange
  });

  it('Figure 5: the I2 carries the Initiator locators, its source preferred; the R2 goes to the I2 source', () => {
    const p = new Pair({ extraA: { locators: [LOC_A, A2] } });
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const i2 = p.log.find((l) => l.kind === 'I2')!.packet;
    const ls = i2.params.find((x) => x.kind === 'LOCATOR_SET');
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators.map((l) => [formatLocator((l as { address: Uint8Array }).address), l.preferred])).toEqual([
      ['2001:db8::a', true],
      ['2001:db8:2::a', false],
    ]);
    const r2 = p.out.b.find((o) => o.kind === 'transmit' && o.packet.kind === 'R2')!;
    expect(r2.kind === 'transmit' && formatLocator(r2.dst)).toBe('2001:db8::a');
    p.run(p.now + 11_000);
    const idB = p.b.associations()[0]!.id;
    expect(states(p, 'b', idB)).toEqual({ '2001:db8::a': 'ACTIVE', '2001:db8:2::a': 'ACTIVE' });
  });

  it('the R2 may carry the Responder locators; they are verified like any other', () => {
    const p = new Pair({ extraB: { locators: [LOC_B, B2] } });
    const idA = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(p.log.find((l) => l.kind === 'R2')!.packet.params.some((x) => x.kind === 'LOCATOR_SET')).toBe(true);
    expect(states(p, 'a', idA)['2001:db8:2::b']).toBe('UNVERIFIED');
    p.run(p.now + 2000);
    expect(states(p, 'a', idA)['2001:db8:2::b']).toBe('ACTIVE');
  });
});

describe('RFC 8047 §4.2.3: failure detected by data-plane silence (config.silenceMs)', () => {
  it('a silent peer locator is checked again; traffic moves to an ACTIVE one; no answer deprecates it', () => {
    const { p, idB } = established({ configB: { silenceMs: 5000, updateRetriesMax: 2 } });
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(states(p, 'b', idB)).toEqual({ '2001:db8::a': 'ACTIVE', '2001:db8:2::a': 'ACTIVE' });
    // From now on only A2 carries data to B, and nothing reaches A1.
    p.filter = (x) => (formatLocator(x.dst) === '2001:db8::a' ? 'drop' : 'pass');
    const inSpi = p.b.association(idB)!.sas[0]!.localSpi;
    for (let t = 0; t < 8; t++) {
      p.b.handle({ kind: 'esp-seen', spi: inSpi, src: A2, dst: LOC_B, bytes: 100 }, p.now);
      p.drain('b');
      p.run(p.now + 1000);
    }
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('2001:db8:2::a');
    p.run(p.now + 60_000);
    expect(states(p, 'b', idB)['2001:db8::a']).toBe('DEPRECATED');
  });

  it('is off by default: an idle association is not probed', () => {
    const { p } = established();
    const sent = p.b.stats().sent.UPDATE ?? 0;
    p.run(p.now + 60_000);
    expect(p.b.stats().sent.UPDATE ?? 0).toBe(sent);
  });
});

describe('local locator commands', () => {
  it('adding and removing one interface announces the change each time', () => {
    const { p, idB } = established();
    p.a.addLocalLocator({ address: A2, interface: 'lte' }, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(states(p, 'b', idB)['2001:db8:2::a']).toBe('ACTIVE');
    p.a.removeLocalLocator({ interface: 'lte' }, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(states(p, 'b', idB)['2001:db8:2::a']).toBe('DEPRECATED');
    expect(p.a.localLocatorList().map((l) => formatLocator(l.address))).toEqual(['2001:db8::a']);
  });
});

describe('RFC 8047 §4.3 SA affinity: one SA pair per physical interface', () => {
  it('a second named interface gets its own SA pair by default (ESP_INFO OLD SPI 0 from it)', () => {
    const { p, idA, idB } = established();
    p.a.setLocalLocators([{ address: LOC_A, interface: 'eth0' }, { address: A2, interface: 'wlan0' }], p.now);
    p.drain('a');
    p.run(p.now + 2000);
    const sas = p.a.association(idA)!.sas;
    expect(sas).toHaveLength(2);
    expect(p.b.association(idB)!.sas).toHaveLength(2);
    expectSasCrossed(p);
    const outs = [...p.sas.a.values()].filter((s) => s.direction === 'out').map((s) => formatLocator(s.src)).sort();
    expect(outs).toEqual(['2001:db8:2::a', '2001:db8::a']);
  });

  it('the saPerInterface policy can share one SA (a wide replay window): fault tolerance only', () => {
    const { p, idA } = established({ extraA: { policy: { saPerInterface: () => false } } });
    p.a.setLocalLocators([{ address: LOC_A, interface: 'eth0' }, { address: A2, interface: 'wlan0' }], p.now);
    p.drain('a');
    p.run(p.now + 2000);
    expect(p.a.association(idA)!.sas).toHaveLength(1);
  });

  it('locators without interface names are left to the caller', () => {
    const { p, idA } = established();
    p.a.setLocalLocators([LOC_A, A2], p.now);
    p.drain('a');
    p.run(p.now + 2000);
    expect(p.a.association(idA)!.sas).toHaveLength(1);
  });
});
