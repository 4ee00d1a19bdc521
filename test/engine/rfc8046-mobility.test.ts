// RFC 8046 (Host Mobility with HIP): readdressing with and without rekeying, the peer locator
// table and its states, address verification, lifetimes.
import { describe, expect, it } from 'vitest';
import { LOC_A, LOC_B, Pair } from './pair.js';
import { dropsOf, expectSasCrossed, forgeUpdate } from './helpers.js';
import { parseLocator, formatLocator } from '../../src/addr/locator.js';
import type { HipPacket } from '../../src/wire/types.js';

const LOC_A2 = parseLocator('2001:db8:2::a');

export function established(opts: ConstructorParameters<typeof Pair>[0] = {}) {
  const p = new Pair(opts);
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000);
  return { p, idA, idB: p.b.associations()[0]!.id };
}

/** The UPDATEs sent since log index `from`, as "a: PARAM,PARAM" lines (RFC figure notation). */
function updateFlow(p: Pair, from = 0): string[] {
  return p.log.slice(from).filter((l) => l.kind === 'UPDATE').map((l) => `${l.from}: ${names(l.packet)}`);
}

function names(pkt: HipPacket): string {
  return pkt.params
    .map((x) => x.kind)
    .filter((k) => k !== 'HIP_MAC' && k !== 'HIP_SIGNATURE')
    .join(',');
}

function locatorStates(p: Pair, side: 'a' | 'b', id: number): Record<string, string> {
  return Object.fromEntries(p.engine(side).peerLocators(id).map((l) => [formatLocator(l.locator), l.state]));
}

describe('RFC 8046 §5.1 the peer locator table', () => {
  it('starts with the base exchange locator, ACTIVE, preferred, unbounded lifetime', () => {
    const { p, idA, idB } = established();
    expect(p.a.peerLocators(idA)).toEqual([expect.objectContaining({ state: 'ACTIVE', preferred: true, expiresAt: Infinity })]);
    expect(formatLocator(p.b.peerLocators(idB)[0]!.locator)).toBe('2001:db8::a');
    expect(p.out.b.some((o) => o.kind === 'locator' && o.op === 'upsert' && o.entry.state === 'ACTIVE')).toBe(true);
  });
});

describe('RFC 8046 §3.2.1 Figure 3: readdress without rekeying, with address check', () => {
  it('UPDATE(ESP_INFO, LOCATOR_SET, SEQ) / UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST) / UPDATE(ACK, ECHO_RESPONSE)', () => {
    const { p, idA, idB } = established();
    const spisBefore = [...p.sas.b.keys()].sort();
    p.a.setLocalLocators([LOC_A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(updateFlow(p)).toEqual(['a: ESP_INFO,LOCATOR_SET,SEQ', 'b: ESP_INFO,SEQ,ACK,ECHO_REQUEST_SIGNED', 'a: ACK,ECHO_RESPONSE_SIGNED']);
    // The first UPDATE leaves from the new address; the check goes to it.
    const u1 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'UPDATE')!;
    expect(u1.kind === 'transmit' && formatLocator(u1.src)).toBe('2001:db8:2::a');
    const u2 = p.out.b.find((o) => o.kind === 'transmit' && o.packet.kind === 'UPDATE')!;
    expect(u2.kind === 'transmit' && formatLocator(u2.dst)).toBe('2001:db8:2::a');
    // ESP_INFO OLD = NEW: no rekey; the SPIs stay; B now sends to the new address.
    expect([...p.sas.b.keys()].sort()).toEqual(spisBefore);
    expect(locatorStates(p, 'b', idB)).toEqual({ '2001:db8::a': 'DEPRECATED', '2001:db8:2::a': 'ACTIVE' });
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('2001:db8:2::a');
    expect(out.creditLimited).toBeUndefined();
    const aOut = [...p.sas.a.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(aOut.src)).toBe('2001:db8:2::a');
    expect(p.events('a')).toContainEqual({ type: 'update-completed', assoc: idA, what: 'locators' });
  });

  it('while the new address is unverified, B sends to it only within credit (RFC 8046 §5.6)', () => {
    const { p, idB } = established();
    // Hold B's address check so that the new address stays UNVERIFIED.
    p.filter = (x) => (x.from === 'b' && x.packet.kind === 'UPDATE' ? 'drop' : 'pass');
    p.a.setLocalLocators([LOC_A2], p.now);
    p.drain('a');
    p.run(p.now + 500);
    expect(locatorStates(p, 'b', idB)['2001:db8:2::a']).toBe('UNVERIFIED');
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('2001:db8:2::a');
    expect(out.creditLimited).toBe(true);
  });

  it('an address that never answers its check is DEPRECATED, not used', () => {
    const { p, idB } = established({ config: { updateRetriesMax: 1 } });
    p.filter = (x) => (x.from === 'b' && x.packet.kind === 'UPDATE' ? 'drop' : 'pass');
    p.a.setLocalLocators([LOC_A, LOC_A2], p.now);
    p.drain('a');
    p.run(p.now + 30_000);
    expect(locatorStates(p, 'b', idB)).toEqual({ '2001:db8::a': 'ACTIVE', '2001:db8:2::a': 'DEPRECATED' });
    expect(p.state('b')).toBe('ESTABLISHED');
  });
});

describe('RFC 8046 §3.2.2 Figure 4: readdress with a mobile-initiated rekey', () => {
  it('UPDATE(ESP_INFO, LOCATOR_SET, SEQ) with a new SPI, answered with ESP_INFO and ECHO_REQUEST; new SAs on the new address', () => {
    const { p, idB } = established();
    const oldSpis = [...p.sas.b.keys()];
    p.a.setLocalLocators([LOC_A2], p.now, { rekey: true });
    p.drain('a');
    p.run(p.now + 10_000);
    const ups = [...p.out.a, ...p.out.b].flatMap((o) => (o.kind === 'transmit' && o.packet.kind === 'UPDATE' ? [o.packet] : []));
    const u1 = ups[0]!;
    const info = u1.params.find((x) => x.kind === 'ESP_INFO');
    const ls = u1.params.find((x) => x.kind === 'LOCATOR_SET');
    expect(info && info.kind === 'ESP_INFO' && info.oldSpi !== info.newSpi).toBe(true);
    // The type 1 locator names the NEW SPI (RFC 8046 §5.2 case 2).
    expect(ls && ls.kind === 'LOCATOR_SET' && ls.locators[0]).toMatchObject({ locatorType: 1, spi: info && info.kind === 'ESP_INFO' ? info.newSpi : -1 });
    expect(names(ups.find((u) => u.params.some((x) => x.kind === 'ECHO_REQUEST_SIGNED'))!)).toBe('ESP_INFO,SEQ,ACK,ECHO_REQUEST_SIGNED');
    expect(locatorStates(p, 'b', idB)['2001:db8:2::a']).toBe('ACTIVE');
    expectSasCrossed(p);
    expect([...p.sas.b.keys()].some((k) => oldSpis.includes(k))).toBe(false);
    for (const sa of p.sas.b.values()) expect(formatLocator(sa.direction === 'out' ? sa.dst : sa.src)).toBe('2001:db8:2::a');
  });
});

describe('RFC 8046 §5.3 receiving rules', () => {
  it('RFC 8046 §5.3: the same LOCATOR_SET in a new UPDATE is processed (lifetimes updated); only a retransmitted UPDATE (same SEQ) is not', () => {
    // This test used to expect an identical LOCATOR_SET in a new UPDATE to be ignored. RFC 8046
    // §5.3: "If the address is already bound, its lifetime is updated. If the status of the
    // address is DEPRECATED, the status is changed to UNVERIFIED." Only a copy of an UPDATE
    // already processed is skipped (RFC 7401 §6.12.1 step 2).
    const { p, idB } = established();
    p.a.setLocalLocators([LOC_A, LOC_A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const ls = p.out.a.flatMap((o) => (o.kind === 'transmit' ? o.packet.params.filter((x) => x.kind === 'LOCATOR_SET') : []))[0]!;
    const before = p.b.peerLocators(idB).map((e) => e.expiresAt);
    const upserts = p.out.b.filter((o) => o.kind === 'locator').length;
    const sent = p.b.stats().sent.UPDATE ?? 0;
    p.run(p.now + 5000);
    const update = forgeUpdate(p, 'a', [ls, { kind: 'SEQ', updateId: 1000 }], LOC_A, LOC_B);
    p.inject('b', update);
    // Both bound addresses got their lifetime updated (one upsert each), later than before.
    expect(p.out.b.filter((o) => o.kind === 'locator').length).toBe(upserts + 2);
    const after = p.b.peerLocators(idB).map((e) => e.expiresAt);
    expect(after.every((t, i) => t > before[i]!)).toBe(true);
    // Both were ACTIVE already: no check, only the ACK.
    expect(p.b.stats().sent.UPDATE).toBe(sent + 1);
    expect(Object.values(locatorStates(p, 'b', idB))).toEqual(['ACTIVE', 'ACTIVE']);
    // The same UPDATE again (same SEQ): ACKed, not processed.
    const n = p.out.b.filter((o) => o.kind === 'locator').length;
    p.inject('b', update);
    expect(p.out.b.filter((o) => o.kind === 'locator').length).toBe(n);
    expect(p.b.stats().sent.UPDATE).toBe(sent + 2);
  });

  it('locators left out of a new LOCATOR_SET become DEPRECATED', () => {
    const { p, idB } = established();
    p.a.setLocalLocators([LOC_A, LOC_A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    p.a.setLocalLocators([LOC_A2], p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(locatorStates(p, 'b', idB)['2001:db8::a']).toBe('DEPRECATED');
  });

  it('ignores multicast and zero-lifetime locators and refuses a LOCATOR_SET over the per-peer cap', () => {
    const { p, idB } = established({ configB: { maxPeerLocators: 3 } });
    const loc = (a: string, lifetime = 600) => ({ trafficType: 0, locatorType: 0 as const, preferred: false, lifetime, address: parseLocator(a) });
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'LOCATOR_SET', locators: [loc('2001:db8::a'), loc('ff02::1'), loc('2001:db8:9::1', 0)] }, { kind: 'SEQ', updateId: 50 }], LOC_A, LOC_B));
    expect(Object.keys(locatorStates(p, 'b', idB))).toEqual(['2001:db8::a']);
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'LOCATOR_SET', locators: ['1', '2', '3', '4'].map((n) => loc(`2001:db8:${n}::1`)) }, { kind: 'SEQ', updateId: 51 }], LOC_A, LOC_B));
    expect(dropsOf(p, 'b')).toContain('policy');
    expect(Object.keys(locatorStates(p, 'b', idB))).toEqual(['2001:db8::a']);
  });

  it('answers an unsupported preferred locator type with NOTIFY LOCATOR_TYPE_UNSUPPORTED', async () => {
    const { NOTIFY_TYPE } = await import('../../src/wire/notify.js');
    const { p } = established();
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'LOCATOR_SET', locators: [{ trafficType: 0, locatorType: 9, preferred: true, lifetime: 600, raw: new Uint8Array(8).fill(3), unknown: true }] }, { kind: 'SEQ', updateId: 60 }], LOC_A, LOC_B));
    p.run(p.now + 100);
    const n = p.events('a').find((e) => e.type === 'notify');
    expect(n).toMatchObject({ messageType: NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED, authenticated: true });
    // Notification Data: the failed locator itself, LOCATOR_SET-encoded (RFC 8046 §5.3).
    const { decodeNotifyData } = await import('../../src/wire/notify.js');
    const data = n && n.type === 'notify' ? decodeNotifyData(n.messageType, n.data) : undefined;
    expect(data).toMatchObject({ format: 'LOCATORS', locators: [{ locatorType: 9, preferred: true, raw: new Uint8Array(8).fill(3) }] });
  });

  it('a locator lifetime that expires turns it DEPRECATED and traffic moves back', () => {
    const { p, idB } = established();
    const loc = (a: string, lifetime: number, preferred: boolean) => ({ trafficType: 0, locatorType: 0 as const, preferred, lifetime, address: parseLocator(a) });
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'LOCATOR_SET', locators: [loc('2001:db8::a', 0xffffffff, false), loc('2001:db8:2::a', 5, true)] }, { kind: 'SEQ', updateId: 70 }], LOC_A, LOC_B));
    p.run(p.now + 1000);
    expect(locatorStates(p, 'b', idB)['2001:db8:2::a']).toBe('ACTIVE');
    p.run(p.now + 5000);
    expect(locatorStates(p, 'b', idB)['2001:db8:2::a']).toBe('DEPRECATED');
    const out = [...p.sas.b.values()].find((s) => s.direction === 'out')!;
    expect(formatLocator(out.dst)).toBe('2001:db8::a');
  });

  it('an ESP_INFO that fits none of the four cases is a protocol error (RFC 8047 §5.2)', () => {
    const { p } = established();
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 12345, newSpi: 0 }, { kind: 'SEQ', updateId: 80 }], LOC_A, LOC_B));
    expect(dropsOf(p, 'b')).toContain('bad-esp-info');
  });
});
