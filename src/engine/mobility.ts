// Mobility and multihoming (RFC 8046, RFC 8047): the peer locator table and its states, the
// LOCATOR_SETs we send and receive, address verification, and which peer locator each SA and
// the HIP control traffic use.
//
// Locator states (RFC 8046 §5.1) live in the association's table, not in the RFC 7401 state
// machine; they change only through `setState`, which checks the transitions §5.1 allows.
import { locatorFamily, locatorKey, locatorRange } from '../addr/locator.js';
import type { CandidateKind, LocalLocator, Locator, LocatorState, Millis, PeerLocator } from '../types.js';
import { equalBytes, toHex } from '../util/bytes.js';
import { invariant } from '../util/assert.js';
import type { HipPacket, LocatorEntry, LocatorEntryInit, ParamInit, ParamOf } from '../wire/types.js';
import { NOTIFY_TYPE } from '../wire/notify.js';
import { encodeParamBlock } from '../wire/packet.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import type { DropReason } from './errors.js';
import { sendNotify } from './notify.js';
import { notifyDataRoom } from './limits.js';
import { deleteSa, updateSa } from './sa.js';
import type { PendingUpdate, SaPair } from './states.js';
import { established, sendSeqUpdate, setUpdate, startSaNegotiation } from './update.js';
import { checkRoom, checkUnderWay, pumpChecks } from './address-check.js';
import { nextAgeOut, noteAnnounced, trimPeerLocators } from './locator-lifetime.js';
import { demoteFailing } from './local-path.js';
import { addPeerCandidates } from './nat-candidates.js';
import { startChecks } from './nat-checks.js';

/** One entry of the peer locator table (RFC 8046 §5.1). */
export type PeerLocatorEntry = {
  readonly locator: Locator;
  readonly key: string;
  state: LocatorState;
  type: 0 | 1 | 2;
  /**
   * Type 1: the SPI the address is bound to. Type 0: the SA policy tied it to (undefined = any).
   * Type 2: the SPI the peer expects on ESP to this candidate (RFC 9028 §5.7).
   */
  spi: number | undefined;
  /** The peer's UDP port at this address, when it differs from the association's (RFC 9028 §5.7). */
  port?: number;
  /** Type 2: the candidate's kind and ICE priority (RFC 9028 §5.7, RFC 8445 §5.1.2). */
  kind?: CandidateKind;
  priority?: number;
  preferred: boolean;
  trafficType: number;
  expiresAt: Millis;
  /** Nonce of the ECHO_REQUEST checking this address, while a check is under way. */
  nonce: Uint8Array | undefined;
  /** Our inbound SPI announced alongside this address: data on it verifies the address (RFC 8046 Figure 7). */
  viaSpi: number | undefined;
  /** When authenticated ESP last came from this address (for silence detection). */
  lastSeenAt: Millis;
  /**
   * Since when the path is suspected (it failed or went silent and is being checked again);
   * undefined when it is not. Cleared when it answers or is announced afresh.
   */
  suspectSince: Millis | undefined;
  /** When the entry became DEPRECATED (it ages out from then, RFC 8046 §6.2.2); else undefined. */
  deprecatedAt: Millis | undefined;
};

/** What a new peer-locator entry is made of; the rest starts empty: no check under way, no data seen on our announced SPI, not suspected, not deprecated. */
type NewPeerEntry = Pick<PeerLocatorEntry, 'locator' | 'state' | 'type' | 'spi' | 'preferred' | 'trafficType' | 'expiresAt'> & Pick<Partial<PeerLocatorEntry>, 'port' | 'kind' | 'priority'>;

/** A new entry of a peer's locator table, keyed by its address, last seen now. */
export function newPeerEntry(core: EngineCore, e: NewPeerEntry): PeerLocatorEntry {
  return {
    locator: e.locator,
    key: locatorKey(e.locator),
    state: e.state,
    type: e.type,
    spi: e.spi,
    ...(e.port !== undefined ? { port: e.port } : {}),
    ...(e.kind !== undefined ? { kind: e.kind } : {}),
    ...(e.priority !== undefined ? { priority: e.priority } : {}),
    preferred: e.preferred,
    trafficType: e.trafficType,
    expiresAt: e.expiresAt,
    nonce: undefined,
    viaSpi: undefined,
    lastSeenAt: core.now,
    suspectSince: undefined,
    deprecatedAt: undefined,
  };
}

/** RFC 8046 §5.1: the state changes allowed (DEPRECATED never goes straight to ACTIVE). */
const ALLOWED: Readonly<Record<LocatorState, readonly LocatorState[]>> = {
  UNVERIFIED: ['ACTIVE', 'DEPRECATED'],
  ACTIVE: ['DEPRECATED', 'UNVERIFIED'],
  DEPRECATED: ['UNVERIFIED'],
};

/** Lifetime value meaning "does not expire" (RFC 8046 §5.1). */
export const LIFETIME_UNBOUNDED = 0xffffffff;

/** The public view of a table entry (`PeerLocator`). */
export function publicEntry(e: PeerLocatorEntry): PeerLocator {
  return {
    locator: e.locator,
    state: e.state,
    type: e.type,
    ...(e.spi !== undefined ? { spi: e.spi } : {}),
    ...(e.type === 2 ? { port: e.port, kind: e.kind, priority: e.priority } : {}),
    preferred: e.preferred,
    expiresAt: e.expiresAt,
    trafficType: e.trafficType,
  };
}

function emitUpsert(core: EngineCore, assoc: Association, e: PeerLocatorEntry): void {
  core.emit({ kind: 'locator', op: 'upsert', peer: assoc.peerHit, entry: publicEntry(e) });
}

function setState(core: EngineCore, assoc: Association, e: PeerLocatorEntry, to: LocatorState): void {
  if (e.state === to) return;
  invariant(ALLOWED[e.state].includes(to), `locator ${e.state} -> ${to} is not allowed by RFC 8046 §5.1`);
  e.state = to;
  e.deprecatedAt = to === 'DEPRECATED' ? core.now : undefined;
  if (to === 'ACTIVE') e.suspectSince = undefined;
  if (to !== 'UNVERIFIED') {
    e.nonce = undefined;
    // The check of this address is over (answered, or the address was dropped): stop resending it.
    cancelChecks(assoc, e.key);
  }
  emitUpsert(core, assoc, e);
}

/**
 * Drops outstanding address-check UPDATEs for a locator from the retransmission list. Only pure
 * checks: an UPDATE that also negotiates an SA pair still needs its ACK.
 */
function cancelChecks(assoc: Association, key: string): void {
  const st = established(assoc);
  const isCheck = (p: PendingUpdate): boolean => p.purpose === 'verify' && p.verify?.locatorKey === key;
  if (!st || !st.update.pending.some(isCheck)) return;
  setUpdate(assoc, 'recv-UPDATE', { pending: st.update.pending.filter((p) => !isCheck(p)) });
  const next = established(assoc)!.update.pending.reduce((m, p) => Math.min(m, p.nextAt), Infinity);
  if (next === Infinity) assoc.timers.clear('UPDATE_RETRANSMIT');
  else assoc.timers.set('UPDATE_RETRANSMIT', next);
}

/**
 * The locators the base exchange used are the initial preferred ones, ACTIVE, with an unbounded
 * lifetime (RFC 8046 §5.1, last paragraph). Called when an association becomes ESTABLISHED.
 */
export function initPeerLocators(core: EngineCore, assoc: Association, spi: number): void {
  const key = locatorKey(assoc.peerLocator);
  if (assoc.peerLocators.has(key)) return applyBexLocators(core, assoc);
  const e = newPeerEntry(core, { locator: assoc.peerLocator, state: 'ACTIVE', type: 1, spi, preferred: true, trafficType: 0, expiresAt: Infinity });
  assoc.peerLocators.set(key, e);
  emitUpsert(core, assoc, e);
  // The base exchange carried our LOCATOR_SET (bexLocatorSet): its lifetime runs from now.
  if (core.announced(assoc.peerLocator).length >= 2) noteAnnounced(core, assoc);
  applyBexLocators(core, assoc);
  if (core.config.silenceMs > 0) assoc.timers.set('PATH_SILENCE', core.now + core.config.silenceMs);
}

// ---------------------------------------------------------------------------------------------
// LOCATOR_SET in the base exchange (RFC 8047 §4.2.8, Figures 4 and 5)

/**
 * The LOCATOR_SET we put in an R1, I2 or R2: type 0 locators only (no SA exists yet, §5.1), our
 * `current` locator preferred (§4.2.8: an I2's preferred locator SHOULD be its source). Only
 * when there is more than the one address the exchange already shows.
 */
export function bexLocatorSet(core: EngineCore, peer: Locator, current: Locator | undefined): ParamInit | undefined {
  const announced = core.announced(peer);
  if (announced.length < 2) return undefined;
  const locators: LocatorEntryInit[] = announced.map((a) => ({
    trafficType: a.trafficType ?? 0,
    locatorType: 0 as const,
    preferred: current ? equalBytes(a.locator, current) : a.preferred,
    lifetime: core.config.locatorLifetimeS,
    address: a.locator,
  }));
  return { kind: 'LOCATOR_SET', locators };
}

/**
 * The peer's LOCATOR_SET from R1, I2 or R2, applied once the association is ESTABLISHED (an
 * ICE-HIP-UDP Responder's candidates on sending its R2, RFC 9028 §4.6, bex.ts onI2): the
 * locator in use is already ACTIVE; a preferred locator from an R1 is ACTIVE without a check
 * (RFC 8046 §5.4); every other one is UNVERIFIED and checked like any other (§4.2.8).
 */
export function applyBexLocators(core: EngineCore, assoc: Association): void {
  const pending = assoc.bexLocators;
  assoc.bexLocators = undefined;
  if (!pending) return ensureSaPerInterface(core, assoc);
  for (const l of pending.locators) {
    if (l.locatorType !== 0 || !('address' in l) || !usableAddress(l.address) || l.lifetime === 0) continue;
    const key = locatorKey(l.address);
    // RFC 8046 §6.2.2: the table of one peer stays within the cap.
    if (assoc.peerLocators.has(key) || assoc.peerLocators.size >= core.config.maxPeerLocators) continue;
    const trusted = pending.from === 'R1' && l.preferred;
    const e = newPeerEntry(core, {
      locator: Uint8Array.from(l.address),
      state: trusted ? 'ACTIVE' : 'UNVERIFIED',
      type: 0,
      spi: undefined,
      preferred: false,
      trafficType: l.trafficType,
      expiresAt: l.lifetime === LIFETIME_UNBOUNDED ? Infinity : core.now + l.lifetime * 1000,
    });
    assoc.peerLocators.set(key, e);
    emitUpsert(core, assoc, e);
  }
  // RFC 9028 §4.3: the candidates of an ICE-HIP-UDP exchange (from ENCRYPTED, §5.7).
  if (pending.candidates) for (const e of addPeerCandidates(core, assoc, pending.candidates)) emitUpsert(core, assoc, e);
  // RFC 9028 §4.6: the type 2 candidates are verified by connectivity checks (nat-checks.ts).
  startChecks(core, assoc);
  armLocatorExpiry(core, assoc);
  ensureSaPerInterface(core, assoc);
  // Every UNVERIFIED one is checked (RFC 8046 §5.4), within the budget of checks.
  pumpChecks(core, assoc);
}

/**
 * An address check on its own (RFC 8046 §5.4): UPDATE(ESP_INFO with OLD = NEW, SEQ,
 * ECHO_REQUEST_SIGNED) to the address, retransmitted until ACKed; an unanswered one deprecates
 * the address.
 */
export function sendCheck(core: EngineCore, assoc: Association, c: LocatorCheck, src?: Locator): void {
  const spi = established(assoc)!.sas[0]!.localSpi;
  const id = sendSeqUpdate(
    core,
    assoc,
    [
      { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: spi, newSpi: spi },
      { kind: 'ECHO_REQUEST_SIGNED', opaque: c.nonce },
    ],
    'verify',
    { dst: c.locator, ...(src ? { src } : {}), verify: { nonce: c.nonce, locatorKey: c.key }, trigger: 'rekey' },
  );
  // Nothing could be sent (no locator of that family): the address stays queued (pumpChecks).
  const e = assoc.peerLocators.get(c.key);
  if (id < 0 && e?.nonce === c.nonce) e.nonce = undefined;
}

// ---------------------------------------------------------------------------------------------
// Receiving a LOCATOR_SET

export type LocatorCheck = { readonly nonce: Uint8Array; readonly locator: Locator; readonly key: string };
export type LocatorSetOutcome = { readonly verify: readonly LocatorCheck[]; readonly refused: { reason: DropReason; detail?: string } | undefined };

/**
 * RFC 8046 §5.3 / RFC 8047 §5.2, after ESP_INFO: update the table from a LOCATOR_SET, deprecate
 * what it leaves out, and return the new addresses to check (preferred first).
 */
export function onLocatorSet(
  core: EngineCore,
  assoc: Association,
  pkt: HipPacket,
  ls: ParamOf<'LOCATOR_SET'>,
  ctx: { espInfoSpi: number | undefined; src: Locator },
): LocatorSetOutcome {
  // RFC 8046 §5.3: only a retransmitted UPDATE (a SEQ already processed, detected in onUpdate)
  // is not processed again. The same LOCATOR_SET in a new UPDATE is processed: "If the address is
  // already bound, its lifetime is updated. If the status of the address is DEPRECATED, the
  // status is changed to UNVERIFIED." Processing it twice is harmless: an address already under
  // check is not checked twice.
  // RFC 8046 §6 (SHOULD limit the locators kept per peer): refuse the whole set rather than keep a part.
  if (ls.locators.length > core.config.maxPeerLocators) {
    return { verify: [], refused: { reason: 'policy', detail: `LOCATOR_SET with ${ls.locators.length} locators > maxPeerLocators` } };
  }
  const st = established(assoc)!;
  const peerSpis = new Set(st.sas.map((s) => s.peerSpi));
  if (ctx.espInfoSpi !== undefined) peerSpis.add(ctx.espInfoSpi);
  const listed = new Set<string>();
  const checks: LocatorCheck[] = [];
  const unsupported: LocatorEntry[] = [];
  let unsupportedPreferred = false;
  for (const l of ls.locators) {
    if (l.locatorType !== 0 && l.locatorType !== 1) {
      // §5.3: an unknown type we cannot use; the preferred one SHOULD be reported (NOTIFY).
      unsupported.push(l);
      unsupportedPreferred ||= l.preferred;
      continue;
    }
    const address = (l as { address: Uint8Array }).address;
    // RFC 8046 §5.3: never broadcast or multicast; a zero lifetime is invalid (RFC 8046 §4).
    if (!usableAddress(address) || l.lifetime === 0) continue;
    const boundSpi = l.locatorType === 1 && 'spi' in l ? l.spi : undefined;
    if (l.locatorType === 1 && (boundSpi === undefined || !peerSpis.has(boundSpi))) {
      // Bound to no SA we know (RFC 8047 §5.2 binds a type 1 address to the SPI it names): this
      // locator cannot be used and is dropped, reported; the rest of the UPDATE stands and is
      // ACKed (only an ESP_INFO fitting no case stops the processing of an UPDATE).
      core.drop('unknown-spi', { packetKind: 'UPDATE', src: ctx.src, assoc, detail: `type 1 locator names SPI ${boundSpi ?? 'none'}, bound to no SA of this association` });
      continue;
    }
    const key = locatorKey(address);
    listed.add(key);
    const spi = l.locatorType === 1 ? boundSpi : core.policy.bindType0Locator({ address, espInfoSpi: ctx.espInfoSpi, peerSpis: [...peerSpis] });
    const expiresAt = l.lifetime === LIFETIME_UNBOUNDED ? Infinity : core.now + l.lifetime * 1000;
    let e = assoc.peerLocators.get(key);
    if (!e) {
      e = newPeerEntry(core, { locator: Uint8Array.from(address), state: 'UNVERIFIED', type: l.locatorType, spi, preferred: l.preferred, trafficType: l.trafficType, expiresAt });
      assoc.peerLocators.set(key, e);
      emitUpsert(core, assoc, e);
    } else {
      // Known: its lifetime and binding are updated; DEPRECATED comes back as UNVERIFIED.
      const wasDeprecated = e.state === 'DEPRECATED';
      Object.assign(e, { type: l.locatorType, spi, preferred: l.preferred, trafficType: l.trafficType, expiresAt });
      if (wasDeprecated) e.suspectSince = undefined; // announced afresh: new information
      if (e.state === 'DEPRECATED') setState(core, assoc, e, 'UNVERIFIED');
      else emitUpsert(core, assoc, e);
    }
    if (e.state === 'UNVERIFIED' && !checkUnderWay(assoc, key) && !checks.some((c) => c.key === key)) {
      e.nonce = core.random(16);
      e.viaSpi = undefined;
      checks.push({ nonce: e.nonce, locator: e.locator, key });
    }
  }
  // RFC 8046 §5.3: a LOCATOR_SET is the complete list; what it leaves out is DEPRECATED.
  for (const e of assoc.peerLocators.values()) {
    if (!listed.has(e.key) && e.state !== 'DEPRECATED') {
      e.preferred = false;
      setState(core, assoc, e, 'DEPRECATED');
    }
  }
  if (unsupported.length > 0 && (unsupportedPreferred || core.config.notifyUnsupportedLocators)) {
    // Notification Data: "the locator(s) that the receiver failed to process" (RFC 8046 §5.3),
    // as LOCATOR_SET-encoded entries.
    // The preferred one first (the one §5.3 says SHOULD be reported), then as many as fit.
    const entries = [...unsupported.filter((l) => l.preferred), ...unsupported.filter((l) => !l.preferred)];
    const room = notifyDataRoom(assoc.local);
    let data: Uint8Array;
    for (;;) {
      const block = encodeParamBlock([{ kind: 'LOCATOR_SET', locators: entries }]);
      data = block.slice(4, 4 + ((block[2]! << 8) | block[3]!));
      if (data.length <= room || entries.length <= 1) break;
      entries.pop();
    }
    sendNotify(core, assoc.local, assoc.peerHit, NOTIFY_TYPE.LOCATOR_TYPE_UNSUPPORTED, data, assoc.localLocator, assoc.peerLocator, assoc);
  }
  // RFC 8046 §6.2.2: the whole table of one peer stays within the cap (the set itself is within
  // it, so the DEPRECATED entries it left out make room).
  trimPeerLocators(core, assoc);
  invariant(assoc.peerLocators.size <= core.config.maxPeerLocators, 'peer locator table over maxPeerLocators');
  armLocatorExpiry(core, assoc);
  rebind(core, assoc);
  // Preferred first: it is the one §5.5 asks to switch to once verified. The batch is what the
  // budget of checks allows now; the others wait in the queue (pumpChecks) and are checked too.
  checks.sort((a, b) => Number(assoc.peerLocators.get(b.key)!.preferred) - Number(assoc.peerLocators.get(a.key)!.preferred));
  const batch = checks.slice(0, Math.min(core.config.maxChecksPerUpdate, checkRoom(core, assoc)));
  for (const c of checks.slice(batch.length)) assoc.peerLocators.get(c.key)!.nonce = undefined;
  return { verify: batch, refused: undefined };
}

/**
 * An UPDATE with a LOCATOR_SET came over UDP from `src`, which the set does not list: a NAT
 * between us and the peer (RFC 9028 §4.9: a plain UDP-encapsulated association of a host that
 * moved behind another NAT, whose own addresses are private). The transport address it came
 * from, with its port, enters the table UNVERIFIED and is checked like any announced address
 * (RFC 8046 §5.4: the combined ECHO_REQUEST_SIGNED of the reply); verified, it carries the
 * association. Undefined when nothing is to be checked (not UDP, ICE-HIP-UDP, the address
 * already known and not DEPRECATED, or no room in the table).
 */
export function natSourceCheck(core: EngineCore, assoc: Association, src: Locator, ls: ParamOf<'LOCATOR_SET'>): LocatorCheck | undefined {
  const port = core.inputUdp?.srcPort;
  if (!assoc.udp || port === undefined || assoc.nat?.mode === 'ice-hip-udp' || core.relayedFrom || !usableAddress(src)) return undefined;
  if (ls.locators.some((l) => 'address' in l && equalBytes(l.address, src))) return undefined;
  const key = locatorKey(src);
  let e = assoc.peerLocators.get(key);
  if (e && e.state !== 'DEPRECATED') return undefined;
  if (!e) {
    if (assoc.peerLocators.size >= core.config.maxPeerLocators) return undefined;
    e = newPeerEntry(core, { locator: Uint8Array.from(src), state: 'UNVERIFIED', type: 0, spi: undefined, port, preferred: false, trafficType: 0, expiresAt: core.now + core.config.locatorLifetimeS * 1000 });
    assoc.peerLocators.set(key, e);
    emitUpsert(core, assoc, e);
  } else {
    e.port = port;
    setState(core, assoc, e, 'UNVERIFIED');
  }
  if (checkUnderWay(assoc, key)) return undefined;
  e.nonce = core.random(16);
  e.viaSpi = undefined;
  return { nonce: e.nonce, locator: e.locator, key };
}

/** RFC 8046 §5.2-5.3: unicast or anycast only; no multicast, broadcast or unspecified address. */
export function usableAddress(address: Uint8Array): boolean {
  if (address.length !== 16) return false;
  const range = locatorRange(address);
  return range !== 'multicast' && range !== 'broadcast' && range !== 'unspecified';
}

/** RFC 8047 §5.2 case 4: locators bound only to a deprecated SPI become DEPRECATED. */
export function deprecateSpiLocators(core: EngineCore, assoc: Association, peerSpi: number): void {
  for (const e of assoc.peerLocators.values()) {
    if (e.spi === peerSpi && e.state !== 'DEPRECATED') setState(core, assoc, e, 'DEPRECATED');
  }
  armLocatorExpiry(core, assoc);
  rebind(core, assoc);
}

// ---------------------------------------------------------------------------------------------
// Address verification (RFC 8046 §5.4)

/** An ECHO_RESPONSE_SIGNED carried one of our nonces: that address is reachable. */
export function onEchoResponse(core: EngineCore, assoc: Association, opaque: Uint8Array): void {
  for (const e of assoc.peerLocators.values()) {
    if (e.nonce && equalBytes(e.nonce, opaque)) {
      setState(core, assoc, e, 'ACTIVE');
      rebind(core, assoc);
      return;
    }
  }
}

/** A connectivity check verified a candidate (RFC 9028 §4.6): ACTIVE, no rebind (nomination moves traffic). */
export function markReachable(core: EngineCore, assoc: Association, e: PeerLocatorEntry): void {
  // A candidate a handover deprecated may be nominated (the peer checked it afresh): RFC 8046
  // §5.1 lets DEPRECATED go back only through UNVERIFIED.
  if (e.state === 'DEPRECATED') setState(core, assoc, e, 'UNVERIFIED');
  if (e.state !== 'ACTIVE') setState(core, assoc, e, 'ACTIVE');
}

/** A locator state change from outside this module (RFC 9028 §4.9 handover, nat-handover.ts). */
export function setLocatorState(core: EngineCore, assoc: Association, e: PeerLocatorEntry, to: LocatorState): void {
  setState(core, assoc, e, to);
}

/** The check of an address got no answer within the UPDATE retries. */
export function onVerifyFailed(core: EngineCore, assoc: Association, key: string): void {
  const e = assoc.peerLocators.get(key);
  if (!e || e.state !== 'UNVERIFIED') return;
  setState(core, assoc, e, 'DEPRECATED');
  // It ages out from now (RFC 8046 §6.2.2).
  armLocatorExpiry(core, assoc);
  rebind(core, assoc);
}

/**
 * Authenticated ESP arrived on our inbound SA `spi` from `src`. If that SA was announced together
 * with the address, the data verifies it (RFC 8046 §5.4 Figure 7).
 */
export function onDataFrom(core: EngineCore, assoc: Association, spi: number, src: Locator): void {
  const e = assoc.peerLocators.byLocator(src);
  if (e) e.lastSeenAt = core.now;
  if (e && e.state === 'UNVERIFIED' && e.viaSpi === spi) {
    setState(core, assoc, e, 'ACTIVE');
    rebind(core, assoc);
    pumpChecks(core, assoc);
  }
}

/** Marks the addresses being checked by a new SA announcement (see onDataFrom). */
export function noteViaSpi(assoc: Association, key: string, spi: number): void {
  const e = assoc.peerLocators.get(key);
  if (e) e.viaSpi = spi;
}

// ---------------------------------------------------------------------------------------------
// Choosing peer locators (RFC 8046 §5.5-5.6, RFC 8047 §5.3-5.4)

export type PathChoice = { readonly entry: PeerLocatorEntry; readonly creditLimited: boolean };

/**
 * RFC 8047 §5.4 / RFC 8046 §5.5-5.6: the preferred locator if ACTIVE; else another ACTIVE one
 * (policy); else the preferred (or any) UNVERIFIED one, used within credit; never DEPRECATED.
 * `candidates` narrows to the locators usable for one SA.
 */
export function choosePeerLocator(core: EngineCore, assoc: Association, candidates: readonly PeerLocatorEntry[], use: 'signalling' | 'data' = 'data'): PathChoice | undefined {
  // Only addresses of a family we have a locator in can be reached (RFC 8047 §4.2.9).
  const families = new Set(sourceLocators(core, use, assoc.peerLocator).map(locatorFamily));
  // RFC 8046 §4.1 Traffic Type: a signalling-only locator (1) never carries ESP, a data-only one
  // (2) never HIP control traffic; the P bit has scope over the locator's Traffic Type, and "the
  // more specific Traffic Type rule applies".
  const specific = use === 'signalling' ? 1 : 2;
  const live = candidates.filter((e) => e.state !== 'DEPRECATED' && families.has(locatorFamily(e.locator)) && (e.trafficType === 0 || e.trafficType === specific));
  const preferred = live.find((e) => e.preferred && e.trafficType === specific) ?? live.find((e) => e.preferred && e.trafficType === 0);
  if (preferred?.state === 'ACTIVE') return { entry: preferred, creditLimited: false };
  const active = live.filter((e) => e.state === 'ACTIVE');
  if (active.length > 0) {
    const pick = core.policy.choosePeerLocator({ active: active.map(publicEntry), current: assoc.peerLocator });
    const entry = active.find((e) => equalBytes(e.locator, pick.locator)) ?? active[0]!;
    return { entry, creditLimited: false };
  }
  const unverified = preferred ?? live.find((e) => e.state === 'UNVERIFIED');
  return unverified ? { entry: unverified, creditLimited: true } : undefined;
}

/** The table entries an SA may send to: type 1 bound to its SPI, or type 0 bound to it or to any. */
function candidatesFor(assoc: Association, sa: SaPair): PeerLocatorEntry[] {
  // A path that failed (or went silent) is not a candidate while it is being checked again:
  // an SA whose own addresses all failed moves to any other address of the peer (RFC 8047
  // §4.2.3 fault tolerance), instead of sending within credit to a dead one.
  // A signalling-only locator never carries ESP (RFC 8046 §4.1).
  const all = assoc.peerLocators.values().filter((e) => e.trafficType !== 1);
  const healthy = all.filter((e) => e.suspectSince === undefined);
  const bound = healthy.filter((e) => (e.spi === undefined ? e.type === 0 : e.spi === sa.peerSpi));
  if (bound.length > 0) return bound;
  if (healthy.length > 0) return healthy;
  // Every address is suspected: the one suspected last was working most recently (the others'
  // checks have gone unanswered longer), so it is the best bet while the checks run.
  const latest = Math.max(...all.map((e) => e.suspectSince ?? -Infinity));
  return all.filter((e) => e.suspectSince === latest);
}

/**
 * Re-points the control traffic and every SA at the locator `choosePeerLocator` picks, with a
 * local locator of the same family (RFC 8047 §4.2.9), emitting `sa` updates where a path moved.
 */
export function rebind(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  if (!st) return;
  const control = choosePeerLocator(core, assoc, [...assoc.peerLocators.values()], 'signalling');
  if (control) {
    assoc.peerLocator = control.entry.locator;
    assoc.localLocator = localFor(core, assoc.peerLocator, assoc.localLocator, 'signalling');
  }
  let changed = false;
  const sas = st.sas.map((sa, i) => {
    // SA affinity (RFC 8047 §4.3): an extra pair keeps its own path while that path is ACTIVE;
    // the first pair follows the preferred locator (§5.4).
    const own = candidatesFor(assoc, sa);
    const current = assoc.peerLocators.get(locatorKey(sa.peerLocator));
    const sources = sourceLocators(core, 'data', assoc.peerLocator);
    const reachable = sources.some((l) => locatorFamily(l) === locatorFamily(sa.peerLocator));
    const ownsLocal = sources.some((l) => equalBytes(l, sa.localLocator));
    if (i > 0 && current?.state === 'ACTIVE' && own.includes(current) && reachable && ownsLocal && !sa.creditLimited) return sa;
    let choice = choosePeerLocator(core, assoc, own);
    // None of the SA's own addresses is verified: while another ACTIVE address of the peer
    // exists, use it (RFC 8046 §5.4, §5.6: credit only when no ACTIVE locator is available); the
    // SA returns to its own address once that is verified.
    if (!choice || choice.creditLimited) {
      const active = choosePeerLocator(core, assoc, [...assoc.peerLocators.values()].filter((e) => e.suspectSince === undefined));
      if (active && (!active.creditLimited || !choice)) choice = active;
    }
    // Nothing of its own is alive (e.g. its address was DEPRECATED before the new SPI's address
    // is known): any live address of the peer, within credit if unverified (RFC 8046 §5.6).
    choice ??= choosePeerLocator(core, assoc, [...assoc.peerLocators.values()]);
    if (!choice) return sa;
    const peerLocator = choice.entry.locator;
    const localLocator = localFor(core, peerLocator, sa.localLocator, 'data');
    const creditLimited = choice.creditLimited;
    if (equalBytes(peerLocator, sa.peerLocator) && equalBytes(localLocator, sa.localLocator) && (sa.creditLimited ?? false) === creditLimited) return sa;
    changed = true;
    // Silence on the new path is measured from now, not from when it was last used.
    if (!equalBytes(peerLocator, sa.peerLocator)) choice.entry.lastSeenAt = core.now;
    const next: SaPair = { ...sa, peerLocator, localLocator, ...(creditLimited ? { creditLimited } : { creditLimited: false }) };
    updateSa(core, assoc, next);
    return next;
  });
  // The preferred outbound SA (what the data plane uses unless its policy spreads flows): the
  // first pair that leaves from a locator we announce with the P bit (RFC 8047 §5.1), else the
  // first pair.
  const pbits = core.announced(assoc.peerLocator).filter((a) => a.preferred);
  const pick = Math.max(0, sas.findIndex((sa) => !sa.creditLimited && pbits.some((a) => equalBytes(a.locator, sa.localLocator))));
  // With a single pair there is nothing to choose: no flag, no output.
  const flagged = sas.map((sa, i) => {
    const want = sas.length > 1 && i === pick;
    if ((sa.preferred ?? false) === want) return sa;
    changed = true;
    const next: SaPair = { ...sa, preferred: want };
    updateSa(core, assoc, next);
    return next;
  });
  if (changed) setUpdate(assoc, 'recv-UPDATE', {}, flagged);
}

/**
 * Source and destination for a packet to `dst` (from `src` if given): the source must be one of
 * our locators of the destination's family (a packet cannot cross families, and its checksum
 * pseudo-header needs both of one family). Falls back to the association's control pair;
 * undefined when no family matches.
 */
export function pathTo(core: EngineCore, assoc: Association, dst: Locator, src?: Locator): { src: Locator; dst: Locator } | undefined {
  const family = locatorFamily(dst);
  // HIP control packets leave from a locator that may carry signalling (RFC 8046 §4.1).
  const sources = sourceLocators(core, 'signalling', assoc.peerLocator);
  const ours = (l: Locator): boolean => sources.some((x) => equalBytes(x, l));
  if (src && locatorFamily(src) === family && ours(src)) return { src, dst };
  const local = sources.find((l) => locatorFamily(l) === family && equalBytes(l, assoc.localLocator)) ?? sources.find((l) => locatorFamily(l) === family);
  // No locator of ours in that family: the packet cannot be sent (never from an address we no
  // longer have, never to another address than the one meant).
  return local ? { src: local, dst } : undefined;
}

/**
 * A local locator of `peer`'s family that may carry `use` traffic: `current` if it fits and is
 * still ours, else the first; never one the privacy filter keeps from the peer while another
 * exists. `current` when none of ours fits.
 */
export function localFor(core: EngineCore, peer: Locator, current: Locator, use: TrafficUse): Locator {
  const family = locatorFamily(peer);
  const ours = sourceLocators(core, use, peer).filter((l) => locatorFamily(l) === family);
  return ours.find((l) => equalBytes(l, current)) ?? ours[0] ?? current;
}

/** What a packet carries, in RFC 8046 §4.1 Traffic Type terms: HIP control packets or ESP data. */
export type TrafficUse = 'signalling' | 'data';

/**
 * Our locators that may be the source of HIP or ESP traffic: an address in `neverAnnounce` is
 * not, since the peer would learn it from the packet's source as well as from a LOCATOR_SET
 * (RFC 8046 §6.4). With `use`, only those whose Traffic Type allows it (RFC 8046 §4.1): a
 * locator announced for signalling only (1) is never the source of ESP, one announced for data
 * only (2) never the source of a HIP control packet. The Traffic Type is the one announced to
 * `peer` (the announce hook may change it), else the one the caller set on the locator.
 * O(local locators).
 */
export function sourceLocators(core: EngineCore, use?: TrafficUse, peer?: Locator): readonly Locator[] {
  const all = core.localLocators;
  const open = all.some((l) => core.isPrivate(l)) ? all.filter((l) => !core.isPrivate(l)) : all;
  if (use === undefined) return open;
  const excluded = use === 'signalling' ? 2 : 1;
  const announced = peer === undefined ? [] : core.announced(peer);
  const info = core.localLocatorList();
  const trafficType = (l: Locator): number => {
    const said = announced.find((a) => equalBytes(a.locator, l));
    return said ? (said.trafficType ?? 0) : (info.find((x) => equalBytes(x.address, l))?.trafficType ?? 0);
  };
  return open.filter((l) => trafficType(l) !== excluded);
}

// ---------------------------------------------------------------------------------------------
// Lifetimes (RFC 8046 §5.1: ACTIVE or UNVERIFIED → DEPRECATED when the lifetime expires)

export function armLocatorExpiry(core: EngineCore, assoc: Association): void {
  let next = nextAgeOut(core, assoc);
  for (const e of assoc.peerLocators.values()) if (e.state !== 'DEPRECATED' && e.expiresAt < next) next = e.expiresAt;
  if (next === Infinity) assoc.timers.clear('LOCATOR_EXPIRE');
  else assoc.timers.set('LOCATOR_EXPIRE', next);
}

export function expireLocators(core: EngineCore, assoc: Association): void {
  for (const e of assoc.peerLocators.values()) {
    if (e.state !== 'DEPRECATED' && e.expiresAt <= core.now) setState(core, assoc, e, 'DEPRECATED');
  }
  trimPeerLocators(core, assoc);
  armLocatorExpiry(core, assoc);
  rebind(core, assoc);
  pumpChecks(core, assoc);
}

// ---------------------------------------------------------------------------------------------
// Sending LOCATOR_SETs (RFC 8046 §5.2, RFC 8047 §5.1)

/**
 * The LOCATOR_SET we announce to this peer: every local locator the announcement policy allows,
 * a locator an SA uses as type 1 with that SA's (our inbound) SPI, the others as type 0.
 */
export function ourLocatorSet(core: EngineCore, assoc: Association, sas: readonly SaPair[], extraType1?: { locator: Locator; spi: number }): ParamInit {
  const chosen = demoteFailing(assoc, core.announced(assoc.peerLocator));
  const locators: LocatorEntryInit[] = chosen.map((c) => {
    const sa = extraType1 && equalBytes(extraType1.locator, c.locator) ? { localSpi: extraType1.spi } : sas.find((s) => equalBytes(s.localLocator, c.locator));
    const common = { trafficType: c.trafficType ?? 0, preferred: c.preferred, lifetime: core.config.locatorLifetimeS };
    return sa ? { ...common, locatorType: 1 as const, spi: sa.localSpi, address: c.locator } : { ...common, locatorType: 0 as const, address: c.locator };
  });
  return { kind: 'LOCATOR_SET', locators };
}

/**
 * Our locators changed (`setLocalLocators`): move the control traffic and SAs off locators we
 * lost, and announce the new set (RFC 8046 §3.2.1 / §5.2 case 1, or with a rekey §5.2 case 2).
 */
export function onLocalLocatorsChanged(
  core: EngineCore,
  assoc: Association,
  opts: { rekey: boolean; announce: boolean; previous: readonly LocalLocator[]; current: readonly LocalLocator[] },
): void {
  const st = established(assoc);
  if (!st) return;
  // The caller's new view of our locators replaces what path-error inputs said (RFC 8047 §4.2.3).
  assoc.failedLocals = undefined;
  const fromLost = !core.localLocators.some((l) => equalBytes(l, assoc.localLocator));
  const lostReplacement = (lost: Locator, peer: Locator, use: TrafficUse): Locator => {
    // A lost address whose interface has a new one moved (RFC 8046 §3.2.1): the SA follows it,
    // if the new one may carry that traffic (RFC 8046 §4.1).
    const iface = opts.previous.find((l) => equalBytes(l.address, lost))?.interface;
    const fits = sourceLocators(core, use, assoc.peerLocator);
    const moved = iface === undefined ? undefined : opts.current.find((l) => l.interface === iface && locatorFamily(l.address) === locatorFamily(peer) && fits.some((f) => equalBytes(f, l.address)));
    return moved?.address ?? localFor(core, peer, lost, use);
  };
  if (fromLost) assoc.localLocator = lostReplacement(assoc.localLocator, assoc.peerLocator, 'signalling');
  retireLostInterfaces(core, assoc, opts.previous, opts.current);
  const sas = established(assoc)!.sas.map((sa) => {
    if (core.localLocators.some((l) => equalBytes(l, sa.localLocator))) return sa;
    const next: SaPair = { ...sa, localLocator: lostReplacement(sa.localLocator, sa.peerLocator, 'data') };
    updateSa(core, assoc, next);
    return next;
  });
  setUpdate(assoc, 'recv-UPDATE', {}, sas);
  // With a whole address family gone, control traffic and SAs move to a peer locator of a family
  // we still have (RFC 8047 §4.2.9).
  rebind(core, assoc);
  // Peer addresses whose check could not be sent (no locator of their family) may be reachable now.
  pumpChecks(core, assoc);
  if (!opts.announce) return;
  // RFC 9028 §4.9: an ICE-HIP-UDP peer is told our candidates in a handover UPDATE once our relay
  // servers answered (nat-handover.ts, from engine.ts applyLocators), not type 1 locators.
  if (assoc.nat?.mode === 'ice-hip-udp' && assoc.udp) return;
  const set = ourLocatorSet(core, assoc, established(assoc)!.sas);
  const digest = JSON.stringify(set, (_, v) => (v instanceof Uint8Array ? toHex(v) : v));
  if (digest === assoc.lastAnnounced && !fromLost && !opts.rekey) return;
  assoc.lastAnnounced = digest;
  const sa = established(assoc)!.sas[0]!;
  if (opts.rekey && !st.update.rekey) {
    // RFC 8046 §3.2.2: readdress with a mobile-initiated rekey; type 1 locators name the new SPI.
    const ls = set.kind === 'LOCATOR_SET' ? { ...set, locators: set.locators.map((l) => (l.locatorType === 1 && 'spi' in l && l.spi === sa.localSpi ? { ...l, spi: 0 } : l)) } : set;
    startSaNegotiation(core, assoc, 'rekey', sa, false, [ls]);
    noteAnnounced(core, assoc);
    return;
  }
  // RFC 8046 §5.2 case 1: ESP_INFO with OLD = NEW = the current SPI, LOCATOR_SET, SEQ; sent to
  // the peer's preferred address from the new locator.
  sendSeqUpdate(core, assoc, [{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: sa.localSpi, newSpi: sa.localSpi }, set], 'locators', { trigger: 'rekey' });
  noteAnnounced(core, assoc);
  ensureSaPerInterface(core, assoc);
}

/**
 * An SA pair whose interface is gone (its local locator lost and no locator of that interface
 * left) is deprecated rather than moved onto another interface: UPDATE(ESP_INFO with NEW SPI 0,
 * SEQ), RFC 8047 §5.2 case 4 / RFC 8046 §5.3 case 4, one UPDATE per pair (a host SHOULD be
 * prepared for a single ESP_INFO, RFC 8046 §5.3). Otherwise every interface that comes back
 * would add a pair (ensureSaPerInterface) and the pairs of a host whose interfaces flap would
 * grow without bound. At least one pair always stays; nothing is retired during an SA
 * negotiation (RFC 7402 §6.8: one at a time).
 */
function retireLostInterfaces(core: EngineCore, assoc: Association, previous: readonly LocalLocator[], current: readonly LocalLocator[]): void {
  const st = established(assoc)!;
  if (st.update.rekey || st.sas.length < 2) return;
  const gone = (sa: SaPair): boolean => {
    if (core.localLocators.some((l) => equalBytes(l, sa.localLocator))) return false;
    const iface = previous.find((l) => equalBytes(l.address, sa.localLocator))?.interface;
    return iface !== undefined && !current.some((l) => l.interface === iface);
  };
  const retire = st.sas.filter(gone);
  if (retire.length === st.sas.length) retire.shift();
  if (retire.length === 0) return;
  for (const sa of retire) deleteSa(core, assoc, 'out', sa.peerSpi);
  assoc.retiredPeerSpis = [...(assoc.retiredPeerSpis ?? []), ...retire.map((sa) => sa.peerSpi)].slice(-8);
  setUpdate(assoc, 'recv-UPDATE', { retiring: [...st.update.retiring, ...retire.map((sa) => sa.localSpi)] }, st.sas.filter((sa) => !retire.includes(sa)));
  assoc.timers.set('OLD_SA_EXPIRE', core.now + core.config.oldSaGraceMs);
  for (const sa of retire) sendSeqUpdate(core, assoc, [{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: sa.localSpi, newSpi: 0 }], 'deprecate-sa', { trigger: 'rekey' });
}

/**
 * SA affinity (RFC 8047 §4.3): a named interface that no SA pair uses gets its own pair, when
 * the `saPerInterface` policy agrees; one negotiation at a time (RFC 7402 §6.8), the next one
 * when it completes. Locators without an interface name are left to the caller (`addSaPair`).
 */
export function ensureSaPerInterface(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  if (!st || st.update.rekey) return;
  const infos = core.localLocatorList();
  const ifaceOf = (l: Locator): string | undefined => infos.find((x) => equalBytes(x.address, l))?.interface;
  const used = new Set(st.sas.map((sa) => ifaceOf(sa.localLocator)));
  for (const l of infos) {
    if (l.interface === undefined || used.has(l.interface)) continue;
    const peer = locatorFamily(l.address) === locatorFamily(assoc.peerLocator) ? assoc.peerLocator : sameFamilyActive(assoc, l.address);
    if (!peer || !core.policy.saPerInterface({ interface: l.interface, locator: l.address })) continue;
    addSaPair(core, assoc, l.address, peer);
    return;
  }
}

function sameFamilyActive(assoc: Association, local: Locator): Locator | undefined {
  const family = locatorFamily(local);
  return [...assoc.peerLocators.values()].find((e) => e.state === 'ACTIVE' && locatorFamily(e.locator) === family)?.locator;
}

/**
 * RFC 8047 §4.2.4 / §5.1 case 2: a new SA pair bound to one of our locators (and a peer locator),
 * for load balancing. UPDATE(ESP_INFO with OLD SPI 0, LOCATOR_SET, SEQ) from that locator.
 */
export function addSaPair(core: EngineCore, assoc: Association, local: Locator, peer: Locator): void {
  const st = established(assoc)!;
  const template: SaPair = { ...st.sas[0]!, localLocator: local, peerLocator: peer };
  const set = ourLocatorSet(core, assoc, st.sas, { locator: local, spi: 0 });
  assoc.lastAnnounced = JSON.stringify(ourLocatorSet(core, assoc, st.sas), (_, v) => (v instanceof Uint8Array ? toHex(v) : v));
  startSaNegotiation(core, assoc, 'new-sa', template, false, [set], { src: local, dst: peer });
  noteAnnounced(core, assoc);
}

/**
 * The caller says the path to `peer` stopped working (RFC 8047 §4.2.3 fault tolerance): stop
 * using the address until it is verified again, move traffic to another ACTIVE locator, and
 * check the address.
 */
export function onPathFailed(core: EngineCore, assoc: Association, peer: Locator): void {
  const e = assoc.peerLocators.get(locatorKey(peer));
  if (e && e.state === 'ACTIVE') reverify(core, assoc, e, true);
}

/**
 * Our UPDATEs to `peer` go unanswered (RFC 8047 §4.2.3: "whether an address is in a working
 * state"): while it is checked again, control traffic and SAs move to another ACTIVE locator;
 * it keeps its preference and comes back if it answers.
 */
export function suspectPath(core: EngineCore, assoc: Association, peer: Locator): void {
  const e = assoc.peerLocators.get(locatorKey(peer));
  if (e && e.state === 'ACTIVE' && assoc.peerLocators.values().some((x) => x !== e && x.state === 'ACTIVE')) reverify(core, assoc, e, false);
}

/** ACTIVE → UNVERIFIED, traffic moved off it, and an address check sent to it. */
function reverify(core: EngineCore, assoc: Association, e: PeerLocatorEntry, failed: boolean): void {
  setState(core, assoc, e, 'UNVERIFIED');
  e.suspectSince = core.now;
  // A failed path loses its preference; a merely silent one keeps it and comes back if it answers.
  if (failed) e.preferred = false;
  cancelChecks(assoc, e.key);
  e.nonce = core.random(16);
  rebind(core, assoc);
  sendCheck(core, assoc, { nonce: e.nonce, locator: e.locator, key: e.key }, localFor(core, e.locator, assoc.localLocator, 'signalling'));
}

/**
 * The silence timer (config.silenceMs): a peer locator an SA sends to that has been silent that
 * long goes back to UNVERIFIED and is checked (RFC 8046 §5.1 allows ACTIVE → UNVERIFIED after no
 * traffic); traffic moves to another ACTIVE locator meanwhile, and an unanswered check deprecates
 * it (RFC 8047 §4.2.3 fault tolerance).
 */
export function onSilence(core: EngineCore, assoc: Association): void {
  const st = established(assoc);
  const limit = core.config.silenceMs;
  // An ICE-HIP-UDP Responder set its table on its R2 (RFC 9028 §4.6): no SA carries data before
  // ESTABLISHED, so the silence watch waits for it.
  if (assoc.state.name === 'R2_SENT' && limit > 0) return assoc.timers.set('PATH_SILENCE', core.now + limit);
  if (!st || limit === 0) return;
  let next = Infinity;
  for (const sa of st.sas) {
    const e = assoc.peerLocators.get(locatorKey(sa.peerLocator));
    if (!e || e.state !== 'ACTIVE') continue;
    if (core.now - e.lastSeenAt >= limit) {
      reverify(core, assoc, e, false);
      e.lastSeenAt = core.now;
    }
    next = Math.min(next, e.lastSeenAt + limit);
  }
  assoc.timers.set('PATH_SILENCE', next === Infinity ? core.now + limit : next);
}

