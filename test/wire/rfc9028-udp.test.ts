// RFC 9028 (and RFC 5770): locator type 2 and UDP encapsulation framing (§5.1, §5.11).
import { describe, expect, it } from 'vitest';
import { decodeParamBlock, decodeUdpPacket, demuxUdp, encapsulateHip, encodeUdpPacket, HIP_UDP_PORT, param } from '../../src/wire/index.js';
import { RFC9028_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { cat, expectError, h, pad, pkt, HIT_I, HIT_R } from './helpers.js';

const A4 = '0000 0000 0000 0000 0000 ffff c000 0201';

describe('LOCATOR_SET type 2 (RFC 9028 §5.7)', () => {
  for (const v of RFC9028_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));

  it('type 2 needs Locator Length 7', () => {
    expectError(decodeParamBlock(h(`00c1 0020 | 01 02 06 01 0000003c 2904 11 01 7e0000ff ${A4} | ${pad(4)}`)), 'BAD_INNER_LENGTH', 'LOCATOR_SET[0].locatorLength', 6);
  });
});

describe('UDP framing (RFC 9028 §5.1)', () => {
  const I1 = pkt(1, h(`01ff 0003 03 04 08 00`), 0x1a5e);

  it('control packet = 32 zero bits ‖ HIP packet with checksum zero', () => {
    const wire = encapsulateHip(I1);
    expect(wire.subarray(0, 4)).toEqual(h('00000000'));
    expect(wire.subarray(4, 8)).toEqual(h('3b050121'));
    expect(wire.subarray(8, 10)).toEqual(h('0000')); // checksum zeroed
    expect(wire.length).toBe(4 + I1.length);
    const built = encodeUdpPacket({ kind: 'I1', senderHit: HIT_I, receiverHit: HIT_R, params: [{ kind: 'DH_GROUP_LIST', groups: [3, 4, 8] }] });
    expect(built).toEqual(wire);
    expect(HIP_UDP_PORT).toBe(10500);
  });

  it('demuxUdp: zero marker → HIP, non-zero SPI → ESP, 0xFF → keepalive, else invalid', () => {
    const hip = demuxUdp(encapsulateHip(I1));
    expect(hip.kind).toBe('HIP');
    expect(hip.kind === 'HIP' && hip.hip.length).toBe(I1.length);
    const esp = demuxUdp(h('12345678 00000001 aabbccdd'));
    expect(esp).toMatchObject({ kind: 'ESP', spi: 0x12345678 });
    expect(demuxUdp(h('ff'))).toEqual({ kind: 'KEEPALIVE' });
    expect(demuxUdp(h('')).kind).toBe('INVALID');
    expect(demuxUdp(h('0000')).kind).toBe('INVALID');
    expect(demuxUdp(h('00000001 0000')).kind).toBe('INVALID'); // ESP shorter than SPI + seq
    expect(demuxUdp(h('00000000')).kind).toBe('HIP'); // marker only: decode reports TRUNCATED
  });

  it('decodeUdpPacket: ok with marker and zero checksum; BAD_MARKER; BAD_CHECKSUM; offsets from the payload', () => {
    const wire = encapsulateHip(I1);
    const ok = decodeUdpPacket(wire);
    expect(ok.ok && param(ok.packet, 'DH_GROUP_LIST')?.groups).toEqual([3, 4, 8]);
    expect(ok.ok && ok.packet.params[0]?.span).toEqual({ offset: 40, length: 8 }); // relative to the HIP packet
    expectError(decodeUdpPacket(cat(h('00000001'), I1)), 'BAD_MARKER', 'marker', 3);
    expectError(decodeUdpPacket(cat(h('00000000'), I1)), 'BAD_CHECKSUM', 'header.checksum', 8);
    expectError(decodeUdpPacket(h('000000')), 'TRUNCATED', 'marker', 3);
    const v1 = wire.slice();
    v1[7] = 0x11;
    expectError(decodeUdpPacket(v1), 'BAD_VERSION', 'header.version', 7);
  });
});
