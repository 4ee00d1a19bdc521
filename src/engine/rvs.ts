// Rendezvous (RFC 8004) and UPDATE forwarding through a rendezvous server (RFC 8046 §3.2.3).
//
// RVS role: a packet for a HIT that is not ours, whose owner holds a RENDEZVOUS registration
// with us, is relayed to the client's current locator (RFC 8004 §3.3, §4.3.2): the source
// address becomes ours, a FROM with the original source is appended, then an RVS_HMAC keyed with
// our outbound HIP integrity key of the client's association, and the checksum is recomputed
// for the new addresses. One relayed packet per packet received (no amplification); the only
// state is the client's relay budget (a token bucket kept with its registration, RFC 8004 §5).
//
// Client role: a packet carrying FROM is accepted only with an RVS_HMAC that verifies with the
// inbound key of one of our rendezvous servers (RFC 8004 §4.3.2 MUST); the sender's address is
// then the last FROM's, and the answer goes straight there with VIA_RVS (§4.2.3, §4.3.3).
import type { Locator } from '../types.js';
import { concatBytes } from '../util/bytes.js';
import { PARAM_TYPE } from '../wire/constants.js';
import { fixHeaderLength, writeHipChecksum } from '../wire/header.js';
import { decodePacket, encodeParamBlock } from '../wire/packet.js';
import { params as allParams, param } from '../wire/access.js';
import type { HipPacket } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { pathTo } from './mobility.js';
import { emitTransmit, resend } from './packets.js';
import { TokenBucket } from './rate-limit.js';
import { REG_TYPE_RENDEZVOUS } from './reg-types.js';
import { registrationState } from './registration.js';
import { establishedKeys, type HipKeys } from './states.js';

const HEADER = 40;

const keysOf = (assoc: Association): HipKeys | undefined => establishedKeys(assoc.state);


/** Where the unsigned rendezvous parameters of `raw` start (the first RVS_HMAC or VIA_RVS), or its end. */
function rendezvousTail(pkt: HipPacket, raw: Uint8Array): number {
  const p = pkt.params.find((q) => q.type === PARAM_TYPE.RVS_HMAC || q.type === PARAM_TYPE.VIA_RVS);
  return p?.span ? p.span.offset : raw.length;
}

/**
 * The RVS role (RFC 8004 §4.3.2): relays `pkt`, addressed to a HIT that is not ours, to the
 * registered client. Returns false when no client of that HIT is registered (the caller drops
 * the packet as before: "If it does not find an appropriate registration, it drops the packet").
 */
export function relayToClient(core: EngineCore, pkt: HipPacket, src: Locator): boolean {
  const client = core.registrar.client(REG_TYPE_RENDEZVOUS, pkt.receiverHit);
  if (!client) return false;
  const drop = (reason: Parameters<EngineCore['drop']>[0], detail: string): boolean => {
    core.drop(reason, { packetKind: pkt.kind, src, assoc: client, detail });
    return true;
  };
  const keys = keysOf(client);
  if (!keys) return drop('bad-state', 'the rendezvous client association has no keys');
  const raw = pkt.raw;
  if (!raw) return drop('decode', 'a relay needs the received bytes (datagram input)');
  // RFC 8004 §5: a finite relay budget per client, at most the configured one.
  const reg = client.registrations!;
  const c = core.config;
  const b = core.policy.rvsRelayBudget({ client: client.peerHit, src, configured: { perSecond: c.rvsRelayPerSecond, burst: c.rvsRelayBurst } });
  const finite = (x: number, max: number): number => (typeof x === 'number' && x > 0 ? Math.min(x, max) : 0);
  const perSecond = finite(b.perSecond, c.rvsRelayPerSecond);
  const burst = Math.max(1, Math.floor(finite(b.burst, c.rvsRelayBurst)));
  if (perSecond === 0) return drop('rate-limited', 'relay budget 0');
  reg.relay ??= new TokenBucket(perSecond, burst, core.now);
  if (!reg.relay.take(core.now)) return drop('rate-limited', 'rendezvous relay budget');
  const path = pathTo(core, client, client.peerLocator);
  if (!path) return drop('policy', 'no local locator of the client locator family');
  // §3.3 / §4.2.2: "the RVS MUST append a FROM parameter containing the original source IP
  // address", after any FROM already there; §4.2.1: the RVS_HMAC covers the packet up to it,
  // with the header length of that part and the checksum zero.
  const withFrom = fixHeaderLength(concatBytes(raw.subarray(0, rendezvousTail(pkt, raw)), encodeParamBlock([{ kind: 'FROM', address: src }])));
  const hmac = core.crypto.hmac(keys.rhash, keys.macOut, withFrom);
  // §3.3: "After modification, it MUST recompute the checksum field".
  const out = writeHipChecksum(fixHeaderLength(concatBytes(withFrom, encodeParamBlock([{ kind: 'RVS_HMAC', hmac }]))), path.src, path.dst);
  const decoded = decodePacket(out, { src: path.src, dst: path.dst });
  if (!decoded.ok) return drop('decode', `relayed packet does not decode: ${decoded.error.code}`);
  emitTransmit(core, out, decoded.packet, path.src, path.dst, client);
  return true;
}

/** What a client learns from a relayed packet: the original sender and the RVS that relayed it. */
export type Relayed = { readonly from: Locator; readonly rvs: Locator; readonly server: Association };

/**
 * The client side of a packet that carries FROM (RFC 8004 §4.3.2): "If the RVS_HMAC cannot be
 * verified and a FROM parameter is present, the packet MUST be dropped." Returns the original
 * sender (the last FROM) and the relaying server, or undefined after dropping the packet with
 * 'bad-rvs-hmac'. Packets without FROM are not relayed: the caller handles them as they are.
 */
export function verifyRelayed(core: EngineCore, pkt: HipPacket, src: Locator): Relayed | 'not-relayed' | undefined {
  const froms = allParams(pkt, 'FROM');
  if (froms.length === 0) return 'not-relayed';
  const mac = param(pkt, 'RVS_HMAC');
  const bad = (detail: string): undefined => {
    core.drop('bad-rvs-hmac', { packetKind: pkt.kind, src, detail });
    return undefined;
  };
  if (!mac || !mac.span || !pkt.raw) return bad('FROM without RVS_HMAC');
  const covered = fixHeaderLength(pkt.raw.slice(0, mac.span.offset));
  if (covered.length < HEADER) return bad('RVS_HMAC coverage');
  // Only our rendezvous servers' keys count; the one at the packet's source first.
  const servers = [...core.registrar.servers(REG_TYPE_RENDEZVOUS)].sort((a, b) => Number(!sameLoc(a.peerLocator, src)) - Number(!sameLoc(b.peerLocator, src)));
  for (const server of servers) {
    const keys = keysOf(server);
    if (!keys) continue;
    const expected = core.crypto.hmac(keys.rhash, keys.macIn, covered);
    if (timingSafeEqual(expected, mac.hmac)) return { from: froms.at(-1)!.address, rvs: src, server };
  }
  return bad(servers.length === 0 ? 'no rendezvous server registration' : 'RVS_HMAC does not verify');
}

function sameLoc(a: Locator, b: Locator): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/**
 * RFC 8046 §3.2.3 step 1: "The mobile host sending an UPDATE to the peer, and not receiving an
 * ACK, MAY resend the UPDATE to an RVS of the peer". The same bytes (HIP_MAC and signature do not
 * cover addresses), with the checksum for the new destination.
 */
export function resendViaRvs(core: EngineCore, assoc: Association, bytes: Uint8Array, retries: number): void {
  const rvs = assoc.registrations?.peerRvs;
  if (!rvs || rvs.length === 0) return;
  if (core.policy.updateViaRvs({ retries, retriesMax: core.config.updateRetriesMax, rvs }) !== true) return;
  for (const server of rvs) {
    const path = pathTo(core, assoc, server);
    if (!path) continue;
    resend(core, writeHipChecksum(bytes.slice(), path.src, path.dst), path.src, path.dst, assoc);
  }
}

/** Learns the peer's rendezvous server from the VIA_RVS of its R1 (RFC 8004 §4.2.3). */
export function notePeerRvs(assoc: Association, pkt: HipPacket): void {
  const via = param(pkt, 'VIA_RVS');
  if (via && via.addresses.length > 0) registrationState(assoc).peerRvs = via.addresses.map((a) => Uint8Array.from(a));
}
