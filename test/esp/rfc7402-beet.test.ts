// BEET mode glue (RFC 7402 §3.2, Appendix B): the inner IPv6 packet between the HITs and back,
// with the upper-layer checksums checked against an independent computation written out here
// from RFC 8200 §8.1 (the pseudo-header as bytes, summed with BigInt), not the library's.
import { describe, expect, it } from 'vitest';
import { beetFromIpv6, beetToIpv6, EspDataPlane } from '../../src/esp/index.js';
import { ESP_SUITE } from '../../src/types.js';
import { HIT_A, HIT_B, patternRandom, saPair } from './helpers.js';

/** RFC 8200 §8.1: src (16) ‖ dst (16) ‖ upper-layer length (32) ‖ 3 zero bytes ‖ next header. */
function independentChecksum(src: Uint8Array, dst: Uint8Array, nextHeader: number, segment: Uint8Array, checksumAt: number): number {
  const seg = Uint8Array.from(segment);
  seg[checksumAt] = 0;
  seg[checksumAt + 1] = 0;
  const len = seg.length;
  const pseudo = [...src, ...dst, (len >>> 24) & 0xff, (len >>> 16) & 0xff, (len >>> 8) & 0xff, len & 0xff, 0, 0, 0, nextHeader];
  const all = [...pseudo, ...seg, ...(seg.length % 2 ? [0] : [])];
  let sum = 0n;
  for (let i = 0; i < all.length; i += 2) sum += BigInt((all[i]! << 8) | all[i + 1]!);
  while (sum >> 16n) sum = (sum & 0xffffn) + (sum >> 16n);
  const c = Number(~sum & 0xffffn);
  return nextHeader === 17 && c === 0 ? 0xffff : c;
}

function udp(srcPort: number, dstPort: number, data: Uint8Array): Uint8Array {
  const s = new Uint8Array(8 + data.length);
  s[0] = srcPort >>> 8; s[1] = srcPort & 0xff; s[2] = dstPort >>> 8; s[3] = dstPort & 0xff;
  s[4] = s.length >>> 8; s[5] = s.length & 0xff;
  s.set(data, 8);
  return s;
}

function tcpSyn(): Uint8Array {
  const s = new Uint8Array(20);
  s.set([0x9c, 0x40, 0x00, 0x50, 0, 0, 0x12, 0x34, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff]);
  return s;
}

function icmpv6Echo(): Uint8Array {
  return Uint8Array.from([128, 0, 0, 0, 0x12, 0x34, 0, 1, 0x68, 0x69]);
}

const be16 = (b: Uint8Array, at: number): number => (b[at]! << 8) | b[at + 1]!;

function ipv6(src: Uint8Array, dst: Uint8Array, nextHeader: number, payload: Uint8Array): Uint8Array {
  const p = new Uint8Array(40 + payload.length);
  p[0] = 0x60; p[4] = payload.length >>> 8; p[5] = payload.length & 0xff; p[6] = nextHeader; p[7] = 64;
  p.set(src, 8); p.set(dst, 24); p.set(payload, 40);
  return p;
}

describe('BEET inner packets (RFC 7402 §3.2, Appendix B)', () => {
  const cases = [
    { name: 'UDP', nh: 17, seg: udp(5353, 7, new TextEncoder().encode('hello')), at: 6 },
    { name: 'UDP odd length', nh: 17, seg: udp(1, 2, Uint8Array.of(1, 2, 3)), at: 6 },
    { name: 'TCP', nh: 6, seg: tcpSyn(), at: 16 },
    { name: 'ICMPv6', nh: 58, seg: icmpv6Echo(), at: 2 },
  ];

  it.each(cases)('$name: leaving a TUN device, the checksum is recomputed over the HITs ("recalculates upper-layer checksums using Host Identity Tags")', ({ nh, seg, at }) => {
    // A local stack left the checksum field as garbage (checksum offload): it must be fixed.
    const bad = Uint8Array.from(seg);
    bad[at] = 0xde; bad[at + 1] = 0xad;
    const r = beetFromIpv6(ipv6(HIT_A, HIT_B, nh, bad));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.srcHit).toEqual(HIT_A);
    expect(r.dstHit).toEqual(HIT_B);
    expect(r.nextHeader).toBe(nh);
    expect(r.payload.length).toBe(seg.length);
    expect(be16(r.payload, at)).toBe(independentChecksum(HIT_A, HIT_B, nh, seg, at));
  });

  it.each(cases)('$name: arriving from ESP, the inner packet gets a header between the HITs and its checksum is verified ("upper-layer checksums are verified")', ({ nh, seg, at }) => {
    const good = Uint8Array.from(seg);
    const c = independentChecksum(HIT_A, HIT_B, nh, seg, at);
    good[at] = c >>> 8; good[at + 1] = c & 0xff;
    const r = beetToIpv6({ srcHit: HIT_A, dstHit: HIT_B, nextHeader: nh, payload: good });
    expect(r.checksumOk).toBe(true);
    expect(r.packet).toEqual(ipv6(HIT_A, HIT_B, nh, good));
    const corrupt = Uint8Array.from(good);
    corrupt[corrupt.length - 1]! ^= 0x01;
    expect(beetToIpv6({ srcHit: HIT_A, dstHit: HIT_B, nextHeader: nh, payload: corrupt }).checksumOk).toBe(false);
  });

  it('a UDP checksum that computes to zero is sent as 0xffff (RFC 8200 §8.1)', () => {
    // Choose the data so that the sum is 0xffff: the checksum field then computes to 0.
    const seg = udp(0, 0, Uint8Array.of(0, 0));
    const c0 = independentChecksum(HIT_A, HIT_B, 17, seg, 6);
    const fill = (0xffff - ((~c0 & 0xffff) % 0xffff)) % 0xffff; // adds to the sum until it is 0xffff
    seg[8] = fill >>> 8; seg[9] = fill & 0xff;
    expect(independentChecksum(HIT_A, HIT_B, 17, seg, 6)).toBe(0xffff);
    const r = beetFromIpv6(ipv6(HIT_A, HIT_B, 17, seg));
    expect(r.ok && be16(r.payload, 6)).toBe(0xffff);
  });

  it('an unknown Next Header passes unchanged, with no checksum verdict', () => {
    const data = Uint8Array.of(1, 2, 3, 4);
    const r = beetFromIpv6(ipv6(HIT_A, HIT_B, 253, data));
    expect(r.ok && r.payload).toEqual(data);
    expect(beetToIpv6({ srcHit: HIT_A, dstHit: HIT_B, nextHeader: 253, payload: data }).checksumOk).toBeUndefined();
  });

  it('refuses, without throwing, packets that are not IPv6 between HITs', () => {
    const seg = udp(1, 2, Uint8Array.of(9));
    expect(beetFromIpv6(new Uint8Array(39))).toEqual({ ok: false, reason: 'truncated' });
    const v4 = ipv6(HIT_A, HIT_B, 17, seg); v4[0] = 0x45;
    expect(beetFromIpv6(v4)).toEqual({ ok: false, reason: 'not-ipv6' });
    const notHit = ipv6(new Uint8Array(16).fill(0xfe), HIT_B, 17, seg);
    expect(beetFromIpv6(notHit)).toEqual({ ok: false, reason: 'not-hit' });
    const long = ipv6(HIT_A, HIT_B, 17, seg); long[5] = 200;
    expect(beetFromIpv6(long)).toEqual({ ok: false, reason: 'truncated' });
    expect(beetFromIpv6(ipv6(HIT_A, HIT_B, 17, Uint8Array.of(1, 2, 3)))).toEqual({ ok: false, reason: 'truncated' });
    expect(() => beetToIpv6({ srcHit: new Uint8Array(4), dstHit: HIT_B, nextHeader: 17, payload: seg })).toThrow(/srcHit/);
  });

  it('a TUN packet crosses ESP and comes out byte for byte as the packet the peer reads', () => {
    const dpA = new EspDataPlane({ random: patternRandom() });
    const dpB = new EspDataPlane({ random: patternRandom() });
    const pair = saPair(ESP_SUITE.AES_128_CBC_HMAC_SHA256, 0x4242);
    dpA.addSa(pair.out);
    dpB.addSa(pair.in);
    const seg = udp(4000, 53, new TextEncoder().encode('query'));
    const c = independentChecksum(HIT_A, HIT_B, 17, seg, 6);
    seg[6] = c >>> 8; seg[7] = c & 0xff;
    const fromTun = ipv6(HIT_A, HIT_B, 17, seg);
    const out = beetFromIpv6(fromTun);
    if (!out.ok) throw new Error(out.reason);
    const sent = dpA.protect(out.dstHit, out.payload, { nextHeader: out.nextHeader });
    if (!sent.ok) throw new Error(sent.reason);
    const got = dpB.unprotect(sent.packet.bytes, sent.packet.src, sent.packet.dst);
    if (!got.ok) throw new Error(got.reason);
    const inner = beetToIpv6({ srcHit: got.peerHit, dstHit: got.localHit, nextHeader: got.nextHeader, payload: got.payload });
    expect(inner.checksumOk).toBe(true);
    expect(inner.packet).toEqual(fromTun);
  });
});
