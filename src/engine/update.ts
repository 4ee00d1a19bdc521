// UPDATE (RFC 7401 §6.11-§6.12), ESP rekeying and new SA pairs (RFC 7402 §6.8-§6.10,
// RFC 8047 §5.2 ESP_INFO cases).
//
// Rekey, three messages (RFC 7402 §4.3): U1 = SEQ, ESP_INFO [, DH]; U2 = SEQ, ACK, ESP_INFO
// [, DH]; U3 = ACK. A host finalizes when its ESP_INFO has been ACKed and the peer's ESP_INFO has
// arrived. The answering host knows the KEYMAT index when it sends U2, so it installs its new
// inbound SA before U2 leaves; the starting host installs its new SAs when U2 arrives, before U3,
// and only then does the answering host move its outbound traffic (on U3). Old inbound SAs stay
// until data arrives on the new one or `oldSaGraceMs` passes (RFC 7402 §6.10 step 4).
// A new SA pair (ESP_INFO with OLD SPI 0, RFC 8047 §4.2.4) runs the same exchange and adds a
// pair instead of replacing one.
import { CHECK_KEY, answerNomination, onCheckRequest, onCheckResponse, onCheckTimeout } from './nat-checks.js';
import { verifyMac, verifySignature } from '../crypto/auth.js';
import { createKeymat, drawEspKeys, espKeySizes, keymatMaxLength, type DirectionKeys, type Keymat } from '../crypto/keymat.js';
import type { Locator, UdpPorts } from '../types.js';
import { param } from '../wire/access.js';
import { writeHipChecksum } from '../wire/header.js';
import { locatorKey } from '../addr/locator.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import { invariant } from '../util/assert.js';
import { copyBytes, equalBytes } from '../util/bytes.js';
import type { Association } from './association.js';
import { completeResponder, fail } from './bex.js';
import { echoReplyFits } from './limits.js';
import { answerEchoes, withUnsignedEchoes } from './echo.js';
import type { EngineCore } from './context.js';
import type { DropReason } from './errors.js';
import {
  deprecateSpiLocators,
  onEchoResponse,
  onLocatorSet,
  onVerifyFailed,
  onDataFrom,
  noteViaSpi,
  rebind,
  pathTo,
  sourceLocators,
  suspectPath,
  ensureSaPerInterface,
  natSourceCheck,
  sendCheck,
  type LocatorSetOutcome,
} from './mobility.js';
import { buildPacket, resend, send } from './packets.js';
import { pumpChecks, retriesFor } from './address-check.js';
import { addSa, deleteSa, saSpec, updateSa } from './sa.js';
import type { Established, PendingUpdate, R2SentChecking, RekeyState, SaPair, UpdateState } from './states.js';
import { backoff } from './timing.js';
import { transition, type Trigger } from './transitions.js';
import { onUpdateRegistration } from './registration.js';
import { resendViaRvs } from './rvs.js';
import { followClientPort, noteRegFrom, regFromParam, sendViaRelay, type RelayedFrom } from './relay.js';
import { decodePacket } from '../wire/packet.js';
import { notePeerPort } from './nat-rebinding.js';
import { HANDOVER_KEY, onHandoverAcked, onHandoverEcho, onHandoverEchoTimeout, onHandoverUpdate, onOwnReflexiveChanged, onRelayAnswered } from './nat-handover.js';

/** Retransmissions of an UPDATE after which its unanswered destination is suspected. */
const SUSPECT_AFTER = 2;

/** Peer Update IDs remembered as processed, and the receive window for out-of-order UPDATEs. */
const PEER_UPDATE_WINDOW = 32;

/** RFC 1982 serial comparison for 32-bit Update IDs (§6.12: circular sequence space). */
export function seqLessOrEqual(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d === 0 || d < 0x80000000;
}

export function established(assoc: Association): Established | undefined {
  return assoc.state.name === 'ESTABLISHED' ? assoc.state : undefined;
}

/**
 * The state that sends and retransmits UPDATEs with SEQ: ESTABLISHED, or the R2-SENT of an
 * ICE-HIP-UDP Responder, whose connectivity checks start before the Initiator's first packet
 * arrives (RFC 9028 §4.6, §4.6.1 Figure 5; states.ts R2Sent.update).
 */
export function updating(assoc: Association): Established | R2SentChecking | undefined {
  const st = assoc.state;
  if (st.name === 'ESTABLISHED') return st;
  return st.name === 'R2_SENT' && st.update ? (st as R2SentChecking) : undefined;
}

export function setUpdate(assoc: Association, trigger: Trigger, patch: Partial<UpdateState>, sas?: readonly SaPair[]): void {
  const st = updating(assoc)!;
  if (st.name === 'R2_SENT') {
    invariant(!sas, 'an R2-SENT association has one SA pair');
    return transition(assoc, trigger, { ...st, update: { ...st.update, ...patch } });
  }
  transition(assoc, trigger, { ...st, ...(sas ? { sas } : {}), update: { ...st.update, ...patch } });
}

/** Builds an UPDATE with HIP_MAC and HIP_SIGNATURE from `src` to `dst`. */
export function signedUpdate(core: EngineCore, assoc: Association, params: readonly ParamInit[], src = assoc.localLocator, dst = assoc.peerLocator) {
  const st = updating(assoc)!;
  // RFC 8046 §3.2.3 step 3: the reply to an UPDATE relayed by an RVS names it in VIA_RVS.
  const via: ParamInit[] = core.relayedVia && params.some((p) => p.kind === 'ACK') ? [{ kind: 'VIA_RVS', addresses: [core.relayedVia] }] : [];
  // RFC 9028 §4.1: "the Control Relay Server MUST include the REG_FROM parameter in all UPDATE
  // responses sent to the Control Relay Client".
  const regFrom = regFromParam(core, assoc, dst);
  if (regFrom) via.push(regFrom);
  return buildPacket(
    core,
    { kind: 'UPDATE', senderHit: assoc.localHit, receiverHit: assoc.peerHit },
    [...params, ...via],
    { mac: { hash: st.keys.rhash, key: st.keys.macOut }, sign: assoc.local },
    src,
    dst,
  );
}

/**
 * Sends an UPDATE with a fresh SEQ and keeps it for retransmission until it is ACKed
 * (RFC 7401 §6.11). Returns its Update ID.
 */
export function sendSeqUpdate(
  core: EngineCore,
  assoc: Association,
  params: readonly ParamInit[],
  purpose: PendingUpdate['purpose'],
  opts: { src?: Locator; dst?: Locator; verify?: PendingUpdate['verify']; patch?: Partial<UpdateState>; trigger?: Trigger } = {},
): number {
  const st = updating(assoc)!;
  const updateId = st.update.nextUpdateId;
  const path = pathTo(core, assoc, opts.dst ?? assoc.peerLocator, opts.src);
  if (!path) {
    // No local locator can reach that address family: nothing can be sent (never throw).
    core.drop('policy', { packetKind: 'UPDATE', assoc, detail: 'no local locator of the destination family' });
    return -1;
  }
  const { src, dst } = path;
  const built = signedUpdate(core, assoc, [...params, { kind: 'SEQ', updateId }], src, dst);
  const pending: PendingUpdate = {
    updateId,
    bytes: built.bytes,
    src,
    dst,
    retries: 0,
    nextAt: core.now + core.config.updateRetransmitMs,
    purpose,
    ...(opts.verify ? { verify: opts.verify } : {}),
    // RFC 9028 §4.5, §4.8: an answer to a packet our relay brought goes back through it (packets.ts).
    ...(core.relayedFrom && equalBytes(dst, core.relayedFrom.peer.address) ? { via: core.relayedFrom } : {}),
  };
  setUpdate(assoc, opts.trigger ?? 'recv-UPDATE', { ...opts.patch, nextUpdateId: (updateId + 1) >>> 0, pending: [...updating(assoc)!.update.pending, pending] });
  send(core, built, src, dst, assoc);
  armRetransmit(assoc);
  return updateId;
}

function armRetransmit(assoc: Association): void {
  const st = updating(assoc);
  const next = st?.update.pending.reduce((m, p) => Math.min(m, p.nextAt), Infinity) ?? Infinity;
  if (next === Infinity) assoc.timers.clear('UPDATE_RETRANSMIT');
  else assoc.timers.set('UPDATE_RETRANSMIT', next);
}

// ---------------------------------------------------------------------------------------------
// Starting an SA negotiation: rekey (RFC 7402 §6.8) or a new SA pair (RFC 8047 §4.2.4)

/** The `rekey` command and `esp-seq-exhausting`: send U1 (RFC 7402 §6.8). */
export function startRekey(core: EngineCore, assoc: Association, newDh: boolean, spi?: number): void {
  const st = established(assoc);
  // RFC 7402 §6.8: no new UPDATE while an ESP SA update is outstanding.
  if (!st || st.update.rekey) return;
  const sa = (spi !== undefined ? st.sas.find((s) => s.localSpi === spi || s.peerSpi === spi) : undefined) ?? st.sas[0]!;
  startSaNegotiation(core, assoc, 'rekey', sa, newDh, []);
}

/**
 * Sends U1 of a rekey of `sa`, or of a new SA pair bound to `sa`'s locators (OLD SPI 0).
 * `extra` parameters (a LOCATOR_SET) ride along.
 */
export function startSaNegotiation(
  core: EngineCore,
  assoc: Association,
  kind: 'rekey' | 'new-sa',
  sa: SaPair,
  newDh: boolean,
  extra: readonly ParamInit[],
  opts: { src?: Locator; dst?: Locator } = {},
): void {
  const st = established(assoc)!;
  const { enc, auth } = espKeySizes(sa.suite);
  // §6.8 step 2: without DH the index is at least the next unused KEYMAT byte; when that would
  // overflow the 16-bit field or the KEYMAT, a new DH is required (RFC 7402 §5.1.1).
  const needDh = newDh || st.update.keymatIndex + 2 * (enc + auth) > Math.min(0xffff, keymatMaxLength(st.keys.rhash));
  const dh = needDh ? core.crypto.dhGroup(st.keys.dhGroup)!.generate(core.random) : undefined;
  const index = dh ? 0 : st.update.keymatIndex;
  const newLocalSpi = core.newSpi();
  const oldLocalSpi = kind === 'rekey' ? sa.localSpi : 0;
  const rekey: RekeyState = {
    kind,
    oldLocalSpi,
    oldPeerSpi: kind === 'rekey' ? sa.peerSpi : 0,
    newLocalSpi,
    sentIndex: index,
    dh,
    updateId: st.update.nextUpdateId,
    acked: false,
    peer: undefined,
    early: undefined,
    localLocator: opts.src ?? sa.localLocator,
    peerLocator: opts.dst ?? sa.peerLocator,
    suite: sa.suite,
  };
  sendSeqUpdate(
    core,
    assoc,
    [
      { kind: 'ESP_INFO', keymatIndex: index, oldSpi: oldLocalSpi, newSpi: newLocalSpi },
      ...(dh ? [{ kind: 'DIFFIE_HELLMAN' as const, groupId: st.keys.dhGroup, publicValue: dh.publicValue }] : []),
      ...extra.map((p) => withNewSpi(p, newLocalSpi)),
    ],
    kind,
    { ...(opts.src ? { src: opts.src } : {}), ...(opts.dst ? { dst: opts.dst } : {}), patch: { rekey }, trigger: 'rekey' },
  );
}

/** A LOCATOR_SET's type 1 locators given with SPI 0 are bound to the SPI being created. */
function withNewSpi(p: ParamInit, spi: number): ParamInit {
  if (p.kind !== 'LOCATOR_SET') return p;
  return { ...p, locators: p.locators.map((l) => (l.locatorType === 1 && 'spi' in l && l.spi === 0 ? { ...l, spi } : l)) };
}

// ---------------------------------------------------------------------------------------------
// Receiving

/** UPDATE received (RFC 7401 §6.12; RFC 7402 §6.9; RFC 8046 §5.3; RFC 8047 §5.2). */
export function onUpdate(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator, dst: Locator): void {
  const drop = (reason: DropReason, detail?: string): void => core.drop(reason, { packetKind: 'UPDATE', src, assoc, ...(detail ? { detail } : {}) });
  const st0 = assoc.state;
  if (st0.name !== 'ESTABLISHED' && st0.name !== 'R2_SENT') return drop('bad-state');
  const seq = param(pkt, 'SEQ');
  const ack = param(pkt, 'ACK');
  if (!seq && !ack) return drop('missing-param');
  if (!param(pkt, 'HIP_MAC') || !param(pkt, 'HIP_SIGNATURE')) return drop('missing-param');
  // §6.12.1 step 3 (MUST) and step 4 (MAY, done): authenticate before anything else.
  const mac = verifyMac(core.crypto, st0.keys.rhash, st0.keys.macIn, pkt);
  if (!mac.ok) return drop('bad-mac', mac.reason);
  const sig = verifySignature(core.crypto, pkt, assoc.peerHostId!);
  if (!sig.ok) return drop('bad-signature', sig.reason);
  // RFC 8046 §4.3: a HOST_ID in an UPDATE MUST be the association's; one that differs gets the
  // whole UPDATE dropped, nothing of it applied.
  const hostId = param(pkt, 'HOST_ID');
  if (hostId && !(hostId.algorithm === assoc.peerHostId!.algorithm && equalBytes(hostId.hostIdentity, assoc.peerHostId!.hostIdentity))) {
    return drop('host-id-mismatch', 'HOST_ID differs from the Host Identity of this association');
  }
  if (!core.takeUpdateToken(assoc)) return drop('rate-limited');
  assoc.lastActivity = core.now;
  // Table 5: an authenticated UPDATE shows the peer reached ESTABLISHED.
  if (st0.name === 'R2_SENT') completeResponder(core, assoc, 'recv-UPDATE');
  let st = established(assoc)!;

  // RFC 8046 §5.4: an ECHO_RESPONSE to one of our nonces verifies the address it was sent to.
  const echoResponse = param(pkt, 'ECHO_RESPONSE_SIGNED');
  // RFC 9028 §4.9 step 6: the handover's echo, then a connectivity check's, then an address check's.
  if (echoResponse && !onHandoverEcho(core, assoc, echoResponse.opaque, src, dst) && !onCheckResponse(core, assoc, echoResponse.opaque, src)) onEchoResponse(core, assoc, echoResponse.opaque);
  // RFC 9028 §4.1: from a Control Relay Server, our (possibly new) server-reflexive address;
  // a changed one is announced to our ICE-HIP-UDP peers (§4.9, nat-handover.ts). Only from a
  // fresh UPDATE (a new SEQ, or the ACK of one of ours): a replayed old one must not bring back
  // an old address (§7.7: "not possible to inject fake server-reflexive address candidates").
  let regFromTaken = false;
  const takeRegFrom = (): void => {
    if (regFromTaken) return;
    regFromTaken = true;
    const regFromBefore = assoc.registrations?.regFrom;
    noteRegFrom(core, assoc, pkt);
    if (regFromBefore !== undefined && assoc.registrations?.regFrom !== regFromBefore) onOwnReflexiveChanged(core);
  };
  followClientPort(core, assoc, pkt, src, st.update.seenPeerIds);

  // §6.12 step 4: the ACK first.
  if (ack) {
    st = established(assoc)!;
    const acked = st.update.pending.filter((p) => ack.peerUpdateIds.includes(p.updateId));
    if (acked.length > 0) {
      // RFC 9028 §4.8: an ACK of our outstanding UPDATE is fresh; follow a rebound peer port.
      notePeerPort(core, assoc, src, core.inputUdp?.srcPort);
      takeRegFrom();
      st = established(assoc)!;
      const rekey = st.update.rekey && acked.some((p) => p.updateId === st.update.rekey!.updateId) ? { ...st.update.rekey, acked: true } : st.update.rekey;
      setUpdate(assoc, 'recv-UPDATE', { pending: st.update.pending.filter((p) => !acked.includes(p)), rekey });
      armRetransmit(assoc);
      if (acked.some((p) => p.purpose === 'locators')) {
        core.emit({ kind: 'event', event: { type: 'update-completed', assoc: assoc.id, what: 'locators' } });
        // RFC 9028 §4.9 ¶3: a relay server answered our new locators (its REG_FROM is noted).
        onRelayAnswered(core, assoc);
      }
      // RFC 9028 §4.9 step 5: the peer answered our handover UPDATE; the checks start over.
      if (acked.some((p) => p.purpose === 'handover')) onHandoverAcked(core, assoc);
    } else if (!seq && !echoResponse) {
      return drop('stale-update', 'ACK for no outstanding UPDATE');
    }
  }

  if (seq) {
    st = established(assoc)!;
    const id = seq.updateId;
    const last = st.update.lastPeerUpdateId;
    if (st.update.seenPeerIds.includes(id)) {
      // §6.12.1 step 2: a retransmission is ACKed again, never reprocessed: from the cache when
      // it is the latest, else with a fresh ACK.
      // RFC 7401 §5.2.21: this copy's ECHO_REQUEST_UNSIGNED (a box on the path may add other
      // ones to each copy) are answered in place of the first copy's, after the signature.
      const unsigned = answerEchoes(pkt);
      if (!unsigned.ok) {
        drop('echo-limit', unsigned.detail);
        return finalizeIfReady(core, assoc);
      }
      const cached = st.update.lastAckBytes;
      const again = cached && st.update.lastAckFor === id ? withUnsignedEchoes(cached.bytes, unsigned.params, cached.src, cached.dst) : undefined;
      if (cached && again) resend(core, again, cached.src, cached.dst, assoc);
      else {
        const path = pathTo(core, assoc, src, dst);
        const params: ParamInit[] = [{ kind: 'ACK', peerUpdateIds: [id] }, ...unsigned.params];
        if (path && echoReplyFits(unsigned.params, assoc.local, st.keys, core.crypto, 0)) send(core, signedUpdate(core, assoc, params, path.src, path.dst), path.src, path.dst, assoc);
        else if (path) drop('echo-limit', 'the ACK with the echo responses would exceed one HIP packet');
      }
      return finalizeIfReady(core, assoc);
    }
    // §6.12: UPDATEs may arrive out of order; those within the receive window are processed,
    // older ones dropped.
    if (last !== undefined && seqLessOrEqual(id, last) && ((last - id) >>> 0) >= PEER_UPDATE_WINDOW) {
      drop('stale-update', `Update ID ${id} is older than the receive window (latest ${last})`);
      return finalizeIfReady(core, assoc);
    }
    const superseded = last !== undefined && seqLessOrEqual(id, last);
    // RFC 9028 §4.8: a new SEQ is fresh; the reply must go to the port it came from. One older
    // than the latest (reordered) may predate the rebinding: it moves nothing.
    // RFC 9028 §4.6: a connectivity check (peer-reflexive candidate, NOMINATE), once the UPDATE
    // is known fresh (not replayed, not superseded) and its echoes can be answered: "HIP messages
    // are integrity and replay protected" (§7.7), so a replayed check moves nothing. Before the
    // port follows (notePeerPort), which is how a check from a new port is told apart.
    if (!superseded && param(pkt, 'CANDIDATE_PRIORITY')) {
      const echoes = seqEchoReply(core, assoc, pkt);
      if (!echoes.ok) return drop(echoes.refusal.reason, echoes.refusal.detail);
      onCheckRequest(core, assoc, pkt, src, dst);
    }
    if (!superseded) notePeerPort(core, assoc, src, core.inputUdp?.srcPort);
    const refusal = processSeq(core, assoc, pkt, id, src, dst, superseded);
    if (refusal) return drop(refusal.reason, refusal.detail);
    if (!superseded) takeRegFrom();
    if (established(assoc)) {
      setUpdate(assoc, 'recv-UPDATE', {
        lastPeerUpdateId: last === undefined || !seqLessOrEqual(id, last) ? id : last,
        seenPeerIds: [...st.update.seenPeerIds, id].slice(-PEER_UPDATE_WINDOW),
        lastAckFor: id,
      });
      // RFC 8003 §3.3: REG_INFO, REG_REQUEST, REG_RESPONSE and REG_FAILED of a new UPDATE.
      onUpdateRegistration(core, assoc, pkt);
    }
  }
  finalizeIfReady(core, assoc);
  // Checks answered by this UPDATE make room for queued ones (RFC 8046 §5.4).
  pumpChecks(core, assoc);
}

type Refusal = { reason: DropReason; detail?: string };

/**
 * The echo parameters of the answer to a new SEQ: ECHO_RESPONSE_SIGNED for its
 * ECHO_REQUEST_SIGNED (RFC 8046 §5.2) and one ECHO_RESPONSE_UNSIGNED per ECHO_REQUEST_UNSIGNED
 * (RFC 7401 §5.2.21, bounded in echo.ts), or why the UPDATE is refused: that answer would not fit
 * one packet.
 */
function seqEchoReply(core: EngineCore, assoc: Association, pkt: HipPacket): { ok: true; echoReply: ParamInit[] } | { ok: false; refusal: Refusal } {
  const st = established(assoc)!;
  const echo = param(pkt, 'ECHO_REQUEST_SIGNED');
  const signedReply: ParamInit[] = echo ? [{ kind: 'ECHO_RESPONSE_SIGNED', opaque: echo.opaque }] : [];
  // The reply echoes the request (RFC 8046 §5.2): refused when that reply could not fit a packet.
  if (echo && !echoReplyFits(signedReply, assoc.local, st.keys, core.crypto, core.localLocators.length)) {
    return { ok: false, refusal: { reason: 'policy', detail: 'ECHO_REQUEST_SIGNED too large to echo in one UPDATE' } };
  }
  // RFC 7401 §5.2.21: and each ECHO_REQUEST_UNSIGNED, whichever of the answers below goes out
  // (the ACK, or an UPDATE with our SEQ that carries the ACK); bounded (echo.ts).
  const unsigned = answerEchoes(pkt);
  if (!unsigned.ok) return { ok: false, refusal: { reason: 'echo-limit', detail: unsigned.detail } };
  const echoReply: ParamInit[] = [...signedReply, ...unsigned.params];
  if (unsigned.params.length > 0 && !echoReplyFits(echoReply, assoc.local, st.keys, core.crypto, core.localLocators.length)) {
    return { ok: false, refusal: { reason: 'echo-limit', detail: 'the UPDATE reply with the echo responses would exceed one HIP packet' } };
  }
  return { ok: true, echoReply };
}

/**
 * A new SEQ: process ESP_INFO first, then LOCATOR_SET (RFC 8047 §5.2), reply, and record the
 * Update ID for replay protection (§6.12.1 step 5).
 */
function processSeq(core: EngineCore, assoc: Association, pkt: HipPacket, updateId: number, src: Locator, dst: Locator, superseded: boolean): Refusal | undefined {
  const st = established(assoc)!;
  const espInfo = param(pkt, 'ESP_INFO');
  const dhParam = param(pkt, 'DIFFIE_HELLMAN');
  const locatorSet = param(pkt, 'LOCATOR_SET');
  const echoes = seqEchoReply(core, assoc, pkt);
  if (!echoes.ok) return echoes.refusal;
  const echoReply = echoes.echoReply;

  // ESP_INFO, RFC 8047 §5.2 / RFC 8046 §5.3: the four cases, anything else a protocol error.
  let negotiation: { kind: 'rekey' | 'new-sa'; sa: SaPair | undefined } | undefined;
  let gratuitousSpi: number | undefined;
  let deprecatedSpi: number | undefined;
  if (espInfo) {
    const { oldSpi, newSpi } = espInfo;
    const byPeerSpi = (spi: number): SaPair | undefined => st.sas.find((s) => s.peerSpi === spi);
    if (oldSpi !== 0 && oldSpi === newSpi && byPeerSpi(oldSpi)) {
      gratuitousSpi = oldSpi; // 1. no rekeying
    } else if (oldSpi !== 0 && newSpi !== 0 && oldSpi !== newSpi && byPeerSpi(oldSpi)) {
      negotiation = { kind: 'rekey', sa: byPeerSpi(oldSpi) }; // 2. rekeying
    } else if (oldSpi === 0 && newSpi !== 0 && !byPeerSpi(newSpi)) {
      negotiation = { kind: 'new-sa', sa: undefined }; // 3. new SA
    } else if (oldSpi !== 0 && newSpi === 0 && byPeerSpi(oldSpi)) {
      deprecatedSpi = oldSpi; // 4. deprecating the SA
    } else if (oldSpi !== 0 && newSpi === 0 && assoc.retiredPeerSpis?.includes(oldSpi)) {
      // 4. for a pair we deprecated ourselves meanwhile (both sides lost its path at once): it is
      // gone already; the UPDATE is ACKed so that the peer does not retransmit it for ever.
    } else {
      return { reason: 'bad-esp-info', detail: `OLD SPI ${oldSpi} / NEW SPI ${newSpi} fit no ESP_INFO case` };
    }
    if (negotiation && dhParam && (espInfo.keymatIndex !== 0 || dhParam.groupId !== st.keys.dhGroup)) {
      // RFC 7402 §6.9 step 1: with DH the index is 0 and the group unchanged.
      return { reason: 'bad-esp-info', detail: 'DH rekey with non-zero index or another group' };
    }
  }

  // RFC 9028 §4.9 step 1: an ICE-HIP-UDP peer's candidates come in ENCRYPTED (nat-handover.ts).
  if (param(pkt, 'ENCRYPTED') && assoc.nat?.mode === 'ice-hip-udp' && !negotiation && deprecatedSpi === undefined) {
    const ourSpi = gratuitousSpi !== undefined ? byPeerSpi(st.sas, gratuitousSpi)?.localSpi : undefined;
    return onHandoverUpdate(core, assoc, pkt, { updateId, src, dst, ourSpi, echoReply, superseded });
  }
  // LOCATOR_SET after ESP_INFO (its type 1 locators may name the NEW SPI).
  const newPeerSpi = negotiation ? espInfo!.newSpi : undefined;
  let outcome: LocatorSetOutcome = { verify: [], refused: undefined };
  // A LOCATOR_SET is the sender's complete list (RFC 8046 §5.2): one from an UPDATE older than
  // one already processed (they arrived out of order) is superseded and not applied.
  if (locatorSet && !superseded) {
    outcome = onLocatorSet(core, assoc, pkt, locatorSet, { espInfoSpi: newPeerSpi ?? gratuitousSpi, src });
    if (outcome.refused) return outcome.refused;
  }
  if (deprecatedSpi !== undefined) deprecateSa(core, assoc, deprecatedSpi);

  // The reply goes back where the UPDATE came from, from the address it came to: the ACK must
  // reach the sender even when a newly announced address does not work (RFC 8047 Figure 1:
  // UPDATE(ACK)). When the sender's source is itself the new address (a move, RFC 8046 Figure 3;
  // a new SA from a new interface, RFC 8047 Figure 2), the ECHO_REQUEST that checks it rides
  // along; every other new address gets a check of its own.
  // Over UDP, a LOCATOR_SET from a transport address it does not list came through a NAT (RFC
  // 9028 §4.9 with RFC 8046 §5.4): that address is where the peer can be reached, and is checked.
  const natted = locatorSet && !superseded && !outcome.verify.some((c) => equalBytes(c.locator, src)) ? natSourceCheck(core, assoc, src, locatorSet) : undefined;
  if (natted) outcome = { ...outcome, verify: [...outcome.verify, natted] };
  const combined = outcome.verify.find((c) => equalBytes(c.locator, src));
  const separate = outcome.verify.filter((c) => c !== combined);
  if (negotiation) {
    const peer = { newSpi: espInfo!.newSpi, index: espInfo!.keymatIndex, dhPublic: dhParam?.publicValue };
    const r = answerNegotiation(core, assoc, negotiation.kind, negotiation.sa, peer, updateId, echoReply, combined, dst, src);
    if (r) return r;
    // RFC 8046 Figure 7: data on the SA we just announced, from a new address, verifies it.
    const announced = established(assoc)!.update.rekey?.newLocalSpi;
    if (announced !== undefined) for (const c of outcome.verify) noteViaSpi(assoc, c.key, announced);
  } else if (combined) {
    // RFC 8046 Figure 3: UPDATE(ESP_INFO, SEQ, ACK, ECHO_REQUEST), the ESP_INFO gratuitous.
    const ourSpi = gratuitousSpi !== undefined ? byPeerSpi(st.sas, gratuitousSpi)?.localSpi : undefined;
    const params: ParamInit[] = [
      { kind: 'ACK', peerUpdateIds: [updateId] },
      ...echoReply,
      ...(ourSpi !== undefined ? [{ kind: 'ESP_INFO' as const, keymatIndex: 0, oldSpi: ourSpi, newSpi: ourSpi }] : []),
      { kind: 'ECHO_REQUEST_SIGNED', opaque: combined.nonce },
    ];
    const id = sendSeqUpdate(core, assoc, params, 'verify', {
      dst: src,
      src: dst,
      verify: { nonce: combined.nonce, locatorKey: combined.key },
    });
    const sent = established(assoc)!.update.pending.find((p) => p.updateId === id);
    if (sent) setUpdate(assoc, 'recv-UPDATE', { lastAckBytes: { bytes: copyBytes(sent.bytes), src: sent.src, dst: sent.dst } });
  } else if (answerNomination(core, assoc, pkt, updateId, echoReply, src, dst)) {
    // RFC 9028 §4.6.3: the controlled host's answer to NOMINATE carries a SEQ of its own.
  } else {
    const path = pathTo(core, assoc, src, dst);
    if (!path) return { reason: 'policy', detail: 'no local locator of the destination family' };
    const reply = signedUpdate(core, assoc, [{ kind: 'ACK', peerUpdateIds: [updateId] }, ...echoReply], path.src, path.dst);
    setUpdate(assoc, 'recv-UPDATE', { lastAckBytes: { bytes: copyBytes(reply.bytes), ...path } });
    send(core, reply, path.src, path.dst, assoc);
  }
  for (const check of separate) sendCheck(core, assoc, check);
  return undefined;
}

function byPeerSpi(sas: readonly SaPair[], spi: number): SaPair | undefined {
  return sas.find((s) => s.peerSpi === spi);
}

/**
 * RFC 7402 §6.9.1 and RFC 8047 §5.2 case 3: answer a rekey or new-SA request with our ESP_INFO
 * (U2). With our own rekey outstanding, only ACK and save the peer's values (§6.9 step 3).
 */
function answerNegotiation(
  core: EngineCore,
  assoc: Association,
  kind: 'rekey' | 'new-sa',
  sa: SaPair | undefined,
  peer: { newSpi: number; index: number; dhPublic: Uint8Array | undefined },
  peerUpdateId: number,
  echoReply: readonly ParamInit[],
  check: { nonce: Uint8Array; locator: Locator; key: string } | undefined,
  arrivedOn: Locator,
  cameFrom: Locator,
): Refusal | undefined {
  const st = established(assoc)!;
  if (st.update.rekey) {
    const ours = st.update.rekey;
    if (ours.peer || ours.kind !== kind) return { reason: 'stale-update', detail: 'second SA negotiation during one' };
    // Both ESP_INFOs are known now, so our new inbound keys are too: install the inbound SA
    // before the ACK leaves, because the ACK lets the peer finalize and send on our new SPI
    // (docs/architecture.md, The driving contract) even if our own UPDATE is still waiting for its ACK.
    const drawn = drawNegotiated(core, assoc, st, ours, peer);
    if (!drawn.ok) return drawn.refusal;
    addSa(core, assoc, saSpec(assoc, { localSpi: ours.newLocalSpi, peerSpi: peer.newSpi, suite: ours.suite, keymatIndex: drawn.index, localLocator: ours.localLocator, peerLocator: ours.peerLocator }, 'in', drawn.keys.in));
    const path = pathTo(core, assoc, cameFrom, arrivedOn) ?? { src: assoc.localLocator, dst: assoc.peerLocator };
    const reply = signedUpdate(core, assoc, [{ kind: 'ACK', peerUpdateIds: [peerUpdateId] }, ...echoReply], path.src, path.dst);
    setUpdate(assoc, 'recv-UPDATE', {
      rekey: { ...ours, peer, early: { kij: drawn.kij, index: drawn.index, keys: drawn.keys } },
      lastAckBytes: { bytes: copyBytes(reply.bytes), ...path },
    });
    send(core, reply, path.src, path.dst, assoc);
    return undefined;
  }
  const suite = sa?.suite ?? st.sas[0]!.suite;
  // Step 1-2: a received DH is answered with a new DH of ours and index 0; otherwise the greater
  // of the peer's index and our next unused byte (RECOMMENDED: the peer's).
  let dh: { privateKey: Uint8Array; publicValue: Uint8Array } | undefined;
  let kij = assoc.kij!;
  let index: number;
  if (peer.dhPublic) {
    const group = core.crypto.dhGroup(st.keys.dhGroup)!;
    dh = group.generate(core.random);
    const shared = group.shared(dh.privateKey, peer.dhPublic);
    if (!shared.ok) return { reason: 'bad-dh-public', detail: shared.reason };
    kij = shared.secret;
    index = 0;
  } else {
    index = Math.max(peer.index, st.update.keymatIndex);
  }
  const keys = drawEspKeys(keymatOf(core, assoc, st, kij), index, assoc.localHit, assoc.peerHit, suite);
  if (!keys) return { reason: 'bad-esp-info', detail: 'KEYMAT index beyond the KEYMAT' };
  const newLocalSpi = core.newSpi();
  // A new SA pair is bound to the address the request came from and the one it came to
  // (RFC 8047 §5.1 case 2: the UPDATE is sent from the new locator).
  const localLocator = sa?.localLocator ?? ownLocal(core, arrivedOn, assoc);
  const bound = [...assoc.peerLocators.values()].find((e) => e.type === 1 && e.spi === peer.newSpi);
  const peerLocator = sa?.peerLocator ?? bound?.locator ?? copyBytes(cameFrom);
  const rekey: RekeyState = {
    kind,
    oldLocalSpi: kind === 'rekey' ? sa!.localSpi : 0,
    oldPeerSpi: kind === 'rekey' ? sa!.peerSpi : 0,
    newLocalSpi,
    sentIndex: index,
    dh,
    updateId: st.update.nextUpdateId,
    acked: false,
    peer,
    early: { kij, index, keys: { in: keys.in, out: keys.out } },
    localLocator,
    peerLocator,
    suite,
  };
  // Our new inbound SA exists before the UPDATE that announces its SPI leaves (docs/architecture.md, The driving contract).
  const next: SaPair = { localSpi: newLocalSpi, peerSpi: peer.newSpi, suite, keymatIndex: index, localLocator, peerLocator };
  addSa(core, assoc, saSpec(assoc, next, 'in', keys.in));
  const params: ParamInit[] = [
    { kind: 'ESP_INFO', keymatIndex: index, oldSpi: rekey.oldLocalSpi, newSpi: newLocalSpi },
    { kind: 'ACK', peerUpdateIds: [peerUpdateId] },
    ...(dh ? [{ kind: 'DIFFIE_HELLMAN' as const, groupId: st.keys.dhGroup, publicValue: dh.publicValue }] : []),
    ...echoReply,
    ...(check ? [{ kind: 'ECHO_REQUEST_SIGNED' as const, opaque: check.nonce }] : []),
  ];
  const id = sendSeqUpdate(core, assoc, params, kind, {
    dst: cameFrom,
    src: arrivedOn,
    ...(check ? { verify: { nonce: check.nonce, locatorKey: check.key } } : {}),
    patch: { rekey },
  });
  const sent = established(assoc)!.update.pending.find((p) => p.updateId === id);
  if (sent) setUpdate(assoc, 'recv-UPDATE', { lastAckBytes: { bytes: copyBytes(sent.bytes), src: sent.src, dst: sent.dst } });
  return undefined;
}

/** Our locator object equal to `l` (locators are kept owned), else the control locator. */
function ownLocal(core: EngineCore, l: Locator, assoc: Association): Locator {
  // Never an address the privacy filter keeps from peers (RFC 8046 §6.4).
  return core.localLocators.find((x) => x.every((b, i) => b === l[i]) && !core.isPrivate(x)) ?? assoc.localLocator;
}

/**
 * The KEYMAT for `kij`: the base exchange's, or after a DH rekey a new one from the new Kij with
 * the base exchange's #I, #J and HITs (RFC 7402 §6.10 step 1).
 */
function keymatOf(core: EngineCore, assoc: Association, st: Established, kij: Uint8Array): Keymat {
  const h = st.keys.salt.length / 2;
  const [hitI, hitR] = assoc.role === 'initiator' ? [assoc.localHit, assoc.peerHit] : [assoc.peerHit, assoc.localHit];
  return createKeymat({
    crypto: core.crypto,
    hash: st.keys.rhash,
    kij,
    randomI: st.keys.salt.subarray(0, h),
    randomJ: st.keys.salt.subarray(h),
    hitI,
    hitR,
  });
}

/**
 * RFC 7402 §6.10 steps 1-3 for a negotiation where both ESP_INFOs are known: the new KEYMAT (if
 * either side sent DH: both must have) or the greater of the two indices, and the keys there.
 */
function drawNegotiated(
  core: EngineCore,
  assoc: Association,
  st: Established,
  r: RekeyState,
  peer: { newSpi: number; index: number; dhPublic: Uint8Array | undefined },
): { ok: true; kij: Uint8Array; index: number; keys: { in: DirectionKeys; out: DirectionKeys } } | { ok: false; refusal: Refusal } {
  let kij = assoc.kij!;
  let index: number;
  if (r.dh && peer.dhPublic) {
    const shared = core.crypto.dhGroup(st.keys.dhGroup)!.shared(r.dh.privateKey, peer.dhPublic);
    if (!shared.ok) return { ok: false, refusal: { reason: 'bad-dh-public', detail: shared.reason } };
    kij = shared.secret;
    index = 0;
  } else if (r.dh || peer.dhPublic) {
    // Only one side sent DH: RFC 7402 §4.3 says the reply "MUST also contain" one.
    return { ok: false, refusal: { reason: 'bad-esp-info', detail: 'DIFFIE_HELLMAN on one side only' } };
  } else {
    index = Math.max(r.sentIndex, peer.index);
  }
  const drawn = drawEspKeys(keymatOf(core, assoc, st, kij), index, assoc.localHit, assoc.peerHit, r.suite);
  if (!drawn) return { ok: false, refusal: { reason: 'bad-esp-info', detail: 'KEYMAT index beyond the KEYMAT' } };
  return { ok: true, kij, index, keys: { in: drawn.in, out: drawn.out } };
}

/** RFC 7402 §6.10: both halves present: draw keys, install SAs, retire a replaced pair. */
function finalizeIfReady(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  const r = st?.update.rekey;
  if (!st || !r || !r.acked || !r.peer) return;
  const old = r.kind === 'rekey' ? st.sas.find((s) => s.localSpi === r.oldLocalSpi) : undefined;
  if (r.kind === 'rekey' && !old) return abandonRekey(core, assoc, 'bad-esp-info', 'the SA being rekeyed is gone');
  let kij: Uint8Array;
  let index: number;
  let keys: { in: DirectionKeys; out: DirectionKeys };
  if (r.early) {
    ({ kij, index, keys } = r.early);
  } else {
    const drawn = drawNegotiated(core, assoc, st, r, r.peer);
    if (!drawn.ok) return abandonRekey(core, assoc, drawn.refusal.reason, drawn.refusal.detail ?? '');
    ({ kij, index, keys } = drawn);
  }
  const next: SaPair = {
    localSpi: r.newLocalSpi,
    peerSpi: r.peer.newSpi,
    suite: r.suite,
    keymatIndex: index,
    localLocator: old?.localLocator ?? r.localLocator,
    peerLocator: old?.peerLocator ?? r.peerLocator,
  };
  if (!r.early) addSa(core, assoc, saSpec(assoc, next, 'in', keys.in));
  else {
    // The inbound SA was installed before the exchange ended; its addresses may have moved since.
    const early = assoc.installed.find((s) => s.direction === 'in' && s.spi === next.localSpi);
    if (early && !(equalBytes(early.src, next.peerLocator) && equalBytes(early.dst, next.localLocator))) updateSa(core, assoc, next);
  }
  addSa(core, assoc, saSpec(assoc, next, 'out', keys.out));
  const { enc, auth } = espKeySizes(r.suite);
  assoc.kij = kij;
  const keymatIndex = Math.max(st.update.keymatIndex, index + 2 * (enc + auth));
  if (old) {
    // The new outbound SA replaces the old one at once; the old inbound one retires.
    deleteSa(core, assoc, 'out', r.oldPeerSpi);
    setUpdate(assoc, 'recv-UPDATE', { rekey: undefined, keymatIndex, retiring: [...st.update.retiring, r.oldLocalSpi] }, st.sas.map((s) => (s === old ? next : s)));
    assoc.timers.set('OLD_SA_EXPIRE', core.now + core.config.oldSaGraceMs);
  } else {
    setUpdate(assoc, 'recv-UPDATE', { rekey: undefined, keymatIndex }, [...st.sas, next]);
  }
  // The new pair starts on the locators the table now prefers (RFC 8046 §3.2.2: a readdress
  // with rekey moves to the new address).
  rebind(core, assoc);
  core.emit({ kind: 'event', event: { type: 'update-completed', assoc: assoc.id, what: r.kind === 'rekey' ? 'rekey' : 'new-sa' } });
  ensureSaPerInterface(core, assoc);
}

function abandonRekey(core: EngineCore, assoc: Association, reason: DropReason, detail: string): void {
  const st = established(assoc)!;
  if (st.update.rekey?.early) deleteSa(core, assoc, 'in', st.update.rekey.newLocalSpi);
  setUpdate(assoc, 'recv-UPDATE', { rekey: undefined });
  core.drop(reason, { packetKind: 'UPDATE', assoc, detail });
}

/** RFC 8047 §5.2 case 4: the peer deprecates its inbound SA `peerSpi`: drop our side of the pair. */
function deprecateSa(core: EngineCore, assoc: Association, peerSpi: number): void {
  const st = established(assoc)!;
  const sa = st.sas.find((s) => s.peerSpi === peerSpi);
  invariant(sa, 'deprecated SA was checked to exist');
  if (st.sas.length === 1) {
    // The last pair is never torn down this way (CLOSE does that), but RFC 8046 §5.3 case 4 still
    // holds: "all locators uniquely bound to the SPI are put into the DEPRECATED state".
    return deprecateSpiLocators(core, assoc, peerSpi);
  }
  deleteSa(core, assoc, 'out', peerSpi);
  setUpdate(assoc, 'recv-UPDATE', { retiring: [...st.update.retiring, sa.localSpi] }, st.sas.filter((s) => s !== sa));
  assoc.timers.set('OLD_SA_EXPIRE', core.now + core.config.oldSaGraceMs);
  deprecateSpiLocators(core, assoc, peerSpi);
}

// ---------------------------------------------------------------------------------------------
// Timers and data-plane feedback

/** UPDATE retransmission (RFC 7401 §6.11): each outstanding UPDATE on its own backoff. */
export function retransmitUpdate(core: EngineCore, assoc: Association): void {
  let st = updating(assoc);
  if (!st) return;
  for (const p of st.update.pending) {
    if (p.nextAt > core.now) continue;
    st = updating(assoc);
    if (!st) return;
    if (p.retries >= retriesFor(core, p)) {
      setUpdate(assoc, 'timeout-retransmit', { pending: st.update.pending.filter((x) => x !== p) });
      if (p.purpose === 'verify' && p.verify?.locatorKey === HANDOVER_KEY) {
        // RFC 9028 §4.9: step 3 never answered; the candidates of step 1 are not used.
        onHandoverEchoTimeout(assoc, p.verify.nonce);
        continue;
      }
      if (p.purpose === 'verify' && p.verify?.locatorKey === CHECK_KEY) {
        // RFC 9028 §4.6: an unanswered connectivity check fails its pair.
        onCheckTimeout(core, assoc, p.verify.nonce);
        continue;
      }
      if (p.purpose === 'verify' && p.verify) {
        // RFC 8046 §5.4: an address that never answers is not reachable: it is not used.
        onVerifyFailed(core, assoc, p.verify.locatorKey);
        continue;
      }
      return fail(core, assoc, 'update-retries', 'retries-exhausted');
    }
    const retries = p.retries + 1;
    // Unanswered twice: the destination may be gone; suspect it so that the retransmissions
    // (retarget) and the traffic try another ACTIVE address of the peer (RFC 8047 §4.2.3).
    if (p.purpose !== 'verify' && retries === SUSPECT_AFTER) suspectPath(core, assoc, p.dst);
    st = updating(assoc);
    if (!st) return;
    const moved = retarget(core, assoc, p);
    const again: PendingUpdate = { ...p, ...moved, retries, nextAt: core.now + backoff(core.config.updateRetransmitMs, retries, core.config.maxRetransmitMs) };
    setUpdate(assoc, 'timeout-retransmit', { pending: st.update.pending.map((x) => (x === p ? again : x)) });
    if (again.via && equalBytes(again.dst, again.via.peer.address)) resendViaRelay(core, again.bytes, again.via, assoc);
    else resend(core, again.bytes, again.src, again.dst, assoc);
    // RFC 8046 §3.2.3 step 1: also to the peer's rendezvous servers, as the policy says.
    resendViaRvs(core, assoc, again.bytes, retries);
  }
  armRetransmit(assoc);
  // A check that gave up makes room for a queued one (RFC 8046 §5.4: every address is checked).
  pumpChecks(core, assoc);
}

/** A retransmission through our Control Relay Server (RFC 9028 §4.8: with RELAY_TO, as the first copy). */
function resendViaRelay(core: EngineCore, bytes: Uint8Array, via: RelayedFrom, assoc: Association): void {
  const decoded = decodePacket(bytes);
  invariant(decoded.ok, 'stored packet no longer decodes');
  sendViaRelay(core, bytes, decoded.packet, via);
  assoc.lastActivity = core.now;
}

/**
 * Where a retransmission goes. An address check stays on the address it checks. Any other
 * UPDATE whose destination the peer has since deprecated or dropped (or whose source is no longer
 * ours) follows the association's current control path instead, so that an address that went
 * away cannot make the UPDATE, and with it the association, fail while another path works
 * (RFC 8047 §4.2.3). Only the checksum covers the addresses (RFC 7401 §5.1.1): the same
 * signed bytes go out with a new checksum.
 */
function retarget(core: EngineCore, assoc: Association, p: PendingUpdate): Pick<PendingUpdate, 'bytes' | 'src' | 'dst'> {
  if (p.purpose === 'verify') return p;
  const dstEntry = assoc.peerLocators.get(locatorKey(p.dst));
  const dstLive = dstEntry !== undefined && dstEntry.state !== 'DEPRECATED' && dstEntry.suspectSince === undefined;
  const srcOurs = sourceLocators(core, 'signalling', assoc.peerLocator).some((l) => equalBytes(l, p.src));
  if (dstLive && srcOurs) return p;
  const path = pathTo(core, assoc, dstLive ? p.dst : assoc.peerLocator, srcOurs ? p.src : undefined);
  if (!path || (equalBytes(path.src, p.src) && equalBytes(path.dst, p.dst))) return p;
  return { bytes: writeHipChecksum(Uint8Array.from(p.bytes), path.src, path.dst), src: path.src, dst: path.dst };
}

/** Deletes inbound SAs that a rekey replaced (RFC 7402 §6.10 step 4). */
export function expireOldSas(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  if (!st || st.update.retiring.length === 0) return;
  for (const spi of st.update.retiring) deleteSa(core, assoc, 'in', spi);
  setUpdate(assoc, 'timeout-retransmit', { retiring: [] });
  assoc.timers.clear('OLD_SA_EXPIRE');
}

/** The data plane authenticated a packet on one of our inbound SAs. */
export function onEspSeen(core: EngineCore, assoc: Association, spi: number, src: Locator, _dst: Locator, udp?: UdpPorts): void {
  assoc.lastActivity = core.now;
  // Table 5 / §6.9 step 21: data on the new SA shows the Initiator reached ESTABLISHED.
  if (assoc.state.name === 'R2_SENT') return completeResponder(core, assoc, 'recv-data');
  const st = established(assoc);
  if (!st) return;
  // RFC 7402 §6.10 step 4: data on the new inbound SA: the replaced ones can go.
  if (st.update.retiring.length > 0 && !st.update.retiring.includes(spi) && st.sas.some((s) => s.localSpi === spi)) {
    expireOldSas(core, assoc);
  }
  // RFC 8046 §5.4 Figure 7: data on a newly announced SA from an address verifies it.
  onDataFrom(core, assoc, spi, src);
  // RFC 9028 §4.8, §5.11: authenticated, anti-replay-checked ESP shows the peer's current port.
  if (udp) notePeerPort(core, assoc, src, udp.srcPort);
}

/** RFC 7402 §6.8: the ESP sequence number is about to wrap: rekey that SA. */
export function onSeqExhausting(core: EngineCore, assoc: Association, spi: number): void {
  if (established(assoc)) startRekey(core, assoc, false, spi);
}
