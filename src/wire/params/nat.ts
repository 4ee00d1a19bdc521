// The ICE-HIP-UDP parameters of RFC 9028 (formats from RFC 5770 repeated in RFC 9028 §5.4, §5.5).
//
// NAT_TRAVERSAL_MODE (608):  | Reserved (16) | Mode ID #1 (16) | ... | Mode ID #n (16) |   (§5.4)
// TRANSACTION_PACING (610):  | Min Ta (32, milliseconds) |                                 (§5.5)
// CANDIDATE_PRIORITY (4700): | Priority (32) |                                             (§5.14)
// NOMINATE (4710):           | Reserved (32) |                                             (§5.15)
// Structural only: the "no more than six Mode IDs" rule (a receiver keeps the first six), the
// 5 ms floor of Ta and the choice of mode are the engine's (RFC 9028 §4.3, §4.4). The Mode ID list
// is kept whole and the reserved fields as received, so that packets round-trip byte for byte.
import { PARAM_TYPE } from '../constants.js';
import { checkInt, checkIntList, optInt } from '../writer.js';
import { expectLength, expectMultiple, readU16List, type ParamCodec } from './codec.js';

export const NAT_TRAVERSAL_MODE: ParamCodec<'NAT_TRAVERSAL_MODE'> = {
  kind: 'NAT_TRAVERSAL_MODE',
  type: PARAM_TYPE.NAT_TRAVERSAL_MODE,
  repeatable: false,
  decode(r, type, span) {
    expectMultiple(r, span, 2, 2);
    const reserved = r.u16('reserved');
    const modes = readU16List(r);
    return { kind: 'NAT_TRAVERSAL_MODE', type, critical: (type & 1) === 1, span, reserved, modes };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffff, 0);
    return 2 + 2 * checkIntList(p.modes, i, 'modes', 0, 0xffff).length;
  },
  write(w, p) {
    w.u16(p.reserved ?? 0);
    for (const m of p.modes) w.u16(m);
  },
};

export const TRANSACTION_PACING: ParamCodec<'TRANSACTION_PACING'> = {
  kind: 'TRANSACTION_PACING',
  type: PARAM_TYPE.TRANSACTION_PACING,
  repeatable: false,
  decode(r, type, span) {
    expectLength(r, span, 4);
    const minTa = r.u32('minTa');
    return { kind: 'TRANSACTION_PACING', type, critical: (type & 1) === 1, span, minTa };
  },
  size(p, i) {
    checkInt(p.minTa, i, 'minTa', 0, 0xffffffff);
    return 4;
  },
  write(w, p) {
    w.u32(p.minTa);
  },
};

export const CANDIDATE_PRIORITY: ParamCodec<'CANDIDATE_PRIORITY'> = {
  kind: 'CANDIDATE_PRIORITY',
  type: PARAM_TYPE.CANDIDATE_PRIORITY,
  repeatable: false,
  decode(r, type, span) {
    expectLength(r, span, 4);
    const priority = r.u32('priority');
    return { kind: 'CANDIDATE_PRIORITY', type, critical: (type & 1) === 1, span, priority };
  },
  size(p, i) {
    checkInt(p.priority, i, 'priority', 0, 0xffffffff);
    return 4;
  },
  write(w, p) {
    w.u32(p.priority);
  },
};

export const NOMINATE: ParamCodec<'NOMINATE'> = {
  kind: 'NOMINATE',
  type: PARAM_TYPE.NOMINATE,
  repeatable: false,
  decode(r, type, span) {
    expectLength(r, span, 4);
    const reserved = r.u32('reserved');
    return { kind: 'NOMINATE', type, critical: (type & 1) === 1, span, reserved };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffffffff, 0);
    return 4;
  },
  write(w, p) {
    w.u32(p.reserved ?? 0);
  },
};
