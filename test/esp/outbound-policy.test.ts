// Outbound SA selection (RFC 8047 §4.3 load balancing, RFC 8046 mobility) and counters.
import { describe, expect, it } from 'vitest';
import {
  EspDataPlane,
  preferredPath,
  spreadFlows,
  type OutboundPolicy,
  type OutboundSaView,
} from '../../src/esp/index.js';
import { ESP_SUITE } from '../../src/types.js';
import { parseLocator } from '../../src/addr/locator.js';
import { HIT_A, HIT_B, HIT_C, LOC_A, LOC_A4, LOC_B, LOC_B4, bytesOf, patternRandom, saPair } from './helpers.js';

const SUITE = ESP_SUITE.AES_GCM_16;

function withSas(spis: readonly number[], opts: { policy?: OutboundPolicy } = {}) {
  const dp = new EspDataPlane({ random: patternRandom(), ...opts });
  for (const [i, spi] of spis.entries()) {
    dp.addSa(saPair(SUITE, spi, { seed: i + 1, src: parseLocator(`2001:db8::${i + 1}`), dst: LOC_B }).out);
  }
  return dp;
}

function spiOf(dp: EspDataPlane, opts: { flowKey?: string; spi?: number } = {}, peer = HIT_B): number | string {
  const r = dp.protect(peer, bytesOf(10), opts);
  return r.ok ? r.packet.spi : r.reason;
}

describe('preferredPath (default policy)', () => {
  it('uses the most recently installed SA (a rekey takes over at once)', () => {
    const dp = withSas([0x100, 0x200]);
    expect(spiOf(dp)).toBe(0x200);
    dp.addSa(saPair(SUITE, 0x300, { seed: 9 }).out);
    expect(spiOf(dp)).toBe(0x300);
    dp.deleteSa(0x300, 'out');
    expect(spiOf(dp)).toBe(0x200);
  });

  it('setPreferred(spi) wins over installation order until that SA goes', () => {
    const dp = withSas([0x100, 0x200, 0x300]);
    expect(dp.setPreferred(0x100)).toBe(true);
    expect(spiOf(dp)).toBe(0x100);
    expect(spiOf(dp, { flowKey: 'x' })).toBe(0x100); // preferredPath ignores flow keys
    expect(dp.outboundSas(HIT_B).map((v) => [v.spi, v.preferred])).toEqual([
      [0x100, true],
      [0x200, false],
      [0x300, false],
    ]);
    dp.setPreferred(0x200);
    expect(spiOf(dp)).toBe(0x200);
    expect(dp.outboundSas(HIT_B).filter((v) => v.preferred).length).toBe(1);
    dp.deleteSa(0x200, 'out');
    expect(spiOf(dp)).toBe(0x300);
    expect(dp.setPreferred(0x999)).toBe(false);
  });

  it('keeps peers apart', () => {
    const dp = withSas([0x100]);
    dp.addSa({ ...saPair(SUITE, 0x500).out, peerHit: HIT_C });
    expect(spiOf(dp, {}, HIT_B)).toBe(0x100);
    expect(spiOf(dp, {}, HIT_C)).toBe(0x500);
    expect(spiOf(dp, { spi: 0x500 }, HIT_B)).toBe('no-sa');
  });

  it('opts.spi bypasses the policy', () => {
    const dp = withSas([0x100, 0x200]);
    expect(spiOf(dp, { spi: 0x100 })).toBe(0x100);
  });
});

describe('spreadFlows', () => {
  it('keeps one flow on one SA and spreads many flows roughly evenly', () => {
    const spis = [0x1001, 0x2002, 0x3003, 0x4004];
    const dp = withSas(spis, { policy: spreadFlows });
    const counts = new Map<number, number>();
    const flows = 4000;
    const chosen = new Map<string, number>();
    for (let f = 0; f < flows; f++) {
      const key = `10.0.${f >> 8}.${f & 255}:${1024 + f}->10.1.0.1:443/udp`;
      const spi = spiOf(dp, { flowKey: key }) as number;
      chosen.set(key, spi);
      counts.set(spi, (counts.get(spi) ?? 0) + 1);
    }
    for (const spi of spis) {
      const c = counts.get(spi) ?? 0;
      expect(c, `SA ${spi.toString(16)}`).toBeGreaterThan((flows / spis.length) * 0.8);
      expect(c).toBeLessThan((flows / spis.length) * 1.2);
    }
    // Every later packet of a flow takes the same SA.
    for (const [key, spi] of [...chosen].slice(0, 200)) expect(spiOf(dp, { flowKey: key })).toBe(spi);
  });

  it('removing one SA moves only the flows that were on it (rendezvous hashing)', () => {
    const dp = withSas([0x1001, 0x2002, 0x3003], { policy: spreadFlows });
    const before = new Map<string, number>();
    for (let f = 0; f < 600; f++) before.set(`flow-${f}`, spiOf(dp, { flowKey: `flow-${f}` }) as number);
    dp.deleteSa(0x2002, 'out');
    for (const [key, spi] of before) {
      const now = spiOf(dp, { flowKey: key });
      if (spi !== 0x2002) expect(now).toBe(spi);
      else expect([0x1001, 0x3003]).toContain(now);
    }
  });

  it('without a flow key it falls back to preferredPath', () => {
    const dp = withSas([0x1001, 0x2002], { policy: spreadFlows });
    expect(spiOf(dp)).toBe(0x2002);
  });

  it('is a plain function over the context', () => {
    const view = (spi: number, serial: number): OutboundSaView => ({
      spi,
      peerHit: HIT_B,
      localHit: HIT_A,
      src: LOC_A,
      dst: LOC_B,
      suite: SUITE,
      preferred: false,
      installSerial: serial,
      creditLimited: false,
    });
    const sas = [view(1, 1), view(2, 2)];
    expect(spreadFlows({ peerHit: HIT_B, flowKey: 'a', sas })).toBe(spreadFlows({ peerHit: HIT_B, flowKey: 'a', sas }));
    expect(preferredPath({ peerHit: HIT_B, sas })).toBe(sas[1]);
  });
});

describe('custom policies', () => {
  it('may refuse (policy-refused) and must return one of ctx.sas', () => {
    const dp = withSas([0x100]);
    dp.setPolicy(() => undefined);
    expect(spiOf(dp)).toBe('policy-refused');
    expect(dp.stats().drops['policy-refused']).toBe(1);
    dp.setPolicy(({ sas }) => ({ ...sas[0]! }));
    expect(() => dp.protect(HIT_B, bytesOf(1))).toThrow(/policy/);
  });

  it('sees the flow key, the peer and the usable SAs', () => {
    const seen: unknown[] = [];
    const dp = withSas([0x100, 0x200], {
      policy: (ctx) => {
        seen.push([ctx.flowKey, ctx.peerHit, ctx.sas.map((s) => s.spi)]);
        return ctx.sas[0];
      },
    });
    spiOf(dp, { flowKey: 'k' });
    spiOf(dp);
    expect(seen).toEqual([
      ['k', HIT_B, [0x100, 0x200]],
      [undefined, HIT_B, [0x100, 0x200]],
    ]);
  });
});

describe('updateSaLocators (mobility without a new SA, RFC 8046)', () => {
  it('changes the outer addresses, keeps SPI and sequence numbers', () => {
    const dp = new EspDataPlane({ random: patternRandom() });
    const rx = new EspDataPlane({ random: patternRandom() });
    const pair = saPair(SUITE, 0x100);
    dp.addSa(pair.out);
    rx.addSa(pair.in);
    const p1 = dp.protect(HIT_B, bytesOf(10));
    expect(dp.updateSaLocators(0x100, LOC_A4, LOC_B4)).toBe(true);
    const p2 = dp.protect(HIT_B, bytesOf(10));
    if (!p1.ok || !p2.ok) throw new Error('drop');
    expect([p1.packet.src, p1.packet.dst]).toEqual([LOC_A, LOC_B]);
    expect([p2.packet.src, p2.packet.dst, p2.packet.spi, p2.packet.seq]).toEqual([LOC_A4, LOC_B4, 0x100, 2]);
    expect(dp.outboundSas(HIT_B)[0]!.dst).toEqual(LOC_B4);
    expect(rx.unprotect(p1.packet.bytes, p1.packet.src, p1.packet.dst).ok).toBe(true);
    expect(rx.unprotect(p2.packet.bytes, p2.packet.src, p2.packet.dst).ok).toBe(true);
    // Per-path counters on both sides, keyed by formatLocator text.
    const tx = dp.stats().paths;
    expect(Object.keys(tx).sort()).toEqual(['192.0.2.1→198.51.100.2', '2001:db8::a→2001:db8::b']);
    expect(tx['192.0.2.1→198.51.100.2']!.txPackets).toBe(1);
    expect(tx['2001:db8::a→2001:db8::b']!.txBytes).toBe(p1.packet.bytes.length);
    const rxp = rx.stats().paths;
    expect(rxp['192.0.2.1→198.51.100.2']!.rxPackets).toBe(1);
    expect(rxp['2001:db8::a→2001:db8::b']!.rxPackets).toBe(1);
    expect(dp.updateSaLocators(0x999, LOC_A, LOC_B)).toBe(false);
    expect(() => dp.updateSaLocators(0x100, new Uint8Array(4), LOC_B)).toThrow(/src/);
  });
});

describe('outbound SPIs of different peers may collide', () => {
  it('are told apart by peerHit; ambiguity throws', () => {
    const dp = new EspDataPlane({ random: patternRandom() });
    dp.addSa(saPair(SUITE, 0x100).out);
    dp.addSa({ ...saPair(SUITE, 0x100, { seed: 5 }).out, peerHit: HIT_C });
    expect(() => dp.addSa(saPair(SUITE, 0x100).out)).toThrow(/sa\.spi/);
    expect(() => dp.deleteSa(0x100, 'out')).toThrow(/peerHit/);
    expect(dp.deleteSa(0x100, 'out', HIT_C)).toBe(true);
    expect(spiOf(dp, {}, HIT_C)).toBe('no-sa');
    expect(spiOf(dp, {}, HIT_B)).toBe(0x100);
    expect(dp.deleteSa(0x100, 'out')).toBe(true);
    expect(spiOf(dp, {}, HIT_B)).toBe('no-sa');
  });
});

describe('stats()', () => {
  it('counts per SA and in total, and survives as a snapshot', () => {
    const dp = new EspDataPlane({ random: patternRandom() });
    const rx = new EspDataPlane({ random: patternRandom() });
    const pair = saPair(SUITE, 0x100);
    dp.addSa(pair.out);
    rx.addSa(pair.in);
    let bytes = 0;
    for (let i = 0; i < 5; i++) {
      const r = dp.protect(HIT_B, bytesOf(100));
      if (!r.ok) throw new Error('drop');
      bytes += r.packet.bytes.length;
      rx.unprotect(r.packet.bytes, r.packet.src, r.packet.dst);
    }
    const snap = dp.stats();
    dp.protect(HIT_B, bytesOf(1));
    expect(snap.txPackets).toBe(5);
    expect(snap.txBytes).toBe(bytes);
    expect(snap.sas).toEqual([
      expect.objectContaining({ spi: 0x100, direction: 'out', packets: 5, bytes, seq: 5, suite: SUITE, peerHit: HIT_B }),
    ]);
    const r = rx.stats();
    expect([r.rxPackets, r.rxBytes]).toEqual([5, bytes]);
    expect(r.sas[0]).toEqual(expect.objectContaining({ spi: 0x100, direction: 'in', packets: 5, seq: 5, peerHit: HIT_A }));
  });
});
