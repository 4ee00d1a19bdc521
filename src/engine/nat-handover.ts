// ICE-HIP-UDP mobility handover, the "ICE restart" of RFC 9028 §4.9 (Figure 6), and the
// announcement of a new server-reflexive address (§4.8, §4.10).
//
// Mobile host. When our locators change (setLocalLocators and friends), the UPDATE with our new
// locators first goes to our Control Relay Servers (the ordinary RFC 8046 announcement on a
// relay association that runs plain UDP encapsulation, mobility.ts; the step 1 below on one that
// runs ICE-HIP-UDP); §4.9: "It SHOULD wait for all of them to respond for a
// configurable time, by default two minutes" (config.natRelayRefreshWaitMs), since their answer
// carries REG_FROM, our new server-reflexive candidate (§4.1). Then every ICE-HIP-UDP peer gets
// step 1: UPDATE(ESP_INFO with OLD SPI = NEW SPI = our existing inbound SPI,
// ENCRYPTED(LOCATOR_SET of type 2 candidates), SEQ), to the peer's Control Relay Server when the
// base exchange reached the peer through one (its R2 came with RELAY_TO, §4.5 step 7), else to
// the peer's current address. A REG_FROM that changes later (our NAT rebound, §4.8) starts the
// same announcement. The peer's step 3 answer ACKs it; we answer its ECHO_REQUEST_SIGNED with
// the ordinary ACK + ECHO_RESPONSE_SIGNED (step 5, update.ts) and restart our checks.
//
// Peer host. Step 1 is decrypted and its candidates kept aside, not applied: "the peer host does
// not restart the connectivity checks until step 6 is successfully completed, because the UPDATE
// message carrying locators in step 1 could be replayed by an attacker" (§4.9 ¶15). It answers
// with step 3, UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST_SIGNED); only the authenticated
// ECHO_RESPONSE_SIGNED of step 5 (step 6 at the peer) applies the candidates (UNVERIFIED, the
// old ones DEPRECATED) and restarts the checks (nat-checks.ts `restartChecks`). The original
// Initiator stays controlling (§4.9: it "MUST store" its role, `Association.role`), nominates,
// and the nomination moves HIP traffic and the SAs (§4.6.3). Until then no ESP goes to a new
// candidate (§4.6). A handover UPDATE arriving during checks restarts them the same way, after
// its step 6 (§4.9 ¶15, double jump); if our own step 1 is still unanswered at another address
// then, it goes again to where the peer's step 5 came from. Without checks (the
// skipConnectivityChecks policy, §4.7.1) the peer takes the transport address of step 5.
//
// Cost. Each association touched does O(1) work (its own candidates, bounded by
// config.maxPeerLocators). Announcing to every ICE-HIP-UDP peer after a packet (a relay's answer,
// a new REG_FROM) is a sweep over the associations driven by an engine deadline (`natSweep.at`,
// part of pollTimeout), a bounded batch each time, never a walk of all associations on one packet.
import { encryptParams, decryptParams } from '../crypto/encrypted.js';
import { locatorKey } from '../addr/locator.js';
import type { Locator, Millis } from '../types.js';
import { copyBytes, equalBytes } from '../util/bytes.js';
import { param } from '../wire/access.js';
import { decodeParamBlock, encodeParamBlock } from '../wire/packet.js';
import type { HipPacket, LocatorEntry, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { DropReason } from './errors.js';
import { LIFETIME_UNBOUNDED, publicEntry, setLocatorState, usableAddress } from './mobility.js';
import { addPeerCandidates, candidateLocatorSet, kindOf } from './nat-candidates.js';
import { adoptVerifiedPath, restartChecks } from './nat-checks.js';
import { REG_TYPE_RELAY_UDP_HIP } from './reg-types.js';
import { established, sendSeqUpdate, setUpdate, signedUpdate } from './update.js';
import { send } from './packets.js';
import { TRANSPORT_PROTOCOL_UDP } from '../wire/constants.js';

/** The `verify.locatorKey` of the step 3 UPDATE (its ECHO_REQUEST_SIGNED), never a locator key. */
export const HANDOVER_KEY = 'ice-handover';

/** Associations visited per step of a sweep. */
const SWEEP_BATCH = 64;

/** Per-association handover state (`Association.natHandover`); absent on most associations. */
export type HandoverState = {
  /** The peer's Control Relay Server, when the base exchange reached the peer through it (§4.5). */
  peerRelay?: Locator;
  /**
   * Peer role: the candidates of a step 1 UPDATE, held until the ECHO_RESPONSE_SIGNED of step 5
   * with this nonce arrives (§4.9 ¶15); `at` is when step 1 arrived.
   */
  pending?: { readonly nonce: Uint8Array; readonly candidates: readonly LocatorEntry[]; readonly at: Millis } | undefined;
};

/**
 * An engine-wide announcement to every ICE-HIP-UDP peer (`EngineCore.natSweep`): it waits for
 * the relay servers in `waiting` (until `deadline`), then walks the associations in batches, one
 * batch each time the engine's clock reaches `at` (`pollTimeout` includes it, so no association
 * timer carries it and nothing that clears an association's timers stops it).
 */
export type HandoverSweep = {
  readonly waiting: Set<Association>;
  readonly deadline: Millis;
  iter: Iterator<Association> | undefined;
  at: Millis;
};

const isIce = (assoc: Association): boolean => assoc.nat?.mode === 'ice-hip-udp' && assoc.udp !== undefined;
const isRelayServer = (core: EngineCore, assoc: Association): boolean => core.registrar.servers(REG_TYPE_RELAY_UDP_HIP).has(assoc);

/** RFC 9028 §4.5 step 7: an R2 that came with RELAY_TO was relayed by the peer's Control Relay Server. */
export function notePeerRelay(assoc: Association, pkt: HipPacket, src: Locator): void {
  if (!isIce(assoc) || !param(pkt, 'RELAY_TO')) return;
  assoc.natHandover = { ...assoc.natHandover, peerRelay: copyBytes(src) };
}

// ---------------------------------------------------------------------------------------------
// Mobile host

/**
 * After our locators changed and every association had its share (engine.ts applyLocators):
 * the relay servers that were sent our new locators are waited for (§4.9 ¶3); with none, the
 * ICE-HIP-UDP peers are told at once (this command is O(associations) anyway).
 */
export function afterLocatorsChanged(core: EngineCore): void {
  const waiting = new Set<Association>();
  for (const relay of core.registrar.servers(REG_TYPE_RELAY_UDP_HIP)) {
    // A relay association that runs ICE-HIP-UDP itself hears of the move by the handover
    // UPDATE, first; its answer (step 3) carries REG_FROM as every UPDATE to a client does.
    if (isIce(relay)) announceHandover(core, relay);
    if (established(relay)?.update.pending.some((p) => p.purpose === 'locators' || p.purpose === 'handover')) waiting.add(relay);
  }
  core.natSweep = undefined;
  if (waiting.size === 0) {
    for (const assoc of core.allAssociations()) if (!isRelayServer(core, assoc)) announceHandover(core, assoc);
    return;
  }
  const deadline = core.now + core.config.natRelayRefreshWaitMs;
  core.natSweep = { waiting, deadline, iter: undefined, at: deadline };
}

/** A relay server answered the UPDATE with our locators (its ACK, with REG_FROM, §4.1). */
export function onRelayAnswered(core: EngineCore, relay: Association): void {
  const sweep = core.natSweep;
  if (!sweep || !sweep.waiting.delete(relay)) return;
  if (sweep.waiting.size === 0 && sweep.iter === undefined) startWalk(core, sweep);
}

/**
 * Our server-reflexive address as a relay reports it changed (REG_FROM, §4.1): our NAT rebound
 * (§4.8) or we moved. A sweep waiting for the relays will use the new one anyway; otherwise the
 * ICE-HIP-UDP peers are told anew.
 */
export function onOwnReflexiveChanged(core: EngineCore): void {
  const sweep = core.natSweep;
  if (sweep && sweep.iter === undefined && sweep.waiting.size > 0) return;
  const next: HandoverSweep = { waiting: new Set(), deadline: core.now, iter: undefined, at: core.now };
  core.natSweep = next;
  startWalk(core, next);
}

/** The walk starts at the next tick (a deadline is always in the future of the input that set it). */
function startWalk(core: EngineCore, sweep: HandoverSweep): void {
  sweep.waiting.clear();
  sweep.iter = core.allAssociations();
  sweep.at = core.now + 1;
}

/**
 * The engine's clock reached `natSweep.at` (engine.ts handleTimeout): the end of the wait
 * (§4.9 ¶3: "then continue with the handover procedure without information from the Relay
 * Server that did not respond"), or the next batch of the walk.
 */
export function onSweepDue(core: EngineCore): void {
  const sweep = core.natSweep;
  if (!sweep || sweep.at > core.now) return;
  if (sweep.iter === undefined) return startWalk(core, sweep);
  for (let n = 0; n < SWEEP_BATCH; n++) {
    const r = sweep.iter.next();
    if (r.done) {
      core.natSweep = undefined;
      return;
    }
    // The relay servers were told first (afterLocatorsChanged), or told us the new REG_FROM.
    if (!isRelayServer(core, r.value)) announceHandover(core, r.value);
  }
  sweep.at = core.now + 1;
}

/** An association is being discarded (engine.ts discardAssoc): a sweep no longer waits for it. */
export function onAssocDiscarded(core: EngineCore, assoc: Association): void {
  const sweep = core.natSweep;
  if (!sweep || !sweep.waiting.delete(assoc)) return;
  if (sweep.waiting.size === 0 && sweep.iter === undefined) startWalk(core, sweep);
}

/**
 * Step 1 of Figure 6 to one ICE-HIP-UDP peer: UPDATE(ESP_INFO with OLD SPI = NEW SPI = our
 * inbound SPI, ENCRYPTED(LOCATOR_SET of our candidates), SEQ). A handover UPDATE still
 * outstanding is replaced by this one (it announced locators we no longer have).
 */
export function announceHandover(core: EngineCore, assoc: Association, to?: Locator): void {
  if (!isIce(assoc)) return;
  const st = established(assoc);
  if (!st || !st.keys.encOut) return;
  const sa = st.sas[0];
  if (!sa) return;
  const set = candidateLocatorSet(core, assoc.peerLocator, sa.localSpi);
  if (!set) return;
  const cipher = core.crypto.cipher(st.keys.hipCipher);
  if (!cipher) return;
  if (st.update.pending.some((p) => p.purpose === 'handover')) setUpdate(assoc, 'recv-UPDATE', { pending: st.update.pending.filter((p) => p.purpose !== 'handover') });
  const enc: ParamInit = { kind: 'ENCRYPTED', ivAndData: encryptParams(cipher, st.keys.encOut, core.random, encodeParamBlock([set])) };
  const via = assoc.natHandover?.peerRelay;
  sendSeqUpdate(core, assoc, [{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: sa.localSpi, newSpi: sa.localSpi }, enc], 'handover', { dst: to ?? via ?? assoc.peerLocator, trigger: 'rekey' });
}

/**
 * The peer ACKed our step 1 (its step 3, which also carries the ECHO_REQUEST_SIGNED we answer
 * in the same processing, step 5): "The mobile host can start connectivity checks after this
 * packet" (§4.9 ¶10).
 */
export function onHandoverAcked(core: EngineCore, assoc: Association): void {
  core.emit({ kind: 'event', event: { type: 'update-completed', assoc: assoc.id, what: 'locators' } });
  restartChecks(core, assoc);
  // A relay server running ICE-HIP-UDP with us answered (§4.9 ¶3).
  onRelayAnswered(core, assoc);
}

// ---------------------------------------------------------------------------------------------
// Peer host

type Refusal = { reason: DropReason; detail?: string };

/**
 * Step 1 at the peer (an authenticated UPDATE with a new SEQ and ENCRYPTED, update.ts
 * processSeq): decrypt, bound (§7.7: within config.maxPeerLocators, else refused whole), keep
 * the candidates aside, and answer with step 3. An UPDATE older than one processed (reordered)
 * is only ACKed.
 */
export function onHandoverUpdate(
  core: EngineCore,
  assoc: Association,
  pkt: HipPacket,
  ctx: { updateId: number; src: Locator; dst: Locator; ourSpi: number | undefined; echoReply: readonly ParamInit[]; superseded: boolean },
): Refusal | undefined {
  const st = established(assoc)!;
  const enc = param(pkt, 'ENCRYPTED')!;
  if (ctx.ourSpi === undefined) return { reason: 'bad-esp-info', detail: 'a handover UPDATE needs ESP_INFO with OLD SPI = NEW SPI of an existing SA (RFC 9028 §4.9)' };
  const cipher = core.crypto.cipher(st.keys.hipCipher);
  if (!st.keys.encIn || !cipher) return { reason: 'decrypt-failed', detail: 'no HIP encryption key kept for this association' };
  const d = decryptParams(cipher, st.keys.encIn, enc.ivAndData);
  if (!d.ok) return { reason: 'decrypt-failed', detail: d.reason };
  const block = decodeParamBlock(d.params, { lenientPadding: true });
  if (!block.ok) return { reason: 'decrypt-failed', detail: 'malformed-inner' };
  const ls = block.params.find((p) => p.kind === 'LOCATOR_SET');
  if (!ls || ls.kind !== 'LOCATOR_SET') return { reason: 'missing-param', detail: 'ENCRYPTED without a LOCATOR_SET' };
  // RFC 9028 §7.7: the number of candidates a peer can make us check is bounded.
  if (ls.locators.length > core.config.maxPeerLocators) return { reason: 'policy', detail: `LOCATOR_SET with ${ls.locators.length} candidates > maxPeerLocators (RFC 9028 §7.7)` };
  if (ctx.superseded) {
    // RFC 7401 §5.2.20, §5.2.21: even a bare ACK answers the echo requests of what it ACKs.
    const reply = signedUpdate(core, assoc, [{ kind: 'ACK', peerUpdateIds: [ctx.updateId] }, ...ctx.echoReply], ctx.dst, ctx.src);
    send(core, reply, ctx.dst, ctx.src, assoc);
    return undefined;
  }
  const candidates = ls.locators.map((l) => ('address' in l ? { ...l, address: copyBytes(l.address) } : l)) as LocatorEntry[];
  // A newer step 1 replaces the pending one: the step 3 of the old one (its nonce is dead now)
  // is not retransmitted any more.
  if (st.update.pending.some((p) => p.verify?.locatorKey === HANDOVER_KEY)) setUpdate(assoc, 'recv-UPDATE', { pending: st.update.pending.filter((p) => p.verify?.locatorKey !== HANDOVER_KEY) });
  const nonce = core.random(16);
  assoc.natHandover = { ...assoc.natHandover, pending: { nonce, candidates, at: core.now } };
  // Step 3: "an ESP_INFO parameter where ... the OLD SPI and NEW SPI parameters both contain the
  // pre-existing incoming SPI", a new SEQ and ECHO_REQUEST_SIGNED, the ACK of step 1; back where
  // step 1 came from (through our relay when it relayed it, relay.ts).
  const params: ParamInit[] = [
    { kind: 'ACK', peerUpdateIds: [ctx.updateId] },
    ...ctx.echoReply,
    { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: ctx.ourSpi, newSpi: ctx.ourSpi },
    { kind: 'ECHO_REQUEST_SIGNED', opaque: nonce },
  ];
  const id = sendSeqUpdate(core, assoc, params, 'verify', { dst: ctx.src, src: ctx.dst, verify: { nonce, locatorKey: HANDOVER_KEY } });
  const sent = established(assoc)?.update.pending.find((p) => p.updateId === id);
  // A retransmitted step 1 gets the same step 3 again (RFC 7401 §6.12.1), not a new nonce.
  if (sent) setUpdate(assoc, 'recv-UPDATE', { lastAckBytes: { bytes: copyBytes(sent.bytes), src: sent.src, dst: sent.dst } });
  return undefined;
}

/**
 * Step 6 at the peer: an authenticated ECHO_RESPONSE_SIGNED with the nonce of our step 3. The
 * candidates of step 1 replace the peer's old ones and the checks restart (§4.9 ¶11, ¶15).
 * Returns whether the response was this one.
 */
export function onHandoverEcho(core: EngineCore, assoc: Association, opaque: Uint8Array, src: Locator, dst: Locator): boolean {
  const pending = assoc.natHandover?.pending;
  if (!pending || !equalBytes(pending.nonce, opaque)) return false;
  assoc.natHandover = { ...assoc.natHandover, pending: undefined };
  applyCandidates(core, assoc, pending.candidates, pending.at);
  restartChecks(core, assoc);
  // No checks (the skipConnectivityChecks policy, §4.7.1): the answer's own transport address,
  // when it came directly, is the new path.
  const port = core.inputUdp?.srcPort;
  if (assoc.checks === undefined && core.relayedFrom === undefined && port !== undefined) adoptVerifiedPath(core, assoc, dst, src, port);
  // §4.9 ¶15, double jump: both hosts moved, and our own step 1 went to where the peer was. The
  // peer has just proved where it is (this authenticated answer came from `src`, through our
  // relay when the relay brought it): our step 1 goes there again.
  const own = established(assoc)?.update.pending.find((p) => p.purpose === 'handover');
  if (own && !equalBytes(own.dst, src)) announceHandover(core, assoc, src);
  return true;
}

/** Step 3 went unanswered through its retransmissions: the candidates of step 1 are dropped. */
export function onHandoverEchoTimeout(assoc: Association, nonce: Uint8Array): void {
  const pending = assoc.natHandover?.pending;
  if (pending && equalBytes(pending.nonce, nonce)) assoc.natHandover = { ...assoc.natHandover, pending: undefined };
}

/**
 * The verified candidate set into the peer's table (RFC 8046 §5.3: a LOCATOR_SET is the complete
 * list): listed candidates UNVERIFIED (a known one whose transport address changed, or that was
 * DEPRECATED, back to UNVERIFIED), earlier candidates it leaves out DEPRECATED, except
 * peer-reflexive ones learned from checks since step 1 arrived (they are the peer's new NAT
 * mappings). Entries the base exchange ran on that are no candidates (the peer's relay) stay.
 */
function applyCandidates(core: EngineCore, assoc: Association, locators: readonly LocatorEntry[], since: Millis): void {
  const valid = locators.filter((l): l is Extract<LocatorEntry, { locatorType: 2 }> => {
    if (l.locatorType !== 2 || 'unknown' in l) return false;
    return l.transportProtocol === TRANSPORT_PROTOCOL_UDP && kindOf(l.candidateKind) !== undefined && l.lifetime !== 0 && usableAddress(l.address) && l.transportPort !== 0;
  });
  const listed = new Set(valid.map((l) => locatorKey(l.address)));
  for (const e of assoc.peerLocators.values()) {
    const candidate = e.type === 2 || e.priority !== undefined;
    if (!candidate || listed.has(e.key) || e.state === 'DEPRECATED') continue;
    if (e.kind === 'prflx' && e.lastSeenAt >= since) continue;
    e.preferred = false;
    setLocatorState(core, assoc, e, 'DEPRECATED');
  }
  for (const l of valid) {
    const e = assoc.peerLocators.get(locatorKey(l.address));
    if (!e || e.type !== 2) continue;
    const moved = e.port !== l.transportPort;
    e.port = l.transportPort;
    e.kind = kindOf(l.candidateKind)!;
    e.priority = l.priority;
    e.spi = l.spi;
    e.expiresAt = l.lifetime === LIFETIME_UNBOUNDED ? Infinity : core.now + l.lifetime * 1000;
    if (e.state === 'DEPRECATED' || (moved && e.state === 'ACTIVE')) setLocatorState(core, assoc, e, 'UNVERIFIED');
    else core.emit({ kind: 'locator', op: 'upsert', peer: assoc.peerHit, entry: publicEntry(e) });
  }
  // Room for the new ones: the oldest DEPRECATED entries go first (RFC 8046 §6.2.2 cap).
  const table = assoc.peerLocators;
  const fresh = new Set(valid.filter((l) => !table.has(locatorKey(l.address))).map((l) => locatorKey(l.address))).size;
  let over = table.size + fresh - core.config.maxPeerLocators;
  if (over > 0) {
    const old = table.values().filter((e) => e.state === 'DEPRECATED').sort((a, b) => (a.deprecatedAt ?? 0) - (b.deprecatedAt ?? 0));
    for (const e of old) {
      if (over-- <= 0) break;
      table.delete(e.key);
      core.emit({ kind: 'locator', op: 'remove', peer: assoc.peerHit, entry: publicEntry(e) });
    }
  }
  for (const e of addPeerCandidates(core, assoc, valid)) core.emit({ kind: 'locator', op: 'upsert', peer: assoc.peerHit, entry: publicEntry(e) });
}
