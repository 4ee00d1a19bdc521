// RFC 7401 Appendix C: the published HIP checksums (C.1 IPv6, C.2 IPv4) and the TCP-over-HITs
// checksum (C.3), from vectors/rfc7401-appendix-c-checksums.json (provenance inside).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, hipChecksum, parseHit, parseLocator, upperLayerChecksum, type PacketKind } from '../../src/wire/index.js';
import { h } from './helpers.js';

type HipVector = {
  id: string;
  kind: 'hip';
  src: string;
  dst: string;
  pseudoHeader: { upperLayerPacketLength: number };
  packet: { kind: PacketKind; headerLength: number; senderHit: string; receiverHit: string; params: { kind: 'DH_GROUP_LIST'; groups: number[] }[] };
  packetHex: string;
  checksum: number;
};
type TcpVector = {
  id: string;
  kind: 'tcp';
  src: string;
  dst: string;
  pseudoHeader: { upperLayerPacketLength: number; nextHeader: number };
  segment: { sourcePort: number; destinationPort: number; sequenceNumber: number; acknowledgmentNumber: number; dataOffset: number; windowSize: number; urgentPointer: number };
  segmentHex: string;
  checksum: number;
};

const file = JSON.parse(readFileSync(new URL('../../vectors/rfc7401-appendix-c-checksums.json', import.meta.url), 'utf8')) as {
  vectors: (HipVector | TcpVector)[];
};

describe('RFC 7401 Appendix C checksums', () => {
  for (const v of file.vectors) {
    if (v.kind === 'hip') {
      it(`${v.id}: the codec builds the packet and the published checksum 0x${v.checksum.toString(16)}`, () => {
        const src = parseLocator(v.src);
        const dst = parseLocator(v.dst);
        const bytes = encodePacket(
          {
            kind: v.packet.kind,
            senderHit: parseHit(v.packet.senderHit),
            receiverHit: parseHit(v.packet.receiverHit),
            params: v.packet.params.map((p) => ({ kind: p.kind, groups: p.groups })),
          },
          { src, dst },
        );
        expect(bytes.length).toBe(v.pseudoHeader.upperLayerPacketLength);
        expect(bytes[1]).toBe(v.packet.headerLength);
        expect((bytes[4]! << 8) | bytes[5]!).toBe(v.checksum);
        expect(bytes).toEqual(h(v.packetHex));
        expect(hipChecksum(bytes, src, dst)).toBe(v.checksum);
        const res = decodePacket(h(v.packetHex), { src, dst });
        expect(res.ok && res.packet.checksum).toBe(v.checksum);
      });
    } else {
      it(`${v.id}: TCP SYN over HITs has checksum 0x${v.checksum.toString(16)}`, () => {
        const s = v.segment;
        const seg = new Uint8Array(20);
        const dv = new DataView(seg.buffer);
        dv.setUint16(0, s.sourcePort);
        dv.setUint16(2, s.destinationPort);
        dv.setUint32(4, s.sequenceNumber);
        dv.setUint32(8, s.acknowledgmentNumber);
        seg[12] = s.dataOffset << 4;
        seg[13] = 0x02; // SYN
        dv.setUint16(14, s.windowSize);
        dv.setUint16(18, s.urgentPointer);
        expect(seg.length).toBe(v.pseudoHeader.upperLayerPacketLength);
        const sum = upperLayerChecksum(parseHit(v.src), parseHit(v.dst), v.pseudoHeader.nextHeader, seg, 16);
        expect(sum).toBe(v.checksum);
        dv.setUint16(16, sum);
        expect(seg).toEqual(h(v.segmentHex));
        // A segment carrying its correct checksum sums to zero when its field is included.
        expect(upperLayerChecksum(parseHit(v.src), parseHit(v.dst), 6, seg)).toBe(0);
      });
    }
  }
});

describe('RFC 7401 Appendix C.2 with 4-byte IPv4 addresses, as a socket or a pcap gives them', () => {
  const v4 = file.vectors.filter((v): v is HipVector => v.kind === 'hip' && !v.src.includes(':'));
  it('the C.2 vector is IPv4', () => {
    expect(v4.length).toBeGreaterThanOrEqual(1);
  });
  for (const v of v4) {
    it(`${v.id}: decode options, hipChecksum and encodePacket take 4-byte addresses and give the published 0x${v.checksum.toString(16)}`, () => {
      const src4 = parseLocator(v.src).slice(12);
      const dst4 = parseLocator(v.dst).slice(12);
      expect(src4.length).toBe(4);
      expect(hipChecksum(h(v.packetHex), src4, dst4)).toBe(v.checksum);
      const res = decodePacket(h(v.packetHex), { src: src4, dst: dst4, verifyChecksum: true });
      expect(res.ok).toBe(true);
      const tampered = h(v.packetHex);
      tampered[tampered.length - 1]! ^= 1;
      const bad = decodePacket(tampered, { src: src4, dst: dst4, verifyChecksum: true });
      expect(!bad.ok && bad.error.code).toBe('BAD_CHECKSUM');
      const decoded = decodePacket(h(v.packetHex));
      if (!decoded.ok) throw new Error(decoded.error.message);
      expect(encodePacket(decoded.packet, { src: src4, dst: dst4 })).toEqual(h(v.packetHex));
      // A 4-byte source with a 16-byte IPv6 destination is two families: caller misuse.
      expect(() => decodePacket(h(v.packetHex), { src: src4, dst: parseLocator('2001:db8::1') })).toThrow(RangeError);
      expect(() => decodePacket(h(v.packetHex), { src: new Uint8Array(5), dst: dst4 })).toThrow(/"src" expected Uint8Array of length 4 \(IPv4\) or 16/);
    });
  }
});
