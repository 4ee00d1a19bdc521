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
// packet in, at most 24 + RELAY_HMAC bytes larger, within a token bucket per client; nothing is
// kept per relayed exchange.
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
import { emitTransmit, udpPortsFor } from './packets.js';
import { sendNotify } from './notify.js';
import { NOTIFY_TYPE } from '../wire/notify.js';
import { TokenBucket } from './rate-limit.js';
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
 * `raw` with a transport address parameter put in type order and a RELAY_HMAC over the result
 * appended (RFC 9028 §5.8: "the same semantics as RVS_HMAC", RFC 8004 §4.2.1: the packet up to
 * it, with the header length of that part and the checksum zero).
 */
function withAddressAndHmac(core: EngineCore, pkt: HipPacket, raw: Uint8Array, kind: 'RELAY_FROM' | 'RELAY_TO', to: TransportAddress, keys: HipKeys): Uint8Array {
  const at = offsetAfter(pkt, raw, PARAM_TYPE[kind]);
  const addr = encodeParamBlock([{ kind, port: to.port, protocol: UDP, address: to.address }]);
  const covered = fixHeaderLength(concatBytes(raw.subarray(0, at), addr, raw.subarray(at)));
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

/**
 * The server role of a packet that is not addressed to us (RFC 9028 §4.5, §4.8). Returns true
 * when the packet was the relay's business (forwarded, or dropped with a reason), false when it
 * is not: no registered RELAY_UDP_HIP client sent it or is its receiver, and the caller handles
 * it as before.
 */
export function relayControlPacket(core: EngineCore, pkt: HipPacket, src: Locator): boolean {
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
    if (!takeRelayToken(core, toClient, src)) return drop('rate-limited', 'control relay budget');
    // "changes the source and destination ports and IP addresses of the packet to match the
    // values the Responder used when registering ..., i.e., the reverse of the R2".
    const dst = toClient.peerLocator;
    const ourSrc = toClient.localLocator;
    const out = withAddressAndHmac(core, pkt, raw, 'RELAY_FROM', { address: src, port: inUdp.srcPort }, keys);
    return forward(core, pkt, out, ourSrc, dst, udpPortsFor(core, toClient, dst)!, toClient, src);
  }
  // §4.5 step 4, §4.8: from a registered client, forwarded to RELAY_TO. "The Control Relay
  // Server drops the packet silently if the source HIT belongs to a Control Relay Client that has
  // not successfully registered" (no registration: not handled here, dropped by the caller).
  // Only the client's own RELAY_HMAC lets its HIT through: anyone can claim a source HIT.
  const to = param(pkt, 'RELAY_TO')!;
  if (to.protocol !== UDP) return drop('relay', `RELAY_TO protocol ${to.protocol}, only UDP (17) is relayed`);
  if (!hmacVerifies(core, pkt, keys)) return drop('bad-relay-hmac', param(pkt, 'RELAY_HMAC') ? 'RELAY_HMAC does not verify with the client key' : 'RELAY_TO without RELAY_HMAC');
  if (to.port === 0) return drop('relay', 'RELAY_TO port 0');
  if (!takeRelayToken(core, fromClient!, src)) return drop('rate-limited', 'control relay budget');
  const dst = Uint8Array.from(to.address);
  const family = locatorFamily(dst);
  const ourSrc = core.localLocators.find((l) => locatorFamily(l) === family);
  if (!ourSrc) return drop('policy', 'no local locator of the RELAY_TO address family');
  // The RELAY_HMAC was for us: the peer could not verify it. RELAY_TO stays (§4.5 step 5: the
  // Initiator MAY use it as a peer-reflexive candidate).
  const mac = param(pkt, 'RELAY_HMAC')!;
  const out = fixHeaderLength(raw.slice(0, mac.span!.offset));
  return forward(core, pkt, out, ourSrc, dst, { srcPort: inUdp.dstPort, dstPort: to.port }, undefined, src);
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
