// SEQ and ACK (RFC 7401 §5.2.16, §5.2.17).
//
// SEQ (385), Length 4:   | Update ID (32) |
// ACK (449), Length 4n:  | peer Update ID 1 (32) | ... | peer Update ID n (32) |   (n >= 1)
import { PARAM_TYPE } from '../constants.js';
import { checkInt, checkIntList, fieldPath } from '../writer.js';
import { badLength, expectLength, readU32List, type ParamCodec } from './codec.js';

export const SEQ: ParamCodec<'SEQ'> = {
  kind: 'SEQ',
  type: PARAM_TYPE.SEQ,
  repeatable: false,
  decode(r, type, span) {
    expectLength(r, span, 4);
    const updateId = r.u32('updateId');
    return { kind: 'SEQ', type, critical: (type & 1) === 1, span, updateId };
  },
  size(p, i) {
    checkInt(p.updateId, i, 'updateId', 0, 0xffffffff);
    return 4;
  },
  write(w, p) {
    w.u32(p.updateId);
  },
};

export const ACK: ParamCodec<'ACK'> = {
  kind: 'ACK',
  type: PARAM_TYPE.ACK,
  repeatable: false,
  decode(r, type, span) {
    const len = r.end - r.pos;
    if (len === 0 || len % 4 !== 0) badLength(r, span, `Length must be a non-zero multiple of 4, got ${len}`);
    const peerUpdateIds = readU32List(r);
    return { kind: 'ACK', type, critical: (type & 1) === 1, span, peerUpdateIds };
  },
  size(p, i) {
    const ids = checkIntList(p.peerUpdateIds, i, 'peerUpdateIds', 0, 0xffffffff);
    if (ids.length === 0) throw new RangeError(`"${fieldPath(i, 'peerUpdateIds')}" expected at least one Update ID`);
    return 4 * ids.length;
  },
  write(w, p) {
    for (const id of p.peerUpdateIds) w.u32(id);
  },
};
