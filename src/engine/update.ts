// UPDATE (RFC 7401 §6.11-§6.12) and ESP rekeying (RFC 7402 §6.8-§6.10).
//
// Rekey, three messages (RFC 7402 §4.3): U1 = SEQ, ESP_INFO [, DH]; U2 = SEQ, ACK, ESP_INFO
// [, DH]; U3 = ACK. A host finalizes when its ESP_INFO has been ACKed and the peer's ESP_INFO has
// arrived. The answering host knows the KEYMAT index when it sends U2, so it installs its new
// inbound SA before U2 leaves; the starting host installs its new SAs when U2 arrives, before U3,
// and only then does the answering host move its outbound traffic (on U3). Old inbound SAs stay
// until data arrives on the new one or `oldSaGraceMs` passes (RFC 7402 §6.10 step 4).
import { verifyMac, verifySignature } from '../crypto/auth.js';
import { createKeymat, drawEspKeys, espKeySizes, keymatMaxLength, type DirectionKeys, type Keymat } from '../crypto/keymat.js';
import type { Locator } from '../types.js';
import { param } from '../wire/access.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import { completeResponder, fail } from './bex.js';
import type { EngineCore } from './context.js';
import { buildPacket, resend, send } from './packets.js';
import { addSa, deleteSa, saSpec } from './sa.js';
import type { Established, RekeyState, SaPair, UpdateState } from './states.js';
import { backoff } from './timing.js';
import { transition, type Trigger } from './transitions.js';

/** RFC 1982 serial comparison for 32-bit Update IDs (§6.12: circular sequence space). */
export function seqLessOrEqual(a: number, b: number): boolean {
  const d = (b - a) >>> 0;
  return d === 0 || d < 0x80000000;
}

function established(assoc: Association): Established | undefined {
  return assoc.state.name === 'ESTABLISHED' ? assoc.state : undefined;
}

function setUpdate(assoc: Association, trigger: Trigger, patch: Partial<UpdateState>, sas?: readonly SaPair[]): void {
  const st = established(assoc)!;
  transition(assoc, trigger, { ...st, ...(sas ? { sas } : {}), update: { ...st.update, ...patch } });
}

// ---------------------------------------------------------------------------------------------
// Starting a rekey

/** The `rekey` command and `esp-seq-exhausting`: send U1 (RFC 7402 §6.8). */
export function startRekey(core: EngineCore, assoc: Association, newDh: boolean): void {
  const st = established(assoc);
  // RFC 7402 §6.8: no new UPDATE while an ESP SA update is outstanding.
  if (!st || st.update.rekey || st.update.pending) return;
  const sa = st.sas[0]!;
  const { enc, auth } = espKeySizes(sa.suite);
  // §6.8 step 2: without DH the index is at least the next unused KEYMAT byte; when that would
  // overflow the 16-bit field or the KEYMAT, a new DH is required (RFC 7402 §5.1.1).
  const needDh = newDh || st.update.keymatIndex + 2 * (enc + auth) > Math.min(0xffff, keymatMaxLength(st.keys.rhash));
  const dh = needDh ? core.crypto.dhGroup(st.keys.dhGroup)!.generate(core.random) : undefined;
  const index = dh ? 0 : st.update.keymatIndex;
  const newLocalSpi = core.newSpi();
  const updateId = st.update.nextUpdateId;
  const params: ParamInit[] = [
    { kind: 'ESP_INFO', keymatIndex: index, oldSpi: sa.localSpi, newSpi: newLocalSpi },
    { kind: 'SEQ', updateId },
    ...(dh ? [{ kind: 'DIFFIE_HELLMAN' as const, groupId: st.keys.dhGroup, publicValue: dh.publicValue }] : []),
  ];
  const built = signedUpdate(core, assoc, params);
  const rekey: RekeyState = {
    oldLocalSpi: sa.localSpi,
    oldPeerSpi: sa.peerSpi,
    newLocalSpi,
    sentIndex: index,
    dh,
    updateId,
    acked: false,
    peer: undefined,
    early: undefined,
  };
  setUpdate(assoc, 'rekey', { nextUpdateId: (updateId + 1) >>> 0, pending: { updateId, bytes: built.bytes, retries: 0 }, rekey });
  send(core, built, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('UPDATE_RETRANSMIT', core.now + core.config.updateRetransmitMs);
}

function signedUpdate(core: EngineCore, assoc: Association, params: readonly ParamInit[]) {
  const st = established(assoc)!;
  return buildPacket(
    core,
    { kind: 'UPDATE', senderHit: assoc.localHit, receiverHit: assoc.peerHit },
    params,
    { mac: { hash: st.keys.rhash, key: st.keys.macOut }, sign: assoc.local },
    assoc.localLocator,
    assoc.peerLocator,
  );
}

// ---------------------------------------------------------------------------------------------
// Receiving

/** UPDATE received (RFC 7401 §6.12; RFC 7402 §6.9). */
export function onUpdate(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator, _dst: Locator): void {
  const drop = (reason: Parameters<EngineCore['drop']>[0], detail?: string): void =>
    core.drop(reason, { packetKind: 'UPDATE', src, assoc, ...(detail ? { detail } : {}) });
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
  assoc.lastActivity = core.now;
  // Table 5: an authenticated UPDATE shows the peer reached ESTABLISHED.
  if (st0.name === 'R2_SENT') completeResponder(core, assoc, 'recv-UPDATE');
  let st = established(assoc)!;

  // §6.12 step 4: the ACK first.
  if (ack) {
    const pending = st.update.pending;
    if (pending && ack.peerUpdateIds.includes(pending.updateId)) {
      assoc.timers.clear('UPDATE_RETRANSMIT');
      const rekey = st.update.rekey && st.update.rekey.updateId === pending.updateId ? { ...st.update.rekey, acked: true } : st.update.rekey;
      setUpdate(assoc, 'recv-UPDATE', { pending: undefined, rekey });
      st = established(assoc)!;
    } else if (!seq) {
      return drop('stale-update', 'ACK for no outstanding UPDATE');
    }
  }

  if (seq) {
    const last = st.update.lastPeerUpdateId;
    if (last !== undefined && seqLessOrEqual(seq.updateId, last)) {
      // §6.12.1 step 2: a retransmission is ACKed again (from the cache), never reprocessed.
      if (seq.updateId === last && st.update.lastAckBytes) {
        resend(core, st.update.lastAckBytes, assoc.localLocator, assoc.peerLocator, assoc);
      } else {
        drop('stale-update', `Update ID ${seq.updateId} <= ${last}`);
      }
      return finalizeIfReady(core, assoc);
    }
    const outcome = processSeq(core, assoc, pkt, seq.updateId);
    if (outcome) return drop(outcome.reason, outcome.detail);
  }
  finalizeIfReady(core, assoc);
}

type Refusal = { reason: Parameters<EngineCore['drop']>[0]; detail?: string };

/** A new SEQ: process ESP_INFO (RFC 7402 §6.9), reply, and record the Update ID. */
function processSeq(core: EngineCore, assoc: Association, pkt: HipPacket, updateId: number): Refusal | undefined {
  const st = established(assoc)!;
  const espInfo = param(pkt, 'ESP_INFO');
  const dhParam = param(pkt, 'DIFFIE_HELLMAN');
  const echo = param(pkt, 'ECHO_REQUEST_SIGNED');
  const echoReply: ParamInit[] = echo ? [{ kind: 'ECHO_RESPONSE_SIGNED', opaque: echo.opaque }] : [];

  if (espInfo && espInfo.oldSpi !== 0 && espInfo.newSpi !== 0 && espInfo.oldSpi !== espInfo.newSpi) {
    // A rekey request. RFC 7402 §6.9 step 1: with DH the index is 0 and the group unchanged.
    if (dhParam && (espInfo.keymatIndex !== 0 || dhParam.groupId !== st.keys.dhGroup)) return { reason: 'bad-esp-info', detail: 'DH rekey with non-zero index or another group' };
    const sa = st.sas.find((s) => s.peerSpi === espInfo.oldSpi);
    if (!sa) return { reason: 'bad-esp-info', detail: `OLD SPI ${espInfo.oldSpi} is not the peer's` };
    const peerInfo = { newSpi: espInfo.newSpi, index: espInfo.keymatIndex, dhPublic: dhParam?.publicValue };
    if (st.update.rekey) {
      // RFC 7402 §6.9 step 3: our own rekey is outstanding: ACK, save the peer's parameters.
      if (st.update.rekey.peer) return { reason: 'stale-update', detail: 'second rekey request during a rekey' };
      const reply = signedUpdate(core, assoc, [{ kind: 'ACK', peerUpdateIds: [updateId] }, ...echoReply]);
      setUpdate(assoc, 'recv-UPDATE', { rekey: { ...st.update.rekey, peer: peerInfo }, lastPeerUpdateId: updateId, lastAckBytes: reply.bytes });
      send(core, reply, assoc.localLocator, assoc.peerLocator, assoc);
      return undefined;
    }
    return answerRekey(core, assoc, sa, peerInfo, updateId, echoReply);
  }
  if (espInfo && espInfo.oldSpi !== espInfo.newSpi) {
    // OLD SPI 0 (a new SA) and NEW SPI 0 (deprecate an SA) are the multihoming cases of RFC 8047
    // §5.2; this engine does not take them yet, and says so rather than half-processing them.
    return { reason: 'bad-esp-info', detail: 'ESP_INFO case not handled: multihoming SA add/remove' };
  }
  // No rekey (no ESP_INFO, or OLD = NEW): acknowledge (RFC 7401 §6.12.1 step 6).
  const reply = signedUpdate(core, assoc, [{ kind: 'ACK', peerUpdateIds: [updateId] }, ...echoReply]);
  setUpdate(assoc, 'recv-UPDATE', { lastPeerUpdateId: updateId, lastAckBytes: reply.bytes });
  send(core, reply, assoc.localLocator, assoc.peerLocator, assoc);
  return undefined;
}

/** RFC 7402 §6.9.1: no rekey of ours outstanding: reply with our ESP_INFO (U2). */
function answerRekey(
  core: EngineCore,
  assoc: Association,
  sa: SaPair,
  peer: { newSpi: number; index: number; dhPublic: Uint8Array | undefined },
  peerUpdateId: number,
  echoReply: readonly ParamInit[],
): Refusal | undefined {
  const st = established(assoc)!;
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
  const keys = drawEspKeys(keymatOf(core, assoc, st, kij), index, assoc.localHit, assoc.peerHit, sa.suite);
  if (!keys) return { reason: 'bad-esp-info', detail: 'KEYMAT index beyond the KEYMAT' };
  const newLocalSpi = core.newSpi();
  const updateId = st.update.nextUpdateId;
  const reply = signedUpdate(core, assoc, [
    { kind: 'ESP_INFO', keymatIndex: index, oldSpi: sa.localSpi, newSpi: newLocalSpi },
    { kind: 'SEQ', updateId },
    { kind: 'ACK', peerUpdateIds: [peerUpdateId] },
    ...(dh ? [{ kind: 'DIFFIE_HELLMAN' as const, groupId: st.keys.dhGroup, publicValue: dh.publicValue }] : []),
    ...echoReply,
  ]);
  const rekey: RekeyState = {
    oldLocalSpi: sa.localSpi,
    oldPeerSpi: sa.peerSpi,
    newLocalSpi,
    sentIndex: index,
    dh,
    updateId,
    acked: false,
    peer,
    early: { kij, index, keys: { in: keys.in, out: keys.out } },
  };
  setUpdate(assoc, 'recv-UPDATE', {
    nextUpdateId: (updateId + 1) >>> 0,
    pending: { updateId, bytes: reply.bytes, retries: 0 },
    rekey,
    lastPeerUpdateId: peerUpdateId,
    lastAckBytes: reply.bytes,
  });
  // Our new inbound SA exists before the UPDATE that announces its SPI leaves (DESIGN C3.4).
  const next: SaPair = { ...sa, localSpi: newLocalSpi, keymatIndex: index };
  addSa(core, assoc, saSpec(assoc, next, 'in', keys.in));
  send(core, reply, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('UPDATE_RETRANSMIT', core.now + core.config.updateRetransmitMs);
  return undefined;
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

/** RFC 7402 §6.10: both halves present: draw keys, switch SAs, retire the old inbound one. */
function finalizeIfReady(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  const r = st?.update.rekey;
  if (!st || !r || !r.acked || !r.peer) return;
  const sa = st.sas.find((s) => s.localSpi === r.oldLocalSpi);
  if (!sa) return;
  let kij = assoc.kij!;
  let index: number;
  let keys: { in: DirectionKeys; out: DirectionKeys };
  if (r.early) {
    ({ kij, index, keys } = r.early);
  } else {
    if (r.dh && r.peer.dhPublic) {
      const shared = core.crypto.dhGroup(st.keys.dhGroup)!.shared(r.dh.privateKey, r.peer.dhPublic);
      if (!shared.ok) return abandonRekey(core, assoc, 'bad-dh-public', shared.reason);
      kij = shared.secret;
      index = 0;
    } else if (r.dh || r.peer.dhPublic) {
      // Only one side sent DH: the peer broke RFC 7402 §4.3 ("the reply MUST also contain" DH).
      return abandonRekey(core, assoc, 'bad-esp-info', 'DIFFIE_HELLMAN on one side only');
    } else {
      index = Math.max(r.sentIndex, r.peer.index);
    }
    const drawn = drawEspKeys(keymatOf(core, assoc, st, kij), index, assoc.localHit, assoc.peerHit, sa.suite);
    if (!drawn) return abandonRekey(core, assoc, 'bad-esp-info', 'KEYMAT index beyond the KEYMAT');
    keys = { in: drawn.in, out: drawn.out };
  }
  const next: SaPair = { ...sa, localSpi: r.newLocalSpi, peerSpi: r.peer.newSpi, keymatIndex: index };
  if (!r.early) addSa(core, assoc, saSpec(assoc, next, 'in', keys.in));
  addSa(core, assoc, saSpec(assoc, next, 'out', keys.out));
  // The new outbound SA replaces the old one at once; the old inbound one retires.
  deleteSa(core, assoc, 'out', r.oldPeerSpi);
  const { enc, auth } = espKeySizes(sa.suite);
  assoc.kij = kij;
  setUpdate(
    assoc,
    'recv-UPDATE',
    { rekey: undefined, keymatIndex: index + 2 * (enc + auth), retiring: [...st.update.retiring, r.oldLocalSpi] },
    st.sas.map((s) => (s === sa ? next : s)),
  );
  assoc.timers.set('OLD_SA_EXPIRE', core.now + core.config.oldSaGraceMs);
  core.emit({ kind: 'event', event: { type: 'update-completed', assoc: assoc.id, what: 'rekey' } });
}

function abandonRekey(core: EngineCore, assoc: Association, reason: 'bad-dh-public' | 'bad-esp-info', detail: string): void {
  const st = established(assoc)!;
  if (st.update.rekey?.early) deleteSa(core, assoc, 'in', st.update.rekey.newLocalSpi);
  setUpdate(assoc, 'recv-UPDATE', { rekey: undefined });
  core.drop(reason, { packetKind: 'UPDATE', assoc, detail });
}

// ---------------------------------------------------------------------------------------------
// Timers and data-plane feedback

export function retransmitUpdate(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  const p = st?.update.pending;
  if (!st || !p) return;
  if (p.retries >= core.config.updateRetriesMax) return fail(core, assoc, 'update-retries', 'retries-exhausted');
  const retries = p.retries + 1;
  setUpdate(assoc, 'timeout-retransmit', { pending: { ...p, retries } });
  resend(core, p.bytes, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('UPDATE_RETRANSMIT', core.now + backoff(core.config.updateRetransmitMs, retries, core.config.maxRetransmitMs));
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
export function onEspSeen(core: EngineCore, assoc: Association, spi: number, _src: Locator, _dst: Locator): void {
  assoc.lastActivity = core.now;
  // Table 5 / §6.9 step 21: data on the new SA shows the Initiator reached ESTABLISHED.
  if (assoc.state.name === 'R2_SENT') return completeResponder(core, assoc, 'recv-data');
  const st = established(assoc);
  // RFC 7402 §6.10 step 4: data on the new inbound SA: the replaced ones can go.
  if (st && st.update.retiring.length > 0 && !st.update.retiring.includes(spi) && st.sas.some((s) => s.localSpi === spi)) {
    expireOldSas(core, assoc);
  }
}

/** RFC 7402 §6.8: the ESP sequence number is about to wrap: rekey. */
export function onSeqExhausting(core: EngineCore, assoc: Association): void {
  if (established(assoc)) startRekey(core, assoc, false);
}
