// EngineImpl: the engine behind the public HipEngine facade (hip-engine.ts), with the internal
// surface (EngineCore) the protocol handlers use. Inputs are method calls with `now`; outputs are
// drained from one ordered queue with poll(); pollTimeout() says when to call handleTimeout().
//
// Driving contract:
//   1. Perform exactly one mutation: handle(), handleTimeout(), or a command.
//   2. Drain poll() until it returns undefined, applying each output in order.
//   3. Read pollTimeout() and call handleTimeout(now) at that time (or earlier input).
import type { HostIdentity } from '../crypto/host-id.js';
import { nobleCrypto, defaultRandom } from '../crypto/noble.js';
import type { CryptoProvider } from '../crypto/provider.js';
import { hitKey, isHit } from '../addr/hit.js';
import ipaddr from 'ipaddr.js';
import { asLocator, ipv4Bytes, locatorKey, locatorRange } from '../addr/locator.js';
import type { AssocId, Hit, LocalLocator, Locator, Millis, PeerLocator, RandomSource, UdpPorts } from '../types.js';
import { abytes, aint, equalBytes, readU32, toHex } from '../util/bytes.js';
import { HIP_UDP_PORT } from '../wire/udp.js';
import { assertNever } from '../util/assert.js';
import type { PacketKind } from '../wire/constants.js';
import { PACKET_TYPE } from '../wire/constants.js';
import { unknownCriticalParams } from '../wire/access.js';
import { decodePacket } from '../wire/packet.js';
import type { HipPacket } from '../wire/types.js';
import { Association } from './association.js';
import { completeResponder, expireFailed, onI1, onI2, onR1, onR2, pickLocalLocator, retransmitI1, retransmitI2, startBex } from './bex.js';
import { expireClosed, expireClosing, onClose, onCloseAck, retransmitClose, startClose, ualExpired } from './close.js';
import { resolveConfig, type HipConfig } from './config.js';
import type { DropInfo, EngineCore } from './context.js';
import { HipStateError, type DropReason } from './errors.js';
import { OutputQueue, type Input, type Output, type Role } from './io.js';
import { onNotify, sendNotify } from './notify.js';
import { addSaPair, expireLocators, onLocalLocatorsChanged, onPathFailed, onSilence, publicEntry, sourceLocators } from './mobility.js';
import { refreshLocators } from './locator-lifetime.js';
import { onLocalPathFailed } from './local-path.js';
import { DEFAULT_POLICY, type Announced, type EnginePolicy } from './policy.js';
import { R1Cache } from './r1.js';
import type { AssocState, StateName } from './states.js';
import { TimerQueue, type TimerKind } from './timers.js';
import { StateCensus } from './transitions.js';
import { OutboundSpiIndex } from './spi-index.js';
import { onEspSeen, onSeqExhausting, onUpdate, retransmitUpdate, startRekey, expireOldSas } from './update.js';
import { EngineTracer, type EngineTraceSink } from './trace.js';
import { SourceRateLimiter, TokenBucket } from './rate-limit.js';
import { I2Load } from './load.js';
import { maxLocalLocators } from './limits.js';
import { NOTIFY_TYPE, encodeUnsupportedCriticalData } from '../wire/notify.js';
import { relayToClient, verifyRelayed } from './rvs.js';
import { acceptRelayed, relayControlPacket, type RelayedFrom } from './relay.js';
import { REG_TYPES } from './reg-types.js';
import { RegistrarTable, changeOffer, registrationState, forgetRegistrations, onRegistrationTimer, registrationInfo, requestByUpdate, wantAtBex, type RegistrationInfo } from './registration.js';
import type { ReflexiveAddress } from './nat-candidates.js';
import { onCheckTimer } from './nat-checks.js';
import { afterLocatorsChanged, onAssocDiscarded, onSweepDue, type HandoverSweep } from './nat-handover.js';
import { onKeepaliveTimer } from './nat-keepalive.js';

/** What `new HipEngine(options, now)` takes: identities, locators, and optional injections. */
export type EngineOptions = {
  /** Local host identities; their HITs are derived (RFC 7401 §3). At least one. */
  readonly identities: readonly HostIdentity[];
  /**
   * Local locators in preference order (16-byte canonical form, see addr/locator.ts, or 4-byte
   * IPv4 addresses, which are kept IPv4-mapped), plain or with the attributes of `LocalLocator`
   * (interface, tunnel, preferred).
   */
  readonly locators: readonly (Locator | LocalLocator)[];
  /**
   * Randomness for SPIs, puzzle #I values (RFC 7401 §4.1.2), Diffie-Hellman keys and
   * signature nonces. Tests and simulations pass a seeded source for reproducible bytes.
   * @defaultValue the platform CSPRNG (`crypto.getRandomValues`)
   */
  readonly random?: RandomSource;
  /**
   * The cryptographic primitives: host identity signatures, Diffie-Hellman groups, HIP ciphers
   * and ESP transforms, looked up by their IANA ids (RFC 7401 §5.2.6, §5.2.8, §5.2.10;
   * RFC 7402 §5.1.2). A provider that offers fewer suites narrows what the engine negotiates.
   * @defaultValue `nobleCrypto()` (pure JavaScript on the noble libraries)
   */
  readonly crypto?: CryptoProvider;
  /**
   * Protocol parameters, any subset: retransmission timers (RFC 7401 §4.4.1), preference lists
   * (§5.2.6, §5.2.8, §5.2.10), R1 rate limits (§6.7), locator lifetimes and caps (RFC 8046 §4, §6)
   * and the other limits; each field of `HipConfig` states its own default and RFC section.
   * @defaultValue `DEFAULT_CONFIG`
   */
  readonly config?: Partial<HipConfig>;
  /**
   * Hooks for the choices the RFCs leave to local policy (RFC 7401 §4.1.1 puzzle difficulty,
   * RFC 8047 §5.1 locators to announce, ...), any subset; each hook of `EnginePolicy` states
   * its own default.
   * @defaultValue `DEFAULT_POLICY`
   */
  readonly policy?: Partial<EnginePolicy>;
  /**
   * Opt-in engine trace: packets in and out with their parameters, state transitions, SA and
   * locator outputs, drops with reasons, timers (records in docs/engine-trace.schema.json; never
   * key material). The RFCs ask for no trace; nothing is built without a sink.
   * @defaultValue none (no trace)
   */
  readonly trace?: EngineTraceSink;
};

/** A snapshot of one association (`HipEngine.association`, `HipEngine.associations`). */
export type AssociationInfo = {
  readonly id: AssocId;
  readonly state: StateName;
  readonly role: Role;
  readonly localHit: Hit;
  readonly peerHit: Hit;
  readonly localLocator: Locator;
  readonly peerLocator: Locator;
  /** Current SA pairs (each side's inbound SPI). */
  readonly sas: readonly { readonly localSpi: number; readonly peerSpi: number; readonly suite: number }[];
  /** The NAT traversal mode and pacing Ta (ms) the base exchange negotiated (RFC 9028 §4.3, §4.4), if any. */
  readonly natTraversal?: { readonly mode: 'udp-encapsulation' | 'ice-hip-udp'; readonly taMs: number };
};

/** Counters (`HipEngine.stats`): packets by kind, drops by reason, associations. */
export type EngineStats = {
  readonly received: Readonly<Partial<Record<PacketKind, number>>>;
  readonly sent: Readonly<Partial<Record<PacketKind, number>>>;
  readonly drops: Readonly<Partial<Record<DropReason, number>>>;
  readonly associations: number;
  readonly established: number;
  readonly notifiesSuppressed: number;
};

export class EngineImpl implements EngineCore {
  readonly config: HipConfig;
  readonly crypto: CryptoProvider;
  readonly random: RandomSource;
  readonly policy: EnginePolicy;
  readonly r1: R1Cache;
  readonly identities: readonly HostIdentity[];
  private locators: Locator[];
  private localInfo: LocalLocator[];
  private readonly privacy: readonly [ipaddr.IPv4 | ipaddr.IPv6, number][];
  private readonly queue = new OutputQueue();
  private readonly tracer: EngineTracer | undefined;
  private readonly assocs = new Map<AssocId, Association>();
  /** Associations by local HIT, then peer HIT (flat hex keys: no concatenated key per association). */
  private readonly byHits = new Map<string, Map<string, Association>>();
  /** Inbound SPIs (unique in this engine, see newSpi) to their association. */
  private readonly bySpi = new Map<number, Association>();
  /**
   * A direct-mapped cache in front of bySpi for the esp-seen feedback of every ESP packet
   * (docs/architecture.md, The driving contract): slot = the SPI's low bits, the SPI kept in a
   * flat array and compared before the association is read. Bounded (SPI_CACHE_SLOTS), so a
   * miss costs the map lookup, never more; every bind and unbind of an SPI keeps it exact.
   */
  private readonly spiCacheKeys = new Float64Array(SPI_CACHE_SLOTS).fill(-1);
  private readonly spiCacheAssocs: (Association | undefined)[] = new Array<Association | undefined>(SPI_CACHE_SLOTS).fill(undefined);
  private readonly byOutboundSpi = new OutboundSpiIndex();
  /** Every association's timer table, by earliest deadline (timers.ts). */
  private readonly timerQueue = new TimerQueue();
  /** Associations per state, kept by transitions.ts. */
  private readonly census = new StateCensus();
  private readonly identityIndex = new Map<string, HostIdentity>();
  private nextAssocId: AssocId = 1;
  private current: Millis;
  private readonly received: Partial<Record<PacketKind, number>> = {};
  private readonly sentCounts: Partial<Record<PacketKind, number>> = {};
  private readonly drops: Partial<Record<DropReason, number>> = {};
  private readonly notifyBucket: TokenBucket;
  private notifiesSuppressed = 0;
  readonly i2Load: I2Load;
  private readonly r1Bucket: TokenBucket;
  private readonly r1PerSource: SourceRateLimiter;
  /** Most local locators a LOCATOR_SET of ours can carry (limits.ts). */
  private readonly maxLocators: number;
  /** Registrations granted as a registrar (RFC 8003, registration.ts). */
  readonly registrar = new RegistrarTable();
  /** The relaying RVS while a relayed UPDATE is processed (EngineCore.relayedVia). */
  relayedVia: Locator | undefined = undefined;
  /** The ports of the UDP datagram being handled (EngineCore.inputUdp). */
  inputUdp: UdpPorts | undefined = undefined;
  /** The source address of the UDP datagram being handled (EngineCore.inputSrc). */
  inputSrc: Locator | undefined = undefined;
  /** The Control Relay Server and original sender of the relayed packet being handled (EngineCore.relayedFrom). */
  relayedFrom: RelayedFrom | undefined = undefined;
  /**
   * EngineCore.reflexiveCandidates: undefined, so candidates come from our Control Relay Servers'
   * REG_FROM (RFC 9028 §4.2, relay.ts); set only to replace that source.
   */
  reflexiveCandidates: (() => readonly ReflexiveAddress[]) | undefined = undefined;
  natSweep: HandoverSweep | undefined = undefined;
  allAssociations(): Iterator<Association> & Iterable<Association> {
    return this.assocs.values();
  }

  constructor(options: EngineOptions, now: Millis) {
    if (typeof options !== 'object' || options === null) throw new TypeError('"options" expected object');
    if (!Array.isArray(options.identities) || options.identities.length === 0) {
      throw new TypeError('"options.identities" expected a non-empty array of HostIdentity');
    }
    options.identities.forEach((id, i) => {
      if (!id || !isHit(id.hit)) throw new TypeError(`"options.identities[${i}]" expected a HostIdentity with an ORCHIDv2 hit`);
    });
    if (!Array.isArray(options.locators)) throw new TypeError('"options.locators" expected an array of 16-byte locators');
    assertTime(now, 'now');
    this.config = resolveConfig(options.config);
    this.crypto = options.crypto ?? nobleCrypto();
    this.random = options.random ?? defaultRandom;
    this.policy = { ...DEFAULT_POLICY, ...(options.policy ?? {}) };
    this.identities = [...options.identities];
    for (const id of this.identities) this.identityIndex.set(hitKey(id.hit), id);
    this.maxLocators = maxLocalLocators(this.identities, this.crypto, this.config);
    this.localInfo = normalizeLocals(options.locators, 'options.locators', this.maxLocators);
    this.locators = this.localInfo.map((l) => l.address);
    this.privacy = this.config.neverAnnounce.map((c) => ipaddr.parseCIDR(c));
    this.current = now;
    this.r1 = new R1Cache(now);
    this.notifyBucket = new TokenBucket(this.config.notifyPerSecond, this.config.notifyBurst, now);
    if (options.trace !== undefined && typeof options.trace !== 'function') throw new TypeError('"options.trace" expected a function');
    this.tracer = options.trace ? new EngineTracer(options.trace, () => this.current) : undefined;
    this.i2Load = new I2Load(now);
    this.r1Bucket = new TokenBucket(this.config.r1PerSecond, this.config.r1Burst, now);
    this.r1PerSource = new SourceRateLimiter(this.config.r1SourceSlots);
    this.registrar.offer = this.config.registrarTypes.length > 0 ? [...this.config.registrarTypes] : undefined;
  }

  /** Every output enters the queue here, so the trace sees them in protocol order. */
  private push(out: Output): void {
    this.tracer?.output(out);
    this.queue.push(out);
  }

  // ---- EngineCore (internal surface for handlers) --------------------------------------------

  get now(): Millis {
    return this.current;
  }
  get localLocators(): readonly Locator[] {
    return this.locators;
  }
  announced(peer: Locator): readonly Announced[] {
    // The privacy filter comes first and is not a policy choice: filtered ranges are never
    // announced (RFC 8047 §6, RFC 8046 §6.4).
    const allowed = this.localInfo.filter((l) => !this.privacy.some(([net, bits]) => inRange(l.address, net, bits)));
    // RFC 8047 §5.1 (MUST NOT announce broadcast, multicast or, toward a peer not on the link,
    // link-local addresses) holds whatever the hook returns: it chooses among legal addresses only.
    const peerLinkLocal = locatorRange(peer) === 'linkLocal';
    const legal = (l: Locator): boolean => {
      const r = locatorRange(l);
      return r !== 'multicast' && r !== 'broadcast' && r !== 'unspecified' && (r !== 'linkLocal' || peerLinkLocal);
    };
    const seen = new Set<string>();
    return this.policy.announce({ locators: allowed, peer }).filter((a) => {
      const mine = allowed.some((l) => equalBytes(l.address, a.locator));
      const key = locatorKey(a.locator);
      if (!mine || !legal(a.locator) || seen.has(key)) return false;
      seen.add(key);
      return true;
    });
  }
  /** Whether our locator `l` is kept from the peer by the privacy filter (RFC 8046 §6.4). */
  isPrivate(l: Locator): boolean {
    return this.privacy.some(([net, bits]) => inRange(l, net, bits));
  }
  takeUpdateToken(assoc: Association): boolean {
    assoc.updateBucket ??= new TokenBucket(this.config.updatePerSecond, this.config.updateBurst, this.current);
    return assoc.updateBucket.take(this.current);
  }
  emit(out: Output): void {
    this.push(out);
  }
  drop(reason: DropReason, info: DropInfo): void {
    this.drops[reason] = (this.drops[reason] ?? 0) + 1;
    this.push({
      kind: 'event',
      event: {
        type: 'dropped',
        reason,
        ...(info.packetKind ? { packetKind: info.packetKind } : {}),
        ...(info.src ? { src: info.src } : {}),
        ...(info.assoc ? { assoc: info.assoc.id } : {}),
        ...(info.detail ? { detail: info.detail } : {}),
      },
    });
  }
  identityByHit(hit: Hit): HostIdentity | undefined {
    return this.identityIndex.get(hitKey(hit));
  }
  findAssoc(localHit: Hit, peerHit: Hit): Association | undefined {
    return this.byHits.get(hitKey(localHit))?.get(hitKey(peerHit));
  }
  private index(assoc: Association): void {
    const local = hitKey(assoc.localHit);
    let peers = this.byHits.get(local);
    if (!peers) this.byHits.set(local, (peers = new Map()));
    peers.set(hitKey(assoc.peerHit), assoc);
  }
  private unindex(assoc: Association): void {
    this.byHits.get(hitKey(assoc.localHit))?.delete(hitKey(assoc.peerHit));
  }
  createAssoc(init: { local: HostIdentity; peerHit: Hit; role: Role; state: AssocState; localLocator: Locator; peerLocator: Locator }): Association {
    const assoc = new Association({
      id: this.nextAssocId++,
      ...init,
      peerHit: Uint8Array.from(init.peerHit),
      now: this.current,
      timerQueue: this.timerQueue,
      census: this.census,
    });
    // Created while a UDP datagram is handled (an I2 over UDP, RFC 9028 §5.1): the association
    // runs over UDP, between the ports that datagram used.
    if (this.inputUdp) assoc.udp = { localPort: this.inputUdp.dstPort, peerPort: this.inputUdp.srcPort };
    this.census.admit(assoc);
    this.assocs.set(assoc.id, assoc);
    this.index(assoc);
    if (this.tracer) {
      const tracer = this.tracer;
      tracer.state(assoc.id, 'UNASSOCIATED', init.state.name);
      assoc.onStateChange = (from, trigger, to) => tracer.state(assoc.id, from, to, trigger);
    }
    return assoc;
  }
  moveAssoc(assoc: Association, local: HostIdentity): boolean {
    if (this.findAssoc(local.hit, assoc.peerHit)) return false;
    this.unindex(assoc);
    assoc.local = local;
    this.index(assoc);
    return true;
  }
  discardAssoc(assoc: Association): void {
    // Idempotent: a second discard must not retire the association from the counts again.
    if (this.assocs.get(assoc.id) !== assoc) return;
    this.tracer?.state(assoc.id, assoc.state.name, 'UNASSOCIATED');
    // Only this association's own SPIs are unbound: the SAs it installed (never a walk of the
    // SPI maps).
    for (const spec of assoc.installed) {
      this.push({ kind: 'sa', op: 'delete', sa: spec });
      if (spec.direction === 'in') {
        if (this.bySpi.get(spec.spi) === assoc) this.unbindSpi(spec.spi);
      } else this.byOutboundSpi.delete(spec.spi, assoc);
    }
    assoc.installed = [];
    forgetRegistrations(this, assoc);
    assoc.timers.clearAll();
    // RFC 9028 §4.9: a handover announcement this association carried goes on without it.
    onAssocDiscarded(this, assoc);
    this.census.retire(assoc);
    this.assocs.delete(assoc.id);
    this.unindex(assoc);
  }
  newSpi(): number {
    // RFC 4303 §2.1: SPIs 1-255 are reserved by IANA and 0 means "no SA".
    for (;;) {
      const spi = readU32(this.random(4), 0);
      if (spi > 255 && !this.bySpi.has(spi)) return spi;
    }
  }
  /** Records which association owns an inbound SPI (for esp-seen feedback). */
  bindSpi(spi: number, assoc: Association): void {
    this.bySpi.set(spi, assoc);
    this.uncacheSpi(spi);
  }
  unbindSpi(spi: number): void {
    this.bySpi.delete(spi);
    this.uncacheSpi(spi);
  }
  private uncacheSpi(spi: number): void {
    const slot = (spi >>> 0) & (SPI_CACHE_SLOTS - 1);
    if (this.spiCacheKeys[slot] === spi >>> 0) {
      this.spiCacheKeys[slot] = -1;
      this.spiCacheAssocs[slot] = undefined;
    }
  }
  /** bySpi through its cache (the esp-seen path). */
  private assocOfSpi(spi: number): Association | undefined {
    const slot = spi & (SPI_CACHE_SLOTS - 1);
    if (this.spiCacheKeys[slot] === spi) return this.spiCacheAssocs[slot];
    const assoc = this.bySpi.get(spi);
    if (assoc !== undefined) {
      this.spiCacheKeys[slot] = spi;
      this.spiCacheAssocs[slot] = assoc;
    }
    return assoc;
  }
  bindOutboundSpi(spi: number, assoc: Association): void {
    this.byOutboundSpi.add(spi, assoc);
  }
  unbindOutboundSpi(spi: number, assoc: Association): void {
    if (!assoc.installed.some((s) => s.direction === 'out' && s.spi === spi)) this.byOutboundSpi.delete(spi, assoc);
  }
  halfOpenCount(): number {
    return this.census.halfOpen();
  }
  countSent(kind: PacketKind): void {
    this.sentCounts[kind] = (this.sentCounts[kind] ?? 0) + 1;
  }
  takeR1Token(src: Locator): boolean {
    const c = this.config;
    const b = this.policy.r1SourceBudget({ src, configured: { perSecond: c.r1PerSourcePerSecond, burst: c.r1PerSourceBurst } });
    // The MUST of RFC 7401 §6.7 holds whatever the hook says: a finite budget per source, at
    // most the engine-wide one (a NaN or negative answer is no budget).
    const finite = (x: number, max: number): number => (typeof x === 'number' && x >= 0 ? Math.min(x, max) : 0);
    const perSecond = finite(b.perSecond, c.r1PerSecond);
    const burst = finite(b.burst, c.r1Burst);
    if (!this.r1PerSource.take(src, this.current, perSecond, burst)) return false;
    return this.r1Bucket.take(this.current);
  }
  /** Rate limiter shared by every NOTIFY this engine sends (RFC 7401 §5.3.6). */
  takeNotifyToken(): boolean {
    if (this.notifyBucket.take(this.current)) return true;
    this.notifiesSuppressed++;
    return false;
  }

  // ---- inputs ---------------------------------------------------------------------------------

  /** Handles one remote input. Bad input is dropped and reported; it never throws. */
  handle(input: Input, now: Millis): void {
    input = checkInput(input);
    this.advance(now);
    switch (input.kind) {
      case 'datagram': {
        const res = decodePacket(input.bytes, { src: input.src, dst: input.dst, verifyChecksum: input.transport !== 'udp' });
        if (!res.ok) {
          const reason: DropReason = res.error.code === 'BAD_CHECKSUM' ? 'checksum' : 'decode';
          const kind = packetKindOfBytes(input.bytes);
          return this.drop(reason, { src: input.src, detail: `${res.error.code} at ${res.error.path}`, ...(kind ? { packetKind: kind } : {}) });
        }
        if (input.transport !== 'udp') return this.handlePacket(res.packet, input.src, input.dst);
        // RFC 9028 §5.1: absent ports are the HIP port.
        this.inputUdp = { srcPort: input.srcPort ?? HIP_UDP_PORT, dstPort: input.dstPort ?? HIP_UDP_PORT };
        this.inputSrc = input.src;
        try {
          return this.handlePacket(res.packet, input.src, input.dst);
        } finally {
          this.inputUdp = undefined;
          this.inputSrc = undefined;
        }
      }
      case 'packet':
        return this.handlePacket(input.packet, input.src, input.dst);
      case 'esp-seen': {
        const assoc = this.assocOfSpi(input.spi >>> 0);
        if (!assoc) return this.drop('unknown-spi', { src: input.src });
        return onEspSeen(this, assoc, input.spi >>> 0, input.src, input.dst, input.udp);
      }
      case 'esp-seq-exhausting': {
        const assoc = this.bySpi.get(input.spi >>> 0) ?? this.byOutboundSpi.get(input.spi >>> 0);
        if (!assoc) return this.drop('unknown-spi', {});
        return onSeqExhausting(this, assoc, input.spi >>> 0);
      }
      case 'path-error': {
        const assoc = this.bySpi.get(input.spi >>> 0) ?? this.byOutboundSpi.get(input.spi >>> 0);
        if (!assoc) return this.drop('unknown-spi', { src: input.src, detail: 'path-error for an SPI of no association' });
        return onLocalPathFailed(this, assoc, input.src, input.dst);
      }
      default:
        return assertNever(input, 'input kind');
    }
  }

  private handlePacket(pkt: HipPacket, src: Locator, dst: Locator): void {
    this.tracer?.packetIn(pkt, src, dst);
    this.received[pkt.kind] = (this.received[pkt.kind] ?? 0) + 1;
    // RFC 9028 §4.5, §4.8: as a Control Relay Server, a packet for or from a registered client is
    // relayed; as a client, one relayed by our server is handled as sent by RELAY_FROM (relay.ts).
    if (this.inputUdp && !this.identityByHit(pkt.receiverHit) && relayControlPacket(this, pkt, src, dst)) return;
    const relayed = acceptRelayed(this, pkt, src);
    if (relayed === undefined) return;
    if (relayed === 'direct') return this.dispatchPacket(pkt, src, dst);
    const inputUdp = this.inputUdp;
    const inputSrc = this.inputSrc;
    this.relayedFrom = relayed;
    this.inputUdp = { srcPort: relayed.peer.port, dstPort: inputUdp!.dstPort };
    this.inputSrc = relayed.peer.address;
    try {
      this.dispatchPacket(pkt, relayed.peer.address, dst);
    } finally {
      this.relayedFrom = undefined;
      this.inputUdp = inputUdp;
      this.inputSrc = inputSrc;
    }
  }

  private dispatchPacket(pkt: HipPacket, src: Locator, dst: Locator): void {
    // RFC 7401 §5.2.1: a packet with an unknown critical parameter is rejected; a NOTIFY
    // UNSUPPORTED_CRITICAL_PARAMETER_TYPE goes back where it is safe (not for I1 or R1, §6.7.2, §6.8.1).
    const critical = unknownCriticalParams(pkt);
    if (critical.length > 0) {
      const local = this.identityByHit(pkt.receiverHit);
      const assoc = local ? this.findAssoc(local.hit, pkt.senderHit) : undefined;
      this.drop('unsupported-critical', { packetKind: pkt.kind, src, ...(assoc ? { assoc } : {}), detail: `type ${critical[0]!.type}` });
      if (local && pkt.kind !== 'I1' && pkt.kind !== 'R1' && pkt.kind !== 'NOTIFY') {
        sendNotify(this, local, pkt.senderHit, NOTIFY_TYPE.UNSUPPORTED_CRITICAL_PARAMETER_TYPE, encodeUnsupportedCriticalData(critical[0]!.type), dst, src, assoc);
      }
      return;
    }
    switch (pkt.kind) {
      case 'I1':
        return onI1(this, pkt, src, dst);
      case 'I2':
        return onI2(this, pkt, src, dst);
      case 'R1':
      case 'R2':
      case 'UPDATE':
      case 'NOTIFY':
      case 'CLOSE':
      case 'CLOSE_ACK': {
        const local = this.identityByHit(pkt.receiverHit);
        // RFC 8046 §3.2.3 step 2: as a rendezvous server, an UPDATE for a client is relayed.
        if (!local && pkt.kind === 'UPDATE' && relayToClient(this, pkt, src)) return;
        if (!local) return this.drop('unknown-hit', { packetKind: pkt.kind, src });
        const assoc = this.findAssoc(local.hit, pkt.senderHit);
        if (!assoc) {
          // NOTIFY may come from a host without state for us; it is reported, never acted on.
          if (pkt.kind === 'NOTIFY') return onNotify(this, undefined, pkt, src);
          return this.drop('bad-state', { packetKind: pkt.kind, src });
        }
        if (pkt.kind === 'R1') return onR1(this, assoc, pkt, src);
        if (pkt.kind === 'R2') return onR2(this, assoc, pkt, src);
        if (pkt.kind === 'UPDATE') return this.updateMaybeRelayed(assoc, pkt, src, dst);
        if (pkt.kind === 'NOTIFY') return onNotify(this, assoc, pkt, src);
        if (pkt.kind === 'CLOSE') return onClose(this, assoc, pkt, src);
        return onCloseAck(this, assoc, pkt, src);
      }
      default:
        return assertNever(pkt.kind, 'packet kind');
    }
  }

  /**
   * An UPDATE, possibly relayed by one of our rendezvous servers (RFC 8046 §3.2.3 step 3): a
   * FROM counts only with a valid RVS_HMAC; the UPDATE is then processed as sent from the FROM
   * address, and the reply with the ACK carries VIA_RVS.
   */
  private updateMaybeRelayed(assoc: Association, pkt: HipPacket, src: Locator, dst: Locator): void {
    const relayed = verifyRelayed(this, pkt, src);
    if (relayed === undefined) return;
    if (relayed === 'not-relayed') return onUpdate(this, assoc, pkt, src, dst);
    this.relayedVia = relayed.rvs;
    try {
      onUpdate(this, assoc, pkt, Uint8Array.from(relayed.from), dst);
    } finally {
      this.relayedVia = undefined;
    }
  }

  /**
   * Fires every timer due at `now`, association by association in creation order, each
   * association's in TIMER_ORDER; a spurious call is a no-op. O(k log n) for k due associations:
   * only the due ones are visited (timers.ts). A handler arms only its own association's timers,
   * so the due set taken at the start is the set to visit; a timer a handler arms at `now` or
   * earlier fires on the next call, as pollTimeout() then reports.
   */
  handleTimeout(now: Millis): void {
    this.advance(now);
    for (const t of this.timerQueue.due(now)) {
      // A table's order is its association's id (creation order).
      const assoc = this.assocs.get(t.order);
      if (!assoc) continue;
      for (const kind of assoc.timers.takeExpired(now)) {
        if (!this.assocs.has(assoc.id)) break;
        this.fire(assoc, kind);
      }
    }
    // RFC 9028 §4.9: the next step of an announcement to every ICE-HIP-UDP peer (a bounded batch).
    if (this.natSweep !== undefined && this.natSweep.at <= now) onSweepDue(this);
  }

  private fire(assoc: Association, kind: TimerKind): void {
    this.tracer?.timer(assoc.id, kind);
    switch (kind) {
      case 'I1_RETRANSMIT':
        return retransmitI1(this, assoc);
      case 'I2_RETRANSMIT':
        return retransmitI2(this, assoc);
      case 'R2_SENT_EXPIRE':
        return completeResponder(this, assoc, 'exchange-complete-timeout');
      case 'UPDATE_RETRANSMIT':
        return retransmitUpdate(this, assoc);
      case 'OLD_SA_EXPIRE':
        return expireOldSas(this, assoc);
      case 'LOCATOR_EXPIRE':
        return expireLocators(this, assoc);
      case 'LOCATOR_REFRESH':
        return refreshLocators(this, assoc);
      case 'PATH_SILENCE':
        return onSilence(this, assoc);
      case 'NAT_KEEPALIVE':
        return onKeepaliveTimer(this, assoc);
      case 'NAT_CHECK':
        return onCheckTimer(this, assoc);
      case 'CLOSE_RETRANSMIT':
        return retransmitClose(this, assoc);
      case 'UAL':
        return ualExpired(this, assoc);
      case 'CLOSING_EXPIRE':
        return expireClosing(this, assoc);
      case 'CLOSED_LINGER':
        return expireClosed(this, assoc);
      case 'E_FAILED_LINGER':
        return expireFailed(this, assoc);
      case 'REGISTRATION':
        return onRegistrationTimer(this, assoc);
      default:
        return assertNever(kind, 'timer kind');
    }
  }

  // ---- commands -------------------------------------------------------------------------------

  /**
   * Starts a base exchange with `peer` (RFC 7401 §6.6) and returns the association's id. Idempotent:
   * an association that already exists (in progress or established) is returned as it is.
   */
  connect(peer: ConnectPeer, now: Millis): AssocId {
    assertTime(now, 'now');
    if (typeof peer !== 'object' || peer === null) throw new TypeError('"peer" expected an object { hit, locators }');
    abytes(peer.hit, 'peer.hit', 16);
    if (!isHit(peer.hit)) throw new RangeError('"peer.hit" expected an ORCHIDv2 HIT (2001:20::/28)');
    if (!Array.isArray(peer.locators) || peer.locators.length === 0) throw new TypeError('"peer.locators" expected a non-empty array');
    // 4-byte IPv4 addresses, as a socket or DNS gives them, are taken in the 16-byte form.
    const dsts = peer.locators.map((l, i) => asLocator(l, `peer.locators[${i}]`));
    const register = checkRegTypes(peer.register ?? [], 'peer.register');
    if (peer.udpPort !== undefined) aint(peer.udpPort, 'peer.udpPort', 1, 0xffff);
    const udp = peer.udpPort === undefined ? undefined : { localPort: this.config.udpPort, peerPort: peer.udpPort };
    let local = this.identities[0]!;
    if (peer.localHit !== undefined) {
      abytes(peer.localHit, 'peer.localHit', 16);
      const id = this.identityByHit(peer.localHit);
      if (!id) throw new HipStateError('ERR_UNKNOWN_IDENTITY', `no local identity with HIT ${toHex(peer.localHit)}`);
      local = id;
    }
    const existing = this.findAssoc(local.hit, peer.hit);
    if (existing && existing.state.name !== 'CLOSING' && existing.state.name !== 'CLOSED' && existing.state.name !== 'E_FAILED') {
      this.advance(now);
      return existing.id;
    }
    if (this.halfOpenCount() >= this.config.maxHalfOpen) {
      throw new HipStateError('ERR_HALF_OPEN_LIMIT', `${this.halfOpenCount()} associations are already being set up`);
    }
    for (const dst of dsts) {
      const src = pickLocalLocator(this, dst);
      if (src) {
        this.advance(now);
        const assoc = startBex(this, local, peer.hit, src, Uint8Array.from(dst), existing, udp);
        wantAtBex(assoc, register);
        return assoc.id;
      }
    }
    throw new HipStateError('ERR_NO_LOCATOR', 'no local locator of the same address family as any peer locator');
  }

  /** Rekeys an established association with UPDATE (RFC 7402 §6.8); `newDh` draws a fresh KEYMAT. */
  rekey(id: AssocId, now: Millis, opts: { readonly newDh?: boolean } = {}): void {
    assertTime(now, 'now');
    checkOptions(opts, 'opts', ['newDh']);
    const assoc = this.mustGet(id);
    if (assoc.state.name !== 'ESTABLISHED') throw new HipStateError('ERR_NOT_ESTABLISHED', `association ${id} is ${assoc.state.name}`);
    this.advance(now);
    startRekey(this, assoc, opts.newDh === true);
  }

  /**
   * Registers with the peer, a registrar, for `regTypes` by UPDATE(REG_REQUEST) (RFC 8003 §3.2);
   * the registration is refreshed before its lifetime ends. Throws ERR_NOT_OFFERED unless the
   * peer's latest REG_INFO lists every type (§4.3 MUST NOT).
   */
  register(id: AssocId, regTypes: readonly number[], now: Millis): void {
    this.requestRegistration(id, regTypes, now, false);
  }

  /** Cancels registrations with the peer: UPDATE(REG_REQUEST) with lifetime 0 (RFC 8003 §5). */
  unregister(id: AssocId, regTypes: readonly number[], now: Millis): void {
    this.requestRegistration(id, regTypes, now, true);
  }

  /** `register` and `unregister`: every check first, then the UPDATE (RFC 8003 §3.2, §5). */
  private requestRegistration(id: AssocId, regTypes: readonly number[], now: Millis, cancel: boolean): void {
    assertTime(now, 'now');
    const types = checkRegTypes(regTypes, 'regTypes');
    if (types.length === 0) throw new TypeError('"regTypes" expected at least one registration type');
    const assoc = this.mustGet(id);
    if (assoc.state.name !== 'ESTABLISHED') throw new HipStateError('ERR_NOT_ESTABLISHED', `association ${id} is ${assoc.state.name}`);
    const offered = assoc.registrations?.offered?.types ?? [];
    if (!cancel && !types.every((t) => offered.includes(t))) {
      throw new HipStateError('ERR_NOT_OFFERED', `the peer's REG_INFO offers [${offered.join(', ')}], not all of [${types.join(', ')}]`);
    }
    this.advance(now);
    requestByUpdate(this, assoc, types, cancel);
  }

  /**
   * The peer's rendezvous servers (RFC 8046 §3.2.3): an UPDATE that is not acknowledged is also
   * sent there (the `updateViaRvs` policy). Learned from an R1's VIA_RVS; set here otherwise (for
   * instance from the peer's DNS record, RFC 8004 §3). An empty list forgets them.
   */
  setPeerRvs(id: AssocId, rvs: readonly Locator[], now: Millis): void {
    assertTime(now, 'now');
    const assoc = this.mustGet(id);
    if (!Array.isArray(rvs)) throw new TypeError('"rvs" expected an array of locators');
    // 4-byte IPv4 addresses are taken in the 16-byte form, as in every command.
    const servers = rvs.map((l, i) => Uint8Array.from(asLocator(l, `rvs[${i}]`)));
    this.advance(now);
    if (servers.length > 0 || assoc.registrations) registrationState(assoc).peerRvs = servers.length > 0 ? servers : undefined;
  }

  /**
   * Changes the registration types this host offers as a registrar (RFC 8003 §3.1, §4.2): R1s
   * carry the new REG_INFO, and every established association is sent an UPDATE(REG_INFO, SEQ)
   * with it. An empty list announces an empty REG_INFO (no service for now, §3.1). Each type
   * must be a row of the registration type table, as in `config.registrarTypes`.
   *
   * Cost: O(n) in the number of associations, like `setLocalLocators`: the RFC asks for the
   * UPDATE to "all hosts it is associated with" (§3.1); the work per association is O(1).
   */
  setRegistrarTypes(regTypes: readonly number[], now: Millis): void {
    assertTime(now, 'now');
    const types = checkRegTypes(regTypes, 'regTypes');
    types.forEach((t, i) => {
      if (!REG_TYPES.has(t)) throw new RangeError(`"regTypes[${i}]" is registration type ${t}, which is not in the registration type table`);
    });
    this.advance(now);
    changeOffer(this, types, [...this.assocs.values()]);
  }

  /** The registrations of an association, either side (RFC 8003). */
  registrations(id: AssocId): RegistrationInfo {
    return registrationInfo(this.mustGet(id));
  }

  /** Closes an association with CLOSE/CLOSE_ACK (RFC 7401 §5.3.8); a half-open one is abandoned. */
  close(id: AssocId, now: Millis): void {
    assertTime(now, 'now');
    const assoc = this.mustGet(id);
    this.advance(now);
    startClose(this, assoc);
  }

  /**
   * Replaces our locator list (an interface came, went, or was renumbered). Every established
   * association moves off locators we lost and announces the new set in UPDATE(ESP_INFO,
   * LOCATOR_SET, SEQ) (RFC 8046 §5.2, RFC 8047 §5.1); `rekey` also rekeys it (RFC 8046 §3.2.2).
   * An ICE-HIP-UDP association gets the RFC 9028 §4.9 handover instead (nat-handover.ts).
   * `announce: false` only moves traffic off lost locators: for a caller that will announce a
   * new locator together with a new SA pair (`addSaPair`, RFC 8047 Figure 2).
   *
   * Cost: O(n) in the number of associations, because it changes every established association
   * (each must move and announce); the work per association is O(1) in n. With
   * `setRegistrarTypes` (RFC 8003 §3.1) it is one of the two such commands: every other input,
   * timer and command touches only the associations it names.
   */
  setLocalLocators(locators: readonly (Locator | LocalLocator)[], now: Millis, opts: { readonly rekey?: boolean; readonly announce?: boolean } = {}): void {
    this.applyLocators(normalizeLocals(locators, 'locators', this.maxLocators), now, opts);
  }

  private applyLocators(next: LocalLocator[], now: Millis, opts: { readonly rekey?: boolean; readonly announce?: boolean }): void {
    assertTime(now, 'now');
    checkOptions(opts, 'opts', ['rekey', 'announce']);
    // Everything is checked: from here on nothing throws (the UPDATEs fit, limits.ts).
    this.advance(now);
    const previous = this.localInfo;
    this.localInfo = next;
    this.locators = this.localInfo.map((l) => l.address);
    for (const assoc of [...this.assocs.values()]) {
      if (assoc.state.name === 'ESTABLISHED') {
        onLocalLocatorsChanged(this, assoc, { rekey: opts.rekey === true, announce: opts.announce !== false, previous, current: this.localInfo });
      }
    }
    // RFC 9028 §4.9: the ICE-HIP-UDP peers hear of it once our relay servers answered.
    if (opts.announce !== false) afterLocatorsChanged(this);
  }

  /** Adds one locator (an interface came up); the same as setLocalLocators with it added. */
  addLocalLocator(locator: Locator | LocalLocator, now: Millis, opts: { readonly announce?: boolean } = {}): void {
    const [added] = normalizeLocals([locator], 'locator', 1);
    if (this.localInfo.length + 1 > this.maxLocators) {
      throw new RangeError(`"locator" cannot be added: ${this.localInfo.length} locators already, and an UPDATE's LOCATOR_SET carries at most ${this.maxLocators}`);
    }
    this.applyLocators([...this.localInfo, added!], now, opts);
  }

  /**
   * Removes our locators of one interface (by its `interface` name) or one address (an interface
   * went down); the same as setLocalLocators without them.
   */
  removeLocalLocator(which: Locator | { readonly interface: string }, now: Millis): void {
    let address: Locator | undefined;
    if (which instanceof Uint8Array) address = asLocator(which, 'which');
    else if (typeof which !== 'object' || which === null || typeof which.interface !== 'string') {
      throw new TypeError('"which" expected a locator (16 bytes, or 4 for IPv4) or { interface: string }');
    }
    const keep = this.localInfo.filter((l) => (address !== undefined ? !equalBytes(l.address, address) : l.interface !== (which as { readonly interface: string }).interface));
    this.applyLocators(keep, now, {});
  }

  /** Our locators with their attributes, as last set. */
  localLocatorList(): readonly LocalLocator[] {
    return this.localInfo;
  }

  /**
   * Asks for an extra SA pair bound to our locator `local` and the peer's `peer` (default: the
   * current peer locator), for load balancing (RFC 8047 §4.2.4, ESP_INFO with OLD SPI 0).
   */
  addSaPair(id: AssocId, paths: { readonly local: Locator; readonly peer?: Locator }, now: Millis): void {
    assertTime(now, 'now');
    const assoc = this.mustGet(id);
    if (assoc.state.name !== 'ESTABLISHED') throw new HipStateError('ERR_NOT_ESTABLISHED', `association ${id} is ${assoc.state.name}`);
    if (typeof paths !== 'object' || paths === null) throw new TypeError('"paths" expected an object { local, peer? }');
    const wanted = asLocator(paths.local, 'paths.local');
    const local = this.locators.find((l) => equalBytes(l, wanted));
    if (!local) throw new HipStateError('ERR_NO_LOCATOR', '"paths.local" is not one of our locators');
    const peer = paths.peer !== undefined ? asLocator(paths.peer, 'paths.peer') : undefined;
    // The pair's ESP would leave from `local`: not from one we announce for signalling only
    // (RFC 8046 §4.1 Traffic Type 1).
    const target = peer ?? assoc.peerLocator;
    // Nor from one the privacy filter keeps from peers: its source address would expose it
    // (RFC 8046 §6.4).
    if (this.isPrivate(local)) {
      throw new HipStateError('ERR_NO_LOCATOR', '"paths.local" is in config.neverAnnounce (RFC 8046 §6.4) and is never the source of traffic to a peer');
    }
    if (!sourceLocators(this, 'data', target).some((l) => equalBytes(l, local))) {
      throw new HipStateError('ERR_NO_LOCATOR', '"paths.local" is announced for signalling only (RFC 8046 §4.1 Traffic Type 1) and cannot carry ESP');
    }
    if (assoc.state.update.rekey) throw new HipStateError('ERR_BUSY', 'an SA negotiation is already under way');
    this.advance(now);
    addSaPair(this, assoc, local, peer ? Uint8Array.from(peer) : assoc.peerLocator);
  }

  /**
   * The caller's signal that the path to the peer locator `peer` stopped working (RFC 8047
   * §4.2.3): traffic moves to another ACTIVE locator and the address is checked again.
   */
  pathFailed(id: AssocId, peer: Locator, now: Millis): void {
    assertTime(now, 'now');
    const assoc = this.mustGet(id);
    const address = asLocator(peer, 'peer');
    this.advance(now);
    if (assoc.state.name === 'ESTABLISHED') onPathFailed(this, assoc, address);
  }

  /** The peer locator table of an association (RFC 8046 §5.1). */
  peerLocators(id: AssocId): readonly PeerLocator[] {
    const a = this.mustGet(id);
    return a.peerLocators.values().map(publicEntry);
  }

  // ---- outputs --------------------------------------------------------------------------------

  /** The next output, in the order the protocol produced them; undefined when drained. */
  poll(): Output | undefined {
    return this.queue.shift();
  }

  /** The earliest timer deadline, or undefined when none is armed. Pure. */
  pollTimeout(): Millis | undefined {
    const next = this.timerQueue.next();
    // RFC 9028 §4.9: the engine-wide announcement of our candidates has a deadline of its own.
    const sweep = this.natSweep?.at;
    return sweep === undefined ? next : next === undefined ? sweep : Math.min(next, sweep);
  }

  // ---- inspection -----------------------------------------------------------------------------

  association(id: AssocId): AssociationInfo | undefined {
    const a = this.assocs.get(id);
    return a ? info(a) : undefined;
  }

  associations(): readonly AssociationInfo[] {
    return [...this.assocs.values()].map(info);
  }

  /** The association id for a (local, peer) HIT pair, if one exists. */
  associationByHits(localHit: Hit, peerHit: Hit): AssocId | undefined {
    return this.findAssoc(localHit, peerHit)?.id;
  }

  stats(): EngineStats {
    return {
      received: { ...this.received },
      sent: { ...this.sentCounts },
      drops: { ...this.drops },
      associations: this.assocs.size,
      established: this.census.count('ESTABLISHED'),
      notifiesSuppressed: this.notifiesSuppressed,
    };
  }

  /** True when `input` is for this engine: a HIP packet to one of our HITs, or an SPI we own. */
  accepts(input: Input): boolean {
    switch (input.kind) {
      case 'esp-seen':
      case 'esp-seq-exhausting':
      case 'path-error':
        return this.bySpi.has(input.spi >>> 0) || this.byOutboundSpi.get(input.spi >>> 0) !== undefined;
      case 'packet':
        return this.identityByHit(input.packet.receiverHit) !== undefined || input.packet.receiverHit.every((b) => b === 0);
      case 'datagram': {
        const b = input.bytes;
        if (!(b instanceof Uint8Array) || b.length < 40) return false;
        const recv = b.subarray(24, 40);
        return this.identityByHit(recv) !== undefined || recv.every((x) => x === 0);
      }
      default:
        return assertNever(input, 'input kind');
    }
  }

  private mustGet(id: AssocId): Association {
    const a = this.assocs.get(id);
    if (!a) throw new HipStateError('ERR_UNKNOWN_ASSOC', `no association ${String(id)}`);
    return a;
  }

  /** Time never goes backwards: an earlier `now` is clamped (docs/architecture.md, Clock, randomness and crypto). */
  private advance(now: Millis): void {
    assertTime(now, 'now');
    if (now > this.current) this.current = now;
  }
}

/** What `connect` takes: the peer's HIT and locators, optionally our HIT and types to register for. */
export type ConnectPeer = {
  readonly hit: Hit;
  /** Where to send the I1: the peer's locators, or the address of its rendezvous server. */
  readonly locators: readonly Locator[];
  /** Which of our identities to use (default: the first). */
  readonly localHit?: Hit;
  /**
   * Registration types to request in the I2 when the peer's R1 offers them (RFC 8003 §3.2);
   * default none.
   */
  readonly register?: readonly number[];
  /**
   * Run the association over UDP (RFC 9028 §5.1): the peer's UDP port, usually 10500. Our port
   * is `config.udpPort`. Absent: HIP over IP (protocol 139) and plain ESP.
   */
  readonly udpPort?: number;
};

function checkRegTypes(list: readonly number[], field: string): number[] {
  if (!Array.isArray(list)) throw new TypeError(`"${field}" expected an array of registration types`);
  list.forEach((t, i) => {
    if (typeof t !== 'number' || !Number.isInteger(t) || t < 0 || t > 255) throw new RangeError(`"${field}[${i}]" expected an integer 0..255, got ${String(t)}`);
  });
  return [...new Set(list)];
}

function normalizeLocals(list: readonly (Locator | LocalLocator)[], field: string, max: number): LocalLocator[] {
  if (!Array.isArray(list)) throw new TypeError(`"${field}" expected an array`);
  if (list.length > max) {
    throw new RangeError(`"${field}" expected at most ${max} locators (what one UPDATE's LOCATOR_SET can carry, RFC 7401 §5.1), got ${list.length}`);
  }
  return list.map((l, i) => {
    // A copy in the 16-byte form: 4-byte IPv4 addresses are mapped (asLocator).
    if (l instanceof Uint8Array) return { address: Uint8Array.from(asLocator(l, `${field}[${i}]`)) };
    if (typeof l !== 'object' || l === null) throw new TypeError(`"${field}[${i}]" expected a locator or LocalLocator`);
    if (l.trafficType !== undefined && l.trafficType !== 0 && l.trafficType !== 1 && l.trafficType !== 2) {
      throw new TypeError(`"${field}[${i}].trafficType" expected 0, 1 or 2 (RFC 8046 §4.1), got ${String(l.trafficType)}`);
    }
    return { ...l, address: Uint8Array.from(asLocator(l.address, `${field}[${i}].address`)) };
  });
}

function inRange(l: Locator, net: ipaddr.IPv4 | ipaddr.IPv6, bits: number): boolean {
  const v4 = ipv4Bytes(l);
  const addr = v4 ? ipaddr.fromByteArray(Array.from(v4)) : ipaddr.fromByteArray(Array.from(l));
  return addr.kind() === net.kind() && addr.match(net, bits);
}

/** Slots of the engine's inbound-SPI cache (a power of two; see EngineImpl.spiCacheKeys). */
const SPI_CACHE_SLOTS = 64;

const INPUT_KINDS: readonly string[] = ['datagram', 'packet', 'esp-seen', 'esp-seq-exhausting', 'path-error'];
const PATH_ERROR_CAUSES: readonly string[] = ['interface-down', 'unreachable', 'send-error'];

/**
 * `src` and `dst` as the engine keeps them: 16 bytes, IPv4 in IPv4-in-IPv6 format (the locator
 * form of RFC 8046 §4.2, RFC 4291). A 4-byte IPv4 address, as a socket or a pcap gives it, is
 * mapped; any other length is caller misuse (RangeError naming the field). No copy when both are
 * 16 bytes.
 */
function withLocators<T extends { readonly src: Locator; readonly dst: Locator }>(input: T): T {
  const src = asLocator(input.src, 'input.src');
  const dst = asLocator(input.dst, 'input.dst');
  return src === input.src && dst === input.dst ? input : { ...input, src, dst };
}

/** Caller misuse of handle() throws TypeError naming the field (docs/architecture.md, Errors); remote bytes never do. */
function checkInput(input: Input): Input {
  // Returns the input with its addresses as 16-byte locators (withLocators).
  if (typeof input !== 'object' || input === null) throw new TypeError('"input" expected an object');
  const kind = (input as { kind?: unknown }).kind;
  if (typeof kind !== 'string' || !INPUT_KINDS.includes(kind)) {
    throw new TypeError(`"input.kind" expected one of ${INPUT_KINDS.join(', ')}, got ${JSON.stringify(kind) ?? String(kind)}`);
  }
  switch (input.kind) {
    case 'datagram':
      abytes(input.bytes, 'input.bytes');
      if (input.transport !== undefined && input.transport !== 'ip' && input.transport !== 'udp') {
        throw new TypeError(`"input.transport" expected 'ip' or 'udp', got ${JSON.stringify(input.transport) ?? String(input.transport)}`);
      }
      if (input.srcPort !== undefined) aint(input.srcPort, 'input.srcPort', 1, 0xffff);
      if (input.dstPort !== undefined) aint(input.dstPort, 'input.dstPort', 1, 0xffff);
      return withLocators(input);
    case 'packet': {
      const located = withLocators(input);
      const p = input.packet as Partial<HipPacket> | null;
      if (typeof p !== 'object' || p === null) throw new TypeError('"input.packet" expected a decoded HipPacket');
      if (typeof p.kind !== 'string' || !(p.kind in PACKET_TYPE)) throw new TypeError(`"input.packet.kind" expected a HIP packet kind, got ${String(p.kind)}`);
      abytes(p.senderHit, 'input.packet.senderHit', 16);
      abytes(p.receiverHit, 'input.packet.receiverHit', 16);
      if (typeof p.controls !== 'number') throw new TypeError('"input.packet.controls" expected a number');
      if (!Array.isArray(p.params)) throw new TypeError('"input.packet.params" expected an array of parameters');
      p.params.forEach((q, i) => {
        if (typeof q !== 'object' || q === null || typeof q.kind !== 'string') throw new TypeError(`"input.packet.params[${i}]" expected a decoded parameter`);
      });
      if (p.raw !== undefined) abytes(p.raw, 'input.packet.raw');
      return located;
    }
    case 'esp-seen':
      if (typeof input.spi !== 'number') throw new TypeError('"input.spi" expected a number');
      if (input.udp !== undefined) {
        if (typeof input.udp !== 'object' || input.udp === null) throw new TypeError('"input.udp" expected { srcPort, dstPort }');
        aint(input.udp.srcPort, 'input.udp.srcPort', 1, 0xffff);
        aint(input.udp.dstPort, 'input.udp.dstPort', 1, 0xffff);
      }
      return withLocators(input);
    case 'esp-seq-exhausting':
      if (typeof input.spi !== 'number') throw new TypeError('"input.spi" expected a number');
      return input;
    case 'path-error':
      if (typeof input.spi !== 'number') throw new TypeError('"input.spi" expected a number');
      if (!PATH_ERROR_CAUSES.includes(input.cause)) throw new TypeError(`"input.cause" expected one of ${PATH_ERROR_CAUSES.join(', ')}, got ${JSON.stringify(input.cause) ?? String(input.cause)}`);
      return withLocators(input);
  }
}

/** An options object with only boolean fields from `keys`, when present. */
function checkOptions(opts: unknown, field: string, keys: readonly string[]): void {
  if (typeof opts !== 'object' || opts === null) throw new TypeError(`"${field}" expected an object`);
  for (const k of keys) {
    const v = (opts as Record<string, unknown>)[k];
    if (v !== undefined && typeof v !== 'boolean') throw new TypeError(`"${field}.${k}" expected boolean, got ${typeof v}`);
  }
}

function assertTime(now: unknown, field: string): asserts now is number {
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new TypeError(`"${field}" expected a finite number of milliseconds, got ${typeof now}`);
}

function packetKindOfBytes(b: Uint8Array): PacketKind | undefined {
  if (b.length < 3) return undefined;
  const code = b[2]! & 0x7f;
  for (const [k, v] of Object.entries(PACKET_TYPE)) if (v === code) return k as PacketKind;
  return undefined;
}

function info(a: Association): AssociationInfo {
  const st = a.state;
  const sas = st.name === 'ESTABLISHED' ? st.sas : st.name === 'R2_SENT' ? [st.sa] : [];
  return {
    id: a.id,
    state: st.name,
    role: a.role,
    localHit: a.localHit,
    peerHit: a.peerHit,
    localLocator: a.localLocator,
    peerLocator: a.peerLocator,
    sas: sas.map((s) => ({ localSpi: s.localSpi, peerSpi: s.peerSpi, suite: s.suite })),
    ...(a.nat ? { natTraversal: { mode: a.nat.mode, taMs: a.nat.taMs } } : {}),
  };
}

