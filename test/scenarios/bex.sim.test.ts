// Base exchange scenarios on the simulator with the real default provider (nobleCrypto) and
// ECDSA P-256 identities (docs/architecture.md, Simulator).
import { describe, expect, it } from 'vitest';
import { Sim, delay, dropFirst, duplicate, fixHipChecksum, on } from '../../src/testing/index.js';
import { count, establish, exchangeData, expectSasMatch, pair, seed } from './sim-helpers.js';

describe('BEX happy path', () => {
  it('establishes in two round trips, then carries data both ways through ESP', () => {
    const { sim, a, b } = pair(42);
    expect(a.identity.keyType).toBe('ecdsa-p256');
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    // I1, R1, I2, R2 over a 10 ms link: the Initiator is ESTABLISHED after 40 ms.
    expect(sim.now).toBe(40);
    expect(b.association(a)!.state).toBe('R2_SENT');
    expect(a.events.map((e) => e.type)).toEqual(['established']);
    expect(a.eventsOf('established')[0]).toMatchObject({ role: 'initiator', peerHit: b.hit, t: 40 });

    // The first ESP packet moves the Responder to ESTABLISHED (RFC 7401 §6.9 step 21).
    const hello = new TextEncoder().encode('hello, B');
    const sent = a.send(b, hello, { flowKey: 'f1' });
    expect(sent.ok).toBe(true);
    sim.runUntil(() => b.received.length === 1, { maxTimeMs: 1000 });
    expect(b.received[0]).toMatchObject({ from: 'A', payload: hello, t: 50, seq: 1 });
    expect(b.established(a)).toBe(true);
    expect(b.eventsOf('established')[0]).toMatchObject({ role: 'responder', peerHit: a.hit, t: 50 });

    exchangeData(sim, a, b, 3);
    expectSasMatch(sim, a, b);

    // Counters: exactly one of each BEX packet, no drops anywhere, ESP counted per side.
    const sa = a.stats();
    const sb = b.stats();
    expect(sa.engine.sent).toEqual({ I1: 1, I2: 1 });
    expect(sa.engine.received).toEqual({ R1: 1, R2: 1 });
    expect(sb.engine.sent).toEqual({ R1: 1, R2: 1 });
    expect(sb.engine.received).toEqual({ I1: 1, I2: 1 });
    expect(sa.engine.drops).toEqual({});
    expect(sb.engine.drops).toEqual({});
    expect(sa.engine.established).toBe(1);
    expect(sa.esp.txPackets).toBe(4);
    expect(sa.esp.rxPackets).toBe(3);
    expect(sb.esp.txPackets).toBe(3);
    expect(sb.esp.rxPackets).toBe(4);
    expect(Object.values(sa.esp.drops).every((n) => n === 0)).toBe(true);
    expect(Object.values(sb.esp.drops).every((n) => n === 0)).toBe(true);
    expect(sa.esp.txBytes).toBe(sb.esp.rxBytes);
    // One SA each way on each side.
    expect(a.sas.map((s) => s.direction).sort()).toEqual(['in', 'out']);
    expect(b.sas.map((s) => s.direction).sort()).toEqual(['in', 'out']);
    const link = sim.linkBetween('2001:db8::a', '2001:db8::b')!.counters;
    expect(link.submitted).toBe(2 + 4);
    expect(link.delivered).toBe(2 + 4);
  });

  it('works over IPv4 and with an ECDSA P-384 and an Ed25519 host', () => {
    const sim = new Sim({ seed: seed(43) });
    const a = sim.host('A', { locators: ['192.0.2.1'], keyType: 'ecdsa-p384' });
    const b = sim.host('B', { locators: ['192.0.2.2'], keyType: 'ed25519' });
    sim.link(a, b, { latencyMs: 5 });
    establish(sim, a, b);
    exchangeData(sim, a, b, 2);
    expectSasMatch(sim, a, b);
  });
});

describe('BEX with one lost packet', () => {
  // Each BEX packet lost once: the retransmission timers recover (aioquic test_connect_with_loss_*).
  it.each([
    ['I1', { I1: 2, I2: 1 }, { R1: 1, R2: 1 }],
    ['R1', { I1: 2, I2: 1 }, { R1: 2, R2: 1 }],
    ['I2', { I1: 1, I2: 2 }, { R1: 1, R2: 1 }],
    ['R2', { I1: 1, I2: 2 }, { R1: 1, R2: 2 }],
  ] as const)('%s lost once still establishes', (kind, sentA, sentB) => {
    const { sim, a, b } = pair(100);
    sim.intercept(dropFirst(kind));
    establish(sim, a, b);
    // The retransmission waited for the first timeout (1 s).
    expect(a.eventsOf('established')[0]!.t).toBeGreaterThan(1000);
    expect(a.engine.stats().sent).toEqual(sentA);
    expect(b.engine.stats().sent).toEqual(sentB);
    expect(count(a, 'established')).toBe(1);
    expect(count(b, 'established')).toBe(1);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 1);
  });
});

describe('BEX with duplicated and reordered packets', () => {
  it('duplicated I2 and R2: one association, one established event per side', () => {
    const { sim, a, b } = pair(200);
    sim.intercept(duplicate({ kind: ['I2', 'R2'] }, 1));
    establish(sim, a, b);
    expect(count(a, 'established')).toBe(1);
    expect(count(b, 'established')).toBe(1);
    // The copy of I2 gets the same R2 again (§6.9 step 4); late R2 copies are dropped in ESTABLISHED.
    expect(b.engine.stats().received.I2).toBe(2);
    expect(b.engine.stats().sent.R2).toBe(2);
    // Two R2s, each delivered twice: the first establishes, the other three are dropped.
    expect(a.engine.stats().received.R2).toBe(4);
    expect(a.eventsOf('dropped').map((d) => [d.reason, d.packetKind])).toEqual([
      ['bad-state', 'R2'],
      ['bad-state', 'R2'],
      ['bad-state', 'R2'],
    ]);
    expect(a.engine.associations()).toHaveLength(1);
    expect(b.engine.associations()).toHaveLength(1);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
  });

  it('every BEX packet duplicated three times', () => {
    const { sim, a, b } = pair(201);
    sim.intercept(duplicate({ kind: ['I1', 'R1', 'I2', 'R2'] }, 2));
    establish(sim, a, b);
    expect(count(a, 'established')).toBe(1);
    expect(count(b, 'established')).toBe(1);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
  });

  it('a late first R1 (overtaken by the R1 answering the I1 retransmission) is ignored', () => {
    const { sim, a, b } = pair(202);
    sim.intercept(delay({ kind: 'R1' }, 1500, { nth: 0 }));
    establish(sim, a, b);
    sim.run(2000);
    const r1s = sim.trace.records.filter((r) => r.dir === 'recv' && r.kind === 'R1').map((r) => r.t);
    expect(r1s).toEqual([1020, 1520]);
    expect(a.eventsOf('dropped').map((d) => d.packetKind)).toEqual(['R1']);
    expect(count(a, 'established')).toBe(1);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 1);
  });

  it('a late first I2 arriving in R2-SENT (after its retransmission) gets the same R2 again', () => {
    const { sim, a, b } = pair(203);
    // I2 #1 leaves at 20 and arrives at 1045; its retransmission leaves at 1020, arrives at 1030.
    sim.intercept(delay({ kind: 'I2' }, 1015, { nth: 0 }));
    establish(sim, a, b);
    sim.run(2000);
    const i2s = sim.trace.records.filter((r) => r.dir === 'recv' && r.kind === 'I2').map((r) => r.t);
    expect(i2s).toEqual([1030, 1045]);
    expect(b.engine.stats().sent.R2).toBe(2);
    expect(a.eventsOf('dropped').map((d) => [d.reason, d.packetKind])).toEqual([['bad-state', 'R2']]);
    expect(count(a, 'established')).toBe(1);
    expect(count(b, 'established')).toBe(1);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 1);
  });

  it('a late first I2 arriving after the Responder saw data changes nothing', () => {
    const { sim, a, b } = pair(203);
    sim.intercept(delay({ kind: 'I2' }, 1500, { nth: 0 }));
    establish(sim, a, b);
    const before = b.association(a)!;
    sim.run(2000);
    const i2s = sim.trace.records.filter((r) => r.dir === 'recv' && r.kind === 'I2').map((r) => r.t);
    expect(i2s).toEqual([1030, 1530]);
    expect(b.eventsOf('dropped').map((d) => d.packetKind)).toEqual(['I2']);
    expect(b.association(a)).toEqual(before);
    expect(count(b, 'established')).toBe(1);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 1);
  });

  it.each([1, 2, 3])('a jittery, reordering, duplicating link (seed %i) still establishes', (s) => {
    const { sim, a, b } = pair(300 + s, { link: { latencyMs: 20, jitterMs: 80, reorder: 0.3, reorderDelayMs: 50, duplicate: 0.3 } });
    establish(sim, a, b);
    expect(count(a, 'established')).toBe(1);
    expect(count(b, 'established')).toBe(1);
    expectSasMatch(sim, a, b);
  });
});

describe('simultaneous initiation', () => {
  it('both connect at t=0: exactly one association per side, ESTABLISHED, with matching SAs', () => {
    const { sim, a, b } = pair(400);
    sim.at(0, () => {
      a.connect(b);
      b.connect(a);
    });
    sim.runUntil(() => a.established(b) || b.established(a), { maxTimeMs: 10_000 });
    // The host with the lower HIT wins as Initiator; the other answers as Responder (§6.7 step 3).
    const [init, resp] = a.established(b) ? [a, b] : [b, a];
    init.send(resp, Uint8Array.of(1));
    sim.runUntil(() => a.established(b) && b.established(a), { maxTimeMs: 10_000 });
    sim.run(30_000);
    expect(a.engine.associations()).toHaveLength(1);
    expect(b.engine.associations()).toHaveLength(1);
    expect(a.engine.associations()[0]!.state).toBe('ESTABLISHED');
    expect(b.engine.associations()[0]!.state).toBe('ESTABLISHED');
    expect(count(a, 'established')).toBe(1);
    expect(count(b, 'established')).toBe(1);
    expect([init.association(resp)!.role, resp.association(init)!.role]).toEqual(['initiator', 'responder']);
    // The Initiator (lower HIT) drops the peer's I1 (§6.7 step 3); the peer's I1-SENT association
    // is taken over by the Initiator's I2.
    expect(init.eventsOf('dropped').map((d) => [d.reason, d.packetKind])).toEqual([['lower-hit', 'I1']]);
    expect(Buffer.compare(init.hit, resp.hit)).toBeLessThan(0);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
  });

  it('simultaneous I2s (both sides already past I1): still one association each', () => {
    // Each side answers the other's I1 with an R1: delay nothing, but make both hosts send I1 and
    // drop the lower-HIT rule's effect by making the I1s cross after the R1s (a slow link).
    const { sim, a, b } = pair(401, { link: { latencyMs: 50 } });
    sim.at(0, () => a.connect(b));
    sim.at(60, () => b.connect(a));
    sim.runUntil(() => a.established(b) && b.established(a), { maxTimeMs: 60_000 });
    sim.run(30_000);
    expect(a.engine.associations()).toHaveLength(1);
    expect(b.engine.associations()).toHaveLength(1);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 1);
  });
});

describe('restart', () => {
  it('a host that lost its state re-runs the base exchange; the peer takes it as a new incarnation', () => {
    const { sim, a, b } = pair(450);
    establish(sim, a, b);
    const oldSpis = a.association(b)!.sas.map((s) => s.localSpi);
    b.restart();
    expect(b.association(a)).toBeUndefined();
    // A still sends on the old SA: B has no SA any more and drops it.
    a.send(b, Uint8Array.of(1));
    sim.run(100);
    expect(b.stats().esp.drops['unknown-spi']).toBe(1);
    // B reconnects; A, ESTABLISHED, answers I1 with R1 and the new I2 replaces its SAs (Table 5).
    b.connect(a);
    sim.runUntil(() => b.established(a), { maxTimeMs: 10_000 });
    b.send(a, Uint8Array.of(2));
    sim.runUntil(() => a.established(b) && a.received.length > 0, { maxTimeMs: 10_000 });
    expect(a.engine.associations()).toHaveLength(1);
    expect(a.association(b)!.role).toBe('responder');
    expect(a.association(b)!.sas.map((s) => s.localSpi).filter((x) => oldSpis.includes(x))).toEqual([]);
    expectSasMatch(sim, a, b);
    exchangeData(sim, a, b, 2);
  });
});

describe('interceptor-driven edge cases', () => {
  it('an I2 with a flipped HIP_MAC bit is dropped as bad-mac and the retransmission succeeds', () => {
    const { sim, a, b } = pair(500);
    sim.intercept(
      on({ kind: 'I2' }, (bytes, ctx) => {
        const mac = ctx.packet!.params.find((p) => p.kind === 'HIP_MAC')!;
        const copy = Uint8Array.from(bytes);
        copy[mac.span!.offset + 4]! ^= 0x01;
        // Fix the checksum so the MAC check is what catches it.
        return { replace: fixHipChecksum(copy, ctx.src, ctx.dst) };
      }, { nth: 0 }),
    );
    establish(sim, a, b);
    expect(b.eventsOf('dropped').map((d) => [d.reason, d.packetKind])).toEqual([['bad-mac', 'I2']]);
    expectSasMatch(sim, a, b);
  });
});
