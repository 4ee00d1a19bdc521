// ICE-HIP-UDP connectivity checks and nomination (RFC 9028 §4.6, §5.14, §5.15; pairing and
// ordering after RFC 8445 §6.1.2 as §4.6 adapts it). After a base exchange that negotiated
// ICE-HIP-UDP, each side pairs its host candidates with the peer's type 2 candidates of the same
// family (a server-reflexive candidate of ours pairs through its base, the host candidate, and is
// pruned as redundant, RFC 8445 §6.1.2.4), orders the pairs by pair priority (§6.1.2.3), keeps
// the first config.natMaxCandidatePairs (RFC 9028 §4.6.2: "restrict the total number of
// connectivity checks to 100"), and sends one check per Ta (§4.4) from the engine timer queue
// (timer NAT_CHECK): UPDATE(SEQ, ECHO_REQUEST_SIGNED, CANDIDATE_PRIORITY) from the local
// candidate to the remote transport address, retransmitted as any UPDATE (RFC 7401 §6.11).
// A response (ACK + ECHO_RESPONSE_SIGNED, authenticated by HIP_MAC and signature in update.ts)
// that comes from the remote transport address the check went to makes the pair valid; from
// anywhere else the pair fails (RFC 8445 §7.2.5.2.1, non-symmetric). The Initiator is the
// controlling host (§4.6.1: "The Initiator MUST take the role of controlling host"): when its
// list is done it nominates the best valid pair by repeating the check with NOMINATE (§4.6.3);
// the answer to that moves HIP control traffic and the SAs to the pair. The controlled host
// follows an authenticated NOMINATE. All checks failed: event `nat-checks-failed`, NOTIFY
// CONNECTIVITY_CHECKS_FAILED to the peer, and the association stays on the locators of the base
// exchange for HIP packets; the application MUST NOT send ESP then (§4.6.3).
// Every operation is O(pairs of one association), never O(associations).
import { locatorFamily, locatorKey } from '../addr/locator.js';
import { copyBytes, equalBytes, toHex } from '../util/bytes.js';
import type { Locator } from '../types.js';
import { param } from '../wire/access.js';
import { NOTIFY_TYPE } from '../wire/notify.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { PendingUpdate } from './states.js';
import { markReachable, newPeerEntry, publicEntry, type PeerLocatorEntry } from './mobility.js';
import { TYPE_PREFERENCE, gatherCandidates } from './nat-candidates.js';
import { sendNatNotify } from './nat-keepalive.js';
import { peerPortOf } from './packets.js';
import { updateSa } from './sa.js';
import { established, sendSeqUpdate, setUpdate, updating } from './update.js';

/** The `verify.locatorKey` of a connectivity check's pending UPDATE (never a locator key). */
export const CHECK_KEY = 'ice-check';

type PairState = 'frozen' | 'in-progress' | 'succeeded' | 'failed';

/** A candidate pair (RFC 8445 §6.1.2): our candidate × the peer's. */
export type CandidatePair = {
  readonly local: Locator;
  readonly localPriority: number;
  readonly remoteKey: string;
  readonly priority: bigint;
  state: PairState;
  nonce: string | undefined;
  nominating: boolean;
};

/** The check list of one association (RFC 8445 §6.1.2). */
export type CheckList = {
  readonly pairs: CandidatePair[];
  /** Nonce (hex) of each check in flight → its pair. */
  readonly byNonce: Map<string, CandidatePair>;
  inFlight: number;
  nominated: CandidatePair | undefined;
  /** When our last check went out: the next one waits until Ta after it (§4.4). */
  lastCheckAt: number;
  done: boolean;
  /** The triggered-check queue (RFC 8445 §7.3.1.4), served before the ordinary checks. */
  readonly triggered: CandidatePair[];
  /** The list ended with every pair failed (`done` too); a triggered check may revive it. */
  failed: boolean;
};

/**
 * RFC 8445 §6.1.2.3: pair priority = 2^32*MIN(G,D) + 2*MAX(G,D) + (G>D?1:0), G the controlling
 * agent's candidate priority, D the controlled agent's. BigInt: the value exceeds 2^53.
 */
export function pairPriority(controlling: number, controlled: number): bigint {
  const g = BigInt(controlling);
  const d = BigInt(controlled);
  const [min, max] = g < d ? [g, d] : [d, g];
  return (1n << 32n) * min + 2n * max + (g > d ? 1n : 0n);
}

/**
 * Called once the peer's candidates are in its table (mobility.ts applyBexLocators): forms the
 * check list and arms the first check one Ta from now. Nothing when ICE-HIP-UDP was not
 * negotiated, or when the `skipConnectivityChecks` policy says so (RFC 9028 §4.7.1).
 */
export function startChecks(core: EngineCore, assoc: Association): void {
  if (assoc.nat?.mode !== 'ice-hip-udp' || !assoc.udp || assoc.checks) return;
  if (core.policy.skipConnectivityChecks({ peer: assoc.peerLocator, role: assoc.role })) return;
  const controlling = assoc.role === 'initiator';
  const locals = gatherCandidates(core, assoc.peerLocator).filter((c) => c.kind === 'host');
  const remotes = assoc.peerLocators.values().filter((e) => e.priority !== undefined && e.state !== 'DEPRECATED');
  const pairs: CandidatePair[] = [];
  for (const l of locals) {
    for (const r of remotes) {
      if (locatorFamily(l.address) !== locatorFamily(r.locator)) continue;
      const [g, d] = controlling ? [l.priority, r.priority!] : [r.priority!, l.priority];
      pairs.push({ local: l.address, localPriority: l.priority, remoteKey: r.key, priority: pairPriority(g, d), state: 'frozen', nonce: undefined, nominating: false });
    }
  }
  pairs.sort((a, b) => (a.priority > b.priority ? -1 : a.priority < b.priority ? 1 : 0));
  pairs.length = Math.min(pairs.length, core.config.natMaxCandidatePairs);
  assoc.checks = { pairs, byNonce: new Map(), inFlight: 0, nominated: undefined, lastCheckAt: -Infinity, done: false, triggered: [], failed: false };
  if (pairs.length === 0) return concludeFailed(core, assoc);
  assoc.timers.set('NAT_CHECK', core.now + assoc.nat.taMs);
}

/**
 * RFC 9028 §4.9 (the "ICE restart"): after a handover's step 5 (mobile host) or step 6 (peer)
 * the checks start over with the candidates both sides have now, whatever state the previous
 * ones were in (¶15: a handover arriving during checks "MUST restart the connectivity checks").
 * The checks still in flight are dropped (their answers no longer count) and the roles stay:
 * the Initiator of the base exchange is controlling (§4.9 ¶2, ¶12).
 */
export function restartChecks(core: EngineCore, assoc: Association): void {
  if (assoc.nat?.mode !== 'ice-hip-udp' || !assoc.udp) return;
  const st = established(assoc);
  if (st?.update.pending.some(isCheckUpdate)) {
    setUpdate(assoc, 'recv-UPDATE', { pending: st.update.pending.filter((p) => !isCheckUpdate(p)) });
    const next = established(assoc)!.update.pending.reduce((m, p) => Math.min(m, p.nextAt), Infinity);
    if (next === Infinity) assoc.timers.clear('UPDATE_RETRANSMIT');
    else assoc.timers.set('UPDATE_RETRANSMIT', next);
  }
  assoc.timers.clear('NAT_CHECK');
  assoc.checks = undefined;
  startChecks(core, assoc);
}

const isCheckUpdate = (p: PendingUpdate): boolean => p.purpose === 'verify' && p.verify?.locatorKey === CHECK_KEY;

/** NAT_CHECK fired: at most one new check per Ta (RFC 9028 §4.4), within the in-flight cap. */
export function onCheckTimer(core: EngineCore, assoc: Association): void {
  const list = assoc.checks;
  if (!list || list.done || !assoc.nat) return;
  const ta = assoc.nat.taMs;
  // An ICE-HIP-UDP Responder checks from R2-SENT on (RFC 9028 §4.6; R2Sent.update in states.ts).
  if (!updating(assoc)) return;
  // The nomination is a check too, paced like the others (RFC 9028 §4.6.3).
  const nominee = list.nominated;
  if (nominee && !nominee.nominating) return sendPairCheck(core, assoc, nominee, true);
  // Triggered checks first (RFC 8445 §7.3.1.4), then the list in priority order.
  const next = list.triggered.find((p) => p.state === 'frozen') ?? list.pairs.find((p) => p.state === 'frozen');
  if (!next) return;
  if (list.inFlight >= core.config.natMaxChecksInFlight) return assoc.timers.set('NAT_CHECK', core.now + ta);
  sendPairCheck(core, assoc, next, false);
  if (list.triggered.length > 0) list.triggered.splice(0, list.triggered.length, ...list.triggered.filter((p) => p.state === 'frozen'));
  if (list.pairs.some((p) => p.state === 'frozen')) assoc.timers.set('NAT_CHECK', core.now + ta);
}

function sendPairCheck(core: EngineCore, assoc: Association, pair: CandidatePair, nominate: boolean): void {
  const list = assoc.checks!;
  const remote = assoc.peerLocators.get(pair.remoteKey);
  if (!remote) {
    pair.state = 'failed';
    return maybeConclude(core, assoc);
  }
  const nonce = core.random(16);
  // RFC 8445 §7.1.1 (RFC 9028 §5.14): CANDIDATE_PRIORITY is the priority a peer-reflexive
  // candidate learned from this check would have: the prflx type preference with our local part.
  const prflxPriority = TYPE_PREFERENCE.prflx * 2 ** 24 + (pair.localPriority % 2 ** 24);
  const params: ParamInit[] = [
    { kind: 'ECHO_REQUEST_SIGNED', opaque: nonce },
    { kind: 'CANDIDATE_PRIORITY', priority: prflxPriority },
    ...(nominate ? [{ kind: 'NOMINATE' as const, reserved: 0 }] : []),
  ];
  // Sent by the NAT_CHECK timer, or on an UPDATE that made us ESTABLISHED (RFC 7401 Table 5).
  const trigger = assoc.state.name === 'R2_SENT' ? 'timeout-retransmit' : 'recv-UPDATE';
  const id = sendSeqUpdate(core, assoc, params, 'verify', { src: pair.local, dst: remote.locator, verify: { nonce, locatorKey: CHECK_KEY }, trigger });
  if (id < 0) {
    pair.state = 'failed';
    return maybeConclude(core, assoc);
  }
  const hex = toHex(nonce);
  pair.state = 'in-progress';
  pair.nonce = hex;
  pair.nominating = nominate;
  list.lastCheckAt = core.now;
  list.byNonce.set(hex, pair);
  list.inFlight++;
}

/**
 * An authenticated ECHO_RESPONSE_SIGNED arrived from `src` (UDP source port in core.inputUdp).
 * Returns whether it answered a connectivity check (then it is no RFC 8046 address check).
 */
export function onCheckResponse(core: EngineCore, assoc: Association, opaque: Uint8Array, src: Locator): boolean {
  const list = assoc.checks;
  if (!list) return false;
  const hex = toHex(opaque);
  const pair = list.byNonce.get(hex);
  if (!pair) return false;
  list.byNonce.delete(hex);
  list.inFlight--;
  const remote = assoc.peerLocators.get(pair.remoteKey);
  // RFC 8445 §7.2.5.2.1: the response must come from the transport address the check went to.
  const symmetric = remote !== undefined && equalBytes(src, remote.locator) && core.inputUdp?.srcPort === peerPortOf(assoc, remote.locator);
  if (!symmetric) {
    core.drop('policy', { packetKind: 'UPDATE', src, assoc, detail: 'connectivity check answered from another transport address (RFC 8445 §7.2.5.2.1)' });
    failPair(list, pair);
  } else {
    pair.state = 'succeeded';
    if (pair.nominating) usePair(core, assoc, pair.local, remote);
  }
  maybeConclude(core, assoc);
  return true;
}

/** A check's UPDATE went unanswered through its retransmissions: the pair failed. */
export function onCheckTimeout(core: EngineCore, assoc: Association, nonce: Uint8Array): void {
  const list = assoc.checks;
  const hex = toHex(nonce);
  const pair = list?.byNonce.get(hex);
  if (!list || !pair) return;
  list.byNonce.delete(hex);
  list.inFlight--;
  failPair(list, pair);
  maybeConclude(core, assoc);
}

/**
 * An authenticated UPDATE with a new SEQ arrived from `src` to `dst`. A check
 * (CANDIDATE_PRIORITY) from a transport address the peer never announced gives a peer-reflexive
 * candidate (RFC 8445 §7.3.1.3) with the priority the check names; a NOMINATE from the
 * controlling host makes the controlled host use that pair (RFC 9028 §4.6.3: "the controlled
 * host SHOULD select the nominated address pair"). The ACK with ECHO_RESPONSE_SIGNED goes back
 * to the address and port the check came from (update.ts, §5.14).
 */
export function onCheckRequest(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator, dst: Locator): void {
  const cand = param(pkt, 'CANDIDATE_PRIORITY');
  const port = core.inputUdp?.srcPort;
  if (!cand || assoc.nat?.mode !== 'ice-hip-udp' || !assoc.udp || port === undefined || !param(pkt, 'SEQ')) return;
  let entry = assoc.peerLocators.byLocator(src);
  if (!entry) {
    if (assoc.peerLocators.size >= core.config.maxPeerLocators) return;
    entry = prflxEntry(core, src, port, cand.priority);
    assoc.peerLocators.set(entry.key, entry);
    core.emit({ kind: 'locator', op: 'upsert', peer: assoc.peerHit, entry: publicEntry(entry) });
  } else if (entry.type === 2 && entry.port !== port && entry.state !== 'ACTIVE') {
    // The same address from another port: a peer-reflexive port of a known address (a NAT
    // that maps per destination); the reply and any later use go to the port seen.
    entry.port = port;
    entry.kind = 'prflx';
    entry.priority = cand.priority;
  } else if (entry.port === undefined && (entry.kind === undefined || port !== assoc.udp.peerPort) && assoc.checks && !assoc.checks.done) {
    // The address of the base exchange (on the association's own port) checked while the
    // checks run, either never announced as a candidate (the peer's NAT mapping toward the relay,
    // known only from RELAY_FROM) or announced but now from another port (the peer's NAT maps
    // per destination, RFC 4787 §4.1): "if the source transport address of the request does not
    // match any existing remote candidates, it represents a new peer-reflexive remote candidate"
    // (RFC 8445 §7.3.1.3). It gets that kind and the check's priority; a new port itself follows
    // in update.ts (notePeerPort: a new, authenticated SEQ, RFC 9028 §4.8).
    entry.kind = 'prflx';
    entry.priority = cand.priority;
  }
  if (param(pkt, 'NOMINATE') && assoc.role === 'responder') usePair(core, assoc, dst, entry);
  else triggerCheck(core, assoc, dst, entry);
}

/**
 * RFC 9028 §4.6.2: "triggered-check queues MUST be followed as specified in Section 6.1 of
 * [RFC8445]". A check arrived at our `local` address from the peer's candidate `remote`
 * (RFC 8445 §7.3.1.4): a pair already Succeeded needs nothing; a Frozen (our Waiting) or Failed
 * one, or one not on the list yet (a peer-reflexive remote, inserted by its priority), is queued
 * for a check of our own, in our turn of the Ta pacing (§4.4). The check that reached us
 * opened the peer's NAT toward us, so ours can now pass it, which is how two filtering NATs are
 * crossed. A list that had failed runs again ("a state change of the pair from Failed to Waiting
 * might also trigger a state change of the associated checklist"); one that ended with a pair
 * in use stays as it is (§4.6.3: the hosts only "continue to respond"). In-progress pairs
 * keep their retransmissions. O(pairs of this association).
 */
function triggerCheck(core: EngineCore, assoc: Association, local: Locator, remote: PeerLocatorEntry): void {
  const list = assoc.checks;
  if (!list || (list.done && !list.failed) || remote.priority === undefined || !assoc.nat) return;
  let pair = list.pairs.find((p) => p.remoteKey === remote.key && equalBytes(p.local, local));
  if (pair === undefined) {
    const mine = gatherCandidates(core, assoc.peerLocator).find((c) => c.kind === 'host' && equalBytes(c.address, local));
    if (!mine || list.pairs.length >= core.config.natMaxCandidatePairs) return;
    const [g, d] = assoc.role === 'initiator' ? [mine.priority, remote.priority] : [remote.priority, mine.priority];
    pair = { local: mine.address, localPriority: mine.priority, remoteKey: remote.key, priority: pairPriority(g, d), state: 'failed', nonce: undefined, nominating: false };
    const at = list.pairs.findIndex((p) => p.priority < pair!.priority);
    list.pairs.splice(at < 0 ? list.pairs.length : at, 0, pair);
  }
  if (pair.state !== 'frozen' && pair.state !== 'failed') return;
  pair.state = 'frozen';
  if (!list.triggered.includes(pair)) list.triggered.push(pair);
  list.done = false;
  list.failed = false;
  assoc.timers.set('NAT_CHECK', Math.max(list.lastCheckAt + assoc.nat.taMs, core.now + 1));
}

/**
 * RFC 9028 §4.6.3: the controlled host answers a NOMINATE with "a SEQ parameter with a new
 * sequence identifier, acknowledgment of the sequence from the controlling host in an ACK
 * parameter, a new ECHO_REQUEST_SIGNED parameter, an ECHO_RESPONSE_SIGNED parameter
 * corresponding to the ECHO_REQUEST_SIGNED parameter from the controlling host, and the NOMINATE
 * parameter"; the controlling host then acknowledges it with ACK and ECHO_RESPONSE_SIGNED (the
 * ordinary answer to a SEQ). Sent back where the NOMINATE came from, and kept as the reply to a
 * retransmission of it (RFC 7401 §6.12.1). Returns false when this is no such NOMINATE.
 */
export function answerNomination(core: EngineCore, assoc: Association, pkt: HipPacket, updateId: number, echoReply: readonly ParamInit[], src: Locator, dst: Locator): boolean {
  if (!param(pkt, 'NOMINATE') || assoc.role !== 'responder' || assoc.nat?.mode !== 'ice-hip-udp' || !assoc.udp) return false;
  const nonce = core.random(16);
  const params: ParamInit[] = [{ kind: 'ACK', peerUpdateIds: [updateId] }, ...echoReply, { kind: 'ECHO_REQUEST_SIGNED', opaque: nonce }, { kind: 'NOMINATE', reserved: 0 }];
  const id = sendSeqUpdate(core, assoc, params, 'verify', { dst: src, src: dst, verify: { nonce, locatorKey: CHECK_KEY } });
  const sent = established(assoc)?.update.pending.find((p) => p.updateId === id);
  if (sent) setUpdate(assoc, 'recv-UPDATE', { lastAckBytes: { bytes: copyBytes(sent.bytes), src: sent.src, dst: sent.dst } });
  return id >= 0;
}

/**
 * RFC 9028 §4.7.1 with §4.9: when the checks are skipped (`skipConnectivityChecks`), a handover
 * still has to move the association: it takes the transport address the peer's authenticated
 * ECHO_RESPONSE_SIGNED (step 5) came from directly, a return-routability proof of that address
 * (a new one is a peer-reflexive candidate).
 */
export function adoptVerifiedPath(core: EngineCore, assoc: Association, local: Locator, src: Locator, port: number): void {
  if (assoc.nat?.mode !== 'ice-hip-udp' || !assoc.udp) return;
  let entry = assoc.peerLocators.byLocator(src);
  if (!entry) {
    if (assoc.peerLocators.size >= core.config.maxPeerLocators) return;
    entry = prflxEntry(core, src, port, TYPE_PREFERENCE.prflx * 2 ** 24 + 65535 * 2 ** 8 + 255);
    assoc.peerLocators.set(entry.key, entry);
    core.emit({ kind: 'locator', op: 'upsert', peer: assoc.peerHit, entry: publicEntry(entry) });
  } else if (entry.type === 2 && entry.port !== port) {
    entry.port = port;
  }
  usePair(core, assoc, local, entry);
}

function prflxEntry(core: EngineCore, src: Locator, port: number, priority: number): PeerLocatorEntry {
  return newPeerEntry(core, { locator: Uint8Array.from(src), state: 'UNVERIFIED', type: 2, spi: undefined, port, kind: 'prflx', priority, preferred: false, trafficType: 0, expiresAt: core.now + core.config.locatorLifetimeS * 1000 });
}

/** A failed nomination lets the next valid pair be nominated (RFC 9028 §4.6.3). */
function failPair(list: CheckList, pair: CandidatePair): void {
  pair.state = 'failed';
  if (list.nominated === pair) {
    list.nominated = undefined;
    pair.nominating = false;
  }
}

function maybeConclude(core: EngineCore, assoc: Association): void {
  const list = assoc.checks!;
  if (list.done || list.pairs.some((p) => p.state === 'frozen' || p.state === 'in-progress')) return;
  // Only the controlling host concludes (RFC 9028 §4.6.3); the controlled one waits for NOMINATE.
  if (assoc.role !== 'initiator') return;
  const best = list.pairs.find((p) => p.state === 'succeeded');
  if (!best) return concludeFailed(core, assoc);
  if (list.nominated === undefined) {
    list.nominated = best;
    // Paced like any check (§4.4): at once when Ta has passed since the last one, else by timer
    // (never armed in the past: a timer is always in the future of the input that armed it).
    const at = list.lastCheckAt + assoc.nat!.taMs;
    if (at <= core.now && updating(assoc)) sendPairCheck(core, assoc, best, true);
    else assoc.timers.set('NAT_CHECK', Math.max(at, core.now + 1));
  }
}

/** The nominated pair carries HIP control traffic and ESP from now on (RFC 9028 §4.6.3). */
function usePair(core: EngineCore, assoc: Association, local: Locator, remote: PeerLocatorEntry): void {
  const list = assoc.checks;
  if (list) list.done = true;
  assoc.timers.clear('NAT_CHECK');
  markReachable(core, assoc, remote);
  assoc.localLocator = Uint8Array.from(local);
  assoc.peerLocator = Uint8Array.from(remote.locator);
  const st = established(assoc);
  if (st) {
    const sas = st.sas.map((s) => ({ ...s, localLocator: assoc.localLocator, peerLocator: assoc.peerLocator }));
    setUpdate(assoc, 'recv-UPDATE', {}, sas);
    for (const sa of sas) updateSa(core, assoc, sa);
  }
  core.emit({
    kind: 'event',
    event: { type: 'nat-path', assoc: assoc.id, src: assoc.localLocator, dst: assoc.peerLocator, srcPort: assoc.udp!.localPort, dstPort: peerPortOf(assoc, remote.locator), kind: remote.kind ?? 'host' },
  });
}

/**
 * RFC 9028 §4.6.3: "If all the connectivity checks have failed, the hosts MUST NOT send ESP
 * traffic to each other but MAY continue communicating using HIP packets and the locators used
 * for the base exchange. Also, the hosts SHOULD notify each other about the failure with a
 * CONNECTIVITY_CHECKS_FAILED NOTIFY packet".
 */
function concludeFailed(core: EngineCore, assoc: Association): void {
  const list = assoc.checks!;
  list.done = true;
  list.failed = true;
  assoc.timers.clear('NAT_CHECK');
  core.emit({ kind: 'event', event: { type: 'nat-checks-failed', assoc: assoc.id } });
  if (!established(assoc)) return;
  sendNatNotify(core, assoc, NOTIFY_TYPE.CONNECTIVITY_CHECKS_FAILED);
}
