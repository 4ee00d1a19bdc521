// ENCRYPTED (641, critical) — RFC 7401 §5.2.18.
//
//   | Reserved (32) | IV (length per the HIP_CIPHER) ‖ Encrypted data | padding to 8 |
// The IV length is not on the wire (it depends on the negotiated HIP_CIPHER), so the codec keeps
// IV and ciphertext together in `ivAndData`. The plaintext is itself a block of padded HIP
// parameters (plus cipher padding that the cipher suite strips): decode it with
// `decodeParamBlock` and build it with `encodeParamBlock`. Note the two paddings: the inner
// parameters are each padded to 8 bytes, and the ENCRYPTED parameter is padded again after the
// ciphertext.
import { PARAM_TYPE } from '../constants.js';
import { checkBytes, optInt } from '../writer.js';
import { expectMinLength, type ParamCodec } from './codec.js';

export const ENCRYPTED: ParamCodec<'ENCRYPTED'> = {
  kind: 'ENCRYPTED',
  type: PARAM_TYPE.ENCRYPTED,
  repeatable: false,
  decode(r, type, span) {
    expectMinLength(r, span, 4);
    const reserved = r.u32('reserved');
    const ivAndData = r.rest();
    return { kind: 'ENCRYPTED', type, critical: (type & 1) === 1, span, reserved, ivAndData };
  },
  size(p, i) {
    optInt(p.reserved, i, 'reserved', 0, 0xffffffff, 0);
    return 4 + checkBytes(p.ivAndData, i, 'ivAndData').length;
  },
  write(w, p) {
    w.u32(p.reserved ?? 0);
    w.bytes(p.ivAndData);
  },
};
