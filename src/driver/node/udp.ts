// hip-engine/driver/node: a Node.js UDP driver (node:dgram) that carries HIP control packets and
// ESP on one UDP port per local locator, framed as RFC 9028 §3/§5 says:
//
//   HIP: 32 zero bits (the zero SPI marker) ‖ HIP packet with its checksum set to zero
//        (RFC 9028 §5.1: the UDP checksum protects it instead);
//   ESP: the ESP packet as is; its first 32 bits are the non-zero SPI (RFC 3948 framing).
//
// Inbound datagrams are told apart with `demuxUdp`: HIP goes to the engine (transport 'udp'), ESP
// to the EspDataPlane's unprotect(), whose feedback (esp-seen, esp-seq-exhausting) then goes to
// the engine, and the inner payload to `onData`. The generic driver (../driver.ts) does the
// engine bookkeeping; this file only owns sockets, ports and a setTimeout scheduler.
//
// No raw sockets and no kernel XFRM: two processes on one machine can run HIP over loopback
// addresses such as 127.0.0.1 and 127.0.0.2. UDP ports are not part of a HIP locator, so the
// driver remembers the source port each peer address last used (RFC 9028 §4 keeps the port with
// the locator) and falls back to `peerPort` for addresses it has not heard from.
//
// Buffers appear only at the socket boundary (dgram hands out Buffers); everything past it is
// Uint8Array.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import { formatHit } from '../../addr/hit.js';
import { formatLocator, isIpv4Mapped, locatorKey, parseLocator } from '../../addr/locator.js';
import type { HostIdentity } from '../../crypto/host-id.js';
import { defaultRandom } from '../../crypto/noble.js';
import type { CryptoProvider } from '../../crypto/provider.js';
import type { HipConfig } from '../../engine/config.js';
import type { AssociationInfo } from '../../engine/engine.js';
import { HipEngine } from '../../engine/hip-engine.js';
import type { EngineTraceSink } from '../../engine/trace.js';
import type { HipEvent } from '../../engine/io.js';
import type { EnginePolicy } from '../../engine/policy.js';
import { EspDataPlane } from '../../esp/dataplane.js';
import type { EspDropReason, ProtectOptions, ProtectResult } from '../../esp/types.js';
import type { AssocId, EspSuiteId, Hit, Locator, Millis, PeerLocator, RandomSource, SaDirection } from '../../types.js';
import { PACKET_TYPE, type PacketKind } from '../../wire/constants.js';
import { HIP_UDP_PORT, demuxUdp, encapsulateHip } from '../../wire/udp.js';
import type { Scheduler } from '../adapters.js';
import { Driver, createDriver } from '../driver.js';

export { HIP_UDP_PORT };

/** A peer address with an optional UDP port (default: the driver's `peerPort`). */
export type UdpPeerAddress = string | Locator | { readonly address: string | Locator; readonly port?: number };

/** A payload the data plane authenticated and decrypted. */
export type UdpDelivery = {
  readonly peerHit: Hit;
  readonly localHit: Hit;
  readonly payload: Uint8Array;
  readonly nextHeader: number;
  readonly spi: number;
  readonly seq: number;
  /** Outer addresses and the UDP source port the ESP packet came with. */
  readonly src: Locator;
  readonly dst: Locator;
  readonly srcPort: number;
};

/** What the driver did, for timelines and logs. Never carries key material. */
export type UdpLogEntry =
  | { readonly type: 'hip-send'; readonly kind: PacketKind; readonly src: Locator; readonly dst: Locator; readonly port: number; readonly length: number }
  | { readonly type: 'hip-recv'; readonly kind: PacketKind | undefined; readonly src: Locator; readonly dst: Locator; readonly port: number; readonly length: number }
  | { readonly type: 'esp-send'; readonly spi: number; readonly seq: number; readonly peerHit: Hit; readonly src: Locator; readonly dst: Locator; readonly port: number; readonly length: number }
  | { readonly type: 'esp-recv'; readonly spi: number; readonly seq: number; readonly peerHit: Hit; readonly src: Locator; readonly dst: Locator; readonly port: number; readonly length: number }
  | { readonly type: 'esp-drop'; readonly reason: EspDropReason; readonly direction: 'in' | 'out'; readonly spi?: number; readonly src?: Locator; readonly length: number }
  | {
      readonly type: 'sa';
      readonly op: 'add' | 'update' | 'delete';
      readonly direction: SaDirection;
      readonly spi: number;
      readonly suite: EspSuiteId;
      readonly peerHit: Hit;
      readonly src: Locator;
      readonly dst: Locator;
    }
  | { readonly type: 'locator'; readonly op: 'upsert' | 'remove'; readonly peerHit: Hit; readonly entry: PeerLocator }
  | { readonly type: 'event'; readonly event: HipEvent }
  | { readonly type: 'invalid'; readonly reason: string; readonly src: Locator; readonly port: number }
  | { readonly type: 'socket-error'; readonly address: string; readonly message: string };

/**
 * Options of `UdpDriver.open`: the identity, the local addresses to bind, the UDP ports (RFC 9028
 * §5.1), engine configuration and policy, and the observers.
 */
export type UdpDriverOptions = {
  /** The local host identity (its HIT is what peers connect to). */
  readonly identity: HostIdentity;
  /** Local addresses; one UDP socket is bound on each, in preference order. At least one. */
  readonly locators: readonly (string | Locator)[];
  /**
   * Local UDP port of every socket; 0 picks an ephemeral one (RFC 9028 §5.1: 10500 is the
   * HIP-over-UDP port).
   * @defaultValue 10500
   */
  readonly port?: number;
  /**
   * UDP port assumed for a peer address not heard from yet (RFC 9028 §5.1); afterwards the port
   * a peer's packets came from is used.
   * @defaultValue `port`, or 10500 if that is 0
   */
  readonly peerPort?: number;
  /**
   * The engine's protocol parameters (`EngineOptions.config`: retransmission timers RFC 7401
   * §4.4.1, preference lists, rate limits; each `HipConfig` field states its default and RFC
   * section).
   * @defaultValue `DEFAULT_CONFIG`
   */
  readonly config?: Partial<HipConfig>;
  /**
   * The engine's policy hooks (`EngineOptions.policy`: the choices RFC 7401, RFC 8046 and
   * RFC 8047 leave to local policy, such as the puzzle difficulty of RFC 7401 §4.1.1).
   * @defaultValue `DEFAULT_POLICY`
   */
  readonly policy?: Partial<EnginePolicy>;
  /**
   * The engine's cryptographic primitives (`EngineOptions.crypto`; suites by IANA id,
   * RFC 7401 §5.2.6, §5.2.8, §5.2.10, RFC 7402 §5.1.2).
   * @defaultValue `nobleCrypto()`
   */
  readonly crypto?: CryptoProvider;
  /**
   * Randomness for the engine and the data plane (SPIs, puzzles RFC 7401 §4.1.2, DH keys, ESP
   * IVs RFC 4303 §2.3).
   * @defaultValue the platform CSPRNG (`crypto.getRandomValues`)
   */
  readonly random?: RandomSource;
  /**
   * The ESP data plane that protects and unprotects packets (RFC 4303, BEET mode of
   * RFC 7402 §3.2).
   * @defaultValue a new `EspDataPlane` with `random`
   */
  readonly esp?: EspDataPlane;
  /**
   * Clock and timer for the engine's timeouts (RFC 7401 §4.4.1 retransmissions and the other
   * timers of `HipConfig`).
   * @defaultValue `nodeScheduler()` (setTimeout and performance.now())
   */
  readonly scheduler?: Scheduler;
  /**
   * Every engine event (established, closed, failed, dropped, ...), after the driver applied it.
   * @defaultValue none
   */
  readonly onEvent?: (event: HipEvent) => void;
  /**
   * Every ESP payload the data plane authenticated and decrypted.
   * @defaultValue none
   */
  readonly onData?: (delivery: UdpDelivery) => void;
  /**
   * What the driver did, one entry per action, in order: HIP packets sent and received
   * (`hip-send`, `hip-recv`, with the peer's UDP port and the framed length), ESP packets
   * (`esp-send`, `esp-recv`, `esp-drop` with the data plane's reason), the SA and peer-locator
   * outputs it applied (`sa`, `locator`; never keys), engine events (`event`), UDP payloads that
   * were neither HIP nor ESP (`invalid`) and socket errors (`socket-error`). For a driver's
   * own log; the engine's structured trace is `trace`.
   * @defaultValue none
   */
  readonly onLog?: (entry: UdpLogEntry) => void;
  /**
   * The engine trace (EngineOptions.trace, docs/engine-trace.schema.json).
   * @defaultValue none (no trace)
   */
  readonly trace?: EngineTraceSink;
  /**
   * Every UDP datagram sent (`out`) or received (`in`), with both ends' ports: for a capture.
   * @defaultValue none
   */
  readonly onWire?: (datagram: UdpWireDatagram) => void;
};

/** One UDP datagram as it left or reached a socket (the UDP payload, without IP/UDP headers). */
export type UdpWireDatagram = {
  readonly direction: 'in' | 'out';
  readonly src: Locator;
  readonly srcPort: number;
  readonly dst: Locator;
  readonly dstPort: number;
  readonly bytes: Uint8Array;
};

type Bound = { readonly locator: Locator; readonly socket: Socket; port: number };

/** A Scheduler on setTimeout and performance.now(), with one timer at most. */
export function nodeScheduler(): Scheduler & {
  /** Disarms the pending timer, if any (on shutdown). */
  cancel(): void;
} {
  let handle: ReturnType<typeof setTimeout> | undefined;
  const cancel = (): void => {
    if (handle !== undefined) clearTimeout(handle);
    handle = undefined;
  };
  return {
    now: () => performance.now(),
    wakeAt(at: Millis | undefined, cb: () => void): void {
      cancel();
      if (at === undefined) return;
      // setTimeout takes at most 2^31-1 ms; firing early is harmless (a spurious handleTimeout).
      const delay = Math.min(0x7fffffff, Math.max(0, Math.ceil(at - performance.now())));
      handle = setTimeout(() => {
        handle = undefined;
        cb();
      }, delay);
    },
    cancel,
  };
}

function toLocator(v: string | Locator, field: string): Locator {
  if (typeof v === 'string') {
    try {
      return parseLocator(v.replace(/%.*$/, ''));
    } catch {
      throw new TypeError(`"${field}" expected an IPv4 or IPv6 address, got ${JSON.stringify(v)}`);
    }
  }
  if (v instanceof Uint8Array && v.length === 16) return Uint8Array.from(v);
  throw new TypeError(`"${field}" expected an address string or a 16-byte locator`);
}

function checkPort(p: number, field: string, min: number): number {
  if (!Number.isInteger(p) || p < min || p > 65535) throw new RangeError(`"${field}" expected an integer in ${min}..65535, got ${String(p)}`);
  return p;
}

const KIND_BY_CODE = new Map<number, PacketKind>(Object.entries(PACKET_TYPE).map(([k, v]) => [v, k as PacketKind]));

function packetKindOf(hip: Uint8Array): PacketKind | undefined {
  return hip.length >= 3 ? KIND_BY_CODE.get(hip[2]! & 0x7f) : undefined;
}

/**
 * A HIP host on UDP: a HipEngine, an EspDataPlane and one dgram socket per local locator, glued
 * by the generic driver. Create it with `UdpDriver.open(options)`.
 */
export class UdpDriver {
  /** The engine this driver runs (for commands and queries such as `associationByHits`). */
  readonly engine: HipEngine;
  /**
   * The ESP data plane behind the sockets: its `sa` outputs go there, and ESP datagrams are
   * unprotected by it.
   */
  readonly esp: EspDataPlane;
  /**
   * The generic driver doing the engine bookkeeping; use it for commands (connect, rekey, close).
   */
  readonly driver: Driver;
  /** The local host identity. */
  readonly identity: HostIdentity;
  /** The scheduler the driver arms the engine's timer with. */
  readonly scheduler: Scheduler;
  readonly #bound: Bound[];
  readonly #peerPorts = new Map<string, number>();
  readonly #defaultPeerPort: number;
  readonly #opts: UdpDriverOptions;
  #closed = false;

  private constructor(opts: UdpDriverOptions, bound: Bound[], scheduler: Scheduler) {
    this.#opts = opts;
    this.#bound = bound;
    this.identity = opts.identity;
    this.scheduler = scheduler;
    const port = opts.port ?? HIP_UDP_PORT;
    this.#defaultPeerPort = opts.peerPort ?? (port === 0 ? HIP_UDP_PORT : port);
    this.esp = opts.esp ?? new EspDataPlane({ random: opts.random ?? defaultRandom });
    this.engine = new HipEngine(
      {
        identities: [opts.identity],
        locators: bound.map((b) => b.locator),
        ...(opts.random !== undefined ? { random: opts.random } : {}),
        ...(opts.crypto !== undefined ? { crypto: opts.crypto } : {}),
        // Our UDP port as the engine's (RFC 9028 §5.1): the port its associations over UDP run
        // from, unless the caller's config names another.
        config: { ...(bound.length > 0 && bound.every((b) => b.port === bound[0]!.port) ? { udpPort: bound[0]!.port } : {}), ...opts.config },
        ...(opts.policy !== undefined ? { policy: opts.policy } : {}),
        ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
      },
      scheduler.now(),
    );
    const log = (e: UdpLogEntry): void => opts.onLog?.(e);
    this.driver = createDriver(this.engine, {
      scheduler,
      socket: {
        send: (src, dst, bytes, packet, udp) => {
          const framed = encapsulateHip(bytes);
          // The engine's port for an association that runs over UDP (RFC 9028 §5.1), else the
          // port this address last used.
          const port = udp?.dstPort ?? this.peerPort(dst);
          log({ type: 'hip-send', kind: packet.kind, src, dst, port, length: framed.length });
          this.#transmit(src, dst, port, framed);
        },
      },
      esp: this.esp,
      onOutput: (out) => {
        if (out.kind !== 'sa') return;
        const sa = out.sa;
        log({ type: 'sa', op: out.op, direction: sa.direction, spi: sa.spi, suite: sa.suite, peerHit: sa.peerHit, src: sa.src, dst: sa.dst });
      },
      locators: {
        upsert: (peerHit, entry) => log({ type: 'locator', op: 'upsert', peerHit, entry }),
        remove: (peerHit, entry) => log({ type: 'locator', op: 'remove', peerHit, entry }),
      },
      onEvent: (event) => {
        log({ type: 'event', event });
        opts.onEvent?.(event);
      },
    });
    for (const b of bound) b.socket.on('message', (msg: Uint8Array, rinfo: RemoteInfo) => this.#receive(b, msg, rinfo));
  }

  /** Binds one socket per locator (rejects if any bind fails) and starts the driver. */
  static async open(opts: UdpDriverOptions): Promise<UdpDriver> {
    if (typeof opts !== 'object' || opts === null) throw new TypeError('"opts" expected object');
    if (!opts.identity || !(opts.identity.hit instanceof Uint8Array)) throw new TypeError('"opts.identity" expected a HostIdentity');
    if (!Array.isArray(opts.locators) || opts.locators.length === 0) throw new TypeError('"opts.locators" expected a non-empty array of addresses');
    const locators = opts.locators.map((l, i) => toLocator(l, `opts.locators[${i}]`));
    const port = checkPort(opts.port ?? HIP_UDP_PORT, 'opts.port', 0);
    if (opts.peerPort !== undefined) checkPort(opts.peerPort, 'opts.peerPort', 1);
    const bound: Bound[] = [];
    try {
      for (const locator of locators) bound.push(await bindOne(locator, port, opts.onLog));
    } catch (e) {
      await Promise.all(bound.map((b) => closeSocket(b.socket)));
      throw e;
    }
    return new UdpDriver(opts, bound, opts.scheduler ?? nodeScheduler());
  }

  /** The HIT of the driver's identity: what a peer passes as the HIT to connect to. */
  get hit(): Hit {
    return this.identity.hit;
  }

  /** The bound sockets: local address text and UDP port. */
  get endpoints(): readonly { readonly address: string; readonly port: number }[] {
    return this.#bound.map((b) => ({ address: formatLocator(b.locator), port: b.port }));
  }

  /** The UDP port used for a peer address: the one it last sent from, else `peerPort`. */
  peerPort(locator: Locator): number {
    return this.#peerPorts.get(locatorKey(locator)) ?? this.#defaultPeerPort;
  }

  /** Starts a base exchange with `hit` at `addresses` (each with an optional UDP port). */
  connect(hit: Hit, addresses: readonly UdpPeerAddress[], opts: { readonly register?: readonly number[] } = {}): AssocId {
    if (!Array.isArray(addresses) || addresses.length === 0) throw new TypeError('"addresses" expected a non-empty array');
    const locators = addresses.map((a, i) => {
      if (typeof a === 'object' && !(a instanceof Uint8Array)) {
        const loc = toLocator(a.address, `addresses[${i}].address`);
        if (a.port !== undefined) this.#peerPorts.set(locatorKey(loc), checkPort(a.port, `addresses[${i}].port`, 1));
        return loc;
      }
      return toLocator(a, `addresses[${i}]`);
    });
    // Every association of this driver runs over UDP (RFC 9028 §5.1, §5.11): zero HIP checksum,
    // UDP-encapsulated ESP, and the peer's port kept by the engine (a Control Relay Client needs
    // it to answer through its relay, RFC 9028 §4.5), as a Responder's already does.
    return this.driver.connect({ hit, locators, udpPort: this.peerPort(locators[0]!), ...(opts.register !== undefined ? { register: opts.register } : {}) });
  }

  /** The association with `peerHit`, if any. */
  association(peerHit: Hit): AssociationInfo | undefined {
    const id = this.engine.associationByHits(this.identity.hit, peerHit);
    return id === undefined ? undefined : this.engine.association(id);
  }

  /** Rekeys the association with `peerHit` (UPDATE with ESP_INFO, RFC 7402 §6.8). */
  rekey(peerHit: Hit, opts: { readonly newDh?: boolean } = {}): void {
    this.driver.rekey(this.#mustAssoc(peerHit), opts);
  }

  /** Closes the association with `peerHit` (CLOSE / CLOSE_ACK). */
  closeAssociation(peerHit: Hit): void {
    this.driver.close(this.#mustAssoc(peerHit));
  }

  /**
   * Sends an application payload to `peerHit` through ESP: protect with the data plane's
   * outbound SA, then UDP to the SA's peer locator. Returns the data plane's verdict.
   */
  send(peerHit: Hit, payload: Uint8Array, opts: ProtectOptions = {}): ProtectResult {
    if (this.#closed) throw new Error('the UDP driver is closed');
    const r = this.esp.protect(peerHit, payload, opts);
    if (r.ok) {
      const p = r.packet;
      const port = this.peerPort(p.dst);
      this.#opts.onLog?.({ type: 'esp-send', spi: p.spi, seq: p.seq, peerHit, src: p.src, dst: p.dst, port, length: p.bytes.length });
      this.#transmit(p.src, p.dst, port, p.bytes);
    } else {
      this.#opts.onLog?.({ type: 'esp-drop', reason: r.reason, direction: 'out', length: payload.length });
    }
    this.driver.pullFeedback(this.esp);
    return r;
  }

  /** Stops the timer and closes every socket. Associations are not closed: use closeAssociation first. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.driver.dispose();
    await Promise.all(this.#bound.map((b) => closeSocket(b.socket)));
  }

  #mustAssoc(peerHit: Hit): AssocId {
    const id = this.engine.associationByHits(this.identity.hit, peerHit);
    if (id === undefined) throw new RangeError(`no association with ${formatHit(peerHit)}`);
    return id;
  }

  #socketFor(src: Locator): Bound | undefined {
    const key = locatorKey(src);
    return this.#bound.find((b) => locatorKey(b.locator) === key) ?? this.#bound.find((b) => isIpv4Mapped(b.locator) === isIpv4Mapped(src));
  }

  #transmit(src: Locator, dst: Locator, port: number, bytes: Uint8Array): void {
    if (this.#closed) return;
    const b = this.#socketFor(src);
    if (b === undefined) {
      this.#opts.onLog?.({ type: 'socket-error', address: formatLocator(src), message: 'no socket bound for this source address' });
      return;
    }
    this.#opts.onWire?.({ direction: 'out', src, srcPort: b.port, dst, dstPort: port, bytes });
    b.socket.send(bytes, port, formatLocator(dst), (err) => {
      if (err) this.#opts.onLog?.({ type: 'socket-error', address: formatLocator(b.locator), message: err.message });
    });
  }

  #receive(b: Bound, msg: Uint8Array, rinfo: RemoteInfo): void {
    if (this.#closed) return;
    // A copy: the engine and the data plane get a plain Uint8Array that nothing else aliases.
    const bytes = Uint8Array.from(msg);
    let src: Locator;
    try {
      src = parseLocator(rinfo.address.replace(/%.*$/, ''));
    } catch {
      return;
    }
    const dst = b.locator;
    this.#opts.onWire?.({ direction: 'in', src, srcPort: rinfo.port, dst, dstPort: b.port, bytes });
    const d = demuxUdp(bytes);
    const log = this.#opts.onLog;
    switch (d.kind) {
      case 'HIP':
        this.#peerPorts.set(locatorKey(src), rinfo.port);
        log?.({ type: 'hip-recv', kind: packetKindOf(d.hip), src, dst, port: rinfo.port, length: bytes.length });
        this.driver.onDatagram(d.hip, src, dst, 'udp', { srcPort: rinfo.port, dstPort: b.port });
        return;
      case 'ESP': {
        const r = this.esp.unprotect(d.esp, src, dst, undefined, { srcPort: rinfo.port, dstPort: b.port });
        if (!r.ok) {
          log?.({ type: 'esp-drop', reason: r.reason, direction: 'in', ...(r.spi !== undefined ? { spi: r.spi } : {}), src, length: bytes.length });
          return;
        }
        this.#peerPorts.set(locatorKey(src), rinfo.port);
        log?.({ type: 'esp-recv', spi: r.spi, seq: r.seq, peerHit: r.peerHit, src, dst, port: rinfo.port, length: bytes.length });
        // Feedback first (esp-seen may move a Responder from R2-SENT to ESTABLISHED), then the data.
        this.driver.pullFeedback(this.esp);
        if (!this.#closed) this.#opts.onData?.({ peerHit: r.peerHit, localHit: r.localHit, payload: r.payload, nextHeader: r.nextHeader, spi: r.spi, seq: r.seq, src, dst, srcPort: rinfo.port });
        return;
      }
      case 'KEEPALIVE':
        return;
      case 'INVALID':
        log?.({ type: 'invalid', reason: d.reason, src, port: rinfo.port });
        return;
    }
  }
}

/** `UdpDriver.open(options)`. */
export function openUdpDriver(opts: UdpDriverOptions): Promise<UdpDriver> {
  return UdpDriver.open(opts);
}

function bindOne(locator: Locator, port: number, onLog: ((e: UdpLogEntry) => void) | undefined): Promise<Bound> {
  const v4 = isIpv4Mapped(locator);
  const address = formatLocator(locator);
  const socket = createSocket({ type: v4 ? 'udp4' : 'udp6', ...(v4 ? {} : { ipv6Only: true }) });
  return new Promise<Bound>((resolve, reject) => {
    const onError = (err: Error): void => {
      socket.close();
      reject(new Error(`cannot bind UDP ${v4 ? address : `[${address}]`}:${port}: ${err.message}`, { cause: err }));
    };
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      socket.on('error', (err) => onLog?.({ type: 'socket-error', address, message: err.message }));
      resolve({ locator, socket, port: socket.address().port });
    });
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // already closed
    }
  });
}
