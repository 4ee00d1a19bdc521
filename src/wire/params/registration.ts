// REG_INFO (930), REG_REQUEST (932), REG_RESPONSE (934), REG_FAILED (936) — RFC 8003 §4.2–§4.5.
//
// REG_INFO:     | Min Lifetime (8) | Max Lifetime (8) | Reg Type #1 (8) | ... |
// REG_REQUEST:  | Lifetime (8) | Reg Type #1 (8) | ... |
// REG_RESPONSE: | Lifetime (8) | Reg Type #1 (8) | ... |
// REG_FAILED:   | Failure Type (8) | Reg Type #1 (8) | ... |
// Lifetimes are the 8-bit exponent encoding of §4.1 (kept as the raw byte). A registrar "MUST be
// able to process one or more REG_REQUEST", a requester one or more REG_RESPONSE (§4.3, §4.4),
// and REG_FAILED is sent once per failure type: those three may repeat.
import { PARAM_TYPE } from '../constants.js';
import { checkInt, checkIntList } from '../writer.js';
import { expectMinLength, readU8List, type ParamCodec } from './codec.js';

export const REG_INFO: ParamCodec<'REG_INFO'> = {
  kind: 'REG_INFO',
  type: PARAM_TYPE.REG_INFO,
  repeatable: false,
  decode(r, type, span) {
    expectMinLength(r, span, 2);
    const minLifetime = r.u8('minLifetime');
    const maxLifetime = r.u8('maxLifetime');
    const regTypes = readU8List(r);
    return { kind: 'REG_INFO', type, critical: (type & 1) === 1, span, minLifetime, maxLifetime, regTypes };
  },
  size(p, i) {
    checkInt(p.minLifetime, i, 'minLifetime', 0, 0xff);
    checkInt(p.maxLifetime, i, 'maxLifetime', 0, 0xff);
    return 2 + checkIntList(p.regTypes, i, 'regTypes', 0, 0xff).length;
  },
  write(w, p) {
    w.u8(p.minLifetime);
    w.u8(p.maxLifetime);
    for (const t of p.regTypes) w.u8(t);
  },
};

type LifetimeKind = 'REG_REQUEST' | 'REG_RESPONSE';

function lifetimeCodec<K extends LifetimeKind>(kind: K): ParamCodec<K> {
  const codec: ParamCodec<LifetimeKind> = {
    kind,
    type: PARAM_TYPE[kind],
    repeatable: true,
    decode(r, type, span) {
      expectMinLength(r, span, 1);
      const lifetime = r.u8('lifetime');
      const regTypes = readU8List(r);
      return { kind, type, critical: (type & 1) === 1, span, lifetime, regTypes };
    },
    size(p, i) {
      checkInt(p.lifetime, i, 'lifetime', 0, 0xff);
      return 1 + checkIntList(p.regTypes, i, 'regTypes', 0, 0xff).length;
    },
    write(w, p) {
      w.u8(p.lifetime);
      for (const t of p.regTypes) w.u8(t);
    },
  };
  return codec as unknown as ParamCodec<K>;
}

export const REG_REQUEST = lifetimeCodec('REG_REQUEST');
export const REG_RESPONSE = lifetimeCodec('REG_RESPONSE');

export const REG_FAILED: ParamCodec<'REG_FAILED'> = {
  kind: 'REG_FAILED',
  type: PARAM_TYPE.REG_FAILED,
  repeatable: true,
  decode(r, type, span) {
    expectMinLength(r, span, 1);
    const failureType = r.u8('failureType');
    const regTypes = readU8List(r);
    return { kind: 'REG_FAILED', type, critical: (type & 1) === 1, span, failureType, regTypes };
  },
  size(p, i) {
    checkInt(p.failureType, i, 'failureType', 0, 0xff);
    return 1 + checkIntList(p.regTypes, i, 'regTypes', 0, 0xff).length;
  },
  write(w, p) {
    w.u8(p.failureType);
    for (const t of p.regTypes) w.u8(t);
  },
};
