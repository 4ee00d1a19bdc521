// The registration types this engine knows (RFC 8003 §7 "Registration Types" registry), as a
// table: a new service (RFC 9028's relay types, 2 and 3) is one more row here, with the handler
// that acts on a granted registration, and nothing else is restructured.

/** The RENDEZVOUS registration type (RFC 8004 §4.1). */
export const REG_TYPE_RENDEZVOUS = 1;

/** The RELAY_UDP_HIP registration type: the Control Relay Server (RFC 9028 §5.9, §4.1). */
export const REG_TYPE_RELAY_UDP_HIP = 2;

/**
 * The RELAY_UDP_ESP registration type, the Data Relay Server (RFC 9028 §5.9). hip-engine does not
 * provide the data relay, so the type is not in {@link REG_TYPES} and cannot be offered (a
 * request for it is refused with Failure Type 1, RFC 8003 §4.5).
 */
export const REG_TYPE_RELAY_UDP_ESP = 3;

/** One row of the registration type table. */
export type RegTypeInfo = {
  /** The IANA name of the type. */
  readonly name: string;
  /** Where the type is defined. */
  readonly rfc: string;
  /**
   * The service needs the registration to run over UDP (RFC 9028 §4.1: the relay forwards to
   * the transport address the client registered from); over plain IP it is refused with
   * Failure Type 1.
   */
  readonly overUdp?: true;
};

/** Registration types by number (RFC 8003 §7). Types not listed here cannot be offered. */
export const REG_TYPES: ReadonlyMap<number, RegTypeInfo> = new Map<number, RegTypeInfo>([
  [REG_TYPE_RENDEZVOUS, { name: 'RENDEZVOUS', rfc: 'RFC 8004 §4.1' }],
  [REG_TYPE_RELAY_UDP_HIP, { name: 'RELAY_UDP_HIP', rfc: 'RFC 9028 §5.9', overUdp: true }],
]);

/**
 * Registration Failure Types (RFC 8003 §4.5 and §3.3): the reason a registrar gives in
 * REG_FAILED. 9-200 are unassigned, 201-255 are for private use.
 */
export const REG_FAILURE = {
  /** Registration requires additional credentials (the requester is not on the allow-list). */
  CREDENTIALS_REQUIRED: 0,
  /** Registration type unavailable (not offered by this registrar). */
  TYPE_UNAVAILABLE: 1,
  /** Insufficient resources (a registration limit is reached). */
  INSUFFICIENT_RESOURCES: 2,
  /** Invalid certificate. */
  INVALID_CERTIFICATE: 3,
  /** Bad certificate. */
  BAD_CERTIFICATE: 4,
  /** Unsupported certificate. */
  UNSUPPORTED_CERTIFICATE: 5,
  /** Certificate expired. */
  CERTIFICATE_EXPIRED: 6,
  /** Certificate other. */
  CERTIFICATE_OTHER: 7,
  /** Unknown CA. */
  UNKNOWN_CA: 8,
} as const;

/**
 * A registration lifetime in seconds from its 8-bit encoding (RFC 8003 §4.1): 0 is zero seconds
 * (cancellation), any other value L is 2^((L - 64) / 8) seconds.
 */
export function lifetimeSeconds(encoded: number): number {
  return encoded === 0 ? 0 : 2 ** ((encoded - 64) / 8);
}

/**
 * The 8-bit encoding of a lifetime (RFC 8003 §4.1): the smallest code whose lifetime is at least
 * `seconds` (so a requested lifetime is never shortened by the encoding), 0 for 0, at most 255.
 */
export function encodeLifetime(seconds: number): number {
  if (seconds <= 0) return 0;
  const code = Math.ceil(64 + 8 * Math.log2(seconds) - 1e-9);
  return Math.max(1, Math.min(255, code));
}
