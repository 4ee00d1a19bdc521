// RFC 7401 §6.11-§6.12 (UPDATE, SEQ/ACK) and RFC 7402 §6.8-§6.10 (ESP rekeying).
import { describe, expect, it } from 'vitest';
import { Pair } from './pair.js';
import { dropsOf, expectSasCrossed } from './helpers.js';

function established(opts: ConstructorParameters<typeof Pair>[0] = {}): { p: Pair; idA: number; idB: number } {
  const p = new Pair(opts);
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000); // R2-SENT times out into ESTABLISHED on the Responder
  const idB = p.b.associations()[0]!.id;
  return { p, idA, idB };
}

function updates(p: Pair, from?: 'a' | 'b'): string[] {
  return p.log.filter((l) => l.kind === 'UPDATE' && (!from || l.from === from)).map((l) => l.from);
}

describe('RFC 7402 §6.8-§6.10 rekeying', () => {
  it('rekeys from the KEYMAT index without DH: three UPDATEs, new crossed SAs, old ones retired', () => {
    const { p, idA } = established();
    const before = p.a.association(idA)!.sas[0]!;
    p.log.length = 0;
    p.a.rekey(idA, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(updates(p)).toEqual(['a', 'b', 'a']);
    const after = p.a.association(idA)!.sas[0]!;
    expect(after.localSpi).not.toBe(before.localSpi);
    expect(after.peerSpi).not.toBe(before.peerSpi);
    expect(p.events('a')).toContainEqual({ type: 'update-completed', assoc: idA, what: 'rekey' });
    expect(p.events('b').some((e) => e.type === 'update-completed')).toBe(true);
    p.run(p.now + 10_000); // the old inbound SAs retire after the grace period
    expectSasCrossed(p);
    expect([...p.sas.a.values()].map((s) => s.spi).sort()).toEqual([after.localSpi, after.peerSpi].sort());
    // No DH: the U1 ESP_INFO index is the next unused KEYMAT byte, not zero.
    const u1 = p.out.a.find((o) => o.kind === 'transmit' && o.packet.kind === 'UPDATE');
    const info = u1?.kind === 'transmit' ? u1.packet.params.find((x) => x.kind === 'ESP_INFO') : undefined;
    expect(info && info.kind === 'ESP_INFO' && info.keymatIndex).toBeGreaterThan(0);
  });

  it('rekeys with a new Diffie-Hellman: both UPDATEs carry DIFFIE_HELLMAN and KEYMAT index 0', () => {
    const { p, idA } = established();
    const keysBefore = [...p.sas.a.values()].map((s) => s.encKey);
    p.a.rekey(idA, p.now, { newDh: true });
    p.drain('a');
    p.run(p.now + 10_000);
    const ups = [...p.out.a, ...p.out.b].flatMap((o) => (o.kind === 'transmit' && o.packet.kind === 'UPDATE' ? [o.packet] : []));
    const withInfo = ups.filter((u) => u.params.some((x) => x.kind === 'ESP_INFO'));
    expect(withInfo).toHaveLength(2);
    for (const u of withInfo) {
      expect(u.params.some((x) => x.kind === 'DIFFIE_HELLMAN')).toBe(true);
      const info = u.params.find((x) => x.kind === 'ESP_INFO');
      expect(info && info.kind === 'ESP_INFO' && info.keymatIndex).toBe(0);
    }
    expectSasCrossed(p);
    for (const sa of p.sas.a.values()) expect(keysBefore.some((k) => k.every((b, i) => b === sa.encKey[i]))).toBe(false);
  });

  it('simultaneous rekeys from both sides complete with matching SAs (RFC 7402 §6.9 step 3)', () => {
    const { p, idA, idB } = established();
    p.a.rekey(idA, p.now);
    p.b.rekey(idB, p.now);
    p.drain('a');
    p.drain('b');
    p.run(p.now + 10_000);
    expect(p.events('a').filter((e) => e.type === 'update-completed')).toHaveLength(1);
    expect(p.events('b').filter((e) => e.type === 'update-completed')).toHaveLength(1);
    expectSasCrossed(p);
  });

  for (const lost of [0, 1, 2]) {
    it(`completes when UPDATE #${lost + 1} of the rekey is lost (SEQ retransmitted until ACK)`, () => {
      const { p, idA } = established();
      let seen = 0;
      p.filter = (x) => (x.packet.kind === 'UPDATE' && seen++ === lost ? 'drop' : 'pass');
      p.a.rekey(idA, p.now);
      p.drain('a');
      p.run(p.now + 20_000);
      expect(p.events('a').some((e) => e.type === 'update-completed')).toBe(true);
      expect(p.events('b').some((e) => e.type === 'update-completed')).toBe(true);
      expectSasCrossed(p);
    });
  }

  it('ACKs a retransmitted UPDATE again from the cache and does not reprocess it (§6.12.1 step 2)', () => {
    const { p, idA } = established();
    p.a.rekey(idA, p.now);
    p.drain('a');
    const u1 = p.wire.find((x) => x.packet.kind === 'UPDATE')!;
    p.run(p.now + 1000);
    const spisBefore = [...p.sas.b.keys()].sort();
    const sentBefore = p.b.stats().sent.UPDATE ?? 0;
    p.inject('b', u1.bytes);
    expect(p.b.stats().sent.UPDATE).toBe(sentBefore + 1);
    expect([...p.sas.b.keys()].sort()).toEqual(spisBefore);
  });

  it('an old UPDATE replayed after a later one is ACKed again, not reprocessed; one outside the receive window is stale (§6.12)', async () => {
    const { forgeUpdate } = await import('./helpers.js');
    const { LOC_A, LOC_B } = await import('./pair.js');
    const { p, idA } = established();
    p.a.rekey(idA, p.now);
    p.drain('a');
    const u1 = p.wire.find((x) => x.packet.kind === 'UPDATE')!;
    p.run(p.now + 1000);
    p.a.rekey(idA, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    const sasBefore = [...p.sas.b.keys()].sort();
    const sent = p.b.stats().sent.UPDATE ?? 0;
    p.inject('b', u1.bytes);
    expect([...p.sas.b.keys()].sort()).toEqual(sasBefore);
    expect(p.b.stats().sent.UPDATE).toBe(sent + 1);
    expect(dropsOf(p, 'b')).not.toContain('stale-update');
    // Far behind the newest Update ID: dropped as stale, not ACKed.
    p.inject('b', forgeUpdate(p, 'a', [{ kind: 'SEQ', updateId: (1 - 100) >>> 0 }], LOC_A, LOC_B));
    expect(dropsOf(p, 'b')).toContain('stale-update');
    expect(p.b.stats().sent.UPDATE).toBe(sent + 1);
  });

  it('esp-seq-exhausting starts a rekey (RFC 7402 §6.8)', () => {
    const { p, idA } = established();
    const outSpi = p.a.association(idA)!.sas[0]!.peerSpi;
    p.a.handle({ kind: 'esp-seq-exhausting', spi: outSpi }, p.now);
    p.drain('a');
    p.run(p.now + 5000);
    expect(p.events('a')).toContainEqual({ type: 'update-completed', assoc: idA, what: 'rekey' });
  });

  it('declares the association failed when UPDATE retransmissions are exhausted', () => {
    const { p, idA } = established({ config: { updateRetriesMax: 2 } });
    p.filter = () => 'drop';
    p.a.rekey(idA, p.now);
    p.drain('a');
    p.run(p.now + 120_000);
    expect(p.events('a')).toContainEqual({ type: 'failed', assoc: idA, reason: 'update-retries' });
  });

  it('refuses rekey on an association that is not ESTABLISHED with ERR_NOT_ESTABLISHED', () => {
    const p = new Pair();
    const id = p.connect('a');
    expect(() => p.a.rekey(id, 0)).toThrow(expect.objectContaining({ code: 'ERR_NOT_ESTABLISHED' }));
    expect(() => p.a.rekey(999, 0)).toThrow(expect.objectContaining({ code: 'ERR_UNKNOWN_ASSOC' }));
  });
});
