// Load balancing over an extra SA pair (RFC 8047 §4.2.4,
// Figure 2) and SA affinity (§4.3): each interface its own SA, a flow on one SA, one source
// address per destination and SPI, the anti-replay window kept intact across paths of different
// delay. The share of traffic per path under `spreadFlows` is measured (BENCHMARKS.md).
import { describe, expect, it } from 'vitest';
import { spreadFlows } from '../../src/esp/policy.js';
import { formatLocator } from '../../src/addr/locator.js';
import type { Sim, SimHost } from '../../src/testing/index.js';
import { count, establish } from './sim-helpers.js';
import { A1, A2, A3, B1, L, figure, hipMsgs, host, i1Count, locs, mhSim, outPaths, perPath, sasOf, table } from './mobility-helpers.js';

const hex = (spi: number): string => `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;

/**
 * A with interfaces eth0 (A1) and wlan0 (A2, 30 ms slower), B single-homed; A asks for a second
 * SA pair on wlan0 (Figure 2). `spread` gives both data planes the flow-hashing policy.
 */
function twoInterfaces(s: number, opts: { spread?: boolean; extra?: readonly string[]; replayWindowB?: number } = {}): { sim: Sim; a: SimHost; b: SimHost; t0: number } {
  const sim = mhSim(s);
  const esp = opts.spread === true ? { policy: spreadFlows } : {};
  const a = host(sim, 'A', { locators: [{ address: A1, interface: 'eth0' }], espOptions: esp });
  const b = host(sim, 'B', { locators: [B1], espOptions: { ...esp, ...(opts.replayWindowB !== undefined ? { replayWindow: opts.replayWindowB } : {}) } });
  sim.link(A1, B1, { latencyMs: 10 });
  sim.link(A2, B1, { latencyMs: 40 });
  for (const x of opts.extra ?? []) sim.link(x, B1, { latencyMs: 25 });
  establish(sim, a, b);
  const t0 = sim.trace.length;
  // The interface comes up; announced together with its new SA (announce: false, then addSaPair).
  a.setLocators([{ address: A1, interface: 'eth0' }, { address: A2, interface: 'wlan0' }], { announce: false });
  a.addSaPair(b, { local: A2 });
  sim.run(300);
  return { sim, a, b, t0 };
}

/** Sends `flows` flows of `perFlow` packets each way; returns the SPI each packet used per flow at the receiver. */
function manyFlows(sim: Sim, from: SimHost, to: SimHost, flows: number, perFlow: number): Map<string, Set<number>> {
  const before = to.received.length;
  for (let p = 0; p < perFlow; p++) {
    for (let f = 0; f < flows; f++) {
      const r = from.send(to, new TextEncoder().encode(`flow-${f}#${p}`), { flowKey: `10.0.0.1:${1000 + f}>10.0.0.2:443/tcp` });
      expect(r.ok).toBe(true);
    }
    sim.run(2);
  }
  sim.run(200);
  const byFlow = new Map<string, Set<number>>();
  for (const r of to.received.slice(before)) {
    const key = new TextDecoder().decode(r.payload).split('#')[0]!;
    if (!byFlow.has(key)) byFlow.set(key, new Set());
    byFlow.get(key)!.add(r.spi);
  }
  return byFlow;
}

export const loadBalancingFigures: Record<string, Record<string, string>> = {};

describe('RFC 8047 §4.2.4 · load balancing (RFC 8047 §4.2.4)', () => {
  it('RFC 8047 §4.2.4 · RFC 8047 §4.2.4 Figure 2: a new SA pair (ESP_INFO OLD SPI 0, type 1 locators) checked by ECHO; two pairs, one per path', () => {
    const { sim, a, b, t0 } = twoInterfaces(701);
    expect(figure(sim, t0)).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)']);
    const [u1, u2] = hipMsgs(sim, t0);
    const [first, second] = a.association(b)!.sas;
    // U1 from the new locator to the peer's preferred address (§5.1 case 2); OLD SPI 0, NEW SPI
    // the new inbound SPI; the LOCATOR_SET lists both addresses as type 1, each with its SPI.
    expect([u1!.src, u1!.dst]).toEqual([A2, B1]);
    expect(u1!.fields['esp']).toBe(`${hex(0)}>${hex(second!.localSpi)}`);
    expect(u1!.fields['locs']).toEqual([
      ['t1', expect.anything(), hex(first!.localSpi), 'P'],
      ['t1', expect.anything(), hex(second!.localSpi)],
    ]);
    expect(locs(u1!)).toEqual([`t1 ${A1} P`, `t1 ${A2}`]);
    // U2: B's new inbound SPI (OLD SPI 0), the ACK, and the check, sent to the new address.
    expect([u2!.src, u2!.dst, u2!.fields['esp']]).toEqual([B1, A2, `${hex(0)}>${hex(second!.peerSpi)}`]);
    expect(a.eventsOf('update-completed').map((e) => e.what)).toEqual(['new-sa']);
    expect(b.eventsOf('update-completed').map((e) => e.what)).toEqual(['new-sa']);
    // Each type 1 locator is bound to its SPI; both verified.
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t1' });
    expect(b.locatorTable(a).map((e) => e.spi)).toEqual([first!.localSpi, second!.localSpi]);
    // The SA set: two pairs on both sides, each outbound SA on its own path.
    expect(sasOf(a, b, 'in').sort()).toEqual([first!.localSpi, second!.localSpi].sort());
    expect(sasOf(b, a, 'in').sort()).toEqual([first!.peerSpi, second!.peerSpi].sort());
    expect(outPaths(a, b)).toEqual([`${A1}>${B1}`, `${A2}>${B1}`]);
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`, `${B1}>${A2}`]);
    expect(i1Count(sim)).toBe(1);
  });

  it('RFC 8047 §4.2.4 · with spreadFlows, flows spread over both SA pairs and paths, each flow on one SA (both directions)', () => {
    const { sim, a, b } = twoInterfaces(702, { spread: true });
    const rb = b.received.length;
    const ra = a.received.length;
    const ab = manyFlows(sim, a, b, 200, 5);
    const ba = manyFlows(sim, b, a, 200, 5);
    expect(ab.size).toBe(200);
    expect(ba.size).toBe(200);
    // SA affinity: a flow never changes SA.
    for (const spis of [...ab.values(), ...ba.values()]) expect(spis.size).toBe(1);
    const shares = (m: Record<string, number>): Record<string, string> => {
      const total = Object.values(m).reduce((x, y) => x + y, 0);
      return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, `${((100 * v) / total).toFixed(1)}%`]));
    };
    const pab = perPath(b, a, rb);
    const pba = perPath(a, b, ra);
    expect(Object.keys(pab).sort()).toEqual([`${A1}>${B1}`, `${A2}>${B1}`]);
    expect(Object.keys(pba).sort()).toEqual([`${B1}>${A1}`, `${B1}>${A2}`]);
    for (const v of [...Object.values(pab), ...Object.values(pba)]) {
      expect(v).toBeGreaterThanOrEqual(0.4 * 1000);
      expect(v).toBeLessThanOrEqual(0.6 * 1000);
    }
    loadBalancingFigures['2 paths, 200 flows x 5 packets, A->B'] = shares(pab);
    loadBalancingFigures['2 paths, 200 flows x 5 packets, B->A'] = shares(pba);
    // Nothing was dropped by the anti-replay window although the paths differ by 30 ms.
    expect(b.stats().esp.drops['replay'] + b.stats().esp.drops['too-old']).toBe(0);
    expect(a.stats().esp.drops['replay'] + a.stats().esp.drops['too-old']).toBe(0);
  });

  it('RFC 8047 §4.2.4 · three interfaces, three SA pairs: about a third of 3000 flows each', () => {
    const { sim, a, b } = twoInterfaces(703, { spread: true, extra: [A3] });
    a.setLocators(
      [
        { address: A1, interface: 'eth0' },
        { address: A2, interface: 'wlan0' },
        { address: A3, interface: 'lte0' },
      ],
      { announce: false },
    );
    a.addSaPair(b, { local: A3 });
    sim.run(300);
    expect(a.association(b)!.sas).toHaveLength(3);
    expect(outPaths(a, b)).toEqual([`${A1}>${B1}`, `${A2}>${B1}`, `${A3}>${B1}`]);
    const rb = b.received.length;
    const byFlow = manyFlows(sim, a, b, 3000, 1);
    expect([...byFlow.values()].every((s) => s.size === 1)).toBe(true);
    const p = perPath(b, a, rb);
    for (const v of Object.values(p)) {
      expect(v).toBeGreaterThanOrEqual(0.28 * 3000);
      expect(v).toBeLessThanOrEqual(0.39 * 3000);
    }
    const total = Object.values(p).reduce((x, y) => x + y, 0);
    loadBalancingFigures['3 paths, 3000 flows x 1 packet, A->B'] = Object.fromEntries(Object.entries(p).map(([k, v]) => [k, `${((100 * v) / total).toFixed(1)}%`]));
    if (process.env['PRINT_FIGURES'] !== undefined) console.log(JSON.stringify(loadBalancingFigures, null, 1));
  });

  it('RFC 8047 §4.2.4 · with the default preferredPath each direction uses one SA pair (one path); both pairs stay installed', () => {
    // Which pair: the data plane's newest SA, whatever the P bit says (see the sending-rules
    // test "the P bit reaches the data plane", a reported engine bug).
    const { sim, a, b } = twoInterfaces(704);
    const ra = a.received.length;
    const rb = b.received.length;
    for (let i = 0; i < 5; i++) {
      a.send(b, Uint8Array.of(i));
      b.send(a, Uint8Array.of(i));
    }
    sim.run(200);
    expect(Object.values(perPath(b, a, rb))).toEqual([5]);
    expect(Object.values(perPath(a, b, ra))).toEqual([5]);
    expect(a.sas).toHaveLength(4);
    expect(b.sas).toHaveLength(4);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });
});

describe('RFC 8047 §4.3 · SA affinity and anti-replay (RFC 8047 §4.3)', () => {
  it('RFC 8047 §4.3 · by default a new named interface gets its own SA pair: LOCATOR_SET, then a Figure 2 exchange from that interface', () => {
    const sim = mhSim(1203);
    const a = host(sim, 'A', { locators: [{ address: A1, interface: 'eth0' }] });
    const b = host(sim, 'B', { locators: [B1] });
    sim.link(A1, B1, { latencyMs: 10 });
    sim.link(A2, B1, { latencyMs: 40 });
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([{ address: A1, interface: 'eth0' }, { address: A2, interface: 'wlan0' }]);
    sim.run(500);
    const msgs = hipMsgs(sim, t0);
    expect(msgs.filter((m) => m.from === 'A' && m.params.includes('LOCATOR_SET')).map((m) => m.fields['esp'])).toHaveLength(2);
    const newSa = msgs.find((m) => m.from === 'A' && String(m.fields['esp']).startsWith('0x00000000>'))!;
    expect([newSa.src, newSa.dst]).toEqual([A2, B1]);
    expect(a.association(b)!.sas).toHaveLength(2);
    expect(outPaths(a, b)).toEqual([`${A1}>${B1}`, `${A2}>${B1}`]);
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`, `${B1}>${A2}`]);
  });

  it('RFC 8047 §4.3 · opting out (saPerInterface false, with a wide replay window): the second interface shares the one SA pair', () => {
    const sim = mhSim(1204);
    const a = host(sim, 'A', { locators: [{ address: A1, interface: 'eth0' }], policy: { saPerInterface: () => false }, espOptions: { replayWindow: 4096 } });
    const b = host(sim, 'B', { locators: [B1], espOptions: { replayWindow: 4096 } });
    sim.link(A1, B1, { latencyMs: 10 });
    sim.link(A2, B1, { latencyMs: 40 });
    establish(sim, a, b);
    a.setLocators([{ address: A1, interface: 'eth0' }, { address: A2, interface: 'wlan0' }]);
    sim.run(500);
    expect(a.association(b)!.sas).toHaveLength(1);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
  });

  it('RFC 8047 §4.3 · each interface has its own SA; every packet of an SPI leaves from one source address to one destination', () => {
    const { sim, a, b } = twoInterfaces(1201, { spread: true });
    const t0 = sim.trace.length;
    manyFlows(sim, a, b, 50, 4);
    manyFlows(sim, b, a, 50, 4);
    const pathsBySpi = new Map<string, Set<string>>();
    for (const r of sim.trace.records.slice(t0)) {
      if (r.dir !== 'send' || r.kind !== 'ESP') continue;
      const k = `${r.host}:${String(r.fields!['spi'])}`;
      const src = r.fields!['src'] as { loc: Uint8Array };
      const dst = r.fields!['dst'] as { loc: Uint8Array };
      if (!pathsBySpi.has(k)) pathsBySpi.set(k, new Set());
      pathsBySpi.get(k)!.add(`${formatLocator(src.loc)}>${formatLocator(dst.loc)}`);
    }
    expect(pathsBySpi.size).toBe(4);
    for (const paths of pathsBySpi.values()) expect(paths.size).toBe(1);
    // A's two inbound SAs are affiliated with its two interfaces (type 1 locators).
    const sas = a.association(b)!.sas;
    const bound = Object.fromEntries(b.locatorTable(a).map((e) => [formatLocator(e.locator), e.spi]));
    expect(bound).toEqual({ [A1]: sas[0]!.localSpi, [A2]: sas[1]!.localSpi });
  });

  it.each([
    [64, 'a 64-packet window drops packets as too old'],
    [1024, 'a wide window (the opt-out) takes them all'],
  ])('RFC 8047 §4.3 · one SA whose packets cross two paths 30 ms apart (what §4.3 guards against): %i → %s', (window, _what) => {
    // The same SA's packets alternate over the 10 ms and the 40 ms path, as if the host ignored
    // the affinity: 400 packets in 40 ms. The engine never does this (each SA keeps one path, the
    // test above); the data plane is driven directly to show why.
    const { sim, a, b } = twoInterfaces(1202, { replayWindowB: window });
    const spi = a.association(b)!.sas[0]!.peerSpi;
    const before = b.received.length;
    for (let i = 0; i < 400; i++) {
      a.esp.updateSaLocators(spi, L(i % 2 === 0 ? A1 : A2), L(B1), b.hit);
      a.send(b, Uint8Array.of(i & 0xff), { spi });
      if (i % 10 === 9) sim.run(1);
    }
    a.esp.updateSaLocators(spi, L(A1), L(B1), b.hit);
    sim.run(200);
    const tooOld = b.stats().esp.drops['too-old'];
    if (window === 64) expect(tooOld).toBeGreaterThan(0);
    else expect(tooOld).toBe(0);
    expect(b.received.length - before).toBe(400 - tooOld);
  });
});
