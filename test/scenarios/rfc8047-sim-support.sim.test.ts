// The simulator support the RFC 8046 / RFC 8047 scenarios rely on (src/testing/sim.ts additions
// and test/scenarios/mobility-helpers.ts): parameter tracing, local locators with attributes,
// the pathFailed / addSaPair helpers, per-path delivery counters, the virtual clock reaching the
// data plane (credit aging), and the Mermaid generator.
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { Sim, dropFirst } from '../../src/testing/index.js';
import { establish, seed } from './sim-helpers.js';
import { A1, A2, B1, host, mermaidFromTrace, mesh, mhSim } from './mobility-helpers.js';

describe('simulator support for mobility and multihoming', () => {
  it('traceParams adds to, params and the figure fields to HIP sends; without it the trace lines stay as they were', () => {
    const plain = new Sim({ seed: seed(1), crypto: 'fast' });
    const p = plain.host('A', { locators: [A1] });
    const q = plain.host('B', { locators: [B1] });
    plain.link(A1, B1, { latencyMs: 10 });
    establish(plain, p, q);
    expect(plain.trace.records.find((r) => r.dir === 'send' && r.kind === 'I1')!.fields).toEqual({ src: expect.anything(), dst: expect.anything(), len: expect.any(Number) });

    const sim = mhSim(2, { crypto: 'fast' });
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    sim.run(100);
    const u = sim.trace.records.slice(t0).find((r) => r.dir === 'send' && r.kind === 'UPDATE')!;
    const spi = a.association(b)!.sas[0]!.localSpi.toString(16).padStart(8, '0');
    expect(u.fields).toMatchObject({ to: 'B', params: ['ESP_INFO', 'LOCATOR_SET', 'SEQ', 'HIP_MAC', 'HIP_SIGNATURE'], esp: `0x${spi}>0x${spi}`, seq: 0 });
    expect(sim.traceText().split('\n').find((l) => l.includes('-> UPDATE'))).toContain(`locs=[[t1,${A1},0x${spi},P],[t0,${A2}]]`);
  });

  it('locators with attributes reach the engine; setLocators passes rekey/announce; pathFailed and addSaPair drive the engine and leave trace notes', () => {
    const sim = mhSim(3, { crypto: 'fast' });
    const a = host(sim, 'A', { locators: [{ address: A1, interface: 'eth0', preferred: true }] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    expect(a.localLocators.map((l) => [formatLocator(l.address), l.interface, l.preferred])).toEqual([[A1, 'eth0', true]]);
    establish(sim, a, b);
    a.setLocators([A1, { address: A2, tunnel: true }], { announce: false });
    expect(a.engine.localLocatorList().map((l) => [formatLocator(l.address), l.tunnel === true])).toEqual([
      [A1, false],
      [A2, true],
    ]);
    a.addSaPair(b, { local: A2 });
    sim.run(200);
    expect(a.association(b)!.sas).toHaveLength(2);
    b.pathFailed(a, A1);
    const notes = sim.trace.records.filter((r) => r.dir === 'note').map((r) => r.kind);
    expect(notes).toEqual(expect.arrayContaining(['locators', 'add-sa-pair', 'path-failed']));
    expect(b.locatorTable(a).find((e) => formatLocator(e.locator) === A1)!.state).toBe('UNVERIFIED');
  });

  it('receivedByPath counts delivered payloads per outer path', () => {
    const sim = mhSim(4, { crypto: 'fast' });
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1], [B1]);
    establish(sim, a, b);
    a.send(b, new Uint8Array(10));
    sim.run(50);
    expect(b.receivedByPath(a)).toEqual({ [`${A1}>${B1}`]: { src: expect.anything(), dst: expect.anything(), packets: 2, bytes: 15 } });
  });

  it('the data plane runs on the virtual clock: credit earned at t ages by 7/8 once 5 s of simulated time have passed', () => {
    const sim = mhSim(5, { crypto: 'fast' });
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1], [B1]);
    establish(sim, a, b);
    for (let i = 0; i < 10; i++) a.send(b, new Uint8Array(800));
    sim.run(20);
    const c = b.esp.credit(a.hit, sim.now);
    sim.run(5000);
    expect(b.esp.credit(a.hit, sim.now)).toBe(Math.floor((c * 7) / 8));
  });

  it('mermaidFromTrace draws a packet that never arrived as a lost arrow', () => {
    const sim = mhSim(6, { crypto: 'fast' });
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1], [B1]);
    sim.intercept(dropFirst('I1'));
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b));
    const m = mermaidFromTrace(sim, { participants: ['A', 'B'] });
    expect(m.split('\n').slice(0, 5)).toEqual(['sequenceDiagram', '    participant A', '    participant B', '    Note over A: A connects', `    A-xB: I1 [${A1} to ${B1}]`]);
    expect(m).toContain(`    A->>B: I1 [${A1} to ${B1}]`);
  });
});
