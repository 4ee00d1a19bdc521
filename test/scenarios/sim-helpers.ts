// Shared set-up for the *.sim.test.ts scenarios (docs/architecture.md, Simulator). SIM_SEED=<n> overrides every
// scenario's seed so that a failure report can be reproduced exactly.
import { expect } from 'vitest';
import type { HipConfig } from '../../src/engine/config.js';
import { Sim, type LinkOptions, type Seed, type SimCryptoChoice, type SimHost } from '../../src/testing/index.js';

export const A6 = '2001:db8::a';
export const B6 = '2001:db8::b';

/** The scenario's seed, unless SIM_SEED overrides it. */
export function seed(fallback: Seed): Seed {
  return Sim.seedFrom(process.env['SIM_SEED'], fallback);
}

export type PairOptions = {
  readonly crypto?: SimCryptoChoice;
  readonly link?: LinkOptions;
  readonly config?: Partial<HipConfig>;
  readonly configA?: Partial<HipConfig>;
  readonly configB?: Partial<HipConfig>;
  readonly pcap?: boolean;
};

/** Two hosts A (2001:db8::a) and B (2001:db8::b) on one duplex link (default 10 ms each way). */
export function pair(s: Seed, opts: PairOptions = {}): { sim: Sim; a: SimHost; b: SimHost } {
  const sim = new Sim({ seed: seed(s), crypto: opts.crypto ?? 'noble', ...(opts.pcap === true ? { pcap: true } : {}) });
  const a = sim.host('A', { locators: [A6], config: { ...opts.config, ...opts.configA } });
  const b = sim.host('B', { locators: [B6], config: { ...opts.config, ...opts.configB } });
  sim.link(A6, B6, opts.link ?? { latencyMs: 10 });
  return { sim, a, b };
}

/**
 * A connects to B at the current time; runs until A is ESTABLISHED, then sends one payload so
 * that B (R2-SENT) moves to ESTABLISHED on data; runs until both are and the payload arrived.
 */
export function establish(sim: Sim, a: SimHost, b: SimHost, maxTimeMs = 120_000): void {
  sim.at(sim.now, () => a.connect(b));
  sim.runUntil(() => a.established(b), { maxTimeMs });
  const before = b.received.length;
  a.send(b, new TextEncoder().encode('hello'));
  sim.runUntil(() => b.established(a) && b.received.length > before, { maxTimeMs });
}

/** Both ends agree on their SAs: every pair installed on both sides with the same keys. */
export function expectSasMatch(sim: Sim, a: SimHost, b: SimHost): void {
  expect(sim.saProblems(a, b)).toEqual([]);
  const ia = a.association(b)!;
  const ib = b.association(a)!;
  expect(ia.state).toBe('ESTABLISHED');
  expect(ib.state).toBe('ESTABLISHED');
  expect(ia.sas.map((s) => [s.localSpi, s.peerSpi]).sort()).toEqual(ib.sas.map((s) => [s.peerSpi, s.localSpi]).sort());
  for (const s of ia.sas) {
    const inA = a.sas.find((x) => x.direction === 'in' && x.spi === s.localSpi)!;
    const outB = b.sas.find((x) => x.direction === 'out' && x.spi === s.localSpi)!;
    expect(inA).toBeDefined();
    expect(outB).toBeDefined();
    expect(outB.encKey).toEqual(inA.encKey);
    expect(outB.authKey).toEqual(inA.authKey);
    const outA = a.sas.find((x) => x.direction === 'out' && x.spi === s.peerSpi)!;
    const inB = b.sas.find((x) => x.direction === 'in' && x.spi === s.peerSpi)!;
    expect(outA.encKey).toEqual(inB.encKey);
    expect(outA.authKey).toEqual(inB.authKey);
  }
}

/** Sends `n` payloads each way and checks they all arrive intact on the expected SPIs. */
export function exchangeData(sim: Sim, a: SimHost, b: SimHost, n = 3): void {
  const ra = a.received.length;
  const rb = b.received.length;
  const toB: Uint8Array[] = [];
  const toA: Uint8Array[] = [];
  for (let i = 0; i < n; i++) {
    const x = new TextEncoder().encode(`A->B #${i} at ${sim.now}`);
    const y = new TextEncoder().encode(`B->A #${i} at ${sim.now}`);
    expect(a.send(b, x).ok).toBe(true);
    expect(b.send(a, y).ok).toBe(true);
    toB.push(x);
    toA.push(y);
  }
  sim.runUntil(() => a.received.length >= ra + n && b.received.length >= rb + n, { maxTimeMs: 10_000 });
  expect(b.received.slice(rb).map((r) => r.payload)).toEqual(toB);
  expect(a.received.slice(ra).map((r) => r.payload)).toEqual(toA);
  expect(b.received.slice(rb).every((r) => r.from === 'A')).toBe(true);
  expect(a.received.slice(ra).every((r) => r.from === 'B')).toBe(true);
  const inB = b.association(a)!.sas.map((s) => s.localSpi);
  const inA = a.association(b)!.sas.map((s) => s.localSpi);
  expect(b.received.slice(rb).every((r) => inB.includes(r.spi))).toBe(true);
  expect(a.received.slice(ra).every((r) => inA.includes(r.spi))).toBe(true);
}

export function count(host: SimHost, type: Parameters<SimHost['eventsOf']>[0]): number {
  return host.eventsOf(type).length;
}
