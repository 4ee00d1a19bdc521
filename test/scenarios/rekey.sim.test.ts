// UPDATE rekeying (RFC 7402 §6.8-§6.10) on the simulator with nobleCrypto and ECDSA P-256
// identities (docs/architecture.md, Simulator).
import { describe, expect, it } from 'vitest';
import { Sim, on } from '../../src/testing/index.js';
import { A6, B6, count, establish, exchangeData, expectSasMatch, pair, seed } from './sim-helpers.js';

const spis = (h: ReturnType<typeof pair>['a'], peer: ReturnType<typeof pair>['b']): number[] =>
  h.association(peer)!.sas.flatMap((s) => [s.localSpi, s.peerSpi]);

describe('rekey', () => {
  it('engine.rekey: three UPDATEs, new SPIs both ways, data flows on them, the old SAs go', () => {
    const { sim, a, b } = pair(600);
    establish(sim, a, b);
    exchangeData(sim, a, b, 1);
    const old = spis(a, b);
    const t0 = sim.now;
    a.rekey(b);
    sim.runUntil(() => count(a, 'update-completed') === 1 && count(b, 'update-completed') === 1, { maxTimeMs: 5000 });
    // U1 (A), U2 (B), U3 (A): two round trips... B completes on U3, 1.5 RTT after the command.
    expect(sim.now - t0).toBe(30);
    expect(a.engine.stats().sent.UPDATE).toBe(2);
    expect(b.engine.stats().sent.UPDATE).toBe(1);
    expect(a.eventsOf('update-completed')[0]).toMatchObject({ what: 'rekey' });
    const fresh = spis(a, b);
    expect(fresh.filter((s) => old.includes(s))).toEqual([]);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 3);
    // Data on the new inbound SAs retired the old ones (RFC 7402 §6.10 step 4).
    sim.run(100);
    expect(a.sas.filter((s) => old.includes(s.spi))).toEqual([]);
    expect(b.sas.filter((s) => old.includes(s.spi))).toEqual([]);
    expect(a.sas).toHaveLength(2);
    expect(b.sas).toHaveLength(2);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  it('rekey with a new Diffie-Hellman exchange, started by the Responder', () => {
    const { sim, a, b } = pair(601);
    establish(sim, a, b);
    b.rekey(a, { newDh: true });
    sim.runUntil(() => count(a, 'update-completed') === 1 && count(b, 'update-completed') === 1, { maxTimeMs: 5000 });
    const u1 = sim.trace.records.find((r) => r.dir === 'send' && r.kind === 'UPDATE' && r.host === 'B')!;
    // The U1 carries a DIFFIE_HELLMAN parameter: much bigger than a plain ESP_INFO+SEQ UPDATE.
    expect(u1.fields!['len']).toBeGreaterThan(250);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
  });

  it.each([
    [0, 'U1 (A)'],
    [1, 'U2 (B)'],
    [2, 'U3 (A)'],
  ])('UPDATE #%i (%s) lost once: retransmitted, the rekey completes', (nth) => {
    const { sim, a, b } = pair(610 + nth);
    establish(sim, a, b);
    sim.intercept(on({ kind: 'UPDATE' }, 'drop', { nth }));
    a.rekey(b);
    sim.runUntil(() => count(a, 'update-completed') === 1 && count(b, 'update-completed') === 1, { maxTimeMs: 10_000 });
    expect(sim.trace.records.filter((r) => r.dir === 'drop' && r.kind === 'UPDATE')).toHaveLength(1);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  it('both sides rekey at the same time', () => {
    const { sim, a, b } = pair(620);
    establish(sim, a, b);
    sim.at(sim.now + 10, () => {
      a.rekey(b);
      b.rekey(a);
    });
    sim.runUntil(() => count(a, 'update-completed') >= 1 && count(b, 'update-completed') >= 1, { maxTimeMs: 10_000 });
    sim.run(10_000);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  it('repeated rekeys under a lossy, jittery link keep the SAs in agreement', () => {
    const { sim, a, b } = pair(630, { link: { latencyMs: 20, jitterMs: 30, loss: 0.15 } });
    establish(sim, a, b);
    for (let i = 0; i < 4; i++) {
      const done = count(a, 'update-completed');
      (i % 2 === 0 ? a : b).rekey(i % 2 === 0 ? b : a, { newDh: i === 3 });
      sim.runUntil(() => count(a, 'update-completed') > done && count(b, 'update-completed') > done, { maxTimeMs: 120_000 });
      sim.run(2000);
    }
    expectSasMatch(sim, a, b);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  it('the data plane signalling esp-seq-exhausting makes the engine rekey on its own', () => {
    const sim = new Sim({ seed: seed(640) });
    const a = sim.host('A', { locators: [A6], espOptions: { seqSoftLimit: 5 } });
    const b = sim.host('B', { locators: [B6] });
    sim.link(A6, B6, { latencyMs: 10 });
    establish(sim, a, b);
    const old = spis(a, b);
    for (let i = 0; i < 10; i++) {
      expect(a.send(b, Uint8Array.of(i)).ok).toBe(true);
      sim.run(5);
    }
    sim.run(1000);
    expect(count(a, 'update-completed')).toBe(1);
    expect(count(b, 'update-completed')).toBe(1);
    // Every packet arrived, on the old SA before the switch and on the new one after it.
    expect(b.received.slice(1).map((r) => r.payload[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const spisUsed = new Set(b.received.slice(1).map((r) => r.spi));
    expect(spisUsed.size).toBe(2);
    expect(spis(a, b).filter((s) => old.includes(s))).toEqual([]);
    expectSasMatch(sim, a, b);
  });

  it('an UPDATE that is never acknowledged fails the association after its retries', () => {
    const { sim, a, b } = pair(650);
    establish(sim, a, b);
    sim.linkBetween(A6, B6)!.setUp(false);
    a.rekey(b);
    sim.runUntil(() => count(a, 'failed') === 1, { maxTimeMs: 300_000 });
    expect(a.eventsOf('failed')[0]!.reason).toBe('update-retries');
    expect(a.sas).toEqual([]);
    expect(a.engine.stats().sent.UPDATE).toBe(1 + a.engine.config.updateRetriesMax);
  });
});
