// Shared set-up of the NAT traversal scenarios (rfc9028-nat-*.sim.test.ts): hosts behind the
// simulator's NAT boxes (RFC 4787 behaviours, docs/architecture.md, Simulator, NAT boxes), a
// public Control Relay Server host offering RELAY_UDP_HIP (RFC 9028 §4.1, §5.9), and the
// registration of a client with it over UDP.
import { REG_TYPE_RELAY_UDP_HIP } from '../../src/engine/reg-types.js';
import type { HipConfig } from '../../src/engine/config.js';
import { formatLocator } from '../../src/addr/locator.js';
import type { AssocId, Locator } from '../../src/types.js';
import { Sim, type DuplexLink, type NatBox, type NatFilteringBehavior, type NatMappingBehavior, type NatOptions, type SimHost } from '../../src/testing/index.js';
import { seed } from './sim-helpers.js';

/** Addresses of every NAT scenario: private ones behind NAT boxes, public ones outside. */
export const ADDR = {
  /** A's private address behind NAT A, and its second one behind NAT A2 (a move, RFC 9028 §4.9). */
  A: '10.0.0.1',
  A2: '10.1.0.1',
  NAT_A: '203.0.113.1',
  NAT_A2: '203.0.113.9',
  /** A's public interface (multihoming, RFC 8047 with RFC 9028 Appendix D). */
  A_PUB: '192.0.2.1',
  B: '10.0.1.2',
  NAT_B: '198.51.100.1',
  B_PUB: '198.51.100.2',
  RELAY: '192.0.2.100',
} as const;

/** Configuration of every NAT-traversing host: ICE-HIP-UDP offered and chosen (RFC 9028 §4.3). */
export const NAT_CONFIG: Partial<HipConfig> = { natTraversal: 'ice-hip-udp' };

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const untext = (b: Uint8Array): string => new TextDecoder().decode(b);

/**
 * A new simulation with real crypto and the test's seed (SIM_SEED overrides it); `traceParams`
 * puts each HIP packet's parameters (and a NOTIFY's type) in the trace.
 */
export function newSim(s: number, opts: { readonly traceParams?: boolean } = {}): Sim {
  return new Sim({ seed: seed(s), crypto: 'noble', ...(opts.traceParams ? { traceParams: true } : {}) });
}

/** A host running HIP over UDP with ICE-HIP-UDP on (RFC 9028 §5.1, §4.3). */
export function natHost(sim: Sim, name: string, locators: readonly string[], config: Partial<HipConfig> = {}): SimHost {
  return sim.host(name, { locators, udp: true, config: { ...NAT_CONFIG, ...config } });
}

/** A NAT box in front of `inside` (RFC 4787 defaults unless `opts` says otherwise). */
export function natBox(sim: Sim, name: string, publicAddress: string, inside: readonly string[], opts: Partial<NatOptions> = {}): NatBox {
  return sim.nat(name, { publicAddress, inside, ...opts });
}

/** The Control Relay Server: a public host that offers RELAY_UDP_HIP to `clients` (RFC 9028 §4.1). */
export function relayHost(sim: Sim, clients: readonly SimHost[], config: Partial<HipConfig> = {}): SimHost {
  return sim.host('R', {
    locators: [ADDR.RELAY],
    udp: true,
    config: { ...NAT_CONFIG, registrarTypes: [REG_TYPE_RELAY_UDP_HIP], registrationAllowList: clients.map((c) => c.hit), ...config },
  });
}

/**
 * `client` registers with `relay` for RELAY_UDP_HIP in a base exchange over UDP (RFC 9028 §4.1
 * Figure 2); run the simulation until the `registered` event.
 */
export function registerRelay(sim: Sim, client: SimHost, relay: SimHost): AssocId {
  sim.note(client.name, 'connect', { register: 'RELAY_UDP_HIP' });
  const id = client.engine.connect({ hit: relay.hit, locators: relay.locators, udpPort: relay.udpPort, register: [REG_TYPE_RELAY_UDP_HIP] }, sim.now);
  sim.drainHost(client);
  sim.runUntil(() => client.eventsOf('registered').length > 0, { maxTimeMs: 10_000 });
  return id;
}

/**
 * `initiator` starts a base exchange with `responder` knowing only the relay's address as its
 * locator (RFC 9028 §4.5): the I1 goes to the relay, which forwards it with RELAY_FROM.
 */
export function connectViaRelay(sim: Sim, initiator: SimHost, responder: SimHost, relay: SimHost): AssocId {
  sim.note(initiator.name, 'connect', { via: 'relay' });
  const id = initiator.engine.connect({ hit: responder.hit, locators: relay.locators, udpPort: relay.udpPort }, sim.now);
  sim.drainHost(initiator);
  return id;
}

/** Packets (HIP and ESP, sent or received) the relay host handled, from the simulator's trace. */
export function relayPackets(sim: Sim, kind?: string): number {
  return sim.trace.records.filter((r) => r.host === 'R' && r.dir === 'recv' && (kind === undefined || r.kind === kind)).length;
}

/** The text of an address in a trace record's fields (`{ loc }`), or undefined. */
export function traceText(v: unknown): string | undefined {
  const loc = (v as { readonly loc?: Locator } | undefined)?.loc;
  return loc instanceof Uint8Array ? formatLocator(loc) : undefined;
}

/** An RFC 4787 NAT type: its mapping (§4.1) and filtering (§5) behaviours. */
export type NatType = { readonly mapping: NatMappingBehavior; readonly filtering: NatFilteringBehavior };

/** RFC 4787 §4.1 REQ-1 and §5 REQ-8: endpoint-independent mapping and filtering ("full cone"). */
export const NAT_EI: NatType = { mapping: 'endpoint-independent', filtering: 'endpoint-independent' };
/** Endpoint-independent mapping, address-and-port-dependent filtering ("port-restricted cone"). */
export const NAT_PORT_RESTRICTED: NatType = { mapping: 'endpoint-independent', filtering: 'address-and-port-dependent' };
/** Address-and-port-dependent mapping and filtering, the "symmetric" NAT of RFC 4787 §4.1. */
export const NAT_SYMMETRIC: NatType = { mapping: 'address-and-port-dependent', filtering: 'address-and-port-dependent' };

/** The world of {@link twoNatsWorld}: A and B each behind a NAT box, a public relay R. */
export type TwoNatsWorld = {
  readonly sim: Sim;
  readonly a: SimHost;
  readonly b: SimHost;
  readonly r: SimHost;
  readonly natA: NatBox;
  readonly natB: NatBox;
  /** A's association with B (A is the Initiator, the controlling host, RFC 9028 §4.6). */
  readonly assoc: AssocId;
};

/**
 * A (10.0.0.1) behind NAT A and B (10.0.1.2) behind NAT B, of the given RFC 4787 types, and a
 * public Control Relay Server R; links NAT A-R, NAT B-R and NAT A-NAT B (10 ms). Both register
 * with R for RELAY_UDP_HIP, so each learns its server-reflexive candidate (RFC 9028 §4.1, §4.2),
 * then A starts a base exchange with B through R (§4.5). Returns right after A's I1 left.
 */
export function twoNatsWorld(s: number, typeA: NatType, typeB: NatType, opts: { readonly traceParams?: boolean } = {}): TwoNatsWorld {
  const sim = newSim(s, opts);
  const a = natHost(sim, 'A', [ADDR.A]);
  const b = natHost(sim, 'B', [ADDR.B]);
  const r = relayHost(sim, [a, b]);
  const natA = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A], typeA);
  const natB = natBox(sim, 'natB', ADDR.NAT_B, [ADDR.B], typeB);
  for (const [x, y] of [
    [ADDR.NAT_A, ADDR.RELAY],
    [ADDR.NAT_B, ADDR.RELAY],
    [ADDR.NAT_A, ADDR.NAT_B],
  ] as const)
    sim.link(x, y, { latencyMs: 10 });
  registerRelay(sim, b, r);
  registerRelay(sim, a, r);
  const assoc = connectViaRelay(sim, a, b, r);
  return { sim, a, b, r, natA, natB, assoc };
}

/**
 * The external port of `box`'s live mapping toward `remote` (RFC 4787 §4.1): the one mapping of
 * an endpoint-independent box, the one for that remote address otherwise; undefined if none.
 */
export function mappedPortToward(box: NatBox, now: number, remote: string): number | undefined {
  return box.mappings(now).find((m) => m.remote === undefined || formatLocator(m.remote.address) === remote)?.external.port;
}

/**
 * A multihomed host A with a public interface (192.0.2.1) and one behind NAT A (10.0.0.1, an
 * RFC 4787 box of `natType`, endpoint-independent by default), and a public host B; links from
 * each of A's sides to B (10 ms), the public one returned so a test can take it down. Both run
 * ICE-HIP-UDP; A connects (it is the controlling host, RFC 9028 §4.6) and the simulation runs
 * until both have nominated a pair (§4.6.3).
 */
export function multihomedNatWorld(s: number, natType: NatType = NAT_EI, opts: { readonly traceParams?: boolean } = {}) {
  const sim = newSim(s, opts);
  const natA = natBox(sim, 'natA', ADDR.NAT_A, [ADDR.A], natType);
  const a = natHost(sim, 'A', [ADDR.A_PUB, ADDR.A]);
  const b = natHost(sim, 'B', [ADDR.B_PUB]);
  sim.link(ADDR.NAT_A, ADDR.B_PUB, { latencyMs: 10 });
  const pub = sim.link(ADDR.A_PUB, ADDR.B_PUB, { latencyMs: 10 }) as DuplexLink;
  const assoc = a.connect(b);
  sim.runUntil(() => a.eventsOf('nat-path').length > 0 && b.eventsOf('nat-path').length > 0, { maxTimeMs: 30_000 });
  return { sim, natA, a, b, pub, assoc };
}
