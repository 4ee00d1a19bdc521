import { describe, expect, it } from 'vitest';
import { Sim } from '../../src/testing/index.js';
import { seed } from './sim-helpers.js';

describe('smoke', () => {
  it('bex', () => {
    const sim = new Sim({ seed: seed(1), crypto: 'noble' });
    const nat = sim.nat('nat1', { publicAddress: '203.0.113.1', inside: ['10.0.0.1'] });
    const a = sim.host('A', { locators: ['10.0.0.1'], udp: true });
    const b = sim.host('B', { locators: ['198.51.100.2'], udp: true });
    sim.link('203.0.113.1', '198.51.100.2', { latencyMs: 10 });
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: 60_000 });
    a.send(b, new TextEncoder().encode('hi'));
    sim.run(100);
    b.send(a, new TextEncoder().encode('back'));
    sim.run(100);
    console.log(sim.traceText());
    console.log(nat.counters, b.received.length, a.received.length);
  });
});
