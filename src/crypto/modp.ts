// MODP Diffie-Hellman groups of RFC 3526 for HIP DH groups 3 (1536-bit), 4 (3072-bit) and
// 11 (2048-bit) (RFC 7401 §5.2.7). The primes come from micro-rsa-dsa-dh's table (modp5,
// modp15, modp14, the RFC 3526 names); the arithmetic is plain bigint.
//
// Wire form: public value g^x mod p and the shared secret are both big-endian, fixed width =
// the byte length of p (left-padded with zeros).
//
// Private exponents are not full width: x has 2·s + 64 bits, s the group's strength estimate
// of RFC 3526 §8 (1536: ~90 → 256-bit x; 2048: ~110 → 288-bit x; 3072: ~130 → 320-bit x),
// which NIST SP 800-56A rev. 3 §5.6.1.1.1 allows for safe-prime groups (at least 2·s bits).
import { DHGroups } from 'micro-rsa-dsa-dh/dh.js';
import { bigIntToBytes, byteLength, bytesToBigInt, modPow } from './bigint.js';
import type { DhGroup, DhGroupId, DhSharedResult } from './provider.js';

/**
 * Checks a peer's MODP public value (RFC 7401 §5.2.7 fixed width; reject 0, 1, p-1 and values
 * not below p, which would force a trivial shared secret). Returns y, or the refusal.
 */
export function checkModpPublic(peerPublic: Uint8Array, p: bigint, len: number): { ok: true; y: bigint } | Extract<DhSharedResult, { ok: false }> {
  if (peerPublic.length !== len) return { ok: false, reason: 'length' };
  const y = bytesToBigInt(peerPublic);
  if (y === 0n) return { ok: false, reason: 'zero' };
  if (y === 1n) return { ok: false, reason: 'one' };
  if (y === p - 1n) return { ok: false, reason: 'p-minus-1' };
  if (y >= p) return { ok: false, reason: 'out-of-range' };
  return { ok: true, y };
}

function modpGroup(id: DhGroupId, name: string, exponentBits: number): DhGroup {
  const group = DHGroups[name];
  if (group === undefined) throw new Error(`micro-rsa-dsa-dh lacks ${name}`);
  const { p, g } = group;
  const len = byteLength(p);
  const expBytes = exponentBits / 8;
  return {
    id,
    kind: 'modp',
    publicValueLength: len,
    sharedSecretLength: len,
    generate(random) {
      let x = bytesToBigInt(random(expBytes));
      x |= 1n << BigInt(exponentBits - 1); // fixed bit length, never 0 or 1
      const privateKey = bigIntToBytes(x, expBytes);
      return { privateKey, publicValue: bigIntToBytes(modPow(g, x, p), len) };
    },
    shared(privateKey, peerPublic): DhSharedResult {
      const checked = checkModpPublic(peerPublic, p, len);
      if (!checked.ok) return checked;
      const z = modPow(checked.y, bytesToBigInt(privateKey), p);
      if (z === 1n || z === 0n) return { ok: false, reason: 'identity' };
      return { ok: true, secret: bigIntToBytes(z, len) };
    },
  };
}

let modpGroups: Map<number, DhGroup> | undefined;

export function modpDhGroup(id: number): DhGroup | undefined {
  modpGroups ??= new Map<number, DhGroup>([
    [3, modpGroup(3, 'modp5', 256)],
    [4, modpGroup(4, 'modp15', 320)],
    [11, modpGroup(11, 'modp14', 288)],
  ]);
  return modpGroups.get(id);
}
