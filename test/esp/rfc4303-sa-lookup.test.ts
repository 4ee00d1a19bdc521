// RFC 4303 §3.4.2 (inbound SA lookup by SPI) and §3.3.2 (outbound SA lookup), through the data
// plane's lookup caches: SPIs and HITs that share their low bits each find their own SA, and a
// deleted SA is gone at once, even right after it carried a packet.
import { describe, expect, it } from 'vitest';
import { EspDataPlane } from '../../src/esp/index.js';
import { ESP_SUITE, type SaSpec } from '../../src/types.js';
import { HIT_A, HIT_B, keysFor, LOC_A, LOC_B, patternRandom } from './helpers.js';

const SUITE = ESP_SUITE.AES_128_CBC_HMAC_SHA256;
/** A peer HIT whose last byte is HIT_B's plus 0x40, 0x80 or 0xc0 (the same low bits). */
function hitLike(last: number): Uint8Array {
  const h = HIT_B.slice();
  h[15] = last;
  h[8] = last; // and a different middle, so the HITs differ in more than one place
  return h;
}

function sa(spi: number, direction: 'in' | 'out', peerHit: Uint8Array, seed: number): SaSpec {
  const { encKey, authKey } = keysFor(SUITE, seed);
  return direction === 'out'
    ? { spi, direction, localHit: HIT_A, peerHit, src: LOC_A, dst: LOC_B, suite: SUITE, encKey, authKey }
    : { spi, direction, localHit: peerHit, peerHit: HIT_A, src: LOC_A, dst: LOC_B, suite: SUITE, encKey, authKey };
}

function plane(): EspDataPlane {
  return new EspDataPlane({ random: patternRandom() });
}

describe('RFC 4303 §3.4.2: "the receiver uses the SPI to find the SA"', () => {
  it('SPIs that differ only above the low byte each open with their own SA (§3.4.2 lookup)', () => {
    const spis = [0x11000007, 0x22000007, 0x33000007, 0x00000107];
    const tx = spis.map((spi, i) => {
      const dp = plane();
      dp.addSa(sa(spi, 'out', HIT_B, i + 1));
      return dp;
    });
    const rx = plane();
    spis.forEach((spi, i) => rx.addSa(sa(spi, 'in', HIT_B, i + 1)));
    // Interleaved, twice, so each lookup follows one on a colliding SPI.
    for (let round = 0; round < 2; round++) {
      spis.forEach((spi, i) => {
        const p = tx[i]!.protect(HIT_B, Uint8Array.of(i, round));
        if (!p.ok) throw new Error(p.reason);
        const r = rx.unprotect(p.packet.bytes, LOC_A, LOC_B);
        expect(r.ok && r.spi).toBe(spi);
        expect(r.ok && Array.from(r.payload)).toEqual([i, round]);
      });
    }
    expect(rx.stats().sas.filter((s) => s.direction === 'in').map((s) => s.packets)).toEqual([2, 2, 2, 2]);
  });

  it('a deleted inbound SA drops the next packet as unknown-spi, right after one it accepted', () => {
    const tx = plane();
    const rx = plane();
    tx.addSa(sa(0x5000_0042, 'out', HIT_B, 1));
    rx.addSa(sa(0x5000_0042, 'in', HIT_B, 1));
    const p1 = tx.protect(HIT_B, Uint8Array.of(1));
    const p2 = tx.protect(HIT_B, Uint8Array.of(2));
    if (!p1.ok || !p2.ok) throw new Error('protect failed');
    expect(rx.unprotect(p1.packet.bytes, LOC_A, LOC_B).ok).toBe(true);
    expect(rx.deleteSa(0x5000_0042, 'in')).toBe(true);
    expect(rx.unprotect(p2.packet.bytes, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'unknown-spi' });
    // A new SA on an SPI with the same low byte is found, not the deleted one.
    rx.addSa(sa(0x6000_0042, 'in', HIT_B, 2));
    expect(rx.unprotect(p2.packet.bytes, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'unknown-spi' });
  });
});

describe('RFC 4303 §3.3.2: outbound SA lookup by the peer', () => {
  it('peers whose HITs share the low bits each get their own SA', () => {
    const dp = plane();
    const peers = [HIT_B, hitLike(0x42), hitLike(0x82), hitLike(0xc2)];
    peers.forEach((h, i) => dp.addSa(sa(0x100 + i, 'out', h, i + 1)));
    for (let round = 0; round < 2; round++) {
      peers.forEach((h, i) => {
        const r = dp.protect(h, Uint8Array.of(i));
        expect(r.ok && r.packet.spi).toBe(0x100 + i);
      });
    }
  });

  it('after the last SA of a peer is deleted, protect to it is refused with no-sa', () => {
    const dp = plane();
    dp.addSa(sa(0x100, 'out', HIT_B, 1));
    expect(dp.protect(HIT_B, Uint8Array.of(1)).ok).toBe(true);
    expect(dp.deleteSa(0x100, 'out')).toBe(true);
    expect(dp.protect(HIT_B, Uint8Array.of(2))).toEqual({ ok: false, reason: 'no-sa' });
    // A colliding peer installed afterwards does not inherit anything of the old one.
    const other = hitLike(0x42);
    dp.addSa(sa(0x200, 'out', other, 2));
    expect(dp.protect(HIT_B, Uint8Array.of(3))).toEqual({ ok: false, reason: 'no-sa' });
    const r = dp.protect(other, Uint8Array.of(4));
    expect(r.ok && r.packet.spi).toBe(0x200);
  });

  it('a caller that rewrites its HIT array between calls gets the SA of the new bytes', () => {
    const dp = plane();
    const other = hitLike(0x42);
    dp.addSa(sa(0x100, 'out', HIT_B, 1));
    dp.addSa(sa(0x200, 'out', other, 2));
    const buf = HIT_B.slice();
    const r1 = dp.protect(buf, Uint8Array.of(1));
    buf.set(other);
    const r2 = dp.protect(buf, Uint8Array.of(2));
    expect(r1.ok && r1.packet.spi).toBe(0x100);
    expect(r2.ok && r2.packet.spi).toBe(0x200);
  });
});
