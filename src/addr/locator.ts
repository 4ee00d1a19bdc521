// Canonical locators (RFC 8046 §4): 16 bytes, IPv4 as IPv4-mapped
// IPv6. Text conversion goes through ipaddr.js so that RFC 5952 formatting is not ours to get
// wrong.
import ipaddr from 'ipaddr.js';
import type { Locator } from '../types.js';
import { abytes, toHex } from '../util/bytes.js';

const V4_MAPPED_PREFIX = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff] as const;

/** True when a 16-byte locator is an IPv4-mapped IPv6 address (::ffff:0:0/96). */
export function isIpv4Mapped(loc: Uint8Array): boolean {
  if (loc.length !== 16) return false;
  for (let i = 0; i < 12; i++) if (loc[i] !== V4_MAPPED_PREFIX[i]) return false;
  return true;
}

/** Builds a canonical locator from 4 (IPv4) or 16 (IPv6) address bytes. */
export function locatorFromBytes(bytes: Uint8Array): Locator {
  abytes(bytes, 'bytes');
  if (bytes.length === 16) return Uint8Array.from(bytes);
  if (bytes.length === 4) {
    const out = new Uint8Array(16);
    out[10] = 0xff;
    out[11] = 0xff;
    out.set(bytes, 12);
    return out;
  }
  throw new RangeError(`"bytes" expected Uint8Array of length 4 or 16, got length=${bytes.length}`);
}

/**
 * The canonical 16-byte locator for an address as a socket or a pcap gives it: 4 bytes (IPv4,
 * mapped to ::ffff:a.b.c.d as RFC 8046 §4 and RFC 4291 §2.5.5.2 represent it) or 16 bytes
 * (returned as is, not copied). Throws RangeError naming `field` for any other length.
 */
export function asLocator(bytes: Uint8Array, field = 'locator'): Locator {
  abytes(bytes, field);
  if (bytes.length === 16) return bytes;
  if (bytes.length === 4) return locatorFromBytes(bytes);
  throw new RangeError(`"${field}" expected Uint8Array of length 4 (IPv4) or 16, got length=${bytes.length}`);
}

/**
 * The 4 IPv4 bytes of an IPv4 address (an IPv4-mapped locator, or 4 bytes as a socket gives
 * them; always a copy), or undefined for a real IPv6 one.
 */
export function ipv4Bytes(loc: Locator): Uint8Array | undefined {
  if (loc.length === 4) return Uint8Array.from(loc);
  return isIpv4Mapped(loc) ? loc.slice(12, 16) : undefined;
}

/** Parses IPv4 or IPv6 text into a canonical locator. Throws TypeError on bad text. */
export function parseLocator(text: string): Locator {
  if (typeof text !== 'string' || !ipaddr.isValid(text)) {
    throw new TypeError(`"locator" expected an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
  }
  const addr = ipaddr.parse(text);
  return locatorFromBytes(Uint8Array.from(addr.toByteArray()));
}

/** RFC 5952 text for IPv6; dotted quad for IPv4-mapped locators and 4-byte IPv4 addresses. */
export function formatLocator(address: Locator): string {
  const loc = asLocator(address);
  const v4 = ipv4Bytes(loc);
  if (v4) return ipaddr.fromByteArray(Array.from(v4)).toString();
  return ipaddr.fromByteArray(Array.from(loc)).toString();
}

/**
 * A string key for maps (Uint8Array keys compare by identity): the hex of the 16-byte form, so
 * a 4-byte IPv4 address and its IPv4-mapped locator have the same key.
 */
export function locatorKey(loc: Locator): string {
  return toHex(asLocator(loc));
}

/** The address family of a locator. */
export type LocatorFamily = 'ipv4' | 'ipv6';

/**
 * The family of a locator: 'ipv4' for an IPv4-mapped address (RFC 7401 §5.2.9 carries IPv4 so)
 * or a 4-byte IPv4 address, otherwise 'ipv6'.
 */
export function locatorFamily(loc: Locator): LocatorFamily {
  return loc.length === 4 || isIpv4Mapped(loc) ? 'ipv4' : 'ipv6';
}

/**
 * The ipaddr.js range name of a locator ('unicast', 'linkLocal', 'multicast', 'unspecified',
 * 'broadcast', 'loopback', 'private', 'orchid2', ...), judged in its own family.
 */
export function locatorRange(loc: Locator): string {
  const l = asLocator(loc);
  const v4 = ipv4Bytes(l);
  if (v4) return ipaddr.fromByteArray(Array.from(v4)).range();
  return ipaddr.fromByteArray(Array.from(l)).range();
}
