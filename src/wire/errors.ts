// Decode errors (docs/architecture.md, Codec and Errors). Untrusted bytes never make the codec throw: the readers throw
// a private `DecodeFailure` that `decodePacket` catches at its single boundary and turns into
// `{ ok: false, error }` (h11's "internal Local, external Remote" pattern).

/**
 * Why a packet was rejected. Structural only: the codec never judges semantics (state, crypto,
 * critical-parameter policy).
 *
 * - `TRUNCATED`: the buffer is shorter than the fixed header or than the header length says.
 * - `BAD_HEADER_LENGTH`: header length < 4 (a header must hold both HITs, RFC 7401 §5.1).
 * - `BAD_VERSION`: version field is not 2.
 * - `BAD_FIXED_BIT`: the SHIM6 fixed bits (RFC 7401 §5.1) are not 0 and 1.
 * - `UNKNOWN_PACKET_TYPE`: the packet type is not one of RFC 7401 §5.3 (MUST drop).
 * - `TRAILING_BYTES`: bytes after the packet end with Next Header 59 (see `DecodeOptions`).
 * - `BAD_CHECKSUM`: the HIP checksum does not match the pseudo-header (or, over UDP, is not 0).
 * - `BAD_PARAM_LENGTH`: a parameter's Length field overruns the packet or does not fit the
 *   parameter's layout (fixed size, list item size, RHASH-sized #I/#J).
 * - `BAD_INNER_LENGTH`: a length inside a parameter (Locator Length, HI/DI Length, Public
 *   Value Length) disagrees with the bytes present.
 * - `BAD_PADDING`: a padding byte is not zero.
 * - `PARAMS_OUT_OF_ORDER`: a parameter type is lower than the previous one (§5.2.1).
 * - `DUPLICATE_PARAM`: a parameter that may appear only once appears again.
 * - `BAD_FIELD`: a field value the RFC layout forbids (e.g. DI-Type 0 with DI Length ≠ 0).
 * - `BAD_MARKER`: a UDP-encapsulated control packet without its 32-bit zero marker (RFC 9028).
 */
export type DecodeErrorCode =
  | 'TRUNCATED'
  | 'BAD_HEADER_LENGTH'
  | 'BAD_VERSION'
  | 'BAD_FIXED_BIT'
  | 'UNKNOWN_PACKET_TYPE'
  | 'TRAILING_BYTES'
  | 'BAD_CHECKSUM'
  | 'BAD_PARAM_LENGTH'
  | 'BAD_INNER_LENGTH'
  | 'BAD_PADDING'
  | 'PARAMS_OUT_OF_ORDER'
  | 'DUPLICATE_PARAM'
  | 'BAD_FIELD'
  | 'BAD_MARKER';

/** Every code, for exhaustive tests and for engines that count drops per code. */
export const DECODE_ERROR_CODES: readonly DecodeErrorCode[] = [
  'TRUNCATED',
  'BAD_HEADER_LENGTH',
  'BAD_VERSION',
  'BAD_FIXED_BIT',
  'UNKNOWN_PACKET_TYPE',
  'TRAILING_BYTES',
  'BAD_CHECKSUM',
  'BAD_PARAM_LENGTH',
  'BAD_INNER_LENGTH',
  'BAD_PADDING',
  'PARAMS_OUT_OF_ORDER',
  'DUPLICATE_PARAM',
  'BAD_FIELD',
  'BAD_MARKER',
];

/**
 * A structured decode error. `offset` is the byte offset in the decoded buffer where the problem
 * was found; `path` names the field, e.g. `header.version`, `SEQ.length`,
 * `LOCATOR_SET[1].locatorLength` (entry 1 of the LOCATOR_SET), `UNKNOWN(4242)`.
 */
export type DecodeError = {
  readonly code: DecodeErrorCode;
  readonly offset: number;
  readonly path: string;
  readonly message: string;
};

/**
 * Internal: thrown by readers and parameter decoders, caught at the decode boundary. Not an
 * `Error` subclass: no stack trace is captured on the (attacker-reachable) failure path.
 */
export class DecodeFailure {
  readonly code: DecodeErrorCode;
  readonly offset: number;
  readonly path: string;
  readonly message: string;
  constructor(code: DecodeErrorCode, offset: number, path: string, message: string) {
    this.code = code;
    this.offset = offset;
    this.path = path;
    this.message = message;
  }
  toError(): DecodeError {
    return { code: this.code, offset: this.offset, path: this.path, message: this.message };
  }
}

export function decodeError(code: DecodeErrorCode, offset: number, path: string, message: string): DecodeError {
  return { code, offset, path, message };
}
