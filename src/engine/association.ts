// One HIP association: the identities and addresses it binds, its state (written only by
// transitions.ts) and its timers.
import type { HostIdentity } from '../crypto/host-id.js';
import type { PeerHostId } from '../crypto/auth.js';
import type { AssocId, Hit, Locator, Millis, SaSpec } from '../types.js';
import type { Role } from './io.js';
import type { AssocState, StateName } from './states.js';
import type { Trigger } from './transitions.js';
import type { LocatorEntry } from '../wire/types.js';
import type { PeerLocatorEntry } from './mobility.js';
import type { TokenBucket } from './rate-limit.js';
import type { RegistrationState } from './registration.js';
import { TimerTable, type TimerQueue } from './timers.js';
import type { StateCensus } from './transitions.js';
import type { CheckList } from './nat-checks.js';
import type { NatNegotiated } from './nat-negotiation.js';
import type { HandoverState } from './nat-handover.js';

/**
 * The peer locator table: a handful of entries per peer (capped by config.maxPeerLocators), so a
 * plain array with the part of the Map API the engine uses; an idle association stays small.
 */
export class LocatorTable {
  private readonly entries: PeerLocatorEntry[] = [];

  get(key: string): PeerLocatorEntry | undefined {
    return this.entries.find((e) => e.key === key);
  }
  /**
   * The entry of `locator` (a 16-byte locator), found by its bytes: no key string is built, so
   * the per-packet path of ESP feedback allocates nothing (docs/architecture.md, The driving
   * contract). The table holds a bounded handful of entries (maxPeerLocators).
   */
  byLocator(locator: Locator): PeerLocatorEntry | undefined {
    // Addresses are public: an early exit is fine, and the last bytes differ first most often.
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      const a = e.locator;
      if (a.length !== locator.length) continue;
      let j = a.length - 1;
      while (j >= 0 && a[j] === locator[j]) j--;
      if (j < 0) return e;
    }
    return undefined;
  }
  has(key: string): boolean {
    return this.get(key) !== undefined;
  }
  set(key: string, entry: PeerLocatorEntry): void {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i >= 0) this.entries[i] = entry;
    else this.entries.push(entry);
  }
  values(): readonly PeerLocatorEntry[] {
    return this.entries;
  }
  delete(key: string): void {
    const i = this.entries.findIndex((e) => e.key === key);
    if (i >= 0) this.entries.splice(i, 1);
  }
  get size(): number {
    return this.entries.length;
  }
}

export class Association {
  readonly id: AssocId;
  /** Our identity; changes only when an R1 asks for another HIT suite (RFC 7401 §6.8 step 6). */
  local: HostIdentity;
  readonly peerHit: Hit;
  role: Role;
  /** Written only by transitions.ts. */
  state: AssocState;
  /** The engine's count of associations per state, kept by transitions.ts. */
  readonly census: StateCensus;
  /** Set by the engine when it traces: transitions.ts reports state changes here. */
  onStateChange: ((from: StateName, trigger: Trigger, to: StateName) => void) | undefined = undefined;
  /** Deadlines by kind; queued in the engine's TimerQueue. */
  readonly timers: TimerTable;
  /** The peer's Host Identity once learned from R1 or I2 (verifies its signatures). */
  peerHostId: PeerHostId | undefined;
  /**
   * Kij of the base exchange (or of the last DH rekey). The KEYMAT is recomputed from it when a
   * rekey draws new ESP keys, rather than kept: an idle association stays small.
   */
  kij: Uint8Array | undefined;
  /** Current address pair used for HIP control traffic. */
  localLocator: Locator;
  peerLocator: Locator;
  /** Last time a packet was sent or received on this association (UAL, RFC 7401 §4.4.3 Table 6). */
  lastActivity: Millis;
  /** R1 generation counter of the last R1 answered (§6.8 step 11). */
  r1Generation: bigint | undefined;
  /** The peer locator table (RFC 8046 §5.1), keyed by locatorKey. */
  readonly peerLocators = new LocatorTable();
  /** What we last announced, to send a LOCATOR_SET only when it changes. */
  lastAnnounced: string | undefined;
  /**
   * Our locators the caller reported failing toward this peer (`path-error`, RFC 8047 §4.2.3):
   * not used as sources and not announced as preferred until our locators change. Usually
   * undefined; at most one entry per local locator.
   */
  failedLocals: Set<string> | undefined = undefined;
  /**
   * The peer SPIs of SA pairs we deprecated ourselves (RFC 8047 §5.2 case 4), the last few: the
   * peer may deprecate the same pair at the same time. Usually undefined.
   */
  retiredPeerSpis: number[] | undefined = undefined;
  /** An R1 went to this peer after the association was ESTABLISHED (a restart may follow). */
  r1SinceEstablished = false;
  /**
   * #I | #J of the incarnations a peer restart replaced, while their I2s could still be
   * accepted (RFC 7401 §6.9 step 7): copies of those I2s are replays. Usually undefined.
   */
  retiredSalts: readonly { readonly salt: Uint8Array; readonly until: Millis }[] | undefined;
  /** A LOCATOR_SET received in R1, I2 or R2, applied when the association is ESTABLISHED. */
  bexLocators:
    | {
        readonly from: 'R1' | 'I2' | 'R2';
        readonly locators: readonly LocatorEntry[];
        /** The type 2 locators of an ICE-HIP-UDP exchange, from inside ENCRYPTED (RFC 9028 §4.3, §5.7). */
        readonly candidates?: readonly LocatorEntry[];
      }
    | undefined;
  /** UPDATE processing rate limit (RFC 8046 §6, RFC 8047 §6); created on first use. */
  updateBucket: TokenBucket | undefined;
  /** SAs emitted with `add` and not yet deleted, without their keys (a handful: a plain array). */
  installed: SaSpec[] = [];
  /** Registrations with the peer, either side (RFC 8003, registration.ts); created on first use. */
  registrations: RegistrationState | undefined = undefined;
  /**
   * The association runs over UDP (RFC 9028 §5.1, §5.11): our port and the peer's. HIP packets
   * and ESP SAs of the association then use them. Undefined on plain IP.
   */
  udp: { localPort: number; peerPort: number } | undefined = undefined;
  /**
   * The NAT traversal mode and check pacing the base exchange negotiated (RFC 9028 §4.3, §4.4;
   * nat-negotiation.ts). Undefined: none was negotiated.
   */
  nat: NatNegotiated | undefined = undefined;
  /** ICE-HIP-UDP connectivity checks of this association (RFC 9028 §4.6, nat-checks.ts). */
  checks: CheckList | undefined = undefined;
  /** ICE-HIP-UDP mobility handover state (RFC 9028 §4.9, nat-handover.ts); usually undefined. */
  natHandover: HandoverState | undefined = undefined;
  /** When we last sent a HIP packet on the association's UDP ports (NAT keepalives, RFC 9028 §4.10). */
  udpSentAt: Millis | undefined = undefined;

  constructor(init: {
    id: AssocId;
    local: HostIdentity;
    peerHit: Hit;
    role: Role;
    state: AssocState;
    localLocator: Locator;
    peerLocator: Locator;
    now: Millis;
    timerQueue: TimerQueue;
    census: StateCensus;
  }) {
    this.id = init.id;
    this.timers = new TimerTable(init.timerQueue, init.id);
    this.census = init.census;
    this.local = init.local;
    this.peerHit = init.peerHit;
    this.role = init.role;
    this.state = init.state;
    this.localLocator = init.localLocator;
    this.peerLocator = init.peerLocator;
    this.lastActivity = init.now;
    this.peerHostId = undefined;
    this.kij = undefined;
    this.r1Generation = undefined;
    this.lastAnnounced = undefined;
    this.updateBucket = undefined;
    this.bexLocators = undefined;
    this.retiredSalts = undefined;
  }

  get localHit(): Hit {
    return this.local.hit;
  }
}
