// HIP_MAC (61505), HIP_MAC_2 (61569), HIP_SIGNATURE_2 (61633), HIP_SIGNATURE (61697)
// — RFC 7401 §5.2.12–§5.2.15. HIP_MAC*: | HMAC ... |; HIP_SIGNATURE*: | SIG alg (16) | Signature |
// The codec only frames them: which bytes they cover is crypto/coverage.ts's job, from `raw` and
// the parameter spans.
import { PARAM_TYPE } from '../constants.js';
import { checkBytes, checkInt } from '../writer.js';
import { expectMinLength, type ParamCodec } from './codec.js';

type MacKind = 'HIP_MAC' | 'HIP_MAC_2' | 'RVS_HMAC' | 'RELAY_HMAC';
type SigKind = 'HIP_SIGNATURE' | 'HIP_SIGNATURE_2';

/** A MAC-shaped parameter: the whole Contents is the HMAC (also RFC 8004's RVS_HMAC). */
export function macCodec<K extends MacKind>(kind: K): ParamCodec<K> {
  const codec: ParamCodec<MacKind> = {
    kind,
    type: PARAM_TYPE[kind],
    repeatable: false,
    decode(r, type, span) {
      const hmac = r.rest();
      return { kind, type, critical: (type & 1) === 1, span, hmac };
    },
    size(p, i) {
      return checkBytes(p.hmac, i, 'hmac').length;
    },
    write(w, p) {
      w.bytes(p.hmac);
    },
  };
  return codec as unknown as ParamCodec<K>;
}

function sigCodec<K extends SigKind>(kind: K): ParamCodec<K> {
  const codec: ParamCodec<SigKind> = {
    kind,
    type: PARAM_TYPE[kind],
    repeatable: false,
    decode(r, type, span) {
      expectMinLength(r, span, 2);
      const algorithm = r.u16('algorithm');
      const signature = r.rest();
      return { kind, type, critical: (type & 1) === 1, span, algorithm, signature };
    },
    size(p, i) {
      checkInt(p.algorithm, i, 'algorithm', 0, 0xffff);
      return 2 + checkBytes(p.signature, i, 'signature').length;
    },
    write(w, p) {
      w.u16(p.algorithm);
      w.bytes(p.signature);
    },
  };
  return codec as unknown as ParamCodec<K>;
}

export const HIP_MAC = macCodec('HIP_MAC');
export const HIP_MAC_2 = macCodec('HIP_MAC_2');
export const HIP_SIGNATURE_2 = sigCodec('HIP_SIGNATURE_2');
export const HIP_SIGNATURE = sigCodec('HIP_SIGNATURE');
