// The base exchange: I1, R1, I2, R2 (RFC 7401 §4.1, §6.6-§6.10) with the ESP SA setup of
// RFC 7402 §6.4-§6.6. Handlers check, compute and emit; the state change itself goes through
// transitions.ts.
import { verifyMac, verifyMac2, verifySignature, verifySignature2 } from '../crypto/auth.js';
import { decryptParams, encryptHostId, encryptParams } from '../crypto/encrypted.js';
import type { HostIdentity } from '../crypto/host-id.js';
import { decodeHitSuiteList, hitFromHostId, hitSuiteOfHit, rhashLength, rhashOf } from '../crypto/hit.js';
import { deriveBexKeys, type BexKeys } from '../crypto/keymat.js';
import { checkDhChoice, selectDhGroup, selectEspTransform, selectHipCipher, supportedDhGroups, supportedEspTransforms, supportedHipCiphers } from '../crypto/negotiate.js';
import type { DhGroupId, HipCipherId } from '../crypto/provider.js';
import { solvePuzzle, verifyPuzzle } from '../crypto/puzzle.js';
import type { EspSuiteId, Hit, Locator } from '../types.js';
import { compareBytes, concatBytes, copyBytes, equalBytes, toHex } from '../util/bytes.js';
import { CONTROL_ANONYMOUS, TRANSPORT_FORMAT } from '../wire/constants.js';
import { param } from '../wire/access.js';
import { NOTIFY_TYPE } from '../wire/notify.js';
import { sendNotify } from './notify.js';
import type { HipPacket, LocatorEntry, ParamInit } from '../wire/types.js';
import { decodeParamBlock, encodeParamBlock } from '../wire/packet.js';
import { candidateLocatorSet } from './nat-candidates.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { FailReason } from './io.js';
import { buildPacket, resend, send } from './packets.js';
import { bexLocatorSet, initPeerLocators, localFor, pathTo, sourceLocators, usableAddress } from './mobility.js';
import { addSa, deleteSa, installSaPair, removeAllSas, saSpec } from './sa.js';
import type { HipKeys, PendingUpdate, SaPair, UpdateState } from './states.js';
import { checkDiscard, enter, transition, type Trigger } from './transitions.js';
import { backoff } from './timing.js';
import { announceStaleOffer, answerRequests, forgetRegistrations, onAnswers, requestFor } from './registration.js';
import { notePeerRvs, relayToClient, verifyRelayed } from './rvs.js';
import { grantsRelay, noteRegFrom, regFromParam, relayedExchangeEchoes } from './relay.js';
import { acceptFromI2, chooseFromR1 } from './nat-negotiation.js';
import { answerEchoes, replyFits, withUnsignedEchoes } from './echo.js';
import { armKeepalive } from './nat-keepalive.js';
import { notePeerRelay } from './nat-handover.js';

/**
 * Local locator for HIP control packets to `peer`: the first of ours in the same address family
 * that may carry signalling (RFC 8046 §4.1) and that the privacy filter does not keep from peers
 * (RFC 8046 §6.4).
 */
export function pickLocalLocator(core: EngineCore, peer: Locator): Locator | undefined {
  const v4 = isV4(peer);
  return sourceLocators(core, 'signalling', peer).find((l) => isV4(l) === v4);
}

/**
 * Where a reply to a packet from `peer` that arrived at our `dst` leaves from: `dst`, unless the
 * privacy filter keeps it from peers (RFC 8046 §6.4) or it is announced for data only (RFC 8046
 * §4.1), and another address of ours of that family may carry signalling.
 */
export function replySource(core: EngineCore, dst: Locator, peer: Locator): Locator {
  const fit = sourceLocators(core, 'signalling', peer);
  // An address we do not list is not ours to filter: the reply leaves from where it arrived.
  const listed = core.localLocators.some((l) => equalBytes(l, dst));
  if (!core.isPrivate(dst) && (!listed || fit.some((l) => equalBytes(l, dst)))) return dst;
  const v4 = isV4(dst);
  return fit.find((l) => isV4(l) === v4) ?? dst;
}

/**
 * The local address of a base-exchange SA: `local` (where the exchange runs), unless it is one
 * of ours announced for signalling only, whose ESP goes from a data locator (RFC 8046 §4.1).
 */
function espSource(core: EngineCore, peer: Locator, local: Locator): Locator {
  return core.localLocators.some((l) => equalBytes(l, local)) ? localFor(core, peer, local, 'data') : local;
}

function isV4(l: Locator): boolean {
  return l[10] === 0xff && l[11] === 0xff && l.subarray(0, 10).every((b) => b === 0);
}

// ---------------------------------------------------------------------------------------------
// I1

/** `connect`: create the association in I1-SENT and send the I1 (§6.6). */
export function startBex(
  core: EngineCore,
  local: HostIdentity,
  peerHit: Hit,
  src: Locator,
  dst: Locator,
  existing?: Association,
  udp?: { readonly localPort: number; readonly peerPort: number },
): Association {
  const offered = supportedDhGroups(core.crypto, core.config.dhGroups);
  const i1 = buildPacket(core, { kind: 'I1', senderHit: local.hit, receiverHit: peerHit }, [{ kind: 'DH_GROUP_LIST', groups: offered }], {}, src, dst);
  const state = { name: 'I1_SENT' as const, i1: i1.bytes, retries: 0, offeredGroups: offered };
  let assoc: Association;
  if (existing) {
    assoc = existing;
    assoc.localLocator = src;
    assoc.peerLocator = dst;
    assoc.role = 'initiator';
    transition(assoc, 'connect', state);
  } else {
    assoc = core.createAssoc({ local, peerHit, role: 'initiator', state: enter('connect', state), localLocator: src, peerLocator: dst });
  }
  assoc.udp = udp ? { localPort: udp.localPort, peerPort: udp.peerPort } : undefined;
  assoc.timers.clearAll();
  send(core, i1, src, dst, assoc);
  assoc.timers.set('I1_RETRANSMIT', core.now + core.config.i1RetransmitMs);
  return assoc;
}

/** I1 received (§6.7): answer statelessly with an R1, except in the simultaneous-open case. */
export function onI1(core: EngineCore, pkt: HipPacket, from: Locator, dst: Locator): void {
  const opportunistic = pkt.receiverHit.every((b) => b === 0);
  const local = opportunistic ? opportunisticIdentity(core, pkt.senderHit) : core.identityByHit(pkt.receiverHit);
  if (!local) {
    // RFC 8004 §4.3.2: as a rendezvous server, an I1 for a registered client is relayed.
    if (relayToClient(core, pkt, from)) return;
    return core.drop('unknown-hit', { packetKind: 'I1', src: from });
  }
  // RFC 8004 §4.3.2: an I1 with FROM counts only with a valid RVS_HMAC of one of our rendezvous
  // servers; the Initiator's address is then the FROM's, and the R1 goes straight there.
  const relayed = verifyRelayed(core, pkt, from);
  if (relayed === undefined) return;
  if (relayed !== 'not-relayed' && opportunistic) {
    // "A rendezvous client acting as Responder SHOULD drop opportunistic I1s that include a
    // FROM parameter, because this indicates that the I1 has been relayed."
    return core.drop('policy', { packetKind: 'I1', src: from, detail: 'opportunistic I1 relayed by a rendezvous server' });
  }
  const src = relayed === 'not-relayed' ? from : relayed.from;
  if (relayed !== 'not-relayed' && isV4(src) !== isV4(dst)) {
    const ours = pickLocalLocator(core, src);
    if (!ours) return core.drop('policy', { packetKind: 'I1', src: from, detail: 'no local locator of the Initiator address family' });
    dst = ours;
  }
  const assoc = core.findAssoc(local.hit, pkt.senderHit);
  // §6.7 step 3 / Table 3: in I1-SENT only the host with the greater HIT answers.
  if (assoc && assoc.state.name === 'I1_SENT' && compareBytes(local.hit, pkt.senderHit) < 0) {
    return core.drop('lower-hit', { packetKind: 'I1', src, assoc });
  }
  // RFC 7401 §5.2.21: "A HIP packet can contain one or more ECHO_REQUEST_UNSIGNED parameters",
  // each answered; the R1 echoes the I1's (bounded, echo.ts: the R1 grows by what the I1 carried,
  // so the reflection of §8 gains nothing).
  const echoes = answerEchoes(pkt);
  if (!echoes.ok) return core.drop('echo-limit', { packetKind: 'I1', src, ...(assoc ? { assoc } : {}), detail: echoes.detail });
  // RFC 7401 §6.7 / §8: R1s are rate-limited per source address and in total (reflection).
  if (!core.takeR1Token(src)) return core.drop('rate-limited', { packetKind: 'I1', src, ...(assoc ? { assoc } : {}), detail: 'R1 rate limit' });
  const list = param(pkt, 'DH_GROUP_LIST');
  const ours = supportedDhGroups(core.crypto, core.config.dhGroups);
  // §6.7 step 4 / §5.2.6: the first group of our list that the Initiator offers, else any of ours.
  const group = (list ? selectDhGroup(ours, list.groups) : undefined) ?? ours[0]!;
  const k = puzzleK(core, local);
  // RFC 8047 §4.2.8: the R1 may carry our locators (type 0 only); the P bit follows policy.
  // RFC 9028 §4.5 step 3: an I1 relayed by our Control Relay Server gets an R1 offering ICE-HIP-UDP.
  const { params } = core.r1.r1Params(core, local, pkt.senderHit, group, k, bexLocatorSet(core, src, undefined), core.relayedFrom !== undefined);
  // RFC 8004 §4.3.3: "it MUST append to the regular R1 header a VIA_RVS parameter containing the
  // IP addresses of the traversed RVSs" (after the signature: it is not signed).
  if (relayed !== 'not-relayed') params.push({ kind: 'VIA_RVS', addresses: [relayed.rvs] });
  // After HIP_SIGNATURE_2 too (§5.2.1), so the pre-signed R1 stays valid.
  params.push(...echoes.params);
  if (echoes.params.length > 0 && !replyFits(params, {})) {
    return core.drop('echo-limit', { packetKind: 'I1', src, ...(assoc ? { assoc } : {}), detail: 'the R1 with the I1\'s echo responses would exceed one HIP packet' });
  }
  // §6.7 step 7: the R1 goes to the source address of the I1, from the address it came to
  // (another of ours when the privacy filter keeps that one from peers, RFC 8046 §6.4).
  const ourSrc = replySource(core, dst, src);
  const r1 = buildPacket(core, { kind: 'R1', senderHit: local.hit, receiverHit: pkt.senderHit }, params, {}, ourSrc, src);
  // Only an R1 sent after ESTABLISHED can be answered by a new incarnation's I2 (see onI2).
  if (assoc?.state.name === 'ESTABLISHED') assoc.r1SinceEstablished = true;
  send(core, r1, ourSrc, src);
}

/** K the puzzle policy asks for now (§4.1.1), kept within what RHASH can carry. */
function puzzleK(core: EngineCore, local: HostIdentity): number {
  const now = core.now;
  const l = core.i2Load;
  const k = core.policy.puzzleDifficulty(
    {
      halfOpen: core.halfOpenCount(),
      maxHalfOpen: core.config.maxHalfOpen,
      puzzleFailuresPerSecond: l.puzzleFailures.perSecond(now),
      dhPerSecond: l.dhComputations.perSecond(now),
      failuresAfterDhPerSecond: l.failuresAfterDh.perSecond(now),
    },
    core.config.puzzleK,
  );
  const max = 8 * rhashLength(local.suite);
  return Number.isFinite(k) ? Math.max(0, Math.min(max, Math.floor(k))) : core.config.puzzleK;
}

/** §6.7 step 5: for a NULL Receiver's HIT, a HIT of the Initiator's suite, else the REQUIRED suite 1. */
function opportunisticIdentity(core: EngineCore, initiatorHit: Hit): HostIdentity | undefined {
  const suite = hitSuiteOfHit(initiatorHit);
  return core.identities.find((id) => id.suite === suite) ?? core.identities.find((id) => id.suite === 1) ?? core.identities[0];
}

// ---------------------------------------------------------------------------------------------
// R1

/** R1 received in I1-SENT or I2-SENT (§6.8). */
export function onR1(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator): void {
  const st = assoc.state;
  const drop = (reason: Parameters<EngineCore['drop']>[0], detail?: string): void =>
    core.drop(reason, { packetKind: 'R1', src, assoc, ...(detail ? { detail } : {}) });
  if (st.name !== 'I1_SENT' && st.name !== 'I2_SENT') return drop('bad-state');
  const puzzle = param(pkt, 'PUZZLE');
  const dh = param(pkt, 'DIFFIE_HELLMAN');
  const ciphers = param(pkt, 'HIP_CIPHER');
  const hostId = param(pkt, 'HOST_ID');
  const suiteList = param(pkt, 'HIT_SUITE_LIST');
  const groupList = param(pkt, 'DH_GROUP_LIST');
  const formats = param(pkt, 'TRANSPORT_FORMAT_LIST');
  const espT = param(pkt, 'ESP_TRANSFORM');
  const counter = param(pkt, 'R1_COUNTER');
  if (!puzzle || !dh || !ciphers || !hostId || !suiteList || !groupList || !formats || !espT || !param(pkt, 'HIP_SIGNATURE_2')) {
    return drop('missing-param');
  }
  if ((pkt.controls & CONTROL_ANONYMOUS) !== 0 && !core.config.acceptAnonymous) return drop('anonymous');
  // §6.8 step 10: the Responder's HIT must be the hash of the Host Identity it carries.
  const hit = hitFromHostId(hostId.algorithm, hostId.hostIdentity, core.crypto);
  if (!hit || !equalBytes(hit, pkt.senderHit)) return drop('hit-mismatch');
  // §6.8 step 4 / §4.1.3: verify the signature before acting on anything it covers.
  const sig = verifySignature2(core.crypto, pkt, { algorithm: hostId.algorithm, hostIdentity: hostId.hostIdentity });
  if (!sig.ok) return drop('bad-signature', sig.reason);
  // §6.8 step 8: in I2-SENT only an R1 of a newer generation restarts the exchange.
  if (st.name === 'I2_SENT' && (!counter || assoc.r1Generation === undefined || counter.generation <= assoc.r1Generation)) {
    return drop('old-r1');
  }
  // §5.3.2: "The R1 packet may contain zero or more ECHO_REQUEST_UNSIGNED parameters", each
  // answered in the I2 (§5.2.21 MUST), and an ECHO_REQUEST_SIGNED answered by ECHO_RESPONSE_SIGNED
  // (§5.2.20 MUST; §4.1.2: data "that the Initiator MUST copy unmodified in the corresponding I2").
  // Too many or too long unsigned ones: the R1 is dropped before anything changes (echo.ts).
  // RFC 9028 §7.3: through a Control Relay Server, the relay's nonce is signed back as well.
  const relayedR1 = param(pkt, 'RELAY_TO') !== undefined || core.relayedFrom !== undefined;
  const signedEcho = param(pkt, 'ECHO_REQUEST_SIGNED');
  const echoes = relayedExchangeEchoes(pkt, relayedR1, signedEcho !== undefined);
  if (!echoes.ok) return drop('echo-limit', echoes.detail);
  const echoParams: ParamInit[] = [...(signedEcho ? [{ kind: 'ECHO_RESPONSE_SIGNED' as const, opaque: Uint8Array.from(signedEcho.opaque) }] : []), ...echoes.params];
  // §6.8 step 6 / Table 3: our HIT suite must be one the Responder supports; if another of our
  // identities has one it lists, restart from I1-SENT with that HIT, else abort.
  const peerSuites = decodeHitSuiteList(suiteList.suites).suites;
  if (!peerSuites.includes(assoc.local.suite)) {
    const other = core.identities.find((id) => peerSuites.includes(id.suite));
    if (st.name !== 'I1_SENT' || !other || !core.moveAssoc(assoc, other)) return fail(core, assoc, 'unsupported-hit-suite', 'abort');
    core.drop('unsupported-hit-suite', { packetKind: 'R1', src, assoc, detail: `retrying with HIT suite ${other.suite}` });
    const i1 = buildPacket(core, { kind: 'I1', senderHit: other.hit, receiverHit: assoc.peerHit }, [{ kind: 'DH_GROUP_LIST', groups: st.offeredGroups }], {}, assoc.localLocator, assoc.peerLocator);
    transition(assoc, 'recv-R1', { ...st, i1: i1.bytes, retries: 0 });
    send(core, i1, assoc.localLocator, assoc.peerLocator, assoc);
    assoc.timers.set('I1_RETRANSMIT', core.now + core.config.i1RetransmitMs);
    return;
  }
  // §6.8 step 7, §4.1.3: downgrade detection on the DH group.
  const offered = st.name === 'I1_SENT' ? st.offeredGroups : supportedDhGroups(core.crypto, core.config.dhGroups);
  const choice = checkDhChoice(offered, groupList.groups, dh.groupId);
  if (!choice.ok) {
    if (choice.reason === 'downgrade' && st.name === 'I1_SENT') {
      // The I1's list was tampered with: restart with a fresh I1, same preferences (§6.8 step 7).
      core.drop('dh-downgrade', { packetKind: 'R1', src, assoc });
      return retransmitI1(core, assoc, 'recv-R1');
    }
    return choice.reason === 'downgrade' ? drop('dh-downgrade') : fail(core, assoc, 'no-common-dh-group', 'abort');
  }
  const cipher = selectHipCipher(ciphers.ciphers, supportedHipCiphers(core.crypto, core.config.hipCiphers), core.config.allowNullHipCipher);
  if (cipher === undefined) return fail(core, assoc, 'no-common-cipher', 'abort');
  if (!formats.formats.includes(TRANSPORT_FORMAT.ESP)) return fail(core, assoc, 'no-common-esp-transform', 'abort');
  const espSuite = selectEspTransform(espT.suites, supportedEspTransforms(core.crypto, core.config.espSuites), core.config.allowAuthOnlyEsp);
  if (espSuite === undefined) return fail(core, assoc, 'no-common-esp-transform', 'abort');
  // RFC 9028 §4.3: our NAT traversal mode from the Responder's (signed) offer; ICE-HIP-UDP when
  // the R1 came through a Control Relay Server (§4.5 step 5). RELAY_TO is not signed: a relayed
  // R1 that cannot be answered that way is dropped, and the I1 retried, rather than let anyone
  // who adds a RELAY_TO abort the exchange.
  const nat = chooseFromR1(core, pkt, relayedR1);
  if (!nat.ok && nat.relayed) return drop('no-common-nat-mode', 'a relayed R1 without ICE-HIP-UDP (RFC 9028 §4.5 step 3)');
  if (!nat.ok) {
    core.drop('no-common-nat-mode', { packetKind: 'R1', src, assoc });
    sendNotify(core, assoc.local, pkt.senderHit, NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER, new Uint8Array(0), assoc.localLocator, src, assoc);
    return fail(core, assoc, 'no-common-nat-mode', 'abort');
  }

  // §6.8 step 12: solve the puzzle within our limits.
  const rhash = rhashOf(hitSuiteOfHit(pkt.senderHit) ?? 1);
  if (puzzle.k > core.config.maxPuzzleK) return fail(core, assoc, 'puzzle-too-hard', 'abort');
  const solved = solvePuzzle({
    crypto: core.crypto,
    hash: rhash,
    randomI: puzzle.randomI,
    hitI: assoc.localHit,
    hitR: pkt.senderHit,
    k: puzzle.k,
    random: core.random,
    maxAttempts: core.config.puzzleAttemptBudget,
  });
  if (!solved.ok) return solved.reason === 'budget' ? fail(core, assoc, 'puzzle-too-hard', 'abort') : drop('bad-puzzle', solved.reason);

  // §6.8 step 13: our DH key in the Responder's group, and Kij.
  const group = core.crypto.dhGroup(choice.group)!;
  const ours = group.generate(core.random);
  const shared = group.shared(ours.privateKey, dh.publicValue);
  if (!shared.ok) return drop('bad-dh-public', shared.reason);

  const keys = deriveBexKeys({
    crypto: core.crypto,
    hash: rhash,
    kij: shared.secret,
    randomI: puzzle.randomI,
    randomJ: solved.randomJ,
    hitI: assoc.localHit,
    hitR: pkt.senderHit,
    localHit: assoc.localHit,
    peerHit: pkt.senderHit,
    cipher,
    espSuite,
  });
  const responderHostIdParam = rawParam(pkt, 'HOST_ID');
  // The locators the I2 uses, restored if the I2 turns out not to fit (below).
  const before = { peer: assoc.peerLocator, local: assoc.localLocator };
  // RFC 8004 §4.3.4: an R1 answering an I1 relayed by a rendezvous server comes from the
  // Responder itself (VIA_RVS names the server); the check was on HITs only, and the rest of the
  // exchange goes directly to the address the R1 came from (RFC 8004 Figure 3).
  if (param(pkt, 'VIA_RVS') && !equalBytes(src, assoc.peerLocator)) {
    const path = pathTo(core, assoc, src);
    if (path) {
      assoc.peerLocator = copyBytes(src);
      assoc.localLocator = path.src;
    }
  }
  // RFC 8047 §4.2.8 (Figure 4): a preferred locator in the R1 is used at once: the I2 MUST go to
  // it. The rest of the R1's locators are applied once ESTABLISHED.
  const r1Locators = param(pkt, 'LOCATOR_SET');
  if (r1Locators) {
    const preferred = r1Locators.locators.find((l) => l.locatorType === 0 && l.preferred && 'address' in l && usableAddress(l.address) && pathTo(core, assoc, l.address) !== undefined);
    if (preferred && 'address' in preferred) {
      assoc.peerLocator = copyBytes(preferred.address);
      assoc.localLocator = pathTo(core, assoc, assoc.peerLocator)!.src;
    }
  }

  const localSpi = core.newSpi();
  const ice = nat.nat?.mode === 'ice-hip-udp';
  const hipKeys = toHipKeys(keys, rhash, cipher, puzzle.randomI, solved.randomJ, choice.group, ice);
  const params: ParamInit[] = [
    { kind: 'ESP_INFO', keymatIndex: keys.espIndex, oldSpi: 0, newSpi: localSpi },
    ...(counter ? [{ kind: 'R1_COUNTER' as const, generation: counter.generation }] : []),
    { kind: 'SOLUTION', k: puzzle.k, opaque: puzzle.opaque, randomI: puzzle.randomI, solutionJ: solved.randomJ },
    { kind: 'DIFFIE_HELLMAN', groupId: choice.group, publicValue: ours.publicValue },
    { kind: 'HIP_CIPHER', ciphers: [cipher] },
    // RFC 9028 §4.3 step 3: with ICE-HIP-UDP our candidates go inside ENCRYPTED (the "HIP offer").
    ...identityParams(core, assoc.local, keys, cipher, ice ? candidateLocatorSet(core, assoc.peerLocator, localSpi) : undefined),
    { kind: 'TRANSPORT_FORMAT_LIST', formats: [TRANSPORT_FORMAT.ESP] },
    { kind: 'ESP_TRANSFORM', suites: [espSuite] },
    // RFC 8047 §4.2.8: our locators, the I2's source preferred.
    ...(ice ? [] : optional(bexLocatorSet(core, assoc.peerLocator, assoc.localLocator))),
    // RFC 8003 §3.2: a registration is requested "at the earliest possibility, i.e., in the I2".
    ...optional(requestFor(core, assoc, pkt)),
    // RFC 9028 §4.3 step 3, §4.4: the chosen mode and our Ta.
    ...nat.params,
    // RFC 7401 §5.2.20, §5.2.21; RFC 9028 §7.3: the R1's echo requests answered.
    ...echoParams,
  ];
  // The I2 without echoes always fits (limits.ts, maxLocalLocators); the echoes an R1 asks for
  // may not: such an R1 is dropped and nothing of it is kept (RFC 7401 §5.1, §6.8.1).
  if (echoParams.length > 0 && !replyFits(params, { mac: rhash, sign: assoc.local })) {
    assoc.peerLocator = before.peer;
    assoc.localLocator = before.local;
    return drop('echo-limit', 'the I2 with the R1\'s echo responses would exceed one HIP packet');
  }
  assoc.kij = shared.secret;
  // Decoded fields are views of the packet's buffer: keep copies (wire/pool.ts).
  assoc.peerHostId = { algorithm: hostId.algorithm, hostIdentity: copyBytes(hostId.hostIdentity) };
  assoc.r1Generation = counter?.generation;
  notePeerRvs(assoc, pkt);
  if (r1Locators) assoc.bexLocators = { from: 'R1', locators: r1Locators.locators };
  const i2 = buildPacket(
    core,
    { kind: 'I2', senderHit: assoc.localHit, receiverHit: pkt.senderHit },
    params,
    { mac: { hash: rhash, key: keys.local.authKey }, sign: assoc.local },
    assoc.localLocator,
    assoc.peerLocator,
  );
  transition(assoc, 'recv-R1', {
    name: 'I2_SENT',
    i2: i2.bytes,
    retries: 0,
    r1Generation: counter?.generation,
    keys: hipKeys,
    localSpi,
    espSuite,
    responderHostId: responderHostIdParam,
    espIn: keys.esp.in,
    espOut: keys.esp.out,
    espIndex: keys.espIndex,
    nextKeymatIndex: keys.nextIndex,
    ...(ice ? { peerEncKey: keys.peer.encKey } : {}),
  });
  assoc.timers.clear('I1_RETRANSMIT');
  assoc.nat = nat.nat;
  // RFC 7402 §6.4: the inbound SA is prepared now, before the I2 that announces its SPI leaves
  // (the Responder may send ESP as soon as it has sent R2). A newer R1 replaces the previous one.
  if (st.name === 'I2_SENT') deleteSa(core, assoc, 'in', st.localSpi);
  // The SA's own address carries data (RFC 8046 §4.1), the control pair signalling.
  const inbound: SaPair = { localSpi, peerSpi: 0, suite: espSuite, keymatIndex: keys.espIndex, localLocator: espSource(core, assoc.peerLocator, assoc.localLocator), peerLocator: assoc.peerLocator };
  addSa(core, assoc, saSpec(assoc, inbound, 'in', keys.esp.in));
  send(core, i2, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('I2_RETRANSMIT', core.now + core.config.i2RetransmitMs);
}

/**
 * Our HOST_ID for the I2, and ENCRYPTED with what must be hidden: the HOST_ID when
 * config.encryptHostId asks (RFC 7401 §5.3.3), and the candidates' LOCATOR_SET of an ICE-HIP-UDP
 * exchange (RFC 9028 §4.3: "the LOCATOR_SET parameter MUST be encapsulated within an ENCRYPTED
 * parameter"). The inner parameters are in type order (RFC 7401 §5.2.18: whole parameters).
 */
function identityParams(core: EngineCore, local: HostIdentity, keys: BexKeys, cipherId: HipCipherId, hidden: ParamInit | undefined): ParamInit[] {
  if (!hidden) return [hostIdParam(core, local, keys, cipherId)];
  const inner = core.config.encryptHostId ? concatBytes(encodeParamBlock([hidden]), local.hostIdParam) : encodeParamBlock([hidden]);
  const enc: ParamInit = { kind: 'ENCRYPTED', ivAndData: encryptParams(core.crypto.cipher(cipherId)!, keys.local.encKey, core.random, inner) };
  return core.config.encryptHostId ? [enc] : [{ kind: 'HOST_ID', diType: local.diType, algorithm: local.algorithm, hostIdentity: local.hostIdentity, domainIdentifier: local.domainIdentifier }, enc];
}

function hostIdParam(core: EngineCore, local: HostIdentity, keys: BexKeys, cipherId: HipCipherId): ParamInit {
  if (core.config.encryptHostId) {
    const cipher = core.crypto.cipher(cipherId)!;
    return { kind: 'ENCRYPTED', ivAndData: encryptHostId(cipher, keys.local.encKey, core.random, local.hostIdParam) };
  }
  return { kind: 'HOST_ID', diType: local.diType, algorithm: local.algorithm, hostIdentity: local.hostIdentity, domainIdentifier: local.domainIdentifier };
}

function rawParam(pkt: HipPacket, kind: 'HOST_ID'): Uint8Array {
  const p = param(pkt, kind)!;
  return pkt.raw && p.span ? pkt.raw.slice(p.span.offset, p.span.offset + p.span.length) : new Uint8Array(0);
}

function toHipKeys(keys: BexKeys, rhash: HipKeys['rhash'], cipher: HipCipherId, i: Uint8Array, j: Uint8Array, dhGroup: DhGroupId, ice = false): HipKeys {
  // RFC 9028 §4.9 step 1: an ICE-HIP-UDP handover sends its candidates in ENCRYPTED.
  const enc = ice ? { encOut: keys.local.encKey, encIn: keys.peer.encKey } : {};
  return { rhash, hipCipher: cipher, macOut: keys.local.authKey, macIn: keys.peer.authKey, salt: concatBytes(i, j), dhGroup, ...enc };
}

// ---------------------------------------------------------------------------------------------
// I2

/** I2 received (§6.9), in any state: verified statelessly against our R1 secret. */
export function onI2(core: EngineCore, pkt: HipPacket, src: Locator, dst: Locator): void {
  const local = core.identityByHit(pkt.receiverHit);
  if (!local) return core.drop('unknown-hit', { packetKind: 'I2', src });
  const existing = core.findAssoc(local.hit, pkt.senderHit);
  const drop = (reason: Parameters<EngineCore['drop']>[0], detail?: string): void =>
    core.drop(reason, { packetKind: 'I2', src, ...(existing ? { assoc: existing } : {}), ...(detail ? { detail } : {}) });
  // §6.9 step 3: the Initiator's HIT suite must be one we accept.
  const peerSuite = hitSuiteOfHit(pkt.senderHit);
  if (peerSuite === undefined || !core.config.hitSuites.includes(peerSuite)) return drop('unsupported-hit-suite');
  // RFC 7401 §5.2.21: each ECHO_REQUEST_UNSIGNED (a box on the path may add them; a Control Relay
  // Server adds its nonce, RFC 9028 §7.3) is answered in the R2, a copy's in the R2 sent again.
  const echoes = relayedExchangeEchoes(pkt, core.relayedFrom !== undefined);
  if (!echoes.ok) return drop('echo-limit', echoes.detail);
  const solution = param(pkt, 'SOLUTION');
  if (existing) {
    const st = existing.state;
    // A copy of the I2 that set up the current association (§6.9 step 4, Table 6): its #I and #J
    // are the salt of this association's KEYMAT (§6.5), which the SOLUTION covered by the I2's
    // signature fixes. A restarting Initiator solves a fresh puzzle with a fresh #J, so a
    // genuine restart never matches; a copy (a retransmission, or a replay from any address)
    // gets at most the R2 again, sent to the peer's current locator, and no state change.
    if (solution && 'keys' in st && equalBytes(st.keys.salt, concatBytes(solution.randomI, solution.solutionJ))) {
      const r2 = st.name === 'R2_SENT' ? st.r2 : st.name === 'ESTABLISHED' ? st.bex?.r2 : undefined;
      if (!r2) return drop('duplicate', 'a copy of the I2 that set up this association');
      const again = withUnsignedEchoes(r2, echoes.params, existing.localLocator, existing.peerLocator);
      if (!again) return drop('echo-limit', 'the R2 with this I2\'s echo responses would exceed one HIP packet');
      resend(core, again, existing.localLocator, existing.peerLocator, existing);
      return;
    }
    // The I2 of an incarnation this one replaced (the peer restarted since) is a replay too.
    if (solution && existing.retiredSalts && isRetired(core, existing, concatBytes(solution.randomI, solution.solutionJ))) {
      return drop('duplicate', 'a copy of the I2 of an association replaced since');
    }
    // Table 9: from E-FAILED "Renegotiation is possible after moving to UNASSOCIATED": until the
    // failed association is gone, an I2 is dropped (the peer retransmits it).
    if (st.name === 'E_FAILED') return drop('bad-state', 'E-FAILED: renegotiation only from UNASSOCIATED (Table 9)');
    // §6.9 step 5: simultaneous I2s: the lower HIT drops the peer's I2.
    if (st.name === 'I2_SENT' && compareBytes(local.hit, pkt.senderHit) < 0) return drop('lower-hit');
    // §6.9 step 20 replaces an ESTABLISHED association only for a peer that started over: it
    // sent an I1 and answers the R1 we gave it since. An I2 that answers an R1 from before (a
    // late copy from a simultaneous start) would leave the two ends with different keys.
    if (st.name === 'ESTABLISHED' && !existing.r1SinceEstablished) return drop('duplicate', 'I2 answers no R1 sent since ESTABLISHED');
  }
  const dh = param(pkt, 'DIFFIE_HELLMAN');
  const ciphers = param(pkt, 'HIP_CIPHER');
  const espInfo = param(pkt, 'ESP_INFO');
  const espT = param(pkt, 'ESP_TRANSFORM');
  const formats = param(pkt, 'TRANSPORT_FORMAT_LIST');
  const counter = param(pkt, 'R1_COUNTER');
  const encrypted = param(pkt, 'ENCRYPTED');
  const plainHostId = param(pkt, 'HOST_ID');
  if (!solution || !dh || !ciphers || !espInfo || !espT || !formats || !counter || (!encrypted && !plainHostId)) return drop('missing-param');
  if (!param(pkt, 'HIP_MAC') || !param(pkt, 'HIP_SIGNATURE')) return drop('missing-param');
  if ((pkt.controls & CONTROL_ANONYMOUS) !== 0 && !core.config.acceptAnonymous) return drop('anonymous');
  // §6.9 step 7: the R1 generation must still be accepted.
  if (!core.r1.accepts(core, counter.generation)) return drop('stale-r1-counter');
  // §6.9 step 8: #I must be the one we issued to these HITs for this K and generation, Opaque
  // must be echoed, and the solution must verify.
  const rhash = rhashOf(local.suite);
  const expectedI = core.r1.puzzleI(core, counter.generation, local, pkt.senderHit, solution.k);
  // The solution must meet the K the policy asks for now, not only the one of the R1 it answers
  // (§4.1.1: the Responder raises K under attack; an older, easier R1 stops being enough).
  const requiredK = Math.max(core.config.puzzleK, puzzleK(core, local));
  if (
    !expectedI ||
    !equalBytes(expectedI, solution.randomI) ||
    solution.opaque !== Number(counter.generation & 0xffffn) ||
    solution.k < requiredK ||
    !verifyPuzzle({ crypto: core.crypto, hash: rhash, randomI: solution.randomI, hitI: pkt.senderHit, hitR: local.hit, k: solution.k }, solution.solutionJ)
  ) {
    core.i2Load.puzzleFailures.add(core.now);
    return drop('bad-puzzle', solution.k < requiredK ? `K ${solution.k} below the current ${requiredK}` : undefined);
  }
  // §6.9.1: once the puzzle solution has been checked, errors are reported with a NOTIFY
  // (rate-limited engine-wide); before that, the I2 is dropped silently.
  const refuse = (reason: Parameters<EngineCore['drop']>[0], notify: number, detail?: string): void => {
    drop(reason, detail);
    sendNotify(core, local, pkt.senderHit, notify, new Uint8Array(0), dst, src, existing);
  };
  // §6.9 step 9: exactly one HIP_CIPHER, one we offered.
  const cipherId = ciphers.ciphers[0];
  const offeredCiphers = supportedHipCiphers(core.crypto, core.config.hipCiphers).filter((id) => id !== 1 || core.config.allowNullHipCipher);
  if (ciphers.ciphers.length !== 1 || cipherId === undefined || !offeredCiphers.includes(cipherId as HipCipherId)) return refuse('no-common-cipher', NOTIFY_TYPE.INVALID_HIP_CIPHER_CHOSEN);
  // RFC 7402 §6.5: exactly one ESP transform, one we offered; OLD SPI zero.
  const espSuite = espT.suites[0] as EspSuiteId | undefined;
  const offeredEsp = supportedEspTransforms(core.crypto, core.config.espSuites).filter((id) => id !== 7 || core.config.allowAuthOnlyEsp);
  if (espT.suites.length !== 1 || espSuite === undefined || !offeredEsp.includes(espSuite)) return refuse('no-common-esp-transform', NOTIFY_TYPE.INVALID_ESP_TRANSFORM_CHOSEN);
  if (!formats.formats.includes(TRANSPORT_FORMAT.ESP)) return refuse('no-common-esp-transform', NOTIFY_TYPE.NO_ESP_PROPOSAL_CHOSEN);
  if (espInfo.oldSpi !== 0 || espInfo.newSpi === 0) return drop('bad-esp-info');
  // §6.9 step 10: Kij from our R1 DH key of that generation.
  const ourDh = isGroup(dh.groupId) ? core.r1.dhKey(counter.generation, dh.groupId) : undefined;
  if (!ourDh) return refuse('no-common-dh-group', NOTIFY_TYPE.INVALID_DH_CHOSEN);
  // Past the puzzle: this I2 costs a Diffie-Hellman computation (the verification load of
  // §4.1.1); a refusal from here on is counted too, for the puzzle policy.
  core.i2Load.dhComputations.add(core.now);
  const afterDh = <A extends unknown[]>(f: (...args: A) => void, ...args: A): void => {
    core.i2Load.failuresAfterDh.add(core.now);
    f(...args);
  };
  const shared = core.crypto.dhGroup(dh.groupId)!.shared(ourDh.privateKey, dh.publicValue);
  if (!shared.ok) return afterDh(drop, 'bad-dh-public', shared.reason);
  const keys = deriveBexKeys({
    crypto: core.crypto,
    hash: rhash,
    kij: shared.secret,
    randomI: solution.randomI,
    randomJ: solution.solutionJ,
    hitI: pkt.senderHit,
    hitR: local.hit,
    localHit: local.hit,
    peerHit: pkt.senderHit,
    cipher: cipherId as HipCipherId,
    espSuite,
  });
  // The Initiator draws ESP keys at the index it names; both sides derive the same KEYMAT.
  if (espInfo.keymatIndex !== keys.espIndex) return afterDh(drop, 'bad-esp-info');
  // §6.9 step 11: the Host Identity, decrypted if it came in ENCRYPTED.
  // RFC 9028 §4.3 step 3: ENCRYPTED may also hold the Initiator's candidates (LOCATOR_SET).
  let peerHost: { algorithm: number; hostIdentity: Uint8Array };
  let hiddenLocators: readonly LocatorEntry[] | undefined;
  if (encrypted) {
    const d = openEncrypted(core, cipherId as HipCipherId, keys.peer.encKey, encrypted.ivAndData);
    if (!d.ok) return afterDh(refuse, 'decrypt-failed', NOTIFY_TYPE.ENCRYPTION_FAILED, d.reason);
    hiddenLocators = d.locators;
    const inner = d.hostId ?? (plainHostId ? { algorithm: plainHostId.algorithm, hostIdentity: copyBytes(plainHostId.hostIdentity) } : undefined);
    if (!inner) return afterDh(refuse, 'decrypt-failed', NOTIFY_TYPE.ENCRYPTION_FAILED, 'not-host-id');
    peerHost = inner;
  } else {
    peerHost = { algorithm: plainHostId!.algorithm, hostIdentity: copyBytes(plainHostId!.hostIdentity) };
  }
  // §6.9 step 12: the HIT must match the Host Identity.
  const hit = hitFromHostId(peerHost.algorithm, peerHost.hostIdentity, core.crypto);
  if (!hit || !equalBytes(hit, pkt.senderHit)) return afterDh(refuse, 'hit-mismatch', NOTIFY_TYPE.INVALID_HIT);
  // §6.9 steps 14-15.
  const mac = verifyMac(core.crypto, rhash, keys.peer.authKey, pkt);
  if (!mac.ok) return afterDh(refuse, 'bad-mac', NOTIFY_TYPE.HIP_MAC_FAILED, mac.reason);
  const sig = verifySignature(core.crypto, pkt, peerHost);
  if (!sig.ok) return afterDh(refuse, 'bad-signature', NOTIFY_TYPE.AUTHENTICATION_FAILED, sig.reason);
  // RFC 9028 §4.3 step 4: the mode the Initiator chose must be one we offered.
  const nat = acceptFromI2(core, pkt, core.relayedFrom !== undefined);
  if (!nat.ok) return refuse('no-common-nat-mode', NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER);

  // Accepted. Half-open budget applies to new associations only.
  if (!existing && core.halfOpenCount() >= core.config.maxHalfOpen) return refuse('policy', NOTIFY_TYPE.RESPONDER_BUSY_PLEASE_RETRY, 'half-open limit');
  // Keep owned locators (inputs may be reused by the caller): ours from the local list, the
  // peer's as a copy.
  const arrivedAt = replySource(core, dst, src);
  const localLocator = core.localLocators.find((l) => equalBytes(l, arrivedAt)) ?? copyBytes(arrivedAt);
  const peerLocator = copyBytes(src);
  const hipKeys = toHipKeys(keys, rhash, cipherId as HipCipherId, solution.randomI, solution.solutionJ, dh.groupId as DhGroupId, nat.nat?.mode === 'ice-hip-udp');
  const localSpi = core.newSpi();
  // ESP leaves from a locator that may carry data (RFC 8046 §4.1), which may not be the one the
  // I2 came to.
  const sa: SaPair = { localSpi, peerSpi: espInfo.newSpi, suite: espSuite, keymatIndex: keys.espIndex, localLocator: espSource(core, peerLocator, localLocator), peerLocator };
  // RFC 8003 §3.3: the I2 is authenticated now; its REG_REQUESTs are answered in the R2 (a new
  // incarnation starts with no registrations: the old association's end with it).
  const registration = answerRequests(core, pkt.senderHit, pkt, undefined);
  // RFC 9028 §4.3 step 4: with ICE-HIP-UDP the R2 carries our candidates (the "ICE answer")
  // inside ENCRYPTED, in place of the plain LOCATOR_SET of RFC 8047 §4.2.8.
  const ice = nat.nat?.mode === 'ice-hip-udp';
  const answer = ice ? candidateLocatorSet(core, peerLocator, localSpi) : undefined;
  const r2Locators: ParamInit[] = ice
    ? answer ? [{ kind: 'ENCRYPTED', ivAndData: encryptParams(core.crypto.cipher(cipherId as HipCipherId)!, keys.local.encKey, core.random, encodeParamBlock([answer])) }] : []
    : optional(bexLocatorSet(core, peerLocator, localLocator));
  // R2: ESP_INFO, HIP_MAC_2 (with our R1 HOST_ID appended), HIP_SIGNATURE (§5.3.4).
  const r2Params: ParamInit[] = [
    { kind: 'ESP_INFO', keymatIndex: keys.espIndex, oldSpi: 0, newSpi: localSpi },
    ...r2Locators,
    ...(registration?.params ?? []),
    ...optional(regFromParam(core, undefined, peerLocator, grantsRelay(registration?.params))),
    // RFC 7401 §5.2.21; RFC 9028 §7.3: the I2's echo requests answered (a relay's nonce signed back).
    ...echoes.params,
  ];
  // HIP_MAC_2 is as long as HIP_MAC: an R2 that the I2's echoes would push past one HIP packet
  // is not built, and the I2 leaves no state (RFC 7401 §5.1).
  if (echoes.params.length > 0 && !replyFits(r2Params, { mac: rhash, sign: local })) {
    return drop('echo-limit', 'the R2 with the I2\'s echo responses would exceed one HIP packet');
  }
  const r2 = buildPacket(
    core,
    { kind: 'R2', senderHit: local.hit, receiverHit: pkt.senderHit },
    r2Params,
    { mac2: { hash: rhash, key: keys.local.authKey, hostIdParam: local.hostIdParam }, sign: local },
    localLocator,
    peerLocator,
  );
  // RFC 9028 §4.6: an ICE-HIP-UDP Responder starts its connectivity checks right after the R2,
  // before the Initiator's first packet (§4.6.1 Figure 5), so R2-SENT holds the UPDATE state.
  const nextState = { name: 'R2_SENT' as const, r2: r2.bytes, keys: hipKeys, sa, nextKeymatIndex: keys.nextIndex, ...(ice ? { update: establishedState(hipKeys, [sa], keys.nextIndex).update } : {}) };
  let assoc: Association;
  if (existing) {
    // §6.9 step 20 / RFC 7402 §6.5: a new incarnation replaces the old SAs.
    assoc = existing;
    retireSalt(core, assoc);
    removeAllSas(core, assoc);
    assoc.timers.clearAll();
    forgetRegistrations(core, assoc);
    assoc.registrations = undefined;
    assoc.localLocator = localLocator;
    assoc.peerLocator = peerLocator;
    transition(assoc, 'recv-I2', nextState);
  } else {
    assoc = core.createAssoc({ local, peerHit: pkt.senderHit, role: 'responder', state: enter('recv-I2', nextState), localLocator, peerLocator });
  }
  assoc.role = 'responder';
  assoc.r1SinceEstablished = false;
  assoc.kij = shared.secret;
  assoc.peerHostId = peerHost;
  assoc.nat = nat.nat;
  const i2Locators = param(pkt, 'LOCATOR_SET');
  assoc.bexLocators = i2Locators || hiddenLocators ? { from: 'I2', locators: i2Locators?.locators ?? [], ...(hiddenLocators && assoc.nat?.mode === 'ice-hip-udp' ? { candidates: hiddenLocators } : {}) } : undefined;
  // RFC 7402 §6.5: both SAs exist before the R2 that announces our SPI leaves.
  installSaPair(core, assoc, sa, keys.esp);
  send(core, r2, localLocator, peerLocator, assoc);
  assoc.timers.set('R2_SENT_EXPIRE', core.now + core.config.r2SentTimeoutMs);
  assoc.timers.set('UAL', core.now + core.config.ualMs);
  registration?.apply(assoc);
  // RFC 9028 §4.6 ("the Initiator and Responder MUST start the connectivity checks"): the I2's
  // candidates enter the table now and the first check goes out one Ta after the R2 (nat-checks.ts).
  if (ice) initPeerLocators(core, assoc, sa.peerSpi);
}

/**
 * Keeps the #I | #J of an association an I2 replaces for as long as that I2's puzzle could still
 * be accepted (§6.9 step 7), so a copy of it cannot bring the old keys back. Only a genuine
 * restart (an I2 signed by the peer) adds an entry: the list is as short as the peer's restarts
 * within the R1 acceptance window, and capped.
 */
function retireSalt(core: EngineCore, assoc: Association): void {
  const st = assoc.state;
  if (!('keys' in st)) return;
  const until = core.now + (core.config.r1AcceptGenerations + 1) * core.config.r1RotateMs;
  const kept = (assoc.retiredSalts ?? []).filter((r) => r.until > core.now).slice(-(MAX_RETIRED - 1));
  assoc.retiredSalts = [...kept, { salt: st.keys.salt, until }];
}

const MAX_RETIRED = 8;

function isRetired(core: EngineCore, assoc: Association, salt: Uint8Array): boolean {
  const live = assoc.retiredSalts!.filter((r) => r.until > core.now);
  assoc.retiredSalts = live.length > 0 ? live : undefined;
  return live.some((r) => equalBytes(r.salt, salt));
}

function optional<T>(x: T | undefined): T[] {
  return x === undefined ? [] : [x];
}

function isGroup(id: number): id is DhGroupId {
  return id === 3 || id === 4 || (id >= 7 && id <= 11);
}

// ---------------------------------------------------------------------------------------------
// R2

/** R2 received (§6.10): only in I2-SENT. */
export function onR2(core: EngineCore, assoc: Association, pkt: HipPacket, src: Locator): void {
  const st = assoc.state;
  const drop = (reason: Parameters<EngineCore['drop']>[0], detail?: string): void =>
    core.drop(reason, { packetKind: 'R2', src, assoc, ...(detail ? { detail } : {}) });
  if (st.name !== 'I2_SENT') return drop('bad-state');
  const espInfo = param(pkt, 'ESP_INFO');
  if (!espInfo || !param(pkt, 'HIP_MAC_2') || !param(pkt, 'HIP_SIGNATURE')) return drop('missing-param');
  const mac = verifyMac2(core.crypto, st.keys.rhash, st.keys.macIn, pkt, st.responderHostId);
  if (!mac.ok) return drop('bad-mac', mac.reason);
  const sig = verifySignature(core.crypto, pkt, assoc.peerHostId!);
  if (!sig.ok) return drop('bad-signature', sig.reason);
  if (espInfo.oldSpi !== 0 || espInfo.newSpi === 0 || espInfo.keymatIndex !== st.espIndex) return drop('bad-esp-info');
  const r2Locators = param(pkt, 'LOCATOR_SET');
  // RFC 9028 §4.3 step 4: the Responder's candidates, inside ENCRYPTED.
  const encrypted = param(pkt, 'ENCRYPTED');
  let candidates: readonly LocatorEntry[] | undefined;
  if (encrypted && st.peerEncKey) {
    const d = openEncrypted(core, st.keys.hipCipher, st.peerEncKey, encrypted.ivAndData);
    if (!d.ok) return drop('decrypt-failed', d.reason);
    candidates = d.locators;
  }
  if (r2Locators || candidates) assoc.bexLocators = { from: 'R2', locators: r2Locators?.locators ?? [], ...(candidates ? { candidates } : {}) };
  const sa: SaPair = {
    localSpi: st.localSpi,
    peerSpi: espInfo.newSpi,
    suite: st.espSuite,
    keymatIndex: st.espIndex,
    // The same data locator as the inbound SA of onR1 (RFC 8046 §4.1).
    localLocator: espSource(core, assoc.peerLocator, assoc.localLocator),
    peerLocator: assoc.peerLocator,
  };
  transition(assoc, 'recv-R2', establishedState(st.keys, [sa], st.nextKeymatIndex));
  assoc.timers.clear('I2_RETRANSMIT');
  assoc.timers.set('UAL', core.now + core.config.ualMs);
  // RFC 7402 §6.6: the outbound SA can be created now that the peer's SPI is known.
  installSaPair(core, assoc, sa, { in: st.espIn, out: st.espOut }, 'out');
  initPeerLocators(core, assoc, sa.peerSpi);
  armKeepalive(core, assoc);
  core.emit({ kind: 'event', event: { type: 'established', assoc: assoc.id, peerHit: assoc.peerHit, role: 'initiator' } });
  // RFC 8003 §3.3: the registrar's answer to the I2's REG_REQUEST, authenticated with the R2.
  onAnswers(core, assoc, pkt);
  // RFC 9028 §4.1: a Control Relay Server's R2 tells us our server-reflexive address.
  noteRegFrom(core, assoc, pkt);
  // RFC 9028 §4.5, §4.9: an R2 relayed by the peer's Control Relay Server names where to send a handover.
  notePeerRelay(assoc, pkt, src);
  announceStaleOffer(core, assoc);
}

/** Shared empty lists: an idle association does not carry empty arrays of its own. */
const NONE: readonly number[] = Object.freeze([]);
const NONE_PENDING: readonly PendingUpdate[] = Object.freeze([]);

export function establishedState(keys: HipKeys, sas: readonly SaPair[], nextKeymatIndex: number, bex?: { r2: Uint8Array }, update?: UpdateState) {
  return {
    name: 'ESTABLISHED' as const,
    keys,
    sas,
    update: update ?? {
      nextUpdateId: 0,
      lastPeerUpdateId: undefined,
      seenPeerIds: NONE,
      lastAckFor: undefined,
      lastAckBytes: undefined,
      pending: NONE_PENDING,
      keymatIndex: nextKeymatIndex,
      rekey: undefined,
      retiring: NONE,
    },
    ...(bex ? { bex } : {}),
  };
}

/** R2-SENT → ESTABLISHED on data, UPDATE or the exchange-complete timeout (§6.9 step 21). */
export function completeResponder(core: EngineCore, assoc: Association, trigger: Extract<Trigger, 'recv-data' | 'recv-UPDATE' | 'exchange-complete-timeout'>): void {
  const st = assoc.state;
  if (st.name !== 'R2_SENT') return;
  // Data or an UPDATE shows the Initiator has the R2: it is let go (a late copy of the I2 is then
  // dropped, see onI2). Only after the timeout may the Initiator still need the R2.
  const bex = trigger === 'exchange-complete-timeout' ? { r2: st.r2 } : undefined;
  // An ICE-HIP-UDP Responder's checks already under way keep their SEQs and retransmissions.
  transition(assoc, trigger, establishedState(st.keys, [st.sa], st.nextKeymatIndex, bex, st.update));
  assoc.timers.clear('R2_SENT_EXPIRE');
  // With ICE-HIP-UDP the table was set on the R2 (onI2); this then only adds what needs
  // ESTABLISHED (an SA per interface, RFC 8046 address checks).
  initPeerLocators(core, assoc, st.sa.peerSpi);
  armKeepalive(core, assoc);
  core.emit({ kind: 'event', event: { type: 'established', assoc: assoc.id, peerHit: assoc.peerHit, role: 'responder' } });
  announceStaleOffer(core, assoc);
}

// ---------------------------------------------------------------------------------------------
// Timers and failure

export function retransmitI1(core: EngineCore, assoc: Association, trigger: Trigger = 'timeout-retransmit'): void {
  const st = assoc.state;
  if (st.name !== 'I1_SENT') return;
  if (st.retries >= core.config.i1RetriesMax) return fail(core, assoc, 'i1-retries', 'retries-exhausted');
  const retries = st.retries + 1;
  transition(assoc, trigger === 'recv-R1' ? 'recv-R1' : 'timeout-retransmit', { ...st, retries });
  resend(core, st.i1, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('I1_RETRANSMIT', core.now + backoff(core.config.i1RetransmitMs, retries, core.config.maxRetransmitMs));
}

export function retransmitI2(core: EngineCore, assoc: Association): void {
  const st = assoc.state;
  if (st.name !== 'I2_SENT') return;
  if (st.retries >= core.config.i2RetriesMax) return fail(core, assoc, 'i2-retries', 'retries-exhausted');
  const retries = st.retries + 1;
  transition(assoc, 'timeout-retransmit', { ...st, retries });
  resend(core, st.i2, assoc.localLocator, assoc.peerLocator, assoc);
  assoc.timers.set('I2_RETRANSMIT', core.now + backoff(core.config.i2RetransmitMs, retries, core.config.maxRetransmitMs));
}

/** The exchange failed: E-FAILED, SAs removed, a `failed` event; discarded after a linger (Table 9). */
export function fail(core: EngineCore, assoc: Association, reason: FailReason, trigger: Extract<Trigger, 'abort' | 'retries-exhausted'>): void {
  transition(assoc, trigger, { name: 'E_FAILED' });
  removeAllSas(core, assoc);
  assoc.timers.clearAll();
  assoc.timers.set('E_FAILED_LINGER', core.now + core.config.eFailedLingerMs);
  core.emit({ kind: 'event', event: { type: 'failed', assoc: assoc.id, reason } });
}

/** E-FAILED linger over: back to UNASSOCIATED (Table 9). */
export function expireFailed(core: EngineCore, assoc: Association): void {
  checkDiscard(assoc, 'failed-linger-expired');
  core.discardAssoc(assoc);
}


/**
 * Opens an ENCRYPTED parameter of the base exchange (RFC 7401 §5.2.18: one or more whole
 * parameters): the HOST_ID and the LOCATOR_SET inside, if any (RFC 9028 §4.3, §5.7).
 */
function openEncrypted(
  core: EngineCore,
  cipherId: HipCipherId,
  key: Uint8Array,
  ivAndData: Uint8Array,
): { ok: true; hostId: { algorithm: number; hostIdentity: Uint8Array } | undefined; locators: readonly LocatorEntry[] | undefined } | { ok: false; reason: string } {
  const d = decryptParams(core.crypto.cipher(cipherId)!, key, ivAndData);
  if (!d.ok) return d;
  const block = decodeParamBlock(d.params, { lenientPadding: true });
  if (!block.ok) return { ok: false, reason: 'malformed-inner' };
  let hostId: { algorithm: number; hostIdentity: Uint8Array } | undefined;
  let locators: readonly LocatorEntry[] | undefined;
  for (const p of block.params) {
    if (p.kind === 'HOST_ID') hostId = { algorithm: p.algorithm, hostIdentity: copyBytes(p.hostIdentity) };
    else if (p.kind === 'LOCATOR_SET') locators = p.locators.map((l) => ('address' in l ? { ...l, address: copyBytes(l.address) } : l));
  }
  return { ok: true, hostId, locators };
}
