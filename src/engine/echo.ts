// Answering the echo requests of a packet we reply to (RFC 7401 §5.2.20-§5.2.23).
//
// "The ECHO_REQUEST_UNSIGNED parameter MUST be responded to with an ECHO_RESPONSE_UNSIGNED
// parameter" (§5.2.21), and "It is possible that middleboxes add ECHO_REQUEST_UNSIGNED parameters
// in HIP packets passing by": so every reply of ours to a packet that can carry them answers each
// one, whoever added it and whether or not the exchange runs through a Control Relay Server. The
// replies are the I2 (to an R1, §5.3.2: "<, ECHO_REQUEST_UNSIGNED >i", answered in the I2's
// "<, ECHO_RESPONSE_UNSIGNED>i", §5.3.3), the R2 (to an I2, which a Control Relay Server may give
// a nonce, RFC 9028 §7.3), the R1 (to an I1), the UPDATE that acknowledges a SEQ (§6.12.1 step 6)
// and the CLOSE_ACK (§5.3.8). The responses are numbered above HIP_SIGNATURE, so they follow it
// and neither the HIP_MAC nor the signature covers them (§5.2.1, §5.2.23): packets.ts puts them
// last, and a stored reply resent to a retransmitted request gets the new request's echoes in
// place of the old ones without being signed again.
//
// The requests are unsigned and anyone on the path may add them, so what we echo is bounded:
// at most MAX_UNSIGNED_ECHOES parameters of at most MAX_UNSIGNED_ECHO_BYTES each (RFC 9028 §7.6
// asks that no packet of a peer, or of a box on the path, make us send more than the protocol
// needs; one response per request makes the reply grow by what the request carried, no more).
// A packet over the bound is dropped (`echo-limit`), before any state changes, rather than
// answered for its first few requests only: §5.2.21 asks a response for each request, and the
// creator of a request "has to create the Opaque field so that it can later identify and remove
// the corresponding ECHO_RESPONSE_UNSIGNED", so a reply that silently leaves some out breaks the
// MUST for exactly the boxes that count on it (a Control Relay Server that checks its nonces
// drops such a reply, RFC 9028 §7.3). Dropping is what an oversized ECHO_REQUEST_SIGNED gets too
// (close.ts, update.ts): the packet whose reply we cannot send in full is not processed. It
// costs nothing the path could not do anyway: a box that can add parameters can drop the packet.
import { PARAM_TYPE } from '../wire/constants.js';
import { decodePacket, encodePacket, encodingLength } from '../wire/packet.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { Locator } from '../types.js';
import { invariant } from '../util/assert.js';
import { MAX_PACKET, packetLength } from './limits.js';
import type { HashId } from '../crypto/provider.js';
import type { HostIdentity } from '../crypto/host-id.js';

/** Most ECHO_REQUEST_UNSIGNED parameters in a packet we answer (RFC 7401 §5.2.21, RFC 9028 §7.6). */
export const MAX_UNSIGNED_ECHOES = 4;
/** Longest opaque data of an ECHO_REQUEST_UNSIGNED we answer (a relay nonce of RFC 9028 §7.3 is 20 bytes). */
export const MAX_UNSIGNED_ECHO_BYTES = 64;

/** The echo parameters of a reply, or why the packet cannot be answered. */
export type EchoAnswer = { readonly ok: true; readonly params: ParamInit[] } | { readonly ok: false; readonly detail: string };

/**
 * The responses to `pkt`'s echo requests: one ECHO_RESPONSE_UNSIGNED per ECHO_REQUEST_UNSIGNED,
 * in the order they came (§5.2.23: "copied unmodified from the corresponding echo request
 * parameter"). `signedCopy`, for an exchange through a Control Relay Server (RFC 9028 §7.3: nonces
 * "that the end hosts (Initiator and Responder) are required to sign"), also answers the first
 * request of at most `signedCopy.maxBytes` in ECHO_RESPONSE_SIGNED (§5.2.22: "copied unmodified
 * from the ECHO_REQUEST_SIGNED or ECHO_REQUEST_UNSIGNED parameter that triggered this response");
 * only one, since a packet holds one ECHO_RESPONSE_SIGNED, and none when `signedTaken` (the
 * packet's own ECHO_REQUEST_SIGNED already has it, §5.2.20 MUST).
 */
export function answerEchoes(pkt: HipPacket, signedCopy?: { readonly maxBytes: number; readonly signedTaken?: boolean }): EchoAnswer {
  const out: ParamInit[] = [];
  let count = 0;
  let signed = signedCopy === undefined || signedCopy.signedTaken === true;
  for (const p of pkt.params) {
    if (p.kind !== 'ECHO_REQUEST_UNSIGNED') continue;
    if (++count > MAX_UNSIGNED_ECHOES) return { ok: false, detail: `more than ${MAX_UNSIGNED_ECHOES} ECHO_REQUEST_UNSIGNED to answer (RFC 7401 §5.2.21)` };
    if (p.opaque.length > MAX_UNSIGNED_ECHO_BYTES) {
      return { ok: false, detail: `ECHO_REQUEST_UNSIGNED of ${p.opaque.length} bytes, over ${MAX_UNSIGNED_ECHO_BYTES} (RFC 7401 §5.2.21)` };
    }
    // Decoded fields are views of the packet's buffer: the reply keeps copies (wire/pool.ts).
    const opaque = Uint8Array.from(p.opaque);
    if (!signed && opaque.length <= signedCopy!.maxBytes) {
      out.push({ kind: 'ECHO_RESPONSE_SIGNED', opaque });
      signed = true;
    }
    out.push({ kind: 'ECHO_RESPONSE_UNSIGNED', opaque });
  }
  return { ok: true, params: out };
}

/** Whether `pkt` carries an echo request that a stored reply must answer afresh. */
export function hasUnsignedEchoes(pkt: HipPacket): boolean {
  return pkt.params.some((p) => p.kind === 'ECHO_REQUEST_UNSIGNED');
}

/**
 * A stored reply (`bytes`, signed, perhaps with the unsigned responses to an earlier copy of the
 * request) with its ECHO_RESPONSE_UNSIGNED parameters replaced by `answer`'s: a retransmitted
 * request may carry other echo requests than the copy first answered (a box on the path adds
 * one per packet), and each MUST be responded to (§5.2.21). The responses follow the signature
 * (§5.2.1), so HIP_MAC and HIP_SIGNATURE stay valid; the header length and checksum are computed
 * again for `src` and `dst`. The bytes are returned unchanged when nothing is to change, and
 * undefined when the new responses would not fit in one HIP packet (RFC 7401 §5.1).
 */
export function withUnsignedEchoes(bytes: Uint8Array, answer: readonly ParamInit[], src: Locator, dst: Locator): Uint8Array | undefined {
  const decoded = decodePacket(bytes);
  invariant(decoded.ok, 'stored reply no longer decodes');
  const p = decoded.packet;
  const kept = p.params.filter((x) => x.kind !== 'ECHO_RESPONSE_UNSIGNED');
  const fresh = answer.filter((x) => x.kind === 'ECHO_RESPONSE_UNSIGNED');
  if (kept.length === p.params.length && fresh.length === 0) return bytes;
  // Everything numbered below ECHO_RESPONSE_UNSIGNED stays before it, the rest after (§5.2.1).
  const type = (x: (typeof kept)[number]): number => x.type;
  const before = kept.filter((x) => type(x) < PARAM_TYPE.ECHO_RESPONSE_UNSIGNED);
  const after = kept.filter((x) => type(x) > PARAM_TYPE.ECHO_RESPONSE_UNSIGNED);
  const init = { kind: p.kind, senderHit: p.senderHit, receiverHit: p.receiverHit, controls: p.controls, params: [...before, ...fresh, ...after] };
  if (encodingLength(init) > MAX_PACKET) return undefined;
  return encodePacket(init, { src, dst });
}

/**
 * Whether a reply with `params` (its echo responses among them) and the HIP_MAC and signature
 * `auth` asks for fits in one HIP packet (RFC 7401 §5.1); checked before any state changes, so
 * that the echoes of a hostile packet end in a drop, never in the encoder's error.
 */
export function replyFits(params: readonly ParamInit[], auth: { readonly mac?: HashId; readonly sign?: HostIdentity }): boolean {
  return packetLength(params, auth) <= MAX_PACKET;
}
