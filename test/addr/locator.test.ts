// src/addr/locator.ts: canonical 16-byte locators with IPv4 as IPv4-mapped IPv6 (RFC 8046 §4,
// RFC 4291 §2.5.5.2).
import { describe, expect, it } from 'vitest';
import { asLocator, formatLocator, ipv4Bytes, isIpv4Mapped, locatorFamily, locatorFromBytes, locatorKey, locatorRange, parseLocator } from '../../src/addr/index.js';

describe('locators', () => {
  it('asLocator maps a 4-byte IPv4 address (as a socket or a pcap gives it) to ::ffff:a.b.c.d and keeps 16 bytes as they are', () => {
    const four = Uint8Array.of(192, 0, 2, 1);
    expect(asLocator(four)).toEqual(parseLocator('192.0.2.1'));
    const six = parseLocator('2001:db8::1');
    expect(asLocator(six)).toBe(six);
    expect(() => asLocator(new Uint8Array(8), 'src')).toThrow(/"src" expected Uint8Array of length 4 \(IPv4\) or 16, got length=8/);
    expect(formatLocator(four)).toBe('192.0.2.1');
  });

  it('parses IPv4 text into ::ffff:a.b.c.d and formats it back as a dotted quad', () => {
    const l = parseLocator('192.0.2.1');
    expect(Array.from(l)).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1]);
    expect(isIpv4Mapped(l)).toBe(true);
    expect(locatorFamily(l)).toBe('ipv4');
    expect(formatLocator(l)).toBe('192.0.2.1');
    expect(ipv4Bytes(l)).toEqual(Uint8Array.of(192, 0, 2, 1));
  });

  it('IPv4-mapped IPv6 text is the same locator as the IPv4 text', () => {
    expect(parseLocator('::ffff:192.0.2.1')).toEqual(parseLocator('192.0.2.1'));
    expect(locatorKey(parseLocator('::ffff:c000:201'))).toBe(locatorKey(parseLocator('192.0.2.1')));
  });

  it('IPv6 text round-trips in RFC 5952 form', () => {
    const l = parseLocator('2001:0DB8:0:0:0:0:0:1');
    expect(isIpv4Mapped(l)).toBe(false);
    expect(locatorFamily(l)).toBe('ipv6');
    expect(formatLocator(l)).toBe('2001:db8::1');
    expect(ipv4Bytes(l)).toBeUndefined();
  });

  it('IPv4-compatible (::a.b.c.d, deprecated) and NAT64 addresses are not IPv4-mapped', () => {
    expect(isIpv4Mapped(parseLocator('::c000:201'))).toBe(false);
    expect(isIpv4Mapped(parseLocator('64:ff9b::c000:201'))).toBe(false);
    expect(isIpv4Mapped(new Uint8Array(4))).toBe(false);
  });

  it('locatorFromBytes takes 4 or 16 bytes and copies', () => {
    const v4 = Uint8Array.of(10, 0, 0, 1);
    expect(formatLocator(locatorFromBytes(v4))).toBe('10.0.0.1');
    const v6 = parseLocator('2001:db8::2');
    const c = locatorFromBytes(v6);
    expect(c).toEqual(v6);
    expect(c).not.toBe(v6);
    expect(() => locatorFromBytes(new Uint8Array(5))).toThrow(RangeError);
  });

  it('rejects bad text and bad lengths', () => {
    expect(() => parseLocator('300.1.1.1')).toThrow(TypeError);
    expect(() => parseLocator('2001:db8::g')).toThrow(TypeError);
    expect(() => formatLocator(new Uint8Array(5))).toThrow(RangeError);
  });

  it('ranges are judged in the locator\'s own family', () => {
    expect(locatorRange(parseLocator('10.1.2.3'))).toBe('private');
    expect(locatorRange(parseLocator('fe80::1'))).toBe('linkLocal');
    expect(locatorRange(parseLocator('2001:20::1'))).toBe('orchid2');
  });
});

describe('locator helpers take 4-byte IPv4 addresses as a socket or a pcap gives them (RFC 8046 §4.2)', () => {
  const four = Uint8Array.of(192, 0, 2, 1);
  const mapped = parseLocator('192.0.2.1');

  it('locatorKey: the 4-byte address and its IPv4-mapped locator are one map key', () => {
    expect(locatorKey(four)).toBe(locatorKey(mapped));
    expect(locatorKey(four)).not.toBe(locatorKey(Uint8Array.of(192, 0, 2, 2)));
  });

  it('locatorFamily is ipv4, ipv4Bytes gives the 4 bytes back as a copy', () => {
    expect(locatorFamily(four)).toBe('ipv4');
    const v4 = ipv4Bytes(four);
    expect(v4).toEqual(four);
    expect(v4).not.toBe(four);
  });

  it('locatorRange judges a 4-byte address as IPv4', () => {
    expect(locatorRange(Uint8Array.of(10, 1, 2, 3))).toBe('private');
    expect(locatorRange(Uint8Array.of(127, 0, 0, 1))).toBe('loopback');
    expect(() => locatorRange(new Uint8Array(5))).toThrow(RangeError);
  });
});
