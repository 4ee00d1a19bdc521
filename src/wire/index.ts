// Public surface of `hip-engine/wire`: the structural HIPv2 codec (docs/architecture.md, Codec).
export type {
  HipPacket,
  HipParam,
  ParamKind,
  ParamOf,
  LocatorEntry,
  LocatorEntryInit,
  TransportAddressFields,
  Span,
  PacketInit,
  ParamInit,
  ParamInitFor,
} from './types.js';
export * from './constants.js';
export { DECODE_ERROR_CODES, type DecodeError, type DecodeErrorCode } from './errors.js';
export {
  decodePacket,
  encodePacket,
  encodingLength,
  decodeParamBlock,
  encodeParamBlock,
  paddedParamLength,
  paramName,
  type DecodeOptions,
  type DecodePacketResult,
  type DecodeParamsResult,
  type EncodeOptions,
} from './packet.js';
export {
  HIP_HEADER_LENGTH,
  MAX_HIP_PACKET_LENGTH,
  MIN_HEADER_LENGTH_FIELD,
  CHECKSUM_OFFSET,
  packetKindOf,
  packetLengthOf,
  hipChecksum,
  internetChecksum,
  pseudoHeaderSum,
  upperLayerChecksum,
} from './header.js';
export { param, params, hasParam, unknownCriticalParams } from './access.js';
export { paramKindOf, isRepeatable } from './params/index.js';
export { RHASH_LENGTHS } from './params/puzzle.js';
export {
  NOTIFY_TYPE,
  NOTIFY_STATUS_MIN,
  isNotifyError,
  notifyTypeName,
  decodeNotifyData,
  encodeUnsupportedCriticalData,
  type NotifyTypeName,
  type NotifyData,
  type NotifiedHeader,
} from './notify.js';
export {
  HIP_UDP_PORT,
  UDP_ZERO_MARKER_LENGTH,
  NAT_KEEPALIVE_BYTE,
  MIN_ESP_LENGTH,
  demuxUdp,
  encapsulateHip,
  encodeUdpPacket,
  decodeUdpPacket,
  type UdpPayload,
} from './udp.js';
// Address helpers that go with the codec (canonical 16-byte locators, HIT checks).
export {
  isIpv4Mapped,
  asLocator,
  locatorFromBytes,
  ipv4Bytes,
  parseLocator,
  formatLocator,
  locatorKey,
  locatorFamily,
  ORCHID2_PREFIX,
  isHit,
  hitSuiteOf,
  formatHit,
  parseHit,
  hitKey,
} from '../addr/index.js';
