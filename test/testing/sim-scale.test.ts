// The simulator at scale: the deadline queue asks an engine for its timer only when the engine
// changed (work counted, not timed), the invariants of the hosts a step touched still catch
// every violation they caught when every host was checked each step, and trace and delivery
// records can be bounded or streamed.
import { afterEach, describe, expect, it } from 'vitest';
import { HipEngine } from '../../src/engine/hip-engine.js';
import { Sim, buildMesh, type TraceRecord } from '../../src/testing/index.js';

const realPollTimeout = HipEngine.prototype.pollTimeout;
afterEach(() => {
  HipEngine.prototype.pollTimeout = realPollTimeout;
});

/** Counts pollTimeout calls on every engine from now on. */
function countPolls(): { readonly calls: number } {
  const c = { calls: 0 };
  HipEngine.prototype.pollTimeout = function (this: HipEngine) {
    c.calls++;
    return realPollTimeout.call(this);
  };
  return c;
}

describe('deadline queue', () => {
  it('pollTimeout is read only for hosts whose engine changed, not for every host at every step', () => {
    for (const hosts of [20, 80]) {
      const mesh = buildMesh({ seed: 7, hosts, sim: { invariants: false, insecureFastEsp: true } });
      mesh.sim.run(hosts * 0.5 + 2000);
      // The Responders leave R2-SENT on the first ESP packet (RFC 7401 §4.4.2).
      const traffic = mesh.startTraffic(20, 16);
      mesh.sim.run(100);
      expect(mesh.established()).toBe(mesh.pairs.length);
      const during = countPolls();
      const s0 = mesh.sim.steps;
      mesh.sim.run(200);
      const steps = mesh.sim.steps - s0;
      HipEngine.prototype.pollTimeout = realPollTimeout;
      traffic.stop();
      expect(steps).toBeGreaterThan(hosts * 6);
      // Before the deadline queue every step read every host's timer (twice): 2 × hosts per
      // step. Now each packet touches one host per end, whatever the number of hosts.
      expect(during.calls / steps).toBeLessThan(4);
      // Idle (traffic stopped): only the hosts whose timers fire are read again.
      mesh.sim.run(100);
      const idle = countPolls();
      const i0 = mesh.sim.steps;
      mesh.sim.run(10_000);
      const idleSteps = mesh.sim.steps - i0;
      HipEngine.prototype.pollTimeout = realPollTimeout;
      expect(idle.calls).toBeLessThanOrEqual(4 * idleSteps + 1);
    }
  });

  it('an ESP packet costs a bounded number of map lookups (data plane, sim, engine), whatever the number of hosts', () => {
    const perPacket: number[] = [];
    for (const hosts of [20, 80]) {
      const mesh = buildMesh({ seed: 7, hosts, sim: { invariants: false, insecureFastEsp: true, traceWindow: 0, receivedWindow: 0, eventsWindow: 0 } });
      mesh.sim.run(hosts * 0.5 + 2000);
      const traffic = mesh.startTraffic(20, 16);
      mesh.sim.run(100);
      expect(mesh.established()).toBe(mesh.pairs.length);
      // Work, not time: every Map lookup anywhere while the traffic runs.
      const realGet = Map.prototype.get;
      let gets = 0;
      Map.prototype.get = function <K, V>(this: Map<K, V>, k: K): V | undefined {
        gets++;
        return realGet.call(this, k) as V | undefined;
      };
      const c0 = mesh.sim.counters;
      try {
        mesh.sim.run(200);
      } finally {
        Map.prototype.get = realGet;
      }
      const c1 = mesh.sim.counters;
      traffic.stop();
      const packets = c1.delivered.esp - c0.delivered.esp;
      expect(packets).toBe(hosts * 3 * 2 * 10); // 3 associations per host, both ways, every 20 ms
      perPacket.push(gets / packets);
    }
    // About one: the receiving host by its address. The data plane's SA, peer and credit
    // lookups, the engine's SPI lookup for the esp-seen feedback and the sender's packet count
    // are cached (there were 6 per packet before); the rest is timers and other control work.
    // What counts is that it stays bounded as the hosts grow.
    for (const n of perPacket) expect(n).toBeLessThanOrEqual(1.5);
    expect(Math.abs(perPacket[1]! - perPacket[0]!)).toBeLessThan(0.25);
  });

  it('a direct engine command through SimHost.engine is drained and its timer armed (RFC 7401 §4.1: the I1 is retransmitted)', () => {
    const sim = new Sim({ seed: 3, crypto: 'fast' });
    const a = sim.host('A', { locators: ['2001:db8::a'] });
    const b = sim.host('B', { locators: ['2001:db8::b'] });
    sim.link(a, b, { latencyMs: 10, loss: 1 });
    a.engine.connect({ hit: b.hit, locators: b.locators }, sim.now);
    sim.run(5_000);
    expect(a.stats().engine.sent.I1).toBeGreaterThan(1);
  });
});

describe('invariants of touched hosts keep their strength', () => {
  const mesh = () => {
    const m = buildMesh({ seed: 11, hosts: 12, degree: 2 });
    m.sim.run(3000);
    const t = m.startTraffic(20, 8);
    m.sim.run(200);
    t.stop();
    m.sim.run(100);
    expect(m.established()).toBe(m.pairs.length);
    return m;
  };

  it('different keys on one SPI, injected into a pair no step touches otherwise, fail the next step', () => {
    const { sim, hosts } = mesh();
    const [a, b] = [hosts[5]!, hosts[6]!];
    const inB = b.sas.find((x) => x.direction === 'in' && x.peerHit.every((v, i) => v === a.hit[i]))!;
    b.applySa('delete', inB);
    b.applySa('add', { ...inB, authKey: inB.authKey.map((x) => x ^ 1) });
    sim.after(1, () => {});
    expect(() => sim.run(10)).toThrow(/SAs of H5 and H6 disagree while both are ESTABLISHED:\n.*H5->H6: keys differ/);
  });

  it('an installed SA pair missing on one side fails at once', () => {
    const { sim, hosts } = mesh();
    const [a, b] = [hosts[2]!, hosts[3]!];
    b.applySa('delete', b.sas.find((x) => x.direction === 'in' && x.peerHit.every((v, i) => v === a.hit[i]))!);
    sim.after(1, () => {});
    expect(() => sim.run(10)).toThrow(/H2 lists SA pair .* but has no|H3 has no inbound SA 0x[0-9a-f]{8} installed/);
  });

  it('a lasting dangling outbound SA fails after saGraceMs even though no later step touches the pair', () => {
    const { sim, hosts } = mesh();
    const [a, b] = [hosts[8]!, hosts[9]!];
    const outA = a.sas.find((x) => x.direction === 'out' && x.peerHit.every((v, i) => v === b.hit[i]))!;
    a.applySa('add', { ...outA, spi: 0x0bad0bad });
    const tick = (): void => sim.after(1000, tick);
    sim.after(0, tick);
    expect(() => sim.run(60_000)).toThrow(/H8's outbound SA 0x0bad0bad to H9 has had no matching inbound SA on H9 for 31000 ms while both are ESTABLISHED \(saGraceMs=30000\)/);
  });

  it('a dangling SA that is repaired stops counting', () => {
    const { sim, hosts } = mesh();
    const [a, b] = [hosts[0]!, hosts[1]!];
    const outA = a.sas.find((x) => x.direction === 'out' && x.peerHit.every((v, i) => v === b.hit[i]))!;
    const stray = { ...outA, spi: 0x0bad0bad };
    a.applySa('add', stray);
    sim.run(10_000);
    a.applySa('delete', stray);
    const tick = (): void => sim.after(1000, tick);
    sim.after(0, tick);
    expect(() => sim.run(60_000)).not.toThrow();
  });

  it('an overdue timer after handleTimeout fails the run (the queue re-reads the broken engine)', () => {
    const { sim, hosts } = mesh();
    const now = sim.now;
    Object.defineProperty(hosts[4]!.engine, 'pollTimeout', { value: () => now + 5 });
    expect(() => sim.run(100)).toThrow(new RegExp(`host H4 still has an overdue timer after handleTimeout\\(${now + 5}\\)`));
  });
});

describe('trace and delivery records: windows and sinks (opt-in)', () => {
  const run = (opts: ConstructorParameters<typeof Sim>[0]) => {
    const sim = new Sim(opts);
    const a = sim.host('A', { locators: ['2001:db8::a'] });
    const b = sim.host('B', { locators: ['2001:db8::b'] });
    sim.link(a, b, { latencyMs: 5 });
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    for (let i = 0; i < 20; i++) a.send(b, Uint8Array.of(i));
    sim.run(50);
    return { sim, a, b };
  };

  it('by default every record is kept, as before', () => {
    const { sim, b } = run({ seed: 1, crypto: 'fast' });
    expect(sim.trace.length).toBe(sim.trace.total);
    expect(b.received).toHaveLength(20);
  });

  it('a window keeps the most recent records, the sink sees every one in order', () => {
    const full = run({ seed: 1, crypto: 'fast' }).sim.trace.records;
    const seen: TraceRecord[] = [];
    const { sim, b, a } = run({ seed: 1, crypto: 'fast', traceWindow: 10, traceSink: (r) => seen.push(r), receivedWindow: 5, eventsWindow: 2 });
    expect(seen).toEqual(full);
    expect(sim.trace.records).toEqual(full.slice(-10));
    expect(sim.trace.total).toBe(full.length);
    expect(sim.traceTail(50)).toHaveLength(10);
    expect(b.received.map((r) => r.payload[0])).toEqual([15, 16, 17, 18, 19]);
    expect(a.events.length).toBeLessThanOrEqual(2);
  });

  it('window 0 and no sink build no records; a received sink still sees every payload', () => {
    const got: number[] = [];
    const { sim, b } = run({ seed: 1, crypto: 'fast', traceWindow: 0, receivedWindow: 0, receivedSink: (h, r) => got.push(h.name === 'B' ? r.payload[0]! : -1) });
    expect(sim.tracing).toBe(false);
    expect(sim.trace.total).toBe(0);
    expect(b.received).toHaveLength(0);
    expect(got).toEqual([...Array(20).keys()]);
    expect(sim.counters.delivered.esp).toBe(20);
  });

  it('rejects a bad window', () => {
    expect(() => new Sim({ seed: 1, traceWindow: -1 })).toThrow(/opts.traceWindow/);
    expect(() => new Sim({ seed: 1, receivedWindow: 1.5 })).toThrow(/opts.receivedWindow/);
  });
});
