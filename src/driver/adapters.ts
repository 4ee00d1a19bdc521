// The adapters the reference driver wires the engine's commands to (DESIGN C3.8). The core never
// calls them; the driver does, in the order the engine's poll() queue dictates. Every method is
// fire-and-forget: an adapter may be asynchronous inside, but the driver never awaits it.
import type { HipEvent, Output } from '../engine/io.js';
import type { Hit, Locator, Millis, PeerLocator, SaDirection, SaSpec } from '../types.js';
import type { HipPacket } from '../wire/types.js';

/**
 * Sends HIP control packets. `bytes` is the packet as the engine encoded it for IP (protocol
 * 139, HIP checksum over the IP pseudo-header); a UDP transport must frame it (RFC 9028: zero
 * marker, checksum zeroed, see `encapsulateHip`). `packet` is the decoded form, for logging.
 */
export interface DatagramSocket {
  send(src: Locator, dst: Locator, bytes: Uint8Array, packet: HipPacket): void;
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
  addSa(sa: SaSpec): void;
  deleteSa(spi: number, direction: SaDirection, peerHit: Hit): void;
  updateSa?(sa: SaSpec): void;
  updateSaLocators?(spi: number, src: Locator, dst: Locator, peerHit: Hit): void;
}

/** Receives the engine's peer locator table changes (RFC 8046 §5.1 states). */
export interface LocatorSink {
  upsert(peer: Hit, entry: PeerLocator): void;
  remove(peer: Hit, entry: PeerLocator): void;
}

/**
 * The clock and the single timer. `wakeAt(at, cb)` replaces any timer armed before: after it,
 * at most one timer is pending, firing `cb` at (or after) `at`; `undefined` disarms it. `now()`
 * is monotonic milliseconds on the same origin as `at`.
 */
export interface Scheduler {
  now(): Millis;
  wakeAt(at: Millis | undefined, cb: () => void): void;
}

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
