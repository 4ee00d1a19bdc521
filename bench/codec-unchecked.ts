// A decoder that builds the same HipPacket objects as decodePacket, field for field and in the
// same property order, with every check left out: no header, length, order, duplicate or
// padding checks, no bounds checks, no Reader, no codec table. It handles the parameters the
// codec bench's packets hold. It is the bench's floor for a decoder that keeps the plain-data
// HipPacket contract (`raw` copied from the slab pool, byte fields as views of it): the bare TLV
// walk builds nothing, so it measured object construction, not the cost of checking.
// NEVER use it on untrusted bytes: it reads wherever the lengths point.
import { packetKindOf } from '../src/wire/header.js';
import { ownedCopy } from '../src/wire/pool.js';
import { PARAM_TYPE } from '../src/wire/constants.js';
import type { HipPacket, HipParam, LocatorEntry, Span } from '../src/wire/types.js';

const u16 = (b: Uint8Array, p: number): number => (b[p]! << 8) | b[p + 1]!;
const u32 = (b: Uint8Array, p: number): number => ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;

function u8List(b: Uint8Array, p: number, end: number): number[] {
  const out = new Array<number>(end - p);
  for (let j = 0; p + j < end; j++) out[j] = b[p + j]!;
  return out;
}
function u16List(b: Uint8Array, p: number, end: number): number[] {
  const out = new Array<number>((end - p) >>> 1);
  for (let j = 0; p < end; j++, p += 2) out[j] = u16(b, p);
  return out;
}
function u32List(b: Uint8Array, p: number, end: number): number[] {
  const out = new Array<number>((end - p) >>> 2);
  for (let j = 0; p < end; j++, p += 4) out[j] = u32(b, p);
  return out;
}

function locators(b: Uint8Array, p: number, end: number): LocatorEntry[] {
  const out: LocatorEntry[] = [];
  while (p < end) {
    const trafficType = b[p]!;
    const locatorType = b[p + 1]!;
    const n = b[p + 2]! * 4;
    const flags = b[p + 3]!;
    const lifetime = u32(b, p + 4);
    const reserved = flags >>> 1;
    const preferred = (flags & 1) === 1;
    if (locatorType === 0) out.push({ trafficType, locatorType: 0, reserved, preferred, lifetime, address: b.subarray(p + 8, p + 24) });
    else if (locatorType === 1) out.push({ trafficType, locatorType: 1, reserved, preferred, lifetime, spi: u32(b, p + 8), address: b.subarray(p + 12, p + 28) });
    else throw new Error(`locator type ${locatorType} is not in the bench packets`);
    p += 8 + n;
  }
  return out;
}

function param(b: Uint8Array, type: number, span: Span, p: number, end: number): HipParam {
  const critical = (type & 1) === 1;
  switch (type) {
    case PARAM_TYPE.ESP_INFO:
      return { kind: 'ESP_INFO', type, critical, span, reserved: u16(b, p), keymatIndex: u16(b, p + 2), oldSpi: u32(b, p + 4), newSpi: u32(b, p + 8) };
    case PARAM_TYPE.R1_COUNTER:
      return { kind: 'R1_COUNTER', type, critical, span, reserved: u32(b, p), generation: (BigInt(u32(b, p + 4)) << 32n) | BigInt(u32(b, p + 8)) };
    case PARAM_TYPE.LOCATOR_SET:
      return { kind: 'LOCATOR_SET', type, critical, span, locators: locators(b, p, end) };
    case PARAM_TYPE.PUZZLE:
      return { kind: 'PUZZLE', type, critical, span, k: b[p]!, lifetime: b[p + 1]!, opaque: u16(b, p + 2), randomI: b.subarray(p + 4, end) };
    case PARAM_TYPE.SEQ:
      return { kind: 'SEQ', type, critical, span, updateId: u32(b, p) };
    case PARAM_TYPE.ACK:
      return { kind: 'ACK', type, critical, span, peerUpdateIds: u32List(b, p, end) };
    case PARAM_TYPE.DH_GROUP_LIST:
      return { kind: 'DH_GROUP_LIST', type, critical, span, groups: u8List(b, p, end) };
    case PARAM_TYPE.DIFFIE_HELLMAN:
      return { kind: 'DIFFIE_HELLMAN', type, critical, span, groupId: b[p]!, publicValue: b.subarray(p + 3, end) };
    case PARAM_TYPE.HIP_CIPHER:
      return { kind: 'HIP_CIPHER', type, critical, span, ciphers: u16List(b, p, end) };
    case PARAM_TYPE.HOST_ID: {
      const hiLen = u16(b, p);
      const di = u16(b, p + 2);
      const hi = p + 6;
      return { kind: 'HOST_ID', type, critical, span, diType: di >>> 12, algorithm: u16(b, p + 4), hostIdentity: b.subarray(hi, hi + hiLen), domainIdentifier: b.subarray(hi + hiLen, end) };
    }
    case PARAM_TYPE.HIT_SUITE_LIST:
      return { kind: 'HIT_SUITE_LIST', type, critical, span, suites: u8List(b, p, end) };
    case PARAM_TYPE.ECHO_REQUEST_SIGNED:
      return { kind: 'ECHO_REQUEST_SIGNED', type, critical, span, opaque: b.subarray(p, end) };
    case PARAM_TYPE.TRANSPORT_FORMAT_LIST:
      return { kind: 'TRANSPORT_FORMAT_LIST', type, critical, span, formats: u16List(b, p, end) };
    case PARAM_TYPE.ESP_TRANSFORM:
      return { kind: 'ESP_TRANSFORM', type, critical, span, reserved: u16(b, p), suites: u16List(b, p + 2, end) };
    case PARAM_TYPE.HIP_MAC:
      return { kind: 'HIP_MAC', type, critical, span, hmac: b.subarray(p, end) };
    case PARAM_TYPE.HIP_SIGNATURE_2:
      return { kind: 'HIP_SIGNATURE_2', type, critical, span, algorithm: u16(b, p), signature: b.subarray(p + 2, end) };
    case PARAM_TYPE.HIP_SIGNATURE:
      return { kind: 'HIP_SIGNATURE', type, critical, span, algorithm: u16(b, p), signature: b.subarray(p + 2, end) };
    default:
      throw new Error(`parameter type ${type} is not in the bench packets`);
  }
}

/** decodePacket's objects without its checks (see the file comment). */
export function decodeUnchecked(bytes: Uint8Array): HipPacket {
  const nextHeader = bytes[0]!;
  const pktLen = (bytes[1]! + 1) * 8;
  const b2 = bytes[2]!;
  const b3 = bytes[3]!;
  const raw = ownedCopy(bytes, 0, pktLen);
  const params: HipParam[] = [];
  for (let off = 40; off < pktLen; ) {
    const type = u16(raw, off);
    const len = u16(raw, off + 2);
    const span: Span = { offset: off, length: (len + 11) & ~7 };
    params.push(param(raw, type, span, off + 4, off + 4 + len));
    off += span.length;
  }
  const code = b2 & 0x7f;
  return {
    kind: packetKindOf(code)!,
    code,
    version: b3 >>> 4,
    nextHeader,
    reserved: (b3 >>> 1) & 0x07,
    controls: u16(raw, 6),
    checksum: u16(raw, 4),
    senderHit: raw.subarray(8, 24),
    receiverHit: raw.subarray(24, 40),
    params,
    raw,
  };
}
