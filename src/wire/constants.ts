// IANA numbers for HIP as `as const` objects plus literal-union types (no `enum`).
// Sources: RFC 7401 §5.2-§5.3, RFC 7402 §5.1, RFC 8046 §4, RFC 8003 §4, RFC 8004 §4, RFC 5770,
// RFC 9028 §5.4, §5.5, §5.14, §5.15.

/** Packet types (RFC 7401 §5.3). */
export const PACKET_TYPE = {
  I1: 1,
  R1: 2,
  I2: 3,
  R2: 4,
  UPDATE: 16,
  NOTIFY: 17,
  CLOSE: 18,
  CLOSE_ACK: 19,
} as const;
/**
 * The name of a HIP packet type (a key of {@link PACKET_TYPE}), as `HipPacket.kind` carries it (RFC
 * 7401 §5.3).
 */
export type PacketKind = keyof typeof PACKET_TYPE;

/** Parameter type numbers. The low bit is the critical bit (RFC 7401 §5.2.1). */
export const PARAM_TYPE = {
  ESP_INFO: 65,
  R1_COUNTER: 129,
  LOCATOR_SET: 193,
  PUZZLE: 257,
  SOLUTION: 321,
  SEQ: 385,
  ACK: 449,
  DH_GROUP_LIST: 511,
  DIFFIE_HELLMAN: 513,
  HIP_CIPHER: 579,
  NAT_TRAVERSAL_MODE: 608,
  TRANSACTION_PACING: 610,
  ENCRYPTED: 641,
  HOST_ID: 705,
  HIT_SUITE_LIST: 715,
  CERT: 768,
  NOTIFICATION: 832,
  ECHO_REQUEST_SIGNED: 897,
  REG_INFO: 930,
  REG_REQUEST: 932,
  REG_RESPONSE: 934,
  REG_FAILED: 936,
  REG_FROM: 950,
  ECHO_RESPONSE_SIGNED: 961,
  TRANSPORT_FORMAT_LIST: 2049,
  CANDIDATE_PRIORITY: 4700,
  NOMINATE: 4710,
  ESP_TRANSFORM: 4095,
  HIP_MAC: 61505,
  HIP_MAC_2: 61569,
  HIP_SIGNATURE_2: 61633,
  HIP_SIGNATURE: 61697,
  ECHO_REQUEST_UNSIGNED: 63661,
  ECHO_RESPONSE_UNSIGNED: 63425,
  RELAY_FROM: 63998,
  RELAY_TO: 64002,
  FROM: 65498,
  RVS_HMAC: 65500,
  VIA_RVS: 65502,
  RELAY_HMAC: 65520,
} as const;
/**
 * The name of a parameter type the codec decodes into fields (a key of {@link PARAM_TYPE}); others
 * decode as UNKNOWN (RFC 7401 §5.2).
 */
export type KnownParamKind = keyof typeof PARAM_TYPE;

/** The header's fixed bit and version: HIPv2 → 0x21 in byte 3 (RFC 7401 §5.1). */
export const HIP_VERSION = 2;
/** IPv6 "no next header" (RFC 7401 §5.1): HIP carries no payload. */
export const NEXT_HEADER_NONE = 59;
/** IP protocol number of HIP (RFC 7401 §5). */
export const IPPROTO_HIP = 139;
/** IP protocol number of ESP (RFC 4303). */
export const IPPROTO_ESP = 50;
/** Controls: the A (anonymous) bit (RFC 7401 §5.1.2). */
export const CONTROL_ANONYMOUS = 0x0001;

/** HI algorithms (RFC 7401 §5.2.9; EdDSA from RFC 9374). */
export const HI_ALGORITHM = { DSA: 3, RSA: 5, ECDSA: 7, ECDSA_LOW: 9, EDDSA: 13 } as const;
/**
 * A Host Identity algorithm number (a value of `HI_ALGORITHM`) as the HOST_ID parameter
 * carries it (RFC 7401 §5.2.9).
 */
export type HiAlgorithmId = (typeof HI_ALGORITHM)[keyof typeof HI_ALGORITHM];

/** ECDSA curve ids inside the HI (RFC 7401 §5.2.9). ECDSA_LOW: SECP160R1 = 1. */
export const ECDSA_CURVE = { P256: 1, P384: 2 } as const;
/**
 * ECDSA_LOW curve ids inside the HI (RFC 7401 §5.2.9): SECP160R1 = 1, for constrained devices only.
 */
export const ECDSA_LOW_CURVE = { SECP160R1: 1 } as const;
/** EdDSA curve ids (RFC 9374 §3.4). */
export const EDDSA_CURVE = { ED25519: 1, ED448: 2 } as const;

/** HIT suites (RFC 7401 §5.2.10; 5 = EdDSA/cSHAKE128 from RFC 9374). */
export const HIT_SUITE = { RSA_DSA_SHA256: 1, ECDSA_SHA384: 2, ECDSA_LOW_SHA1: 3, EDDSA_CSHAKE128: 5 } as const;

/** DH groups (RFC 7401 §5.2.7). */
export const DH_GROUP = {
  MODP_1536: 3,
  MODP_3072: 4,
  NIST_P256: 7,
  NIST_P384: 8,
  NIST_P521: 9,
  SECP160R1: 10,
  MODP_2048: 11,
} as const;

/** HIP_CIPHER ids (RFC 7401 §5.2.8). */
export const HIP_CIPHER_ID = { NULL_ENCRYPT: 1, AES_128_CBC: 2, AES_256_CBC: 4 } as const;

/** Transport formats (RFC 7401 §5.2.11; ESP = the ESP_TRANSFORM type number, RFC 7402). */
export const TRANSPORT_FORMAT = { ESP: 4095 } as const;

/** DI types of HOST_ID (RFC 7401 §5.2.9). */
export const DI_TYPE = { NONE: 0, FQDN: 1, NAI: 2 } as const;

/** NAT traversal Mode IDs of NAT_TRAVERSAL_MODE (RFC 9028 §5.4, Table 1). */
export const NAT_MODE = { RESERVED: 0, UDP_ENCAPSULATION: 1, ICE_STUN_UDP: 2, ICE_HIP_UDP: 3 } as const;

/** Candidate Kind of a type 2 locator (RFC 9028 §5.7, Table 2). */
export const CANDIDATE_KIND = { HOST: 0, SERVER_REFLEXIVE: 1, PEER_REFLEXIVE: 2, RELAYED: 3 } as const;

/** Transport Protocol of a type 2 locator: only UDP is supported (RFC 9028 §5.7, Table 2). */
export const TRANSPORT_PROTOCOL_UDP = 17;
