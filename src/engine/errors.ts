// Error policy (docs/architecture.md, Errors): remote input is dropped with a DropReason and never throws;
// caller misuse throws TypeError/RangeError (argument shape) or HipStateError (wrong time);
// a broken invariant throws HipInternalError (a bug in hip-engine).
export { HipInternalError } from '../util/assert.js';

/** Why a remote input was dropped. A literal union and part of the public API. */
export type DropReason =
  /** The bytes did not decode (structure, lengths, padding, order, duplicates). */
  | 'decode'
  /** The HIP checksum was wrong (RFC 7401 §5.1.1). */
  | 'checksum'
  /** The Receiver's HIT is not one of ours (RFC 7401 §6.7 step 1, §6.9 step 2). */
  | 'unknown-hit'
  /** No association matches the HITs, or the packet is not acceptable in the current state (§4.4). */
  | 'bad-state'
  /** A parameter the packet type requires is missing or malformed for its use. */
  | 'missing-param'
  /** An unknown critical parameter (RFC 7401 §5.2.1). */
  | 'unsupported-critical'
  | 'bad-mac'
  | 'bad-signature'
  /** The puzzle solution does not verify, or #I is not one we issued (§6.9 step 8). */
  | 'bad-puzzle'
  /** The I2's R1 generation counter is outside the accepted range (§6.9 step 7). */
  | 'stale-r1-counter'
  /** The HIT does not match the Host Identity carried in the packet (§6.8 step 10, §6.9 step 12). */
  | 'hit-mismatch'
  /** The peer's HIT suite is not one we accept (§6.9 step 3). */
  | 'unsupported-hit-suite'
  /** The R1's DH group is not what the Responder's list says it prefers, or we never offered it (§6.8 step 7). */
  | 'dh-downgrade'
  /** No DH group in common, or the peer's group is unsupported (§6.9 step 10). */
  | 'no-common-dh-group'
  /** The peer's DH public value is invalid (off-curve, 0, 1, p-1). */
  | 'bad-dh-public'
  /** No acceptable HIP_CIPHER (§6.8 step 14, §6.9 step 9). */
  | 'no-common-cipher'
  /** No acceptable ESP transform (RFC 7402 §5.1.2). */
  | 'no-common-esp-transform'
  /** ENCRYPTED could not be decrypted into a HOST_ID (§6.9 step 11). */
  | 'decrypt-failed'
  /** Simultaneous initiation: the peer's I1/I2 loses the HIT comparison (§6.7 step 3, §6.9 step 5). */
  | 'lower-hit'
  /** The R1 is not newer than the one already answered (§6.8 step 8). */
  | 'old-r1'
  /** The puzzle could not be solved within the attempt budget or K is above our limit. */
  | 'puzzle-too-hard'
  /** An UPDATE whose SEQ is older than the last one processed, or an ACK for nothing outstanding (§6.12). */
  | 'stale-update'
  /** A late copy of a packet already processed (e.g. an I2 after the exchange completed). */
  | 'duplicate'
  /** ESP_INFO that fits none of the valid cases (RFC 7402 §5.1.1, RFC 8047 §5.2). */
  | 'bad-esp-info'
  /** An ECHO_RESPONSE or CLOSE_ACK nonce that does not match what we sent. */
  | 'bad-echo'
  /** The anonymous bit set where local policy refuses it (§6.8 step 9, §6.9 step 17). */
  | 'anonymous'
  /** Refused by a local policy hook or limit (half-open limit, locator cap...). */
  | 'policy'
  /** Dropped by a rate limit. */
  | 'rate-limited'
  /**
   * An esp-seen or esp-seq-exhausting input for an SPI we do not know, or a type 1 locator of a
   * LOCATOR_SET bound to an SPI of no SA of the association (RFC 8047 §5.2; that locator only).
   */
  | 'unknown-spi'
  /** An UPDATE's HOST_ID is not the association's Host Identity (RFC 8046 §4.3 MUST). */
  | 'host-id-mismatch'
  /**
   * A packet with FROM whose RVS_HMAC is missing or does not verify with the key of any of our
   * rendezvous servers (RFC 8004 §4.3.2: "the packet MUST be dropped").
   */
  | 'bad-rvs-hmac'
  /**
   * A packet with RELAY_FROM (at a Control Relay Client) or RELAY_TO (at a Control Relay Server)
   * whose RELAY_HMAC is missing or does not verify with the relay association's key (RFC 9028
   * §4.5: "silently drops the packet if the validation fails", §5.8).
   */
  | 'bad-relay-hmac'
  /**
   * A packet the Control Relay Server will not relay, or a relayed one a client will not accept
   * (RFC 9028 §4.5, §4.8): not over UDP, a transport address that is not UDP or has port 0,
   * relay parameters on a packet for a relay client.
   */
  | 'relay'
  /**
   * No NAT traversal mode in common: an R1 offers none of ours, or an I2 names one we did not
   * offer (RFC 9028 §4.3: NOTIFY NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER, the exchange aborted).
   */
  | 'no-common-nat-mode'
  /**
   * An R1 or I2 the Control Relay Server will not relay because it carries no NAT_TRAVERSAL_MODE
   * (RFC 9028 §4.5: "it MUST drop it and SHOULD send a NOTIFY error packet with type
   * NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER to the sender").
   */
  | 'relay-no-nat-mode'
  /**
   * An I2 or R2 the Control Relay Server will not relay because it does not answer, in a signed
   * ECHO_RESPONSE_SIGNED, a fresh nonce the relay put in the R1 or I2 it relayed before (RFC 9028
   * §7.3, `config.controlRelayReplayNonces`): a replayed base exchange.
   */
  | 'relay-replay';

/** The stable codes of {@link HipStateError}. */
export type HipStateErrorCode =
  | 'ERR_UNKNOWN_ASSOC'
  | 'ERR_UNKNOWN_IDENTITY'
  | 'ERR_HALF_OPEN_LIMIT'
  | 'ERR_NOT_ESTABLISHED'
  | 'ERR_NO_LOCATOR'
  | 'ERR_BUSY'
  | 'ERR_TIME_WENT_BACKWARDS'
  /** `register` asked for a type the peer's latest REG_INFO does not offer (RFC 8003 §4.3). */
  | 'ERR_NOT_OFFERED';

/** A valid call made at the wrong time. `code` is stable; tests assert on it, not on text. */
export class HipStateError extends Error {
  /** Always "HipStateError". */
  override readonly name = 'HipStateError';
  /** Which wrong-time call this was. */
  readonly code: HipStateErrorCode;
  constructor(code: HipStateErrorCode, message: string) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}
