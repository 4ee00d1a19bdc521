// Preference lists of the base exchange (RFC 7401 §5.2.8, §5.2.10, §5.2.11).
//
// HIP_CIPHER (579):             | Cipher ID #1 (16) | ... | Cipher ID #n (16) |
// HIT_SUITE_LIST (715):         | ID #1 (8) | ... | ID #n (8) |   suite in the high nibble (0x10...)
// TRANSPORT_FORMAT_LIST (2049): | TF type #1 (16) | ... | TF type #n (16) |
// Structural only: the "at most six Cipher IDs" rule, the low-nibble rule of HIT suite ids and the
// choice among the lists are engine policy. Lists are kept whole so that packets round-trip.
import { PARAM_TYPE } from '../constants.js';
import { checkIntList } from '../writer.js';
import { expectMultiple, readU16List, readU8List, type ParamCodec } from './codec.js';

export const HIP_CIPHER: ParamCodec<'HIP_CIPHER'> = {
  kind: 'HIP_CIPHER',
  type: PARAM_TYPE.HIP_CIPHER,
  repeatable: false,
  decode(r, type, span) {
    expectMultiple(r, span, 0, 2);
    const ciphers = readU16List(r);
    return { kind: 'HIP_CIPHER', type, critical: (type & 1) === 1, span, ciphers };
  },
  size(p, i) {
    return 2 * checkIntList(p.ciphers, i, 'ciphers', 0, 0xffff).length;
  },
  write(w, p) {
    for (const c of p.ciphers) w.u16(c);
  },
};

export const HIT_SUITE_LIST: ParamCodec<'HIT_SUITE_LIST'> = {
  kind: 'HIT_SUITE_LIST',
  type: PARAM_TYPE.HIT_SUITE_LIST,
  repeatable: false,
  decode(r, type, span) {
    const suites = readU8List(r);
    return { kind: 'HIT_SUITE_LIST', type, critical: (type & 1) === 1, span, suites };
  },
  size(p, i) {
    return checkIntList(p.suites, i, 'suites', 0, 0xff).length;
  },
  write(w, p) {
    for (const s of p.suites) w.u8(s);
  },
};

export const TRANSPORT_FORMAT_LIST: ParamCodec<'TRANSPORT_FORMAT_LIST'> = {
  kind: 'TRANSPORT_FORMAT_LIST',
  type: PARAM_TYPE.TRANSPORT_FORMAT_LIST,
  repeatable: false,
  decode(r, type, span) {
    expectMultiple(r, span, 0, 2);
    const formats = readU16List(r);
    return { kind: 'TRANSPORT_FORMAT_LIST', type, critical: (type & 1) === 1, span, formats };
  },
  size(p, i) {
    return 2 * checkIntList(p.formats, i, 'formats', 0, 0xffff).length;
  },
  write(w, p) {
    for (const f of p.formats) w.u16(f);
  },
};
