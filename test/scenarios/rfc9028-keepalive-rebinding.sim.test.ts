// RFC 9028 §4.10 (NAT keepalives) and §4.8 (following a rebound NAT mapping) through the
// simulator's NAT box (RFC 4787 mapping timer and rebinding). SIM_SEED=<n> reproduces a run.
import { describe, expect, it } from 'vitest';
import { Sim } from '../../src/testing/index.js';
import { seed } from './sim-helpers.js';

const A = '10.0.0.1';
const NAT = '203.0.113.1';
const B = '198.51.100.2';

function world(s: number) {
  const sim = new Sim({ seed: seed(s), crypto: 'noble' });
  const box = sim.nat('nat', { publicAddress: NAT, inside: [A] });
  const a = sim.host('A', { locators: [A], udp: true });
  const b = sim.host('B', { locators: [B], udp: true });
  sim.link(NAT, B, { latencyMs: 15 });
  return { sim, box, a, b };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('RFC 9028 §4.10: keepalives hold the NAT mapping of an idle association', () => {
  it('"To prevent NAT states from expiring, communicating hosts MUST send periodic keepalives": 400 s idle behind a 300 s mapping timer, and the public host still reaches A', () => {
    const { sim, box, a, b } = world(1601);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
    a.send(b, text('hello'));
    sim.runUntil(() => b.established(a) && b.received.length === 1, { maxTimeMs: 5_000 });
    const port = box.mappings(sim.now)[0]!.external.port;
    expect(box.mappingTimeoutMs).toBe(300_000);
    sim.run(400_000);
    expect(box.mappings(sim.now).map((m) => m.external.port)).toEqual([port]);
    expect((a.stats().engine.sent.NOTIFY ?? 0)).toBeGreaterThanOrEqual(400 / 15 - 1);
    b.send(a, text('after the idle time'));
    sim.run(100);
    expect(a.received.map((r) => untext(r.payload))).toEqual(['after the idle time']);
  });
});

describe('RFC 9028 §4.8: the NAT rebinds to a new port', () => {
  it('after a rebinding, ESP from A\'s new port moves B\'s SAs there, and B\'s data reaches A again', () => {
    const { sim, box, a, b } = world(1602);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 30_000 });
    a.send(b, text('one'));
    sim.runUntil(() => b.established(a) && b.received.length === 1, { maxTimeMs: 5_000 });
    const before = box.mappings(sim.now)[0]!.external.port;
    sim.rebindNat(box);
    b.send(a, text('lost: the old mapping is gone'));
    sim.run(100);
    expect(a.received).toHaveLength(0);
    a.send(b, text('two'));
    sim.run(100);
    const after = box.mappings(sim.now)[0]!.external.port;
    expect(after).not.toBe(before);
    b.send(a, text('three'));
    sim.run(100);
    expect(b.received.map((r) => untext(r.payload))).toEqual(['one', 'two']);
    expect(a.received.map((r) => untext(r.payload))).toEqual(['three']);
  });
});
