// The adapters the reference driver wires the engine's commands to (docs/architecture.md, Drivers). The core never
// calls them; the driver does, in the order the engine's poll() queue dictates. Every method is
// fire-and-forget: an adapter may be asynchronous inside, but the driver never awaits it.
import type { HipEvent, Output } from '../engine/io.js';
import type { Hit, Locator, Millis, PeerLocator, SaDirection, SaSpec, UdpPorts } from '../types.js';
import type { HipPacket } from '../wire/types.js';

/**
 * Sends HIP control packets. `bytes` is the packet as the engine encoded it for IP (protocol
 * 139, HIP checksum over the IP pseudo-header); a UDP transport must frame it (RFC 9028: zero
 * marker, checksum zeroed, see `encapsulateHip`). `packet` is the decoded form, for logging.
 */
export interface DatagramSocket {
  /**
   * Sends `bytes` from our locator `src` to the peer's `dst`. Fire-and-forget: a loss is HIP's to
   * retransmit (RFC 7401 §4.4.3). With `udp`, UDP-encapsulated from `udp.srcPort` to
   * `udp.dstPort` (RFC 9028 §5.1: the zero marker, then `bytes`, whose checksum is zero).
   */
  send(src: Locator, dst: Locator, bytes: Uint8Array, packet: HipPacket, udp?: UdpPorts): void;
}

/**
 * The ESP data plane as the driver sees it: installs, re-points and removes SAs. The
 * `EspDataPlane` class of `hip-engine/esp` satisfies it as it is.
 *
 * An `sa` output with op `update` (the SA moved to other locators, RFC 8046 §3.2; its keys are
 * empty) goes to `updateSa` when the adapter has it; otherwise an outbound SA is re-pointed with
 * `updateSaLocators` (inbound SAs accept packets from any locator, so they need nothing).
 */
export interface EspDataPlaneAdapter {
  /** Installs an SA: one direction of an ESP SA pair with its keys, SPI, suite and locators (RFC 7402 §3.3.1). */
  addSa(sa: SaSpec): void;
  /**
   * Removes the SA with this SPI and direction (after CLOSE, a rekey or expiry; RFC 7402 §6.10).
   */
  deleteSa(spi: number, direction: SaDirection, peerHit: Hit): void;
  /** Moves an existing SA to the locators in `sa` (RFC 8046 §3.2); `sa` has empty keys. */
  updateSa?(sa: SaSpec): void;
  /** Re-points the outbound SA `spi` to the outer addresses `src` → `dst` (RFC 8046 §3.2). */
  updateSaLocators?(spi: number, src: Locator, dst: Locator, peerHit: Hit): void;
}

/** Receives the engine's peer locator table changes (RFC 8046 §5.1 states). */
export interface LocatorSink {
  /** Adds a peer locator or changes its state (UNVERIFIED, ACTIVE, DEPRECATED; RFC 8046 §5.1). */
  upsert(peer: Hit, entry: PeerLocator): void;
  /**
   * Forgets a peer locator (it left the peer's LOCATOR_SET or its lifetime ended, RFC 8046 §5.1).
   */
  remove(peer: Hit, entry: PeerLocator): void;
}

/**
 * The clock and the single timer. `wakeAt(at, cb)` replaces any timer armed before: after it,
 * at most one timer is pending, firing `cb` at (or after) `at`; `undefined` disarms it. `now()`
 * is monotonic milliseconds on the same origin as `at`.
 */
export interface Scheduler {
  /** The current time in monotonic milliseconds, passed to the engine as `now`. */
  now(): Millis;
  /** Arms the single timer for `at` (replacing the previous one), or disarms it for `undefined`. */
  wakeAt(at: Millis | undefined, cb: () => void): void;
}

/**
 * What {@link createDriver} connects the engine to: a socket and a scheduler, optionally an ESP
 * data
 * plane, a locator sink and observers. The driver calls them in the order of the engine's outputs.
 */
export type DriverAdapters = {
  readonly socket: DatagramSocket;
  readonly scheduler: Scheduler;
  /** Where `sa` outputs go. Without it they are only observed (`onOutput`). */
  readonly esp?: EspDataPlaneAdapter;
  /** Where `locator` outputs go. */
  readonly locators?: LocatorSink;
  /** Every engine event, in order. */
  readonly onEvent?: (event: HipEvent) => void;
  /** Sees every output just before it is applied (logging, tracing). Must not throw. */
  readonly onOutput?: (output: Output, now: Millis) => void;
};
