// FROM (65498), RVS_HMAC (65500), VIA_RVS (65502) — RFC 8004 §4.2. All three follow the signature
// and are neither signed nor MACed by the end hosts.
//
// FROM, Length 16:        | Address (16) |  (an RVS appends one per rewrite: may repeat)
// RVS_HMAC:               | HMAC ... |
// VIA_RVS, Length 16n:    | Address #1 (16) | ... |  (n >= 1)
import { PARAM_TYPE } from '../constants.js';
import { checkArray, checkBytes, fieldPath } from '../writer.js';
import { badLength, expectLength, type ParamCodec } from './codec.js';
import { macCodec } from './auth.js';

export const FROM: ParamCodec<'FROM'> = {
  kind: 'FROM',
  type: PARAM_TYPE.FROM,
  repeatable: true,
  decode(r, type, span) {
    expectLength(r, span, 16);
    const address = r.bytes(16, 'address');
    return { kind: 'FROM', type, critical: (type & 1) === 1, span, address };
  },
  size(p, i) {
    checkBytes(p.address, i, 'address', 16);
    return 16;
  },
  write(w, p) {
    w.bytes(p.address);
  },
};

export const RVS_HMAC = macCodec('RVS_HMAC');

export const VIA_RVS: ParamCodec<'VIA_RVS'> = {
  kind: 'VIA_RVS',
  type: PARAM_TYPE.VIA_RVS,
  repeatable: false,
  decode(r, type, span) {
    const len = r.end - r.pos;
    if (len === 0 || len % 16 !== 0) badLength(r, span, `Length must be a non-zero multiple of 16, got ${len}`);
    const n = len / 16;
    const addresses = new Array<Uint8Array>(n);
    for (let j = 0; j < n; j++) addresses[j] = r.bytes(16, 'addresses');
    return { kind: 'VIA_RVS', type, critical: (type & 1) === 1, span, addresses };
  },
  size(p, i) {
    const a = checkArray(p.addresses, i, 'addresses');
    if (a.length === 0) throw new RangeError(`"${fieldPath(i, 'addresses')}" expected at least one address`);
    for (let j = 0; j < a.length; j++) checkBytes(a[j], i, 'addresses[#]', 16, j);
    return 16 * a.length;
  },
  write(w, p) {
    for (const a of p.addresses) w.bytes(a);
  },
};
