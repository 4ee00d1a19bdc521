// CLOSE / CLOSE_ACK and the association lifetime (RFC 7401 §5.3.8-9, §6.14-6.15, Tables 6-8) on
// the simulator with nobleCrypto and ECDSA P-256 identities (docs/architecture.md, Simulator).
import { describe, expect, it } from 'vitest';
import { dropFirst } from '../../src/testing/index.js';
import { count, establish, exchangeData, expectSasMatch, pair } from './sim-helpers.js';

describe('close', () => {
  it('engine.close: CLOSE/CLOSE_ACK, closed events on both sides, every SA removed', () => {
    const { sim, a, b } = pair(800);
    establish(sim, a, b);
    exchangeData(sim, a, b, 1);
    a.close(b);
    // A removes its SAs at once and sends CLOSE.
    expect(a.sas).toEqual([]);
    expect(a.association(b)!.state).toBe('CLOSING');
    sim.runUntil(() => count(a, 'closed') === 1, { maxTimeMs: 5000 });
    expect(sim.now - a.eventsOf('closed')[0]!.t).toBe(0);
    expect(a.eventsOf('closed')[0]!.by).toBe('local');
    expect(b.eventsOf('closed').map((e) => e.by)).toEqual(['peer']);
    // CLOSING + CLOSE_ACK → UNASSOCIATED (Table 7); the peer lingers in CLOSED (Table 8).
    expect(a.association(b)).toBeUndefined();
    expect(b.association(a)!.state).toBe('CLOSED');
    expect(b.sas).toEqual([]);
    expect(a.esp.stats().sas).toEqual([]);
    expect(b.esp.stats().sas).toEqual([]);
    expect(a.engine.stats().sent.CLOSE).toBe(1);
    expect(b.engine.stats().sent.CLOSE_ACK).toBe(1);
    // No data plane any more.
    expect(a.send(b, Uint8Array.of(1))).toEqual({ ok: false, reason: 'no-sa' });
    expect(b.send(a, Uint8Array.of(1))).toEqual({ ok: false, reason: 'no-sa' });
    // Both associations are discarded after their CLOSED linger (at most UAL + 2 MSL).
    const { ualMs, mslMs } = a.engine.config;
    sim.runUntil(() => a.association(b) === undefined && b.association(a) === undefined, { maxTimeMs: ualMs + 2 * mslMs + 1000 });
    expect(sim.pending).toBe(0);
    expect(a.engine.pollTimeout()).toBeUndefined();
    expect(b.engine.pollTimeout()).toBeUndefined();
  });

  it.each(['CLOSE', 'CLOSE_ACK'] as const)('%s lost once: CLOSE is retransmitted and both sides close', (kind) => {
    const { sim, a, b } = pair(kind === 'CLOSE' ? 810 : 811);
    establish(sim, a, b);
    sim.intercept(dropFirst(kind));
    const t0 = sim.now;
    a.close(b);
    sim.runUntil(() => count(a, 'closed') === 1 && count(b, 'closed') === 1, { maxTimeMs: 10_000 });
    // The retransmission waited for CLOSE's first timeout.
    expect(sim.now - t0).toBeGreaterThanOrEqual(a.engine.config.closeRetransmitMs);
    expect(a.engine.stats().sent.CLOSE).toBe(2);
    expect(b.engine.stats().sent.CLOSE_ACK).toBe(kind === 'CLOSE' ? 1 : 2);
    expect(a.eventsOf('closed')[0]!.by).toBe('local');
    expect(b.eventsOf('closed')[0]!.by).toBe('peer');
    expect(a.sas).toEqual([]);
    expect(b.sas).toEqual([]);
  });

  it('the unused association lifetime closes an idle association (by lifetime; the peer by peer)', () => {
    const { sim, a, b } = pair(820, { configA: { ualMs: 5000 } });
    establish(sim, a, b);
    const t0 = sim.now;
    sim.runUntil(() => count(a, 'closed') === 1 && count(b, 'closed') === 1, { maxTimeMs: 20_000 });
    expect(a.eventsOf('closed')[0]!.by).toBe('lifetime');
    expect(b.eventsOf('closed')[0]!.by).toBe('peer');
    expect(a.eventsOf('closed')[0]!.t - t0).toBeLessThanOrEqual(5000 + 100);
    expect(a.sas).toEqual([]);
    expect(b.sas).toEqual([]);
  });

  it('traffic keeps the association alive past the lifetime', () => {
    const { sim, a, b } = pair(821, { config: { ualMs: 5000 } });
    establish(sim, a, b);
    for (let i = 0; i < 6; i++) {
      a.send(b, Uint8Array.of(i));
      b.send(a, Uint8Array.of(i));
      sim.run(2000);
    }
    expect(count(a, 'closed') + count(b, 'closed')).toBe(0);
    expectSasMatch(sim, a, b);
  });

  it('a new base exchange after a close sets up a fresh association', () => {
    const { sim, a, b } = pair(830);
    establish(sim, a, b);
    const oldA = a.association(b)!;
    a.close(b);
    sim.runUntil(() => count(a, 'closed') === 1 && count(b, 'closed') === 1, { maxTimeMs: 5000 });
    sim.run(100);
    establish(sim, a, b);
    const fresh = a.association(b)!;
    expect(fresh.sas.map((s) => s.localSpi)).not.toContain(oldA.sas[0]!.localSpi);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
  });

  it('the peer closing an association the other side keeps using', () => {
    const { sim, a, b } = pair(840);
    establish(sim, a, b);
    b.close(a);
    sim.runUntil(() => count(a, 'closed') === 1 && count(b, 'closed') === 1, { maxTimeMs: 5000 });
    expect(a.eventsOf('closed')[0]!.by).toBe('peer');
    expect(b.eventsOf('closed')[0]!.by).toBe('local');
    expect(a.send(b, Uint8Array.of(1))).toEqual({ ok: false, reason: 'no-sa' });
  });
});
