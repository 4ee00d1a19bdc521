// RFC 9028 §4.1, §4.5, §4.6 end to end in the simulator: a Control Relay Client (the Responder)
// and an Initiator, each behind an endpoint-independent NAT (RFC 4787 REQ-1, REQ-8), and a
// Control Relay Server on a public address. The client registers (§4.1) and learns its
// server-reflexive address; the base exchange goes through the relay (§4.5); the connectivity
// checks (§4.6) then find the direct path between the two NATs, and ESP flows on it, not through
// the relay.
import { describe, expect, it } from 'vitest';
import { REG_TYPE_RELAY_UDP_HIP } from '../../src/engine/reg-types.js';
import { Sim } from '../../src/testing/index.js';
import { formatLocator, parseLocator } from '../../src/addr/locator.js';
import { seed } from './sim-helpers.js';

const RELAY = '192.0.2.10';
const C_PRIV = '10.1.0.1';
const C_NAT = '198.51.100.1';
const I_PRIV = '10.2.0.1';
const I_NAT = '198.51.100.2';

function world(s: number) {
  const sim = new Sim({ seed: seed(s), crypto: 'noble' });
  const ice = { natTraversal: 'ice-hip-udp' as const };
  const c = sim.host('C', { locators: [C_PRIV], udp: true, config: ice });
  const i = sim.host('I', { locators: [I_PRIV], udp: true, config: ice });
  const r = sim.host('R', { locators: [RELAY], udp: true, config: { registrarTypes: [REG_TYPE_RELAY_UDP_HIP], registrationAllowList: [c.hit] } });
  const natC = sim.nat('natC', { publicAddress: C_NAT, inside: [C_PRIV], mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  const natI = sim.nat('natI', { publicAddress: I_NAT, inside: [I_PRIV], mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  for (const [x, y] of [
    [C_NAT, RELAY],
    [I_NAT, RELAY],
    [C_NAT, I_NAT],
  ] as const)
    sim.link(x, y, { latencyMs: 10 });
  return { sim, c, i, r, natC, natI };
}

describe('RFC 9028 §4.6 · both hosts behind endpoint-independent NATs (RFC 4787 REQ-1, REQ-8): the direct path is found', () => {
  it('§4.1 registration, §4.5 relayed base exchange, §4.6 checks, §4.6.3 nomination of the direct NAT-to-NAT pair, and ESP on that pair, not through the relay', () => {
    const { sim, c, i, r, natC, natI } = world(9028);
    // Every packet to or from the relay, by kind (counted as the hosts send them).
    const viaRelay: string[] = [];
    sim.intercept((_bytes, ctx) => {
      if (formatLocator(ctx.dst) === RELAY || formatLocator(ctx.src) === RELAY) viaRelay.push(`${ctx.from}:${ctx.proto}:${ctx.kind}`);
      return 'pass';
    });
    // §4.1: C registers for RELAY_UDP_HIP and learns its server-reflexive address (REG_FROM).
    c.engine.connect({ hit: r.hit, locators: [parseLocator(RELAY)], udpPort: 10500, register: [REG_TYPE_RELAY_UDP_HIP] }, sim.now);
    sim.runUntil(() => c.eventsOf('registered').length > 0 && c.eventsOf('server-reflexive').length > 0, { maxTimeMs: 10_000 });
    // §4.5: I reaches C by the relay's address.
    i.connect({ hit: c.hit, locators: [RELAY] }, { udpPort: 10500 });
    sim.runUntil(() => i.eventsOf('nat-path').length > 0 && c.eventsOf('nat-path').length > 0, { maxTimeMs: 60_000 });
    const [pi] = i.eventsOf('nat-path');
    const [pc] = c.eventsOf('nat-path');
    // The nominated pair runs NAT to NAT, not via the relay. Each NAT has one mapping for its
    // host's HIP port (endpoint-independent, RFC 4787 §4.1): C's is the server-reflexive
    // candidate the relay reported (REG_FROM, §4.2); I's, which I never announced (I has no
    // relay), C learns from I's check as a peer-reflexive candidate (RFC 8445 §7.3.1.3).
    const [mc] = natC.mappings(sim.now);
    const [mi] = natI.mappings(sim.now);
    expect(natC.mappings(sim.now)).toHaveLength(1);
    expect(natI.mappings(sim.now)).toHaveLength(1);
    const pair = (e: typeof pi) => ({ src: formatLocator(e!.src), srcPort: e!.srcPort, dst: formatLocator(e!.dst), dstPort: e!.dstPort, kind: e!.kind });
    expect(pair(pi)).toEqual({ src: I_PRIV, srcPort: 10500, dst: C_NAT, dstPort: mc!.external.port, kind: 'srflx' });
    expect(pair(pc)).toEqual({ src: C_PRIV, srcPort: 10500, dst: I_NAT, dstPort: mi!.external.port, kind: 'prflx' });
    // The SAs moved to that pair with its UDP ports (§5.11).
    const out = (h: typeof i, peer: typeof c) => h.sas.filter((s) => s.direction === 'out' && formatLocator(s.dst) !== RELAY && s.peerHit.every((x, k) => x === peer.hit[k]));
    expect(out(i, c).map((s) => [formatLocator(s.dst), s.udp])).toEqual([[C_NAT, { srcPort: 10500, dstPort: mc!.external.port }]]);
    expect(out(c, i).map((s) => [formatLocator(s.dst), s.udp])).toEqual([[I_NAT, { srcPort: 10500, dstPort: mi!.external.port }]]);
    expect(i.eventsOf('nat-checks-failed')).toEqual([]);
    // The base exchange crossed the relay (RFC 9028 §4.5 Figure 4: I1, R1, I2, R2 both ways).
    for (const k of ['I1', 'R1', 'I2', 'R2']) expect(viaRelay.filter((x) => x.endsWith(`:hip:${k}`)).length).toBeGreaterThanOrEqual(2);
    for (let k = 0; k < 5; k++) {
      expect(i.send(c, new Uint8Array([1, 2, k])).ok).toBe(true);
      expect(c.send(i, new Uint8Array([3, 4, k])).ok).toBe(true);
    }
    sim.run(1_000);
    expect(Object.keys(c.receivedByPath(i))).toEqual([`${I_NAT}>${C_PRIV}`]);
    expect(Object.values(c.receivedByPath(i))[0]!.packets).toBe(5);
    expect(Object.values(i.receivedByPath(c))[0]!.packets).toBe(5);
    expect(Object.keys(i.receivedByPath(c))).toEqual([`${C_NAT}>${I_PRIV}`]);
    // Nothing of the ESP went to or came from the relay.
    expect(viaRelay.filter((x) => x.includes(':esp:'))).toEqual([]);
    expect(r.peekEngine().associations().length).toBe(1);
  });
});
