// Association states (RFC 7401 §4.4.2) as a discriminated union; each variant carries only what
// is valid in that state (docs/architecture.md, States and timers). UNASSOCIATED has no variant: an association in it does
// not exist in the engine's table.
import type { DirectionKeys } from '../crypto/keymat.js';
import type { DhGroupId, HashId, HipCipherId } from '../crypto/provider.js';
import type { EspSuiteId, Locator, Millis } from '../types.js';
import type { RelayedFrom } from './relay.js';

/** Association states of RFC 7401 §4.4.2. */
export type StateName = 'UNASSOCIATED' | 'I1_SENT' | 'I2_SENT' | 'R2_SENT' | 'ESTABLISHED' | 'CLOSING' | 'CLOSED' | 'E_FAILED';

/** HIP association keys and what both hosts keep for later KEYMAT use (RFC 7401 §6.5, RFC 7402 §7). */
export type HipKeys = {
  /** RHASH: the hash of the Responder's HIT suite; HIP_MAC and KEYMAT use it. */
  readonly rhash: HashId;
  readonly hipCipher: HipCipherId;
  /**
   * Our HIP_MAC key (HIP-gl or HIP-lg integrity, §6.5) and the peer's. The HIP encryption keys
   * are used only for the I2's ENCRYPTED and are not kept, except in an ICE-HIP-UDP association.
   */
  readonly macOut: Uint8Array;
  readonly macIn: Uint8Array;
  /**
   * ICE-HIP-UDP only: our HIP encryption key and the peer's (§6.5), for the ENCRYPTED
   * LOCATOR_SET of a mobility handover after the base exchange (RFC 9028 §4.9 step 1).
   */
  readonly encOut?: Uint8Array;
  readonly encIn?: Uint8Array;
  /**
   * #I | #J, the HKDF salt of every KEYMAT of this association (§6.5: "Both hosts have to store
   * #I and #J"); each is RHASH-length.
   */
  readonly salt: Uint8Array;
  readonly dhGroup: DhGroupId;
};

/** One ESP SA pair as the engine tracks it. SPIs are each side's inbound SPI. */
export type SaPair = {
  readonly localSpi: number;
  readonly peerSpi: number;
  readonly suite: EspSuiteId;
  /** KEYMAT index at which this pair's ESP keys were drawn (RFC 7402 §6.2). */
  readonly keymatIndex: number;
  readonly localLocator: Locator;
  readonly peerLocator: Locator;
  /** The peer locator is UNVERIFIED and used within credit (RFC 8046 §5.6). */
  readonly creditLimited?: boolean;
  /** The outbound SA the data plane should prefer (our P-bit locator, RFC 8047 §5.1). */
  readonly preferred?: boolean;
};

/**
 * An UPDATE with SEQ this host sent and retransmits until it is ACKed (RFC 7401 §6.11). Several
 * may be outstanding (§6.11 allows it): a rekey, a LOCATOR_SET announcement, and one address
 * check per new peer locator.
 */
export type PendingUpdate = {
  readonly updateId: number;
  readonly bytes: Uint8Array;
  readonly src: Locator;
  readonly dst: Locator;
  readonly retries: number;
  readonly nextAt: Millis;
  /**
   * What the UPDATE is for. An address check ('verify') that is never answered deprecates that
   * locator (RFC 8046 §5.4); any other unanswered UPDATE fails the association.
   */
  readonly purpose: 'rekey' | 'locators' | 'new-sa' | 'verify' | 'deprecate-sa' | 'registration' | 'handover';
  /** For 'verify': the ECHO_REQUEST_SIGNED nonce and the peer locator being checked. */
  readonly verify?: { readonly nonce: Uint8Array; readonly locatorKey: string };
  /**
   * Sent through our Control Relay Server, answering a packet it relayed (RFC 9028 §4.5, §4.8):
   * its retransmissions take the same way (RFC 9028 §4.9 step 3 to a peer that moved).
   */
  readonly via?: RelayedFrom;
};

/**
 * An ESP rekey in progress (RFC 7402 §6.8-§6.10). It finalizes once our ESP_INFO has been ACKed
 * and the peer's ESP_INFO has arrived, in whichever order.
 */
export type RekeyState = {
  /** A rekey replaces a pair; 'new-sa' (OLD SPI 0, RFC 8047 §4.2.4) adds one. */
  readonly kind: 'rekey' | 'new-sa';
  /** The SA pair being replaced (0 for a new pair). */
  readonly oldLocalSpi: number;
  readonly oldPeerSpi: number;
  readonly newLocalSpi: number;
  /** KEYMAT Index we sent (0 with a new DH). */
  readonly sentIndex: number;
  /** Our new DH key pair when the rekey carries DIFFIE_HELLMAN. */
  readonly dh: { readonly privateKey: Uint8Array; readonly publicValue: Uint8Array } | undefined;
  /** Update ID of the UPDATE that carried our ESP_INFO, and whether the peer ACKed it. */
  readonly updateId: number;
  readonly acked: boolean;
  /** The peer's ESP_INFO (and DH public value) once received. */
  readonly peer: { readonly newSpi: number; readonly index: number; readonly dhPublic: Uint8Array | undefined } | undefined;
  /** Set when our new inbound SA was installed before finalization (the responding side). */
  readonly early: { readonly kij: Uint8Array; readonly index: number; readonly keys: { readonly in: DirectionKeys; readonly out: DirectionKeys } } | undefined;
  /** Locators and suite of the resulting pair (a rekey keeps the replaced pair's). */
  readonly localLocator: Locator;
  readonly peerLocator: Locator;
  readonly suite: EspSuiteId;
};

export type UpdateState = {
  /** Next Update ID for our SEQ (RFC 7401 §5.2.5). */
  readonly nextUpdateId: number;
  /** Highest peer Update ID processed (§6.12: replay protection). */
  readonly lastPeerUpdateId: number | undefined;
  /** Peer Update IDs processed recently (RFC 7401 §6.12: duplicates are ACKed, not reprocessed). */
  readonly seenPeerIds: readonly number[];
  /** The Update ID `lastAckBytes` answers. */
  readonly lastAckFor: number | undefined;
  /**
   * The UPDATE we sent in reply to `lastAckFor`, sent again when the peer retransmits it. An
   * owned copy (copyBytes): a built packet is a view of a 16 KiB slab (wire/pool.ts), and this
   * reply is kept for the association's life.
   */
  readonly lastAckBytes: { readonly bytes: Uint8Array; readonly src: Locator; readonly dst: Locator } | undefined;
  readonly pending: readonly PendingUpdate[];
  /** Next unused KEYMAT byte (RFC 7402 §6.8 step 2). */
  readonly keymatIndex: number;
  readonly rekey: RekeyState | undefined;
  /** Inbound SPIs replaced by a rekey, deleted once the grace period passes (RFC 7402 §6.10 step 4). */
  readonly retiring: readonly number[];
};

export type I1Sent = {
  readonly name: 'I1_SENT';
  readonly i1: Uint8Array;
  readonly retries: number;
  /** DH groups offered in the I1's DH_GROUP_LIST, for the downgrade check (§6.8 step 7). */
  readonly offeredGroups: readonly number[];
};

export type I2Sent = {
  readonly name: 'I2_SENT';
  readonly i2: Uint8Array;
  readonly retries: number;
  readonly r1Generation: bigint | undefined;
  readonly keys: HipKeys;
  readonly localSpi: number;
  readonly espSuite: EspSuiteId;
  /** The Responder's HOST_ID parameter exactly as received in R1, for HIP_MAC_2 (§5.2.13). */
  readonly responderHostId: Uint8Array;
  /** ESP keys drawn at `espIndex` (RFC 7402 §7); the outbound SA waits for the R2's SPI. */
  readonly espIn: DirectionKeys;
  readonly espOut: DirectionKeys;
  readonly espIndex: number;
  readonly nextKeymatIndex: number;
  /**
   * The Responder's HIP encryption key, kept only in an ICE-HIP-UDP exchange: its R2 carries
   * the LOCATOR_SET inside ENCRYPTED (RFC 9028 §4.3 step 4).
   */
  readonly peerEncKey?: Uint8Array;
};

export type R2Sent = {
  readonly name: 'R2_SENT';
  readonly r2: Uint8Array;
  /** `keys.salt` (#I | #J) also recognises a copy of the I2 that brought us here (§6.9 step 4). */
  readonly keys: HipKeys;
  readonly sa: SaPair;
  readonly nextKeymatIndex: number;
  /**
   * ICE-HIP-UDP only: the UPDATE state the Responder's connectivity checks use while it waits
   * for the Initiator's first packet (RFC 9028 §4.6: both hosts "MUST start the connectivity
   * checks" once the mode is negotiated; §4.6.1 Figure 5: the Responder's first check opens its
   * own NAT). ESTABLISHED takes it over (bex.ts completeResponder).
   */
  readonly update?: UpdateState;
};

/** A state that sends and retransmits UPDATEs with SEQ: ESTABLISHED, or an ICE-HIP-UDP R2-SENT. */
export type R2SentChecking = R2Sent & { readonly update: UpdateState };

export type Established = {
  readonly name: 'ESTABLISHED';
  readonly keys: HipKeys;
  readonly sas: readonly SaPair[];
  readonly update: UpdateState;
  /**
   * Responder side: the R2 to answer a copy of the I2 with while the Initiator may not have it
   * yet (§6.9 step 4; the copy is recognised by `keys.salt`). Once data or an UPDATE proved the
   * Initiator ESTABLISHED, the R2 bytes are let go.
   */
  readonly bex?: { readonly r2: Uint8Array };
};

export type Closing = {
  readonly name: 'CLOSING';
  readonly keys: HipKeys;
  readonly close: Uint8Array;
  readonly nonce: Uint8Array;
  readonly retries: number;
  readonly since: Millis;
  /** Why we are closing: the `close` command or UAL expiry (reported in the `closed` event). */
  readonly cause: 'local' | 'lifetime';
};

export type Closed = {
  readonly name: 'CLOSED';
  readonly keys: HipKeys;
  readonly since: Millis;
};

export type EFailed = {
  readonly name: 'E_FAILED';
};

export type AssocState = I1Sent | I2Sent | R2Sent | Established | Closing | Closed | EFailed;

/** The HIP keys of an association that has them and may relay with them: R2-SENT or ESTABLISHED. */
export function establishedKeys(st: AssocState): HipKeys | undefined {
  return st.name === 'ESTABLISHED' || st.name === 'R2_SENT' ? st.keys : undefined;
}
