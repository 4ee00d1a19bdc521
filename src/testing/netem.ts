// A sans-I/O one-way link model (docs/architecture.md, Simulator; after str0m netem, picoquic sim_link and
// s2n-quic-sim): `submit(pkt, now)` returns the deliveries the link makes of that packet, each
// with its arrival time and (possibly corrupted) bytes. Every random decision comes from the
// link's own PRNG stream, so a link is deterministic given its seed, and a decision is drawn only
// when the feature that needs it is enabled (turning a feature off never shifts the others).
//
// Per packet, in order:
//   1. index = number of packets submitted before it (0-based);
//   2. down (manual `setUp(false)` or inside a `down` interval)            → drop 'down'
//   3. `lossMask` bit `index` set                                          → drop 'mask'
//   4. IP size > `mtu`: with `fragmentation: false`                        → drop 'mtu'
//      otherwise the packet travels as N IP fragments (see `fragmentCount`);
//   5. `rateBps`: serialisation behind earlier packets; backlog + size > `bufferBytes` → 'queue'
//   6. loss model, drawn per fragment: an unfragmented packet lost         → drop 'loss'
//      any fragment lost                                                   → drop 'fragment'
//   7. delivered at txEnd + latencyMs + U[0, jitterMs) (+ reorderDelayMs with prob. `reorder`),
//      then with prob. `duplicate` a second copy with its own jitter; each copy is corrupted
//      with prob. `corrupt` (truncate / bit flip / byte swap).
// Whether the link is down is judged at submission: packets already in flight still arrive.
import { ownedCopy } from '../wire/pool.js';
import { isIpv4Mapped } from '../addr/locator.js';
import type { Locator, Millis, RandomSource } from '../types.js';
import { Prng, deriveSeed, type Seed } from './rng.js';

/** Gilbert–Elliott two-state loss: the state moves after each (fragment of a) packet. */
export type GilbertElliott = {
  readonly pGoodToBad: number;
  readonly pBadToGood: number;
  /** Loss probability in the bad state (default 1). */
  readonly lossInBad?: number;
  /** Loss probability in the good state (default 0). */
  readonly lossInGood?: number;
};

/** A Bernoulli loss probability, or a Gilbert–Elliott model. */
export type LossModel = number | GilbertElliott;

/** How a corrupted copy is damaged: truncated, one bit flipped, or two bytes swapped. */
export type CorruptKind = 'truncate' | 'flip' | 'swap';

/**
 * How a simulated {@link Link} treats packets: delay, jitter, reordering, loss, MTU and
 * fragmentation, rate and buffer, duplication and corruption. Every random choice comes from the
 * link's seed, so a run repeats exactly.
 */
export type LinkOptions = {
  /** Fixed one-way delay (default 0). */
  readonly latencyMs?: Millis;
  /** Extra uniform delay in [0, jitterMs) per copy (default 0). Jitter reorders packets. */
  readonly jitterMs?: Millis;
  /** Probability that a packet is held back by `reorderDelayMs` (default 0). */
  readonly reorder?: number;
  /** Extra delay of a reordered packet (default 10 ms). */
  readonly reorderDelayMs?: Millis;
  /** Random loss (default none). */
  readonly loss?: LossModel;
  /** Deterministic loss: bit i of a bigint, or i listed, drops the i-th packet submitted. */
  readonly lossMask?: bigint | readonly number[];
  /** Probability that a delivered packet is delivered twice (default 0). */
  readonly duplicate?: number;
  /** Probability that each delivered copy is corrupted (default 0). */
  readonly corrupt?: number;
  /** Havoc operations to choose from when corrupting (default all three). */
  readonly corruptKinds?: readonly CorruptKind[];
  /** Link MTU in bytes of IP packet (default unlimited; at least 68). */
  readonly mtu?: number;
  /** Model IP fragmentation of oversize packets (default true); false drops them ('mtu'). */
  readonly fragmentation?: boolean;
  /** Bottleneck rate in bits per second (default unlimited). */
  readonly rateBps?: number;
  /** Queue limit in bytes for `rateBps` (default unlimited); beyond it packets are tail-dropped. */
  readonly bufferBytes?: number;
  /** Down intervals [fromMs, toMs): packets submitted inside one are dropped ('down'). */
  readonly down?: readonly (readonly [Millis, Millis])[];
};

/**
 * A packet handed to a link. `bytes` is the IP payload (a HIP or ESP packet) when `src` is given:
 * the link adds a 20-byte (IPv4-mapped `src`) or 40-byte (IPv6) header for MTU, fragmentation
 * and rate. Without `src` the bytes are taken as the whole IP packet. `src`/`dst`/`tag` are
 * carried through to the deliveries untouched.
 */
export type LinkPacket<Tag = unknown> = {
  readonly bytes: Uint8Array;
  readonly src?: Locator;
  readonly dst?: Locator;
  readonly tag?: Tag;
  /**
   * Bytes of headers between the IP header and `bytes` that the packet also carries on the wire
   * (8 for a UDP header, RFC 768): counted for MTU, fragmentation and rate. Default 0.
   */
  readonly overheadBytes?: number;
};

/** One copy of a packet that arrives, and when. */
export type Delivery<Tag = unknown> = {
  /** Arrival time (>= the submission time). */
  readonly deliverAt: Millis;
  /** The bytes that arrive: always a fresh copy, possibly corrupted. */
  readonly bytes: Uint8Array;
  /** Submission index of the packet (0-based, per link). */
  readonly index: number;
  /** True for the extra copy made by `duplicate`. */
  readonly duplicate: boolean;
  /** Set when this copy was corrupted, naming the havoc operation applied. */
  readonly corrupted?: CorruptKind;
  /** Number of IP fragments the packet travelled as (1 when not fragmented). */
  readonly fragments: number;
  readonly src?: Locator;
  readonly dst?: Locator;
  readonly tag?: Tag;
};

/**
 * Why a link dropped a packet: the link is down, `lossMask` chose it, it exceeds the MTU without
 * fragmentation, the buffer was full, random loss, or a fragment was lost.
 */
export type DropCause = 'down' | 'mask' | 'mtu' | 'queue' | 'loss' | 'fragment';
/** Every {@link DropCause}, in a fixed order: the keys of `LinkCounters.lost`. */
export const DROP_CAUSES: readonly DropCause[] = ['down', 'mask', 'mtu', 'queue', 'loss', 'fragment'];

/**
 * What `Link.submit` decided for one packet: its deliveries (none, one, or two with a duplicate),
 * or the cause of its drop.
 */
export type LinkOutcome<Tag = unknown> = {
  readonly index: number;
  readonly deliveries: Delivery<Tag>[];
  /** Why the packet was dropped; absent when it was delivered. */
  readonly drop?: DropCause;
  /** Number of IP fragments (1 when not fragmented). */
  readonly fragments: number;
};

/** Counters of a {@link Link} since it was made. */
export type LinkCounters = {
  submitted: number;
  /** Packets delivered at least once. */
  delivered: number;
  /** Extra copies delivered by `duplicate`. */
  duplicated: number;
  /** Copies delivered corrupted. */
  corrupted: number;
  /** Packets held back by `reorder`. */
  reordered: number;
  /** Packets that travelled as more than one fragment (delivered or not). */
  fragmented: number;
  lost: Record<DropCause, number>;
};

/** The IP version a packet travels as, for header sizes and fragmentation (RFC 791, RFC 8200). */
export type IpFamily = 'ipv4' | 'ipv6';

const IPV4_HEADER = 20;
const IPV6_HEADER = 40;
const IPV6_FRAG_HEADER = 8;

/**
 * How many IP fragments an IP payload of `payloadBytes` needs on a link of `mtu`
 * (RFC 791 §2.3 / RFC 8200 §4.5): fragment payloads are multiples of 8 bytes; an IPv4 fragment
 * carries mtu − 20 rounded down to 8, an IPv6 fragment mtu − 40 − 8 rounded down to 8. With no
 * family, `payloadBytes` is the whole opaque datagram, cut into pieces of `mtu` bytes.
 * Returns 1 when the packet fits.
 */
export function fragmentCount(payloadBytes: number, mtu: number, family?: IpFamily): number {
  if (family === undefined) return payloadBytes <= mtu ? 1 : Math.ceil(payloadBytes / mtu);
  const header = family === 'ipv4' ? IPV4_HEADER : IPV6_HEADER;
  if (payloadBytes + header <= mtu) return 1;
  const per = Math.floor((mtu - header - (family === 'ipv6' ? IPV6_FRAG_HEADER : 0)) / 8) * 8;
  if (per <= 0) return Infinity;
  return Math.ceil(payloadBytes / per);
}

function familyOf(pkt: LinkPacket): IpFamily | undefined {
  if (pkt.src === undefined) return undefined;
  return isIpv4Mapped(pkt.src) ? 'ipv4' : 'ipv6';
}

function checkProb(v: unknown, field: string): number {
  if (v === undefined) return 0;
  if (typeof v !== 'number' || !(v >= 0 && v <= 1)) throw new RangeError(`"${field}" expected a probability in [0, 1], got ${String(v)}`);
  return v;
}

function checkNonNeg(v: unknown, field: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 0) || Number.isNaN(v)) throw new RangeError(`"${field}" expected a number >= 0, got ${String(v)}`);
  return v;
}

type Resolved = {
  latencyMs: number;
  jitterMs: number;
  reorder: number;
  reorderDelayMs: number;
  bernoulli: number;
  ge: Required<GilbertElliott> | undefined;
  maskBig: bigint | undefined;
  maskSet: ReadonlySet<number> | undefined;
  duplicate: number;
  corrupt: number;
  corruptKinds: readonly CorruptKind[];
  mtu: number;
  fragmentation: boolean;
  rateBps: number;
  bufferBytes: number;
  down: readonly (readonly [number, number])[];
};

function resolve(opts: LinkOptions): Resolved {
  const latencyMs = checkNonNeg(opts.latencyMs, 'latencyMs', 0);
  if (!Number.isFinite(latencyMs)) throw new RangeError('"latencyMs" expected a finite number');
  const jitterMs = checkNonNeg(opts.jitterMs, 'jitterMs', 0);
  if (!Number.isFinite(jitterMs)) throw new RangeError('"jitterMs" expected a finite number');
  const reorderDelayMs = checkNonNeg(opts.reorderDelayMs, 'reorderDelayMs', 10);
  if (!Number.isFinite(reorderDelayMs)) throw new RangeError('"reorderDelayMs" expected a finite number');
  let bernoulli = 0;
  let ge: Required<GilbertElliott> | undefined;
  if (typeof opts.loss === 'number') bernoulli = checkProb(opts.loss, 'loss');
  else if (opts.loss !== undefined) {
    if (typeof opts.loss !== 'object' || opts.loss === null) throw new TypeError('"loss" expected a probability or a Gilbert–Elliott model');
    ge = {
      pGoodToBad: checkProb(opts.loss.pGoodToBad, 'loss.pGoodToBad'),
      pBadToGood: checkProb(opts.loss.pBadToGood, 'loss.pBadToGood'),
      lossInBad: opts.loss.lossInBad === undefined ? 1 : checkProb(opts.loss.lossInBad, 'loss.lossInBad'),
      lossInGood: checkProb(opts.loss.lossInGood, 'loss.lossInGood'),
    };
  }
  let maskBig: bigint | undefined;
  let maskSet: Set<number> | undefined;
  if (typeof opts.lossMask === 'bigint') {
    if (opts.lossMask < 0n) throw new RangeError('"lossMask" expected a non-negative bigint');
    maskBig = opts.lossMask;
  } else if (opts.lossMask !== undefined) {
    if (!Array.isArray(opts.lossMask)) throw new TypeError('"lossMask" expected a bigint or an array of indices');
    maskSet = new Set();
    for (const i of opts.lossMask as readonly unknown[]) {
      if (typeof i !== 'number' || !Number.isSafeInteger(i) || i < 0) throw new RangeError(`"lossMask" expected non-negative integer indices, got ${String(i)}`);
      maskSet.add(i);
    }
  }
  const corruptKinds = opts.corruptKinds ?? ['truncate', 'flip', 'swap'];
  if (corruptKinds.length === 0 || corruptKinds.some((k) => k !== 'truncate' && k !== 'flip' && k !== 'swap')) {
    throw new RangeError('"corruptKinds" expected a non-empty list of truncate | flip | swap');
  }
  const mtu = checkNonNeg(opts.mtu, 'mtu', Infinity);
  if (mtu !== Infinity && (!Number.isInteger(mtu) || mtu < 68)) throw new RangeError(`"mtu" expected an integer >= 68, got ${mtu}`);
  const rateBps = checkNonNeg(opts.rateBps, 'rateBps', Infinity);
  if (rateBps === 0) throw new RangeError('"rateBps" expected a number > 0');
  const bufferBytes = checkNonNeg(opts.bufferBytes, 'bufferBytes', Infinity);
  const down = (opts.down ?? []).map((iv, i) => {
    const [from, to] = iv;
    if (typeof from !== 'number' || typeof to !== 'number' || Number.isNaN(from) || Number.isNaN(to) || to < from) {
      throw new RangeError(`"down[${i}]" expected [fromMs, toMs) with fromMs <= toMs`);
    }
    return [from, to] as const;
  });
  if (opts.fragmentation !== undefined && typeof opts.fragmentation !== 'boolean') throw new TypeError('"fragmentation" expected a boolean');
  return {
    latencyMs,
    jitterMs,
    reorder: checkProb(opts.reorder, 'reorder'),
    reorderDelayMs,
    bernoulli,
    ge,
    maskBig,
    maskSet,
    duplicate: checkProb(opts.duplicate, 'duplicate'),
    corrupt: checkProb(opts.corrupt, 'corrupt'),
    corruptKinds,
    mtu,
    fragmentation: opts.fragmentation ?? true,
    rateBps,
    bufferBytes,
    down,
  };
}

function emptyCounters(): LinkCounters {
  return {
    submitted: 0,
    delivered: 0,
    duplicated: 0,
    corrupted: 0,
    reordered: 0,
    fragmented: 0,
    lost: { down: 0, mask: 0, mtu: 0, queue: 0, loss: 0, fragment: 0 },
  };
}

/** One direction of a path. */
export class Link {
  /** The options the link was made with. */
  readonly options: LinkOptions;
  readonly #o: Resolved;
  readonly #rng: Prng;
  #manualUp = true;
  #geBad = false;
  #busyUntil = -Infinity;
  /** In-flight serialisations for the tail-drop backlog: [endTime, wireBytes]. */
  #queue: [number, number][] = [];
  #c: LinkCounters = emptyCounters();

  /** `rng`: the link's own stream (a Prng, a RandomSource or a seed). */
  constructor(opts: LinkOptions, rng: Prng | RandomSource | Seed) {
    this.options = opts;
    this.#o = resolve(opts);
    this.#rng = rng instanceof Prng ? rng : new Prng(rng);
  }

  /** Manually brings the link up or down (combined with the `down` schedule). */
  setUp(up: boolean): void {
    this.#manualUp = up;
  }

  /** True when a packet submitted at `now` is not dropped as 'down'. */
  isUp(now: Millis): boolean {
    if (!this.#manualUp) return false;
    for (const [from, to] of this.#o.down) if (now >= from && now < to) return false;
    return true;
  }

  /** True when the Gilbert–Elliott model is in its bad state. */
  get inBadState(): boolean {
    return this.#geBad;
  }

  /** A snapshot of the counters. */
  get counters(): LinkCounters {
    return { ...this.#c, lost: { ...this.#c.lost } };
  }

  /** The MTU in bytes (Infinity when unlimited). */
  get mtu(): number {
    return this.#o.mtu;
  }

  /** The deliveries of one packet (empty when dropped). */
  submit<Tag>(pkt: LinkPacket<Tag>, now: Millis): Delivery<Tag>[] {
    return this.transmit(pkt, now).deliveries;
  }

  /** Like `submit`, also telling the packet's index, fragment count and drop cause. */
  transmit<Tag>(pkt: LinkPacket<Tag>, now: Millis): LinkOutcome<Tag> {
    if (!(pkt?.bytes instanceof Uint8Array)) throw new TypeError('"pkt.bytes" expected Uint8Array');
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new RangeError(`"now" expected a finite number, got ${String(now)}`);
    const o = this.#o;
    const index = this.#c.submitted++;

    if (!this.isUp(now)) return this.#drop(index, 'down', 1);
    if (o.maskBig !== undefined && ((o.maskBig >> BigInt(index)) & 1n) === 1n) return this.#drop(index, 'mask', 1);
    if (o.maskSet?.has(index)) return this.#drop(index, 'mask', 1);

    const family = familyOf(pkt);
    const header = family === 'ipv4' ? IPV4_HEADER : family === 'ipv6' ? IPV6_HEADER : 0;
    const payloadLen = pkt.bytes.length + (pkt.overheadBytes ?? 0);
    const ipSize = payloadLen + header;
    let fragments = 1;
    let wireBytes = ipSize;
    if (ipSize > o.mtu) {
      if (!o.fragmentation) return this.#drop(index, 'mtu', 1);
      fragments = fragmentCount(family === undefined ? ipSize : payloadLen, o.mtu, family);
      if (!Number.isFinite(fragments)) return this.#drop(index, 'mtu', 1);
      this.#c.fragmented++;
      if (family !== undefined) {
        wireBytes = payloadLen + fragments * (header + (family === 'ipv6' ? IPV6_FRAG_HEADER : 0));
      }
    }

    // Serialisation at the bottleneck, with a tail-drop queue.
    let txEnd = now;
    if (o.rateBps !== Infinity) {
      while (this.#queue.length > 0 && this.#queue[0]![0] <= now) this.#queue.shift();
      let backlog = 0;
      for (const [, b] of this.#queue) backlog += b;
      if (backlog + wireBytes > o.bufferBytes) return this.#drop(index, 'queue', fragments);
      const start = Math.max(now, this.#busyUntil);
      txEnd = start + (wireBytes * 8 * 1000) / o.rateBps;
      this.#busyUntil = txEnd;
      this.#queue.push([txEnd, wireBytes]);
    }

    // Random loss, drawn per fragment so that bigger packets are more fragile.
    if (o.bernoulli > 0 || o.ge !== undefined) {
      let lost = false;
      for (let f = 0; f < fragments; f++) if (this.#lossDraw()) lost = true;
      if (lost) return this.#drop(index, fragments > 1 ? 'fragment' : 'loss', fragments);
    }

    const base = txEnd + o.latencyMs;
    const deliveries: Delivery<Tag>[] = [];
    let extra = 0;
    if (o.reorder > 0 && this.#rng.next() < o.reorder) {
      extra = o.reorderDelayMs;
      this.#c.reordered++;
    }
    deliveries.push(this.#copy(pkt, index, base + extra + this.#jitter(), false, fragments));
    if (o.duplicate > 0 && this.#rng.next() < o.duplicate) {
      deliveries.push(this.#copy(pkt, index, base + this.#jitter(), true, fragments));
      this.#c.duplicated++;
    }
    this.#c.delivered++;
    return { index, deliveries, fragments };
  }

  // A method, not a closure in transmit: transmit runs for every packet.
  #drop<Tag>(index: number, cause: DropCause, fragments: number): LinkOutcome<Tag> {
    this.#c.lost[cause]++;
    return { index, deliveries: [], drop: cause, fragments };
  }

  #jitter(): number {
    return this.#o.jitterMs > 0 ? this.#rng.next() * this.#o.jitterMs : 0;
  }

  #lossDraw(): boolean {
    const o = this.#o;
    if (o.ge === undefined) return this.#rng.next() < o.bernoulli;
    const ge = o.ge;
    const p = this.#geBad ? ge.lossInBad : ge.lossInGood;
    const lost = p > 0 && this.#rng.next() < p;
    const flip = this.#geBad ? ge.pBadToGood : ge.pGoodToBad;
    if (this.#rng.next() < flip) this.#geBad = !this.#geBad;
    return lost;
  }

  #copy<Tag>(pkt: LinkPacket<Tag>, index: number, deliverAt: number, duplicate: boolean, fragments: number): Delivery<Tag> {
    // A private copy, carved from the wire slab pool (a fresh Uint8Array over 64 bytes costs an
    // off-heap allocation of its own).
    let bytes: Uint8Array = ownedCopy(pkt.bytes, 0, pkt.bytes.length);
    let corrupted: CorruptKind | undefined;
    if (this.#o.corrupt > 0 && this.#rng.next() < this.#o.corrupt) {
      const r = havoc(bytes, this.#rng, this.#rng.pick(this.#o.corruptKinds));
      if (r !== undefined) {
        bytes = r.bytes;
        corrupted = r.kind;
        this.#c.corrupted++;
      }
    }
    // The common case (the simulator's: addresses, no tag, not corrupted) as one literal: the
    // spreads below build and copy three small objects per packet. Same fields, same order.
    if (corrupted === undefined && pkt.tag === undefined && pkt.src !== undefined && pkt.dst !== undefined) {
      return { deliverAt, bytes, index, duplicate, fragments, src: pkt.src, dst: pkt.dst };
    }
    return {
      deliverAt,
      bytes,
      index,
      duplicate,
      fragments,
      ...(corrupted !== undefined ? { corrupted } : {}),
      ...(pkt.src !== undefined ? { src: pkt.src } : {}),
      ...(pkt.dst !== undefined ? { dst: pkt.dst } : {}),
      ...(pkt.tag !== undefined ? { tag: pkt.tag } : {}),
    };
  }
}

/**
 * Applies one havoc operation to `bytes` (in place for flip/swap; truncation returns a shorter
 * copy) so that the result always differs from the input; returns undefined for empty input.
 * A swap over bytes that are all equal falls back to a bit flip.
 */
export function havoc(bytes: Uint8Array, rng: Prng, kind: CorruptKind): { bytes: Uint8Array; kind: CorruptKind } | undefined {
  const n = bytes.length;
  if (n === 0) return undefined;
  if (kind === 'truncate') return { bytes: bytes.slice(0, rng.int(0, n - 1)), kind };
  if (kind === 'swap') {
    const i = rng.int(0, n - 1);
    let j = rng.int(0, n - 1);
    for (let k = 0; k < n && bytes[j] === bytes[i]; k++) j = (j + 1) % n;
    if (bytes[j] !== bytes[i]) {
      const t = bytes[i]!;
      bytes[i] = bytes[j]!;
      bytes[j] = t;
      return { bytes, kind };
    }
  }
  const pos = rng.int(0, n - 1);
  bytes[pos] = bytes[pos]! ^ (1 << rng.int(0, 7));
  return { bytes, kind: 'flip' };
}

/**
 * Two independent one-way links for a path: `forward` and `reverse`, with streams
 * deriveSeed(seed, 'forward') and deriveSeed(seed, 'reverse'). `reverseOpts` defaults to `opts`.
 */
export function duplexLink(opts: LinkOptions, seed: Seed, reverseOpts: LinkOptions = opts): { forward: Link; reverse: Link } {
  return {
    forward: new Link(opts, deriveSeed(seed, 'forward')),
    reverse: new Link(reverseOpts, deriveSeed(seed, 'reverse')),
  };
}
