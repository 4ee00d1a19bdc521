// Dual-host multihoming with a full mesh of SA pairs (RFC 8047
// §4.2.6, Figure 3) and combined mobility and multihoming, moving one of two interfaces
// (§4.2.7).
import { describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { spreadFlows } from '../../src/esp/policy.js';
import { count, establish } from './sim-helpers.js';
const hex = (spi: number): string => `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;

import { A1, A2, A3, B1, B2, arrivals, constantFlow, figure, hipMsgs, host, i1Count, locs, mesh, mhSim, outPaths, perPath, table } from './mobility-helpers.js';

describe('RFC 8047 §4.2.6 · dual-host multihoming (RFC 8047 §4.2.6)', () => {
  it('RFC 8047 §4.2.6 · RFC 8047 Figure 3: host1 adds addr1b, host2 adds addr2b towards both of host1\'s addresses: a full mesh of four SA pairs, data on every path', () => {
    const sim = mhSim(801);
    const esp = { espOptions: { policy: spreadFlows } };
    const a = host(sim, 'A', { locators: [A1], ...esp });
    const b = host(sim, 'B', { locators: [B1], ...esp });
    mesh(sim, [A1, A2], [B1, B2]);
    establish(sim, a, b);
    // addr1a <-> addr2a carries SPI1a / SPI2a from the base exchange.
    const t0 = sim.trace.length;
    // host1 adds addr1b with a new SA pair, sending to addr2a (second pair).
    a.setLocators([A1, A2], { announce: false });
    a.addSaPair(b, { local: A2, peer: B1 });
    sim.run(300);
    // host2 adds addr2b towards addr1a (third pair) and towards addr1b (fourth pair).
    b.setLocators([B1, B2], { announce: false });
    b.addSaPair(a, { local: B2, peer: A1 });
    sim.run(300);
    b.addSaPair(a, { local: B2, peer: A2 });
    sim.run(300);
    // Three Figure 2 exchanges, each from the new local address to the chosen peer address.
    const msgs = hipMsgs(sim, t0);
    expect(figure(sim, t0)).toEqual([
      'A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)',
      'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)',
      'A>B UPDATE(ACK,ECHO_RESPONSE)',
      'B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)',
      'A>B UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)',
      'B>A UPDATE(ACK,ECHO_RESPONSE)',
      'B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)',
      'A>B UPDATE(ESP_INFO,SEQ,ACK)',
      'B>A UPDATE(ACK)',
    ]);
    expect([msgs[0]!.src, msgs[0]!.dst, msgs[3]!.src, msgs[3]!.dst, msgs[6]!.src, msgs[6]!.dst]).toEqual([A2, B1, B2, A1, B2, A2]);
    // The full mesh: four SA pairs on both sides, every address pair used by exactly one pair.
    const pairs = (h: typeof a, peer: typeof b): string[] =>
      h.association(peer)!.sas.map((s) => {
        const out = h.sas.find((x) => x.direction === 'out' && x.spi === s.peerSpi)!;
        return `${formatLocator(out.src)}<->${formatLocator(out.dst)}`;
      });
    expect(pairs(a, b).sort()).toEqual([`${A1}<->${B1}`, `${A1}<->${B2}`, `${A2}<->${B1}`, `${A2}<->${B2}`]);
    expect(pairs(b, a).sort()).toEqual([`${B1}<->${A1}`, `${B1}<->${A2}`, `${B2}<->${A1}`, `${B2}<->${A2}`]);
    expect(table(a, b)).toEqual({ [B1]: 'ACTIVE t1 P', [B2]: 'ACTIVE t1' });
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t1' });
    // Data spread by flow over the four pairs reaches every path, each way.
    const ra = a.received.length;
    const rb = b.received.length;
    for (let f = 0; f < 400; f++) {
      a.send(b, Uint8Array.of(f & 0xff), { flowKey: `flow ${f}` });
      b.send(a, Uint8Array.of(f & 0xff), { flowKey: `flow ${f}` });
    }
    sim.run(200);
    const ab = perPath(b, a, ra === 0 ? rb : rb);
    const ba = perPath(a, b, ra);
    expect(Object.keys(ab).sort()).toEqual([`${A1}>${B1}`, `${A1}>${B2}`, `${A2}>${B1}`, `${A2}>${B2}`]);
    expect(Object.keys(ba).sort()).toEqual([`${B1}>${A1}`, `${B1}>${A2}`, `${B2}>${A1}`, `${B2}>${A2}`]);
    for (const v of [...Object.values(ab), ...Object.values(ba)]) expect(v).toBeGreaterThan(60);
    expect(i1Count(sim)).toBe(1);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  it('RFC 8047 §4.2.6 · both hosts only announce their second address (no new SA): one SA pair, both tables hold two ACTIVE addresses', () => {
    const sim = mhSim(802);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1, B2]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([A1, A2]);
    b.setLocators([B1, B2]);
    sim.run(500);
    expect(figure(sim, t0).filter((m) => m.includes('LOCATOR_SET'))).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,LOCATOR_SET,SEQ)']);
    expect(table(a, b)).toEqual({ [B1]: 'ACTIVE t1 P', [B2]: 'ACTIVE t0' });
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'ACTIVE t0' });
    expect(a.association(b)!.sas).toHaveLength(1);
    expect(outPaths(a, b)).toEqual([`${A1}>${B1}`]);
  });
});

describe('RFC 8047 §4.2.7 · combined mobility and multihoming (RFC 8047 §4.2.7)', () => {
  it('RFC 8047 §4.2.7 · one of two interfaces moves (wlan0 A2 -> A3) while eth0 (A1) keeps its address: the moved SA pair follows, the other is untouched, data on A1 never stops', () => {
    const sim = mhSim(901);
    const a = host(sim, 'A', { locators: [{ address: A1, interface: 'eth0' }] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2, A3], [B1]);
    establish(sim, a, b);
    a.setLocators([{ address: A1, interface: 'eth0' }, { address: A2, interface: 'wlan0' }], { announce: false });
    a.addSaPair(b, { local: A2 });
    sim.run(300);
    const [eth, wlan] = a.association(b)!.sas;
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`, `${B1}>${A2}`]);
    // B's default data plane sends on the preferred pair (the one on the P-bit locators: eth0).
    expect(b.esp.outboundSas(a.hit).map((s) => s.preferred)).toEqual([true, false]);
    // Continuous data on both SAs while wlan0 moves, each forced onto its SA by SPI.
    const viaEth = constantFlow(sim, b, a, { startMs: sim.now, intervalMs: 5, count: 100, spi: eth!.localSpi, tag: 'eth' });
    const viaWlan = constantFlow(sim, b, a, { startMs: sim.now + 1, intervalMs: 5, count: 100, spi: wlan!.localSpi, tag: 'wlan' });
    const t0 = sim.trace.length;
    sim.after(100, () => a.moveLocator(A2, A3));
    sim.run(700);
    // The LOCATOR_SET keeps A1 bound to the eth0 SPI and names A3 with the wlan0 SPI.
    const u1 = hipMsgs(sim, t0)[0]!;
    expect(locs(u1)).toEqual([`t1 ${A1} P`, `t1 ${A3}`]);
    expect(u1.fields['locs']).toEqual([
      ['t1', expect.anything(), hex(eth!.localSpi), 'P'],
      ['t1', expect.anything(), hex(wlan!.localSpi)],
    ]);
    // A sends the UPDATE from its preferred address A1, not from A3: B ACKs it there and checks
    // A3 with an UPDATE of its own, which A answers from A3 (RFC 8047 Figure 1, RFC 8046 §5.4).
    expect(figure(sim, t0)).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ACK)', 'B>A UPDATE(ESP_INFO,SEQ,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)']);
    expect(hipMsgs(sim, t0).map((m) => `${m.src}>${m.dst}`)).toEqual([`${A1}>${B1}`, `${B1}>${A1}`, `${B1}>${A3}`, `${A3}>${B1}`]);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [A2]: 'DEPRECATED t1', [A3]: 'ACTIVE t1' });
    // Same SPIs: no rekey; the wlan0 pair now uses A3, the eth0 pair still A1.
    expect(a.association(b)!.sas.map((s) => [s.localSpi, s.peerSpi])).toEqual([
      [eth!.localSpi, eth!.peerSpi],
      [wlan!.localSpi, wlan!.peerSpi],
    ]);
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`, `${B1}>${A3}`]);
    expect(outPaths(a, b)).toEqual([`${A1}>${B1}`, `${A3}>${B1}`]);
    // eth0: not one packet lost, always on A1.
    expect(arrivals(a, viaEth)).toHaveLength(100);
    expect(new Set(arrivals(a, viaEth).map((x) => x.path))).toEqual(new Set([`${B1}>${A1}`]));
    // wlan0 (break-before-make): only what was in flight to A2 (two one-way delays) is lost; while A3 is checked the
    // wlan0 SA borrows the ACTIVE A1 (RFC 8047 §5.3: SHOULD use an ACTIVE locator meanwhile),
    // then A3 carries it.
    const wl = arrivals(a, viaWlan);
    expect(100 - wl.length).toBeLessThanOrEqual((2 * 10) / 5);
    expect(new Set(wl.map((x) => x.path))).toEqual(new Set([`${B1}>${A2}`, `${B1}>${A1}`, `${B1}>${A3}`]));
    expect(wl.at(-1)!.path).toBe(`${B1}>${A3}`);
    expect(i1Count(sim)).toBe(1);
  });
});
