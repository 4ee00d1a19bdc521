// The parameter registry: type number → codec, one table (docs/architecture.md, Codec; dns-packet shape).
import { invariant } from '../../util/assert.js';
import { PARAM_TYPE, type KnownParamKind } from '../constants.js';
import type { ParamCodec } from './codec.js';
import { ESP_INFO, ESP_TRANSFORM } from './esp.js';
import { LOCATOR_SET } from './locator-set.js';
import { PUZZLE, R1_COUNTER, SOLUTION } from './puzzle.js';
import { ACK, SEQ } from './seq-ack.js';
import { DH_GROUP_LIST, DIFFIE_HELLMAN } from './dh.js';
import { HIP_CIPHER, HIT_SUITE_LIST, TRANSPORT_FORMAT_LIST } from './negotiation.js';
import { CERT, HOST_ID } from './identity.js';
import { ENCRYPTED } from './encrypted.js';
import { NOTIFICATION } from './notification.js';
import { ECHO_REQUEST_SIGNED, ECHO_REQUEST_UNSIGNED, ECHO_RESPONSE_SIGNED, ECHO_RESPONSE_UNSIGNED } from './echo.js';
import { HIP_MAC, HIP_MAC_2, HIP_SIGNATURE, HIP_SIGNATURE_2 } from './auth.js';
import { REG_FAILED, REG_INFO, REG_REQUEST, REG_RESPONSE } from './registration.js';
import { FROM, RVS_HMAC, VIA_RVS } from './rendezvous.js';
import { REG_FROM, RELAY_FROM, RELAY_HMAC, RELAY_TO } from './relay.js';
import { CANDIDATE_PRIORITY, NAT_TRAVERSAL_MODE, NOMINATE, TRANSACTION_PACING } from './nat.js';

export type { ParamCodec } from './codec.js';
export { decodeUnknown } from './unknown.js';

/** Every known codec, keyed by kind (the compiler checks the table is complete). */
export const CODECS: { readonly [K in KnownParamKind]: ParamCodec<K> } = {
  ESP_INFO,
  R1_COUNTER,
  LOCATOR_SET,
  PUZZLE,
  SOLUTION,
  SEQ,
  ACK,
  DH_GROUP_LIST,
  DIFFIE_HELLMAN,
  HIP_CIPHER,
  NAT_TRAVERSAL_MODE,
  TRANSACTION_PACING,
  ENCRYPTED,
  HOST_ID,
  HIT_SUITE_LIST,
  CERT,
  NOTIFICATION,
  ECHO_REQUEST_SIGNED,
  REG_INFO,
  REG_REQUEST,
  REG_RESPONSE,
  REG_FAILED,
  REG_FROM,
  ECHO_RESPONSE_SIGNED,
  TRANSPORT_FORMAT_LIST,
  CANDIDATE_PRIORITY,
  NOMINATE,
  ESP_TRANSFORM,
  HIP_MAC,
  HIP_MAC_2,
  HIP_SIGNATURE_2,
  HIP_SIGNATURE,
  ECHO_REQUEST_UNSIGNED,
  ECHO_RESPONSE_UNSIGNED,
  RELAY_FROM,
  RELAY_TO,
  FROM,
  RVS_HMAC,
  VIA_RVS,
  RELAY_HMAC,
};

// Lookup on the decode hot path: a 64 KiB index (type → slot in CODEC_LIST, 0 = unknown) is two
// array loads, against a hash lookup for a Map.
const CODEC_LIST: (ParamCodec | undefined)[] = [undefined];
const BY_KIND = new Map<string, ParamCodec>();
const SLOT_BY_TYPE = new Uint8Array(0x10000);
for (const kind of Object.keys(CODECS) as KnownParamKind[]) {
  const c = CODECS[kind] as unknown as ParamCodec;
  invariant(c.type === PARAM_TYPE[kind] && c.kind === kind, `param registry: ${kind} is wired to the wrong codec`);
  SLOT_BY_TYPE[c.type] = CODEC_LIST.length;
  CODEC_LIST.push(c);
  BY_KIND.set(kind, c);
}

/** The codec for a type number, or undefined for types the codec does not know. */
export function codecForType(type: number): ParamCodec | undefined {
  return type >= 0 && type <= 0xffff ? CODEC_LIST[SLOT_BY_TYPE[type]!] : undefined;
}

/** The codec for a kind, or undefined for 'UNKNOWN' or a name that is not a known kind. */
export function codecForKind(kind: string): ParamCodec | undefined {
  return BY_KIND.get(kind);
}

/** The parameter kind for a type number ('UNKNOWN' when not known). */
export function paramKindOf(type: number): KnownParamKind | 'UNKNOWN' {
  return codecForType(type)?.kind ?? 'UNKNOWN';
}

/** May parameters of this type appear more than once (consecutively)? Unknown types may. */
export function isRepeatable(type: number): boolean {
  return codecForType(type)?.repeatable ?? true;
}
