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
  sim.nat('natC', { publicAddress: C_NAT, inside: [C_PRIV], mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  sim.nat('natI', { publicAddress: I_NAT, inside: [I_PRIV], mapping: 'endpoint-independent', filtering: 'endpoint-independent' });
  for (const [x, y] of [
    [C_NAT, RELAY],
    [I_NAT, RELAY],
    [C_NAT, I_NAT],
  ] as const)
    sim.link(x, y, { latencyMs: 10 });
  return { sim, c, i, r };
}

describe('RFC 9028 §4.6 with a Control Relay Server and two NATs (simulator)', () => {
  it('registration, relayed base exchange, checks, nomination of the direct path, and ESP that bypasses the relay', () => {
    const { sim, c, i, r } = world(9028);
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
    // The nominated pair runs NAT to NAT, not via the relay.
    expect(formatLocator(pi!.dst)).toBe(C_NAT);
    expect(formatLocator(pc!.dst)).toBe(I_NAT);
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
