// DH_GROUP_LIST and DIFFIE_HELLMAN (RFC 7401 §5.2.6, §5.2.7).
//
// DH_GROUP_LIST (511), Length = number of groups: | DH GROUP ID #1 (8) | ... | #n (8) |
// DIFFIE_HELLMAN (513): | Group ID (8) | Public Value Length (16) | Public Value |
// HIPv2 carries a single public value: Length must equal 3 + Public Value Length.
import { PARAM_TYPE } from '../constants.js';
import { checkBytesMax, checkInt, checkIntList } from '../writer.js';
import { expectMinLength, readU8List, type ParamCodec } from './codec.js';

export const DH_GROUP_LIST: ParamCodec<'DH_GROUP_LIST'> = {
  kind: 'DH_GROUP_LIST',
  type: PARAM_TYPE.DH_GROUP_LIST,
  repeatable: false,
  decode(r, type, span) {
    const groups = readU8List(r);
    return { kind: 'DH_GROUP_LIST', type, critical: (type & 1) === 1, span, groups };
  },
  size(p, i) {
    return checkIntList(p.groups, i, 'groups', 0, 0xff).length;
  },
  write(w, p) {
    for (const g of p.groups) w.u8(g);
  },
};

export const DIFFIE_HELLMAN: ParamCodec<'DIFFIE_HELLMAN'> = {
  kind: 'DIFFIE_HELLMAN',
  type: PARAM_TYPE.DIFFIE_HELLMAN,
  repeatable: false,
  decode(r, type, span) {
    expectMinLength(r, span, 3);
    const groupId = r.u8('groupId');
    const lenPos = r.pos;
    const n = r.u16('publicValueLength');
    if (n !== r.end - r.pos) {
      r.fail('BAD_INNER_LENGTH', 'publicValueLength', `Public Value Length ${n} disagrees with the ${r.end - r.pos} byte(s) present`, lenPos);
    }
    const publicValue = r.rest();
    return { kind: 'DIFFIE_HELLMAN', type, critical: (type & 1) === 1, span, groupId, publicValue };
  },
  size(p, i) {
    checkInt(p.groupId, i, 'groupId', 0, 0xff);
    return 3 + checkBytesMax(p.publicValue, i, 'publicValue', 0xffff - 3).length;
  },
  write(w, p) {
    w.u8(p.groupId);
    w.u16(p.publicValue.length);
    w.bytes(p.publicValue);
  },
};
