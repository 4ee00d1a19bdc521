// A userspace ESP data plane (RFC 4303) in the BEET mode of RFC 7402, fed by the engine's `sa`
// outputs. Sans-I/O: `protect` returns the packet to send, `unprotect` the payload received,
// and data-plane feedback for the engine queues up for `pollFeedback()`.
//
// Remote input never throws: a bad packet is dropped and counted with an `EspDropReason`.
// Caller misuse (a malformed SaSpec, a duplicate inbound SPI, non-bytes arguments) throws a
// TypeError or RangeError naming the field.
//
// Not implemented: extended sequence numbers (RFC 4303 §2.2.1; HIP does not negotiate them),
// TFC padding, IPv4 options in BEET (RFC 7402 §B.1.7: the caller builds inner headers).
import { asLocator, formatLocator, locatorKey } from '../addr/locator.js';
import type { EspSuiteId, Hit, Locator, RandomSource, SaSpec, UdpPorts } from '../types.js';
import { abytes, aint, readU32, writeU32 } from '../util/bytes.js';
import { ownedAlloc } from '../wire/pool.js';
import { preferredPath } from './policy.js';
import { ReplayWindow } from './replay.js';
import { createTransform, suiteInfo, type EspTransform } from './suites.js';
import {
  ESP_DROP_REASONS,
  type AddSaOptions,
  type EspDataPlaneOptions,
  type EspDropReason,
  type EspFeedback,
  type EspPathStats,
  type EspSaStats,
  type EspStats,
  type OutboundPolicy,
  type OutboundPolicyContext,
  type OutboundSaView,
  type ProtectOptions,
  type ProtectResult,
  type UnprotectResult,
} from './types.js';

/** The last sequence number an SA may send: 32-bit counters never cycle (RFC 4303 §3.3.3). */
export const ESP_SEQ_MAX = 0xffffffff;
/** Default `seqSoftLimit`: 2^32 - 2^24. */
export const DEFAULT_SEQ_SOFT_LIMIT = 2 ** 32 - 2 ** 24;
/**
 * Default anti-replay window of an inbound SA, in packets: 64, the size RFC 4303 §3.4.3 recommends.
 */
export const DEFAULT_REPLAY_WINDOW = 64;
/** Largest anti-replay window a data plane or SA accepts, in packets (a RangeError above it). */
export const MAX_REPLAY_WINDOW = 65536;
/** Next Header 59: no next header (RFC 4303 §2.6 also uses it to mark dummy packets). */
export const NEXT_HEADER_NONE = 59;

type Drops = Record<EspDropReason, number>;

/** Slots of each of the data plane's direct-mapped lookup caches (a power of two). */
const CACHE_SLOTS = 64;
const CACHE_MASK = CACHE_SLOTS - 1;

function zeroDrops(): Drops {
  const d = {} as Drops;
  for (const r of ESP_DROP_REASONS) d[r] = 0;
  return d;
}

type PathEntry = {
  readonly path: string;
  readonly src: Locator;
  readonly dst: Locator;
  txPackets: number;
  txBytes: number;
  rxPackets: number;
  rxBytes: number;
  readonly drops: Drops;
};

type SaCommon = {
  readonly spi: number;
  readonly localHit: Hit;
  readonly peerHit: Hit;
  readonly suite: EspSuiteId;
  readonly transform: EspTransform;
  readonly serial: number;
  packets: number;
  bytes: number;
  readonly drops: Drops;
};

type InSa = SaCommon & {
  readonly src: Locator;
  readonly dst: Locator;
  readonly replay: ReplayWindow;
  /** Key of the peer's credit entry (its HIT in hex), computed once. */
  readonly peerKey: string;
  /** The peer's credit entry itself (entries are never removed): no map lookup per packet. */
  readonly credit: Credit;
  /** The path of the last authenticated packet, to skip the map lookup while it stays put. */
  lastPath: PathEntry | undefined;
};

type OutSa = SaCommon & {
  readonly peerKey: string;
  /** The peer's credit entry (see InSa.credit). */
  readonly credit: Credit;
  src: Locator;
  dst: Locator;
  /** Last sequence number sent (0 before the first packet). */
  seq: number;
  exhaustingSignalled: boolean;
  preferred: boolean;
  /** RFC 8046 §5.6: the destination is UNVERIFIED; sending spends the peer's credit. */
  creditLimited: boolean;
  /** UDP encapsulation of the SA (RFC 9028 §5.11), undefined for plain ESP. */
  udp: UdpPorts | undefined;
  view: OutboundSaView;
  path: PathEntry | undefined;
};

/** Credit-based authorization state per peer (RFC 8046 §5.6): bytes received, aged. */
type Credit = { bytes: number; agedAt: number | undefined };

type PeerEntry = {
  /** The peer's HIT (the data plane's copy). */
  readonly hit: Hit;
  /** Installation order. */
  readonly sas: OutSa[];
  /** Views of the SAs that can still send, installation order; what the policy sees. */
  usable: readonly OutboundSaView[];
  /**
   * The policy's context without a flow key, rebuilt with `usable`: a policy is pure and gets
   * a frozen context, so one object serves every packet (no allocation per protect).
   */
  ctx: OutboundPolicyContext;
};

/**
 * A userspace ESP data plane (RFC 4303) in BEET mode (RFC 7402 §3), sans-I/O. Install and remove
 * SAs from the engine's `sa` outputs ({@link EspDataPlane.addSa}, {@link EspDataPlane.deleteSa}),
 * encrypt with {@link EspDataPlane.protect}, decrypt with {@link EspDataPlane.unprotect}, and hand
 * {@link EspDataPlane.pollFeedback} entries back to the engine: the first ESP packet on an SA
 * completes R2_SENT → ESTABLISHED (RFC 7401 §4.4.2), and address verification uses it (RFC 8046
 * §5.4). A bad packet is dropped and counted, never thrown on.
 */
export class EspDataPlane {
  readonly #random: RandomSource;
  readonly #allowAuthOnly: boolean;
  readonly #replayWindow: number;
  readonly #seqSoftLimit: number;
  #policy: OutboundPolicy;
  readonly #seenFeedback: boolean;
  readonly #maxQueuedFeedback: number;
  readonly #maxPacketBytes: number;
  readonly #insecureFastEsp: boolean;

  readonly #inbound = new Map<number, InSa>();
  readonly #peers = new Map<string, PeerEntry>();
  readonly #outBySpi = new Map<number, OutSa[]>();
  readonly #paths = new Map<string, PathEntry>();
  readonly #credit = new Map<string, Credit>();
  /**
   * Direct-mapped caches in front of `#inbound` and `#peers`, indexed by the SPI's or the HIT's
   * low byte and checked against the full SPI or HIT: a hit costs no hash lookup (and no key
   * string for a HIT), a miss falls back to the map. Bounded (CACHE_SLOTS each), so chosen
   * SPIs or HITs that collide cost misses, never more than O(1).
   */
  readonly #inCache: (InSa | undefined)[] = new Array<InSa | undefined>(CACHE_SLOTS).fill(undefined);
  readonly #peerCache: (PeerEntry | undefined)[] = new Array<PeerEntry | undefined>(CACHE_SLOTS).fill(undefined);
  readonly #agingFactor: number;
  readonly #agingIntervalMs: number;
  #serial = 0;

  readonly #feedback: (EspFeedback | undefined)[] = [];
  #feedbackHead = 0;
  #feedbackOverflow = 0;

  #txPackets = 0;
  #txBytes = 0;
  #rxPackets = 0;
  #rxBytes = 0;
  readonly #drops = zeroDrops();

  constructor(options: EspDataPlaneOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError('"options" expected object');
    }
    if (typeof options.random !== 'function') {
      throw new TypeError('"options.random" expected a RandomSource function');
    }
    this.#random = options.random;
    this.#allowAuthOnly = bool(options.allowAuthOnly, 'options.allowAuthOnly', false);
    this.#replayWindow = options.replayWindow ?? DEFAULT_REPLAY_WINDOW;
    aint(this.#replayWindow, 'options.replayWindow', 0, MAX_REPLAY_WINDOW);
    this.#seqSoftLimit = options.seqSoftLimit ?? DEFAULT_SEQ_SOFT_LIMIT;
    aint(this.#seqSoftLimit, 'options.seqSoftLimit', 1, ESP_SEQ_MAX);
    this.#policy = options.policy ?? preferredPath;
    if (typeof this.#policy !== 'function') throw new TypeError('"options.policy" expected function');
    this.#seenFeedback = bool(options.seenFeedback, 'options.seenFeedback', true);
    this.#maxQueuedFeedback = options.maxQueuedFeedback ?? 4096;
    aint(this.#maxQueuedFeedback, 'options.maxQueuedFeedback', 0, 2 ** 30);
    this.#maxPacketBytes = options.maxPacketBytes ?? 65535;
    aint(this.#maxPacketBytes, 'options.maxPacketBytes', 64, 2 ** 30);
    this.#insecureFastEsp = bool(options.insecureFastEsp, 'options.insecureFastEsp', false);
    this.#agingFactor = options.creditAging?.factor ?? 7 / 8;
    this.#agingIntervalMs = options.creditAging?.intervalMs ?? 5000;
    if (!(this.#agingFactor > 0 && this.#agingFactor <= 1)) throw new RangeError('"options.creditAging.factor" expected a number in (0, 1]');
    aint(this.#agingIntervalMs, 'options.creditAging.intervalMs', 1, 2 ** 40);
  }

  // ---------------------------------------------------------------- credit (RFC 8046 §5.6)

  /** The peer's credit in bytes at `now` (aged by the factor every interval, RFC 8046 §5.6.2). */
  credit(peerHit: Hit, now?: number): number {
    abytes(peerHit, 'peerHit', 16);
    return this.#aged(this.#creditEntry(hitMapKey(peerHit), now), now).bytes;
  }

  /** The peer's credit entry, created at zero on first use (entries are never removed). */
  #creditEntry(peerKey: string, now: number | undefined): Credit {
    let c = this.#credit.get(peerKey);
    if (c === undefined) {
      c = { bytes: 0, agedAt: now };
      this.#credit.set(peerKey, c);
    }
    return c;
  }

  /** `c` aged to `now`: times the factor once per whole interval passed (RFC 8046 §5.6.2). */
  #aged(c: Credit, now: number | undefined): Credit {
    if (now !== undefined) {
      if (c.agedAt === undefined) c.agedAt = now;
      // Most packets arrive within the interval: no division then.
      if (now - c.agedAt >= this.#agingIntervalMs) {
        const steps = Math.floor((now - c.agedAt) / this.#agingIntervalMs);
        c.bytes = Math.floor(c.bytes * this.#agingFactor ** steps);
        c.agedAt += steps * this.#agingIntervalMs;
      }
    }
    return c;
  }

  // ---------------------------------------------------------------- SA database

  /** Installs an SA from the engine's `sa` output (op 'add'). */
  addSa(sa: SaSpec, opts: AddSaOptions = {}): void {
    if (typeof sa !== 'object' || sa === null) throw new TypeError('"sa" expected object');
    aint(sa.spi, 'sa.spi', 1, 0xffffffff);
    if (sa.direction !== 'in' && sa.direction !== 'out') {
      throw new TypeError(`"sa.direction" expected 'in' or 'out', got ${JSON.stringify(sa.direction)}`);
    }
    abytes(sa.localHit, 'sa.localHit', 16);
    abytes(sa.peerHit, 'sa.peerHit', 16);
    abytes(sa.src, 'sa.src', 16);
    abytes(sa.dst, 'sa.dst', 16);
    const info = suiteInfo(sa.suite);
    if (info === undefined) throw new RangeError(`"sa.suite" unsupported ESP suite ${String(sa.suite)}`);
    if (info.cipher === 'null' && !this.#allowAuthOnly) {
      throw new RangeError(
        `"sa.suite" ${sa.suite} (${info.name}) is authentication-only; set options.allowAuthOnly to accept it (RFC 7402 §5.1.2)`,
      );
    }
    abytes(sa.encKey, 'sa.encKey');
    if (!info.encKeyLens.includes(sa.encKey.length)) {
      throw new RangeError(
        `"sa.encKey" expected length ${info.encKeyLens.join(' or ')} for suite ${sa.suite}, got length=${sa.encKey.length}`,
      );
    }
    abytes(sa.authKey, 'sa.authKey', info.authKeyLen);
    if (typeof opts !== 'object' || opts === null) throw new TypeError('"opts" expected object');

    // The SA records are written out field by field, never built with object spread: in V8
    // every `{ ...common, more }` clone got a map of its own, which made every SA field access
    // in protect/unprotect megamorphic (3-4x slower with a thousand data planes).

    if (sa.direction === 'in') {
      if (opts.initialSeq !== undefined) throw new TypeError('"opts.initialSeq" applies to outbound SAs only');
      const window = opts.replayWindow ?? this.#replayWindow;
      aint(window, 'opts.replayWindow', 0, MAX_REPLAY_WINDOW);
      if (this.#inbound.has(sa.spi)) {
        throw new RangeError(`"sa.spi" inbound SPI 0x${hex32(sa.spi)} is already installed`);
      }
      const transform = createTransform(sa.suite, sa.encKey, sa.authKey, this.#random, this.#insecureFastEsp);
      const peerKey = hitMapKey(sa.peerHit);
      this.#inbound.set(sa.spi, {
        spi: sa.spi,
        localHit: sa.localHit.slice(),
        peerHit: sa.peerHit.slice(),
        suite: sa.suite,
        packets: 0,
        bytes: 0,
        drops: zeroDrops(),
        transform,
        serial: ++this.#serial,
        src: sa.src.slice(),
        dst: sa.dst.slice(),
        replay: new ReplayWindow(window),
        peerKey,
        credit: this.#creditEntry(peerKey, undefined),
        lastPath: undefined,
      });
      return;
    }

    if (opts.replayWindow !== undefined) throw new TypeError('"opts.replayWindow" applies to inbound SAs only');
    const initialSeq = opts.initialSeq ?? 0;
    aint(initialSeq, 'opts.initialSeq', 0, ESP_SEQ_MAX);
    const peerKey = hitMapKey(sa.peerHit);
    const sameSpi = this.#outBySpi.get(sa.spi);
    if (sameSpi?.some((o) => o.peerKey === peerKey)) {
      throw new RangeError(`"sa.spi" outbound SPI 0x${hex32(sa.spi)} is already installed for this peer`);
    }
    const transform = createTransform(sa.suite, sa.encKey, sa.authKey, this.#random, this.#insecureFastEsp);
    const out: OutSa = {
      spi: sa.spi,
      localHit: sa.localHit.slice(),
      peerHit: sa.peerHit.slice(),
      suite: sa.suite,
      packets: 0,
      bytes: 0,
      drops: zeroDrops(),
      transform,
      serial: ++this.#serial,
      peerKey,
      credit: this.#creditEntry(peerKey, undefined),
      src: sa.src.slice(),
      dst: sa.dst.slice(),
      seq: initialSeq,
      exhaustingSignalled: false,
      preferred: false,
      creditLimited: sa.creditLimited === true,
      udp: checkUdp(sa.udp),
      view: undefined as unknown as OutboundSaView,
      path: undefined,
    };
    out.view = makeView(out);
    if (sameSpi) sameSpi.push(out);
    else this.#outBySpi.set(sa.spi, [out]);
    let peer = this.#peers.get(peerKey);
    if (peer === undefined) {
      const hit = sa.peerHit.slice();
      peer = { hit, sas: [], usable: [], ctx: { peerHit: hit, sas: [] } };
      this.#peers.set(peerKey, peer);
    }
    peer.sas.push(out);
    refreshUsable(peer);
    if (sa.preferred === true) this.setPreferred(sa.spi, sa.peerHit);
  }

  /**
   * Removes an SA (the engine's `sa` output with op 'delete'). Returns false if it was not
   * installed. `peerHit` picks among outbound SAs of several peers that share one SPI (SPIs are
   * chosen by each peer, so they may collide); it is required only in that case.
   */
  deleteSa(spi: number, direction: 'in' | 'out', peerHit?: Hit): boolean {
    aint(spi, 'spi', 0, 0xffffffff);
    if (direction === 'in') {
      const slot = spi & CACHE_MASK;
      if (this.#inCache[slot]?.spi === spi) this.#inCache[slot] = undefined;
      return this.#inbound.delete(spi);
    }
    if (direction !== 'out') throw new TypeError(`"direction" expected 'in' or 'out', got ${JSON.stringify(direction)}`);
    const sa = this.#findOut(spi, peerHit);
    if (sa === undefined) return false;
    const list = this.#outBySpi.get(spi)!;
    list.splice(list.indexOf(sa), 1);
    if (list.length === 0) this.#outBySpi.delete(spi);
    const peer = this.#peers.get(sa.peerKey)!;
    peer.sas.splice(peer.sas.indexOf(sa), 1);
    if (peer.sas.length === 0) {
      this.#peers.delete(sa.peerKey);
      const slot = peer.hit[15]! & CACHE_MASK;
      if (this.#peerCache[slot] === peer) this.#peerCache[slot] = undefined;
    } else refreshUsable(peer);
    return true;
  }

  /** Marks an outbound SA as the peer's preferred one (for `preferredPath`). False if unknown. */
  setPreferred(spi: number, peerHit?: Hit): boolean {
    aint(spi, 'spi', 0, 0xffffffff);
    const sa = this.#findOut(spi, peerHit);
    if (sa === undefined) return false;
    const peer = this.#peers.get(sa.peerKey)!;
    for (const o of peer.sas) {
      const preferred = o === sa;
      if (o.preferred !== preferred) {
        o.preferred = preferred;
        o.view = makeView(o);
      }
    }
    refreshUsable(peer);
    return true;
  }

  /**
   * Moves an outbound SA to new outer addresses without a new SA (mobility, RFC 8046 §3.2):
   * the SPI, keys and sequence numbers stay. False if the SA is not installed.
   */
  updateSaLocators(spi: number, src: Locator, dst: Locator, peerHit?: Hit): boolean {
    aint(spi, 'spi', 0, 0xffffffff);
    abytes(src, 'src', 16);
    abytes(dst, 'dst', 16);
    const sa = this.#findOut(spi, peerHit);
    if (sa === undefined) return false;
    sa.src = src.slice();
    sa.dst = dst.slice();
    sa.path = undefined;
    sa.view = makeView(sa);
    refreshUsable(this.#peers.get(sa.peerKey)!);
    return true;
  }

  /**
   * Applies the engine's `sa` output with op 'update': new outer addresses and credit limit of
   * an outbound SA (an inbound SA's addresses are informational). False if not installed.
   */
  updateSa(sa: SaSpec): boolean {
    if (typeof sa !== 'object' || sa === null) throw new TypeError('"sa" expected object');
    if (sa.direction === 'in') return this.#inbound.has(sa.spi >>> 0);
    const out = this.#findOut(sa.spi, sa.peerHit);
    if (out === undefined) return false;
    out.creditLimited = sa.creditLimited === true;
    out.udp = checkUdp(sa.udp);
    const moved = this.updateSaLocators(sa.spi, sa.src, sa.dst, sa.peerHit);
    if (sa.preferred === true) this.setPreferred(sa.spi, sa.peerHit);
    return moved;
  }

  /** Replaces the outbound policy. */
  setPolicy(policy: OutboundPolicy): void {
    if (typeof policy !== 'function') throw new TypeError('"policy" expected function');
    this.#policy = policy;
  }

  /** Every outbound SA of a peer (also exhausted ones), installation order. */
  outboundSas(peerHit: Hit): readonly OutboundSaView[] {
    abytes(peerHit, 'peerHit', 16);
    const peer = this.#peers.get(hitMapKey(peerHit));
    return peer === undefined ? [] : peer.sas.map((s) => s.view);
  }

  #findOut(spi: number, peerHit: Hit | undefined): OutSa | undefined {
    const list = this.#outBySpi.get(spi);
    if (list === undefined) return undefined;
    if (peerHit !== undefined) {
      abytes(peerHit, 'peerHit', 16);
      const key = hitMapKey(peerHit);
      return list.find((o) => o.peerKey === key);
    }
    if (list.length > 1) {
      throw new RangeError(`"peerHit" required: outbound SPI 0x${hex32(spi)} is installed for ${list.length} peers`);
    }
    return list[0];
  }

  // ---------------------------------------------------------------- outbound

  /**
   * Protects `payload` for the peer `peerHit`: picks an outbound SA (opts.spi, else the
   * policy), consumes a sequence number and builds SPI ‖ Seq ‖ IV ‖ ciphertext ‖ ICV.
   * The BEET inner addresses are the SA's HITs and are not carried (RFC 7402 §3).
   */
  protect(peerHit: Hit, payload: Uint8Array, opts?: ProtectOptions): ProtectResult {
    abytes(peerHit, 'peerHit', 16);
    abytes(payload, 'payload');
    const nextHeader = opts?.nextHeader ?? NEXT_HEADER_NONE;
    aint(nextHeader, 'opts.nextHeader', 0, 255);

    const peer = this.#peerOf(peerHit);
    if (peer === undefined) return this.#txDrop('no-sa', undefined);
    let sa: OutSa | undefined;
    if (opts?.spi !== undefined) {
      const spi = opts.spi;
      sa = peer.sas.find((o) => o.spi === spi);
      if (sa === undefined) return this.#txDrop('no-sa', undefined);
      if (sa.seq >= ESP_SEQ_MAX) return this.#txDrop('seq-exhausted', sa);
    } else {
      if (peer.usable.length === 0) return this.#txDrop('seq-exhausted', undefined);
      const flowKey = opts?.flowKey;
      const ctx: OutboundPolicyContext = flowKey === undefined ? peer.ctx : { peerHit, flowKey, sas: peer.usable };
      const view = this.#policy(ctx);
      if (view === undefined) return this.#txDrop('policy-refused', undefined);
      const sas = peer.sas;
      for (let i = 0; i < sas.length; i++) {
        if (sas[i]!.view === view) {
          sa = sas[i];
          break;
        }
      }
      if (sa === undefined || sa.seq >= ESP_SEQ_MAX) {
        throw new RangeError('"policy" returned an SA view that is not one of ctx.sas');
      }
    }

    const t = sa.transform;
    const hdr = 8 + t.ivLen;
    const unpadded = payload.length + 2;
    const ptLen = Math.ceil(unpadded / t.align) * t.align;
    const total = hdr + ptLen + t.icvLen;
    if (total > this.#maxPacketBytes) return this.#txDrop('too-large', sa);

    if (sa.creditLimited) {
      // RFC 8046 §5.6.1 Figure 9: to an UNVERIFIED locator only within credit, which is spent.
      const credit = this.#aged(sa.credit, opts?.now);
      if (credit.bytes < total) return this.#txDrop('no-credit', sa);
      credit.bytes -= total;
    }
    const seq = sa.seq + 1;
    sa.seq = seq;
    // Carved from a shared slab (wire/pool.ts): a fresh Uint8Array of this size costs an
    // off-heap ArrayBuffer each; the slab is never handed out twice.
    const out = ownedAlloc(total);
    writeU32(out, 0, sa.spi);
    writeU32(out, 4, seq);
    out.set(payload, hdr);
    // RFC 4303 §2.4 default padding: 1, 2, 3, ... then Pad Length and Next Header.
    const padLen = ptLen - unpadded;
    let p = hdr + payload.length;
    for (let i = 1; i <= padLen; i++) out[p++] = i;
    out[p++] = padLen;
    out[p] = nextHeader;
    t.seal(out, ptLen);

    if (seq >= this.#seqSoftLimit && !sa.exhaustingSignalled) {
      sa.exhaustingSignalled = true;
      this.#pushFeedback({ kind: 'esp-seq-exhausting', spi: sa.spi });
    }
    if (seq >= ESP_SEQ_MAX) refreshUsable(peer);

    sa.packets++;
    sa.bytes += total;
    this.#txPackets++;
    this.#txBytes += total;
    let path = sa.path;
    if (path === undefined) path = sa.path = this.#path(sa.src, sa.dst, true)!;
    path.txPackets++;
    path.txBytes += total;
    return { ok: true, packet: { spi: sa.spi, seq, src: sa.src, dst: sa.dst, bytes: out, udp: sa.udp } };
  }

  /** The peer entry of `peerHit` (16 bytes, checked), through the direct-mapped cache. */
  #peerOf(peerHit: Hit): PeerEntry | undefined {
    const slot = peerHit[15]! & CACHE_MASK;
    const cached = this.#peerCache[slot];
    if (cached !== undefined && same16(cached.hit, peerHit)) return cached;
    const peer = this.#peers.get(hitMapKey(peerHit));
    if (peer !== undefined) this.#peerCache[slot] = peer;
    return peer;
  }

  #txDrop(reason: EspDropReason, sa: OutSa | undefined): ProtectResult {
    this.#drops[reason]++;
    if (sa !== undefined) {
      sa.drops[reason]++;
      const path = sa.path ?? this.#path(sa.src, sa.dst, false);
      if (path !== undefined) path.drops[reason]++;
    }
    return { ok: false, reason };
  }

  // ---------------------------------------------------------------- inbound

  /**
   * Processes one received ESP packet (RFC 4303 §3.4): SPI lookup, anti-replay pre-check,
   * ICV verification, anti-replay update, decryption and padding check. On success queues
   * `esp-seen` feedback and returns the payload with the BEET inner addresses (the SA's HITs).
   * `src`/`dst` are the outer addresses it arrived with; they are reported, never checked
   * (RFC 7402 §B.1.6: the SPI and ICV bind the packet to the HIT pair). Each is a 16-byte
   * locator or a 4-byte IPv4 address as a socket or a pcap gives it (reported in the 16-byte
   * form, RFC 8046 §4.2).
   * `udp` gives the UDP ports of a UDP-encapsulated packet (RFC 9028 §5.11); the `esp-seen`
   * feedback carries that object as given (not copied), so the engine sees a NAT rebinding.
   * Packets with Next Header 59 are returned like any other; when they are RFC 4303 §2.6
   * dummy packets, discarding them is the caller's business.
   */
  unprotect(bytes: Uint8Array, src: Locator, dst: Locator, now?: number, udp?: UdpPorts): UnprotectResult {
    abytes(bytes, 'bytes');
    if (udp !== undefined) checkUdp(udp);
    src = asLocator(src, 'src');
    dst = asLocator(dst, 'dst');
    if (bytes.length < 8) return this.#rxDrop('truncated', undefined, src, dst);
    const spi = readU32(bytes, 0);
    const slot = spi & CACHE_MASK;
    let sa = this.#inCache[slot];
    if (sa === undefined || sa.spi !== spi) {
      sa = this.#inbound.get(spi);
      if (sa === undefined) return this.#rxDrop('unknown-spi', undefined, src, dst);
      this.#inCache[slot] = sa;
    }
    const t = sa.transform;
    const ctLen = bytes.length - 8 - t.ivLen - t.icvLen;
    if (ctLen < t.align) return this.#rxDrop('truncated', sa, src, dst);
    if (ctLen % t.align !== 0) return this.#rxDrop('bad-length', sa, src, dst);

    const seq = readU32(bytes, 4);
    const verdict = sa.replay.check(seq); // cheap reject before the ICV (RFC 4303 §3.4.3)
    if (verdict !== 'ok') return this.#rxDrop(verdict, sa, src, dst);
    const pt = t.open(bytes);
    if (pt === undefined) return this.#rxDrop('bad-icv', sa, src, dst);
    sa.replay.update(seq); // only once the ICV verified

    const n = pt.length;
    const nextHeader = pt[n - 1]!;
    const padLen = pt[n - 2]!;
    const payloadLen = n - 2 - padLen;
    let bad = payloadLen < 0 ? 1 : 0;
    if (!bad) for (let i = 0; i < padLen; i++) bad |= pt[payloadLen + i]! ^ ((i + 1) & 0xff);
    if (bad) return this.#rxDrop('bad-padding', sa, src, dst);

    const size = bytes.length;
    sa.packets++;
    sa.bytes += size;
    this.#rxPackets++;
    this.#rxBytes += size;
    let path = sa.lastPath;
    // Identity first: a driver that hands the same address arrays back (the simulator does) skips
    // the byte compare.
    if (path === undefined || (path.src !== src && !same16(path.src, src)) || (path.dst !== dst && !same16(path.dst, dst))) {
      path = sa.lastPath = this.#path(src, dst, true)!;
    }
    path.rxPackets++;
    path.rxBytes += size;
    // RFC 8046 §5.6.1 Figure 8: every authenticated packet from the peer earns it credit.
    this.#aged(sa.credit, now).bytes += size;
    if (this.#seenFeedback) {
      // The path entry's own copies of the addresses (made once per path, never written to):
      // the feedback outlives the caller's buffers without a copy per packet.
      this.#pushFeedback({ kind: 'esp-seen', spi, src: path.src, dst: path.dst, bytes: size, udp });
    }
    return {
      ok: true,
      spi,
      seq,
      peerHit: sa.peerHit,
      localHit: sa.localHit,
      nextHeader,
      payload: pt.subarray(0, payloadLen),
      src,
      dst,
    };
  }

  #rxDrop(reason: EspDropReason, sa: InSa | undefined, src: Locator, dst: Locator): UnprotectResult {
    this.#drops[reason]++;
    // Only existing paths count drops: unauthenticated input must not grow the path table.
    const path = this.#path(src, dst, false);
    if (path !== undefined) path.drops[reason]++;
    if (sa === undefined) return { ok: false, reason };
    sa.drops[reason]++;
    return { ok: false, reason, spi: sa.spi };
  }

  // ---------------------------------------------------------------- feedback and stats

  /** The next queued feedback item for the engine, or undefined when drained. */
  pollFeedback(): EspFeedback | undefined {
    if (this.#feedbackHead >= this.#feedback.length) return undefined;
    const item = this.#feedback[this.#feedbackHead];
    this.#feedback[this.#feedbackHead++] = undefined;
    if (this.#feedbackHead === this.#feedback.length) {
      // Emptied: truncate in place. A new array here cost one array and its backing store
      // for every packet of a driver that drains after each one (the simulator does).
      this.#feedback.length = 0;
      this.#feedbackHead = 0;
    }
    return item;
  }

  #pushFeedback(item: EspFeedback): void {
    if (item.kind === 'esp-seen' && this.#feedback.length - this.#feedbackHead >= this.#maxQueuedFeedback) {
      this.#feedbackOverflow++;
      return;
    }
    this.#feedback.push(item);
  }

  #path(src: Locator, dst: Locator, create: boolean): PathEntry | undefined {
    const key = locatorKey(src) + locatorKey(dst);
    let entry = this.#paths.get(key);
    if (entry === undefined && create) {
      entry = {
        path: `${formatLocator(src)}→${formatLocator(dst)}`,
        src: src.slice(),
        dst: dst.slice(),
        txPackets: 0,
        txBytes: 0,
        rxPackets: 0,
        rxBytes: 0,
        drops: zeroDrops(),
      };
      this.#paths.set(key, entry);
    }
    return entry;
  }

  /** True when this data plane skips cipher and MAC (EspDataPlaneOptions.insecureFastEsp). */
  get insecureFastEsp(): boolean {
    return this.#insecureFastEsp;
  }

  /** A snapshot of every counter. */
  stats(): EspStats {
    const sas: EspSaStats[] = [];
    for (const sa of this.#inbound.values()) sas.push(saStats(sa, 'in', sa.replay.top));
    const outs = [...this.#outBySpi.values()].flat().sort((a, b) => a.serial - b.serial);
    for (const sa of outs) sas.push(saStats(sa, 'out', sa.seq));
    const paths: Record<string, EspPathStats> = {};
    for (const p of this.#paths.values()) {
      paths[p.path] = {
        path: p.path,
        src: p.src.slice(),
        dst: p.dst.slice(),
        txPackets: p.txPackets,
        txBytes: p.txBytes,
        rxPackets: p.rxPackets,
        rxBytes: p.rxBytes,
        drops: { ...p.drops },
      };
    }
    return {
      txPackets: this.#txPackets,
      txBytes: this.#txBytes,
      rxPackets: this.#rxPackets,
      rxBytes: this.#rxBytes,
      drops: { ...this.#drops },
      feedbackOverflow: this.#feedbackOverflow,
      sas,
      paths,
    };
  }
}

function saStats(sa: SaCommon, direction: 'in' | 'out', seq: number): EspSaStats {
  return {
    spi: sa.spi,
    direction,
    peerHit: sa.peerHit.slice(),
    suite: sa.suite,
    packets: sa.packets,
    bytes: sa.bytes,
    seq,
    drops: { ...sa.drops },
  };
}

function makeView(sa: OutSa): OutboundSaView {
  return Object.freeze({
    spi: sa.spi,
    peerHit: sa.peerHit,
    localHit: sa.localHit,
    src: sa.src,
    dst: sa.dst,
    suite: sa.suite,
    preferred: sa.preferred,
    installSerial: sa.serial,
    creditLimited: sa.creditLimited,
  });
}

function refreshUsable(peer: PeerEntry): void {
  const live = peer.sas.filter((o) => o.seq < ESP_SEQ_MAX);
  // RFC 8046 §5.6.1: an ACTIVE destination is used whenever one exists.
  const verified = live.filter((o) => !o.creditLimited);
  peer.usable = Object.freeze((verified.length > 0 ? verified : live).map((o) => o.view));
  peer.ctx = Object.freeze({ peerHit: peer.hit, sas: peer.usable });
}

function bool(value: unknown, field: string, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  if (typeof value !== 'boolean') throw new TypeError(`"${field}" expected boolean`);
  return value;
}

/**
 * The map key of a 16-byte HIT: its eight 16-bit words as one 8-character string. Internal to the
 * data plane (never shown); cheaper than hex, which every protect would pay for.
 */
function hitMapKey(h: Hit): string {
  return String.fromCharCode(
    (h[0]! << 8) | h[1]!,
    (h[2]! << 8) | h[3]!,
    (h[4]! << 8) | h[5]!,
    (h[6]! << 8) | h[7]!,
    (h[8]! << 8) | h[9]!,
    (h[10]! << 8) | h[11]!,
    (h[12]! << 8) | h[13]!,
    (h[14]! << 8) | h[15]!,
  );
}

/**
 * Two 16-byte arrays (HITs, locators) hold the same bytes. The data plane's own copy of the
 * generic `equalBytes`, so that its per-packet calls see only the arrays of the data plane and
 * stay fast; the last bytes differ first most often (addresses and HITs are public, so an early
 * exit is fine).
 */
function same16(a: Uint8Array, b: Uint8Array): boolean {
  if (b.length !== 16) return false;
  for (let i = 15; i >= 0; i--) if (a[i] !== b[i]) return false;
  return true;
}

function hex32(n: number): string {
  return n.toString(16).padStart(8, '0');
}

/** The SPI of an ESP packet (for demultiplexing), or undefined if it is too short. */
export function espSpi(bytes: Uint8Array): number | undefined {
  return bytes.length < 8 ? undefined : readU32(bytes, 0);
}

/** Validates an SA's UDP ports (RFC 9028 §5.11) and returns a private copy. */
function checkUdp(udp: UdpPorts | undefined): UdpPorts | undefined {
  if (udp === undefined) return undefined;
  if (typeof udp !== 'object' || udp === null) throw new TypeError('"sa.udp" expected { srcPort, dstPort }');
  aint(udp.srcPort, 'sa.udp.srcPort', 1, 0xffff);
  aint(udp.dstPort, 'sa.udp.dstPort', 1, 0xffff);
  return { srcPort: udp.srcPort, dstPort: udp.dstPort };
}
