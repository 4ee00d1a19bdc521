// RFC 7401 §5.3.8-9, §6.14-§6.15 (CLOSE, CLOSE_ACK) and the association lifetime (Tables 6-8).
import { describe, expect, it } from 'vitest';
import { Pair } from './pair.js';
import { dropsOf } from './helpers.js';

function established(opts: ConstructorParameters<typeof Pair>[0] = {}) {
  const p = new Pair(opts);
  const idA = p.connect('a');
  p.runUntil(() => p.state('a') === 'ESTABLISHED');
  p.run(p.now + 11_000);
  return { p, idA, idB: p.b.associations()[0]!.id };
}

describe('RFC 7401 §6.14-§6.15 CLOSE', () => {
  it('CLOSE / CLOSE_ACK removes both associations and every SA', () => {
    const { p, idA, idB } = established();
    p.a.close(idA, p.now);
    p.drain('a');
    expect(p.state('a')).toBe('CLOSING');
    p.run(p.now + 1000);
    expect(p.log.slice(-2).map((l) => `${l.from}:${l.kind}`)).toEqual(['a:CLOSE', 'b:CLOSE_ACK']);
    expect(p.a.associations()).toHaveLength(0);
    expect(p.events('a')).toContainEqual({ type: 'closed', assoc: idA, by: 'local' });
    expect(p.events('b')).toContainEqual({ type: 'closed', assoc: idB, by: 'peer' });
    expect(p.state('b')).toBe('CLOSED');
    expect(p.sas.a.size).toBe(0);
    expect(p.sas.b.size).toBe(0);
    // CLOSED lingers UAL + 2 MSL, then the state is discarded (Table 8).
    p.run(p.now + 15 * 60_000 + 4 * 60_000 + 1);
    expect(p.b.associations()).toHaveLength(0);
  });

  it('retransmits CLOSE when it is lost and when the CLOSE_ACK is lost', () => {
    for (const lost of ['CLOSE', 'CLOSE_ACK']) {
      const { p, idA } = established();
      let dropped = false;
      p.filter = (x) => (x.packet.kind === lost && !dropped ? ((dropped = true), 'drop') : 'pass');
      p.a.close(idA, p.now);
      p.drain('a');
      p.run(p.now + 5000);
      expect(dropped).toBe(true);
      expect(p.a.associations()).toHaveLength(0);
      expect(p.events('a')).toContainEqual({ type: 'closed', assoc: idA, by: 'local' });
    }
  });

  it('simultaneous CLOSEs that cross in flight both end the association (§6.14)', () => {
    const { p, idA, idB } = established();
    p.a.close(idA, p.now);
    p.b.close(idB, p.now);
    p.drain('a');
    p.drain('b');
    p.run(p.now + 2000);
    expect(p.a.associations()).toHaveLength(0);
    expect(p.b.associations()).toHaveLength(0);
  });

  it('gives up CLOSING after UAL + MSL without a CLOSE_ACK (Table 7)', () => {
    const { p, idA } = established({ config: { ualMs: 60_000, mslMs: 10_000 } });
    p.filter = () => 'drop';
    const t0 = p.now;
    p.a.close(idA, p.now);
    p.drain('a');
    p.run(t0 + 70_001);
    expect(p.a.associations()).toHaveLength(0);
    expect(p.events('a')).toContainEqual({ type: 'closed', assoc: idA, by: 'local' });
  });

  it('drops a CLOSE_ACK whose HIP_MAC does not verify and stays in CLOSING', async () => {
    const { encodePacket } = await import('../../src/wire/packet.js');
    const { p, idA } = established();
    p.filter = (x) => {
      if (x.packet.kind !== 'CLOSE_ACK') return 'pass';
      const params = x.packet.params.map((q) => (q.kind === 'ECHO_RESPONSE_SIGNED' ? { ...q, opaque: q.opaque.map((b) => b ^ 1) } : q));
      return { replace: encodePacket({ ...x.packet, params }, { src: x.src, dst: x.dst }) };
    };
    p.a.close(idA, p.now);
    p.drain('a');
    p.run(p.now + 100);
    expect(dropsOf(p, 'a')).toContain('bad-mac');
    expect(p.state('a')).toBe('CLOSING');
  });

  it('closing a half-open association abandons it locally', () => {
    const p = new Pair();
    p.filter = () => 'drop';
    const id = p.connect('a');
    p.a.close(id, p.now);
    p.drain('a');
    expect(p.a.associations()).toHaveLength(0);
    expect(p.events('a')).toContainEqual({ type: 'closed', assoc: id, by: 'local' });
  });
});

describe('RFC 7401 Table 6: Unused Association Lifetime', () => {
  it('an idle association is closed after UAL with closed by lifetime', () => {
    const { p, idA } = established({ config: { ualMs: 30_000 } });
    p.run(p.now + 31_000);
    expect(p.log.some((l) => l.kind === 'CLOSE')).toBe(true);
    p.run(p.now + 2000);
    expect(p.events('a').concat(p.events('b'))).toContainEqual({ type: 'closed', assoc: idA, by: 'lifetime' });
  });

  it('data seen on the SA keeps the association alive', () => {
    const { p, idA, idB } = established({ config: { ualMs: 30_000 } });
    const t0 = p.now;
    // Data both ways every 10 s for a minute: two UAL periods pass without a CLOSE.
    for (let t = 0; t < 6; t++) {
      p.run(p.now + 10_000);
      for (const [side, id] of [['a', idA], ['b', idB]] as const) {
        const info = p.engine(side).association(id)!;
        p.engine(side).handle({ kind: 'esp-seen', spi: info.sas[0]!.localSpi, src: info.peerLocator, dst: info.localLocator }, p.now);
        p.drain(side);
      }
    }
    expect(p.now - t0).toBeGreaterThanOrEqual(60_000);
    expect(p.log.filter((l) => l.kind === 'CLOSE')).toHaveLength(0);
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(p.state('b')).toBe('ESTABLISHED');
  });
});

describe('esp-seen and R2-SENT (§6.9 step 21)', () => {
  it('data on the new SA moves the Responder from R2-SENT to ESTABLISHED at once', () => {
    const p = new Pair();
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    expect(p.state('b')).toBe('R2_SENT');
    const b = p.b.associations()[0]!;
    p.b.handle({ kind: 'esp-seen', spi: b.sas[0]!.localSpi, src: b.peerLocator, dst: b.localLocator }, p.now);
    p.drain('b');
    expect(p.state('b')).toBe('ESTABLISHED');
  });

  it('esp-seen on the SPI of a discarded association is unknown-spi, even right after data on it (Table 8: the state is gone)', () => {
    const { p, idA } = established();
    const b = p.b.associations()[0]!;
    const spi = b.sas[0]!.localSpi;
    // Data on the SA while it lives: accepted, no drop.
    p.b.handle({ kind: 'esp-seen', spi, src: b.peerLocator, dst: b.localLocator }, p.now);
    p.drain('b');
    expect(dropsOf(p, 'b')).toEqual([]);
    p.a.close(idA, p.now);
    p.drain('a');
    p.run(p.now + 1000);
    expect(p.state('b')).toBe('CLOSED');
    // CLOSED lingers UAL + 2 MSL, then the association and its SPIs are discarded.
    p.run(p.now + 15 * 60_000 + 4 * 60_000 + 1);
    expect(p.b.associations()).toHaveLength(0);
    p.b.handle({ kind: 'esp-seen', spi, src: b.peerLocator, dst: b.localLocator }, p.now);
    p.drain('b');
    expect(dropsOf(p, 'b')).toEqual(['unknown-spi']);
  });

  it('esp-seen for an unknown SPI is dropped with unknown-spi', () => {
    const p = new Pair();
    p.b.handle({ kind: 'esp-seen', spi: 12345, src: new Uint8Array(16), dst: new Uint8Array(16) }, 0);
    p.drain('b');
    expect(dropsOf(p, 'b')).toEqual(['unknown-spi']);
  });
});
