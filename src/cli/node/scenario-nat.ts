// The `hip-engine demo --scenario nat` story: native NAT traversal (RFC 9028), in acts. A and B
// each sit behind an endpoint-independent NAT (RFC 4787 §4.1, §5); a Control Relay Server (CRS)
// is public. Both register with it for RELAY_UDP_HIP (§4.1) and learn their server-reflexive
// address from REG_FROM; A, knowing only B's HIT and the relay's address, runs the base exchange
// through the relay (§4.5); the hosts announce their candidates, check them and use the chosen
// pair (§4.6); data flows directly, NAT to NAT; B's NAT rebinds in the middle of the flow and the
// flow survives (§4.8); then they close. The scenario checks its own story: a step that does not
// happen fails the run (exit code 1).
import { formatLocator, parseLocator } from '../../addr/locator.js';
import { REG_TYPE_RELAY_UDP_HIP } from '../../engine/reg-types.js';
import type { HipEvent } from '../../engine/io.js';
import type { NatBox } from '../../testing/nat.js';
import type { Sim, SimHost } from '../../testing/sim.js';
import { traceHit, traceLoc } from '../../testing/trace.js';
import type { Scenario, ScenarioCtx } from './demo.js';
import { story, talk } from './story.js';

/** Addresses, latency and the timeline (virtual ms) of the NAT scenario. */
export const NAT = {
  a: '10.0.1.2',
  natA: '203.0.113.1',
  b: '10.0.2.2',
  natB: '198.51.100.1',
  crs: '192.0.2.1',
  latencyMs: 10,
  acts: { register: 0, bex: 500, data: 9000, rebind: 10000, close: 16000 },
} as const;

const N = NAT;
const MAX_WAIT_MS = 20_000;
type World = { readonly crs: SimHost; readonly natA: NatBox; readonly natB: NatBox };
const WORLD = new WeakMap<Sim, World>();

const { act, say } = story({ a: N.a, natA: N.natA, b: N.b, natB: N.natB, crs: N.crs });

const endpoint = (address: Uint8Array, port: number): string => `${formatLocator(address)}:${port}`;

/** HIP packets (not ESP) sent since trace record `from` that match `pred`. */
function hipSends(sim: Sim, from: number, pred: (r: { host: string; kind: string }) => boolean): number {
  return sim.trace.records.slice(from).filter((r) => r.dir === 'send' && r.kind !== 'ESP' && r.kind !== 'KEEPALIVE' && pred({ host: r.host, kind: r.kind })).length;
}

/** ESP packets sent or received by `host` since trace record `from`. */
function espAt(sim: Sim, from: number, host: string): number {
  return sim.trace.records.slice(from).filter((r) => r.host === host && r.kind === 'ESP' && (r.dir === 'send' || r.dir === 'recv')).length;
}

/** `client` runs a base exchange with the relay over UDP and asks for RELAY_UDP_HIP in its I2 (RFC 9028 §4.1 Figure 2). */
function registerRelay(sim: Sim, client: SimHost, crs: SimHost): void {
  sim.note(client.name, 'connect', { peer: traceHit(crs.hit), register: 'RELAY_UDP_HIP', udp: crs.udpPort });
  client.engine.connect({ hit: crs.hit, locators: crs.locators, udpPort: crs.udpPort, register: [REG_TYPE_RELAY_UDP_HIP] }, sim.now);
  sim.drainHost(client);
}

type Srflx = Extract<HipEvent, { type: 'server-reflexive' }>;
type NatPath = Extract<HipEvent, { type: 'nat-path' }>;

function run(ctx: ScenarioCtx): void {
  const { sim, a, b } = ctx;
  const { crs, natB } = WORLD.get(sim)!;
  const T = N.acts;

  act(sim, T.register, 1, 'A and B register with the Control Relay Server {crs} for RELAY_UDP_HIP, from behind their NATs');
  registerRelay(sim, b, crs);
  registerRelay(sim, a, crs);
  sim.runUntil(() => [a, b].every((h) => h.eventsOf('registered').length > 0 && h.eventsOf('server-reflexive').length > 0), { maxTimeMs: MAX_WAIT_MS });
  for (const [h, nat] of [
    [a, N.natA],
    [b, N.natB],
  ] as const) {
    if (!h.eventsOf('registered')[0]!.regTypes.includes(REG_TYPE_RELAY_UDP_HIP)) throw new Error(`${h.name} did not get RELAY_UDP_HIP`);
    const s = h.eventsOf('server-reflexive')[0] as Srflx;
    // RFC 9028 §4.1: REG_FROM is the client's transport address as the relay saw it: the NAT's.
    if (formatLocator(s.address) !== nat) throw new Error(`${h.name}'s REG_FROM is ${formatLocator(s.address)}, not its NAT's address ${nat}`);
    say(sim, h.name, `${h.name}'s server-reflexive address (REG_FROM in the R2): ${endpoint(s.address, s.port)}, its NAT's mapping of ${formatLocator(h.locators[0]!)}:${h.udpPort}`);
  }

  act(sim, T.bex, 2, "Base exchange through the relay: A knows only B's HIT and {crs}; I1, R1, I2 and R2 all cross it (RELAY_FROM, RELAY_TO, RELAY_HMAC), I2 and R2 carry the candidates");
  const t0 = sim.trace.length;
  a.connect({ hit: b.hit, locators: [N.crs] });
  sim.runUntil(() => a.established(b), { maxTimeMs: MAX_WAIT_MS });
  for (const k of ['I1', 'R1', 'I2', 'R2']) {
    if (hipSends(sim, t0, (r) => r.host === 'CRS' && r.kind === k) === 0) throw new Error(`act 2: the relay relayed no ${k}`);
  }
  say(sim, 'CRS', 'The relay added RELAY_FROM and RELAY_HMAC toward B; B answered with RELAY_TO, which the relay followed');
  // RFC 9028 §4.2, §5.7: B's candidates, type 2 locators in the ENCRYPTED LOCATOR_SET of its R2:
  // its host candidate and the server-reflexive one its relay reported. (A's, in its I2, reach
  // B's table once B is ESTABLISHED.)
  const cands = a.peerLocators(b).filter((l) => l.type === 2);
  const srflx = b.eventsOf('server-reflexive')[0] as Srflx;
  if (!cands.some((l) => l.kind === 'srflx' && l.port === srflx.port && formatLocator(l.locator) === formatLocator(srflx.address))) {
    throw new Error(`act 2: A did not receive B's server-reflexive candidate ${endpoint(srflx.address, srflx.port)}`);
  }
  say(sim, 'A', `A has B's candidates from the R2: ${cands.map((l) => `${l.kind ?? '?'} ${endpoint(l.locator, l.port ?? 0)}`).join(', ')}`);

  // The checks start Ta after the base exchange, so this act begins as soon as act 2 ends.
  act(sim, sim.now, 3, 'Connectivity checks (RFC 9028 §4.6): A (controlling) and B test their candidate pairs with UPDATEs, paced by Ta; A nominates the best working pair');
  const t2 = sim.trace.length;
  sim.runUntil(() => [a, b].every((h) => h.eventsOf('nat-path').length > 0 || h.eventsOf('nat-checks-failed').length > 0), { maxTimeMs: MAX_WAIT_MS });
  for (const h of [a, b]) if (h.eventsOf('nat-checks-failed').length > 0) throw new Error(`act 3: ${h.name}'s connectivity checks all failed`);
  const checks = hipSends(sim, t2, (r) => (r.host === 'A' || r.host === 'B') && r.kind === 'UPDATE');
  const natOf = (h: SimHost): string => (h === a ? N.natA : N.natB);
  for (const [h, peer] of [
    [a, b],
    [b, a],
  ] as const) {
    const p = h.eventsOf('nat-path')[0] as NatPath;
    // RFC 9028 §4.6: the nominated pair runs NAT to NAT: the peer's NAT address, not the relay.
    if (formatLocator(p.dst) !== natOf(peer)) throw new Error(`act 3: ${h.name}'s chosen pair goes to ${endpoint(p.dst, p.dstPort)}, not to ${peer.name}'s NAT ${natOf(peer)}`);
    say(sim, h.name, `${h.name}'s chosen pair: ${endpoint(p.src, p.srcPort)} -> ${endpoint(p.dst, p.dstPort)} (${peer.name}'s ${p.kind} candidate); HIP and the SAs move to it`);
  }
  const lost = sim.trace.records.slice(t2).filter((r) => r.dir === 'drop' && r.kind === 'UPDATE' && (r.host === 'A' || r.host === 'B')).length;
  say(sim, 'demo', `A and B sent ${checks} UPDATEs of checks and nomination; the ${lost} checks toward the other's host candidate (a private address) found no route, the server-reflexive pair worked`);

  act(sim, T.data, 4, 'Data through ESP over UDP, NAT to NAT');
  const t1 = sim.trace.length;
  talk(sim, a, b, 'through the NATs');
  if (espAt(sim, t1, 'CRS') !== 0) throw new Error('act 4: ESP went through the relay (it relays control packets only)');

  act(sim, T.rebind, 5, "B's NAT {natB} rebinds in the middle of the flow: B's packets now leave from a new external port");
  const before = natB.mappings(sim.now).map((m) => m.external.port);
  sim.rebindNat(natB, 'new-ports');
  talk(sim, b, a, 'after the rebinding');
  const after = natB.mappings(sim.now).map((m) => m.external.port);
  if (after.some((p) => before.includes(p))) throw new Error('act 5: the NAT kept an external port');
  say(sim, 'A', "A followed B's new port on authenticated evidence; the flow continues on the same SAs");

  act(sim, T.close, 6, 'Close (CLOSE / CLOSE_ACK) between A and B; the registrations stay with the relay');
  a.close(b);
  sim.runUntil(() => a.eventsOf('closed').length > 0 && b.eventsOf('closed').length > 0, { maxTimeMs: MAX_WAIT_MS });
  sim.run(50);
}

export const NAT_SCENARIO: Scenario = {
  name: 'nat',
  summary: 'A and B behind NATs register with a Control Relay Server, run the base exchange through it, check their candidate pairs and nominate one, send data NAT to NAT, survive a NAT rebinding, close',
  defaultSeed: 1,
  setup: (sim) => {
    const natA = sim.nat('NATa', { publicAddress: N.natA, inside: [N.a] });
    const natB = sim.nat('NATb', { publicAddress: N.natB, inside: [N.b] });
    // RFC 9028 §4.3: both offer ICE-HIP-UDP, so candidates go into I2 and R2.
    const a = sim.host('A', { locators: [N.a], udp: true, config: { natTraversal: 'ice-hip-udp' } });
    const b = sim.host('B', { locators: [N.b], udp: true, config: { natTraversal: 'ice-hip-udp' } });
    const crs = sim.host('CRS', { locators: [N.crs], udp: true, config: { registrarTypes: [REG_TYPE_RELAY_UDP_HIP], registrationAllowList: [a.hit, b.hit] } });
    WORLD.set(sim, { crs, natA, natB });
    const link = { latencyMs: N.latencyMs };
    sim.link(N.natA, N.crs, link);
    sim.link(N.natB, N.crs, link);
    sim.link(N.natA, N.natB, link);
    sim.note('demo', 'link', { name: 'net', a: traceLoc(parseLocator(N.natA)), b: traceLoc(parseLocator(N.natB)), what: `${N.latencyMs} ms one way between NATa, NATb and the relay CRS at ${N.crs}; both NATs endpoint-independent (RFC 4787)` });
    return { sim, a, b };
  },
  run,
};
