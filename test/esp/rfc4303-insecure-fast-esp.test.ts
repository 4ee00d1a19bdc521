// EspDataPlaneOptions.insecureFastEsp: the simulation-only mode that skips the cipher and the MAC
// but keeps what RFC 4303 and RFC 8046 make the data plane do: SPIs, sequence numbers, the
// anti-replay window (RFC 4303 §3.4.3), credit (RFC 8046 §5.6) and the packet sizes of the suite.
import { describe, expect, it } from 'vitest';
import { EspDataPlane } from '../../src/esp/index.js';
import type { SaSpec } from '../../src/types.js';
import { ALL_SUITES, HIT_A, HIT_B, LOC_A, LOC_B, NODE_SUITES } from './helpers.js';
import { testRandom } from '../fixtures/keys.js';

function sa(spi: number, direction: 'in' | 'out', suite: SaSpec['suite'] = 8, extra: Partial<SaSpec> = {}): SaSpec {
  const s = NODE_SUITES[suite];
  return {
    spi,
    direction,
    localHit: direction === 'out' ? HIT_A : HIT_B,
    peerHit: direction === 'out' ? HIT_B : HIT_A,
    src: LOC_A,
    dst: LOC_B,
    suite,
    encKey: new Uint8Array(s.encKeyLen).fill(7),
    authKey: new Uint8Array(s.authKeyLen).fill(9),
    ...extra,
  };
}

function planes(fast: boolean, suite: SaSpec['suite'] = 8): { tx: EspDataPlane; rx: EspDataPlane } {
  const tx = new EspDataPlane({ random: testRandom('fast-tx'), insecureFastEsp: fast, allowAuthOnly: true });
  const rx = new EspDataPlane({ random: testRandom('fast-rx'), insecureFastEsp: fast, allowAuthOnly: true });
  tx.addSa(sa(0x1001, 'out', suite));
  rx.addSa(sa(0x1001, 'in', suite));
  return { tx, rx };
}

const payload = Uint8Array.from({ length: 40 }, (_, i) => i + 1);

describe('insecureFastEsp (simulation only)', () => {
  it('is off by default, and says so', () => {
    expect(new EspDataPlane({ random: testRandom('d') }).insecureFastEsp).toBe(false);
    expect(planes(true).tx.insecureFastEsp).toBe(true);
    expect(() => new EspDataPlane({ random: testRandom('d'), insecureFastEsp: 1 as unknown as boolean })).toThrow(/options.insecureFastEsp/);
  });

  it.each(ALL_SUITES.map((s) => [s] as const))('suite %i: same packet size as the real transform, SPI and sequence number in the header (RFC 4303 §2)', (suite) => {
    const real = planes(false, suite);
    const fast = planes(true, suite);
    for (let i = 1; i <= 3; i++) {
      const r = real.tx.protect(HIT_B, payload);
      const f = fast.tx.protect(HIT_B, payload);
      if (!r.ok || !f.ok) throw new Error('protect failed');
      expect(f.packet.bytes.length).toBe(r.packet.bytes.length);
      expect(f.packet.spi).toBe(0x1001);
      expect(f.packet.seq).toBe(i);
      const u = fast.rx.unprotect(f.packet.bytes, LOC_A, LOC_B);
      expect(u.ok && [...u.payload]).toEqual([...payload]);
    }
  });

  it('carries the payload in the clear: it protects nothing (why it is never the default)', () => {
    const { tx } = planes(true);
    const r = tx.protect(HIT_B, payload);
    if (!r.ok) throw new Error('protect failed');
    const at = 8 + NODE_SUITES[8].ivLen;
    expect([...r.packet.bytes.subarray(at, at + payload.length)]).toEqual([...payload]);
  });

  it('keeps the anti-replay window: "a duplicate ... MUST be discarded" (RFC 4303 §3.4.3)', () => {
    const { tx, rx } = planes(true);
    const r = tx.protect(HIT_B, payload);
    if (!r.ok) throw new Error('protect failed');
    expect(rx.unprotect(r.packet.bytes, LOC_A, LOC_B).ok).toBe(true);
    expect(rx.unprotect(r.packet.bytes, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'replay', spi: 0x1001 });
    expect(rx.unprotect(Uint8Array.from(r.packet.bytes).fill(0xee, 0, 4), LOC_A, LOC_B)).toEqual({ ok: false, reason: 'unknown-spi' });
  });

  it('a simulated link corruption is still dropped (keyless checksum in the ICV field)', () => {
    const { tx, rx } = planes(true);
    const r = tx.protect(HIT_B, payload);
    if (!r.ok) throw new Error('protect failed');
    const bad = Uint8Array.from(r.packet.bytes);
    bad[30] = bad[30]! ^ 0x10;
    expect(rx.unprotect(bad, LOC_A, LOC_B)).toEqual({ ok: false, reason: 'bad-icv', spi: 0x1001 });
    // The window did not move on the forged packet: the genuine one is still accepted.
    expect(rx.unprotect(r.packet.bytes, LOC_A, LOC_B).ok).toBe(true);
  });

  it('keeps credit-based authorization: an UNVERIFIED destination gets no more than the credit (RFC 8046 §5.6.1)', () => {
    const tx = new EspDataPlane({ random: testRandom('c'), insecureFastEsp: true });
    tx.addSa(sa(0x2002, 'out', 8, { creditLimited: true }));
    expect(tx.protect(HIT_B, payload, { now: 0 })).toEqual({ ok: false, reason: 'no-credit' });
    // Credit is earned from authenticated packets received from the peer.
    tx.addSa({ ...sa(0x3003, 'in'), localHit: HIT_A, peerHit: HIT_B });
    const peer = new EspDataPlane({ random: testRandom('p'), insecureFastEsp: true });
    peer.addSa({ ...sa(0x3003, 'out'), localHit: HIT_B, peerHit: HIT_A });
    for (let i = 0; i < 2; i++) {
      const r = peer.protect(HIT_A, payload, { now: 0 });
      if (!r.ok) throw new Error('protect failed');
      expect(tx.unprotect(r.packet.bytes, LOC_B, LOC_A, 0).ok).toBe(true);
    }
    expect(tx.protect(HIT_B, payload, { now: 0 }).ok).toBe(true);
  });
});
