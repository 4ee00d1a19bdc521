// The simulator's own mechanics (docs/architecture.md, Simulator): scheduling, routing, interceptors, bounds,
// invariants, tracing and capture. Protocol scenarios live in test/scenarios/*.sim.test.ts.
import { describe, expect, it } from 'vitest';
import { generateHostIdentity } from '../../src/crypto/host-id.js';
import type { CryptoProvider } from '../../src/crypto/provider.js';
import { toHex } from '../../src/util/bytes.js';
import {
  Sim,
  SimError,
  delay,
  dropFirst,
  duplicate,
  fastCrypto,
  on,
  readPcap,
  seededRandom,
  type InterceptContext,
} from '../../src/testing/index.js';

const A6 = '2001:db8::a';
const B6 = '2001:db8::b';

function pair(seed: number | string = 1, link: Parameters<Sim['link']>[2] = { latencyMs: 10 }, simOpts: Partial<ConstructorParameters<typeof Sim>[0]> = {}) {
  const sim = new Sim({ seed, crypto: 'fast', ...simOpts });
  const a = sim.host('A', { locators: [A6] });
  const b = sim.host('B', { locators: [B6] });
  sim.link(A6, B6, link);
  return { sim, a, b };
}

describe('Sim.seedFrom', () => {
  it('uses the environment value when set, else the fallback', () => {
    expect(Sim.seedFrom(undefined, 42)).toBe(42);
    expect(Sim.seedFrom('', 42)).toBe(42);
    expect(Sim.seedFrom('  ', 'x')).toBe('x');
    expect(Sim.seedFrom('1234', 42)).toBe(1234);
    expect(Sim.seedFrom('nightly-7', 42)).toBe('nightly-7');
    expect(Sim.seedFrom('99999999999999999999', 1)).toBe('99999999999999999999');
    expect(Sim.seedFrom('hex:0a0B', 1)).toEqual(Uint8Array.of(10, 11));
  });
});

describe('scheduling and the clock', () => {
  it('runs actions in time order, ties in insertion order; run(ms) advances an idle clock', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const log: string[] = [];
    sim.at(5, () => log.push('5a'));
    sim.at(1, () => log.push('1'));
    sim.at(5, () => log.push('5b'));
    sim.after(3, () => {
      log.push(`3@${sim.now}`);
      sim.after(0, () => log.push('3+0'));
    });
    expect(sim.pending).toBe(4);
    const r = sim.run(10);
    expect(log).toEqual(['1', '3@3', '3+0', '5a', '5b']);
    expect(r).toEqual({ steps: 5, now: 10 });
    expect(sim.now).toBe(10);
    expect(sim.step()).toBe(false);
    expect(() => sim.at(9, () => {})).toThrow(RangeError);
    expect(sim.drain()).toEqual({ steps: 0, now: 10 });
  });

  it('startMs sets the origin of virtual time', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast', startMs: 1_000_000 });
    const a = sim.host('A', { locators: [A6] });
    sim.host('B', { locators: [B6] });
    sim.link(a, sim.hostByName('B')!, { latencyMs: 1 });
    a.connect(sim.hostByName('B')!);
    sim.runUntil(() => a.established(sim.hostByName('B')!), { maxTimeMs: 10_000 });
    expect(sim.now).toBe(1_000_004);
  });
});

describe('hosts and links', () => {
  it('rejects duplicate names, locators, HITs and links', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const id = generateHostIdentity('ecdsa-p256', seededRandom('id'));
    const a = sim.host('A', { locators: [A6], identity: id });
    expect(a.hit).toEqual(id.hit);
    expect(() => sim.host('A', { locators: ['2001:db8::c'] })).toThrow(/already exists/);
    expect(() => sim.host('C', { locators: [A6] })).toThrow(/already belongs/);
    expect(() => sim.host('D', { locators: ['2001:db8::d'], identity: id })).toThrow(/HIT/);
    sim.link(A6, B6);
    expect(() => sim.oneWay(A6, B6)).toThrow(/already exists/);
    expect(() => sim.oneWay(A6, '192.0.2.1')).toThrow(/family/);
    expect(sim.linkBetween(B6, A6)).toBeDefined();
    expect(sim.hostByLocator(A6)).toBe(a);
    expect(sim.hostByHit(id.hit)).toBe(a);
  });

  it('setLocators / moveLocator move address ownership', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const a = sim.host('A', { locators: [A6, '192.0.2.1'] });
    sim.host('B', { locators: [B6] });
    a.moveLocator(A6, '2001:db8::c');
    expect(a.locators.map((l) => sim.hostByLocator(l)?.name)).toEqual(['A', 'A']);
    expect(sim.hostByLocator(A6)).toBeUndefined();
    expect(sim.hostByLocator('2001:db8::c')).toBe(a);
    expect(() => a.moveLocator(A6, '2001:db8::d')).toThrow(/no locator/);
    expect(() => a.setLocators([B6])).toThrow(/already belongs to host B/);
    expect(sim.traceText()).toMatch(/A +\.\. locators +locators=\[2001:db8::c,192\.0\.2\.1\]/);
  });

  it('link(hostA, hostB) links every same-family locator pair both ways', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const a = sim.host('A', { locators: [A6, '192.0.2.1'] });
    const b = sim.host('B', { locators: [B6, '198.51.100.2', '2001:db8::bb'] });
    const links = sim.link(a, b, { latencyMs: 3 });
    expect(links).toHaveLength(3);
    expect(sim.links().map((l) => l.name)).toEqual([
      '2001:db8::a>2001:db8::b',
      '2001:db8::b>2001:db8::a',
      '2001:db8::a>2001:db8::bb',
      '2001:db8::bb>2001:db8::a',
      '192.0.2.1>198.51.100.2',
      '198.51.100.2>192.0.2.1',
    ]);
  });

  it('a generated identity follows keyType and the seed; the host stream is independent of other hosts', () => {
    const s1 = new Sim({ seed: 3, crypto: 'fast' });
    const s2 = new Sim({ seed: 3, crypto: 'fast' });
    s2.host('Z', { locators: ['2001:db8::f'] });
    const x1 = s1.host('A', { locators: [A6], keyType: 'ed25519' });
    const x2 = s2.host('A', { locators: [A6], keyType: 'ed25519' });
    expect(x1.identity.keyType).toBe('ed25519');
    expect(x1.hit).toEqual(x2.hit);
    expect(new Sim({ seed: 4, crypto: 'fast' }).host('A', { locators: [A6] }).hit).not.toEqual(s1.host('B', { locators: [B6] }).hit);
  });

  it('adding an unrelated host and link does not change what two hosts do', () => {
    const run = (extra: boolean): string => {
      const sim = new Sim({ seed: 9, crypto: 'fast' });
      const a = sim.host('A', { locators: [A6] });
      if (extra) sim.host('C', { locators: ['2001:db8::c'] });
      const b = sim.host('B', { locators: [B6] });
      sim.link(A6, B6, { latencyMs: 7, jitterMs: 5, loss: 0.2 });
      if (extra) sim.link(A6, '2001:db8::c', { loss: 0.5 });
      sim.at(0, () => a.connect(b));
      sim.runUntil(() => a.established(b), { maxTimeMs: 60_000 });
      return sim
        .traceText()
        .split('\n')
        .filter((l) => !/ C +\.\. host/.test(l))
        .join('\n');
    };
    expect(run(true)).toBe(run(false));
  });
});

describe('routing', () => {
  it('a transmit with no link is dropped as no-route, and the BEX fails after its retries', () => {
    const sim = new Sim({ seed: 1, crypto: 'fast' });
    const a = sim.host('A', { locators: [A6], config: { i1RetriesMax: 2 } });
    const b = sim.host('B', { locators: [B6] });
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.eventsOf('failed').length > 0, { maxTimeMs: 60_000 });
    expect(a.eventsOf('failed').map((e) => e.reason)).toEqual(['i1-retries']);
    expect(sim.trace.records.filter((r) => r.dir === 'drop' && r.fields?.['reason'] === 'no-route')).toHaveLength(3);
  });

  it('ESP without an SA is refused by the data plane and traced', () => {
    const { sim, a, b } = pair();
    const r = a.send(b, Uint8Array.of(1));
    expect(r).toEqual({ ok: false, reason: 'no-sa' });
    expect(sim.traceText()).toMatch(/A +x- ESP +reason=no-sa/);
  });

  it('link drops (loss mask) are traced with their cause', () => {
    const { sim, a, b } = pair(1, { latencyMs: 10, lossMask: [0] });
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    expect(sim.traceText()).toMatch(/A +x- I1 +reason=mask link=2001:db8::a>2001:db8::b/);
  });
});

describe('interceptors', () => {
  it('see decoded HIP packets with direction and per-kind index', () => {
    const { sim, a, b } = pair();
    const seen: string[] = [];
    sim.intercept((bytes, ctx: InterceptContext) => {
      seen.push(`${ctx.kind}#${ctx.index} ${ctx.direction} ${ctx.proto} ${ctx.packet?.kind ?? '-'} ${bytes.length > 0}`);
      return 'pass';
    });
    sim.intercept(dropFirst('I1'));
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(1));
    sim.run(50);
    expect(seen).toEqual([
      'I1#0 A->B hip I1 true',
      'I1#1 A->B hip I1 true',
      'R1#0 B->A hip R1 true',
      'I2#0 A->B hip I2 true',
      'R2#0 B->A hip R2 true',
      'ESP#0 A->B esp - true',
    ]);
    expect(sim.traceText()).toMatch(/A +x- I1 +reason=intercept/);
  });

  it('replace, delay and duplicate', () => {
    const { sim, a, b } = pair();
    // Garbage instead of the first I1: B drops it as undecodable.
    sim.intercept(on({ kind: 'I1' }, { replace: new Uint8Array(8) }, { nth: 0 }));
    // The R1 arrives 100 ms late, the I2 three times.
    sim.intercept(delay({ kind: 'R1' }, 100));
    sim.intercept(duplicate({ kind: 'I2' }, 2));
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    expect(b.eventsOf('dropped').map((d) => d.reason)).toContain('decode');
    const recvR1 = sim.trace.records.find((r) => r.dir === 'recv' && r.kind === 'R1')!;
    const sendR1 = sim.trace.records.find((r) => r.dir === 'send' && r.kind === 'R1')!;
    expect(recvR1.t - sendR1.t).toBe(110);
    expect(sim.trace.records.filter((r) => r.dir === 'recv' && r.kind === 'I2' && r.host === 'B')).toHaveLength(3);
    // The copies are answered with the same R2 (RFC 7401 §6.9 step 4).
    expect(b.engine.stats().sent.R2).toBe(3);
  });

  it('removing an interceptor stops it', () => {
    const { sim, a, b } = pair();
    const remove = sim.intercept(on({}, 'drop'));
    a.connect(b);
    sim.run(500);
    remove();
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    expect(a.engine.stats().sent.I1).toBe(2);
  });
});

describe('bounds and failure reports', () => {
  it('runUntil that hits its bound names the seed, SIM_SEED, the step count and the trace tail', () => {
    const { sim, a, b } = pair('my-seed', { latencyMs: 10, loss: 1 });
    a.connect(b);
    let err: unknown;
    try {
      sim.runUntil(() => a.established(b), { maxTimeMs: 2500 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SimError);
    const e = err as SimError;
    expect(e.message).toMatch(/time bound/);
    expect(e.message).toContain('seed=my-seed');
    expect(e.message).toContain('SIM_SEED=my-seed');
    expect(e.message).toMatch(/steps=\d+/);
    expect(e.message).toMatch(/A +x- I1 +reason=loss/);
    expect(e.seed).toBe('my-seed');
    expect(e.traceTail.length).toBeGreaterThan(0);
    expect(e.traceTail.length).toBeLessThanOrEqual(50);
    // The failure is sticky: the simulation refuses to go on.
    expect(() => sim.step()).toThrow(SimError);
  });

  it('maxSteps and idleness are bounds too', () => {
    const s1 = pair();
    s1.a.connect(s1.b);
    expect(() => s1.sim.runUntil(() => false, { maxSteps: 3 })).toThrow(/after 3 steps/);
    const s2 = new Sim({ seed: 5, crypto: 'fast' });
    expect(() => s2.runUntil(() => false)).toThrow(/idle/);
    const s3 = new Sim({ seed: 5, crypto: 'fast' });
    const tick = (): void => s3.after(1, tick);
    s3.at(0, tick);
    expect(() => s3.run(1000, { maxSteps: 50 })).toThrow(/step bound 50/);
  });

  it('a busy loop at one instant is detected', () => {
    const sim = new Sim({ seed: 5, crypto: 'fast', maxStepsPerInstant: 100 });
    const spin = (): void => sim.at(sim.now, spin);
    sim.at(10, spin);
    expect(() => sim.run(100)).toThrow(/busy loop: more than 100 steps at t=10/);
  });

  it('an engine that throws fails the run with the seed and the trace', () => {
    const fast = fastCrypto();
    let calls = 0;
    const flaky: CryptoProvider = {
      ...fast,
      hostIdAlgorithm: (id) => {
        const alg = fast.hostIdAlgorithm(id);
        if (alg === undefined) return undefined;
        return {
          ...alg,
          verify: (hi, data, sig) => {
            if (++calls >= 2) throw new Error('provider exploded');
            return alg.verify(hi, data, sig);
          },
        };
      },
    };
    const sim = new Sim({ seed: 11, crypto: flaky });
    const a = sim.host('A', { locators: [A6] });
    const b = sim.host('B', { locators: [B6] });
    sim.link(a, b, { latencyMs: 1 });
    a.connect(b);
    expect(() => sim.runUntil(() => a.established(b))).toThrow(/engine of host B threw in handle\(datagram I2\): Error: provider exploded[\s\S]*SIM_SEED=11/);
  });

  it('a timer still overdue after handleTimeout and a drain fails the run', () => {
    const { sim, a, b } = pair(12);
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    // A broken engine whose deadline never moves past now.
    Object.defineProperty(a.engine, 'pollTimeout', { value: () => 45 });
    expect(() => sim.run(100)).toThrow(/host A still has an overdue timer after handleTimeout\(45\) and a drain \(pollTimeout\(\)=45\)/);
  });

  it('strict MTU: an engine transmit larger than a no-fragmentation link fails the run', () => {
    const { sim, a, b } = pair(1, { mtu: 400, fragmentation: false });
    a.connect(b);
    expect(() => sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 })).toThrow(/sent a R1 of \d+ IP bytes over 2001:db8::b>2001:db8::a with MTU 400/);
    // Without strictMtu the link drops it ('mtu') and the exchange fails after its retries.
    const loose = pair(1, { mtu: 400, fragmentation: false }, { strictMtu: false });
    loose.a.connect(loose.b);
    loose.sim.runUntil(() => loose.a.eventsOf('failed').length > 0, { maxTimeMs: 120_000 });
    expect(loose.sim.linkBetween(B6, A6)!.counters.lost.mtu).toBeGreaterThan(0);
  });
});

describe('SA invariants', () => {
  const established = () => {
    const s = pair(21);
    s.a.connect(s.b);
    s.sim.runUntil(() => s.a.established(s.b), { maxTimeMs: 10_000 });
    s.a.send(s.b, Uint8Array.of(1));
    s.sim.runUntil(() => s.b.established(s.a), { maxTimeMs: 10_000 });
    expect(s.sim.saProblems(s.a, s.b)).toEqual([]);
    return s;
  };

  it('different keys on the two ends of one SPI fail the next step', () => {
    const { sim, a, b } = established();
    const inB = b.sas.find((x) => x.direction === 'in')!;
    // Simulate a data plane that installed other keys than its peer's.
    b.applySa('delete', inB);
    b.applySa('add', { ...inB, authKey: inB.authKey.map((x) => x ^ 1) });
    expect(sim.saProblems(a, b).map((p) => p.problem)).toEqual([expect.stringMatching(/A->B: keys differ/)]);
    sim.after(1, () => {});
    expect(() => sim.run(10)).toThrow(/SAs of A and B disagree while both are ESTABLISHED:\n.*keys differ/);
  });

  it('an installed SA pair missing on one side fails at once', () => {
    const { sim, b } = established();
    b.applySa('delete', b.sas.find((x) => x.direction === 'in')!);
    sim.after(1, () => {});
    expect(() => sim.run(10)).toThrow(/A lists SA pair .* but has no|B has no inbound SA 0x[0-9a-f]{8} installed/);
  });

  it('an outbound SA without the peer inbound SA fails after saGraceMs', () => {
    const { sim, a, b } = established();
    // A stray outbound SA that neither engine lists: only the lasting-gap check can see it.
    const outA = a.sas.find((x) => x.direction === 'out')!;
    a.applySa('add', { ...outA, spi: 0x0bad0bad });
    expect(sim.saProblems(a, b)).toEqual([]);
    const tick = (): void => sim.after(1000, tick);
    sim.after(0, tick);
    expect(() => sim.run(60_000)).toThrow(/A's outbound SA 0x0bad0bad to B has had no matching inbound SA on B for 31000 ms while both are ESTABLISHED \(saGraceMs=30000\)/);
  });
});

describe('tracing and capture', () => {
  it('traceText redacts locators and HITs on request, and never contains key material', () => {
    const { sim, a, b } = pair();
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    const plain = sim.traceText();
    expect(plain).toContain('2001:db8::a');
    const red = sim.traceText({ redact: true });
    expect(red).not.toContain('2001:db8');
    expect(red).not.toContain('2001:2');
    expect(red).toMatch(/src=L1 dst=L2/);
    expect(red).toMatch(/peer=H2/);
    expect(sim.traceText({ redact: { locators: true } })).toContain('2001:2');
    for (const sa of [...a.sas, ...b.sas]) {
      for (const key of [sa.encKey, sa.authKey]) {
        if (key.length > 0) expect(plain).not.toContain(toHex(key).slice(0, 16));
      }
    }
    expect(sim.traceTail(3)).toHaveLength(3);
  });

  it('pcap(): every delivered packet, HIP as protocol 139 and ESP as 50, IPv6 and IPv4', () => {
    const sim = new Sim({ seed: 2, crypto: 'fast', pcap: true });
    const a = sim.host('A', { locators: ['192.0.2.1'] });
    const b = sim.host('B', { locators: ['192.0.2.2'] });
    sim.link(a, b, { latencyMs: 2 });
    a.connect(b);
    sim.runUntil(() => a.established(b), { maxTimeMs: 10_000 });
    a.send(b, Uint8Array.of(1, 2, 3));
    sim.run(10);
    const res = readPcap(sim.pcap().toBytes());
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const file = res.value;
    expect(file.records.map((r) => r.timeMs)).toEqual(sim.trace.records.filter((r) => r.dir === 'recv').map((r) => r.t));
    const recvs = sim.trace.records.filter((r) => r.dir === 'recv');
    expect(file.records).toHaveLength(recvs.length);
    const protos = file.records.map((r) => (r.bytes[0]! >> 4 === 4 ? r.bytes[9] : r.bytes[6]));
    expect(protos).toEqual([139, 139, 139, 139, 50]);
    expect(file.records.every((r) => r.bytes[0]! >> 4 === 4)).toBe(true);
  });
});
