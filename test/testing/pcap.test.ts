// testing/ip.ts + testing/pcap.ts: IPv4/IPv6 headers for HIP (139) and ESP (50) and classic
// libpcap files with LINKTYPE_RAW (101).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseLocator } from '../../src/addr/locator.js';
import {
  LINKTYPE,
  PcapWriter,
  buildIpPacket,
  ipv4HeaderChecksum,
  parseIpPacket,
  readPcap,
  type PcapReadResult,
} from '../../src/testing/index.js';
import { fromHex, toHex } from '../../src/util/bytes.js';
import { IPPROTO_ESP, IPPROTO_HIP } from '../../src/wire/constants.js';

const V4A = parseLocator('192.0.2.1');
const V4B = parseLocator('198.51.100.7');
const V6A = parseLocator('2001:db8::a');
const V6B = parseLocator('2001:db8:1::b');

/** An independent RFC 1071 check: the 16-bit one's-complement sum of a valid header is 0xffff. */
function headerSumOk(h: Uint8Array): boolean {
  let sum = 0;
  for (let i = 0; i < h.length; i += 2) sum += h[i]! * 256 + h[i + 1]!;
  while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
  return sum === 0xffff;
}

const payload = (n: number, salt: number) => Uint8Array.from({ length: n }, (_, i) => (i * 13 + salt) & 0xff);

describe('IP headers', () => {
  it('ipv4HeaderChecksum matches a known header (checksum 0xb861)', () => {
    const h = fromHex('45000073000040004011b861c0a80001c0a800c7');
    expect(ipv4HeaderChecksum(h)).toBe(0xb861);
    expect(headerSumOk(h)).toBe(true);
  });

  it('builds an IPv4 header for IPv4-mapped locators', () => {
    const p = payload(40, 1);
    const ip = buildIpPacket({ src: V4A, dst: V4B, protocol: IPPROTO_HIP, payload: p, identification: 0x1234, dontFragment: true });
    expect(ip.length).toBe(60);
    expect(toHex(ip.subarray(0, 10))).toBe('4500003c' + '1234' + '4000' + '40' + '8b');
    expect(ip[0]).toBe(0x45);
    expect(ip[2]! * 256 + ip[3]!).toBe(60);
    expect(ip[6]).toBe(0x40);
    expect(ip[8]).toBe(64);
    expect(ip[9]).toBe(139);
    expect(toHex(ip.subarray(12, 16))).toBe('c0000201');
    expect(toHex(ip.subarray(16, 20))).toBe('c6336407');
    expect(headerSumOk(ip.subarray(0, 20))).toBe(true);
    expect(toHex(ip.subarray(20))).toBe(toHex(p));
  });

  it('builds an IPv6 header otherwise', () => {
    const p = payload(33, 2);
    const ip = buildIpPacket({ src: V6A, dst: V6B, protocol: IPPROTO_ESP, payload: p, ttl: 7, trafficClass: 0xab, flowLabel: 0x12345 });
    expect(ip.length).toBe(73);
    expect(toHex(ip.subarray(0, 8))).toBe('6a' + 'b1' + '2345' + '0021' + '32' + '07');
    expect(toHex(ip.subarray(8, 24))).toBe(toHex(V6A));
    expect(toHex(ip.subarray(24, 40))).toBe(toHex(V6B));
    const r = parseIpPacket(ip);
    expect(r.ok && r.value).toMatchObject({ family: 'ipv6', protocol: 50, ttl: 7, trafficClass: 0xab, flowLabel: 0x12345 });
  });

  it('rejects mixed families and oversize payloads', () => {
    expect(() => buildIpPacket({ src: V4A, dst: V6B, protocol: 139, payload: new Uint8Array(1) })).toThrow(RangeError);
    expect(() => buildIpPacket({ src: V4A, dst: V4B, protocol: 139, payload: new Uint8Array(65516) })).toThrow(RangeError);
    expect(() => buildIpPacket({ src: V6A, dst: V6B, protocol: 139, payload: new Uint8Array(65536) })).toThrow(RangeError);
    expect(() => buildIpPacket({ src: V6A, dst: V6B, protocol: 256, payload: new Uint8Array(1) })).toThrow(RangeError);
  });

  it('parseIpPacket never throws and rejects truncated headers', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (b) => {
        const r = parseIpPacket(b);
        expect(typeof r.ok).toBe('boolean');
      }),
      { numRuns: 2000, seed: 3 },
    );
    const ip = buildIpPacket({ src: V4A, dst: V4B, protocol: 139, payload: payload(10, 0) });
    for (let n = 0; n < ip.length; n++) expect(parseIpPacket(ip.subarray(0, n)).ok).toBe(false);
    const bad = Uint8Array.from(ip);
    bad[15] = bad[15]! ^ 1;
    const r = parseIpPacket(bad);
    expect(r.ok && r.value.checksumOk).toBe(false);
  });
});

describe('PcapWriter / readPcap', () => {
  const specs = [
    { t: 0, src: V4A, dst: V4B, protocol: IPPROTO_HIP, payload: payload(40, 1) },
    { t: 1.5, src: V6A, dst: V6B, protocol: IPPROTO_HIP, payload: payload(608, 2) },
    { t: 1000.25, src: V4B, dst: V4A, protocol: IPPROTO_ESP, payload: payload(88, 3) },
    { t: 12345.678, src: V6B, dst: V6A, protocol: IPPROTO_ESP, payload: payload(1, 4) },
    { t: 1999.9996, src: V6B, dst: V6A, protocol: IPPROTO_ESP, payload: payload(0, 5) },
  ];

  function write(littleEndian: boolean): Uint8Array {
    const w = new PcapWriter({ littleEndian });
    for (const s of specs) w.addIp(s.t, s);
    expect(w.count).toBe(specs.length);
    return w.toBytes();
  }

  it('writes the classic global header (magic a1b2c3d4, v2.4, snaplen, LINKTYPE_RAW)', () => {
    const le = write(true);
    expect(toHex(le.subarray(0, 24))).toBe('d4c3b2a1' + '0200' + '0400' + '00000000' + '00000000' + 'ffff0000' + '65000000');
    const be = write(false);
    expect(toHex(be.subarray(0, 24))).toBe('a1b2c3d4' + '0002' + '0004' + '00000000' + '00000000' + '0000ffff' + '00000065');
    expect(LINKTYPE.RAW).toBe(101);
    // First record header: ts 0.000000, incl = orig = 60.
    expect(toHex(le.subarray(24, 40))).toBe('00000000' + '00000000' + '3c000000' + '3c000000');
  });

  for (const littleEndian of [true, false]) {
    it(`round-trips every field (${littleEndian ? 'little' : 'big'}-endian)`, () => {
      const r = readPcap(write(littleEndian));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const f = r.value;
      expect(f).toMatchObject({ littleEndian, nanosecond: false, versionMajor: 2, versionMinor: 4, thiszone: 0, sigfigs: 0, snaplen: 65535, linktype: 101 });
      expect(f.records).toHaveLength(specs.length);
      const wantTs = [
        [0, 0],
        [0, 1500],
        [1, 250],
        [12, 345678],
        [2, 0], // 1999.9996 ms rounds up to 2.000000 s
      ];
      f.records.forEach((rec, i) => {
        const s = specs[i]!;
        expect([rec.tsSec, rec.tsFrac]).toEqual(wantTs[i]);
        const v4 = s.src === V4A || s.src === V4B;
        expect(rec.origLen).toBe(s.payload.length + (v4 ? 20 : 40));
        expect(rec.bytes.length).toBe(rec.origLen);
        const ip = parseIpPacket(rec.bytes);
        expect(ip.ok).toBe(true);
        if (!ip.ok) return;
        expect(ip.value.family).toBe(v4 ? 'ipv4' : 'ipv6');
        expect(toHex(ip.value.src)).toBe(toHex(s.src));
        expect(toHex(ip.value.dst)).toBe(toHex(s.dst));
        expect(ip.value.protocol).toBe(s.protocol);
        expect(ip.value.ttl).toBe(64);
        expect(toHex(ip.value.payload)).toBe(toHex(s.payload));
        if (v4) {
          expect(rec.bytes[0]).toBe(0x45);
          expect(ip.value.checksumOk).toBe(true);
          expect(headerSumOk(rec.bytes.subarray(0, 20))).toBe(true);
          expect(rec.bytes[10]! * 256 + rec.bytes[11]!).toBe(ipv4HeaderChecksum(rec.bytes.subarray(0, 20)));
        } else {
          expect(rec.bytes[0]! >> 4).toBe(6);
          expect(rec.bytes[4]! * 256 + rec.bytes[5]!).toBe(s.payload.length);
        }
      });
      expect(f.records[2]!.timeMs).toBe(1000.25);
      expect(f.records[3]!.timeMs).toBeCloseTo(12345.678, 9);
    });
  }

  it('truncates to snaplen and keeps orig_len; honours epochMs', () => {
    const w = new PcapWriter({ snaplen: 64, epochMs: 1_700_000_000_000 });
    w.addIp(5, { src: V6A, dst: V6B, protocol: IPPROTO_HIP, payload: payload(100, 9) });
    const r = readPcap(w.toBytes());
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.snaplen).toBe(64);
    expect(r.value.records[0]!.bytes.length).toBe(64);
    expect(r.value.records[0]!.origLen).toBe(140);
    expect(r.value.records[0]!.tsSec).toBe(1_700_000_000);
    expect(r.value.records[0]!.tsFrac).toBe(5000);
  });

  it('reads nanosecond-resolution files', () => {
    const f = write(true);
    f.set([0x4d, 0x3c, 0xb2, 0xa1], 0);
    const r = readPcap(f);
    expect(r.ok && r.value.nanosecond).toBe(true);
    expect(r.ok && r.value.records[1]!.timeMs).toBe(0.0015);
  });

  it('an empty capture is valid', () => {
    const r = readPcap(new PcapWriter().toBytes());
    expect(r.ok && r.value.records).toEqual([]);
  });

  it('rejects bad times', () => {
    const w = new PcapWriter();
    expect(() => w.add(-1, new Uint8Array(1))).toThrow(RangeError);
    expect(() => w.add(Number.NaN, new Uint8Array(1))).toThrow(RangeError);
  });
});

describe('readPcap on bad input', () => {
  const good = (() => {
    const w = new PcapWriter();
    w.addIp(0, { src: V4A, dst: V4B, protocol: IPPROTO_HIP, payload: payload(40, 1) });
    w.addIp(1, { src: V6A, dst: V6B, protocol: IPPROTO_ESP, payload: payload(30, 2) });
    return w.toBytes();
  })();
  const boundaries = new Set([24, 24 + 16 + 60, 24 + 16 + 60 + 16 + 70]);

  it('every truncation is an error unless it ends on a record boundary', () => {
    expect(good.length).toBe(24 + 16 + 60 + 16 + 70);
    for (let n = 0; n <= good.length; n++) {
      const r = readPcap(good.subarray(0, n));
      expect(r.ok).toBe(boundaries.has(n));
      if (!r.ok) expect(r.error.code).toBe(n < 24 ? 'TRUNCATED_HEADER' : 'TRUNCATED_RECORD');
    }
  });

  it('bad magic and version are reported', () => {
    const m = Uint8Array.from(good);
    m[0] = 0;
    const r1 = readPcap(m);
    expect(!r1.ok && r1.error.code).toBe('BAD_MAGIC');
    const v = Uint8Array.from(good);
    v[4] = 3;
    const r2 = readPcap(v);
    expect(!r2.ok && r2.error.code).toBe('BAD_VERSION');
    const r3 = readPcap('nope' as unknown as Uint8Array);
    expect(!r3.ok && r3.error.code).toBe('NOT_BYTES');
  });

  const noThrow = (b: Uint8Array): PcapReadResult => {
    const r = readPcap(b);
    expect(typeof r.ok).toBe('boolean');
    if (!r.ok) expect(typeof r.error.message).toBe('string');
    return r;
  };

  it('never throws on arbitrary bytes (fast-check)', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (b) => void noThrow(b)), { numRuns: 3000, seed: 4 });
  });

  it('never throws on a valid header followed by garbage, or on mutated files (fast-check)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.boolean(), (tail, le) => {
        const w = new PcapWriter({ littleEndian: le }).toBytes();
        const b = new Uint8Array(w.length + tail.length);
        b.set(w);
        b.set(tail, w.length);
        noThrow(b);
      }),
      { numRuns: 2000, seed: 5 },
    );
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }), fc.nat(good.length), (edits, cut) => {
        const b = Uint8Array.from(good);
        for (const [i, v] of edits) b[i] = v;
        noThrow(b.subarray(0, cut));
      }),
      { numRuns: 2000, seed: 6 },
    );
  });
});
