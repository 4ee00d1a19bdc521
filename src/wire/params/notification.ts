// NOTIFICATION (832, non-critical, repeatable) — RFC 7401 §5.2.19.
//
//   | Reserved (16) | Notify Message Type (16) | Notification Data ... |
// The message type numbers and a structural decoder of the data live in ../notify.ts.
import { PARAM_TYPE } from '../constants.js';
import { checkBytes, checkInt, optInt } from '../writer.js';
import { expectMinLength, type ParamCodec } from './codec.js';

export const NOTIFICATION: ParamCodec<'NOTIFICATION'> = {
  kind: 'NOTIFICATION',
  type: PARAM_TYPE.NOTIFICATION,
  repeatable: true,
  decode(r, type, span) {
    expectMinLength(r, span, 4);
    const reserved = r.u16('reserved');
    const messageType = r.u16('messageType');
    const data = r.rest();
    return { kind: 'NOTIFICATION', type, critical: (type & 1) === 1, span, reserved, messageType, data };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffff, 0);
    checkInt(p.messageType, i, 'messageType', 0, 0xffff);
    return 4 + checkBytes(p.data, i, 'data').length;
  },
  write(w, p) {
    w.u16(p.reserved ?? 0);
    w.u16(p.messageType);
    w.bytes(p.data);
  },
};
