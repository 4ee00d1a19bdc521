// ESP_INFO and ESP_TRANSFORM (RFC 7402 §5.1.1, §5.1.2).
//
// ESP_INFO (65), Length 12:  | Reserved (16) | KEYMAT Index (16) | OLD SPI (32) | NEW SPI (32) |
// ESP_TRANSFORM (4095):      | Reserved (16) | Suite ID #1 (16) | ... | Suite ID #n (16) |
// Reserved fields are kept as received so that a decoded packet re-encodes byte for byte.
import { PARAM_TYPE } from '../constants.js';
import type { Reader } from '../reader.js';
import type { Span } from '../types.js';
import { checkInt, checkIntList, optInt, type Writer } from '../writer.js';
import { expectLength, expectMultiple, readU16List, type ParamCodec } from './codec.js';

export const ESP_INFO: ParamCodec<'ESP_INFO'> = {
  kind: 'ESP_INFO',
  type: PARAM_TYPE.ESP_INFO,
  repeatable: false,
  decode(r: Reader, type: number, span: Span) {
    expectLength(r, span, 12);
    const reserved = r.u16('reserved');
    const keymatIndex = r.u16('keymatIndex');
    const oldSpi = r.u32('oldSpi');
    const newSpi = r.u32('newSpi');
    return { kind: 'ESP_INFO', type, critical: (type & 1) === 1, span, reserved, keymatIndex, oldSpi, newSpi };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffff, 0);
    checkInt(p.keymatIndex, i, 'keymatIndex', 0, 0xffff);
    checkInt(p.oldSpi, i, 'oldSpi', 0, 0xffffffff);
    checkInt(p.newSpi, i, 'newSpi', 0, 0xffffffff);
    return 12;
  },
  write(w: Writer, p) {
    w.u16(p.reserved ?? 0);
    w.u16(p.keymatIndex);
    w.u32(p.oldSpi);
    w.u32(p.newSpi);
  },
};

export const ESP_TRANSFORM: ParamCodec<'ESP_TRANSFORM'> = {
  kind: 'ESP_TRANSFORM',
  type: PARAM_TYPE.ESP_TRANSFORM,
  repeatable: false,
  decode(r, type, span) {
    expectMultiple(r, span, 2, 2);
    const reserved = r.u16('reserved');
    const suites = readU16List(r);
    return { kind: 'ESP_TRANSFORM', type, critical: (type & 1) === 1, span, reserved, suites };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffff, 0);
    const s = checkIntList(p.suites, i, 'suites', 0, 0xffff);
    return 2 + 2 * s.length;
  },
  write(w, p) {
    w.u16(p.reserved ?? 0);
    for (const s of p.suites) w.u16(s);
  },
};
