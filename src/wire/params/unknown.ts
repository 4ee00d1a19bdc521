// Parameters the codec does not know (RFC 7401 §5.2.1): kept as bytes with their type and critical
// bit, so that encode(decode(b)) reproduces b (dns-packet's `unknown` idea). The codec does not
// reject unknown critical parameters: the engine decides (NOTIFY UNSUPPORTED_CRITICAL_PARAMETER_TYPE).
import type { Reader } from '../reader.js';
import type { ParamOf, Span } from '../types.js';

export function decodeUnknown(r: Reader, type: number, span: Span): ParamOf<'UNKNOWN'> {
  const body = r.rest();
  return { kind: 'UNKNOWN', type, critical: (type & 1) === 1, span, body };
}
