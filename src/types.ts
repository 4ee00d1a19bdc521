// Types shared by every layer. No logic lives here (docs/architecture.md, Layers).

/** Milliseconds on an arbitrary monotonic origin chosen by the caller. */
export type Millis = number;

/** A Host Identity Tag: 16 bytes, ORCHIDv2 (RFC 7343, RFC 7401 §3). */
export type Hit = Uint8Array;

/**
 * A locator in canonical form: 16 bytes, IPv6, with IPv4 carried as IPv4-mapped IPv6
 * (::ffff:a.b.c.d), as LOCATOR_SET carries it (RFC 8046 §4). See `addr/locator.ts`. The
 * engine's inputs and commands, `EspDataPlane.unprotect` and the locator helpers also take a
 * 4-byte IPv4 address as a socket or a pcap gives it; outputs always use the 16-byte form.
 */
export type Locator = Uint8Array;

/**
 * UDP ports of a packet or an SA that travels UDP-encapsulated (RFC 9028 §5.1 control packets,
 * §5.11 ESP). Absent on the plain IP transport (HIP protocol 139, ESP protocol 50).
 */
export type UdpPorts = { readonly srcPort: number; readonly dstPort: number };

/** Kind of an ICE candidate (RFC 8445 §5.1.1; RFC 9028 §5.7 locator Kind). */
export type CandidateKind = 'host' | 'srflx' | 'prflx' | 'relayed';

/** Injected randomness: returns `n` fresh random bytes. The core never reads any other source. */
export type RandomSource = (n: number) => Uint8Array;

/** Association handle, unique within one engine. */
export type AssocId = number;

/** ESP transform suite ids of RFC 7402 §5.1.2 that hip-engine knows. */
export const ESP_SUITE = {
  AES_128_CBC_HMAC_SHA1: 1,
  NULL_HMAC_SHA256: 7,
  AES_128_CBC_HMAC_SHA256: 8,
  AES_256_CBC_HMAC_SHA256: 9,
  AES_GCM_8: 12,
  AES_GCM_16: 13,
} as const;
/** An ESP suite number (RFC 7402 §5.1.2), one of the values of `ESP_SUITE`. */
export type EspSuiteId = (typeof ESP_SUITE)[keyof typeof ESP_SUITE];

/** Whether an SA protects traffic from the peer (`in`) or to it (`out`). */
export type SaDirection = 'in' | 'out';

/**
 * One ESP security association as the engine hands it to the caller's data plane
 * (RFC 7402 §3: BEET mode, inner addresses are HITs, outer addresses are locators).
 * For an inbound SA, `src`/`dst` are the peer's and our locator the packets come from/to;
 * for an outbound SA, `src` is our locator and `dst` the peer's.
 */
export type SaSpec = {
  readonly spi: number;
  readonly direction: SaDirection;
  readonly localHit: Hit;
  readonly peerHit: Hit;
  readonly src: Locator;
  readonly dst: Locator;
  readonly suite: EspSuiteId;
  /** Encryption key (empty for NULL); for AES-GCM, key ‖ 4-byte salt (RFC 4106 §8.1). */
  readonly encKey: Uint8Array;
  /** Integrity key (empty for AES-GCM, which authenticates with its own tag). */
  readonly authKey: Uint8Array;
  /**
   * Outbound only: `dst` is an UNVERIFIED peer locator used because no ACTIVE one is left, so
   * the data plane may send to it only within the peer's credit (RFC 8046 §5.6).
   */
  readonly creditLimited?: boolean;
  /**
   * Outbound only: the SA of the path the engine prefers (our locator announced with the P bit,
   * RFC 8047 §5.1). A data plane's default policy should send on it unless it spreads flows.
   */
  readonly preferred?: boolean;
  /**
   * The SA travels UDP-encapsulated (RFC 9028 §5.11, RFC 3948 framing): outbound, send from
   * `srcPort` to `dstPort`; inbound, the ports the peer sends from and to. Absent: plain ESP.
   */
  readonly udp?: UdpPorts;
};

/** A local locator with the attributes the announcement rules look at (RFC 8047 §5.1). */
export type LocalLocator = {
  readonly address: Locator;
  /** Interface name; locators of one interface share an SA by default (RFC 8047 §4.3). */
  readonly interface?: string;
  /** A tunnel or virtual interface: announced, but not as preferred (RFC 8047 §5.1). */
  readonly tunnel?: boolean;
  /** Ask for the P bit on this locator (one per address family and traffic type is used). */
  readonly preferred?: boolean;
  /**
   * What the peer may use the locator for (RFC 8046 §4.1 Traffic Type): 0 both HIP signalling
   * and ESP data, 1 signalling only, 2 data only. The P bit has scope over that traffic type.
   * @defaultValue 0
   */
  readonly trafficType?: TrafficType;
};

/** RFC 8046 §4.1 Traffic Type: 0 signalling and data, 1 HIP signalling only, 2 ESP data only. */
export type TrafficType = 0 | 1 | 2;

/** Peer locator states of RFC 8046 §5.1. */
export type LocatorState = 'UNVERIFIED' | 'ACTIVE' | 'DEPRECATED';

/** One entry of the peer locator table (RFC 8046 §5.1). */
export type PeerLocator = {
  readonly locator: Locator;
  readonly state: LocatorState;
  /**
   * Locator type from LOCATOR_SET: 0 (address), 1 (ESP SPI + address), or 2 (a UDP transport
   * address candidate of RFC 9028 §5.7, with `port`, `kind` and `priority`).
   */
  readonly type: 0 | 1 | 2;
  /** Type 2 only: the candidate's UDP port (RFC 9028 §5.7 Transport Port). */
  readonly port?: number;
  /** Type 2 only: the candidate's kind (RFC 9028 §5.7 Kind). */
  readonly kind?: CandidateKind;
  /** Type 2 only: the candidate's ICE priority (RFC 8445 §5.1.2, RFC 9028 §4.2). */
  readonly priority?: number;
  /** For type 1 locators: the SPI the locator is bound to. */
  readonly spi?: number;
  readonly preferred: boolean;
  /** Absolute expiry time of the locator's lifetime. */
  readonly expiresAt: Millis;
  /**
   * The Traffic Type the peer announced (RFC 8046 §4.1): 0 both, 1 HIP signalling only, 2 ESP
   * data only; `preferred` has scope over it. The base exchange's locator is 0.
   */
  readonly trafficType: number;
};
