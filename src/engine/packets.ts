// Building outgoing HIP packets: parameters in type order, then HIP_MAC / HIP_MAC_2 over the
// packet encoded so far, then HIP_SIGNATURE over that (RFC 7401 §6.4.1, §6.4.2). Each step
// encodes the packet without the parameter being computed, which is exactly the covered input
// (header length of the truncated packet, checksum zero).
import { computeMac, computeMac2, signPacket } from '../crypto/auth.js';
import type { HostIdentity } from '../crypto/host-id.js';
import type { HashId } from '../crypto/provider.js';
import type { Hit, Locator, UdpPorts } from '../types.js';
import { PARAM_TYPE, type PacketKind } from '../wire/constants.js';
import { CHECKSUM_OFFSET } from '../wire/header.js';
import { decodePacket, encodePacket } from '../wire/packet.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import { invariant } from '../util/assert.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { sendViaRelay } from './relay.js';
import { equalBytes } from '../util/bytes.js';

/** Parameters in ascending type order (RFC 7401 §5.2.1), whatever order they were listed in. */
export function ordered(params: readonly ParamInit[]): ParamInit[] {
  return [...params].sort((a, b) => typeOf(a) - typeOf(b));
}

function typeOf(p: ParamInit): number {
  return p.kind === 'UNKNOWN' ? p.type : PARAM_TYPE[p.kind];
}

export type BuildAuth = {
  readonly mac?: { readonly hash: HashId; readonly key: Uint8Array };
  /** HIP_MAC_2 (R2): the Responder's HOST_ID parameter as sent in R1 is appended for the MAC. */
  readonly mac2?: { readonly hash: HashId; readonly key: Uint8Array; readonly hostIdParam: Uint8Array };
  readonly sign?: HostIdentity;
};

export type Built = { readonly bytes: Uint8Array; readonly packet: HipPacket };

/**
 * Encodes a packet (parameters put in type order), adds the MAC and signature the auth asks for,
 * and fills in the checksum.
 */
export function buildPacket(
  core: EngineCore,
  head: { readonly kind: PacketKind; readonly senderHit: Hit; readonly receiverHit: Hit; readonly controls?: number },
  params: readonly ParamInit[],
  auth: BuildAuth,
  src: Locator,
  dst: Locator,
): Built {
  // Parameters numbered above HIP_SIGNATURE (ECHO_*_UNSIGNED, FROM, RVS_HMAC, VIA_RVS) follow
  // the signature and are covered by neither the HIP_MAC nor the signature (RFC 7401 §5.2.1,
  // RFC 8004 §4.2): they are appended last.
  const sorted = ordered(params);
  const all: ParamInit[] = sorted.filter((p) => typeOf(p) < PARAM_TYPE.HIP_SIGNATURE);
  const tail = sorted.filter((p) => typeOf(p) > PARAM_TYPE.HIP_SIGNATURE);
  const base = { kind: head.kind, senderHit: head.senderHit, receiverHit: head.receiverHit, controls: head.controls ?? 0 };
  if (auth.mac) {
    const hmac = computeMac(core.crypto, auth.mac.hash, auth.mac.key, encodePacket({ ...base, params: all }));
    all.push({ kind: 'HIP_MAC', hmac });
  }
  if (auth.mac2) {
    const m = auth.mac2;
    const hmac = computeMac2(core.crypto, m.hash, m.key, encodePacket({ ...base, params: all }), m.hostIdParam);
    all.push({ kind: 'HIP_MAC_2', hmac });
  }
  if (auth.sign) {
    const sig = signPacket(core.crypto, auth.sign, encodePacket({ ...base, params: all }), core.random);
    all.push({ kind: 'HIP_SIGNATURE', algorithm: sig.algorithm, signature: sig.signature });
  }
  all.push(...tail);
  const bytes = encodePacket({ ...base, params: all }, { src, dst });
  const decoded = decodePacket(bytes, { src, dst });
  invariant(decoded.ok, `engine built an undecodable ${head.kind}: ${decoded.ok ? '' : decoded.error.code} at ${decoded.ok ? '' : decoded.error.path}`);
  return { bytes, packet: decoded.packet };
}

/** Queues a transmit and records activity on the association (UAL, RFC 7401 §4.4.3). */
export function send(core: EngineCore, built: Built, src: Locator, dst: Locator, assoc?: Association): void {
  emitTransmit(core, built.bytes, built.packet, src, dst, assoc);
  if (assoc) assoc.lastActivity = core.now;
}

/** Re-sends stored bytes (a retransmission): the same packet, so the same decode. */
export function resend(core: EngineCore, bytes: Uint8Array, src: Locator, dst: Locator, assoc?: Association): void {
  const decoded = decodePacket(bytes);
  invariant(decoded.ok, 'stored packet no longer decodes');
  emitTransmit(core, bytes, decoded.packet, src, dst, assoc);
  if (assoc) assoc.lastActivity = core.now;
}

/**
 * The one place a `transmit` is queued. An association that runs over UDP sends from its local
 * port to the peer's port for `dst`, one on IP sends on IP; a packet sent without an association
 * while a UDP datagram is handled (an R1, a NOTIFY) answers the ports that datagram came with. Over UDP the HIP
 * checksum is zero (RFC 9028 §5.1: the UDP checksum covers the packet, and a NAT could not fix a
 * HIP one); the stored bytes are not changed, a copy is.
 */
export function emitTransmit(core: EngineCore, bytes: Uint8Array, packet: HipPacket, src: Locator, dst: Locator, assoc?: Association, ports?: UdpPorts): void {
  // RFC 9028 §4.5, §4.8: answering a packet our Control Relay Server relayed, through it.
  const via = core.relayedFrom;
  if (via && ports === undefined && equalBytes(dst, via.peer.address)) return sendViaRelay(core, bytes, packet, via);
  const udp = ports ?? udpPortsFor(core, assoc, dst);
  if (udp === undefined) {
    core.emit({ kind: 'transmit', src, dst, bytes, packet });
  } else {
    const out = bytes.slice();
    if (out.length >= CHECKSUM_OFFSET + 2) out[CHECKSUM_OFFSET] = out[CHECKSUM_OFFSET + 1] = 0;
    core.emit({ kind: 'transmit', src, dst, bytes: out, packet, udp });
    // RFC 9028 §5.3: traffic on the UDP ports makes a keepalive unnecessary (nat-keepalive.ts).
    if (assoc) assoc.udpSentAt = core.now;
  }
  core.countSent(packet.kind);
}

/** The UDP ports of a packet to `dst` (RFC 9028 §5.1), or undefined for plain IP. */
export function udpPortsFor(core: EngineCore, assoc: Association | undefined, dst: Locator): UdpPorts | undefined {
  if (assoc) return assoc.udp ? { srcPort: assoc.udp.localPort, dstPort: peerPortOf(assoc, dst) } : undefined;
  const inUdp = core.inputUdp;
  return inUdp ? { srcPort: inUdp.dstPort, dstPort: inUdp.srcPort } : undefined;
}

/**
 * The peer's UDP port at `locator`: a type 2 locator's own port (RFC 9028 §5.7), else the port
 * the association's packets came from.
 */
export function peerPortOf(assoc: Association, locator: Locator): number {
  const e = assoc.peerLocators.byLocator(locator);
  return e?.port ?? assoc.udp!.peerPort;
}
