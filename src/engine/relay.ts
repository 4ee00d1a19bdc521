// The Control Relay Server and its client (RFC 9028 §4.1, §4.5, §4.8): the UDP cousin of the
// rendezvous server (rvs.ts).
//
// Server role. A client registers for RELAY_UDP_HIP (type 2, §5.9) over UDP. The R2 that grants
// it, and every UPDATE we send the client afterwards, carries REG_FROM: the client's transport
// address as we saw it, its server-reflexive candidate (§4.1). A packet that arrives over UDP
// for the HIT of a registered client is forwarded to the transport address the client
// registered from (the reverse of the registration's R2), with RELAY_FROM (the sender's address
// and port as seen) and RELAY_HMAC keyed with our outbound HIP integrity key of the client's
// association (§4.5 steps 2 and 6, §5.8). A packet from a registered client that carries
// RELAY_TO and a RELAY_HMAC that verifies with the client's key is forwarded to RELAY_TO's
// transport address without the RELAY_HMAC (§4.5 steps 4 and 8, §4.8). One packet out per
// packet in, at most 24 + RELAY_HMAC bytes larger (24 more with the §7.3 nonce), within a token
// bucket per client; nothing is kept per relayed exchange. An R1 or I2 without NAT_TRAVERSAL_MODE
// is not relayed: it is dropped and its sender gets a bounded NOTIFY (§4.5 ¶1, §7.6). With
// config.controlRelayReplayNonces the relay adds a nonce to the R1 and I2 it relays and relays an
// I2 or R2 only if it signs a fresh one back (§7.3).
//
// Client role. A packet with RELAY_FROM counts only with a RELAY_HMAC that verifies with the
// inbound key of one of our Control Relay Servers (§4.5 step 3: "silently drops the packet if
// the validation fails"). It is then handled as sent from RELAY_FROM's transport address, and
// whatever we send back to that address while handling it goes through the relay: RELAY_TO with
// that address, then RELAY_HMAC with our outbound key of the relay association (§4.5 steps 3 and
// 7; §4.8 "the Control Relay Client MUST always utilize the RELAY_TO parameter").
import { locatorFamily } from '../addr/locator.js';
import type { Locator } from '../types.js';
import { concatBytes, equalBytes } from '../util/bytes.js';
import { PARAM_TYPE } from '../wire/constants.js';
import { fixHeaderLength } from '../wire/header.js';
import { decodePacket, encodeParamBlock } from '../wire/packet.js';
import { param } from '../wire/access.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { DropReason } from './errors.js';
import { emitTransmit, ordered, udpPortsFor } from './packets.js';
import { sendNotify } from './notify.js';
import { NOTIFY_TYPE } from '../wire/notify.js';
import { TokenBucket } from './rate-limit.js';
import { answerEchoes, type EchoAnswer } from './echo.js';
import { REG_TYPE_RELAY_UDP_HIP } from './reg-types.js';
import { registrationState } from './registration.js';
import { establishedKeys, type HipKeys } from './states.js';

const HEADER = 40;
/** IANA protocol number of UDP, the only transport the Control Relay Server carries (§5.6). */
const UDP = 17;

/** A transport address: an IP address and a UDP port. */
export type TransportAddress = { readonly address: Locator; readonly port: number };

/**
 * While a packet relayed by one of our Control Relay Servers is handled (client role): the
 * server's association and the original sender's transport address (RELAY_FROM). Packets we
 * send to that address meanwhile go through the server with RELAY_TO.
 */
export type RelayedFrom = { readonly server: Association; readonly peer: TransportAddress };

const keysOf = (assoc: Association): HipKeys | undefined => establishedKeys(assoc.state);


/** Offset in `raw` of the first parameter whose type is above `type` (or the end). */
function offsetAfter(pkt: HipPacket, raw: Uint8Array, type: number): number {
  const p = pkt.params.find((q) => q.type > type);
  return p?.span ? p.span.offset : raw.length;
}

/**
 * `raw` (the received packet `pkt`, or a prefix of it) with `add` put in type order, each after
 * the received parameters of its type: parameters numbered above HIP_SIGNATURE are covered by
 * neither the signature nor the HIP_MAC (RFC 7401 §5.2.1), so a relay may add them.
 */
function withParams(pkt: HipPacket, raw: Uint8Array, add: readonly ParamInit[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = 0;
  for (const p of ordered(add)) {
    const off = Math.min(raw.length, offsetAfter(pkt, raw, p.kind === 'UNKNOWN' ? p.type : PARAM_TYPE[p.kind]));
    parts.push(raw.subarray(at, off), encodeParamBlock([p]));
    at = off;
  }
  parts.push(raw.subarray(at));
  return fixHeaderLength(concatBytes(...parts));
}

/**
 * `raw` with a transport address parameter (and `extra`, the relay's nonce of RFC 9028 §7.3)
 * put in type order and a RELAY_HMAC over the result appended (RFC 9028 §5.8: "the same
 * semantics as RVS_HMAC", RFC 8004 §4.2.1: the packet up to it, with the header length of that
 * part and the checksum zero).
 */
function withAddressAndHmac(core: EngineCore, pkt: HipPacket, raw: Uint8Array, kind: 'RELAY_FROM' | 'RELAY_TO', to: TransportAddress, keys: HipKeys, extra: readonly ParamInit[] = []): Uint8Array {
  const covered = withParams(pkt, raw, [{ kind, port: to.port, protocol: UDP, address: to.address }, ...extra]);
  const hmac = core.crypto.hmac(keys.rhash, keys.macOut, covered);
  return fixHeaderLength(concatBytes(covered, encodeParamBlock([{ kind: 'RELAY_HMAC', hmac }])));
}

/** Whether RELAY_HMAC of `pkt` verifies with `key` (over the packet up to it). */
function hmacVerifies(core: EngineCore, pkt: HipPacket, keys: HipKeys): boolean {
  const mac = param(pkt, 'RELAY_HMAC');
  if (!mac?.span || !pkt.raw) return false;
  const covered = fixHeaderLength(pkt.raw.slice(0, mac.span.offset));
  if (covered.length < HEADER) return false;
  return timingSafeEqual(core.crypto.hmac(keys.rhash, keys.macIn, covered), mac.hmac);
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

const isRelayParam = (t: number): boolean => t === PARAM_TYPE.RELAY_FROM || t === PARAM_TYPE.RELAY_TO || t === PARAM_TYPE.RELAY_HMAC;

// ---------------------------------------------------------------------------------------------
// Server role

/**
 * The Control Relay Server's budget for one client (RFC 9028 §7.6, as RFC 8004 §5 for an RVS):
 * one token per relayed packet, in either direction, from the `controlRelayBudget` hook (at
 * most the configured one).
 */
function takeRelayToken(core: EngineCore, client: Association, src: Locator): boolean {
  const c = core.config;
  const b = core.policy.controlRelayBudget({ client: client.peerHit, src, configured: { perSecond: c.controlRelayPerSecond, burst: c.controlRelayBurst } });
  const finite = (x: number, max: number): number => (typeof x === 'number' && x > 0 ? Math.min(x, max) : 0);
  const perSecond = finite(b.perSecond, c.controlRelayPerSecond);
  const burst = Math.max(1, Math.floor(finite(b.burst, c.controlRelayBurst)));
  if (perSecond === 0) return false;
  const reg = registrationState(client);
  reg.controlRelay ??= new TokenBucket(perSecond, burst, core.now);
  return reg.controlRelay.take(core.now);
}

// ---- Base exchange replay protection (RFC 9028 §7.3) -----------------------------------------
//
// "The Control Relay Server can protect itself against replay attacks by becoming involved in the
// base exchange by introducing nonces that the end hosts (Initiator and Responder) are required
// to sign. One way to do this is to add ECHO_REQUEST_M parameters to the R1 and I2 packets ...
// and drop the I2 or R2 packets if the corresponding ECHO_RESPONSE_M parameters are not present."
// With config.controlRelayReplayNonces the relay adds to each R1 and I2 it relays an
// ECHO_REQUEST_UNSIGNED (RFC 7401 §5.2.21: "It is possible that middleboxes add
// ECHO_REQUEST_UNSIGNED parameters in HIP packets passing by"; numbered above HIP_SIGNATURE, so it
// leaves the pre-signed R1 intact, §4.5 step 3), and relays an I2 or R2 only if it carries the
// nonce back in ECHO_RESPONSE_SIGNED, which RFC 7401 §5.2.22 lets answer an
// ECHO_REQUEST_UNSIGNED and which the sender's HIP_SIGNATURE covers: a copy of an old I2 or R2
// cannot gain a fresh nonce without breaking its signature. The nonce keeps no state: the time
// window and an HMAC, under a secret of this relay, of the window, the kind of packet it was put
// in (R1 or I2) and the two HITs. It bounds replays in time: a copy of an I2 or R2 that carries a
// nonce is relayed while that nonce's window is accepted, not once per exchange.

const NONCE_LENGTH = 20;
const nonceSecrets = new WeakMap<EngineCore, Uint8Array>();

/** Which relayed packet a nonce was put in: the R1 (answered by the I2) or the I2 (by the R2). */
type NonceIn = 'R1' | 'I2';

function nonceFor(core: EngineCore, into: NonceIn, hitI: Uint8Array, hitR: Uint8Array, window: number): Uint8Array {
  let secret = nonceSecrets.get(core);
  if (!secret) {
    secret = core.random(32);
    nonceSecrets.set(core, secret);
  }
  const w = Uint8Array.of(window >>> 24, (window >>> 16) & 0xff, (window >>> 8) & 0xff, window & 0xff);
  const tag = core.crypto.hmac('sha256', secret, concatBytes(Uint8Array.of(into === 'R1' ? 1 : 2), w, hitI, hitR));
  return concatBytes(w, tag.subarray(0, NONCE_LENGTH - 4));
}

/** The nonce window of `now` (r1RotateMs long; an I2 answers an R1 of the last few, RFC 7401 §6.9 step 7). */
const nonceWindow = (core: EngineCore): number => Math.floor(core.now / core.config.r1RotateMs) >>> 0;

/** The relay's nonce for a relayed R1 or I2, or none when §7.3 protection is off. */
function nonceParam(core: EngineCore, pkt: HipPacket): ParamInit[] {
  if (!core.config.controlRelayReplayNonces || (pkt.kind !== 'R1' && pkt.kind !== 'I2')) return [];
  const [hitI, hitR] = pkt.kind === 'R1' ? [pkt.receiverHit, pkt.senderHit] : [pkt.senderHit, pkt.receiverHit];
  return [{ kind: 'ECHO_REQUEST_UNSIGNED', opaque: nonceFor(core, pkt.kind, hitI, hitR, nonceWindow(core)) }];
}

/**
 * Whether a relayed I2 or R2 may go on under §7.3: always when protection is off or for other
 * packets; else only with an ECHO_RESPONSE_SIGNED holding a nonce of ours for its HITs, issued
 * within the last `r1AcceptGenerations` + 1 windows.
 */
function echoesFreshNonce(core: EngineCore, pkt: HipPacket): boolean {
  if (!core.config.controlRelayReplayNonces || (pkt.kind !== 'I2' && pkt.kind !== 'R2')) return true;
  const [into, hitI, hitR]: [NonceIn, Uint8Array, Uint8Array] = pkt.kind === 'I2' ? ['R1', pkt.senderHit, pkt.receiverHit] : ['I2', pkt.receiverHit, pkt.senderHit];
  const now = nonceWindow(core);
  for (const p of pkt.params) {
    if (p.kind !== 'ECHO_RESPONSE_SIGNED' || p.opaque.length !== NONCE_LENGTH) continue;
    const w = ((p.opaque[0]! << 24) | (p.opaque[1]! << 16) | (p.opaque[2]! << 8) | p.opaque[3]!) >>> 0;
    if (w > now || now - w > core.config.r1AcceptGenerations) continue;
    if (timingSafeEqual(p.opaque, nonceFor(core, into, hitI, hitR, w))) return true;
  }
  return false;
}

/** Longest ECHO_REQUEST_UNSIGNED an end host signs back (a relay nonce is 20 bytes). */
const MAX_SIGNED_ECHO_BYTES = 64;

/**
 * End host: the echo parameters of our I2 (answering `pkt`, an R1) or R2 (answering an I2).
 * Every ECHO_REQUEST_UNSIGNED gets its ECHO_RESPONSE_UNSIGNED (RFC 7401 §5.2.21 MUST, relayed or
 * not; bounded, echo.ts). When the exchange runs through a Control Relay Server (RFC 9028 §7.3:
 * the relay's nonces "that the end hosts (Initiator and Responder) are required to sign"), the
 * first request of at most 64 bytes also gets a signed copy, ECHO_RESPONSE_SIGNED (§5.2.22:
 * "copied unmodified from the ECHO_REQUEST_SIGNED or ECHO_REQUEST_UNSIGNED parameter that
 * triggered this response"): one, as a packet holds one ECHO_RESPONSE_SIGNED, and none when
 * `signedTaken` (the packet's own ECHO_REQUEST_SIGNED takes it, §5.2.20).
 */
export function relayedExchangeEchoes(pkt: HipPacket, relayed: boolean, signedTaken = false): EchoAnswer {
  return answerEchoes(pkt, relayed ? { maxBytes: MAX_SIGNED_ECHO_BYTES, signedTaken } : undefined);
}

/**
 * §4.5 ¶1: "If a Control Relay Server receives an R1 or I2 packet without the NAT traversal mode
 * parameter, it MUST drop it and SHOULD send a NOTIFY error packet with type
 * NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER to the sender of the R1 or I2", with the rejected
 * packet's HIP header as data (§5.10). The sender's address may be forged, so the NOTIFY is
 * bounded (§7.6): at most one per dropped packet, only within the client's relay budget (the
 * token a relayed packet would have taken) and the engine-wide NOTIFY limit (RFC 7401 §5.3.6).
 */
function refuseWithoutNatMode(core: EngineCore, pkt: HipPacket, raw: Uint8Array, client: Association, src: Locator, dst: Locator, fromClient: boolean): boolean {
  core.drop('relay-no-nat-mode', { packetKind: pkt.kind, src, assoc: client, detail: `${pkt.kind} without NAT_TRAVERSAL_MODE (RFC 9028 §4.5)` });
  if (!takeRelayToken(core, client, src)) return true;
  const header = raw.slice(0, HEADER);
  // To the client through its association (its registered ports); to anyone else back to the
  // transport address the packet came from (the reversed ports of the datagram).
  if (fromClient) sendNotify(core, client.local, pkt.senderHit, NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER, header, client.localLocator, client.peerLocator, client);
  else sendNotify(core, client.local, pkt.senderHit, NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER, header, dst, src);
  return true;
}

const needsNatMode = (pkt: HipPacket): boolean => (pkt.kind === 'R1' || pkt.kind === 'I2') && !param(pkt, 'NAT_TRAVERSAL_MODE');

/**
 * The server role of a packet that is not addressed to us (RFC 9028 §4.5, §4.8). Returns true
 * when the packet was the relay's business (forwarded, or dropped with a reason), false when it
 * is not: no registered RELAY_UDP_HIP client sent it or is its receiver, and the caller handles
 * it as before.
 */
export function relayControlPacket(core: EngineCore, pkt: HipPacket, src: Locator, dst: Locator): boolean {
  if (core.registrar.offer === undefined) return false;
  // A client's packet with RELAY_TO goes out (even to another client); anything else for a
  // client's HIT goes in.
  const fromClient = param(pkt, 'RELAY_TO') ? core.registrar.client(REG_TYPE_RELAY_UDP_HIP, pkt.senderHit) : undefined;
  const toClient = fromClient ? undefined : core.registrar.client(REG_TYPE_RELAY_UDP_HIP, pkt.receiverHit);
  const client = toClient ?? fromClient;
  if (!client) return false;
  const drop = (reason: DropReason, detail: string): boolean => {
    core.drop(reason, { packetKind: pkt.kind, src, assoc: client, detail });
    return true;
  };
  // The service is the relaying of HIP over UDP (§4.1): a packet on plain IP is not relayed
  // (the engine asks only for UDP datagrams).
  const inUdp = core.inputUdp;
  if (!inUdp) return false;
  const raw = pkt.raw;
  if (!raw) return drop('decode', 'a relay needs the received bytes (datagram input)');
  const keys = keysOf(client);
  if (!keys || !client.udp) return drop('bad-state', 'the relay client association has no keys or is not over UDP');
  if (toClient) {
    // §4.5 step 2: RELAY_FROM and RELAY_HMAC are the relay's to add; a packet that already has
    // them is not one an Initiator sends (a loop or a forgery), and would not decode once added.
    if (pkt.params.some((p) => isRelayParam(p.type))) return drop('relay', 'a packet for a relay client already carries relay parameters');
    if (needsNatMode(pkt)) return refuseWithoutNatMode(core, pkt, raw, toClient, src, dst, false);
    if (!echoesFreshNonce(core, pkt)) return drop('relay-replay', `${pkt.kind} without a fresh relay nonce in ECHO_RESPONSE_SIGNED (RFC 9028 §7.3)`);
    if (!takeRelayToken(core, toClient, src)) return drop('rate-limited', 'control relay budget');
    // "changes the source and destination ports and IP addresses of the packet to match the
    // values the Responder used when registering ..., i.e., the reverse of the R2".
    const to = toClient.peerLocator;
    const ourSrc = toClient.localLocator;
    const out = withAddressAndHmac(core, pkt, raw, 'RELAY_FROM', { address: src, port: inUdp.srcPort }, keys, nonceParam(core, pkt));
    return forward(core, pkt, out, ourSrc, to, udpPortsFor(core, toClient, to)!, toClient, src);
  }
  // §4.5 step 4, §4.8: from a registered client, forwarded to RELAY_TO. "The Control Relay
  // Server drops the packet silently if the source HIT belongs to a Control Relay Client that has
  // not successfully registered" (no registration: not handled here, dropped by the caller).
  // Only the client's own RELAY_HMAC lets its HIT through: anyone can claim a source HIT.
  const to = param(pkt, 'RELAY_TO')!;
  if (to.protocol !== UDP) return drop('relay', `RELAY_TO protocol ${to.protocol}, only UDP (17) is relayed`);
  if (!hmacVerifies(core, pkt, keys)) return drop('bad-relay-hmac', param(pkt, 'RELAY_HMAC') ? 'RELAY_HMAC does not verify with the client key' : 'RELAY_TO without RELAY_HMAC');
  if (to.port === 0) return drop('relay', 'RELAY_TO port 0');
  if (needsNatMode(pkt)) return refuseWithoutNatMode(core, pkt, raw, fromClient!, src, dst, true);
  if (!echoesFreshNonce(core, pkt)) return drop('relay-replay', `${pkt.kind} without a fresh relay nonce in ECHO_RESPONSE_SIGNED (RFC 9028 §7.3)`);
  if (!takeRelayToken(core, fromClient!, src)) return drop('rate-limited', 'control relay budget');
  const peer = Uint8Array.from(to.address);
  const family = locatorFamily(peer);
  const ourSrc = core.localLocators.find((l) => locatorFamily(l) === family);
  if (!ourSrc) return drop('policy', 'no local locator of the RELAY_TO address family');
  // The RELAY_HMAC was for us: the peer could not verify it. RELAY_TO stays (§4.5 step 5: the
  // Initiator MAY use it as a peer-reflexive candidate).
  const mac = param(pkt, 'RELAY_HMAC')!;
  const stripped = raw.slice(0, mac.span!.offset);
  const nonce = nonceParam(core, pkt);
  const out = nonce.length > 0 ? withParams(pkt, stripped, nonce) : fixHeaderLength(stripped);
  return forward(core, pkt, out, ourSrc, peer, { srcPort: inUdp.dstPort, dstPort: to.port }, undefined, src);
}

function forward(core: EngineCore, pkt: HipPacket, out: Uint8Array, src: Locator, dst: Locator, udp: { srcPort: number; dstPort: number }, assoc: Association | undefined, from: Locator): boolean {
  // §4.5: "The Control Relay Server MUST recalculate the transport checksum": over UDP the HIP
  // checksum is zero (RFC 9028 §5.1) and the UDP one is the driver's.
  const decoded = decodePacket(out, { src, dst, verifyChecksum: false });
  if (!decoded.ok) {
    core.drop('decode', { packetKind: pkt.kind, src: from, detail: `relayed packet does not decode: ${decoded.error.code}` });
    return true;
  }
  emitTransmit(core, out, decoded.packet, src, dst, assoc, udp);
  return true;
}

/**
 * REG_FROM for a packet to `client` (RFC 9028 §4.1): the transport address its packets come
 * from as we see them (the ports of the datagram being handled, else those of the association).
 * Undefined unless the client holds RELAY_UDP_HIP with us (or `granting` it now) over UDP.
 */
export function regFromParam(core: EngineCore, client: Association | undefined, dst: Locator, granting = false): ParamInit | undefined {
  const holds = granting || client?.registrations?.granted.has(REG_TYPE_RELAY_UDP_HIP) === true;
  if (!holds) return undefined;
  const port = core.inputUdp?.srcPort ?? (client?.udp ? udpPortsFor(core, client, dst)?.dstPort : undefined);
  if (port === undefined) return undefined;
  return { kind: 'REG_FROM', port, protocol: UDP, address: dst };
}

/**
 * A NAT rebinding of a Control Relay Client (RFC 9028 §4.1): an authenticated UPDATE with a new
 * SEQ from the client's registered address but another UDP port moves the registration there,
 * so that relayed packets, and the UPDATE responses whose REG_FROM tells the client its new
 * server-reflexive port, reach it. Only the port: a new address goes through the address
 * verification of RFC 8046 §5.4. A copy of an old UPDATE (an already seen SEQ) moves nothing.
 */
export function followClientPort(core: EngineCore, client: Association, pkt: HipPacket, src: Locator, seenPeerIds: readonly number[]): void {
  const inUdp = core.inputUdp;
  const seq = param(pkt, 'SEQ');
  if (!inUdp || !client.udp || !seq || core.relayedFrom) return;
  if (!client.registrations?.granted.has(REG_TYPE_RELAY_UDP_HIP)) return;
  if (inUdp.srcPort === client.udp.peerPort || !equalBytes(src, client.peerLocator) || seenPeerIds.includes(seq.updateId)) return;
  client.udp = { localPort: client.udp.localPort, peerPort: inUdp.srcPort };
}

/** Whether a registrar answer (REG_RESPONSE parameters) grants RELAY_UDP_HIP. */
export function grantsRelay(params: readonly ParamInit[] | undefined): boolean {
  return (params ?? []).some((p) => p.kind === 'REG_RESPONSE' && p.lifetime > 0 && p.regTypes.includes(REG_TYPE_RELAY_UDP_HIP));
}

// ---------------------------------------------------------------------------------------------
// Client role

/**
 * A packet that carries RELAY_FROM (client role, RFC 9028 §4.5 steps 3 and 7): returns the
 * relaying server and the original sender, 'direct' for a packet without RELAY_FROM, or
 * undefined after dropping it ('bad-relay-hmac' when its RELAY_HMAC is missing or verifies with
 * the key of none of our Control Relay Servers: a handful, never a walk of the associations).
 */
export function acceptRelayed(core: EngineCore, pkt: HipPacket, src: Locator): RelayedFrom | 'direct' | undefined {
  const from = param(pkt, 'RELAY_FROM');
  if (!from) return 'direct';
  const bad = (reason: DropReason, detail: string): undefined => {
    core.drop(reason, { packetKind: pkt.kind, src, detail });
    return undefined;
  };
  if (!core.inputUdp) return bad('relay', 'RELAY_FROM on a packet that did not come over UDP');
  if (!param(pkt, 'RELAY_HMAC')) return bad('bad-relay-hmac', 'RELAY_FROM without RELAY_HMAC');
  const servers = core.registrar.servers(REG_TYPE_RELAY_UDP_HIP);
  let server: Association | undefined;
  // The server at the packet's source first; the others only if it is not one of them.
  for (const s of servers) if (equalBytes(s.peerLocator, src)) server = s;
  const ordered = server ? [server, ...[...servers].filter((s) => s !== server)] : [...servers];
  server = ordered.find((s) => {
    const keys = keysOf(s);
    return keys !== undefined && hmacVerifies(core, pkt, keys);
  });
  if (!server) return bad('bad-relay-hmac', servers.size === 0 ? 'no Control Relay Server registration' : 'RELAY_HMAC does not verify');
  if (from.protocol !== UDP || from.port === 0) return bad('relay', `RELAY_FROM protocol ${from.protocol} port ${from.port}`);
  if (param(pkt, 'RVS_HMAC')) {
    // §5.10: "In the unintended event that a Control Relay Server sends any HIP message with an
    // RVS_HMAC parameter, the Control Relay Client drops the received HIP message and sends a
    // notify message back to the Control Relay Server", the rejected packet's HIP header as data.
    bad('relay', 'RVS_HMAC in a packet from our Control Relay Server');
    const local = core.identityByHit(server.localHit);
    if (local && pkt.raw) sendNotify(core, local, server.peerHit, NOTIFY_TYPE.RVS_HMAC_PROHIBITED_WITH_RELAY, pkt.raw.slice(0, HEADER), server.localLocator, src, server);
    return undefined;
  }
  return { server, peer: { address: Uint8Array.from(from.address), port: from.port } };
}

/**
 * Sends `bytes` (a packet we built for the relayed peer) through our Control Relay Server
 * instead (RFC 9028 §4.5 steps 3 and 7, §4.8): RELAY_TO with the peer's transport address, then
 * RELAY_HMAC with our outbound key of the server's association, to the address and ports we
 * registered with. Called by `emitTransmit` for packets to `via.peer.address`.
 */
export function sendViaRelay(core: EngineCore, bytes: Uint8Array, packet: HipPacket, via: RelayedFrom): void {
  const server = via.server;
  const keys = keysOf(server);
  const raw = packet.raw ?? bytes;
  if (!keys || !server.udp) {
    core.drop('bad-state', { packetKind: packet.kind, assoc: server, detail: 'the Control Relay Server association has no keys' });
    return;
  }
  const out = withAddressAndHmac(core, packet, raw, 'RELAY_TO', via.peer, keys);
  const src = server.localLocator;
  const dst = server.peerLocator;
  const decoded = decodePacket(out, { src, dst, verifyChecksum: false });
  if (!decoded.ok) {
    core.drop('decode', { packetKind: packet.kind, assoc: server, detail: `packet via relay does not decode: ${decoded.error.code}` });
    return;
  }
  emitTransmit(core, out, decoded.packet, src, dst, server, udpPortsFor(core, server, dst));
}

/**
 * REG_FROM of an authenticated R2 or UPDATE from a Control Relay Server (RFC 9028 §4.1): our
 * server-reflexive candidate as the server saw it. A new or changed one (NAT rebinding, host
 * movement) is recorded and reported with a `server-reflexive` event. Ignored unless we hold or
 * asked for RELAY_UDP_HIP with that peer.
 */
export function noteRegFrom(core: EngineCore, assoc: Association, pkt: HipPacket): void {
  const p = param(pkt, 'REG_FROM');
  const st = assoc.registrations;
  if (!p || !st || !(st.held.has(REG_TYPE_RELAY_UDP_HIP) || st.wanted.includes(REG_TYPE_RELAY_UDP_HIP))) return;
  const prev = st.regFrom;
  if (prev && prev.port === p.port && equalBytes(prev.address, p.address)) return;
  const next = { address: Uint8Array.from(p.address), port: p.port };
  st.regFrom = next;
  core.emit({
    kind: 'event',
    event: { type: 'server-reflexive', assoc: assoc.id, peerHit: assoc.peerHit, address: next.address, port: next.port, ...(prev ? { previous: { address: prev.address, port: prev.port } } : {}) },
  });
}

/**
 * Our server-reflexive candidates (RFC 9028 §4.2: "One server-reflexive candidate can be
 * discovered during the registration with the Control Relay Server from the REG_FROM
 * parameter"): one per Control Relay Server that granted us RELAY_UDP_HIP and told us a REG_FROM.
 * O(relay servers).
 */
export function serverReflexiveCandidates(core: EngineCore): readonly { address: Locator; port: number; relay: Association }[] {
  const out: { address: Locator; port: number; relay: Association }[] = [];
  for (const relay of core.registrar.servers(REG_TYPE_RELAY_UDP_HIP)) {
    const r = relay.registrations?.regFrom;
    if (r) out.push({ address: r.address, port: r.port, relay });
  }
  return out;
}
