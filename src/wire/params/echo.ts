// ECHO_REQUEST_SIGNED (897), ECHO_RESPONSE_SIGNED (961), ECHO_REQUEST_UNSIGNED (63661),
// ECHO_RESPONSE_UNSIGNED (63425) — RFC 7401 §5.2.20–§5.2.23. Contents: opaque data.
// A packet carries at most one ECHO_REQUEST_SIGNED; the unsigned ones may repeat (§5.2.21, and
// one response per request).
import { PARAM_TYPE } from '../constants.js';
import { checkBytes } from '../writer.js';
import type { ParamCodec } from './codec.js';

type EchoKind = 'ECHO_REQUEST_SIGNED' | 'ECHO_RESPONSE_SIGNED' | 'ECHO_REQUEST_UNSIGNED' | 'ECHO_RESPONSE_UNSIGNED';

function echo<K extends EchoKind>(kind: K, repeatable: boolean): ParamCodec<K> {
  const codec: ParamCodec<EchoKind> = {
    kind,
    type: PARAM_TYPE[kind],
    repeatable,
    decode(r, type, span) {
      const opaque = r.rest();
      return { kind, type, critical: (type & 1) === 1, span, opaque };
    },
    size(p, i) {
      return checkBytes(p.opaque, i, 'opaque').length;
    },
    write(w, p) {
      w.bytes(p.opaque);
    },
  };
  return codec as unknown as ParamCodec<K>;
}

export const ECHO_REQUEST_SIGNED = echo('ECHO_REQUEST_SIGNED', false);
export const ECHO_RESPONSE_SIGNED = echo('ECHO_RESPONSE_SIGNED', false);
export const ECHO_REQUEST_UNSIGNED = echo('ECHO_REQUEST_UNSIGNED', true);
export const ECHO_RESPONSE_UNSIGNED = echo('ECHO_RESPONSE_UNSIGNED', true);
