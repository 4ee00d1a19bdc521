// The deterministic N-host network simulator (docs/architecture.md, Simulator). Each host is one HipEngine plus one
// userspace ESP data plane; links are netem models with their own PRNG streams; everything runs
// on a virtual clock from one master seed, so a seed reproduces a run byte for byte.
//
//   const sim = new Sim({ seed: Sim.seedFrom(process.env.SIM_SEED, 42) });
//   const a = sim.host('A', { locators: ['2001:db8::a'] });
//   const b = sim.host('B', { locators: ['2001:db8::b'] });
//   sim.link('2001:db8::a', '2001:db8::b', { latencyMs: 20 });
//   sim.at(0, () => a.connect(b));
//   sim.runUntil(() => a.established(b) && b.established(a), { maxTimeMs: 60_000 });
//   a.send(b, payload);   sim.run(100);   b.received[0].payload
//
// step(): t = min(next heap item, every host's pollTimeout()), never earlier than now. Timers
// win ties: every host whose deadline is <= t gets handleTimeout(t) (creation order); otherwise
// the heap item runs (a delivery or a scheduled action). Every mutation is followed by a full
// drain of that host's poll(): transmits go to the link of their (src, dst) pair (none: traced as
// no-route), sa outputs to the host's EspDataPlane, locator outputs to its mirror, events to the
// trace and host.events. ESP packets that arrive are unprotected and the data plane's feedback
// (esp-seen, esp-seq-exhausting) is fed back to the engine.
//
// Mobility and multihoming (RFC 8046, RFC 8047): host locators may carry the attributes the
// engine's announcement rules use (`{ address, interface, tunnel, preferred }`); `setLocators`
// passes `rekey` / `announce` through; `pathFailed` and `addSaPair` call the engine commands of the
// same names; `locatorTable` reads the engine's peer locator table; `receivedByPath` counts
// delivered payloads per outer path. The data plane gets the virtual time (protect/unprotect
// `now`), so credit-based authorization ages with it. `traceParams: true` adds each HIP packet's
// receiver and parameters to the trace (`paramFields`), for golden traces of the RFC figures.
//
// UDP and NATs (RFC 9028 §5.1, §5.11; RFC 4787): a `transmit` with `udp` ports, and ESP of an SA
// with `udp`, travel as UDP datagrams (the HIP packet behind the zero marker); what a host
// receives on its UDP port is demultiplexed (demuxUdp) into a `datagram` input with the ports, the
// data plane, or a keepalive count. `Sim.nat` puts a NatBox between private addresses and the
// network: a packet from inside is translated before its link is looked up (only UDP crosses), a
// packet delivered to the box's public address is mapped back or filtered, and the capture holds
// both views of a crossing packet.
//
// Invariants checked after every step (a violation throws SimError naming the seed, the step
// count and the last 50 trace lines): no engine threw; after handleTimeout and a drain no timer is
// overdue; engine transmits fit the link MTU when fragmentation is off (`strictMtu`); when both
// ends of an association are ESTABLISHED their SAs agree (same keys on every shared SPI, every SA
// pair both engines list is installed on both sides, and no outbound SA of one side stays without
// the matching inbound SA on the other for more than `saGraceMs`); now never goes backwards; no
// busy loop (more than `maxStepsPerInstant` steps at one virtual time).
import { formatHit, hitKey } from '../addr/hit.js';
import { formatLocator, isIpv4Mapped, locatorKey, parseLocator } from '../addr/locator.js';
import { generateHostIdentity, type HostIdentity } from '../crypto/host-id.js';
import { nobleCrypto } from '../crypto/noble.js';
import type { CryptoProvider, HostKeyType } from '../crypto/provider.js';
import type { HipConfig } from '../engine/config.js';
import type { AssociationInfo, EngineStats } from '../engine/engine.js';
import { HipEngine } from '../engine/hip-engine.js';
import type { EngineTraceRecord } from '../engine/trace.js';
import type { HipEvent, Input, Output } from '../engine/io.js';
import type { EnginePolicy } from '../engine/policy.js';
import { EspDataPlane } from '../esp/dataplane.js';
import type { EspDataPlaneOptions, EspStats, ProtectOptions, ProtectResult } from '../esp/types.js';
import type { AssocId, Hit, LocalLocator, Locator, Millis, PeerLocator, SaSpec, UdpPorts } from '../types.js';
import { equalBytes, readU16, readU32, toHex, writeU16 } from '../util/bytes.js';
import { decodePacket } from '../wire/packet.js';
import { HIP_UDP_PORT, UDP_ZERO_MARKER_LENGTH, demuxUdp, encapsulateHip } from '../wire/udp.js';
import type { HipPacket, HipParam } from '../wire/types.js';
import { fastCrypto } from './fast-crypto.js';
import { BinaryHeap } from '../util/heap.js';
import { EventHeap } from './heap.js';
import type { InterceptContext, Interceptor, SimPacketKind } from './intercept.js';
import { IPPROTO_UDP, IPV4_HEADER_BYTES, IPV6_HEADER_BYTES, UDP_HEADER_BYTES, buildIpPacket, buildUdpDatagram } from './ip.js';
import { NatBox, type NatOptions, type NatRebindMode } from './nat.js';
import { Link, type CorruptKind, type LinkOptions } from './netem.js';
import { PcapWriter } from './pcap.js';
import { deriveSeed, seededRandom, type Seed } from './rng.js';
import { registrationFields } from './rvs-host.js';
import { TraceLog, traceHit, traceLoc, type TraceRecord, type TraceValue } from './trace.js';

const IPPROTO_HIP = 139;
const IPPROTO_ESP = 50;
const TAIL_LINES = 50;

/**
 * The crypto provider of a simulated host: 'noble' (real, the default), 'fast' ({@link fastCrypto},
 * insecure, for large runs only) or any `CryptoProvider`.
 */
export type SimCryptoChoice = 'noble' | 'fast' | CryptoProvider;

/**
 * Options of the {@link Sim} constructor: the master seed every stream derives from, the default
 * crypto, the start time, which invariants to check, and what to capture.
 */
export type SimOptions = {
  /** Master seed; host, link and identity streams are derived from it. */
  readonly seed: Seed;
  /** Default crypto provider of every host (default 'noble'; 'fast' is fastCrypto(), insecure). */
  readonly crypto?: SimCryptoChoice;
  /** Start of virtual time (default 0). */
  readonly startMs?: Millis;
  /** Check invariants after every step (default true). */
  readonly invariants?: boolean;
  /** Fail when an engine transmit exceeds the MTU of a link whose fragmentation is off (default true). */
  readonly strictMtu?: boolean;
  /** Busy-loop limit: steps at one virtual time before failing (default 10 000). */
  readonly maxStepsPerInstant?: number;
  /**
   * How long (virtual ms) an outbound SA of one ESTABLISHED end may lack the matching inbound SA
   * on the other ESTABLISHED end before the run fails (default 30 000). Short gaps are normal
   * while an UPDATE is in flight; a lasting one means the two ends disagree on their keys.
   */
  readonly saGraceMs?: Millis;
  /** Capture every delivered packet from the start for `pcap()` (default false). */
  readonly pcap?: boolean;
  /**
   * Trace the receiving host and the parameters of every HIP packet sent (default false): `to`,
   * `params` (kinds in wire order) and the fields the mobility figures need (`esp` OLD>NEW SPI,
   * `seq`, `ack`, `locs` as [type, address, SPI?, P?], `notify` type). Off by default so that
   * golden traces written without it stay as they are.
   */
  readonly traceParams?: boolean;
  /**
   * Receives every host engine's own trace (EngineOptions.trace, docs/engine-trace.schema.json),
   * each record tagged with the host's name. Default: none.
   */
  readonly engineTrace?: (record: EngineTraceRecord & { readonly host: string }) => void;
  /**
   * How many trace records `sim.trace` keeps: the most recent ones (a sliding window; 0 keeps
   * none). Failure reports show the last 50 kept lines. With 0 and no `traceSink`, the simulator
   * builds no trace records at all, the fast setting for large runs.
   * @defaultValue Infinity (every record, as golden traces need)
   */
  readonly traceWindow?: number;
  /** Receives every trace record as it is made, whatever `traceWindow` keeps. Default: none. */
  readonly traceSink?: (record: TraceRecord) => void;
  /**
   * How many delivered payloads each host keeps in `host.received` (the most recent ones; 0
   * keeps none, and then no record is built unless `receivedSink` is set).
   * @defaultValue Infinity
   */
  readonly receivedWindow?: number;
  /** Receives every delivered payload with its host, whatever `receivedWindow` keeps. Default: none. */
  readonly receivedSink?: (host: SimHost, payload: ReceivedPayload) => void;
  /**
   * How many engine events each host keeps in `host.events` (the most recent ones; 0 keeps none).
   * @defaultValue Infinity
   */
  readonly eventsWindow?: number;
  /**
   * INSECURE, for large studies only: every host's data plane skips the ESP cipher and MAC
   * (EspDataPlaneOptions.insecureFastEsp) while keeping SPIs, sequence numbers, anti-replay,
   * credit and packet sizes. Use it with `crypto: 'fast'` where the data plane's cryptography is
   * not under test. A host's `espOptions.insecureFastEsp` overrides it.
   * @defaultValue false
   */
  readonly insecureFastEsp?: boolean;
};

/**
 * A local locator with the attributes the engine's announcement rules look at (RFC 8047 §5.1),
 * the address as text or 16 bytes.
 */
export type SimLocalLocator = {
  readonly address: string | Locator;
  /** Interface name (RFC 8047 §4.3: one SA per interface). */
  readonly interface?: string;
  /** A tunnel or virtual interface: announced, not preferred (RFC 8047 §5.1). */
  readonly tunnel?: boolean;
  /** The caller's preferred locator of its address family. */
  readonly preferred?: boolean;
  /** RFC 8046 §4.1 Traffic Type to announce: 0 both (default), 1 signalling only, 2 data only. */
  readonly trafficType?: 0 | 1 | 2;
};

/** A locator as a host option: plain address (text or bytes) or with attributes. */
export type SimLocatorInput = string | Locator | SimLocalLocator;

/**
 * Options of `Sim.host`: the identity (or the key type to generate one), the locators, and the
 * host's engine configuration, policy and crypto.
 */
export type SimHostOptions = {
  /** The host identity; default: a fresh key of `keyType` from the host's identity stream. */
  readonly identity?: HostIdentity;
  /** Key type of the generated identity (default 'ecdsa-p256'). */
  readonly keyType?: HostKeyType;
  /**
   * Local locators, text ('2001:db8::a', '192.0.2.1') or canonical 16-byte form, or with
   * attributes (`{ address, interface, tunnel, preferred }`).
   */
  readonly locators: readonly SimLocatorInput[];
  readonly config?: Partial<HipConfig>;
  readonly policy?: Partial<EnginePolicy>;
  /** Data-plane options; `random` defaults to the host's ESP stream, `allowAuthOnly` to config.allowAuthOnlyEsp. */
  readonly espOptions?: Partial<EspDataPlaneOptions>;
  /** Overrides the simulation's crypto provider for this host. */
  readonly crypto?: SimCryptoChoice;
  /**
   * Run HIP over UDP (RFC 9028 §5.1): `connect` starts its associations over UDP (the engine's
   * `connect({ udpPort })`, to the peer host's UDP port), and the engine's `config.udpPort` is
   * the host's. `port` is the host's local UDP port, where it receives HIP and ESP over UDP; a
   * host without this option still receives UDP on its port (and answers over UDP what comes
   * over UDP, as the engine does).
   * @defaultValue off; port `config.udpPort`, else 10500 (RFC 9028 §5.1)
   */
  readonly udp?: boolean | { readonly port?: number };
};

/**
 * Options of `Sim.nat`: the box's RFC 4787 behaviours ({@link NatOptions}) and the private
 * addresses behind it.
 */
export type SimNatOptions = NatOptions & {
  /**
   * The private addresses behind the box (text or 16 bytes). A packet from one of them to an
   * address not behind the same box crosses it; addresses are unique in the whole simulation.
   */
  readonly inside: readonly (string | Locator)[];
};

/** Options of `SimHost.sendUdp`: where a raw UDP datagram goes and where from. */
export type SendUdpOptions = {
  readonly dst: string | Locator;
  /** Default 10500 (RFC 9028 §5.1). */
  readonly dstPort?: number;
  /** Default: the host's first locator of the destination's address family. */
  readonly src?: string | Locator;
  /** Default: the host's UDP port. */
  readonly srcPort?: number;
};

/**
 * Budgets of `Sim.runUntil`: when either is spent before the condition holds, it throws a
 * {@link SimError}.
 */
export type RunBounds = {
  /** Virtual time budget from the moment of the call (default 600 000 ms). */
  readonly maxTimeMs?: Millis;
  /** Step budget (default 100 000). */
  readonly maxSteps?: number;
};

/** Packet counts of a run (`Sim.counters`): what hosts sent onto links and what links delivered. */
export type SimCounters = {
  /** Steps taken. */
  readonly steps: number;
  /** HIP packets and ESP packets handed to a link (before loss). */
  readonly sent: { readonly hip: number; readonly esp: number };
  /** HIP packets and ESP packets a link delivered to a host (duplicates included). */
  readonly delivered: { readonly hip: number; readonly esp: number };
};

/** What a run returns: the steps taken and the virtual time reached. */
export type RunResult = { readonly steps: number; readonly now: Millis };

/** An engine event with the virtual time it came out at. */
export type SimEvent = HipEvent & { readonly t: Millis };

/** A payload the host's data plane delivered. */
export type ReceivedPayload = {
  readonly t: Millis;
  /** Name of the host whose HIT sent it (undefined for a HIT no host has). */
  readonly from: string | undefined;
  readonly peerHit: Hit;
  readonly payload: Uint8Array;
  readonly nextHeader: number;
  readonly spi: number;
  readonly seq: number;
  /** Outer addresses the ESP packet travelled between. */
  readonly src: Locator;
  readonly dst: Locator;
};

/**
 * Options of `SimHost.send`, passed to `EspDataPlane.protect`: flow key, Next Header, and a forced
 * outbound SPI.
 */
export type SendOptions = { readonly flowKey?: string; readonly nextHeader?: number; readonly spi?: number };

/** Delivered application data on one outer path (`src>dst` as text). */
export type PathCount = { readonly src: Locator; readonly dst: Locator; packets: number; bytes: number };

/** Options of `Sim.traceText`. */
export type TraceTextOptions = {
  /** Redact locators to L1, L2, ... and HITs to H1, H2, ... (true: both). */
  readonly redact?: boolean | { readonly locators?: boolean; readonly hits?: boolean };
};

/**
 * A disagreement between the SAs of two hosts (a different suite or key, or a pair installed on
 * one side only), as `Sim.saProblems` reports it.
 */
export type SaProblem = { readonly a: string; readonly b: string; readonly problem: string };

/** A simulation failure: a broken invariant, a thrown engine or an exhausted bound. */
export class SimError extends Error {
  /** Always 'SimError'. */
  override readonly name = 'SimError';
  /** The master seed of the failed run: `SIM_SEED` set to it reproduces the failure. */
  readonly seed: Seed;
  /** Steps taken when the failure happened. */
  readonly steps: number;
  /** Virtual time of the failure. */
  readonly now: Millis;
  /** The last trace lines before the failure (also in the message). */
  readonly traceTail: readonly string[];
  constructor(message: string, info: { seed: Seed; steps: number; now: Millis; traceTail: readonly string[]; cause?: unknown }) {
    const s = seedText(info.seed);
    super(
      `${message}\n  seed=${s} (reproduce with SIM_SEED=${s}), steps=${info.steps}, now=${info.now}\n` +
        `  last ${info.traceTail.length} trace lines:\n${info.traceTail.map((l) => `    ${l}`).join('\n')}`,
      info.cause !== undefined ? { cause: info.cause } : undefined,
    );
    this.seed = info.seed;
    this.steps = info.steps;
    this.now = info.now;
    this.traceTail = info.traceTail;
  }
}

function seedText(seed: Seed): string {
  if (typeof seed === 'number') return String(seed);
  if (typeof seed === 'string') return seed;
  return `hex:${toHex(seed)}`;
}

function resolveCrypto(c: SimCryptoChoice | undefined): CryptoProvider {
  if (c === undefined || c === 'noble') return nobleCrypto();
  if (c === 'fast') return fastCrypto();
  if (typeof c === 'object' && c !== null && typeof c.hash === 'function') return c;
  throw new TypeError(`"crypto" expected 'noble', 'fast' or a CryptoProvider, got ${String(c)}`);
}

function toLocator(l: string | Locator, field: string): Locator {
  if (typeof l === 'string') return parseLocator(l);
  if (l instanceof Uint8Array && l.length === 16) return Uint8Array.from(l);
  throw new TypeError(`"${field}" expected an address string or a 16-byte locator`);
}

function toLocalLocator(l: SimLocatorInput, field: string): LocalLocator {
  if (typeof l === 'string' || l instanceof Uint8Array) return { address: toLocator(l, field) };
  if (typeof l !== 'object' || l === null) throw new TypeError(`"${field}" expected an address or { address, ... }`);
  return {
    address: toLocator(l.address, `${field}.address`),
    ...(l.interface !== undefined ? { interface: l.interface } : {}),
    ...(l.tunnel !== undefined ? { tunnel: l.tunnel } : {}),
    ...(l.preferred !== undefined ? { preferred: l.preferred } : {}),
    ...(l.trafficType !== undefined ? { trafficType: l.trafficType } : {}),
  };
}

function errText(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

function spiText(spi: number): string {
  return `0x${(spi >>> 0).toString(16).padStart(8, '0')}`;
}

/** A packet in flight; it is its own heap item (one allocation less per packet). */
type Wire = {
  readonly type: 'deliver';
  readonly proto: 'hip' | 'esp' | 'udp';
  readonly kind: SimPacketKind;
  readonly from: string;
  readonly bytes: Uint8Array;
  readonly src: Locator;
  readonly dst: Locator;
  /** locatorKey(dst), from the link: the receiving host is found without a key per packet. */
  readonly dstKey: string;
  readonly duplicate: boolean;
  readonly corrupted: CorruptKind | undefined;
  /** UDP ports as on the wire at this point (after any NAT); `bytes` is then the UDP payload. */
  readonly udp: UdpPorts | undefined;
  /** A corrupted UDP copy whose damage the sender's UDP checksum reveals (RFC 768): the receiver drops it. */
  readonly udpBad: boolean;
};

type HeapItem =
  | Wire
  | { readonly type: 'action'; readonly fn: () => void };

type LinkEntry = { readonly name: string; readonly link: Link; readonly dstKey: string };

/**
 * The Sim's bookkeeping of one host: its place in the deadline queue (keyed by the engine's
 * pollTimeout, read again only when the engine changed) and whether it changed since then.
 */
type HostSlot = {
  readonly host: SimHost;
  /** Creation order: ties of the deadline queue and the order of drains and checks. */
  readonly index: number;
  /** The engine's pollTimeout when last read (Infinity: none; NaN: out of the queue, unknown). */
  deadline: number;
  /** Index in the deadline heap, -1 when not in it. */
  heapIndex: number;
  /** Touched since the last refresh: it is drained and its deadline read again. */
  dirty: boolean;
};

function slotLess(x: HostSlot, y: HostSlot): boolean {
  return x.deadline < y.deadline || (x.deadline === y.deadline && x.index < y.index);
}

/** An outbound SA of `x` to `y` without the matching inbound SA on `y`, and since when. */
type Dangling = { readonly x: SimHost; readonly y: SimHost; readonly spi: number; readonly since: Millis };

/** The two one-way links between two addresses that `Sim.link` makes. */
export type DuplexLink = { readonly forward: Link; readonly reverse: Link };

// ---------------------------------------------------------------------------------------------
// Host

/** One simulated host: a HipEngine and an EspDataPlane, driven by the Sim. */
export class SimHost {
  /** The name given to `Sim.host`; it labels the trace. */
  readonly name: string;
  /** The host's identity. */
  readonly identity: HostIdentity;
  /** The host's crypto provider. */
  readonly crypto: CryptoProvider;
  /** Every engine event, in order, with its time. */
  readonly events: SimEvent[] = [];
  /** Payloads the data plane delivered, in order. */
  readonly received: ReceivedPayload[] = [];
  /** The host's local UDP port (SimHostOptions.udp, default 10500). */
  readonly udpPort: number;
  /** True when the host runs its HIP over UDP (SimHostOptions.udp). */
  readonly hipOverUdp: boolean;
  /** RFC 3948 NAT-keepalive bytes received on the host's UDP port. */
  keepalivesReceived = 0;
  #engine: HipEngine;
  #esp: EspDataPlane;
  #locators: Locator[];
  #localInfo: LocalLocator[];
  readonly #sim: Sim;
  readonly #opts: SimHostOptions;
  readonly #seed: Uint8Array;
  #incarnation = 0;
  /** Installed SAs as the engine announced them: `${dir}:${spi}:${peerHitKey}`. */
  readonly #sas = new Map<string, SaSpec>();
  /** Peer locator mirror: peer HIT key → locator key → entry. */
  readonly #peerLocators = new Map<string, Map<string, PeerLocator>>();
  readonly #sentCount = new Map<SimPacketKind, { n: number }>();
  /** The 'ESP' box of #sentCount, once there is one. */
  #espSent: { n: number } | undefined;
  /** The options of a plain `send` (only `now`), re-filled for each packet. */
  readonly #protectNow: { now: number } = { now: 0 };
  /** hitKey of the identity's HIT, computed once. */
  readonly #hitKey: string;

  /** @internal Creation order of the host in its Sim (0, 1, ...). */
  readonly simIndex: number;

  /** @internal Use `sim.host(...)`. */
  constructor(sim: Sim, name: string, opts: SimHostOptions, seed: Uint8Array, identity: HostIdentity, crypto: CryptoProvider, simIndex = 0) {
    this.#sim = sim;
    this.name = name;
    this.simIndex = simIndex;
    this.#opts = opts;
    this.#seed = seed;
    this.identity = identity;
    this.#hitKey = hitKey(identity.hit);
    this.crypto = crypto;
    this.#localInfo = opts.locators.map((l, i) => toLocalLocator(l, `locators[${i}]`));
    this.#locators = this.#localInfo.map((l) => l.address);
    const u = opts.udp;
    if (u !== undefined && typeof u !== 'boolean' && (typeof u !== 'object' || u === null)) throw new TypeError('"opts.udp" expected boolean or { port }');
    const port = (typeof u === 'object' ? u.port : undefined) ?? opts.config?.udpPort ?? HIP_UDP_PORT;
    if (!Number.isInteger(port) || port < 1 || port > 0xffff) throw new RangeError(`"opts.udp.port" expected an integer in 1..65535, got ${String(port)}`);
    this.udpPort = port;
    this.hipOverUdp = u === true || typeof u === 'object';
    if (opts.config?.udpPort !== undefined && opts.config.udpPort !== port) throw new RangeError(`"opts.config.udpPort" ${opts.config.udpPort} differs from the host's UDP port ${port} ("opts.udp.port")`);
    this.#engine = this.#newEngine();
    this.#esp = this.#newEsp();
  }

  #newEngine(): HipEngine {
    const label = this.#incarnation === 0 ? 'engine' : `engine#${this.#incarnation}`;
    return new HipEngine(
      {
        identities: [this.identity],
        locators: this.#localInfo,
        random: seededRandom(deriveSeed(this.#seed, label)),
        crypto: this.crypto,
        ...(this.#opts.config !== undefined || this.udpPort !== HIP_UDP_PORT ? { config: { ...this.#opts.config, ...(this.udpPort !== HIP_UDP_PORT ? { udpPort: this.udpPort } : {}) } } : {}),
        ...(this.#opts.policy !== undefined ? { policy: this.#opts.policy } : {}),
        ...(this.#sim.engineTrace !== undefined ? { trace: (r: EngineTraceRecord) => this.#sim.engineTrace!({ host: this.name, ...r }) } : {}),
      },
      this.#sim.now,
    );
  }

  #newEsp(): EspDataPlane {
    const label = this.#incarnation === 0 ? 'esp' : `esp#${this.#incarnation}`;
    return new EspDataPlane({
      allowAuthOnly: this.#opts.config?.allowAuthOnlyEsp ?? false,
      insecureFastEsp: this.#sim.insecureFastEsp,
      ...(this.#opts.espOptions ?? {}),
      random: this.#opts.espOptions?.random ?? seededRandom(deriveSeed(this.#seed, label)),
    });
  }

  /**
   * The host's engine. Reading it marks the host as changed, so a command called on it directly
   * gets its outputs drained and its timer read again before the next step.
   */
  get engine(): HipEngine {
    this.#sim.touch(this);
    return this.#engine;
  }
  /** @internal The engine, without marking the host changed (the Sim's own reads). */
  peekEngine(): HipEngine {
    return this.#engine;
  }
  /** The host's ESP data plane. */
  get esp(): EspDataPlane {
    return this.#esp;
  }
  /** The HIT of the host's identity. */
  get hit(): Hit {
    return this.identity.hit;
  }
  /** Current local locators. */
  get locators(): readonly Locator[] {
    return this.#locators;
  }
  /** Current local locators with their attributes (interface, tunnel, preferred). */
  get localLocators(): readonly LocalLocator[] {
    return this.#localInfo;
  }
  /** SAs currently installed in the data plane, as the engine specified them (with keys: never trace them). */
  get sas(): readonly SaSpec[] {
    return [...this.#sas.values()];
  }
  /** The peer locator table mirrored from `locator` outputs. */
  peerLocators(peer: SimHost | Hit): readonly PeerLocator[] {
    return [...(this.#peerLocators.get(hitKey(peerHitOf(peer))) ?? new Map<string, PeerLocator>()).values()];
  }

  /**
   * Starts a base exchange (engine.connect) and drains. Over UDP (RFC 9028 §5.1) when `udpPort`
   * is given or this host runs HIP over UDP (SimHostOptions.udp): then to the peer host's UDP
   * port, 10500 for a peer given by HIT and locators.
   */
  connect(peer: SimHost | { readonly hit: Hit; readonly locators: readonly (string | Locator)[] }, opts: { readonly udpPort?: number } = {}): AssocId {
    const locators = peer instanceof SimHost ? peer.locators : peer.locators.map((l, i) => toLocator(l, `peer.locators[${i}]`));
    const udpPort = opts.udpPort ?? (this.hipOverUdp ? (peer instanceof SimHost ? peer.udpPort : HIP_UDP_PORT) : undefined);
    this.#sim.note(this.name, 'connect', { peer: traceHit(peer.hit), udp: udpPort });
    const id = this.#engine.connect(udpPort === undefined ? { hit: peer.hit, locators } : { hit: peer.hit, locators, udpPort }, this.#sim.now);
    this.#sim.drainHost(this);
    return id;
  }

  /** Rekeys the association with `peer` (engine.rekey) and drains. */
  rekey(peer: SimHost | Hit, opts: { readonly newDh?: boolean } = {}): void {
    const id = this.#mustAssoc(peer);
    this.#sim.note(this.name, 'rekey', { peer: traceHit(peerHitOf(peer)), newDh: opts.newDh === true });
    this.#engine.rekey(id, this.#sim.now, opts);
    this.#sim.drainHost(this);
  }

  /** Closes the association with `peer` (engine.close) and drains. */
  close(peer: SimHost | Hit): void {
    const id = this.#mustAssoc(peer);
    this.#sim.note(this.name, 'close', { peer: traceHit(peerHitOf(peer)) });
    this.#engine.close(id, this.#sim.now);
    this.#sim.drainHost(this);
  }

  /**
   * Replaces the local locators (engine.setLocalLocators) and the sim's address ownership.
   * `rekey` readdresses with a rekey (RFC 8046 §3.2.2); `announce: false` only moves traffic off
   * lost locators (see `HipEngine.setLocalLocators`).
   */
  setLocators(locators: readonly SimLocatorInput[], opts: { readonly rekey?: boolean; readonly announce?: boolean } = {}): void {
    const info = locators.map((l, i) => toLocalLocator(l, `locators[${i}]`));
    const next = info.map((l) => l.address);
    this.#sim.reassign(this, next);
    this.#locators = next;
    this.#localInfo = info;
    this.#sim.note(this.name, 'locators', { locators: next.map(traceLoc), rekey: opts.rekey === true ? true : undefined, announce: opts.announce === false ? false : undefined });
    this.#engine.setLocalLocators(info, this.#sim.now, opts);
    this.#sim.drainHost(this);
  }

  /**
   * The caller's signal that the path to the peer's locator `peerLocator` died (RFC 8047 §4.2.3,
   * engine.pathFailed), then drains.
   */
  pathFailed(peer: SimHost | Hit, peerLocator: string | Locator): void {
    const id = this.#mustAssoc(peer);
    const l = toLocator(peerLocator, 'peerLocator');
    this.#sim.note(this.name, 'path-failed', { peer: traceHit(peerHitOf(peer)), loc: traceLoc(l) });
    this.#engine.pathFailed(id, l, this.#sim.now);
    this.#sim.drainHost(this);
  }

  /**
   * Asks for an extra SA pair bound to our locator `local` and the peer's `peer` (RFC 8047
   * §4.2.4 Figure 2, engine.addSaPair), then drains.
   */
  addSaPair(peer: SimHost | Hit, paths: { readonly local: string | Locator; readonly peer?: string | Locator }): void {
    const id = this.#mustAssoc(peer);
    const local = toLocator(paths.local, 'paths.local');
    const remote = paths.peer === undefined ? undefined : toLocator(paths.peer, 'paths.peer');
    this.#sim.note(this.name, 'add-sa-pair', { peer: traceHit(peerHitOf(peer)), local: traceLoc(local), remote: remote === undefined ? undefined : traceLoc(remote) });
    this.#engine.addSaPair(id, remote === undefined ? { local } : { local, peer: remote }, this.#sim.now);
    this.#sim.drainHost(this);
  }

  /** The engine's peer locator table for `peer` (RFC 8046 §5.1), not the output mirror. */
  locatorTable(peer: SimHost | Hit): readonly PeerLocator[] {
    return this.#engine.peerLocators(this.#mustAssoc(peer));
  }

  /**
   * Application data delivered to this host, per outer path `src>dst` (text addresses), counting
   * payloads from `from` only when given.
   */
  receivedByPath(from?: SimHost): Record<string, PathCount> {
    const out: Record<string, PathCount> = {};
    for (const r of this.received) {
      if (from !== undefined && !equalBytes(r.peerHit, from.hit)) continue;
      const key = `${formatLocator(r.src)}>${formatLocator(r.dst)}`;
      const e = (out[key] ??= { src: r.src, dst: r.dst, packets: 0, bytes: 0 });
      e.packets++;
      e.bytes += r.payload.length;
    }
    return out;
  }

  /** Mobility: replaces locator `from` with `to` (same position in the list), see `setLocators`. */
  moveLocator(from: string | Locator, to: string | Locator, opts: { readonly rekey?: boolean } = {}): void {
    const f = toLocator(from, 'from');
    const i = this.#locators.findIndex((l) => equalBytes(l, f));
    if (i < 0) throw new RangeError(`host ${this.name} has no locator ${formatLocator(f)}`);
    const next: SimLocalLocator[] = this.#localInfo.slice();
    next[i] = { ...next[i]!, address: toLocator(to, 'to') };
    this.setLocators(next, opts);
  }

  /**
   * Simulates a crash and reboot: a fresh engine and data plane with the same identity and
   * locators (new random streams). Old SAs, associations and the mirror are gone.
   */
  restart(): void {
    this.#incarnation++;
    this.#sim.note(this.name, 'restart', { incarnation: this.#incarnation });
    this.#sas.clear();
    this.#peerLocators.clear();
    this.#engine = this.#newEngine();
    this.#esp = this.#newEsp();
    this.#sim.touch(this);
  }

  /**
   * Sends `payload` to `peer` through the ESP data plane (protect, then the link of the chosen
   * SA's locators). Returns the data plane's result; a refusal is traced as a drop.
   */
  send(peer: SimHost | Hit, payload: Uint8Array, opts: SendOptions = NO_SEND_OPTIONS): ProtectResult {
    const now = this.#sim.now;
    let po: ProtectOptions;
    if (opts === NO_SEND_OPTIONS) {
      // One options object per host, re-filled: protect reads it and keeps nothing of it.
      po = this.#protectNow;
      this.#protectNow.now = now;
    } else po = { ...opts, now };
    const r = this.#esp.protect(peerHitOf(peer), payload, po);
    if (r.ok) {
      const extra = this.#sim.tracing ? { spi: spiText(r.packet.spi), seq: r.packet.seq } : undefined;
      // RFC 9028 §5.11: ESP of an SA with UDP ports goes out UDP-encapsulated.
      this.#sim.sendWire(this, 'esp', 'ESP', r.packet.bytes, r.packet.src, r.packet.dst, undefined, extra, r.packet.udp);
    } else {
      this.#sim.record({ host: this.name, dir: 'drop', kind: 'ESP', fields: { reason: r.reason, peer: traceHit(peerHitOf(peer)), len: payload.length } });
    }
    // Protecting changes no engine: drain only what feedback or a direct engine call queued.
    this.#sim.feedback(this);
    this.#sim.drainIfTouched(this);
    return r;
  }

  /**
   * Sends a raw UDP datagram with `payload` from this host (a crafted HIP packet after its zero
   * marker, an ESP packet, an RFC 3948 keepalive byte 0xFF, or anything else), through
   * interceptors, NATs and links like any other packet (RFC 9028 §5.1 framing).
   */
  sendUdp(payload: Uint8Array, opts: SendUdpOptions): void {
    if (!(payload instanceof Uint8Array)) throw new TypeError('"payload" expected Uint8Array');
    const dst = toLocator(opts.dst, 'opts.dst');
    const src = opts.src !== undefined ? toLocator(opts.src, 'opts.src') : this.#locators.find((l) => isIpv4Mapped(l) === isIpv4Mapped(dst));
    if (src === undefined) throw new RangeError(`host ${this.name} has no locator of the family of "opts.dst"`);
    const srcPort = opts.srcPort ?? this.udpPort;
    const dstPort = opts.dstPort ?? HIP_UDP_PORT;
    for (const [f, v] of [
      ['opts.srcPort', srcPort],
      ['opts.dstPort', dstPort],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`"${f}" expected an integer in 0..65535, got ${String(v)}`);
    }
    const udp = { srcPort, dstPort };
    const d = demuxUdp(payload);
    if (d.kind === 'HIP') {
      const dec = decodePacket(d.hip, { verifyChecksum: false });
      this.#sim.sendWire(this, 'hip', dec.ok ? dec.packet.kind : 'UDP', Uint8Array.from(d.hip), src, dst, dec.ok ? dec.packet : undefined, NO_FIELDS, udp);
    } else if (d.kind === 'ESP') {
      this.#sim.sendWire(this, 'esp', 'ESP', Uint8Array.from(payload), src, dst, undefined, NO_FIELDS, udp);
    } else {
      this.#sim.sendWire(this, 'udp', d.kind === 'KEEPALIVE' ? 'KEEPALIVE' : 'UDP', Uint8Array.from(payload), src, dst, undefined, NO_FIELDS, udp);
    }
    this.#sim.drainIfTouched(this);
  }

  /** The association with `peer`, if any. */
  association(peer: SimHost | Hit): AssociationInfo | undefined {
    const id = this.#engine.associationByHits(this.identity.hit, peerHitOf(peer));
    return id === undefined ? undefined : this.#engine.association(id);
  }

  /** True when the association with `peer` is ESTABLISHED. */
  established(peer: SimHost | Hit): boolean {
    return this.association(peer)?.state === 'ESTABLISHED';
  }

  /** Events of one type. */
  eventsOf<T extends HipEvent['type']>(type: T): (Extract<HipEvent, { type: T }> & { readonly t: Millis })[] {
    return this.events.filter((e): e is Extract<HipEvent, { type: T }> & { readonly t: Millis } => e.type === type);
  }

  /** The engine's and the data plane's counters. */
  stats(): { readonly engine: EngineStats; readonly esp: EspStats } {
    return { engine: this.#engine.stats(), esp: this.#esp.stats() };
  }

  #mustAssoc(peer: SimHost | Hit): AssocId {
    const id = this.#engine.associationByHits(this.identity.hit, peerHitOf(peer));
    if (id === undefined) throw new RangeError(`host ${this.name} has no association with ${formatHit(peerHitOf(peer))}`);
    return id;
  }

  // ---- used by Sim ---------------------------------------------------------------------------

  /** @internal Counts one packet of `kind` sent by this host; returns how many were sent before. */
  countSent(kind: SimPacketKind): number {
    // ESP, the bulk of a large run, has its box at hand; other kinds take one map lookup.
    if (kind === 'ESP' && this.#espSent !== undefined) return this.#espSent.n++;
    const box = this.#sentCount.get(kind);
    if (box === undefined) {
      const fresh = { n: 1 };
      this.#sentCount.set(kind, fresh);
      if (kind === 'ESP') this.#espSent = fresh;
      return 0;
    }
    return box.n++;
  }

  /**
   * @internal Applies one `sa` output to the data plane and the mirror. An `update` (mobility:
   * new outer addresses or credit limit) carries no keys: the mirror keeps the installed ones.
   * Throws when the data plane refuses it.
   */
  applySa(op: 'add' | 'update' | 'delete', sa: SaSpec): void {
    this.#sim.touch(this);
    const key = `${sa.direction}:${sa.spi >>> 0}:${hitKey(sa.peerHit)}`;
    if (op === 'add') {
      this.#esp.addSa(sa);
      this.#sas.set(key, sa);
    } else if (op === 'update') {
      const old = this.#sas.get(key);
      if (old === undefined || !this.#esp.updateSa(sa)) throw new RangeError(`update of an SA that is not installed`);
      if (old.udp === undefined && sa.udp === undefined) {
        this.#sas.set(key, { ...old, src: sa.src, dst: sa.dst, ...(sa.creditLimited !== undefined ? { creditLimited: sa.creditLimited } : {}) });
      } else {
        // RFC 9028 §5.11: an update carries the SA's UDP ports as they are now (the data plane
        // takes them as given, a NAT rebinding re-points them).
        const { udp: _old, ...rest } = old;
        this.#sas.set(key, { ...rest, src: sa.src, dst: sa.dst, ...(sa.creditLimited !== undefined ? { creditLimited: sa.creditLimited } : {}), ...(sa.udp !== undefined ? { udp: sa.udp } : {}) });
      }
    } else {
      this.#esp.deleteSa(sa.spi, sa.direction, sa.peerHit);
      this.#sas.delete(key);
    }
  }

  /** @internal The installed SA in the host's mirror, for the SA agreement checks. */
  sa(direction: 'in' | 'out', spi: number, peer: Hit | SimHost): SaSpec | undefined {
    const key = peer instanceof SimHost ? peer.#hitKey : hitKey(peer);
    return this.#sas.get(`${direction}:${spi >>> 0}:${key}`);
  }

  /** @internal The installed SAs of the mirror, without a copy (the invariant checks). */
  installedSas(): IterableIterator<SaSpec> {
    return this.#sas.values();
  }

  /** @internal Applies one `locator` output to the host's mirror of the peer locator table. */
  applyLocator(op: 'upsert' | 'remove', peer: Hit, entry: PeerLocator): void {
    const pk = hitKey(peer);
    let m = this.#peerLocators.get(pk);
    if (m === undefined) {
      m = new Map();
      this.#peerLocators.set(pk, m);
    }
    if (op === 'upsert') m.set(locatorKey(entry.locator), entry);
    else m.delete(locatorKey(entry.locator));
  }
}

const NO_SEND_OPTIONS: SendOptions = Object.freeze({});
const NO_FIELDS: Readonly<Record<string, TraceValue>> = Object.freeze({});

function peerHitOf(peer: SimHost | Hit): Hit {
  return peer instanceof SimHost ? peer.hit : peer;
}

// ---------------------------------------------------------------------------------------------
// Sim

/**
 * The deterministic N-host network simulator: each host is a `HipEngine` with an
 * `EspDataPlane`, links are {@link Link} models, and all of it runs on a virtual clock from
 * one
 * seed, so a seed reproduces a run byte for byte. Invariants (no engine throws, timers drained, SAs
 * of established pairs match) are checked after every step; a violation throws {@link SimError}
 * with the seed and the trace tail.
 */
export class Sim {
  /** The master seed of the run. */
  readonly seed: Seed;
  /** The default crypto provider of the hosts. */
  readonly crypto: CryptoProvider;
  /**
   * The trace records of the run (packets, SA and locator changes, events, drops): every one by
   * default, the most recent `traceWindow` ones when that option is set.
   */
  readonly trace: TraceLog;
  readonly #heap = new EventHeap<HeapItem>();
  readonly #hosts: SimHost[] = [];
  readonly #byName = new Map<string, SimHost>();
  readonly #byLocator = new Map<string, SimHost>();
  readonly #byHit = new Map<string, SimHost>();
  readonly #links = new Map<string, LinkEntry>();
  /** NAT boxes by name, by public address key, and by the key of each private address behind them. */
  readonly #nats = new Map<string, NatBox>();
  readonly #natByPublic = new Map<string, NatBox>();
  readonly #natByInside = new Map<string, NatBox>();
  readonly #interceptors: Interceptor[] = [];
  readonly #cryptoCache = new Map<string, CryptoProvider>();
  #now: Millis;
  #steps = 0;
  #instantSteps = 0;
  #pcap: PcapWriter | undefined;
  #failed: SimError | undefined;
  readonly #invariants: boolean;
  readonly #strictMtu: boolean;
  readonly #maxStepsPerInstant: number;
  readonly #saGraceMs: Millis;
  readonly #traceParams: boolean;
  /**
   * Dangling outbound SAs per established host pair (`i|j`, creation indexes, i < j): each
   * `X>Y:spi` with the first time it was seen while both ends were ESTABLISHED.
   */
  readonly #dangling = new Map<string, Map<string, Dangling>>();
  /** The pair keys of #dangling that involve each host. */
  readonly #danglingPairs = new Map<SimHost, Set<string>>();
  /** The slot of each host, by creation index (SimHost.simIndex). */
  readonly #slots: HostSlot[] = [];
  /** Every host with an armed timer, by (deadline, creation order). */
  readonly #deadlines = new BinaryHeap<HostSlot>(slotLess, (slot, i) => {
    slot.heapIndex = i;
  });
  /** Hosts touched since the last refresh, to drain and re-read. */
  #dirty: HostSlot[] = [];
  /** The other array of the touched-host batches (#refresh swaps the two). */
  #dirtySpare: HostSlot[] = [];
  /** Hosts touched since the last invariant check. */
  readonly #touched = new Set<HostSlot>();
  readonly #tracing: boolean;
  /**
   * Keys of locator arrays already seen (a datagram's src and dst are mostly the same arrays
   * again: an SA's or an engine's own); locators are never mutated once handed over.
   */
  readonly #locKeys = new WeakMap<Locator, string>();
  readonly #linkCache = new WeakMap<Locator, { readonly dst: Locator; readonly entry: LinkEntry }>();
  readonly #keepReceived: number;
  readonly #receivedSink: SimOptions['receivedSink'];
  readonly #keepEvents: number;
  #hipSent = 0;
  #espSent = 0;
  #hipDelivered = 0;
  #espDelivered = 0;

  /** True when every host's data plane skips cipher and MAC (SimOptions.insecureFastEsp). */
  readonly insecureFastEsp: boolean;

  /** The engine trace sink of every host (SimOptions.engineTrace). */
  readonly engineTrace: SimOptions['engineTrace'];

  constructor(opts: SimOptions) {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('"opts" expected object');
    const s = opts.seed;
    if (!(typeof s === 'number' || typeof s === 'string' || s instanceof Uint8Array)) throw new TypeError('"opts.seed" expected number, string or Uint8Array');
    this.seed = s instanceof Uint8Array ? Uint8Array.from(s) : s;
    this.crypto = resolveCrypto(opts.crypto);
    this.#now = opts.startMs ?? 0;
    if (!Number.isFinite(this.#now)) throw new RangeError('"opts.startMs" expected a finite number');
    this.#invariants = opts.invariants ?? true;
    this.#strictMtu = opts.strictMtu ?? true;
    this.#maxStepsPerInstant = opts.maxStepsPerInstant ?? 10_000;
    this.#saGraceMs = opts.saGraceMs ?? 30_000;
    if (!(this.#saGraceMs >= 0)) throw new RangeError('"opts.saGraceMs" expected a number >= 0');
    if (opts.pcap === true) this.#pcap = new PcapWriter();
    this.#traceParams = opts.traceParams ?? false;
    this.engineTrace = opts.engineTrace;
    const traceWindow = windowOption(opts.traceWindow, 'opts.traceWindow');
    if (opts.traceSink !== undefined && typeof opts.traceSink !== 'function') throw new TypeError('"opts.traceSink" expected a function');
    this.trace = new TraceLog({ window: traceWindow, ...(opts.traceSink !== undefined ? { sink: opts.traceSink } : {}) });
    this.#tracing = this.trace.enabled;
    this.#keepReceived = windowOption(opts.receivedWindow, 'opts.receivedWindow');
    if (opts.receivedSink !== undefined && typeof opts.receivedSink !== 'function') throw new TypeError('"opts.receivedSink" expected a function');
    this.#receivedSink = opts.receivedSink;
    this.#keepEvents = windowOption(opts.eventsWindow, 'opts.eventsWindow');
    if (opts.insecureFastEsp !== undefined && typeof opts.insecureFastEsp !== 'boolean') throw new TypeError('"opts.insecureFastEsp" expected boolean');
    this.insecureFastEsp = opts.insecureFastEsp ?? false;
  }

  /**
   * The seed to use: `envValue` (for example `process.env.SIM_SEED` in a test) when set, as a
   * number if it is a non-negative safe integer and as a string otherwise; else `fallback`.
   * The Sim itself reads no environment.
   */
  static seedFrom(envValue: string | undefined, fallback: Seed): Seed {
    if (envValue === undefined) return fallback;
    const v = envValue.trim();
    if (v === '') return fallback;
    if (/^\d+$/.test(v)) {
      const n = Number(v);
      if (Number.isSafeInteger(n)) return n;
    }
    if (v.startsWith('hex:') && /^hex:([0-9a-f]{2})*$/i.test(v)) {
      const hex = v.slice(4);
      const out = new Uint8Array(hex.length / 2);
      for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
      return out;
    }
    return v;
  }

  /** Virtual time in ms. */
  get now(): Millis {
    return this.#now;
  }
  /** Steps taken so far. */
  get steps(): number {
    return this.#steps;
  }
  /** Every host, in creation order. */
  get hosts(): readonly SimHost[] {
    return this.#hosts;
  }
  /** Number of pending deliveries and scheduled actions. */
  get pending(): number {
    return this.#heap.size;
  }
  /** Packets sent onto links and delivered by them so far, and the step count. */
  get counters(): SimCounters {
    return {
      steps: this.#steps,
      sent: { hip: this.#hipSent, esp: this.#espSent },
      delivered: { hip: this.#hipDelivered, esp: this.#espDelivered },
    };
  }

  // ---- topology ------------------------------------------------------------------------------

  /** Creates a host. Its streams come from deriveSeed(seed, 'host:' + name). */
  host(name: string, opts: SimHostOptions): SimHost {
    if (typeof name !== 'string' || name === '') throw new TypeError('"name" expected a non-empty string');
    if (this.#byName.has(name)) throw new RangeError(`host ${JSON.stringify(name)} already exists`);
    if (typeof opts !== 'object' || opts === null || !Array.isArray(opts.locators)) throw new TypeError('"opts.locators" expected an array');
    const seed = deriveSeed(this.seed, `host:${name}`);
    const crypto = opts.crypto === undefined ? this.crypto : this.#cryptoFor(opts.crypto);
    const identity = opts.identity ?? generateHostIdentity(opts.keyType ?? 'ecdsa-p256', seededRandom(deriveSeed(seed, 'identity')));
    if (this.#byHit.has(hitKey(identity.hit))) throw new RangeError(`host ${JSON.stringify(name)}: another host has HIT ${formatHit(identity.hit)}`);
    const host = new SimHost(this, name, opts, seed, identity, crypto, this.#hosts.length);
    for (const l of host.locators) {
      const owner = this.#byLocator.get(locatorKey(l));
      if (owner !== undefined) throw new RangeError(`locator ${formatLocator(l)} already belongs to host ${owner.name}`);
      const nat = this.#natByPublic.get(locatorKey(l));
      if (nat !== undefined) throw new RangeError(`locator ${formatLocator(l)} is the public address of NAT ${nat.name}`);
    }
    for (const l of host.locators) this.#byLocator.set(locatorKey(l), host);
    this.#slots.push({ host, index: this.#hosts.length, deadline: NaN, heapIndex: -1, dirty: false });
    this.touch(host);
    this.#hosts.push(host);
    this.#byName.set(name, host);
    this.#byHit.set(hitKey(identity.hit), host);
    this.record({ host: name, dir: 'note', kind: 'host', fields: { hit: traceHit(identity.hit), locators: host.locators.map(traceLoc) } });
    return host;
  }

  #cryptoFor(c: SimCryptoChoice): CryptoProvider {
    if (typeof c !== 'string') return resolveCrypto(c);
    let p = this.#cryptoCache.get(c);
    if (p === undefined) {
      p = resolveCrypto(c);
      this.#cryptoCache.set(c, p);
    }
    return p;
  }

  /** The host called `name`, if any. */
  hostByName(name: string): SimHost | undefined {
    return this.#byName.get(name);
  }
  /** The host with this HIT, if any. */
  hostByHit(hit: Hit): SimHost | undefined {
    return this.#byHit.get(hitKey(hit));
  }
  /** The host that owns this address now, if any. */
  hostByLocator(loc: string | Locator): SimHost | undefined {
    return this.#byLocator.get(locatorKey(toLocator(loc, 'loc')));
  }

  /** @internal Moves address ownership when a host changes its locators. */
  reassign(host: SimHost, next: readonly Locator[]): void {
    for (const l of next) {
      const owner = this.#byLocator.get(locatorKey(l));
      if (owner !== undefined && owner !== host) throw new RangeError(`locator ${formatLocator(l)} already belongs to host ${owner.name}`);
      const nat = this.#natByPublic.get(locatorKey(l));
      if (nat !== undefined) throw new RangeError(`locator ${formatLocator(l)} is the public address of NAT ${nat.name}`);
    }
    for (const l of host.locators) this.#byLocator.delete(locatorKey(l));
    for (const l of next) this.#byLocator.set(locatorKey(l), host);
  }

  /**
   * A duplex link: one one-way link each way, with streams deriveSeed(seed, 'link:a>b') and
   * deriveSeed(seed, 'link:b>a') (text addresses), so `link(a, b)` equals `oneWay(a, b)` plus
   * `oneWay(b, a)`. With two hosts, links every same-family locator pair of theirs.
   */
  link(a: string | Locator, b: string | Locator, opts?: LinkOptions, reverseOpts?: LinkOptions): DuplexLink;
  /** With two hosts: a duplex link between every pair of their locators of the same family. */
  link(a: SimHost, b: SimHost, opts?: LinkOptions, reverseOpts?: LinkOptions): DuplexLink[];
  link(a: string | Locator | SimHost, b: string | Locator | SimHost, opts: LinkOptions = {}, reverseOpts: LinkOptions = opts): DuplexLink | DuplexLink[] {
    if (a instanceof SimHost || b instanceof SimHost) {
      if (!(a instanceof SimHost && b instanceof SimHost)) throw new TypeError('"a" and "b" expected both hosts or both addresses');
      const out: DuplexLink[] = [];
      for (const la of a.locators) {
        for (const lb of b.locators) {
          if (isIpv4Mapped(la) === isIpv4Mapped(lb)) out.push(this.link(la, lb, opts, reverseOpts));
        }
      }
      if (out.length === 0) throw new RangeError(`hosts ${a.name} and ${b.name} share no address family`);
      return out;
    }
    return { forward: this.oneWay(a, b, opts), reverse: this.oneWay(b, a, reverseOpts) };
  }

  /** A one-way link from `src` to `dst`, stream deriveSeed(seed, 'link:src>dst'). */
  oneWay(src: string | Locator, dst: string | Locator, opts: LinkOptions = {}): Link {
    const s = toLocator(src, 'src');
    const d = toLocator(dst, 'dst');
    if (isIpv4Mapped(s) !== isIpv4Mapped(d)) throw new RangeError('"src" and "dst" expected the same address family');
    const dstKey = locatorKey(d);
    const key = locatorKey(s) + '>' + dstKey;
    if (this.#links.has(key)) throw new RangeError(`a link ${formatLocator(s)} > ${formatLocator(d)} already exists`);
    const name = `${formatLocator(s)}>${formatLocator(d)}`;
    const link = new Link(opts, deriveSeed(this.seed, `link:${name}`));
    this.#links.set(key, { name, link, dstKey });
    return link;
  }

  /**
   * A NAT box (RFC 4787 behaviours, {@link NatBox}) between the private addresses `inside` and
   * the rest of the network. A packet from an inside address to one not behind the same box
   * crosses it: UDP is translated to the box's public address (then takes the link from that
   * address to its destination), anything else is dropped and counted. A packet that a link
   * delivers to the public address is mapped back and handed to the inside host at once, or
   * filtered. Port allocation draws from the stream deriveSeed(seed, 'nat:' + name).
   */
  nat(name: string, opts: SimNatOptions): NatBox {
    if (typeof name !== 'string' || name === '') throw new TypeError('"name" expected a non-empty string');
    if (this.#nats.has(name)) throw new RangeError(`NAT ${JSON.stringify(name)} already exists`);
    if (typeof opts !== 'object' || opts === null || !Array.isArray(opts.inside)) throw new TypeError('"opts.inside" expected an array');
    const box = new NatBox(name, opts, deriveSeed(this.seed, `nat:${name}`));
    const pub = locatorKey(box.publicAddress);
    if (this.#natByPublic.has(pub) || this.#natByInside.has(pub)) throw new RangeError(`address ${formatLocator(box.publicAddress)} already belongs to a NAT`);
    const owner = this.#byLocator.get(pub);
    if (owner !== undefined) throw new RangeError(`address ${formatLocator(box.publicAddress)} already belongs to host ${owner.name}`);
    const inside = opts.inside.map((a, i) => toLocator(a, `opts.inside[${i}]`));
    for (const l of inside) this.#checkInside(l, pub);
    this.#nats.set(name, box);
    this.#natByPublic.set(pub, box);
    for (const l of inside) this.#natByInside.set(locatorKey(l), box);
    this.record({
      host: name,
      dir: 'note',
      kind: 'nat',
      fields: { public: traceLoc(box.publicAddress), mapping: box.mapping, filtering: box.filtering, timeoutMs: box.mappingTimeoutMs, inside: inside.map(traceLoc) },
    });
    return box;
  }

  /** Puts more private addresses behind `nat` (a host that moves behind it, RFC 9028 §4.8). */
  attachToNat(nat: NatBox, ...addresses: (string | Locator)[]): void {
    if (this.#nats.get(nat?.name) !== nat) throw new TypeError('"nat" expected a NAT box of this simulation');
    const pub = locatorKey(nat.publicAddress);
    const ls = addresses.map((a, i) => toLocator(a, `addresses[${i}]`));
    for (const l of ls) this.#checkInside(l, pub);
    for (const l of ls) this.#natByInside.set(locatorKey(l), nat);
    this.record({ host: nat.name, dir: 'note', kind: 'nat-attach', fields: { inside: ls.map(traceLoc) } });
  }

  #checkInside(l: Locator, pub: string): void {
    const k = locatorKey(l);
    if (k === pub || this.#natByPublic.has(k)) throw new RangeError(`address ${formatLocator(l)} is a NAT's public address`);
    const other = this.#natByInside.get(k);
    if (other !== undefined) throw new RangeError(`address ${formatLocator(l)} is already behind NAT ${other.name}`);
  }

  /** The NAT box called `name`, if any. */
  natByName(name: string): NatBox | undefined {
    return this.#nats.get(name);
  }

  /** The NAT box an address is behind, if any. */
  natOf(address: string | Locator): NatBox | undefined {
    return this.#natByInside.get(locatorKey(toLocator(address, 'address')));
  }

  /** Every NAT box, in creation order. */
  get nats(): readonly NatBox[] {
    return [...this.#nats.values()];
  }

  /** Rebinds `nat` now ({@link NatBox.rebind}) and notes it in the trace. */
  rebindNat(nat: NatBox, mode: NatRebindMode = 'new-ports'): void {
    if (this.#nats.get(nat?.name) !== nat) throw new TypeError('"nat" expected a NAT box of this simulation');
    this.record({ host: nat.name, dir: 'note', kind: 'nat-rebind', fields: { mode } });
    nat.rebind(mode);
  }

  /** The one-way link from `src` to `dst`, if any. */
  linkBetween(src: string | Locator, dst: string | Locator): Link | undefined {
    return this.#links.get(locatorKey(toLocator(src, 'src')) + '>' + locatorKey(toLocator(dst, 'dst')))?.link;
  }

  /** Every link, by name `src>dst`, in creation order. */
  links(): readonly { readonly name: string; readonly link: Link }[] {
    return [...this.#links.values()];
  }

  /** Adds an interceptor (see intercept.ts); returns a function that removes it. */
  intercept(fn: Interceptor): () => void {
    if (typeof fn !== 'function') throw new TypeError('"fn" expected a function');
    this.#interceptors.push(fn);
    return () => {
      const i = this.#interceptors.indexOf(fn);
      if (i >= 0) this.#interceptors.splice(i, 1);
    };
  }

  // ---- scheduling ----------------------------------------------------------------------------

  /** Runs `fn` at virtual time `t` (>= now), after timers due at `t` and earlier-scheduled items. */
  at(t: Millis, fn: () => void): void {
    if (typeof t !== 'number' || !Number.isFinite(t)) throw new RangeError(`"t" expected a finite number, got ${String(t)}`);
    if (t < this.#now) throw new RangeError(`"t" ${t} is in the past (now=${this.#now})`);
    if (typeof fn !== 'function') throw new TypeError('"fn" expected a function');
    this.#heap.push(t, { type: 'action', fn });
  }

  /** Runs `fn` `ms` from now. */
  after(ms: Millis, fn: () => void): void {
    this.at(this.#now + ms, fn);
  }

  /**
   * One step (see the file comment). Returns false when nothing is pending (no heap item and no
   * armed timer), true otherwise.
   */
  step(): boolean {
    this.#checkNotFailed();
    const next = this.#next();
    if (next === undefined) return false;
    this.#advance(next.t);
    if (next.timers) {
      // Only the hosts whose deadline is due, in creation order: O(k log n) for k due hosts.
      const due: HostSlot[] = [];
      for (let top = this.#deadlines.peek(); top !== undefined && top.deadline <= this.#now; top = this.#deadlines.peek()) {
        this.#deadlines.pop();
        top.heapIndex = -1;
        top.deadline = NaN;
        due.push(top);
      }
      if (due.length > 1) due.sort((x, y) => x.index - y.index);
      for (const slot of due) {
        const h = slot.host;
        this.touch(h);
        const engine = h.peekEngine();
        const at = engine.pollTimeout();
        if (at === undefined || at > this.#now) continue;
        this.#guard(h, 'handleTimeout', () => engine.handleTimeout(this.#now));
        this.drainHost(h);
        const after = h.peekEngine().pollTimeout();
        if (after !== undefined && after <= this.#now) {
          this.#fail(`invariant: host ${h.name} still has an overdue timer after handleTimeout(${this.#now}) and a drain (pollTimeout()=${after})`);
        }
      }
    } else {
      const e = this.#heap.pop()!;
      if (e.item.type === 'action') e.item.fn();
      else this.#deliver(e.item);
    }
    this.#refresh();
    this.#steps++;
    if (this.#invariants) this.#checkInvariants();
    return true;
  }

  /**
   * @internal Marks a host changed: before the next step its outputs are drained and its
   * engine's pollTimeout read again (the deadline queue is not rescanned).
   */
  touch(h: SimHost): void {
    const slot = this.#slotOf(h);
    if (slot === undefined || slot.dirty) return;
    slot.dirty = true;
    this.#dirty.push(slot);
  }

  /** Drains every touched host (creation order) and re-reads its deadline. */
  #slotOf(h: SimHost): HostSlot | undefined {
    const slot = this.#slots[h.simIndex];
    return slot !== undefined && slot.host === h ? slot : undefined;
  }

  #refresh(): void {
    while (this.#dirty.length > 0) {
      // Two arrays swapped, not a new one per step: hosts touched while a batch is refreshed
      // go to the other one.
      const batch = this.#dirty;
      this.#dirty = this.#dirtySpare;
      if (batch.length > 1) batch.sort(slotIndexOrder);
      for (let i = 0; i < batch.length; i++) {
        const slot = batch[i]!;
        this.#drainOutputs(slot.host);
        this.#setDeadline(slot, slot.host.peekEngine().pollTimeout() ?? Infinity);
        // Cleared after the drain: the host's own drain does not queue it again.
        slot.dirty = false;
        if (this.#invariants) this.#touched.add(slot);
      }
      batch.length = 0;
      this.#dirtySpare = batch;
    }
  }

  #setDeadline(slot: HostSlot, d: number): void {
    if (d === slot.deadline) return;
    slot.deadline = d;
    if (d === Infinity) {
      if (slot.heapIndex >= 0) {
        this.#deadlines.removeAt(slot.heapIndex);
        slot.heapIndex = -1;
      }
    } else if (slot.heapIndex >= 0) this.#deadlines.fixAt(slot.heapIndex);
    else this.#deadlines.push(slot);
  }

  #next(): { t: Millis; timers: boolean } | undefined {
    this.#refresh();
    const heapT = this.#heap.peek()?.time;
    const timerT = this.#deadlines.peek()?.deadline;
    if (heapT === undefined && timerT === undefined) return undefined;
    const timers = timerT !== undefined && (heapT === undefined || timerT <= heapT);
    const t = Math.max(this.#now, timers ? timerT! : heapT!);
    return { t, timers };
  }

  #advance(t: Millis): void {
    if (t < this.#now) this.#fail(`invariant: time would go backwards (${t} < ${this.#now})`);
    if (t > this.#now) {
      this.#now = t;
      this.#instantSteps = 0;
    }
    if (++this.#instantSteps > this.#maxStepsPerInstant) {
      this.#fail(`busy loop: more than ${this.#maxStepsPerInstant} steps at t=${this.#now} (an overdue timer or a packet storm?)`);
    }
  }

  /** Runs every step due within the next `ms` (bounded by `maxSteps`, default 1 000 000), then sets now = now + ms. */
  run(ms: Millis, opts: { readonly maxSteps?: number } = {}): RunResult {
    if (typeof ms !== 'number' || !(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`"ms" expected a finite number >= 0, got ${String(ms)}`);
    const end = this.#now + ms;
    const maxSteps = opts.maxSteps ?? 1_000_000;
    let steps = 0;
    for (;;) {
      this.#checkNotFailed();
      const next = this.#next();
      if (next === undefined || next.t > end) break;
      if (steps >= maxSteps) this.#fail(`run(${ms}): step bound ${maxSteps} hit before t=${end}`);
      this.step();
      steps++;
    }
    if (end > this.#now) {
      this.#now = end;
      this.#instantSteps = 0;
    }
    return { steps, now: this.#now };
  }

  /** Steps until `pred()` is true; fails (SimError) when the time or step bound is hit or nothing is left to do. */
  runUntil(pred: () => boolean, bounds: RunBounds = {}): RunResult {
    const maxSteps = bounds.maxSteps ?? 100_000;
    const deadline = this.#now + (bounds.maxTimeMs ?? 600_000);
    let steps = 0;
    for (;;) {
      this.#checkNotFailed();
      if (pred()) return { steps, now: this.#now };
      if (steps >= maxSteps) this.#fail(`runUntil: predicate still false after ${maxSteps} steps (maxSteps)`);
      const next = this.#next();
      if (next === undefined) this.#fail(`runUntil: predicate still false and the simulation is idle (nothing pending) after ${steps} steps`);
      if (next.t > deadline) this.#fail(`runUntil: predicate still false at the time bound t=${deadline} (maxTimeMs=${bounds.maxTimeMs ?? 600_000}); next event at ${next.t}`);
      this.step();
      steps++;
    }
  }

  /** Steps until nothing is pending or `maxSteps` (default 100 000) steps have run (then fails). */
  drain(opts: { readonly maxSteps?: number } = {}): RunResult {
    const maxSteps = opts.maxSteps ?? 100_000;
    let steps = 0;
    for (;;) {
      this.#checkNotFailed();
      if (this.#next() === undefined) return { steps, now: this.#now };
      if (steps >= maxSteps) this.#fail(`drain: still busy after ${maxSteps} steps`);
      this.step();
      steps++;
    }
  }

  // ---- tracing -------------------------------------------------------------------------------

  /** Appends a trace record at the current time. */
  record(rec: Omit<TraceRecord, 't'>): void {
    if (this.#tracing) this.trace.push({ t: this.#now, ...rec });
  }

  /** True when trace records are kept or streamed (SimOptions.traceWindow, traceSink). */
  get tracing(): boolean {
    return this.#tracing;
  }

  /** A free-form trace note (dir 'note'). */
  note(host: string, kind: string, fields?: Readonly<Record<string, TraceValue>>): void {
    this.record({ host, dir: 'note', kind, ...(fields !== undefined ? { fields } : {}) });
  }

  /** The trace as text, stable for golden files. */
  traceText(opts: TraceTextOptions = {}): string {
    const r = opts.redact;
    const locators = r === true || (typeof r === 'object' && r.locators === true);
    const hits = r === true || (typeof r === 'object' && r.hits === true);
    return this.trace.text({ redactLocators: locators, redactHits: hits });
  }

  /** The last `n` trace lines. */
  traceTail(n = TAIL_LINES): string[] {
    return this.trace.tail(n);
  }

  /**
   * The capture of delivered packets (HIP as IP protocol 139, ESP as 50). With `{ pcap: true }`
   * it holds every delivery since the start; otherwise capturing starts at the first call.
   */
  pcap(): PcapWriter {
    this.#pcap ??= new PcapWriter();
    return this.#pcap;
  }

  // ---- checks --------------------------------------------------------------------------------

  /**
   * SA agreement of two hosts (both directions): every SPI installed inbound on one side and
   * outbound on the other carries the same suite and keys; and, when both associations are
   * ESTABLISHED and agree on their SA pairs, every pair is installed on both sides. Returns the
   * problems found (empty when they agree).
   */
  saProblems(a: SimHost, b: SimHost): SaProblem[] {
    const out: SaProblem[] = [];
    const p = (problem: string): void => {
      out.push({ a: a.name, b: b.name, problem });
    };
    const cmp = (x: SimHost, y: SimHost): void => {
      for (const inb of x.installedSas()) {
        if (inb.direction !== 'in' || !equalBytes(inb.peerHit, y.hit)) continue;
        const outb = y.sa('out', inb.spi, x);
        if (outb === undefined) continue;
        if (inb.suite !== outb.suite) p(`SPI ${spiText(inb.spi)} ${y.name}->${x.name}: suite ${outb.suite} out vs ${inb.suite} in`);
        if (!equalBytes(inb.encKey, outb.encKey) || !equalBytes(inb.authKey, outb.authKey)) p(`SPI ${spiText(inb.spi)} ${y.name}->${x.name}: keys differ`);
      }
    };
    cmp(a, b);
    cmp(b, a);
    const ia = a.association(b);
    const ib = b.association(a);
    if (ia?.state === 'ESTABLISHED' && ib?.state === 'ESTABLISHED') {
      const set = (xs: readonly number[]): string => [...xs].sort((m, n) => m - n).join(',');
      const agree = set(ia.sas.map((s) => s.localSpi)) === set(ib.sas.map((s) => s.peerSpi)) && set(ia.sas.map((s) => s.peerSpi)) === set(ib.sas.map((s) => s.localSpi));
      if (agree) {
        for (const s of ia.sas) {
          if (a.sa('in', s.localSpi, b) === undefined) p(`${a.name} lists SA pair in=${spiText(s.localSpi)} but has no inbound SA ${spiText(s.localSpi)} installed`);
          if (a.sa('out', s.peerSpi, b) === undefined) p(`${a.name} lists SA pair out=${spiText(s.peerSpi)} but has no outbound SA ${spiText(s.peerSpi)} installed`);
          if (b.sa('out', s.localSpi, a) === undefined) p(`${b.name} has no outbound SA ${spiText(s.localSpi)} installed`);
          if (b.sa('in', s.peerSpi, a) === undefined) p(`${b.name} has no inbound SA ${spiText(s.peerSpi)} installed`);
        }
      }
    }
    return out;
  }

  /**
   * The invariants of the hosts the step touched (and of their established peers): the SA
   * agreement of every pair both of whose ends are ESTABLISHED, and the outbound SAs still
   * without their peer's inbound SA, whose time is checked every step. An untouched pair cannot
   * change, so checking only touched ones is as strong as checking all.
   */
  #checkInvariants(): void {
    if (this.#touched.size === 0 && this.#dangling.size === 0) return;
    const touched = [...this.#touched].sort((x, y) => x.index - y.index);
    this.#touched.clear();
    const pairs = new Map<string, readonly [SimHost, SimHost]>();
    const stale = new Set<string>();
    for (const slot of touched) {
      const a = slot.host;
      for (const k of this.#danglingPairs.get(a) ?? []) stale.add(k);
      for (const info of a.peekEngine().associations()) {
        if (info.state !== 'ESTABLISHED') continue;
        const b = this.#byHit.get(hitKey(info.peerHit));
        if (b === undefined || b === a || !b.established(a)) continue;
        const sb = this.#slotOf(b)!;
        const [x, y] = slot.index < sb.index ? [a, b] : [b, a];
        const key = `${Math.min(slot.index, sb.index)}|${Math.max(slot.index, sb.index)}`;
        if (!pairs.has(key)) pairs.set(key, [x, y]);
      }
    }
    const order = [...pairs.entries()].sort(([k1], [k2]) => pairOrder(k1, k2));
    for (const [key, [a, b]] of order) {
      stale.delete(key);
      const problems = this.saProblems(a, b);
      if (problems.length > 0) this.#fail(`invariant: SAs of ${a.name} and ${b.name} disagree while both are ESTABLISHED:\n  ${problems.map((x) => x.problem).join('\n  ')}`);
      const old = this.#dangling.get(key);
      const now = new Map<string, Dangling>();
      for (const [x, y] of [
        [a, b],
        [b, a],
      ] as const) {
        for (const out of x.installedSas()) {
          if (out.direction !== 'out' || !equalBytes(out.peerHit, y.hit) || y.sa('in', out.spi, x) !== undefined) continue;
          const k = `${x.name}>${y.name}:${out.spi >>> 0}`;
          now.set(k, old?.get(k) ?? { x, y, spi: out.spi, since: this.#now });
        }
      }
      if (now.size > 0) this.#setDangling(key, a, b, now);
      else this.#dropDangling(key);
    }
    for (const key of stale) this.#dropDangling(key);
    for (const entries of this.#dangling.values()) {
      for (const d of entries.values()) {
        if (this.#now - d.since > this.#saGraceMs) {
          const { x, y } = d;
          this.#fail(
            `invariant: ${x.name}'s outbound SA ${spiText(d.spi)} to ${y.name} has had no matching inbound SA on ${y.name} for ${this.#now - d.since} ms ` +
              `while both are ESTABLISHED (saGraceMs=${this.#saGraceMs}); ${x.name} lists ${pairsText(x.association(y))}, ${y.name} lists ${pairsText(y.association(x))}`,
          );
        }
      }
    }
  }

  #setDangling(key: string, a: SimHost, b: SimHost, entries: Map<string, Dangling>): void {
    this.#dangling.set(key, entries);
    for (const h of [a, b]) {
      let set = this.#danglingPairs.get(h);
      if (set === undefined) this.#danglingPairs.set(h, (set = new Set()));
      set.add(key);
    }
  }

  #dropDangling(key: string): void {
    if (!this.#dangling.delete(key)) return;
    for (const [h, set] of [...this.#danglingPairs]) {
      if (set.delete(key) && set.size === 0) this.#danglingPairs.delete(h);
    }
  }

  #checkNotFailed(): void {
    if (this.#failed !== undefined) throw this.#failed;
  }

  #fail(message: string, cause?: unknown): never {
    const err = new SimError(message, {
      seed: this.seed,
      steps: this.#steps,
      now: this.#now,
      traceTail: this.trace.tail(TAIL_LINES),
      ...(cause !== undefined ? { cause } : {}),
    });
    this.#failed = err;
    throw err;
  }

  #guard(h: SimHost, what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.#threw(h, what, e);
    }
  }

  /** An engine threw in `what`: a SimError passes through, anything else fails the run. */
  #threw(h: SimHost, what: string, e: unknown): never {
    if (e instanceof SimError) throw e;
    this.record({ host: h.name, dir: 'note', kind: 'threw', fields: { in: what, error: errText(e) } });
    this.#fail(`invariant: engine of host ${h.name} threw in ${what}: ${errText(e)}`, e);
  }

  // ---- plumbing ------------------------------------------------------------------------------

  /** @internal Drains a host's outputs if it was touched since its last refresh. */
  drainIfTouched(h: SimHost): void {
    if (this.#slotOf(h)?.dirty === true) this.#drainOutputs(h);
  }

  /** @internal Drains one host's outputs and routes them. */
  drainHost(h: SimHost): void {
    this.touch(h);
    this.#drainOutputs(h);
  }

  #drainOutputs(h: SimHost): void {
    const engine = h.peekEngine();
    for (;;) {
      // try/catch inline, not #guard: this runs after every packet, and a closure per poll costs.
      let out: Output | undefined;
      try {
        out = engine.poll();
      } catch (e) {
        this.#threw(h, 'poll', e);
      }
      if (out === undefined) return;
      this.#apply(h, out);
    }
  }

  #apply(h: SimHost, out: Output): void {
    switch (out.kind) {
      case 'transmit':
        // RFC 9028 §5.1: with ports, UDP-encapsulated.
        this.sendWire(h, 'hip', out.packet.kind, out.bytes, out.src, out.dst, out.packet, NO_FIELDS, out.udp);
        return;
      case 'sa': {
        const sa = out.sa;
        this.record({
          host: h.name,
          dir: 'sa',
          kind: out.op,
          fields: { dir: sa.direction, spi: spiText(sa.spi), peer: traceHit(sa.peerHit), suite: sa.suite, src: traceLoc(sa.src), dst: traceLoc(sa.dst), credit: sa.creditLimited === true ? true : undefined },
        });
        try {
          h.applySa(out.op, sa);
        } catch (e) {
          this.#fail(`invariant: host ${h.name}'s data plane refused SA ${out.op} ${sa.direction} ${spiText(sa.spi)}: ${errText(e)}`, e);
        }
        return;
      }
      case 'locator': {
        const e = out.entry;
        this.record({
          host: h.name,
          dir: 'locator',
          kind: out.op,
          fields: { peer: traceHit(out.peer), loc: traceLoc(e.locator), state: e.state, type: e.type, spi: e.spi === undefined ? undefined : spiText(e.spi), preferred: e.preferred, ...(e.type === 2 ? { port: e.port, candidate: e.kind } : {}) },
        });
        h.applyLocator(out.op, out.peer, e);
        return;
      }
      case 'event': {
        const ev = out.event;
        if (this.#keepEvents > 0) {
          h.events.push({ ...ev, t: this.#now });
          if (h.events.length > this.#keepEvents) h.events.shift();
        }
        this.record({ host: h.name, dir: 'event', kind: ev.type, fields: eventFields(ev) });
        return;
      }
    }
  }

  /** @internal Feeds the host's data-plane feedback to its engine. */
  feedback(h: SimHost): void {
    for (;;) {
      const f = h.esp.pollFeedback();
      if (f === undefined) return;
      const input: Input = f;
      try {
        h.peekEngine().handle(input, this.#now);
      } catch (e) {
        this.#threw(h, `handle(${f.kind})`, e);
      }
      this.drainHost(h);
    }
  }

  /**
   * @internal A packet leaves host `h`: interceptors, NAT, link, deliveries. With `udp` it travels
   * UDP-encapsulated (RFC 9028 §5.1, §5.11); a HIP packet gets its zero marker after the
   * interceptors.
   */
  sendWire(
    h: SimHost,
    proto: 'hip' | 'esp' | 'udp',
    kind: SimPacketKind,
    bytes: Uint8Array,
    src: Locator,
    dst: Locator,
    packet: HipPacket | undefined,
    extra: Readonly<Record<string, TraceValue>> = NO_FIELDS,
    udp?: UdpPorts,
  ): void {
    const index = h.countSent(kind);
    const tracing = this.#tracing;
    if (tracing) {
      const to = this.#ownerName(dst, udp);
      const detail = this.#traceParams ? { to: to ?? '?', ...(packet !== undefined ? paramFields(packet) : {}) } : {};
      const addr =
        udp === undefined
          ? { src: traceLoc(src), dst: traceLoc(dst), len: bytes.length }
          : // len: the UDP payload, as the receiver counts it (a HIP packet gets the 4-byte marker).
            { src: traceLoc(src), sport: udp.srcPort, dst: traceLoc(dst), dport: udp.dstPort, len: bytes.length + (proto === 'hip' ? UDP_ZERO_MARKER_LENGTH : 0) };
      this.record({ host: h.name, dir: 'send', kind, fields: { ...addr, ...extra, ...detail } });
    }
    let delayMs = 0;
    let copies = 0;
    if (this.#interceptors.length > 0) {
      const to = this.#ownerName(dst, udp);
      let ctx: InterceptContext = {
        now: this.#now,
        proto,
        kind,
        ...(packet !== undefined ? { packet } : {}),
        ...(proto === 'esp' && bytes.length >= 4 ? { spi: readU32(bytes, 0) } : {}),
        ...(udp !== undefined ? { udp } : {}),
        src,
        dst,
        from: h.name,
        to,
        direction: `${h.name}->${to ?? '?'}`,
        index,
      };
      for (const fn of [...this.#interceptors]) {
        const v = fn(bytes, ctx);
        if (v === undefined || v === 'pass') continue;
        if (v === 'drop') {
          this.record({ host: h.name, dir: 'drop', kind, fields: { reason: 'intercept', src: traceLoc(src), dst: traceLoc(dst) } });
          return;
        }
        if (v.replace !== undefined) {
          if (!(v.replace instanceof Uint8Array)) throw new TypeError('interceptor "replace" expected Uint8Array');
          bytes = Uint8Array.from(v.replace);
          const { packet: _old, ...rest } = ctx;
          if (proto === 'hip') {
            const d = decodePacket(bytes, { verifyChecksum: false });
            ctx = d.ok ? { ...rest, packet: d.packet } : rest;
          } else ctx = rest;
          this.record({ host: h.name, dir: 'note', kind, fields: { intercept: 'replace', len: bytes.length } });
        }
        if (v.delayMs !== undefined) {
          if (!(v.delayMs >= 0) || !Number.isFinite(v.delayMs)) throw new RangeError('interceptor "delayMs" expected a finite number >= 0');
          delayMs += v.delayMs;
          this.record({ host: h.name, dir: 'note', kind, fields: { intercept: 'delay', ms: v.delayMs } });
        }
        if (v.duplicate !== undefined) {
          if (!Number.isInteger(v.duplicate) || v.duplicate < 0) throw new RangeError('interceptor "duplicate" expected an integer >= 0');
          copies += v.duplicate;
          this.record({ host: h.name, dir: 'note', kind, fields: { intercept: 'duplicate', copies: v.duplicate } });
        }
      }
    }
    // RFC 9028 §5.1: marker ‖ HIP packet with a zero checksum is the UDP payload.
    if (udp !== undefined && proto === 'hip') bytes = encapsulateHip(bytes);
    if (this.#natByInside.size > 0) {
      const nat = this.#natByInside.get(this.#locKey(src));
      if (nat !== undefined && this.#natByInside.get(this.#locKey(dst)) !== nat) {
        const crossed = this.#natOutbound(h, nat, proto, kind, bytes, src, dst, udp);
        if (crossed === undefined) return;
        src = crossed.src;
        udp = crossed.udp;
      }
    }
    const entry = this.#linkFor(src, dst);
    if (entry === undefined) {
      this.record({ host: h.name, dir: 'drop', kind, fields: { reason: 'no-route', src: traceLoc(src), dst: traceLoc(dst) } });
      return;
    }
    const link = entry.link;
    if (this.#strictMtu && proto === 'hip' && link.options.fragmentation === false && link.mtu !== Infinity) {
      const size = bytes.length + (udp !== undefined ? UDP_HEADER_BYTES : 0) + (isIpv4Mapped(src) ? IPV4_HEADER_BYTES : IPV6_HEADER_BYTES);
      if (size > link.mtu) this.#fail(`invariant: host ${h.name} sent a ${kind} of ${size} IP bytes over ${entry.name} with MTU ${link.mtu} and fragmentation off`);
    }
    if (proto === 'hip') this.#hipSent++;
    else if (proto === 'esp') this.#espSent++;
    const outcome = link.transmit(udp === undefined ? { bytes, src, dst } : { bytes, src, dst, overheadBytes: UDP_HEADER_BYTES }, this.#now);
    if (outcome.drop !== undefined) {
      this.record({ host: h.name, dir: 'drop', kind, fields: { reason: outcome.drop, link: entry.name } });
      return;
    }
    for (const d of outcome.deliveries) {
      const udpBad = udp !== undefined && d.corrupted !== undefined && this.#checksumCatches(src, dst, udp, bytes, d.bytes);
      const wire: Wire = { type: 'deliver', proto, kind, from: h.name, bytes: d.bytes, src, dst, dstKey: entry.dstKey, duplicate: d.duplicate, corrupted: d.corrupted, udp, udpBad };
      this.#heap.push(d.deliverAt + delayMs, wire);
      for (let i = 0; i < copies; i++) this.#heap.push(d.deliverAt + delayMs, { ...wire, bytes: Uint8Array.from(d.bytes), duplicate: true });
    }
  }

  /**
   * The host a packet to `dst` is for: the owner of the address, or, for a NAT's public address,
   * the inside host of the mapping its UDP destination port names now (no side effect).
   */
  #ownerName(dst: Locator, udp: UdpPorts | undefined): string | undefined {
    const key = this.#locKey(dst);
    const h = this.#byLocator.get(key);
    if (h !== undefined || udp === undefined || this.#natByPublic.size === 0) return h?.name;
    const inner = this.#natByPublic.get(key)?.peekInbound(udp.dstPort, this.#now);
    return inner === undefined ? undefined : this.#byLocator.get(this.#locKey(inner.address))?.name;
  }

  /**
   * The link of (src, dst). An SA sends from one src array to one dst array, so a one-entry
   * cache per src array saves the key building; links are never removed, so a found link stays.
   */
  #linkFor(src: Locator, dst: Locator): LinkEntry | undefined {
    const c = this.#linkCache.get(src);
    if (c !== undefined && c.dst === dst) return c.entry;
    const entry = this.#links.get(this.#locKey(src) + '>' + this.#locKey(dst));
    if (entry !== undefined) this.#linkCache.set(src, { dst, entry });
    return entry;
  }

  #locKey(loc: Locator): string {
    let k = this.#locKeys.get(loc);
    if (k === undefined) {
      k = locatorKey(loc);
      this.#locKeys.set(loc, k);
    }
    return k;
  }

  #deliver(w: Wire): void {
    this.#capture(w);
    if (this.#natByPublic.size > 0) {
      const nat = this.#natByPublic.get(w.dstKey);
      if (nat !== undefined) {
        const inner = this.#natInbound(nat, w);
        if (inner === undefined) return;
        w = inner;
        // The packet as it looks on the private side of the box.
        this.#capture(w);
      }
    }
    const h = this.#byLocator.get(w.dstKey);
    const flags = this.#tracing ? { dup: w.duplicate ? true : undefined, corrupted: w.corrupted } : NO_FIELDS;
    if (h === undefined) {
      this.record({ host: w.from, dir: 'drop', kind: w.kind, fields: { reason: 'no-host', dst: traceLoc(w.dst) } });
      return;
    }
    if (w.udp !== undefined) {
      this.#deliverUdp(h, w, w.udp, flags);
      return;
    }
    if (w.proto === 'hip') {
      this.#hipDelivered++;
      this.record({ host: h.name, dir: 'recv', kind: w.kind, fields: { src: traceLoc(w.src), dst: traceLoc(w.dst), len: w.bytes.length, ...flags } });
      const engine = h.peekEngine();
      this.#guard(h, `handle(datagram ${w.kind})`, () => engine.handle({ kind: 'datagram', bytes: w.bytes, src: w.src, dst: w.dst }, this.#now));
      this.drainHost(h);
      return;
    }
    this.#deliverEsp(h, w, w.bytes, flags, undefined);
  }

  /** The IP packet of a wire as a capture shows it (HIP 139, ESP 50, or UDP 17 with its header). */
  #capture(w: Wire): void {
    if (this.#pcap === undefined || isIpv4Mapped(w.src) !== isIpv4Mapped(w.dst)) return;
    if (w.udp === undefined) {
      this.#pcap.add(this.#now, buildIpPacket({ src: w.src, dst: w.dst, protocol: w.proto === 'hip' ? IPPROTO_HIP : IPPROTO_ESP, payload: w.bytes }));
      return;
    }
    const payload = buildUdpDatagram({ src: w.src, dst: w.dst, srcPort: w.udp.srcPort, dstPort: w.udp.dstPort, payload: w.bytes });
    if (w.udpBad) {
      // The sender's checksum covered other bytes: it does not match what arrived.
      const c = readU16(payload, 6);
      writeU16(payload, 6, c === 0xffff ? 0xfffe : (c + 1) & 0xffff);
    }
    this.#pcap.add(this.#now, buildIpPacket({ src: w.src, dst: w.dst, protocol: IPPROTO_UDP, payload }));
  }

  /** Whether the UDP checksum of the datagram as sent differs from that of the corrupted copy (RFC 768). */
  #checksumCatches(src: Locator, dst: Locator, udp: UdpPorts, sent: Uint8Array, got: Uint8Array): boolean {
    const a = buildUdpDatagram({ src, dst, srcPort: udp.srcPort, dstPort: udp.dstPort, payload: sent });
    const b = buildUdpDatagram({ src, dst, srcPort: udp.srcPort, dstPort: udp.dstPort, payload: got });
    return a.length !== b.length || readU16(a, 6) !== readU16(b, 6);
  }

  /**
   * A UDP datagram reached host `h`: on its UDP port, demultiplexed by the RFC 9028 §5.1 framing
   * (zero marker: HIP; else ESP; 0xFF: RFC 3948 keepalive).
   */
  #deliverUdp(h: SimHost, w: Wire, udp: UdpPorts, flags: Readonly<Record<string, TraceValue>>): void {
    if (w.udpBad) {
      // RFC 768: a datagram whose checksum fails is discarded by the receiving UDP stack; the
      // zero HIP checksum of RFC 9028 §5.1 relies on it.
      this.record({ host: h.name, dir: 'drop', kind: w.kind, fields: { reason: 'udp-checksum', src: traceLoc(w.src), sport: udp.srcPort, ...flags } });
      return;
    }
    if (udp.dstPort !== h.udpPort) {
      this.record({ host: h.name, dir: 'drop', kind: w.kind, fields: { reason: 'port-unreachable', src: traceLoc(w.src), sport: udp.srcPort, dport: udp.dstPort } });
      return;
    }
    const d = demuxUdp(w.bytes);
    switch (d.kind) {
      case 'HIP': {
        this.#hipDelivered++;
        const kind = w.kind === 'UDP' ? 'UDP' : w.kind;
        this.record({ host: h.name, dir: 'recv', kind, fields: { src: traceLoc(w.src), sport: udp.srcPort, dst: traceLoc(w.dst), dport: udp.dstPort, len: w.bytes.length, ...flags } });
        const engine = h.peekEngine();
        const input: Input = { kind: 'datagram', bytes: d.hip, src: w.src, dst: w.dst, transport: 'udp', srcPort: udp.srcPort, dstPort: udp.dstPort };
        this.#guard(h, `handle(datagram ${kind} over UDP)`, () => engine.handle(input, this.#now));
        this.drainHost(h);
        return;
      }
      case 'ESP':
        this.#espDelivered++;
        this.#deliverEsp(h, w, d.esp, flags, udp);
        return;
      case 'KEEPALIVE':
        h.keepalivesReceived++;
        this.record({ host: h.name, dir: 'recv', kind: 'KEEPALIVE', fields: { src: traceLoc(w.src), sport: udp.srcPort, ...flags } });
        return;
      case 'INVALID':
        this.record({ host: h.name, dir: 'drop', kind: w.kind, fields: { reason: 'udp-invalid', src: traceLoc(w.src), sport: udp.srcPort, detail: d.reason, ...flags } });
        return;
    }
  }

  #deliverEsp(h: SimHost, w: Wire, bytes: Uint8Array, flags: Readonly<Record<string, TraceValue>>, udp: UdpPorts | undefined): void {
    if (udp === undefined) this.#espDelivered++;
    // RFC 9028 §5.11: the ports it arrived with go to the engine in esp-seen.
    const r = udp === undefined ? h.esp.unprotect(bytes, w.src, w.dst, this.#now) : h.esp.unprotect(bytes, w.src, w.dst, this.#now, udp);
    if (r.ok) {
      if (this.#tracing) {
        const ports = udp === undefined ? NO_FIELDS : { sport: udp.srcPort, dport: udp.dstPort };
        this.record({ host: h.name, dir: 'recv', kind: 'ESP', fields: { spi: spiText(r.spi), seq: r.seq, ...ports, len: bytes.length, ...flags } });
      }
      if (this.#keepReceived > 0 || this.#receivedSink !== undefined) {
        const rec: ReceivedPayload = {
          t: this.#now,
          from: this.#byHit.get(hitKey(r.peerHit))?.name,
          peerHit: r.peerHit,
          payload: r.payload,
          nextHeader: r.nextHeader,
          spi: r.spi,
          seq: r.seq,
          src: r.src,
          dst: r.dst,
        };
        this.#receivedSink?.(h, rec);
        if (this.#keepReceived > 0) {
          h.received.push(rec);
          if (h.received.length > this.#keepReceived) h.received.shift();
        }
      }
    } else if (this.#tracing) {
      this.record({ host: h.name, dir: 'drop', kind: 'ESP', fields: { reason: r.reason, spi: r.spi === undefined ? undefined : spiText(r.spi), ...flags } });
    }
    this.feedback(h);
  }

  /**
   * A packet from inside `nat` to outside (RFC 4787 §4.1): only UDP crosses; the source becomes
   * the mapping's external endpoint. A packet to the box's own public address is hairpinned
   * (§6) back inside. Returns the new source and ports, or undefined when the packet ends here.
   */
  #natOutbound(
    h: SimHost,
    nat: NatBox,
    proto: 'hip' | 'esp' | 'udp',
    kind: SimPacketKind,
    bytes: Uint8Array,
    src: Locator,
    dst: Locator,
    udp: UdpPorts | undefined,
  ): { readonly src: Locator; readonly udp: UdpPorts } | undefined {
    if (udp === undefined) {
      nat.count('droppedNotUdp');
      this.record({ host: nat.name, dir: 'drop', kind, fields: { reason: 'nat-not-udp', proto: proto === 'hip' ? IPPROTO_HIP : IPPROTO_ESP, src: traceLoc(src), dst: traceLoc(dst) } });
      return undefined;
    }
    // The packet as it looks on the private side, before the box.
    if (this.#pcap !== undefined) this.#capture({ type: 'deliver', proto, kind, from: h.name, bytes, src, dst, dstKey: '', duplicate: false, corrupted: undefined, udp, udpBad: false });
    const r = nat.outbound({ src, srcPort: udp.srcPort, dst, dstPort: udp.dstPort }, this.#now);
    if (!r.ok) {
      this.record({ host: nat.name, dir: 'drop', kind, fields: { reason: 'nat-no-port', src: traceLoc(src), sport: udp.srcPort } });
      return undefined;
    }
    const out: UdpPorts = { srcPort: r.external.port, dstPort: udp.dstPort };
    if (this.#tracing) {
      this.record({
        host: nat.name,
        dir: 'note',
        kind,
        fields: { nat: 'out', inside: [traceLoc(src), udp.srcPort], outside: [traceLoc(nat.publicAddress), r.external.port], remote: [traceLoc(dst), udp.dstPort], new: r.created ? true : undefined },
      });
    }
    if (!equalBytes(dst, nat.publicAddress)) return { src: nat.publicAddress, udp: out };
    // RFC 4787 §6 REQ-9: hairpinning, with the sender's external address as the source (REQ-9b).
    if (!nat.hairpinning) {
      nat.count('droppedHairpin');
      this.record({ host: nat.name, dir: 'drop', kind, fields: { reason: 'nat-no-hairpin', dst: traceLoc(dst), dport: udp.dstPort } });
      return undefined;
    }
    const back = nat.inbound({ src: nat.publicAddress, srcPort: out.srcPort, dstPort: out.dstPort }, this.#now);
    if (!back.ok) {
      this.record({ host: nat.name, dir: 'drop', kind, fields: { reason: `nat-${back.reason}`, src: traceLoc(nat.publicAddress), sport: out.srcPort, dport: out.dstPort } });
      return undefined;
    }
    nat.count('hairpinned');
    const inner = back.internal;
    this.record({ host: nat.name, dir: 'note', kind, fields: { nat: 'hairpin', from: [traceLoc(nat.publicAddress), out.srcPort], inside: [traceLoc(inner.address), inner.port] } });
    this.#heap.push(this.#now, {
      type: 'deliver',
      proto,
      kind,
      from: h.name,
      bytes: Uint8Array.from(bytes),
      src: nat.publicAddress,
      dst: inner.address,
      dstKey: this.#locKey(inner.address),
      duplicate: false,
      corrupted: undefined,
      udp: { srcPort: out.srcPort, dstPort: inner.port },
      udpBad: false,
    });
    return undefined;
  }

  /**
   * A packet reached the public address of `nat` (RFC 4787 §5): mapped back to the inside
   * endpoint, or dropped (not UDP, no mapping, filtered). Returns the wire as it continues inside.
   */
  #natInbound(nat: NatBox, w: Wire): Wire | undefined {
    const udp = w.udp;
    if (udp === undefined) {
      nat.count('droppedNotUdp');
      this.record({ host: nat.name, dir: 'drop', kind: w.kind, fields: { reason: 'nat-not-udp', proto: w.proto === 'hip' ? IPPROTO_HIP : IPPROTO_ESP, src: traceLoc(w.src), dst: traceLoc(w.dst) } });
      return undefined;
    }
    const r = nat.inbound({ src: w.src, srcPort: udp.srcPort, dstPort: udp.dstPort }, this.#now);
    if (!r.ok) {
      this.record({ host: nat.name, dir: 'drop', kind: w.kind, fields: { reason: `nat-${r.reason}`, src: traceLoc(w.src), sport: udp.srcPort, dst: traceLoc(w.dst), dport: udp.dstPort } });
      return undefined;
    }
    const inner = r.internal;
    if (this.#tracing) {
      this.record({
        host: nat.name,
        dir: 'note',
        kind: w.kind,
        fields: { nat: 'in', remote: [traceLoc(w.src), udp.srcPort], outside: [traceLoc(w.dst), udp.dstPort], inside: [traceLoc(inner.address), inner.port] },
      });
    }
    return { ...w, dst: inner.address, dstKey: this.#locKey(inner.address), udp: { srcPort: udp.srcPort, dstPort: inner.port } };
  }
}

/**
 * The trace fields of a HIP packet's parameters (SimOptions.traceParams): every kind in wire
 * order, then the values the mobility figures turn on. Never key material: only SPIs, Update IDs,
 * addresses and NOTIFY types.
 */
export function paramFields(packet: HipPacket): Record<string, TraceValue> {
  const out: Record<string, TraceValue> = { params: packet.params.map((p) => p.kind) };
  const first = <K extends HipParam['kind']>(k: K): Extract<HipParam, { kind: K }> | undefined =>
    packet.params.find((p): p is Extract<HipParam, { kind: K }> => p.kind === k);
  const esp = first('ESP_INFO');
  if (esp !== undefined) out['esp'] = `${spiText(esp.oldSpi)}>${spiText(esp.newSpi)}`;
  const seq = first('SEQ');
  if (seq !== undefined) out['seq'] = seq.updateId;
  const ack = first('ACK');
  if (ack !== undefined) out['ack'] = [...ack.peerUpdateIds];
  const ls = first('LOCATOR_SET');
  if (ls !== undefined) {
    out['locs'] = ls.locators.map((l): TraceValue => {
      const parts: TraceValue[] = [`t${l.locatorType}`];
      if ('address' in l) parts.push(traceLoc(l.address));
      if (l.locatorType === 1 && 'spi' in l) parts.push(spiText(l.spi));
      if (l.preferred) parts.push('P');
      return parts;
    });
  }
  const n = first('NOTIFICATION');
  if (n !== undefined) out['notify'] = n.messageType;
  return out;
}

/** Host slots in creation order. */
function slotIndexOrder(x: HostSlot, y: HostSlot): number {
  return x.index - y.index;
}

/** Orders pair keys `i|j` numerically (creation order of the first host, then the second). */
function pairOrder(k1: string, k2: string): number {
  const [a1, b1] = k1.split('|').map(Number) as [number, number];
  const [a2, b2] = k2.split('|').map(Number) as [number, number];
  return a1 - a2 || b1 - b2;
}

function windowOption(v: number | undefined, field: string): number {
  if (v === undefined) return Infinity;
  if (typeof v !== 'number' || !(v >= 0) || (!Number.isInteger(v) && v !== Infinity)) throw new RangeError(`"${field}" expected an integer >= 0 or Infinity, got ${String(v)}`);
  return v;
}

function pairsText(info: AssociationInfo | undefined): string {
  if (info === undefined) return 'no association';
  return `[${info.sas.map((s) => `in=${spiText(s.localSpi)} out=${spiText(s.peerSpi)}`).join('; ')}]`;
}

function eventFields(ev: HipEvent): Readonly<Record<string, TraceValue>> {
  switch (ev.type) {
    case 'established':
      return { assoc: ev.assoc, peer: traceHit(ev.peerHit), role: ev.role };
    case 'update-completed':
      return { assoc: ev.assoc, what: ev.what };
    case 'closed':
      return { assoc: ev.assoc, by: ev.by };
    case 'failed':
      return { assoc: ev.assoc, reason: ev.reason };
    case 'notify':
      return { assoc: ev.assoc, type: ev.messageType, auth: ev.authenticated, src: traceLoc(ev.src) };
    case 'dropped':
      return { reason: ev.reason, pkt: ev.packetKind, assoc: ev.assoc, src: ev.src === undefined ? undefined : traceLoc(ev.src), detail: ev.detail };
    case 'registered':
    case 'registration-failed':
    case 'registration-ended':
      return registrationFields(ev);
    case 'server-reflexive':
      // RFC 9028 §4.1: the transport address the Control Relay Server saw (REG_FROM).
      return { assoc: ev.assoc, peer: traceHit(ev.peerHit), address: traceLoc(ev.address), port: ev.port, ...(ev.previous ? { prevAddress: traceLoc(ev.previous.address), prevPort: ev.previous.port } : {}) };
    case 'nat-path':
      // RFC 9028 §4.6.3: the nominated candidate pair, our transport address and the peer's.
      return { assoc: ev.assoc, src: traceLoc(ev.src), srcPort: ev.srcPort, dst: traceLoc(ev.dst), dstPort: ev.dstPort, candidate: ev.kind };
    case 'nat-checks-failed':
      return { assoc: ev.assoc };
    default:
      return {};
  }
}

