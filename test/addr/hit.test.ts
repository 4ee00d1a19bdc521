// src/addr/hit.ts: ORCHIDv2 prefix 2001:20::/28 checks (RFC 7343 §2) and formatting.
import { describe, expect, it } from 'vitest';
import { formatHit, hitKey, hitSuiteOf, isHit, ORCHID2_PREFIX, parseHit } from '../../src/addr/index.js';

describe('HITs', () => {
  it('isHit accepts exactly 2001:20::/28', () => {
    expect(isHit(parseHit('2001:20::1'))).toBe(true);
    expect(isHit(parseHit('2001:2f:ffff:ffff:ffff:ffff:ffff:ffff'))).toBe(true);
    const below = Uint8Array.of(0x20, 0x01, 0x00, 0x1f, ...new Array<number>(12).fill(0));
    const above = Uint8Array.of(0x20, 0x01, 0x00, 0x30, ...new Array<number>(12).fill(0));
    const orchidV1 = Uint8Array.of(0x20, 0x01, 0x00, 0x10, ...new Array<number>(12).fill(0)); // 2001:10::/28
    expect(isHit(below)).toBe(false);
    expect(isHit(above)).toBe(false);
    expect(isHit(orchidV1)).toBe(false);
    expect(isHit(new Uint8Array(15))).toBe(false);
  });

  it('hitSuiteOf reads the 4-bit OGA id after the prefix', () => {
    expect(hitSuiteOf(parseHit('2001:21::1'))).toBe(1);
    expect(hitSuiteOf(parseHit('2001:22::1'))).toBe(2);
    expect(hitSuiteOf(parseHit('2001:20::1'))).toBe(0);
  });

  it('parse/format round trip; bad text and non-ORCHID addresses throw', () => {
    const hit = parseHit('2001:0020:0000:0000:0000:0000:0000:0002');
    expect(formatHit(hit)).toBe('2001:20::2');
    expect(hitKey(hit)).toBe('20010020000000000000000000000002');
    expect(() => parseHit('2001:db8::1')).toThrow(RangeError);
    expect(() => parseHit('192.0.2.1')).toThrow(TypeError);
    expect(() => formatHit(new Uint8Array(4))).toThrow(RangeError);
    expect(Array.from(ORCHID2_PREFIX)).toEqual([0x20, 0x01, 0x00, 0x20]);
  });
});
