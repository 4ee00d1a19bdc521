// RFC 7401 §5.1: the fixed header, header length, checksum, and the decode boundary's policies.
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, hipChecksum, parseLocator, PACKET_TYPE, DECODE_ERROR_CODES } from '../../src/wire/index.js';
import { HIT_I, HIT_R, cat, expectError, h, pkt } from './helpers.js';

const SRC6 = parseLocator('2001:db8::1');
const DST6 = parseLocator('2001:db8::2');
const SRC4 = parseLocator('192.0.2.1');
const DST4 = parseLocator('192.0.2.2');

// RFC 7401 Appendix C.1: I1 with DH_GROUP_LIST 3,4,8, written by hand from §5.1 and §5.2.6.
const I1_C1 = h(`
  3b 05 01 21   1a5e 0000                  # NH 59, HL 5, type 1, v2|fixed; checksum 0x1a5e; controls 0
  2001 0020 0000 0000 0000 0000 0000 0001  # sender HIT 2001:20::1
  2001 0020 0000 0000 0000 0000 0000 0002  # receiver HIT 2001:20::2
  01ff 0003 03 04 08 00                    # DH_GROUP_LIST, Length 3, groups 3 4 8, 1 byte padding
`);

describe('fixed header (RFC 7401 §5.1)', () => {
  it('decodes every header field of a hand-built I1', () => {
    const res = decodePacket(I1_C1);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const p = res.packet;
    expect(p.kind).toBe('I1');
    expect(p.code).toBe(1);
    expect(p.version).toBe(2);
    expect(p.nextHeader).toBe(59);
    expect(p.reserved).toBe(0);
    expect(p.controls).toBe(0);
    expect(p.checksum).toBe(0x1a5e);
    expect(p.senderHit).toEqual(HIT_I);
    expect(p.receiverHit).toEqual(HIT_R);
    expect(p.params).toEqual([{ kind: 'DH_GROUP_LIST', type: 511, critical: true, span: { offset: 40, length: 8 }, groups: [3, 4, 8] }]);
    expect(p.raw).toEqual(I1_C1);
  });

  it('knows all eight packet types (§5.3)', () => {
    for (const [kind, code] of Object.entries(PACKET_TYPE)) {
      const res = decodePacket(pkt(code));
      expect(res.ok && res.packet.kind).toBe(kind);
    }
  });

  it('keeps the reserved bits, controls and next header as received and re-encodes them', () => {
    const b = h(`
      3c 04 10 2f  0000 8001   # NH 60, HL 4, UPDATE, v2 + RES bits 111 + fixed; controls 0x8001
      2001 0020 0000 0000 0000 0000 0000 0001
      2001 0020 0000 0000 0000 0000 0000 0002`);
    const res = decodePacket(b);
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.packet.reserved).toBe(7);
    expect(res.packet.controls).toBe(0x8001);
    expect(res.packet.nextHeader).toBe(60);
    expect(encodePacket(res.packet)).toEqual(b);
  });

  it('raw is a private copy: mutating the input afterwards changes nothing', () => {
    const b = I1_C1.slice();
    const res = decodePacket(b);
    b.fill(0xee);
    expect(res.ok && res.packet.raw).toEqual(I1_C1);
    expect(res.ok && res.packet.senderHit).toEqual(HIT_I);
  });
});

describe('buffer ownership', () => {
  it('decoded packets and encoded outputs never share bytes with each other or with the input', () => {
    const a = decodePacket(I1_C1);
    const b = decodePacket(I1_C1);
    if (!a.ok || !b.ok) throw new Error('decode');
    a.packet.raw!.fill(0xaa);
    expect(b.packet.raw).toEqual(I1_C1);
    expect(I1_C1[0]).toBe(0x3b);
    const e1 = encodePacket(b.packet);
    const e2 = encodePacket(b.packet);
    e1.fill(0xbb);
    expect(e2[0]).toBe(0x3b);
    expect(e2.subarray(8, 24)).toEqual(HIT_I);
  });

  it('byte fields are views of raw at the right offsets', () => {
    const res = decodePacket(I1_C1);
    if (!res.ok) throw new Error('decode');
    const { raw, senderHit, receiverHit } = res.packet;
    expect(senderHit.buffer).toBe(raw!.buffer);
    expect(senderHit.byteOffset).toBe(raw!.byteOffset + 8);
    expect(receiverHit.byteOffset).toBe(raw!.byteOffset + 24);
  });
});

describe('header errors', () => {
  it('TRUNCATED: fewer than 4 bytes, and shorter than the header length says', () => {
    expectError(decodePacket(new Uint8Array(0)), 'TRUNCATED', 'header', 0);
    expectError(decodePacket(h('3b 04 01')), 'TRUNCATED', 'header', 3);
    expectError(decodePacket(I1_C1.subarray(0, 40)), 'TRUNCATED', 'header.length', 40);
    expectError(decodePacket(I1_C1.subarray(0, 20)), 'TRUNCATED', 'header.length', 20);
  });

  it('BAD_HEADER_LENGTH: header length below 4 cannot hold the HITs', () => {
    const b = I1_C1.slice();
    b[1] = 3;
    expectError(decodePacket(b.subarray(0, 32)), 'BAD_HEADER_LENGTH', 'header.length', 1);
  });

  it('BAD_VERSION: a HIPv1 header (0x11)', () => {
    const b = I1_C1.slice();
    b[3] = 0x11;
    expectError(decodePacket(b), 'BAD_VERSION', 'header.version', 3);
  });

  it('BAD_FIXED_BIT: either fixed bit wrong', () => {
    const a = I1_C1.slice();
    a[2] = 0x81;
    expectError(decodePacket(a), 'BAD_FIXED_BIT', 'header.fixed', 2);
    const b = I1_C1.slice();
    b[3] = 0x20;
    expectError(decodePacket(b), 'BAD_FIXED_BIT', 'header.fixed', 3);
  });

  it('UNKNOWN_PACKET_TYPE: 5 (HIPv1 CER) and 0', () => {
    expectError(decodePacket(pkt(5)), 'UNKNOWN_PACKET_TYPE', 'header.packetType', 2);
    expectError(decodePacket(pkt(0)), 'UNKNOWN_PACKET_TYPE', 'header.packetType', 2);
  });

  it('TRAILING_BYTES with Next Header 59, unless allowed; ignored for another Next Header', () => {
    const b = cat(I1_C1, h('00000000'));
    expectError(decodePacket(b), 'TRAILING_BYTES', 'header.length', 48);
    const allowed = decodePacket(b, { allowTrailingBytes: true });
    expect(allowed.ok && allowed.packet.raw).toEqual(I1_C1);
    const c = b.slice();
    c[0] = 6; // Next Header TCP: §5.1 "MUST ignore trailing data"
    const ignored = decodePacket(c);
    expect(ignored.ok && ignored.packet.raw?.length).toBe(48);
    expect(ignored.ok && ignored.packet.nextHeader).toBe(6);
  });

  it('every error code is listed in DECODE_ERROR_CODES', () => {
    expect(new Set(DECODE_ERROR_CODES).size).toBe(DECODE_ERROR_CODES.length);
    expect(DECODE_ERROR_CODES).toContain('BAD_INNER_LENGTH');
  });
});

describe('checksum (RFC 7401 §5.1.1)', () => {
  it('verifies the Appendix C.1 packet over IPv6 and fails over other addresses', () => {
    expect(decodePacket(I1_C1, { src: SRC6, dst: DST6 }).ok).toBe(true);
    expectError(decodePacket(I1_C1, { src: DST6, dst: parseLocator('2001:db8::3') }), 'BAD_CHECKSUM', 'header.checksum', 4);
  });

  it('verifyChecksum defaults to on with src and dst, and can be turned off', () => {
    const b = I1_C1.slice();
    b[5] = b[5]! ^ 1;
    expectError(decodePacket(b, { src: SRC6, dst: DST6 }), 'BAD_CHECKSUM');
    expect(decodePacket(b, { src: SRC6, dst: DST6, verifyChecksum: false }).ok).toBe(true);
    expect(decodePacket(b).ok).toBe(true);
  });

  it('IPv4-mapped locators select the IPv4 pseudo-header (Appendix C.2 value 0xf1ce)', () => {
    const b = I1_C1.slice();
    b[4] = 0xf1;
    b[5] = 0xce;
    expect(hipChecksum(b, SRC4, DST4)).toBe(0xf1ce);
    expect(decodePacket(b, { src: SRC4, dst: DST4 }).ok).toBe(true);
  });

  it('encodePacket fills the checksum for src/dst, 0 without', () => {
    const res = decodePacket(I1_C1);
    if (!res.ok) throw new Error('decode');
    expect(encodePacket(res.packet, { src: SRC6, dst: DST6 })).toEqual(I1_C1);
    const zero = encodePacket(res.packet);
    expect([zero[4], zero[5]]).toEqual([0, 0]);
    expect(encodePacket(res.packet, { keepChecksum: true })).toEqual(I1_C1);
  });

  it('caller misuse throws: verifyChecksum without addresses, mixed families, not bytes', () => {
    expect(() => decodePacket(I1_C1, { verifyChecksum: true })).toThrow(TypeError);
    expect(() => decodePacket(I1_C1, { src: SRC4, dst: DST6 })).toThrow(RangeError);
    // 4-byte IPv4 addresses are accepted (their mapped form); other lengths are misuse.
    expect(() => decodePacket(I1_C1, { src: new Uint8Array(5), dst: DST6 })).toThrow(/"src" expected Uint8Array of length 4 \(IPv4\) or 16/);
    expect(() => decodePacket([1, 2, 3] as unknown as Uint8Array)).toThrow(TypeError);
  });
});
