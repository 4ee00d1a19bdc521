// Notify Message Types (RFC 7401 §5.2.19; RFC 7402 §5.1.3; RFC 8046 §7; RFC 5770 / RFC 9028
// §5.3, §5.10) and a structural decoder for the Notification Data formats those RFCs define.
// Semantics (what to do about a notification) are the engine's.
import { Reader } from './reader.js';
import { DecodeFailure } from './errors.js';
import { readLocators } from './params/locator-set.js';
import { aint } from '../util/bytes.js';
import type { LocatorEntry } from './types.js';

/**
 * Notify Message Types (RFC 7401 §5.2.19, with those added by RFC 7402, RFC 8046 and RFC 9028):
 * 0..16383 are errors, 16384 and above status.
 */
export const NOTIFY_TYPE = {
  // Errors (0..16383). RFC 7401 §5.2.19 unless noted.
  UNSUPPORTED_CRITICAL_PARAMETER_TYPE: 1,
  INVALID_SYNTAX: 7,
  NO_DH_PROPOSAL_CHOSEN: 14,
  INVALID_DH_CHOSEN: 15,
  NO_HIP_PROPOSAL_CHOSEN: 16,
  INVALID_HIP_CIPHER_CHOSEN: 17,
  /** RFC 7402 §5.1.3. */
  NO_ESP_PROPOSAL_CHOSEN: 18,
  /** RFC 7402 §5.1.3. */
  INVALID_ESP_TRANSFORM_CHOSEN: 19,
  UNSUPPORTED_HIT_SUITE: 20,
  AUTHENTICATION_FAILED: 24,
  CHECKSUM_FAILED: 26,
  HIP_MAC_FAILED: 28,
  ENCRYPTION_FAILED: 32,
  INVALID_HIT: 40,
  BLOCKED_BY_POLICY: 42,
  RESPONDER_BUSY_PLEASE_RETRY: 44,
  /** RFC 8046 §5.3/§7 (allocated by RFC 5206). */
  LOCATOR_TYPE_UNSUPPORTED: 46,
  /** RFC 5770 §5.10 / RFC 9028 §5.10. */
  NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER: 60,
  CONNECTIVITY_CHECKS_FAILED: 61,
  MESSAGE_NOT_RELAYED: 62,
  /** RFC 9028 §5.10. */
  SERVER_REFLEXIVE_CANDIDATE_ALLOCATION_FAILED: 63,
  /** RFC 9028 §5.10. */
  RVS_HMAC_PROHIBITED_WITH_RELAY: 64,
  // Status (16384..65535).
  I2_ACKNOWLEDGEMENT: 16384,
  /** RFC 9028 §5.3: keepalive NOTIFY with empty data. */
  NAT_KEEPALIVE: 16385,
} as const;
/** The name of a registered Notify Message Type (a key of {@link NOTIFY_TYPE}). */
export type NotifyTypeName = keyof typeof NOTIFY_TYPE;

/** First status type: 0..16383 are errors, 16384..65535 status (RFC 7401 §5.2.19). */
export const NOTIFY_STATUS_MIN = 16384;

/** True for an error type (0..16383), false for a status type (RFC 7401 §5.2.19). */
export function isNotifyError(messageType: number): boolean {
  return messageType >= 0 && messageType < NOTIFY_STATUS_MIN;
}

const NAME_BY_TYPE = new Map<number, NotifyTypeName>(
  (Object.keys(NOTIFY_TYPE) as NotifyTypeName[]).map((k) => [NOTIFY_TYPE[k], k]),
);

/** The registered name of a Notify Message Type, or undefined. */
export function notifyTypeName(messageType: number): NotifyTypeName | undefined {
  return NAME_BY_TYPE.get(messageType);
}

/** Fields of a HIP fixed header carried as notification data (RFC 9028 §5.10), not validated. */
export type NotifiedHeader = {
  readonly nextHeader: number;
  readonly headerLength: number;
  readonly packetType: number;
  readonly version: number;
  readonly checksum: number;
  readonly controls: number;
  readonly senderHit: Uint8Array;
  readonly receiverHit: Uint8Array;
};

/**
 * The Notification Data of a NOTIFICATION parameter, decoded in the format its Notify Message
 * Type defines (RFC 7401 §5.2.19, RFC 8046 LOCATOR_TYPE_UNSUPPORTED, RFC 9028 relay errors):
 * 'OPAQUE' when no format is defined, 'MALFORMED' when the bytes do not fit the defined one.
 */
export type NotifyData =
  /** No data (e.g. NAT_KEEPALIVE, CONNECTIVITY_CHECKS_FAILED). */
  | { readonly format: 'EMPTY' }
  /** UNSUPPORTED_CRITICAL_PARAMETER_TYPE: "the two-octet parameter type". */
  | { readonly format: 'PARAM_TYPE'; readonly paramType: number; readonly critical: boolean }
  /** LOCATOR_TYPE_UNSUPPORTED: the locator(s) the receiver failed to process, LOCATOR_SET-encoded. */
  | { readonly format: 'LOCATORS'; readonly locators: readonly LocatorEntry[] }
  /** RFC 9028 relay errors: the HIP header of the rejected packet (first 40 bytes parsed). */
  | { readonly format: 'HIP_HEADER'; readonly header: NotifiedHeader; readonly bytes: Uint8Array }
  /** A type whose data format no RFC defines (or an unknown type): the bytes as is. */
  | { readonly format: 'OPAQUE'; readonly data: Uint8Array }
  /** A defined format that the bytes do not fit. */
  | { readonly format: 'MALFORMED'; readonly expected: 'PARAM_TYPE' | 'LOCATORS' | 'HIP_HEADER' | 'EMPTY'; readonly data: Uint8Array };

/**
 * Interprets Notification Data by message type, structurally. Never throws on byte content.
 * Byte fields are views of `data`.
 */
export function decodeNotifyData(messageType: number, data: Uint8Array): NotifyData {
  switch (messageType) {
    case NOTIFY_TYPE.UNSUPPORTED_CRITICAL_PARAMETER_TYPE: {
      if (data.length !== 2) return { format: 'MALFORMED', expected: 'PARAM_TYPE', data };
      const paramType = (data[0]! << 8) | data[1]!;
      return { format: 'PARAM_TYPE', paramType, critical: (paramType & 1) === 1 };
    }
    case NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED: {
      if (data.length === 0) return { format: 'MALFORMED', expected: 'LOCATORS', data };
      const r = new Reader(data, 0, data.length);
      r.path = 'LOCATORS';
      try {
        return { format: 'LOCATORS', locators: readLocators(r) };
      } catch (e) {
        if (e instanceof DecodeFailure) return { format: 'MALFORMED', expected: 'LOCATORS', data };
        throw e;
      }
    }
    case NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER:
    case NOTIFY_TYPE.MESSAGE_NOT_RELAYED:
    case NOTIFY_TYPE.SERVER_REFLEXIVE_CANDIDATE_ALLOCATION_FAILED:
    case NOTIFY_TYPE.RVS_HMAC_PROHIBITED_WITH_RELAY: {
      if (data.length === 0) return { format: 'EMPTY' };
      if (data.length < 40) return { format: 'MALFORMED', expected: 'HIP_HEADER', data };
      const header: NotifiedHeader = {
        nextHeader: data[0]!,
        headerLength: data[1]!,
        packetType: data[2]! & 0x7f,
        version: data[3]! >>> 4,
        checksum: (data[4]! << 8) | data[5]!,
        controls: (data[6]! << 8) | data[7]!,
        senderHit: data.subarray(8, 24),
        receiverHit: data.subarray(24, 40),
      };
      return { format: 'HIP_HEADER', header, bytes: data };
    }
    case NOTIFY_TYPE.CONNECTIVITY_CHECKS_FAILED:
    case NOTIFY_TYPE.NAT_KEEPALIVE:
      return data.length === 0 ? { format: 'EMPTY' } : { format: 'MALFORMED', expected: 'EMPTY', data };
    default:
      return data.length === 0 ? { format: 'EMPTY' } : { format: 'OPAQUE', data };
  }
}

/** Notification Data for UNSUPPORTED_CRITICAL_PARAMETER_TYPE: the 2-byte parameter type. */
export function encodeUnsupportedCriticalData(paramType: number): Uint8Array {
  aint(paramType, 'paramType', 0, 0xffff);
  return Uint8Array.of(paramType >>> 8, paramType & 0xff);
}
