// HipEngine: the public face of the engine. It holds the implementation (EngineImpl, engine.ts)
// in a #private field and forwards only the documented inputs, commands, outputs and inspection
// methods, so the handlers' internal surface (emit, drop, createAssoc, newSpi, bindSpi, ...) is
// neither in the types nor reachable at run time.
import type { AssocId, Hit, LocalLocator, Locator, Millis, PeerLocator } from '../types.js';
import type { HipConfig } from './config.js';
import { EngineImpl, type AssociationInfo, type ConnectPeer, type EngineOptions, type EngineStats } from './engine.js';
import type { RegistrationInfo } from './registration.js';
import type { Input, Output } from './io.js';

let implOf: (engine: HipEngine) => EngineImpl;

/**
 * The implementation behind a facade, for tests and tools inside this repository (forging a
 * packet with an association's keys, say). Not exported from the package entry points.
 * @internal
 */
export function engineInternals(engine: HipEngine): EngineImpl {
  return implOf(engine);
}

/**
 * A sans-I/O HIPv2 engine (RFC 7401) with ESP (RFC 7402), mobility (RFC 8046) and multihoming
 * (RFC 8047). It never reads a clock, socket or timer: every mutating call takes `now`, in
 * milliseconds on any monotonic origin.
 *
 * Driving contract (after every mutation):
 *
 * 1. Perform exactly one mutation: {@link HipEngine.handle}, {@link HipEngine.handleTimeout} or a
 *    command ({@link HipEngine.connect}, {@link HipEngine.rekey}, {@link HipEngine.close}, ...).
 * 2. Drain {@link HipEngine.poll} until it returns `undefined`, applying each output in order:
 *    `transmit` (send the bytes), `sa` (add, update or delete an ESP SA in the data plane),
 *    `locator` (peer locator table changes) and `event`.
 * 3. Read {@link HipEngine.pollTimeout} and call `handleTimeout(now)` at that time, or earlier if
 *    input arrives.
 *
 * The data plane reports back with `handle({ kind: 'esp-seen', spi, src, dst }, now)` for every
 * authenticated inbound ESP packet (at least the first one on each SA). The Responder stays in
 * R2-SENT after sending R2 until that first ESP packet, an UPDATE, or the R2-SENT timer moves it
 * to ESTABLISHED (RFC 7401 §4.4.3, Table 5).
 */
export class HipEngine {
  readonly #impl: EngineImpl;

  static {
    implOf = (engine) => engine.#impl;
  }

  /** Validates `options` (throws `TypeError`/`RangeError` naming the field) and starts at `now`. */
  constructor(options: EngineOptions, now: Millis) {
    this.#impl = new EngineImpl(options, now);
  }

  /** The resolved configuration (defaults filled in). */
  get config(): HipConfig {
    return this.#impl.config;
  }

  /** The HITs of our host identities, in the order given in `options.identities` (RFC 7401 §3). */
  get localHits(): readonly Hit[] {
    return this.#impl.identities.map((id) => id.hit);
  }

  /** The latest `now` the engine has seen (time never goes backwards: earlier values are clamped). */
  get now(): Millis {
    return this.#impl.now;
  }

  // ---- inputs ---------------------------------------------------------------------------------

  /** Handles one remote input or data-plane feedback. Bad input is dropped and reported; it never throws. */
  handle(input: Input, now: Millis): void {
    this.#impl.handle(input, now);
  }

  /** Fires every timer due at `now`; a spurious call is a no-op. */
  handleTimeout(now: Millis): void {
    this.#impl.handleTimeout(now);
  }

  // ---- commands -------------------------------------------------------------------------------

  /**
   * Starts a base exchange with `peer` (RFC 7401 §6.6) and returns the association's id.
   * Idempotent: an association that already exists (in progress or established) is returned as it
   * is. `localHit` picks one of several local identities (default: the first); `register` lists
   * registration types to request in the I2 if the R1 offers them (RFC 8003 §3.2).
   */
  connect(peer: ConnectPeer, now: Millis): AssocId {
    return this.#impl.connect(peer, now);
  }

  /**
   * Registers with the peer, a registrar, for `regTypes` by UPDATE(REG_REQUEST) (RFC 8003 §3.2),
   * refreshed before the granted lifetime ends (§5). Throws HipStateError ERR_NOT_OFFERED when
   * the peer's latest REG_INFO does not list every type (§4.3).
   */
  register(id: AssocId, regTypes: readonly number[], now: Millis): void {
    this.#impl.register(id, regTypes, now);
  }

  /** Cancels registrations with the peer: UPDATE(REG_REQUEST) with lifetime 0 (RFC 8003 §5). */
  unregister(id: AssocId, regTypes: readonly number[], now: Millis): void {
    this.#impl.unregister(id, regTypes, now);
  }

  /**
   * Sets the peer's rendezvous servers (RFC 8046 §3.2.3): an UPDATE not acknowledged is also sent
   * there, as the `updateViaRvs` policy says. Learned from an R1's VIA_RVS when the association
   * was set up through the peer's RVS; an empty list forgets them.
   */
  setPeerRvs(id: AssocId, rvs: readonly Locator[], now: Millis): void {
    this.#impl.setPeerRvs(id, rvs, now);
  }

  /**
   * Changes the registration types this host offers as a registrar (RFC 8003 §3.1, §4.2): R1s
   * carry the new REG_INFO and every established association is sent it in an UPDATE, so its
   * peer may register (or knows a service is gone). An empty list announces that no service is
   * available for now (an empty REG_INFO). Registrations already granted run until their
   * lifetime ends. Throws RangeError for a type outside the registration type table.
   *
   * Cost: O(n) in the number of associations, like `setLocalLocators` (the RFC asks for the
   * UPDATE to every associated host); every other command touches only what it names.
   */
  setRegistrarTypes(regTypes: readonly number[], now: Millis): void {
    this.#impl.setRegistrarTypes(regTypes, now);
  }

  /** The registrations of an association, as requester and as registrar (RFC 8003). */
  registrations(id: AssocId): RegistrationInfo {
    return this.#impl.registrations(id);
  }

  /** Rekeys an established association with UPDATE (RFC 7402 §6.8); `newDh` draws a fresh KEYMAT. */
  rekey(id: AssocId, now: Millis, opts: { readonly newDh?: boolean } = {}): void {
    this.#impl.rekey(id, now, opts);
  }

  /** Closes an association with CLOSE/CLOSE_ACK (RFC 7401 §5.3.8); a half-open one is abandoned. */
  close(id: AssocId, now: Millis): void {
    this.#impl.close(id, now);
  }

  /**
   * Replaces our locator list (an interface came, went, or was renumbered). Every established
   * association moves off locators we lost and announces the new set in UPDATE(ESP_INFO,
   * LOCATOR_SET, SEQ) (RFC 8046 §5.2, RFC 8047 §5.1); `rekey` also rekeys it (RFC 8046 §3.2.2).
   * `announce: false` only moves traffic off lost locators, for a caller that will announce a new
   * locator together with a new SA pair ({@link HipEngine.addSaPair}, RFC 8047 Figure 2).
   * An ICE-HIP-UDP association is told our candidates instead, in the handover UPDATE of RFC 9028
   * §4.9, once our Control Relay Servers answered (`config.natRelayRefreshWaitMs` at most);
   * `rekey` does not apply to it.
   */
  setLocalLocators(locators: readonly (Locator | LocalLocator)[], now: Millis, opts: { readonly rekey?: boolean; readonly announce?: boolean } = {}): void {
    this.#impl.setLocalLocators(locators, now, opts);
  }

  /** Adds one locator (an interface came up); the same as setLocalLocators with it added. */
  addLocalLocator(locator: Locator | LocalLocator, now: Millis, opts: { readonly announce?: boolean } = {}): void {
    this.#impl.addLocalLocator(locator, now, opts);
  }

  /** Removes our locators of one interface (by its `interface` name) or one address. */
  removeLocalLocator(which: Locator | { readonly interface: string }, now: Millis): void {
    this.#impl.removeLocalLocator(which, now);
  }

  /**
   * Asks for an extra SA pair bound to our locator `local` and the peer's `peer` (default: the
   * current peer locator), for load balancing (RFC 8047 §4.2.4, ESP_INFO with OLD SPI 0).
   * Throws `HipStateError` `ERR_NO_LOCATOR` when `local` is not ours, is announced for
   * signalling only (RFC 8046 §4.1 Traffic Type 1: it never carries ESP), or is in
   * `config.neverAnnounce` (RFC 8046 §6.4: never the source of traffic to a peer).
   */
  addSaPair(id: AssocId, paths: { readonly local: Locator; readonly peer?: Locator }, now: Millis): void {
    this.#impl.addSaPair(id, paths, now);
  }

  /**
   * The caller's signal that the path to the peer locator `peer` stopped working (RFC 8047
   * §4.2.3): traffic moves to another ACTIVE locator and the address is checked again.
   */
  pathFailed(id: AssocId, peer: Locator, now: Millis): void {
    this.#impl.pathFailed(id, peer, now);
  }

  // ---- outputs --------------------------------------------------------------------------------

  /** The next output, in the order the protocol produced them; `undefined` when drained. */
  poll(): Output | undefined {
    return this.#impl.poll();
  }

  /** The earliest timer deadline, or `undefined` when none is armed. Pure. */
  pollTimeout(): Millis | undefined {
    return this.#impl.pollTimeout();
  }

  // ---- inspection (pure) ----------------------------------------------------------------------

  /** Our locators with their attributes, as last set. */
  localLocatorList(): readonly LocalLocator[] {
    return this.#impl.localLocatorList();
  }

  /** The peer locator table of an association (RFC 8046 §5.1). */
  peerLocators(id: AssocId): readonly PeerLocator[] {
    return this.#impl.peerLocators(id);
  }

  /** A snapshot of one association, or `undefined` if there is none with this id. */
  association(id: AssocId): AssociationInfo | undefined {
    return this.#impl.association(id);
  }

  /** Snapshots of every association, in creation order. */
  associations(): readonly AssociationInfo[] {
    return this.#impl.associations();
  }

  /** The association id for a (local, peer) HIT pair, if one exists. */
  associationByHits(localHit: Hit, peerHit: Hit): AssocId | undefined {
    return this.#impl.associationByHits(localHit, peerHit);
  }

  /** Counters: packets received and sent by kind, drops by reason, associations. */
  stats(): EngineStats {
    return this.#impl.stats();
  }

  /** True when `input` is for this engine: a HIP packet to one of our HITs, or an SPI we own. */
  accepts(input: Input): boolean {
    return this.#impl.accepts(input);
  }
}
