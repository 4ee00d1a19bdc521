// handle() takes IPv4 addresses as a socket or a pcap gives them (4 bytes) as well as in the
// 16-byte IPv4-in-IPv6 form the engine keeps and puts in LOCATOR_SETs (RFC 8046 §4.2: "an
// IPv4-in-IPv6 format IPv4 address"). Both forms of one address are the same peer address: the
// HIP checksum is computed over the IPv4 pseudo-header either way (RFC 7401 §5.1.1), and the
// engine answers to the 16-byte form. Any other length is caller misuse and throws a typed error
// naming the field.
import { describe, expect, it } from 'vitest';
import { importHostIdentity } from '../../src/crypto/host-id.js';
import { HipEngine } from '../../src/engine/hip-engine.js';
import type { Input, Output } from '../../src/engine/io.js';
import { parseLocator } from '../../src/addr/locator.js';
import type { Locator } from '../../src/types.js';
import { toHex } from '../../src/util/bytes.js';
import { fixturePkcs8, testRandom } from '../fixtures/keys.js';

const A4 = Uint8Array.of(192, 0, 2, 1);
const B4 = Uint8Array.of(192, 0, 2, 2);
const A16 = parseLocator('192.0.2.1');
const B16 = parseLocator('192.0.2.2');

function engine(side: 'a' | 'b'): HipEngine {
  return new HipEngine({ identities: [importHostIdentity(fixturePkcs8(side === 'a' ? 'p256A' : 'p256B'))], locators: [side === 'a' ? A16 : B16], random: testRandom(`ipv4-${side}`) }, 0);
}

function drain(e: HipEngine): Output[] {
  const out: Output[] = [];
  for (let o = e.poll(); o !== undefined; o = e.poll()) out.push(o);
  return out;
}

const transmits = (out: Output[]) => out.flatMap((o) => (o.kind === 'transmit' ? [o] : []));
const drops = (out: Output[]) => out.flatMap((o) => (o.kind === 'event' && o.event.type === 'dropped' ? [o.event.reason] : []));
/** What a socket reports for an IPv4 peer: the last 4 bytes of the mapped form. */
const asSocketGives = (loc: Locator): Uint8Array => loc.slice(12);

describe('RFC 7401 §5.1.1 / RFC 8046 §4.2: handle() with 4-byte IPv4 addresses', () => {
  it('a base exchange completes when every input carries 4-byte src and dst, and outputs use the 16-byte form', () => {
    const a = engine('a');
    const b = engine('b');
    let now = 0;
    a.connect({ hit: b.localHits[0]!, locators: [B16] }, now);
    let inFlight = transmits(drain(a)).map((t) => ({ to: b, t }));
    const seen: string[] = [];
    for (let i = 0; i < 10 && inFlight.length > 0; i++) {
      now += 5;
      const next: typeof inFlight = [];
      for (const { to, t } of inFlight) {
        seen.push(t.packet.kind);
        // Every engine output names its addresses in the 16-byte form.
        expect(t.src.length).toBe(16);
        expect(t.dst.length).toBe(16);
        to.handle({ kind: 'datagram', bytes: t.bytes, src: asSocketGives(t.src), dst: asSocketGives(t.dst) }, now);
        const out = drain(to);
        expect(drops(out)).toEqual([]);
        for (const r of transmits(out)) next.push({ to: to === a ? b : a, t: r });
      }
      inFlight = next;
    }
    expect(seen).toEqual(['I1', 'R1', 'I2', 'R2']);
    expect(a.associations()[0]!.state).toBe('ESTABLISHED');
    // RFC 7401 §4.4.3 Table 5: the Responder leaves R2-SENT on the first ESP packet; the data
    // plane reports it with the addresses it saw, here as a socket gives them.
    expect(b.associations()[0]!.state).toBe('R2_SENT');
    const bSpi = b.associations()[0]!.sas[0]!.localSpi;
    b.handle({ kind: 'esp-seen', spi: bSpi, src: A4, dst: B4 }, now + 1);
    expect(drops(drain(b))).toEqual([]);
    expect(b.associations()[0]!.state).toBe('ESTABLISHED');
    // Each side knows the other by the 16-byte form of the address it came from.
    expect(toHex(b.associations()[0]!.peerLocator)).toBe(toHex(A16));
    expect(toHex(a.associations()[0]!.peerLocator)).toBe(toHex(B16));
  });

  it('a 4-byte and a 16-byte form of the same addresses give byte-identical answers', () => {
    const i1 = (() => {
      const a = engine('a');
      a.connect({ hit: engine('b').localHits[0]!, locators: [B16] }, 0);
      return transmits(drain(a))[0]!;
    })();
    const answer = (src: Uint8Array, dst: Uint8Array) => {
      const b = engine('b');
      b.handle({ kind: 'datagram', bytes: i1.bytes, src, dst }, 1);
      return transmits(drain(b)).map((t) => [toHex(t.src), toHex(t.dst), toHex(t.bytes)]);
    };
    const from16 = answer(A16, B16);
    expect(from16.length).toBe(1);
    expect(answer(A4, B4)).toEqual(from16);
    expect(answer(A4, B16)).toEqual(from16);
  });

  it('the checksum is still verified: a 4-byte source other than the sender fails it', () => {
    const a = engine('a');
    const b = engine('b');
    a.connect({ hit: b.localHits[0]!, locators: [B16] }, 0);
    const i1 = transmits(drain(a))[0]!;
    b.handle({ kind: 'datagram', bytes: i1.bytes, src: Uint8Array.of(192, 0, 2, 99), dst: B4 }, 1);
    const out = drain(b);
    expect(transmits(out)).toEqual([]);
    expect(drops(out)).toEqual(['checksum']);
  });

  it.each([
    ['datagram src of 5 bytes', 'input.src', { kind: 'datagram', bytes: new Uint8Array(40), src: new Uint8Array(5), dst: B4 }],
    ['datagram dst of 15 bytes', 'input.dst', { kind: 'datagram', bytes: new Uint8Array(40), src: A4, dst: new Uint8Array(15) }],
    ['esp-seen src of 0 bytes', 'input.src', { kind: 'esp-seen', spi: 1, src: new Uint8Array(0), dst: B16 }],
    ['esp-seen dst of 6 bytes', 'input.dst', { kind: 'esp-seen', spi: 1, src: A16, dst: new Uint8Array(6) }],
  ] as const)('a %s is caller misuse: a RangeError naming %s, and nothing happens', (_name, field, input) => {
    const b = engine('b');
    expect(() => b.handle(input as unknown as Input, 1)).toThrow(RangeError);
    expect(() => b.handle(input as unknown as Input, 1)).toThrow(`"${field}" expected Uint8Array of length 4 (IPv4) or 16`);
    expect(drain(b)).toEqual([]);
    expect(b.associations()).toEqual([]);
  });

  it('an address that is not a Uint8Array is a TypeError naming the field', () => {
    const b = engine('b');
    expect(() => b.handle({ kind: 'datagram', bytes: new Uint8Array(40), src: [192, 0, 2, 1], dst: B4 } as unknown as Input, 1)).toThrow(TypeError);
    expect(() => b.handle({ kind: 'datagram', bytes: new Uint8Array(40), src: [192, 0, 2, 1], dst: B4 } as unknown as Input, 1)).toThrow('"input.src"');
  });
});

// The commands take a peer's or our own IPv4 address as 4 bytes too (as getaddrinfo, a socket or
// a pcap gives it), and keep the 16-byte IPv4-in-IPv6 form of RFC 8046 §4.2 that LOCATOR_SET
// carries.
describe('RFC 8046 §4.2: commands with 4-byte IPv4 addresses', () => {
  /** A and B established over IPv4, every address given to the engines as 4 bytes. */
  function established(): { a: HipEngine; b: HipEngine; id: number } {
    const a = new HipEngine({ identities: [importHostIdentity(fixturePkcs8('p256A'))], locators: [A4], random: testRandom('ipv4-cmd-a') }, 0);
    const b = new HipEngine({ identities: [importHostIdentity(fixturePkcs8('p256B'))], locators: [{ address: B4 }], random: testRandom('ipv4-cmd-b') }, 0);
    const id = a.connect({ hit: b.localHits[0]!, locators: [B4] }, 0);
    let inFlight = transmits(drain(a)).map((t) => ({ to: b, t }));
    for (let now = 1; inFlight.length > 0; now++) {
      const next: typeof inFlight = [];
      for (const { to, t } of inFlight) {
        to.handle({ kind: 'datagram', bytes: t.bytes, src: t.src, dst: t.dst }, now);
        for (const r of transmits(drain(to))) next.push({ to: to === a ? b : a, t: r });
      }
      inFlight = next;
    }
    return { a, b, id };
  }

  it('new HipEngine and connect take 4-byte addresses; the I1 goes between the 16-byte forms', () => {
    const a = new HipEngine({ identities: [importHostIdentity(fixturePkcs8('p256A'))], locators: [A4], random: testRandom('ipv4-cmd-a') }, 0);
    expect(a.localLocatorList().map((l) => toHex(l.address))).toEqual([toHex(A16)]);
    a.connect({ hit: engine('b').localHits[0]!, locators: [B4] }, 0);
    const [i1] = transmits(drain(a));
    expect(i1?.packet.kind).toBe('I1');
    expect([toHex(i1!.src), toHex(i1!.dst)]).toEqual([toHex(A16), toHex(B16)]);
  });

  it('a base exchange set up from 4-byte addresses only completes, and each side keeps the 16-byte form', () => {
    const { a, id } = established();
    expect(a.association(id)?.state).toBe('ESTABLISHED');
    expect(toHex(a.association(id)!.peerLocator)).toBe(toHex(B16));
  });

  it('setLocalLocators, addLocalLocator and removeLocalLocator take 4-byte addresses; the UPDATE announces the 16-byte form', () => {
    const { a } = established();
    const C4 = Uint8Array.of(198, 51, 100, 7);
    a.addLocalLocator(C4, 10);
    expect(a.localLocatorList().map((l) => toHex(l.address))).toEqual([toHex(A16), toHex(parseLocator('198.51.100.7'))]);
    const update = transmits(drain(a)).find((t) => t.packet.kind === 'UPDATE');
    const set = update?.packet.params.find((p) => p.kind === 'LOCATOR_SET');
    expect(set && set.kind === 'LOCATOR_SET' ? set.locators.map((l) => ('address' in l ? toHex(l.address) : '')) : []).toContain(toHex(parseLocator('198.51.100.7')));
    a.removeLocalLocator(C4, 20);
    expect(a.localLocatorList().map((l) => toHex(l.address))).toEqual([toHex(A16)]);
    a.setLocalLocators([{ address: C4 }, A4], 30);
    expect(a.localLocatorList().map((l) => toHex(l.address))).toEqual([toHex(parseLocator('198.51.100.7')), toHex(A16)]);
  });

  it('pathFailed and addSaPair with 4-byte addresses do exactly what they do with the 16-byte forms', () => {
    const outputs = (call: (a: HipEngine, id: number) => void) => {
      const { a, id } = established();
      call(a, id);
      const out = transmits(drain(a)).map((t) => [t.packet.kind, toHex(t.src), toHex(t.dst), toHex(t.bytes)]);
      return { out, peer: a.peerLocators(id).map((l) => [toHex(l.locator), l.state]) };
    };
    const failed4 = outputs((a, id) => a.pathFailed(id, B4, 10));
    expect(failed4).toEqual(outputs((a, id) => a.pathFailed(id, B16, 10)));
    // RFC 8047 §4.2.3: the failed address is checked again, with an UPDATE to its 16-byte form.
    expect(failed4.out.map((o) => [o[0], o[2]])).toEqual([['UPDATE', toHex(B16)]]);
    const pair4 = outputs((a, id) => a.addSaPair(id, { local: A4, peer: B4 }, 10));
    expect(pair4).toEqual(outputs((a, id) => a.addSaPair(id, { local: A16, peer: B16 }, 10)));
    // RFC 8047 §4.2.4: the new SA pair is asked for in an UPDATE, sent to the 16-byte form.
    expect(pair4.out.map((o) => [o[0], o[2]])).toEqual([['UPDATE', toHex(B16)]]);
  });

  it.each([
    ['connect', (e: HipEngine) => e.connect({ hit: engine('b').localHits[0]!, locators: [new Uint8Array(5)] }, 1), '"peer.locators[0]" expected Uint8Array of length 4 (IPv4) or 16'],
    ['setLocalLocators', (e: HipEngine) => e.setLocalLocators([new Uint8Array(8)], 1), '"locators[0]" expected Uint8Array of length 4 (IPv4) or 16'],
    ['addLocalLocator', (e: HipEngine) => e.addLocalLocator({ address: new Uint8Array(3) }, 1), '"locator[0].address" expected Uint8Array of length 4 (IPv4) or 16'],
    ['removeLocalLocator', (e: HipEngine) => e.removeLocalLocator(new Uint8Array(12), 1), '"which" expected Uint8Array of length 4 (IPv4) or 16'],
  ] as const)('%s with another length is a RangeError naming the field, and nothing changes', (_name, call, message) => {
    const a = engine('a');
    expect(() => call(a)).toThrow(RangeError);
    expect(() => call(a)).toThrow(message);
    expect(drain(a)).toEqual([]);
    expect(a.associations()).toEqual([]);
    expect(a.localLocatorList().map((l) => toHex(l.address))).toEqual([toHex(A16)]);
  });
});
