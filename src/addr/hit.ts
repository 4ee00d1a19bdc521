// HIT checks and formatting (RFC 7343 ORCHIDv2, RFC 7401 §3). Derivation from a Host Identity
// lives in crypto/hit.ts; here only what needs no hash.
import ipaddr from 'ipaddr.js';
import type { Hit } from '../types.js';
import { abytes, toHex } from '../util/bytes.js';

/** The ORCHIDv2 prefix 2001:20::/28 (RFC 7343 §2). */
export const ORCHID2_PREFIX = Uint8Array.of(0x20, 0x01, 0x00, 0x20);

/** True when `hit` is 16 bytes inside 2001:20::/28. */
export function isHit(hit: Uint8Array): boolean {
  return (
    hit instanceof Uint8Array &&
    hit.length === 16 &&
    hit[0] === 0x20 &&
    hit[1] === 0x01 &&
    hit[2] === 0x00 &&
    (hit[3]! & 0xf0) === 0x20
  );
}

/** The 4-bit OGA ID (HIT suite) that follows the 28-bit prefix (RFC 7343 §2). */
export function hitSuiteOf(hit: Hit): number {
  abytes(hit, 'hit', 16);
  return hit[3]! & 0x0f;
}

/** RFC 5952 text of a HIT. */
export function formatHit(hit: Hit): string {
  abytes(hit, 'hit', 16);
  return ipaddr.fromByteArray(Array.from(hit)).toString();
}

/** Parses HIT text; throws TypeError unless it is an ORCHIDv2 address. */
export function parseHit(text: string): Hit {
  if (typeof text !== 'string' || !ipaddr.IPv6.isValid(text)) {
    throw new TypeError(`"hit" expected IPv6 text, got ${JSON.stringify(text)}`);
  }
  const hit = Uint8Array.from(ipaddr.IPv6.parse(text).toByteArray());
  if (!isHit(hit)) throw new RangeError(`"hit" expected an address in 2001:20::/28, got ${text}`);
  return hit;
}

/** Map key for a HIT. */
export function hitKey(hit: Hit): string {
  return toHex(hit);
}
