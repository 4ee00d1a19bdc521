// Sending rules (RFC 8047 §5.1, RFC 8046 §5.2 and §4.1): every locator
// policy allows, never broadcast, multicast, unspecified or loopback; link-local only toward a
// peer on the same link; tunnels not preferred; one P bit per address family; the privacy filter
// (RFC 8047 §6, RFC 8046 §6.4) keeps chosen ranges out of every LOCATOR_SET, also in the BEX.
import { describe, expect, it } from 'vitest';
import { establish } from './sim-helpers.js';
import { A1, A2, A4, B1, hipMsgs, host, locs, mesh, mhSim, outPaths, ping, table } from './mobility-helpers.js';

const TUN = '2001:db8:7::a';

describe('RFC 8047 §5.1 · sending LOCATOR_SETs (RFC 8047 §5.1)', () => {
  it('RFC 8047 §5.1 · every usable local locator is announced; never multicast, broadcast, unspecified, loopback, link-local to a global peer, or a filtered range; one P per family; the tunnel not preferred', () => {
    const sim = mhSim(301);
    const a = host(sim, 'A', { locators: [A1], config: { neverAnnounce: ['10.0.0.0/8', '2001:db8:bad::/48'] } });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2, TUN], [B1]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([
      { address: TUN, tunnel: true },
      A1,
      'ff02::1',
      'fe80::a',
      '::1',
      '::',
      '10.9.8.7',
      '255.255.255.255',
      '224.0.0.9',
      '2001:db8:bad::a',
      A4,
      A2,
    ]);
    sim.run(300);
    const u1 = hipMsgs(sim, t0)[0]!;
    // The tunnel is listed but not preferred although it comes first; A1 (the SA's locator, type
    // 1) carries the IPv6 P bit, A4 the IPv4 one (RFC 8046 §4.1: P has scope per traffic type and
    // §5.1 of RFC 8047: one preferred per family by default).
    expect(locs(u1)).toEqual([`t0 ${TUN}`, `t1 ${A1} P`, `t0 ${A4} P`, `t0 ${A2}`]);
    expect(Object.keys(table(b, a)).sort()).toEqual([A1, A2, A4, TUN].sort());
    // B keeps A1 (still preferred); traffic does not go to the tunnel.
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`]);
    expect(ping(sim, a, b).ba).toEqual({ [`${B1}>${A1}`]: 3 });
  });

  it('RFC 8047 §5.1 · a link-local address is announced to a peer on the same link (its address link-local too), never as preferred over a global one of the caller', () => {
    const sim = mhSim(302);
    const LLA = 'fe80::a';
    const LLB = 'fe80::b';
    const a = host(sim, 'A', { locators: [LLA] });
    const b = host(sim, 'B', { locators: [LLB] });
    mesh(sim, [LLA, A2], [LLB]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([LLA, { address: A2, preferred: true }]);
    sim.run(300);
    expect(locs(hipMsgs(sim, t0)[0]!)).toEqual([`t1 ${LLA}`, `t0 ${A2} P`]);
    expect(table(b, a)).toEqual({ [LLA]: 'ACTIVE t1', [A2]: 'ACTIVE t0 P' });
  });

  // Was an engine bug (fixed): the peer's P bit does not reach the data plane. When A's tunnel
  // interface (tun0) comes up, the engine gives it its own SA pair (saPerInterface, RFC 8047 §4.3),
  // and A announces A1 as preferred, the tunnel not (§5.1). But the `sa` outputs carry no
  // preference and the engine never marks an outbound SA preferred (EspDataPlane.setPreferred), so
  // the default data-plane policy (`preferredPath`: the newest SA) sends all of B's traffic to
  // the tunnel address, and all of A's from it. RFC 8047 §4.2.3: "The host should try to use the
  // peer's preferred locator"; §5.1: tunnels SHOULD NOT be preferred over a direct path.
  // Expected: with default policies, data goes B1 -> A1 and A1 -> B1 (e.g. an `sa` output flag
  // or a setPreferred-style output for the SA serving the peer's preferred locator).
  // Repro: npx vitest run test/scenarios/rfc8047-sending-rules.sim.test.ts -t "P bit reaches"
  it('RFC 8047 §5.1 · the P bit reaches the data plane: with a per-interface SA on the tunnel, default traffic still uses the preferred direct address', () => {
    const sim = mhSim(306);
    const a = host(sim, 'A', { locators: [{ address: A1, interface: 'eth0' }] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, TUN], [B1]);
    establish(sim, a, b);
    a.setLocators([
      { address: A1, interface: 'eth0' },
      { address: TUN, interface: 'tun0', tunnel: true },
    ]);
    sim.run(500);
    expect(table(b, a)).toEqual({ [A1]: 'ACTIVE t1 P', [TUN]: 'ACTIVE t1' });
    // The engine did set up the tunnel's own SA pair (SA affinity)...
    expect(outPaths(b, a)).toEqual([`${B1}>${A1}`, `${B1}>${TUN}`]);
    // ...but the data must still follow the P bit.
    expect(ping(sim, a, b)).toEqual({ ab: { [`${A1}>${B1}`]: 3 }, ba: { [`${B1}>${A1}`]: 3 } });
  });

  it('RFC 8047 §5.1 · a tunnel the caller explicitly flags as preferred is honoured (the SHOULD of §5.1 is the default, not a veto)', () => {
    const sim = mhSim(303);
    const a = host(sim, 'A', { locators: [A1] });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, TUN], [B1]);
    establish(sim, a, b);
    const t0 = sim.trace.length;
    a.setLocators([A1, { address: TUN, tunnel: true, preferred: true }]);
    sim.run(300);
    expect(locs(hipMsgs(sim, t0)[0]!)).toEqual([`t1 ${A1}`, `t0 ${TUN} P`]);
  });

  it('RFC 8047 §5.1 · the privacy filter applies to the base exchange too: an I2 LOCATOR_SET never lists a filtered address', () => {
    const sim = mhSim(304);
    const a = host(sim, 'A', { locators: [A1, '10.1.2.3', A2, '2001:db8:bad::a'], config: { neverAnnounce: ['10.0.0.0/8', '2001:db8:bad::/48'] } });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1, A2], [B1]);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b));
    const i2 = hipMsgs(sim).find((m) => m.kind === 'I2')!;
    expect(locs(i2)).toEqual([`t0 ${A1} P`, `t0 ${A2}`]);
  });

  it('RFC 8047 §5.1 · with one address left after filtering, no LOCATOR_SET rides in the base exchange (nothing to add)', () => {
    const sim = mhSim(305);
    const a = host(sim, 'A', { locators: [A1, '10.1.2.3'], config: { neverAnnounce: ['10.0.0.0/8'] } });
    const b = host(sim, 'B', { locators: [B1] });
    mesh(sim, [A1], [B1]);
    sim.at(0, () => a.connect(b));
    sim.runUntil(() => a.established(b));
    expect(hipMsgs(sim).find((m) => m.kind === 'I2')!.params).not.toContain('LOCATOR_SET');
  });
});
