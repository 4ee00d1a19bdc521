import { engineInternals } from '../../src/engine/hip-engine.js';
import { expect } from 'vitest';
import type { Pair } from './pair.js';
import { toHex } from '../../src/util/bytes.js';

/** Every inbound SA of one side is an outbound SA of the other with the same keys and suite. */
export function expectSasCrossed(p: Pair): void {
  const a = [...p.sas.a.values()];
  const b = [...p.sas.b.values()];
  expect(a.length).toBeGreaterThan(0);
  expect(a.length).toBe(b.length);
  for (const sa of a) {
    const other = b.find((x) => x.spi === sa.spi && x.direction !== sa.direction);
    expect(other, `SPI ${sa.spi} (${sa.direction}) has no counterpart`).toBeDefined();
    expect(toHex(other!.encKey)).toBe(toHex(sa.encKey));
    expect(toHex(other!.authKey)).toBe(toHex(sa.authKey));
    expect(other!.suite).toBe(sa.suite);
    expect(toHex(other!.src)).toBe(toHex(sa.src));
    expect(toHex(other!.dst)).toBe(toHex(sa.dst));
  }
}

export function dropsOf(p: Pair, side: 'a' | 'b'): string[] {
  return p.events(side).flatMap((e) => (e.type === 'dropped' ? [e.reason] : []));
}

import { computeMac, signPacket } from '../../src/crypto/auth.js';
import { nobleCrypto } from '../../src/crypto/noble.js';
import { encodePacket } from '../../src/wire/packet.js';
import type { ParamInit } from '../../src/wire/types.js';
import type { Locator } from '../../src/types.js';

/**
 * Builds an UPDATE that `side` could have sent (valid HIP_MAC and HIP_SIGNATURE), with
 * parameters of the test's choosing: how a test plays a peer that behaves in ways our own engine
 * never would (unknown locator types, floods). Reads the sender's keys from engine internals.
 */
export function forgeUpdate(p: Pair, side: 'a' | 'b', params: readonly ParamInit[], src: Locator, dst: Locator): Uint8Array {
  return forgePacket(p, side, 'UPDATE', params, src, dst);
}

/** forgeUpdate for any packet kind that carries HIP_MAC and HIP_SIGNATURE (UPDATE, CLOSE, ...). */
export function forgePacket(p: Pair, side: 'a' | 'b', kind: 'UPDATE' | 'CLOSE' | 'CLOSE_ACK', params: readonly ParamInit[], src: Locator, dst: Locator): Uint8Array {
  const engine = engineInternals(p.engine(side)) as unknown as { assocs: Map<number, { state: { keys: { rhash: 'sha256' | 'sha384' | 'sha1'; macOut: Uint8Array } }; local: Parameters<typeof signPacket>[1]; localHit: Uint8Array; peerHit: Uint8Array }> };
  const assoc = [...engine.assocs.values()][0]!;
  const crypto = nobleCrypto();
  const base = { kind, senderHit: assoc.localHit, receiverHit: assoc.peerHit };
  const all: ParamInit[] = [...params];
  all.push({ kind: 'HIP_MAC', hmac: computeMac(crypto, assoc.state.keys.rhash, assoc.state.keys.macOut, encodePacket({ ...base, params: all })) });
  const sig = signPacket(crypto, assoc.local, encodePacket({ ...base, params: all }), (n) => new Uint8Array(n).fill(7));
  all.push({ kind: 'HIP_SIGNATURE', algorithm: sig.algorithm, signature: sig.signature });
  return encodePacket({ ...base, params: all }, { src, dst });
}
