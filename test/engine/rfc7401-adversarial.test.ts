// Bad remote input never throws and never changes established state (docs/architecture.md, Errors):
// tampered MACs and signatures, wrong puzzle solutions, replays, garbage and unknown critical
// parameters are each dropped with their reason (RFC 7401 §5.2.1, §6.8-§6.12).
import { describe, expect, it } from 'vitest';
import { Pair, type InFlight } from './pair.js';
import { dropsOf } from './helpers.js';
import { encodePacket } from '../../src/wire/packet.js';
import type { HipParam } from '../../src/wire/types.js';
import { NOTIFY_TYPE } from '../../src/wire/notify.js';

function tamper(x: InFlight, f: (q: HipParam) => HipParam): { replace: Uint8Array } {
  return { replace: encodePacket({ ...x.packet, params: x.packet.params.map(f) }, { src: x.src, dst: x.dst }) };
}

const flip = (b: Uint8Array): Uint8Array => {
  const c = Uint8Array.from(b);
  c[c.length - 1]! ^= 1;
  return c;
};

describe('tampered base exchange packets are dropped with their reason', () => {
  const cases: [string, 'R1' | 'I2' | 'R2', (q: HipParam) => HipParam, string][] = [
    ['R1 signature', 'R1', (q) => (q.kind === 'HIP_SIGNATURE_2' ? { ...q, signature: flip(q.signature) } : q), 'bad-signature'],
    ['R1 DH public value (covered by the signature)', 'R1', (q) => (q.kind === 'DIFFIE_HELLMAN' ? { ...q, publicValue: flip(q.publicValue) } : q), 'bad-signature'],
    ['I2 HIP_MAC', 'I2', (q) => (q.kind === 'HIP_MAC' ? { ...q, hmac: flip(q.hmac) } : q), 'bad-mac'],
    ['I2 signature', 'I2', (q) => (q.kind === 'HIP_SIGNATURE' ? { ...q, signature: flip(q.signature) } : q), 'bad-signature'],
    ['I2 puzzle solution #J', 'I2', (q) => (q.kind === 'SOLUTION' ? { ...q, solutionJ: flip(q.solutionJ) } : q), 'bad-puzzle'],
    ['I2 puzzle #I', 'I2', (q) => (q.kind === 'SOLUTION' ? { ...q, randomI: flip(q.randomI) } : q), 'bad-puzzle'],
    ['I2 R1 generation counter', 'I2', (q) => (q.kind === 'R1_COUNTER' ? { ...q, generation: q.generation + 5n } : q), 'stale-r1-counter'],
    ['R2 HIP_MAC_2', 'R2', (q) => (q.kind === 'HIP_MAC_2' ? { ...q, hmac: flip(q.hmac) } : q), 'bad-mac'],
    ['R2 signature', 'R2', (q) => (q.kind === 'HIP_SIGNATURE' ? { ...q, signature: flip(q.signature) } : q), 'bad-signature'],
  ];
  for (const [what, kind, f, reason] of cases) {
    it(`${what}: ${reason}, and the exchange completes once the genuine packet is retransmitted`, () => {
      const p = new Pair();
      let done = false;
      p.filter = (x) => (x.packet.kind === kind && !done ? ((done = true), tamper(x, f)) : 'pass');
      p.connect('a');
      p.runUntil(() => p.state('a') === 'ESTABLISHED');
      const receiver = kind === 'I2' ? 'b' : 'a';
      expect(dropsOf(p, receiver)).toContain(reason);
    });
  }
});

describe('established state never changes on bad input', () => {
  function established() {
    const p = new Pair();
    const idA = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    p.run(p.now + 11_000);
    return { p, idA };
  }
  const snapshot = (p: Pair) => JSON.stringify([p.a.associations(), p.b.associations()], (_, v) => (v instanceof Uint8Array ? Array.from(v) : v));

  it('a replayed I1, R1, I2 and R2 leave both associations as they were', () => {
    const { p } = established();
    const packets = p.out.a.concat(p.out.b).flatMap((o) => (o.kind === 'transmit' ? [o] : []));
    const before = snapshot(p);
    for (const o of packets) p.inject(o.packet.kind === 'I1' || o.packet.kind === 'I2' ? 'b' : 'a', o.bytes);
    p.run(p.now + 100);
    expect(snapshot(p)).toBe(before);
    // The I2 replay is a retransmission: answered with the same R2 (§6.9 step 4), no new state.
    expect(dropsOf(p, 'a')).toContain('bad-state');
  });

  it('a forged UPDATE with a bad HIP_MAC is dropped with bad-mac', () => {
    const { p, idA } = established();
    p.filter = (x) => (x.packet.kind === 'UPDATE' ? tamper(x, (q) => (q.kind === 'HIP_MAC' ? { ...q, hmac: flip(q.hmac) } : q)) : 'pass');
    const before = snapshot(p);
    p.a.rekey(idA, p.now);
    p.drain('a');
    p.step();
    expect(dropsOf(p, 'b')).toContain('bad-mac');
    expect(JSON.stringify(p.b.associations(), (_, v) => (v instanceof Uint8Array ? Array.from(v) : v))).toBe(
      JSON.stringify(JSON.parse(before)[1]),
    );
  });

  it('garbage datagrams and a bad checksum are dropped with decode and checksum', () => {
    const { p } = established();
    const before = snapshot(p);
    p.inject('a', new Uint8Array([1, 2, 3]));
    p.inject('a', new Uint8Array(200).fill(0x41));
    const r2 = p.out.b.find((o) => o.kind === 'transmit' && o.packet.kind === 'R2')!;
    const bad = Uint8Array.from(r2.kind === 'transmit' ? r2.bytes : []);
    bad[4]! ^= 0xff; // checksum field
    p.inject('a', bad);
    expect(dropsOf(p, 'a')).toEqual(['decode', 'decode', 'checksum']);
    expect(snapshot(p)).toBe(before);
  });

  it('an unknown critical parameter is rejected and answered with NOTIFY UNSUPPORTED_CRITICAL_PARAMETER_TYPE (§5.2.1)', () => {
    const p = new Pair();
    p.filter = (x) =>
      x.packet.kind === 'I2'
        ? { replace: encodePacket({ ...x.packet, params: [...x.packet.params.slice(0, 1), { kind: 'UNKNOWN', type: 67, critical: true, body: new Uint8Array(4) }, ...x.packet.params.slice(1)] }, { src: x.src, dst: x.dst }) }
        : 'pass';
    p.connect('a');
    p.run(1500);
    expect(dropsOf(p, 'b')).toContain('unsupported-critical');
    const notify = p.events('a').find((e) => e.type === 'notify');
    expect(notify).toMatchObject({ type: 'notify', messageType: NOTIFY_TYPE.UNSUPPORTED_CRITICAL_PARAMETER_TYPE });
    expect(notify && notify.type === 'notify' && Array.from(notify.data)).toEqual([0, 67]);
  });

  it('NOTIFYs are rate-limited engine-wide', () => {
    const p = new Pair({ configB: { notifyBurst: 2, notifyPerSecond: 0 } });
    p.filter = (x) =>
      x.packet.kind === 'I2'
        ? { replace: encodePacket({ ...x.packet, params: [...x.packet.params.slice(0, 1), { kind: 'UNKNOWN', type: 67, critical: true, body: new Uint8Array(4) }, ...x.packet.params.slice(1)] }, { src: x.src, dst: x.dst }) }
        : 'pass';
    p.connect('a');
    p.run(60_000);
    expect(p.b.stats().sent.NOTIFY).toBe(2);
    expect(p.b.stats().notifiesSuppressed).toBeGreaterThan(0);
  });
});

describe('responder restart (RFC 7401 §4.5.4, §6.9 step 20)', () => {
  it('a restarted host that lost its state re-establishes with a new base exchange; the peer replaces its association', async () => {
    const { HipEngine } = await import('../../src/engine/hip-engine.js');
    const { identity, LOC_B } = await import('./pair.js');
    const { testRandom } = await import('../fixtures/keys.js');
    const p = new Pair();
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    p.run(p.now + 11_000);
    const oldSpis = [...p.sas.a.keys()];
    // B reboots: same identity, no state.
    (p as unknown as { b: unknown }).b = new HipEngine({ identities: [identity('p256B')], locators: [LOC_B], random: testRandom('engine-b-rebooted') }, p.now);
    p.sas.b.clear();
    p.connect('b');
    p.runUntil(() => p.state('b') === 'ESTABLISHED');
    p.run(p.now + 11_000);
    expect(p.state('a')).toBe('ESTABLISHED');
    expect(p.a.associations()).toHaveLength(1);
    expect([...p.sas.a.keys()].some((k) => oldSpis.includes(k))).toBe(false);
  });
});
