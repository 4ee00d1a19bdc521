// The engine-internal surface that protocol handlers (bex, update, close, notify) work with.
// HipEngine implements it; handlers never see the public API or each other's internals.
import type { HostIdentity } from '../crypto/host-id.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { Hit, LocalLocator, Locator, Millis, RandomSource, UdpPorts } from '../types.js';
import type { PacketKind } from '../wire/constants.js';
import type { Association } from './association.js';
import type { HipConfig } from './config.js';
import type { DropReason } from './errors.js';
import type { Output, Role } from './io.js';
import type { Announced, EnginePolicy } from './policy.js';
import type { R1Cache } from './r1.js';
import type { I2Load } from './load.js';
import type { AssocState } from './states.js';
import type { RegistrarTable } from './registration.js';
import type { RelayedFrom } from './relay.js';
import type { ReflexiveAddress } from './nat-candidates.js';
import type { HandoverSweep } from './nat-handover.js';

export type DropInfo = {
  readonly packetKind?: PacketKind;
  readonly src?: Locator;
  readonly assoc?: Association;
  readonly detail?: string;
};

export interface EngineCore {
  readonly config: HipConfig;
  readonly crypto: CryptoProvider;
  readonly random: RandomSource;
  readonly policy: EnginePolicy;
  readonly r1: R1Cache;
  /** I2 verification load, the puzzle policy's input (RFC 7401 §4.1.1). */
  readonly i2Load: I2Load;
  /** One token of the R1 rate limits for `src`: per source and engine-wide (RFC 7401 §6.7, §8). */
  takeR1Token(src: Locator): boolean;
  /** The time of the input being handled. */
  readonly now: Millis;
  readonly identities: readonly HostIdentity[];
  /** Local locators in preference order. */
  readonly localLocators: readonly Locator[];
  /** The same, with their attributes (interface names, tunnel, preferred). */
  localLocatorList(): readonly LocalLocator[];
  emit(out: Output): void;
  /** Reports and counts a dropped remote input (never throws). */
  drop(reason: DropReason, info: DropInfo): void;
  identityByHit(hit: Hit): HostIdentity | undefined;
  findAssoc(localHit: Hit, peerHit: Hit): Association | undefined;
  createAssoc(init: { local: HostIdentity; peerHit: Hit; role: Role; state: AssocState; localLocator: Locator; peerLocator: Locator }): Association;
  /** Moves an association to another local identity (re-indexing it); false if that pair exists. */
  moveAssoc(assoc: Association, local: HostIdentity): boolean;
  /** Removes an association from the table (it returned to UNASSOCIATED) and its SAs. */
  discardAssoc(assoc: Association): void;
  /** A fresh inbound SPI, unique in this engine and never 0 (RFC 4303 §2.1: 1-255 reserved). */
  newSpi(): number;
  /** Records which association owns an inbound SPI (esp-seen feedback finds it by SPI). */
  bindSpi(spi: number, assoc: Association): void;
  unbindSpi(spi: number): void;
  /** Records that an association sends on an outbound SPI (esp-seq-exhausting finds it by SPI). */
  bindOutboundSpi(spi: number, assoc: Association): void;
  /** Forgets it once the association no longer has an outbound SA with that SPI installed. */
  unbindOutboundSpi(spi: number, assoc: Association): void;
  /** Associations in I1-SENT, I2-SENT or R2-SENT; O(1) (a running count). */
  halfOpenCount(): number;
  /** Our locators as announced to a peer at `peer`: privacy filter, then the announce policy. */
  announced(peer: Locator): readonly Announced[];
  /** Whether our locator is in the privacy filter (`neverAnnounce`, RFC 8046 §6.4). */
  isPrivate(l: Locator): boolean;
  /** One token of the per-association UPDATE processing limit (RFC 8046 §6, RFC 8047 §6). */
  takeUpdateToken(assoc: Association): boolean;
  /** One token of the engine-wide NOTIFY rate limit (RFC 7401 §5.3.6). */
  takeNotifyToken(): boolean;
  countSent(kind: PacketKind): void;
  /** Registrations this host granted as a registrar (RFC 8003), by type and client HIT. */
  readonly registrar: RegistrarTable;
  /**
   * While an UPDATE relayed by a rendezvous server is processed: that server's address, for the
   * VIA_RVS of the reply that carries the ACK (RFC 8046 §3.2.3 step 3); undefined otherwise.
   */
  readonly relayedVia: Locator | undefined;
  /**
   * While a UDP datagram is handled (RFC 9028 §5.1): the ports it came with, so that a reply sent
   * without an association (R1, NOTIFY) goes back to them; undefined otherwise.
   */
  readonly inputUdp: UdpPorts | undefined;
  /**
   * While a UDP datagram is handled: the address it came from (with `inputUdp.srcPort`, the
   * transport address a reply to that address goes back to, RFC 9028 §5.1); undefined otherwise.
   */
  readonly inputSrc: Locator | undefined;
  /**
   * While a packet relayed by one of our Control Relay Servers is handled (RFC 9028 §4.5): the
   * server and the original sender; what we send to that sender goes through the server.
   */
  readonly relayedFrom: RelayedFrom | undefined;
  /**
   * A source of server-reflexive transport addresses (RFC 9028 §4.2) that replaces the default:
   * what our Control Relay Servers reported in REG_FROM (relay.ts `serverReflexiveCandidates`).
   * Undefined: the default.
   */
  reflexiveCandidates: (() => readonly ReflexiveAddress[]) | undefined;
  /** The announcement of our candidates to every ICE-HIP-UDP peer under way (RFC 9028 §4.9, nat-handover.ts). */
  natSweep: HandoverSweep | undefined;
  /**
   * The associations of the table, in creation order, as a live iterator (a sweep walks it a
   * batch at a time: never all of it for one packet).
   */
  allAssociations(): Iterator<Association> & Iterable<Association>;
}
