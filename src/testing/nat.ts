// A NAT box for the simulator with the UDP behaviours of RFC 4787 (docs/architecture.md,
// Simulator, NAT boxes). Pure and deterministic: no clock (every call takes `now`), port
// allocation from a seeded stream, mappings that expire lazily when looked at.
//
//   inside endpoint X:x ──outbound──▶ mapping X:x → public:X1' ──▶ remote Y:y
//   remote Y:y ──inbound to public:X1'──▶ filter ──▶ X:x
//
// Mapping behaviour (RFC 4787 §4.1) decides when X:x reuses its external port: for every remote
// (endpoint-independent), per remote address (address-dependent), or per remote address and port
// (address-and-port-dependent, the "symmetric" NAT). Filtering (§5) decides which inbound packets
// a mapping lets through: any (endpoint-independent), from an address X:x has sent to
// (address-dependent), or from an address and port it has sent to (address-and-port-dependent).
// A mapping lives `mappingTimeoutMs` after its last refresh (§4.3); outbound packets refresh it
// (REQ-6), inbound ones only when `inboundRefresh` is set. The NAT has one public address
// (§4.1 address pooling is not modelled) and translates UDP only; the simulator drops anything
// else at the box.
import { formatLocator, locatorKey, parseLocator } from '../addr/locator.js';
import type { Locator, Millis, RandomSource } from '../types.js';
import { Prng, type Seed } from './rng.js';

/** RFC 4787 §4.1 mapping behaviour (REQ-1 asks for endpoint-independent). */
export type NatMappingBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';
/** RFC 4787 §5 filtering behaviour (REQ-8 recommends endpoint-independent or address-dependent). */
export type NatFilteringBehavior = 'endpoint-independent' | 'address-dependent' | 'address-and-port-dependent';

/** Options of a {@link NatBox}. */
export type NatOptions = {
  /** The box's public (external) address, text or 16-byte locator. */
  readonly publicAddress: string | Locator;
  /**
   * RFC 4787 §4.1 mapping behaviour.
   * @defaultValue 'endpoint-independent' (REQ-1)
   */
  readonly mapping?: NatMappingBehavior;
  /**
   * RFC 4787 §5 filtering behaviour.
   * @defaultValue 'endpoint-independent' (REQ-8, when application transparency matters most)
   */
  readonly filtering?: NatFilteringBehavior;
  /**
   * RFC 4787 §4.3 UDP mapping timer: a mapping not refreshed for this long is gone. REQ-5: at
   * least 2 minutes, 5 minutes RECOMMENDED; shorter values are allowed here so tests can run
   * them.
   * @defaultValue 300 000 ms
   */
  readonly mappingTimeoutMs?: Millis;
  /**
   * RFC 4787 §4.3 REQ-6: inbound packets refresh the mapping too ("MAY"). Outbound packets
   * always do ("MUST").
   * @defaultValue false
   */
  readonly inboundRefresh?: boolean;
  /**
   * RFC 4787 §4.2.1 port preservation: a new mapping keeps the internal source port when that
   * external port is free.
   * @defaultValue false
   */
  readonly portPreservation?: boolean;
  /**
   * RFC 4787 §6 REQ-9 hairpinning: a packet from inside to the box's own public address and a
   * mapped port is turned around to the inside host (with the sender's external address as its
   * source, REQ-9b). Off: it is dropped.
   * @defaultValue true (REQ-9 MUST)
   */
  readonly hairpinning?: boolean;
  /**
   * External ports the box allocates from, inclusive (RFC 4787 §4.2.1 REQ-3: 1024-65535 for
   * internal ports in that range).
   * @defaultValue [1024, 65535]
   */
  readonly portRange?: readonly [number, number];
};

/** A UDP transport address: an address and a port. */
export type UdpEndpoint = { readonly address: Locator; readonly port: number };

/** One mapping of a {@link NatBox}, as `mappings()` lists it. */
export type NatMapping = {
  readonly internal: UdpEndpoint;
  readonly external: UdpEndpoint;
  /** For address-dependent and address-and-port-dependent mapping: the remote it is for. */
  readonly remote?: { readonly address: Locator; readonly port?: number };
  /** The virtual time it was created and last refreshed. */
  readonly createdAt: Millis;
  readonly refreshedAt: Millis;
  /** When it expires unless refreshed before. */
  readonly expiresAt: Millis;
};

/** Counters of a {@link NatBox}. */
export type NatCounters = {
  /** Packets translated, either way (hairpinned ones count once here too). */
  readonly translated: number;
  readonly outbound: number;
  readonly inbound: number;
  /** Inbound packets a mapping exists for but the filtering behaviour refused (RFC 4787 §5). */
  readonly droppedByFilter: number;
  /** Inbound packets to an external port with no live mapping. */
  readonly droppedNoMapping: number;
  /** Packets that are not UDP (HIP protocol 139, ESP protocol 50): a UDP-only box drops them. */
  readonly droppedNotUdp: number;
  /** Hairpinned packets (RFC 4787 §6), and those refused because hairpinning is off. */
  readonly hairpinned: number;
  readonly droppedHairpin: number;
  /** Outbound packets for which no external port was free. */
  readonly droppedNoPort: number;
  readonly mappingsCreated: number;
  readonly mappingsExpired: number;
};

/** The result of {@link NatBox.outbound}. */
export type NatOutboundResult =
  | { readonly ok: true; readonly external: UdpEndpoint; readonly created: boolean }
  | { readonly ok: false; readonly reason: 'no-port' };

/** The result of {@link NatBox.inbound}. */
export type NatInboundResult =
  | { readonly ok: true; readonly internal: UdpEndpoint }
  | { readonly ok: false; readonly reason: 'no-mapping' | 'filtered' };

/** What {@link NatBox.rebind} does to the existing mappings. */
export type NatRebindMode =
  /** Every mapping is gone: the next outbound packet of each flow gets a new one. */
  | 'drop'
  /**
   * Every mapping moves to a new external port at once, as when the box lost its state and
   * rebuilt it: the permissions of address-dependent filtering start empty again.
   */
  | 'new-ports';

type Mapping = {
  readonly key: string;
  readonly internal: UdpEndpoint;
  externalPort: number;
  readonly remote: { readonly address: Locator; readonly port?: number } | undefined;
  readonly createdAt: Millis;
  refreshedAt: Millis;
  /** Remote addresses (address-dependent filtering) and address:port (address-and-port-dependent) sent to. */
  readonly sentTo: Set<string>;
};

type MutableCounters = { -readonly [K in keyof NatCounters]: number };

const MAX_PORT_TRIES = 64;

function checkPort(v: number, field: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffff) throw new RangeError(`"${field}" expected an integer port in 0..65535, got ${String(v)}`);
  return v;
}

function toLoc(v: string | Locator, field: string): Locator {
  if (typeof v === 'string') return parseLocator(v);
  if (v instanceof Uint8Array && v.length === 16) return Uint8Array.from(v);
  throw new TypeError(`"${field}" expected an address string or a 16-byte locator`);
}

/**
 * A NAT box with the UDP mapping and filtering behaviours of RFC 4787: translate outbound
 * packets with {@link NatBox.outbound}, inbound ones with {@link NatBox.inbound}. Deterministic:
 * the same seed and the same calls allocate the same ports. Every operation is O(1) in the
 * number of mappings except `rebind` and `mappings`. Address arrays passed in are read, never
 * written, and must not be changed afterwards (their keys are cached per array).
 */
export class NatBox {
  /** The box's name (it labels the simulator's trace). */
  readonly name: string;
  /** The public address, canonical 16 bytes. */
  readonly publicAddress: Locator;
  /** RFC 4787 §4.1 mapping behaviour (NatOptions.mapping). */
  readonly mapping: NatMappingBehavior;
  /** RFC 4787 §5 filtering behaviour (NatOptions.filtering). */
  readonly filtering: NatFilteringBehavior;
  /** RFC 4787 §4.3 UDP mapping timer in ms (NatOptions.mappingTimeoutMs). */
  readonly mappingTimeoutMs: Millis;
  /** RFC 4787 REQ-6a: inbound packets refresh mappings (NatOptions.inboundRefresh). */
  readonly inboundRefresh: boolean;
  /** RFC 4787 §4.2.1 port preservation (NatOptions.portPreservation). */
  readonly portPreservation: boolean;
  /** RFC 4787 §6 hairpinning (NatOptions.hairpinning). */
  readonly hairpinning: boolean;
  /** External ports allocated from, inclusive (NatOptions.portRange). */
  readonly portRange: readonly [number, number];
  readonly #prng: Prng;
  /** Mapping key (internal endpoint, plus the remote for dependent mapping) → mapping. */
  readonly #byKey = new Map<string, Mapping>();
  /** External port → mapping (one public address, so the port names the mapping). */
  readonly #byPort = new Map<number, Mapping>();
  readonly #keys = new WeakMap<Locator, string>();
  readonly #c: MutableCounters = {
    translated: 0,
    outbound: 0,
    inbound: 0,
    droppedByFilter: 0,
    droppedNoMapping: 0,
    droppedNotUdp: 0,
    hairpinned: 0,
    droppedHairpin: 0,
    droppedNoPort: 0,
    mappingsCreated: 0,
    mappingsExpired: 0,
  };

  constructor(name: string, opts: NatOptions, random: Seed | RandomSource) {
    if (typeof name !== 'string' || name === '') throw new TypeError('"name" expected a non-empty string');
    if (typeof opts !== 'object' || opts === null) throw new TypeError('"opts" expected object');
    this.name = name;
    this.publicAddress = toLoc(opts.publicAddress, 'opts.publicAddress');
    const kinds = ['endpoint-independent', 'address-dependent', 'address-and-port-dependent'];
    this.mapping = opts.mapping ?? 'endpoint-independent';
    if (!kinds.includes(this.mapping)) throw new RangeError(`"opts.mapping" expected one of ${kinds.join(', ')}, got ${String(opts.mapping)}`);
    this.filtering = opts.filtering ?? 'endpoint-independent';
    if (!kinds.includes(this.filtering)) throw new RangeError(`"opts.filtering" expected one of ${kinds.join(', ')}, got ${String(opts.filtering)}`);
    this.mappingTimeoutMs = opts.mappingTimeoutMs ?? 300_000;
    if (typeof this.mappingTimeoutMs !== 'number' || !(this.mappingTimeoutMs > 0)) throw new RangeError(`"opts.mappingTimeoutMs" expected a number > 0, got ${String(opts.mappingTimeoutMs)}`);
    for (const f of ['inboundRefresh', 'portPreservation', 'hairpinning'] as const) {
      if (opts[f] !== undefined && typeof opts[f] !== 'boolean') throw new TypeError(`"opts.${f}" expected boolean`);
    }
    this.inboundRefresh = opts.inboundRefresh ?? false;
    this.portPreservation = opts.portPreservation ?? false;
    this.hairpinning = opts.hairpinning ?? true;
    const range = opts.portRange ?? [1024, 65535];
    if (!Array.isArray(range) || range.length !== 2) throw new TypeError('"opts.portRange" expected [min, max]');
    const lo = checkPort(range[0], 'opts.portRange[0]');
    const hi = checkPort(range[1], 'opts.portRange[1]');
    if (lo < 1 || lo > hi) throw new RangeError(`"opts.portRange" expected 1 <= min <= max, got [${lo}, ${hi}]`);
    this.portRange = [lo, hi];
    this.#prng = new Prng(random);
  }

  /** The box's counters (a copy). */
  get counters(): NatCounters {
    return { ...this.#c };
  }

  /** @internal The simulator counts the packets it refuses at the box (not UDP, hairpin off). */
  count(what: 'droppedNotUdp' | 'droppedHairpin' | 'hairpinned'): void {
    this.#c[what]++;
  }

  /**
   * Translates an outbound UDP packet from the inside endpoint `src`:`srcPort` to `dst`:`dstPort`
   * (RFC 4787 §4.1): finds or creates its mapping, refreshes it (§4.3 REQ-6) and records the
   * remote for filtering (§5). Returns the external endpoint to send from.
   */
  outbound(pkt: { readonly src: Locator; readonly srcPort: number; readonly dst: Locator; readonly dstPort: number }, now: Millis): NatOutboundResult {
    const srcKey = this.#key(pkt.src);
    const dstKey = this.#key(pkt.dst);
    let key = `${srcKey}:${pkt.srcPort}`;
    if (this.mapping === 'address-dependent') key += `>${dstKey}`;
    else if (this.mapping === 'address-and-port-dependent') key += `>${dstKey}:${pkt.dstPort}`;
    let m = this.#live(this.#byKey.get(key), now);
    let created = false;
    if (m === undefined) {
      const port = this.#allocate(pkt.srcPort, now);
      if (port === undefined) {
        this.#c.droppedNoPort++;
        return { ok: false, reason: 'no-port' };
      }
      m = {
        key,
        internal: { address: Uint8Array.from(pkt.src), port: pkt.srcPort },
        externalPort: port,
        remote:
          this.mapping === 'endpoint-independent'
            ? undefined
            : this.mapping === 'address-dependent'
              ? { address: Uint8Array.from(pkt.dst) }
              : { address: Uint8Array.from(pkt.dst), port: pkt.dstPort },
        createdAt: now,
        refreshedAt: now,
        sentTo: new Set(),
      };
      this.#byKey.set(key, m);
      this.#byPort.set(port, m);
      this.#c.mappingsCreated++;
      created = true;
    }
    m.refreshedAt = now;
    // Filtering permissions (RFC 4787 §5): the remote address, and the remote address and port.
    if (this.filtering === 'address-dependent') m.sentTo.add(dstKey);
    else if (this.filtering === 'address-and-port-dependent') m.sentTo.add(`${dstKey}:${pkt.dstPort}`);
    this.#c.outbound++;
    this.#c.translated++;
    return { ok: true, external: { address: this.publicAddress, port: m.externalPort }, created };
  }

  /**
   * Translates an inbound UDP packet from `src`:`srcPort` to the box's public address and
   * `dstPort` back to the inside endpoint, if a live mapping has that external port and the
   * filtering behaviour lets the sender through (RFC 4787 §5).
   */
  inbound(pkt: { readonly src: Locator; readonly srcPort: number; readonly dstPort: number }, now: Millis): NatInboundResult {
    const m = this.#live(this.#byPort.get(pkt.dstPort), now);
    if (m === undefined) {
      this.#c.droppedNoMapping++;
      return { ok: false, reason: 'no-mapping' };
    }
    if (this.filtering !== 'endpoint-independent') {
      const srcKey = this.#key(pkt.src);
      const k = this.filtering === 'address-dependent' ? srcKey : `${srcKey}:${pkt.srcPort}`;
      if (!m.sentTo.has(k)) {
        this.#c.droppedByFilter++;
        return { ok: false, reason: 'filtered' };
      }
    }
    if (this.inboundRefresh) m.refreshedAt = now;
    this.#c.inbound++;
    this.#c.translated++;
    return { ok: true, internal: m.internal };
  }

  /**
   * A NAT rebinding (RFC 9028 §4.10 keepalives exist because of it): with 'drop' every mapping
   * is forgotten; with 'new-ports' each moves to a freshly allocated external port, so the peer
   * sees a new source port and packets to the old one find no mapping. O(mappings).
   */
  rebind(mode: NatRebindMode = 'new-ports'): void {
    if (mode !== 'drop' && mode !== 'new-ports') throw new RangeError(`"mode" expected 'drop' or 'new-ports', got ${String(mode)}`);
    const all = [...this.#byKey.values()];
    this.#byPort.clear();
    if (mode === 'drop') {
      this.#byKey.clear();
      return;
    }
    const old = new Set(all.map((m) => m.externalPort));
    for (const m of all) {
      // A new port never reuses one of the old ones, so the move is visible to the peer.
      let port: number | undefined;
      for (let i = 0; i < MAX_PORT_TRIES && port === undefined; i++) {
        const p = this.#prng.int(this.portRange[0], this.portRange[1]);
        if (!old.has(p) && !this.#byPort.has(p)) port = p;
      }
      if (port === undefined) {
        this.#byKey.delete(m.key);
        continue;
      }
      m.externalPort = port;
      m.sentTo.clear();
      this.#byPort.set(port, m);
    }
  }

  /** The live mappings at `now`, in creation order (O(mappings); for tests and traces). */
  mappings(now: Millis): NatMapping[] {
    const out: NatMapping[] = [];
    for (const m of this.#byKey.values()) {
      if (now - m.refreshedAt >= this.mappingTimeoutMs) continue;
      out.push({
        internal: m.internal,
        external: { address: this.publicAddress, port: m.externalPort },
        ...(m.remote !== undefined ? { remote: m.remote } : {}),
        createdAt: m.createdAt,
        refreshedAt: m.refreshedAt,
        expiresAt: m.refreshedAt + this.mappingTimeoutMs,
      });
    }
    return out;
  }

  /**
   * The inside endpoint the live mapping of external port `port` leads to, without filtering,
   * refreshing or counting (for traces and interceptors).
   */
  peekInbound(port: number, now: Millis): UdpEndpoint | undefined {
    const m = this.#byPort.get(port);
    return m === undefined || now - m.refreshedAt >= this.mappingTimeoutMs ? undefined : m.internal;
  }

  /** The external endpoint of `internal` toward `remote` if a live mapping exists (no side effect). */
  lookup(internal: UdpEndpoint, remote: UdpEndpoint, now: Millis): UdpEndpoint | undefined {
    let key = `${locatorKey(internal.address)}:${internal.port}`;
    if (this.mapping === 'address-dependent') key += `>${locatorKey(remote.address)}`;
    else if (this.mapping === 'address-and-port-dependent') key += `>${locatorKey(remote.address)}:${remote.port}`;
    const m = this.#byKey.get(key);
    if (m === undefined || now - m.refreshedAt >= this.mappingTimeoutMs) return undefined;
    return { address: this.publicAddress, port: m.externalPort };
  }

  /** Text of the box for traces: `name(public, EIM/APDF)`. */
  toString(): string {
    const ab = (b: string): string => (b === 'endpoint-independent' ? 'EI' : b === 'address-dependent' ? 'AD' : 'APD');
    return `${this.name}(${formatLocator(this.publicAddress)}, ${ab(this.mapping)}M/${ab(this.filtering)}F)`;
  }

  /**
   * locatorKey, cached per array: a flow hands the same address arrays (an SA's, an engine's)
   * again and again, and locators are never mutated once handed over.
   */
  #key(loc: Locator): string {
    let k = this.#keys.get(loc);
    if (k === undefined) {
      k = locatorKey(loc);
      this.#keys.set(loc, k);
    }
    return k;
  }

  /** The mapping if it is still alive at `now`; an expired one is removed (RFC 4787 §4.3). */
  #live(m: Mapping | undefined, now: Millis): Mapping | undefined {
    if (m === undefined) return undefined;
    if (now - m.refreshedAt < this.mappingTimeoutMs) return m;
    this.#byKey.delete(m.key);
    if (this.#byPort.get(m.externalPort) === m) this.#byPort.delete(m.externalPort);
    this.#c.mappingsExpired++;
    return undefined;
  }

  /** A free external port: the internal one under port preservation (§4.2.1), else a random one. */
  #allocate(internalPort: number, now: Millis): number | undefined {
    const [lo, hi] = this.portRange;
    const free = (p: number): boolean => this.#live(this.#byPort.get(p), now) === undefined;
    if (this.portPreservation && internalPort >= lo && internalPort <= hi && free(internalPort)) return internalPort;
    for (let i = 0; i < MAX_PORT_TRIES; i++) {
      const p = this.#prng.int(lo, hi);
      if (free(p)) return p;
    }
    // A crowded range: walk it once from a random start (O(range), only when nearly full).
    const start = this.#prng.int(lo, hi);
    for (let i = 0; i <= hi - lo; i++) {
      const p = lo + ((start - lo + i) % (hi - lo + 1));
      if (free(p)) return p;
    }
    return undefined;
  }
}
