// Public types of the userspace ESP data plane (RFC 4303 in the BEET mode of RFC 7402).
import type { EspSuiteId, Hit, Locator, RandomSource, UdpPorts } from '../types.js';

/**
 * Why a packet was not protected or not accepted. Remote input never throws: it is dropped and
 * counted under one of these (docs/architecture.md, Errors).
 *
 * Inbound (`unprotect`):
 * - `truncated`: shorter than ESP header + IV + minimal trailer + ICV of its SA (or < 8 bytes).
 * - `bad-length`: ciphertext length not a multiple of the suite's block size (16 for CBC, 4
 *   otherwise: RFC 4303 §2.4 right-aligns Pad Length and Next Header on a 4-byte word).
 * - `unknown-spi`: no inbound SA with that SPI (RFC 4303 §3.4.2).
 * - `too-old`: sequence number left of the anti-replay window, or 0 (RFC 4303 §3.4.3).
 * - `replay`: duplicate inside the window (RFC 4303 §3.4.3).
 * - `bad-icv`: integrity check failed (RFC 4303 §3.4.4).
 * - `bad-padding`: authenticated, but Pad Length too large or pad bytes not 1, 2, 3, ...
 *   (RFC 4303 §2.4 default padding).
 *
 * Outbound (`protect`):
 * - `no-sa`: no usable outbound SA for that peer HIT (or `opts.spi` is not one of them).
 * - `seq-exhausted`: every outbound SA of the peer has sent sequence number 2^32-1; ESP must not
 *   cycle the counter (RFC 4303 §3.3.3), a rekey is needed.
 * - `policy-refused`: the outbound policy returned `undefined`.
 * - `too-large`: the ESP packet would exceed `maxPacketBytes`.
 */
export type EspDropReason =
  | 'truncated'
  | 'bad-length'
  | 'unknown-spi'
  | 'too-old'
  | 'replay'
  | 'bad-icv'
  | 'bad-padding'
  | 'no-sa'
  | 'seq-exhausted'
  | 'policy-refused'
  | 'too-large'
  /** RFC 8046 §5.6: the SA's destination is UNVERIFIED and the peer's credit is too low. */
  | 'no-credit';

/** Every {@link EspDropReason}, in a fixed order: the keys of {@link EspDropCounts}. */
export const ESP_DROP_REASONS: readonly EspDropReason[] = [
  'truncated',
  'bad-length',
  'unknown-spi',
  'too-old',
  'replay',
  'bad-icv',
  'bad-padding',
  'no-sa',
  'seq-exhausted',
  'policy-refused',
  'too-large',
  'no-credit',
];

/** One outbound SA as the outbound policy sees it. Owned by the data plane: do not mutate. */
export type OutboundSaView = {
  readonly spi: number;
  readonly peerHit: Hit;
  readonly localHit: Hit;
  /** Our locator (outer source address). */
  readonly src: Locator;
  /** The peer's locator (outer destination address). */
  readonly dst: Locator;
  readonly suite: EspSuiteId;
  /** Marked by `setPreferred(spi)`; at most one per peer. */
  readonly preferred: boolean;
  /** Increases with every `addSa` on this data plane: larger is more recently installed. */
  readonly installSerial: number;
  /**
   * The destination is an UNVERIFIED locator (engine `creditLimited`): packets go out only within
   * the peer's credit (RFC 8046 §5.6). Policies see such SAs only when no other SA is left.
   */
  readonly creditLimited: boolean;
};

/**
 * What an {@link OutboundPolicy} chooses from: the peer, the caller's flow key and the usable
 * outbound SAs. Without a flow key the data plane hands the same frozen object to every call for
 * one peer (its `peerHit` is the data plane's copy), until the peer's SAs change: read it, do
 * not keep it.
 */
export type OutboundPolicyContext = {
  readonly peerHit: Hit;
  /** The caller's flow key from `protect(..., { flowKey })`, if any. */
  readonly flowKey?: string;
  /** The peer's outbound SAs that can still send, oldest installed first; never empty. */
  readonly sas: readonly OutboundSaView[];
};

/**
 * Chooses the outbound SA (and so the locator pair) for one packet. Must return one of
 * `ctx.sas` (anything else is a caller bug and throws) or `undefined` to refuse the packet
 * (`policy-refused`). Must be pure and fast: it runs for every packet.
 */
export type OutboundPolicy = (ctx: OutboundPolicyContext) => OutboundSaView | undefined;

/** Options of `EspDataPlane.protect`. */
export type ProtectOptions = {
  /** Next Header of the inner payload (RFC 4303 §2.6), e.g. 17 UDP. Default 59 (no next header). */
  readonly nextHeader?: number;
  /** Flow identifier for flow-aware policies such as `spreadFlows`. */
  readonly flowKey?: string;
  /** Force this outbound SPI of the peer instead of asking the policy. */
  readonly spi?: number;
  /** Current time, for credit aging (RFC 8046 §5.6.2). Without it credit does not age. */
  readonly now?: number;
};

/** An ESP packet to send (RFC 4303 §2) and the outer addresses of its SA. */
export type EspPacket = {
  readonly spi: number;
  readonly seq: number;
  /** Outer source (our locator); the SA's own array, do not mutate. */
  readonly src: Locator;
  /** Outer destination (the peer's locator); the SA's own array, do not mutate. */
  readonly dst: Locator;
  /** The ESP packet: SPI ‖ Seq ‖ IV ‖ ciphertext ‖ ICV (a fresh array). */
  readonly bytes: Uint8Array;
  /**
   * The SA's UDP ports: send the packet UDP-encapsulated from `srcPort` to `dstPort` (RFC 9028
   * §5.11, RFC 3948); undefined for plain ESP (IP protocol 50).
   */
  readonly udp?: UdpPorts | undefined;
};

/**
 * What `EspDataPlane.protect` returns: the packet to send, or the {@link EspDropReason} why
 * nothing was sent (e.g. no SA, no credit towards an unverified address, RFC 8046 §5.6).
 */
export type ProtectResult =
  | { readonly ok: true; readonly packet: EspPacket }
  | { readonly ok: false; readonly reason: EspDropReason };

/**
 * What `EspDataPlane.unprotect` returns: the decrypted payload with its SA and BEET addresses, or
 * why the packet was dropped (counted in {@link EspStats}).
 */
export type UnprotectResult =
  | {
      readonly ok: true;
      readonly spi: number;
      readonly seq: number;
      /** BEET inner source address (RFC 7402 §3): the SA's peer HIT. */
      readonly peerHit: Hit;
      /** BEET inner destination address: the SA's local HIT. */
      readonly localHit: Hit;
      readonly nextHeader: number;
      /** The inner payload (a fresh array, never an alias of the input). */
      readonly payload: Uint8Array;
      /** Outer addresses the packet arrived with, as the caller passed them. */
      readonly src: Locator;
      readonly dst: Locator;
    }
  | { readonly ok: false; readonly reason: EspDropReason; readonly spi?: number };

/**
 * Data-plane feedback for the engine, drained with `pollFeedback()`. Both variants are
 * structurally valid engine inputs (`esp-seen` carries an extra `bytes` size).
 */
export type EspFeedback =
  /**
   * An inbound packet authenticated on `spi`, arriving from `src` to `dst` (RFC 8046 §5.4-5.6).
   * `src` and `dst` are the data plane's copies of the path's addresses, shared by every entry
   * of that path: read-only.
   */
  | { readonly kind: 'esp-seen'; readonly spi: number; readonly src: Locator; readonly dst: Locator; readonly bytes: number; readonly udp?: UdpPorts | undefined }
  /** Outbound `spi` crossed `seqSoftLimit`: ask the engine for a rekey. Once per SA. */
  | { readonly kind: 'esp-seq-exhausting'; readonly spi: number };

/** Packets dropped, by reason. */
export type EspDropCounts = Readonly<Record<EspDropReason, number>>;

/** Counters of one SA, as `EspDataPlane.stats()` reports them. */
export type EspSaStats = {
  readonly spi: number;
  readonly direction: 'in' | 'out';
  readonly peerHit: Hit;
  readonly suite: EspSuiteId;
  readonly packets: number;
  readonly bytes: number;
  /** Outbound: last sequence number sent. Inbound: highest authenticated sequence number. */
  readonly seq: number;
  readonly drops: EspDropCounts;
};

/** Counters of one address pair (outer source → destination), for multihoming (RFC 8047). */
export type EspPathStats = {
  /** `formatLocator(src)→formatLocator(dst)`, as sent (outbound) or received (inbound). */
  readonly path: string;
  readonly src: Locator;
  readonly dst: Locator;
  readonly txPackets: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly rxBytes: number;
  readonly drops: EspDropCounts;
};

/**
 * What `EspDataPlane.stats()` returns: totals, drops by reason, and per-SA and per-path counters.
 */
export type EspStats = {
  readonly txPackets: number;
  readonly txBytes: number;
  readonly rxPackets: number;
  readonly rxBytes: number;
  /** Every drop, whatever SA or path it was attributed to. */
  readonly drops: EspDropCounts;
  /** `esp-seen` entries discarded because the feedback queue was full. */
  readonly feedbackOverflow: number;
  /** Live SAs, inbound first, in installation order. */
  readonly sas: readonly EspSaStats[];
  /** Per path, keyed by `formatLocator(src)→formatLocator(dst)`. */
  readonly paths: Readonly<Record<string, EspPathStats>>;
};

/** Options of the {@link EspDataPlane} constructor. */
export type EspDataPlaneOptions = {
  /** Randomness for CBC IVs (RFC 3602) and the per-SA AES-GCM IV prefix. */
  readonly random: RandomSource;
  /**
   * Accept authentication-only SAs (suite 7, NULL + HMAC-SHA-256). Off by default: RFC 7402
   * §5.1.2 forbids accepting it unless policy explicitly allows it.
   * @defaultValue false
   */
  readonly allowAuthOnly?: boolean;
  /**
   * Anti-replay window in packets (RFC 4303 §3.4.3: 64 "SHOULD be employed as the default");
   * 0 disables it; at most 65536.
   * @defaultValue 64
   */
  readonly replayWindow?: number;
  /**
   * Outbound sequence number at which `esp-seq-exhausting` is signalled (once per SA).
   * Default 2^32 - 2^24: about 16.7 million packets of headroom (minutes at 1 Gbit/s) for the
   * rekey UPDATE exchange before the hard stop at 2^32 - 1 (RFC 4303 §3.3.3: the counter never
   * cycles; RFC 7402 §6.8: rekey before it runs out).
   * @defaultValue 4278190080
   */
  readonly seqSoftLimit?: number;
  /**
   * Outbound SA selection among a peer's usable SAs (RFC 8047 §4.3: a host may have several SAs
   * with a peer; which one a packet takes is local policy).
   * @defaultValue `preferredPath`
   */
  readonly policy?: OutboundPolicy;
  /**
   * Emit `esp-seen` feedback: the engine needs it to leave R2-SENT (RFC 7401 §4.4.3) and to
   * verify addresses by data (RFC 8046 §5.4).
   * @defaultValue true
   */
  readonly seenFeedback?: boolean;
  /**
   * Queued feedback cap; further `esp-seen` entries are counted and discarded (bounded state
   * under a flood of valid ESP, RFC 8046 §6.2.2).
   * @defaultValue 4096
   */
  readonly maxQueuedFeedback?: number;
  /**
   * Largest ESP packet `protect` builds: the IPv6 payload length limit (RFC 8200 §3).
   * @defaultValue 65535
   */
  readonly maxPacketBytes?: number;
  /**
   * Credit aging (RFC 8046 §5.6.2): credit is multiplied by `factor` every `intervalMs`.
   * @defaultValue `{ factor: 7 / 8, intervalMs: 5000 }`
   */
  readonly creditAging?: { readonly factor: number; readonly intervalMs: number };
  /**
   * INSECURE, for simulations only: skip the cipher and the MAC of every SA. Packets keep the
   * layout and size of the SA's suite (SPI, sequence number, IV field, padding, trailer and ICV
   * field), and SPIs, sequence numbers, anti-replay (RFC 4303 §3.4.3), credit (RFC 8046 §5.6) and
   * all counters work as usual; but the payload travels in the clear, the IV field is zero and
   * the ICV field holds a keyless 32-bit checksum (it catches a simulated link's corruption as
   * `bad-icv`, and nothing else: anyone can forge it). For studies where the data plane's
   * cryptography is not under test. Never enable it on a real network.
   * @defaultValue false
   */
  readonly insecureFastEsp?: boolean;
};

/** Options of `EspDataPlane.addSa` for one SA. */
export type AddSaOptions = {
  /** Anti-replay window for this inbound SA; default the data plane's `replayWindow`. */
  readonly replayWindow?: number;
  /**
   * Outbound only: the last sequence number already used (default 0, so the first packet
   * carries 1). For tests of exhaustion and for moving a live SA between data planes; never
   * lower it for an SA whose key has already been used.
   */
  readonly initialSeq?: number;
};
