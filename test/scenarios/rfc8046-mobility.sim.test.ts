// Mobility (RFC 8046 §3.2): readdress without rekey (Figure 3) and with a
// mobile-initiated rekey (Figure 4), make-before-break, simultaneous movement of both hosts and
// network renumbering. Real crypto (nobleCrypto, ECDSA P-256), real ESP through the data plane.
import { describe, expect, it } from 'vitest';
import { count, establish } from './sim-helpers.js';
import { A1, A2, B1, B2, arrivals, constantFlow, figure, hipMsgs, host, i1Count, locs, mesh, mhSim, outPaths, ping, states, table } from './mobility-helpers.js';
import type { SimHost } from '../../src/testing/index.js';

const hex = (spi: number): string => `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;
const pairOf = (h: SimHost, peer: SimHost): { local: number; peer: number } => {
  const s = h.association(peer)!.sas[0]!;
  return { local: s.localSpi, peer: s.peerSpi };
};

function moving(s: number) {
  const sim = mhSim(s);
  const a = host(sim, 'A', { locators: [A1] });
  const b = host(sim, 'B', { locators: [B1] });
  mesh(sim, [A1, A2], [B1]);
  establish(sim, a, b);
  return { sim, a, b };
}

describe('RFC 8046 §3.2 · mobility (RFC 8046 §3.2)', () => {
  it('RFC 8046 §3.2 · RFC 8046 §3.2.1 Figure 3: readdress without rekey, address check, break-before-make', () => {
    const { sim, a, b } = moving(1401);
    expect(ping(sim, a, b).ab).toEqual({ [`${A1}>${B1}`]: 3 });
    const spiA = pairOf(a, b);
    const t0 = sim.trace.length;
    a.moveLocator(A1, A2);
    sim.run(15);
    // B has the UPDATE: the new address is UNVERIFIED, the old one DEPRECATED, and B may use the
    // new one at once, within credit (§3.2.1 step 2: "MUST limit the amount of data").
    expect(table(b, a)).toEqual({ [A1]: 'DEPRECATED t1', [A2]: 'UNVERIFIED t1 P' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A2} credit`]);
    sim.run(200);
    expect(figure(sim, t0)).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)']);
    const [u1, u2, u3] = hipMsgs(sim, t0);
    // U1 from the new address to the peer's preferred one; OLD SPI = NEW SPI = A's inbound SPI;
    // one type 1 locator bound to that SPI, preferred (§5.2 case 1).
    expect([u1!.src, u1!.dst, u1!.fields['esp'], locs(u1!)]).toEqual([A2, B1, `${hex(spiA.local)}>${hex(spiA.local)}`, [`t1 ${A2} P`]]);
    expect((u1!.fields['locs'] as unknown[][])[0]![2]).toBe(hex(spiA.local));
    // U2 goes to the new address (that is the check), with B's gratuitous ESP_INFO and the ACK.
    expect([u2!.src, u2!.dst, u2!.fields['esp'], u2!.fields['ack']]).toEqual([B1, A2, `${hex(spiA.peer)}>${hex(spiA.peer)}`, [u1!.fields['seq']]]);
    expect(u3!.fields['ack']).toEqual([u2!.fields['seq']]);
    expect(table(b, a)).toEqual({ [A1]: 'DEPRECATED t1', [A2]: 'ACTIVE t1 P' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    expect(outPaths(a, b)).toEqual([`${A2}>${B1}`]);
    // Same SA pair (no rekey), no new base exchange, data on the new path both ways.
    expect(pairOf(a, b)).toEqual(spiA);
    expect(i1Count(sim)).toBe(1);
    expect(a.eventsOf('update-completed').map((e) => e.what)).toEqual(['locators']);
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A2}>${B1}`]: 3 }, ba: { [`${B1}>${A2}`]: 3 } });
  });

  it('RFC 8046 §3.2 · RFC 8046 §3.2.2 Figure 4: readdress with a mobile-initiated rekey; type 1 locator names the NEW SPI', () => {
    const { sim, a, b } = moving(1402);
    const old = pairOf(a, b);
    const t0 = sim.trace.length;
    a.moveLocator(A1, A2, { rekey: true });
    sim.run(300);
    expect(figure(sim, t0)).toEqual(['A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)', 'B>A UPDATE(ESP_INFO,SEQ,ACK,ECHO_REQUEST)', 'A>B UPDATE(ACK,ECHO_RESPONSE)']);
    const [u1, u2] = hipMsgs(sim, t0);
    const fresh = pairOf(a, b);
    expect(fresh.local).not.toBe(old.local);
    expect(fresh.peer).not.toBe(old.peer);
    expect(u1!.fields['esp']).toBe(`${hex(old.local)}>${hex(fresh.local)}`);
    expect(u1!.fields['locs']).toEqual([['t1', expect.anything(), hex(fresh.local), 'P']]);
    expect(u2!.fields['esp']).toBe(`${hex(old.peer)}>${hex(fresh.peer)}`);
    expect(u2!.dst).toBe(A2);
    expect(count(a, 'update-completed')).toBe(1);
    expect(a.eventsOf('update-completed')[0]!.what).toBe('rekey');
    expect(b.eventsOf('update-completed')[0]!.what).toBe('rekey');
    expect(table(b, a)).toEqual({ [A1]: 'DEPRECATED t1', [A2]: 'ACTIVE t1 P' });
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A2}>${B1}`]: 3 }, ba: { [`${B1}>${A2}`]: 3 } });
    // Data on the new SAs retired the old ones: one pair left, the new SPIs, on the new path.
    sim.run(6000);
    expect(a.sas.map((s) => s.spi).sort()).toEqual([fresh.local, fresh.peer].sort());
    expect(b.sas.map((s) => s.spi).sort()).toEqual([fresh.local, fresh.peer].sort());
    expect(b.received.at(-1)!.spi).toBe(fresh.peer);
    expect(i1Count(sim)).toBe(1);
  });

  it('RFC 8046 §3.2 · RFC 8046 §3.2.1 step 1 make-before-break: the new address is checked while the old one carries the data; nothing is lost', () => {
    const { sim, a, b } = moving(1403);
    const flowBA = constantFlow(sim, b, a, { startMs: sim.now, intervalMs: 5, count: 200 });
    const flowAB = constantFlow(sim, a, b, { startMs: sim.now + 2, intervalMs: 5, count: 200 });
    sim.after(100, () => a.setLocators([A1, { address: A2, preferred: true }]));
    sim.run(115);
    // While A2 is being checked, B keeps sending to the ACTIVE A1 (RFC 8046 §5.4 SHOULD): no credit.
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1', [A2]: 'UNVERIFIED t0 P' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
    sim.run(20);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1', [A2]: 'ACTIVE t0 P' });
    expect(outPaths(b, a)).toEqual([`${B1}>${A2}`]);
    sim.after(300, () => a.setLocators([A2]));
    sim.run(1200);
    expect(table(b, a)).toEqual({ [A1]: 'DEPRECATED t1', [A2]: 'ACTIVE t1 P' });
    for (const f of [flowAB, flowBA]) {
      expect(f.sends.every((x) => x.ok)).toBe(true);
      expect(arrivals(f === flowAB ? b : a, f)).toHaveLength(200);
    }
    const paths = new Set(arrivals(a, flowBA).map((x) => x.path));
    expect(paths).toEqual(new Set([`${B1}>${A1}`, `${B1}>${A2}`]));
    expect(b.stats().esp.drops['no-credit']).toBe(0);
    expect(i1Count(sim)).toBe(1);
  });
});

describe('RFC 8046 §3.2 · simultaneous movement of both hosts (RFC 8046 §3.2.3)', () => {
  function both(s: number) {
    const sim = mhSim(s);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1, B2]);
    establish(sim, a, b);
    return { sim, a, b };
  }

  it('RFC 8046 §3.2 · both hosts move make-before-break at the same instant: old addresses stay reachable briefly, no data lost, no new BEX', () => {
    const { sim, a, b } = both(1404);
    const fab = constantFlow(sim, a, b, { startMs: sim.now, intervalMs: 5, count: 300 });
    const fba = constantFlow(sim, b, a, { startMs: sim.now + 1, intervalMs: 5, count: 300 });
    sim.after(100, () => {
      a.setLocators([A1, { address: A2, preferred: true }]);
      b.setLocators([B1, { address: B2, preferred: true }]);
    });
    // 400 ms later both drop their old address at the same instant.
    sim.after(500, () => {
      a.setLocators([A2]);
      b.setLocators([B2]);
    });
    sim.run(2000);
    expect(states(b, a)).toEqual({ [A1]: 'DEPRECATED', [A2]: 'ACTIVE' });
    expect(states(a, b)).toEqual({ [B1]: 'DEPRECATED', [B2]: 'ACTIVE' });
    expect(outPaths(a, b)).toEqual([`${A2}>${B2}`]);
    expect(outPaths(b, a)).toEqual([`${B2}>${A2}`]);
    expect(arrivals(b, fab)).toHaveLength(300);
    expect(arrivals(a, fba)).toHaveLength(300);
    expect(arrivals(a, fba).at(-1)!.path).toBe(`${B2}>${A2}`);
    expect(i1Count(sim)).toBe(1);
    expect(count(a, 'failed') + count(b, 'failed')).toBe(0);
  });

  // The double jump (both hosts break-before-make at once, RFC 8046 §3.2.3) is recovered through
  // the peers' rendezvous server: test/scenarios/rfc8046-double-jump.sim.test.ts.
});

describe('RFC 8046 §3.2 · network renumbering (RFC 8046 §3.2.4)', () => {
  it('RFC 8046 §3.2 · both sites renumbered (new prefixes announced, then the old ones withdrawn): SAs, keys and data survive, no new BEX', () => {
    const OLD_A = '2001:db8:1::a';
    const OLD_B = '2001:db8:1::b';
    const NEW_A = '2001:db8:100::a';
    const NEW_B = '2001:db8:100::b';
    const sim = mhSim(1406);
    const a = host(sim, 'A', { locators: [OLD_A] });
    const b = host(sim, 'B', { locators: [OLD_B] });
    mesh(sim, [OLD_A, NEW_A], [OLD_B, NEW_B]);
    establish(sim, a, b);
    const spis = pairOf(a, b);
    const fab = constantFlow(sim, a, b, { startMs: sim.now, intervalMs: 10, count: 200 });
    const fba = constantFlow(sim, b, a, { startMs: sim.now + 5, intervalMs: 10, count: 200 });
    // RFC 4192 style: the new prefix comes while the old one is still valid...
    sim.after(200, () => {
      a.setLocators([OLD_A, { address: NEW_A, preferred: true }]);
      b.setLocators([OLD_B, { address: NEW_B, preferred: true }]);
    });
    // ...and the old one is withdrawn later.
    sim.after(1000, () => {
      a.setLocators([NEW_A]);
      b.setLocators([NEW_B]);
    });
    sim.run(3000);
    expect(states(b, a)).toEqual({ [OLD_A]: 'DEPRECATED', [NEW_A]: 'ACTIVE' });
    expect(states(a, b)).toEqual({ [OLD_B]: 'DEPRECATED', [NEW_B]: 'ACTIVE' });
    expect(pairOf(a, b)).toEqual(spis);
    expect(arrivals(b, fab)).toHaveLength(200);
    expect(arrivals(a, fba)).toHaveLength(200);
    expect(arrivals(b, fab).at(-1)!.path).toBe(`${NEW_A}>${NEW_B}`);
    expect(i1Count(sim)).toBe(1);
  });
});
