// RFC 8046 §5.6 credit-based authorization in the data plane: an UNVERIFIED destination (engine
// `creditLimited`) gets only as many bytes as the peer has sent us, aged by 7/8 every 5 s.
import { describe, expect, it } from 'vitest';
import { EspDataPlane } from '../../src/esp/index.js';
import type { SaSpec } from '../../src/types.js';
import { parseLocator } from '../../src/addr/locator.js';
import { testRandom } from '../fixtures/keys.js';

const HIT_A = parseLocator('2001:20::a');
const HIT_B = parseLocator('2001:20::b');
const A = parseLocator('2001:db8::a');
const B = parseLocator('2001:db8::b');
const B2 = parseLocator('2001:db8:2::b');
const key = (n: number) => new Uint8Array(n).fill(n);

function sa(spi: number, direction: 'in' | 'out', extra: Partial<SaSpec> = {}): SaSpec {
  return {
    spi,
    direction,
    localHit: direction === 'out' ? HIT_A : HIT_B,
    peerHit: direction === 'out' ? HIT_B : HIT_A,
    src: A,
    dst: B,
    suite: 8,
    encKey: key(16),
    authKey: key(32),
    ...extra,
  };
}

/** A sends through `a` to B's data plane `b` (which holds the matching inbound SA). */
function pair() {
  const a = new EspDataPlane({ random: testRandom('cba-a') });
  const b = new EspDataPlane({ random: testRandom('cba-b') });
  // B -> A traffic earns B credit at A: A's inbound SA 0x200, B's outbound 0x200.
  a.addSa({ ...sa(0x200, 'in'), localHit: HIT_A, peerHit: HIT_B });
  b.addSa({ ...sa(0x200, 'out'), localHit: HIT_B, peerHit: HIT_A, src: B, dst: A });
  return { a, b };
}

describe('RFC 8046 §5.6 credit-based authorization', () => {
  it('sends to an UNVERIFIED destination only within the credit earned from the peer (Figures 8, 9)', () => {
    const { a, b } = pair();
    a.addSa(sa(0x100, 'out', { dst: B2, creditLimited: true }));
    expect(a.protect(HIT_B, new Uint8Array(100), { now: 0 })).toEqual({ ok: false, reason: 'no-credit' });
    // B sends us 3 packets: each authenticated packet adds its size.
    let earned = 0;
    for (let i = 0; i < 3; i++) {
      const pkt = b.protect(HIT_A, new Uint8Array(200), { now: 0 });
      if (!pkt.ok) throw new Error(pkt.reason);
      earned += pkt.packet.bytes.length;
      expect(a.unprotect(pkt.packet.bytes, B, A, 0).ok).toBe(true);
    }
    expect(a.credit(HIT_B, 0)).toBe(earned);
    const sent = a.protect(HIT_B, new Uint8Array(100), { now: 0 });
    expect(sent.ok).toBe(true);
    expect(a.credit(HIT_B, 0)).toBe(earned - (sent.ok ? sent.packet.bytes.length : 0));
    // Spend the rest; then refused again.
    let refused = false;
    for (let i = 0; i < 10 && !refused; i++) refused = !a.protect(HIT_B, new Uint8Array(100), { now: 0 }).ok;
    expect(refused).toBe(true);
    expect(a.stats().drops['no-credit']).toBeGreaterThan(0);
  });

  it('ages credit by 7/8 every 5 seconds (RFC 8046 §5.6.2)', () => {
    const { a, b } = pair();
    const pkt = b.protect(HIT_A, new Uint8Array(1000), { now: 0 });
    if (!pkt.ok) throw new Error(pkt.reason);
    a.unprotect(pkt.packet.bytes, B, A, 0);
    const c0 = a.credit(HIT_B, 0);
    expect(a.credit(HIT_B, 4999)).toBe(c0);
    expect(a.credit(HIT_B, 5000)).toBe(Math.floor(c0 * 7 / 8));
    // Two more intervals at once: (7/8)^2 applied in one step.
    expect(a.credit(HIT_B, 15_000)).toBe(Math.floor(Math.floor((c0 * 7) / 8) * (7 / 8) ** 2));
  });

  it('packets to an ACTIVE destination neither need nor spend credit, and win over credit-limited SAs', () => {
    const { a } = pair();
    a.addSa(sa(0x100, 'out', { dst: B2, creditLimited: true }));
    a.addSa(sa(0x101, 'out'));
    const r = a.protect(HIT_B, new Uint8Array(100), { now: 0 });
    expect(r.ok && r.packet.spi).toBe(0x101);
    expect(a.credit(HIT_B, 0)).toBe(0);
  });

  it('an engine sa update lifts the credit limit once the address is verified', () => {
    const { a } = pair();
    a.addSa(sa(0x100, 'out', { dst: B2, creditLimited: true }));
    expect(a.protect(HIT_B, new Uint8Array(10)).ok).toBe(false);
    expect(a.updateSa({ ...sa(0x100, 'out', { dst: B2 }), encKey: new Uint8Array(0), authKey: new Uint8Array(0) })).toBe(true);
    const r = a.protect(HIT_B, new Uint8Array(10));
    expect(r.ok && r.packet.dst).toEqual(B2);
  });
});
