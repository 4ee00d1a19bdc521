// The decoded shape of HIP packets and parameters (docs/architecture.md, Codec). Plain read-only data: a decoded
// packet keeps its raw bytes and every parameter's span so that MACs and signatures can be
// computed over exactly the bytes received (RFC 7401 §6.4), never over a re-encoding.
import type { Hit } from '../types.js';
import type { PacketKind } from './constants.js';

/** Where a parameter sits in `HipPacket.raw`: offset of its Type field; length incl. padding. */
export type Span = { readonly offset: number; readonly length: number };

type P<K extends string, F> = { readonly kind: K; readonly type: number; readonly critical: boolean; readonly span?: Span } & F;

/** The fields of REG_FROM, RELAY_FROM and RELAY_TO (RFC 9028 §5.6, Figure 10). */
export type TransportAddressFields = { readonly port: number; readonly protocol: number; readonly reserved: number; readonly address: Uint8Array };

/** One LOCATOR_SET entry (RFC 8046 §4; type 2 from RFC 5770 §5.7 / RFC 9028 §5.7). */
export type LocatorEntry =
  | LocatorCommon & { readonly locatorType: 0; readonly address: Uint8Array }
  | LocatorCommon & { readonly locatorType: 1; readonly spi: number; readonly address: Uint8Array }
  | LocatorCommon & {
      readonly locatorType: 2;
      readonly transportPort: number;
      readonly transportProtocol: number;
      readonly candidateKind: number;
      readonly priority: number;
      readonly spi: number;
      readonly address: Uint8Array;
    }
  | LocatorCommon & { readonly locatorType: number; readonly raw: Uint8Array; readonly unknown: true };

type LocatorCommon = {
  readonly trafficType: number;
  /** The 7 reserved bits between Locator Length and P, kept as received (RFC 8046 §4). */
  readonly reserved: number;
  readonly preferred: boolean;
  /** Seconds (RFC 8046 §4). */
  readonly lifetime: number;
};

/**
 * One decoded HIP parameter (RFC 7401 §5.2 and the RFCs that add parameters): a union tagged by
 * `kind`, each with its numeric `type`, its critical bit (RFC 7401 §5.2.1) and, when decoded,
 * its `span` in the packet. Parameters the codec does not know are kind 'UNKNOWN' with the body as
 * bytes.
 */
export type HipParam =
  | P<'ESP_INFO', { readonly reserved: number; readonly keymatIndex: number; readonly oldSpi: number; readonly newSpi: number }>
  | P<'R1_COUNTER', { readonly reserved: number; readonly generation: bigint }>
  | P<'LOCATOR_SET', { readonly locators: readonly LocatorEntry[] }>
  | P<'PUZZLE', { readonly k: number; readonly lifetime: number; readonly opaque: number; readonly randomI: Uint8Array }>
  | P<'SOLUTION', { readonly k: number; readonly reserved: number; readonly opaque: number; readonly randomI: Uint8Array; readonly solutionJ: Uint8Array }>
  | P<'SEQ', { readonly updateId: number }>
  | P<'ACK', { readonly peerUpdateIds: readonly number[] }>
  | P<'DH_GROUP_LIST', { readonly groups: readonly number[] }>
  | P<'DIFFIE_HELLMAN', { readonly groupId: number; readonly publicValue: Uint8Array }>
  | P<'HIP_CIPHER', { readonly ciphers: readonly number[] }>
  /** RFC 9028 §5.4: Mode IDs in preference order, kept whole (a receiver uses the first six). */
  | P<'NAT_TRAVERSAL_MODE', { readonly reserved: number; readonly modes: readonly number[] }>
  /** RFC 9028 §5.5: the sender's minimum Ta, in milliseconds. */
  | P<'TRANSACTION_PACING', { readonly minTa: number }>
  /** RFC 9028 §5.14: the priority of a (potential) peer-reflexive candidate. */
  | P<'CANDIDATE_PRIORITY', { readonly priority: number }>
  /** RFC 9028 §5.15: concludes the nomination; `reserved` kept as received. */
  | P<'NOMINATE', { readonly reserved: number }>
  /** `ivAndData`: IV (length per the chosen HIP_CIPHER) followed by the ciphertext (§5.2.18). */
  | P<'ENCRYPTED', { readonly reserved: number; readonly ivAndData: Uint8Array }>
  | P<'HOST_ID', { readonly diType: number; readonly algorithm: number; readonly hostIdentity: Uint8Array; readonly domainIdentifier: Uint8Array }>
  /** Suite ids as on the wire: one byte each, suite in the high nibble (0x10, 0x20, ...). */
  | P<'HIT_SUITE_LIST', { readonly suites: readonly number[] }>
  | P<'CERT', { readonly certGroup: number; readonly certCount: number; readonly certId: number; readonly certType: number; readonly certificate: Uint8Array }>
  | P<'NOTIFICATION', { readonly reserved: number; readonly messageType: number; readonly data: Uint8Array }>
  | P<'ECHO_REQUEST_SIGNED', { readonly opaque: Uint8Array }>
  | P<'ECHO_RESPONSE_SIGNED', { readonly opaque: Uint8Array }>
  | P<'ECHO_REQUEST_UNSIGNED', { readonly opaque: Uint8Array }>
  | P<'ECHO_RESPONSE_UNSIGNED', { readonly opaque: Uint8Array }>
  | P<'REG_INFO', { readonly minLifetime: number; readonly maxLifetime: number; readonly regTypes: readonly number[] }>
  | P<'REG_REQUEST', { readonly lifetime: number; readonly regTypes: readonly number[] }>
  | P<'REG_RESPONSE', { readonly lifetime: number; readonly regTypes: readonly number[] }>
  | P<'REG_FAILED', { readonly failureType: number; readonly regTypes: readonly number[] }>
  | P<'TRANSPORT_FORMAT_LIST', { readonly formats: readonly number[] }>
  | P<'ESP_TRANSFORM', { readonly reserved: number; readonly suites: readonly number[] }>
  | P<'HIP_MAC', { readonly hmac: Uint8Array }>
  | P<'HIP_MAC_2', { readonly hmac: Uint8Array }>
  | P<'HIP_SIGNATURE', { readonly algorithm: number; readonly signature: Uint8Array }>
  | P<'HIP_SIGNATURE_2', { readonly algorithm: number; readonly signature: Uint8Array }>
  /** RFC 8004 §4.2.2: the Initiator's address as seen by the RVS. */
  | P<'FROM', { readonly address: Uint8Array }>
  | P<'RVS_HMAC', { readonly hmac: Uint8Array }>
  /** RFC 8004 §4.2.3: addresses of the rendezvous servers the I1 went through. */
  | P<'VIA_RVS', { readonly addresses: readonly Uint8Array[] }>
  /** RFC 9028 §5.6: a transport address (Port, Protocol 17 for UDP or 0 for IP, Address): REG_FROM as the relay saw the registration, RELAY_FROM as it saw a relayed packet, RELAY_TO where to forward one. */
  | P<'REG_FROM', TransportAddressFields>
  | P<'RELAY_FROM', TransportAddressFields>
  | P<'RELAY_TO', TransportAddressFields>
  /** RFC 9028 §5.8: as RVS_HMAC, keyed with the relay–client association's HIP integrity key. */
  | P<'RELAY_HMAC', { readonly hmac: Uint8Array }>
  /** Any parameter the codec does not know; kept as bytes so encode(decode(b)) reproduces b. */
  | P<'UNKNOWN', { readonly body: Uint8Array }>;

/** The name of a parameter kind, `HipParam['kind']`: a known parameter type or 'UNKNOWN'. */
export type ParamKind = HipParam['kind'];
/** The decoded parameter of kind `K`, e.g. `ParamOf<'SEQ'>` has `updateId`. */
export type ParamOf<K extends ParamKind> = Extract<HipParam, { kind: K }>;

/**
 * A decoded HIP packet (RFC 7401 §5.1): the fixed header fields, the parameters in wire order and,
 * when decoded from bytes, `raw`, over which HMACs and signatures are verified (RFC 7401 §6.4).
 */
export type HipPacket = {
  readonly kind: PacketKind;
  /** Numeric packet type (RFC 7401 §5.3). */
  readonly code: number;
  readonly version: number;
  /** Next Header as received (59 in HIPv2). */
  readonly nextHeader: number;
  /** The three reserved bits between Version and the fixed bit, kept as received. */
  readonly reserved: number;
  readonly controls: number;
  readonly checksum: number;
  readonly senderHit: Hit;
  readonly receiverHit: Hit;
  readonly params: readonly HipParam[];
  /** The exact bytes received (present on decoded packets). */
  readonly raw?: Uint8Array;
};

// ---------------------------------------------------------------------------------------------
// Encoder input (additive). `encodePacket` accepts a decoded `HipPacket` as is, and also plainer
// objects in which the derived fields are optional: `type` and `critical` come from the kind
// (UNKNOWN must give `type`), `span`/`raw` are ignored, `reserved` fields default to 0, header
// fields default to HIPv2 values, and the checksum is computed (or 0).

type ParamBaseInit<T> = Omit<T, 'type' | 'critical' | 'span' | 'reserved'> & {
  readonly type?: number;
  readonly critical?: boolean;
  readonly span?: Span;
} & ('reserved' extends keyof T ? { readonly reserved?: number } : unknown);

type LocatorEntryInitOf<T> = T extends unknown ? Omit<T, 'reserved'> & { readonly reserved?: number } : never;
/** A LOCATOR_SET entry as the encoder accepts it: `reserved` (the 7 bits before P) defaults to 0. */
export type LocatorEntryInit = LocatorEntryInitOf<LocatorEntry>;

type ParamInitOf<T> = T extends { readonly kind: 'UNKNOWN' }
  ? Omit<T, 'critical' | 'span'> & { readonly critical?: boolean; readonly span?: Span }
  : T extends { readonly kind: 'LOCATOR_SET' }
    ? ParamBaseInit<Omit<T, 'locators'>> & { readonly locators: readonly LocatorEntryInit[] }
    : ParamBaseInit<T>;

/** A parameter as the encoder accepts it (every `HipParam` is one). */
export type ParamInit = ParamInitOf<HipParam>;
/** A parameter of kind `K` as the encoder accepts it: {@link ParamInit} narrowed to one kind. */
export type ParamInitFor<K extends ParamKind> = ParamInitOf<ParamOf<K>>;

/** A packet as the encoder accepts it (every `HipPacket` is one). */
export type PacketInit = {
  readonly kind: PacketKind;
  /** Must equal PACKET_TYPE[kind] when given. */
  readonly code?: number;
  /** Default 2. */
  readonly version?: number;
  /** Default 59 (IPPROTO_NONE). */
  readonly nextHeader?: number;
  /** Default 0. */
  readonly reserved?: number;
  /** Default 0. */
  readonly controls?: number;
  /** Ignored unless `EncodeOptions.keepChecksum` is set. */
  readonly checksum?: number;
  readonly senderHit: Hit;
  readonly receiverHit: Hit;
  readonly params: readonly ParamInit[];
  /** Ignored by the encoder. */
  readonly raw?: Uint8Array;
};
