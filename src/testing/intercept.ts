// Packet interceptors for targeted simulator tests (docs/architecture.md, Simulator; after rustls
// `transfer_altered` and quinn `delay_outbound`). An interceptor sees every packet a host sends,
// before it enters a link, and returns a verdict:
//
//   'pass' (or undefined)      let it through unchanged
//   'drop'                     it never reaches the link (traced as a drop, reason=intercept)
//   { replace: bytes }         send these bytes instead (later interceptors see them)
//   { delayMs: n }             every delivered copy arrives n ms later than the link says
//   { duplicate: n }           n extra copies arrive together with the original
//
// The object form may combine replace, delayMs and duplicate. Interceptors run in registration
// order; 'drop' stops the chain.
import type { Locator, Millis, UdpPorts } from '../types.js';
import type { PacketKind } from '../wire/constants.js';
import { writeHipChecksum } from '../wire/header.js';
import type { HipPacket, HipParam } from '../wire/types.js';

/**
 * HIP packet kinds plus 'ESP' for data-plane packets, 'KEEPALIVE' for an RFC 3948 NAT-keepalive
 * byte and 'UDP' for any other UDP payload (RFC 9028 §5: both only from `SimHost.sendUdp`).
 */
export type SimPacketKind = PacketKind | 'ESP' | 'KEEPALIVE' | 'UDP';

/** What an {@link Interceptor} knows about a packet a simulated host sends. */
export type InterceptContext = {
  /** Virtual time of the send. */
  readonly now: Millis;
  /**
   * 'hip' for HIP control packets (IP protocol 139, or UDP with the RFC 9028 zero marker), 'esp'
   * for ESP (protocol 50, or UDP), 'udp' for other UDP payloads (keepalives, `SimHost.sendUdp`).
   */
  readonly proto: 'hip' | 'esp' | 'udp';
  /**
   * The UDP ports when the packet travels UDP-encapsulated (RFC 9028 §5.1, §5.11), as the host
   * sends it (before any NAT). `bytes` is then still the bare HIP packet (the simulator adds the
   * zero marker after the interceptors) or the ESP packet.
   */
  readonly udp?: UdpPorts;
  readonly kind: SimPacketKind;
  /** The decoded HIP packet (HIP only; re-decoded after a `replace`, absent if undecodable). */
  readonly packet?: HipPacket;
  /** ESP only: the SPI of the packet. */
  readonly spi?: number;
  readonly src: Locator;
  readonly dst: Locator;
  /** Sending host. */
  readonly from: string;
  /** Host that owns `dst` at send time, if any. */
  readonly to: string | undefined;
  /** `from->to` (`from->?` when no host owns dst). */
  readonly direction: string;
  /** 0-based count of earlier packets of this kind sent by `from` (all interceptors see the same). */
  readonly index: number;
};

/**
 * The object form of a verdict: send other bytes, delay every delivered copy, add copies; they
 * combine.
 */
export type InterceptAction = {
  readonly replace?: Uint8Array;
  readonly delayMs?: Millis;
  readonly duplicate?: number;
};

/**
 * An {@link Interceptor}'s answer: 'pass' (or undefined), 'drop', or an {@link InterceptAction}.
 */
export type InterceptVerdict = 'pass' | 'drop' | InterceptAction | undefined;

/**
 * A function that sees every packet a simulated host sends before it enters a link, and decides
 * what happens to it: to drop, alter, delay or duplicate one packet of an exchange in a test.
 */
export type Interceptor = (bytes: Uint8Array, ctx: InterceptContext) => InterceptVerdict;

/** Which packets a filter helper acts on; every given field must match. */
export type PacketMatch = {
  readonly kind?: SimPacketKind | readonly SimPacketKind[];
  readonly from?: string;
  readonly to?: string;
  /** Any further test on the bytes or the context. */
  readonly where?: (bytes: Uint8Array, ctx: InterceptContext) => boolean;
};

/**
 * True when the packet matches every field given in `m` (kind, sending and receiving host,
 * predicate).
 */
export function matchesPacket(m: PacketMatch, bytes: Uint8Array, ctx: InterceptContext): boolean {
  if (m.kind !== undefined) {
    const kinds: readonly SimPacketKind[] = typeof m.kind === 'string' ? [m.kind] : m.kind;
    if (!kinds.includes(ctx.kind)) return false;
  }
  if (m.from !== undefined && m.from !== ctx.from) return false;
  if (m.to !== undefined && m.to !== ctx.to) return false;
  if (m.where !== undefined && !m.where(bytes, ctx)) return false;
  return true;
}

/** Which of the matching packets {@link on} acts on. */
export type OnOptions = {
  /** Act only on these 0-based occurrences among the matching packets (default: all). */
  readonly nth?: number | readonly number[];
  /** Act at most this many times (default: unlimited). */
  readonly times?: number;
};

/**
 * An interceptor applying `action` to matching packets. Occurrences are counted per interceptor
 * over the packets that match `match`, so `on({ kind: 'R2' }, 'drop', { nth: 0 })` drops the
 * first R2 and lets every later one through.
 */
export function on(
  match: PacketMatch,
  action: InterceptVerdict | ((bytes: Uint8Array, ctx: InterceptContext) => InterceptVerdict),
  opts: OnOptions = {},
): Interceptor {
  const nth = opts.nth === undefined ? undefined : typeof opts.nth === 'number' ? [opts.nth] : opts.nth;
  let seen = 0;
  let acted = 0;
  return (bytes, ctx) => {
    if (!matchesPacket(match, bytes, ctx)) return 'pass';
    const occurrence = seen++;
    if (nth !== undefined && !nth.includes(occurrence)) return 'pass';
    if (opts.times !== undefined && acted >= opts.times) return 'pass';
    acted++;
    return typeof action === 'function' ? action(bytes, ctx) : action;
  };
}

/** Drops the first matching packet of `kind` (optionally only in one direction). */
export function dropFirst(kind: SimPacketKind, match: Omit<PacketMatch, 'kind'> = {}): Interceptor {
  return on({ ...match, kind }, 'drop', { nth: 0 });
}

/** Drops the matching packets of `kind` at the given 0-based occurrences. */
export function dropNth(kind: SimPacketKind, nth: number | readonly number[], match: Omit<PacketMatch, 'kind'> = {}): Interceptor {
  return on({ ...match, kind }, 'drop', { nth });
}

/** Delays every matching packet by `delayMs` (e.g. to deliver an ACK before the SEQ it answers). */
export function delay(match: PacketMatch, delayMs: Millis, opts: OnOptions = {}): Interceptor {
  return on(match, { delayMs }, opts);
}

/** Delivers matching packets `copies` extra times. */
export function duplicate(match: PacketMatch, copies = 1, opts: OnOptions = {}): Interceptor {
  return on(match, { duplicate: copies }, opts);
}

/** Writes the correct HIP checksum for `src` → `dst` into `bytes` (in place; returns it). */
export function fixHipChecksum(bytes: Uint8Array, src: Locator, dst: Locator): Uint8Array {
  return writeHipChecksum(bytes, src, dst);
}

/**
 * A copy of a HIP packet with one bit flipped at `offset` (bit 0 = least significant) and, by
 * default, a recomputed checksum, so that the receiver gets past the checksum and exercises the
 * MAC or signature check instead.
 */
export function flipBit(bytes: Uint8Array, ctx: Pick<InterceptContext, 'src' | 'dst'>, offset: number, bit = 0, fixChecksum = true): Uint8Array {
  if (!Number.isInteger(offset) || offset < 0 || offset >= bytes.length) throw new RangeError(`"offset" expected 0..${bytes.length - 1}, got ${offset}`);
  const out = Uint8Array.from(bytes);
  out[offset] = out[offset]! ^ (1 << (bit & 7));
  return fixChecksum ? fixHipChecksum(out, ctx.src, ctx.dst) : out;
}

/**
 * An action that flips one bit inside the value of the first parameter of `paramKind` (e.g.
 * 'HIP_MAC', 'HIP_SIGNATURE') and fixes the checksum. `byteOffset` counts from the start of the
 * parameter's contents (after Type and Length). Packets without that parameter pass.
 */
export function tamperParam(paramKind: HipParam['kind'], byteOffset = 0, bit = 0): (bytes: Uint8Array, ctx: InterceptContext) => InterceptVerdict {
  return (bytes, ctx) => {
    const p = ctx.packet?.params.find((x) => x.kind === paramKind);
    if (p?.span === undefined) return 'pass';
    const at = p.span.offset + 4 + byteOffset;
    if (at >= p.span.offset + p.span.length) return 'pass';
    return { replace: flipBit(bytes, ctx, at, bit) };
  };
}
