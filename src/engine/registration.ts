// The HIP Registration Extension (RFC 8003): the registrar's and the requester's side, and the
// registrations' lifetimes. A registration only ever exists inside an authenticated
// association: a REG_REQUEST is acted on only in an I2 or UPDATE whose HIP_MAC and signature
// have been verified (RFC 8003 §6: the extension relies on the base exchange's protection), and
// the answers only in an R2 or UPDATE verified the same way.
//
// Registrar: REG_INFO in every R1 (§3.1); REG_REQUEST answered with REG_RESPONSE and REG_FAILED
// in the R2 or in an UPDATE of its own (§3.3); lifetimes clamped to the announced range (§4.3);
// cancellation with lifetime 0 (§5); the policy hook decides who may register, the limits bound
// the state (§6). Requester: REG_REQUEST in the I2 when the R1 offered the types (§3.2, §4.3),
// later by UPDATE, refreshed before the lifetime ends and cancelled with lifetime 0 (§5).
import { hitKey } from '../addr/hit.js';
import type { Hit, Locator, Millis } from '../types.js';
import { params as allParams, param } from '../wire/access.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { REG_FAILURE, REG_TYPES, encodeLifetime, lifetimeSeconds } from './reg-types.js';
import type { TokenBucket } from './rate-limit.js';
import { established, sendSeqUpdate } from './update.js';

/** A requester refreshes a registration once this fraction of its granted lifetime has passed. */
export const REFRESH_FRACTION = 0.8;

/** The registration state of one association, created on first use (an idle one stays small). */
export type RegistrationState = {
  /** Requester: the types we want to hold with the peer. */
  wanted: readonly number[];
  /** Requester: the peer's latest REG_INFO (from its R1 or an UPDATE), lifetimes as encoded. */
  offered: { readonly types: readonly number[]; readonly min: number; readonly max: number } | undefined;
  /** Requester: what the peer granted us, by type. */
  readonly held: Map<number, { readonly expiresAt: Millis; readonly refreshAt: Millis }>;
  /** Registrar: what we granted the peer, by type, with its expiry. */
  readonly granted: Map<number, Millis>;
  /** Registrar: the peer's relay budget as a rendezvous client (RFC 8004 §5). */
  relay: TokenBucket | undefined;
  /** Registrar: the peer's relay budget as a Control Relay Client (RFC 9028 §7.6; relay.ts). */
  controlRelay?: TokenBucket;
  /** Requester: the REG_FROM of the peer, a Control Relay Server: our server-reflexive candidate (RFC 9028 §4.1; relay.ts). */
  regFrom?: { readonly address: Locator; readonly port: number };
  /** The peer's rendezvous servers (RFC 8046 §3.2.3): from an R1's VIA_RVS or `setPeerRvs`. */
  peerRvs: readonly Locator[] | undefined;
  /**
   * Registrar: our offer changed while the association was being set up (it could not send an
   * UPDATE yet); the new REG_INFO goes out once it is ESTABLISHED (RFC 8003 §3.1).
   */
  offerStale?: true;
};

/** The association's registration state, created on first use. */
export function registrationState(assoc: Association): RegistrationState {
  assoc.registrations ??= { wanted: [], offered: undefined, held: new Map(), granted: new Map(), relay: undefined, peerRvs: undefined };
  return assoc.registrations;
}


/**
 * The registrar's table of granted registrations: by type, the clients' associations by HIT
 * (the RVS finds a client in O(1), RFC 8004 §4.3.2), and the total (the limit of RFC 8003 §6).
 */
export class RegistrarTable {
  private readonly byType = new Map<number, Map<string, Association>>();
  private count = 0;

  /**
   * The types we offer now, announced in REG_INFO (RFC 8003 §3.1): `config.registrarTypes` at
   * first, then what `setRegistrarTypes` set. Undefined: not a registrar (no REG_INFO at all); an
   * empty list is a registrar that can provide no service for now (an empty REG_INFO).
   */
  offer: readonly number[] | undefined;

  /** Registrations held in total. */
  get total(): number {
    return this.count;
  }
  /** The association of the client with HIT `hit` registered for `type`, if any. */
  client(type: number, hit: Hit): Association | undefined {
    return this.byType.get(type)?.get(hitKey(hit));
  }
  add(type: number, assoc: Association): void {
    let m = this.byType.get(type);
    if (!m) this.byType.set(type, (m = new Map()));
    const key = hitKey(assoc.peerHit);
    if (m.get(key) !== assoc) {
      if (!m.has(key)) this.count++;
      m.set(key, assoc);
    }
  }
  remove(type: number, assoc: Association): void {
    const m = this.byType.get(type);
    const key = hitKey(assoc.peerHit);
    if (m?.get(key) === assoc) {
      m.delete(key);
      this.count--;
    }
  }

  private readonly held = new Map<number, Set<Association>>();
  /** The associations with registrars that granted us `type` (a client's rendezvous servers). */
  servers(type: number): ReadonlySet<Association> {
    return this.held.get(type) ?? NO_SERVERS;
  }
  /** Records that `assoc`'s peer granted us `type` (true) or no longer does (false). */
  holding(type: number, assoc: Association, held: boolean): void {
    let s = this.held.get(type);
    if (!s) this.held.set(type, (s = new Set()));
    if (held) s.add(assoc);
    else s.delete(assoc);
  }
}

const NO_SERVERS: ReadonlySet<Association> = new Set();

/** Sets or removes a registration the peer granted us, keeping the table of servers in step. */
function setHeld(core: EngineCore, assoc: Association, type: number, value: { readonly expiresAt: Millis; readonly refreshAt: Millis } | undefined): void {
  const st = registrationState(assoc);
  if (value) st.held.set(type, value);
  else st.held.delete(type);
  core.registrar.holding(type, assoc, value !== undefined);
}

// ---------------------------------------------------------------------------------------------
// Registrar

/** REG_INFO for our R1s and UPDATEs (RFC 8003 §3.1, §4.2), or nothing when we offer no type. */
export function regInfoParam(core: EngineCore): ParamInit | undefined {
  const offer = core.registrar.offer;
  if (offer === undefined) return undefined;
  return { kind: 'REG_INFO', minLifetime: minCode(core), maxLifetime: maxCode(core), regTypes: [...offer] };
}

/**
 * The registrar's offer changed (the `setRegistrarTypes` command): R1s carry the new REG_INFO
 * from now on, and every established association gets it in an UPDATE of its own (RFC 8003
 * §3.1: "it SHOULD send UPDATE packets indicating the current set of services available in a
 * new REG_INFO parameter to all hosts it is associated with"; §4.2: "The registrar SHOULD include
 * the parameter in UPDATE packets when its service offering has changed"). `each` walks the
 * associations: this is O(n) by what the RFC asks (every associated host), like a locator change.
 * Registrations already granted for a type no longer offered are kept until their lifetime ends;
 * their refresh is then refused with Failure Type 1 (§4.5).
 */
export function changeOffer(core: EngineCore, types: readonly number[], each: Iterable<Association>): void {
  core.registrar.offer = [...types];
  core.r1.forgetTemplates();
  const info = regInfoParam(core)!;
  for (const assoc of each) {
    const state = assoc.state.name;
    if (state === 'ESTABLISHED') sendSeqUpdate(core, assoc, [info], 'registration');
    else if (state === 'I1_SENT' || state === 'I2_SENT' || state === 'R2_SENT') registrationState(assoc).offerStale = true;
  }
}

/**
 * An association just became ESTABLISHED: if our offer changed during its base exchange, its
 * peer saw an older REG_INFO (or none), so the current one follows in an UPDATE (RFC 8003 §3.1).
 */
export function announceStaleOffer(core: EngineCore, assoc: Association): void {
  const st = assoc.registrations;
  if (!st?.offerStale || !established(assoc)) return;
  delete st.offerStale;
  const info = regInfoParam(core);
  if (info) sendSeqUpdate(core, assoc, [info], 'registration');
}

function minCode(core: EngineCore): number {
  return encodeLifetime(core.config.registrationMinLifetimeS);
}

/** The largest code whose lifetime is at most the configured maximum (never below the minimum). */
function maxCode(core: EngineCore): number {
  const s = core.config.registrationMaxLifetimeS;
  const code = Math.min(255, Math.floor(64 + 8 * Math.log2(s) + 1e-9));
  return Math.max(minCode(core), code);
}

/** What a registrar decided on the REG_REQUESTs of one packet, applied once the association exists. */
export type RegistrarAnswer = {
  /** REG_RESPONSE and REG_FAILED parameters for the R2 or UPDATE that answers. */
  readonly params: readonly ParamInit[];
  /** Records the decisions on the association (and the registrar table). */
  readonly apply: (assoc: Association) => void;
};

/**
 * The registrar's answer to every REG_REQUEST of an authenticated I2 or UPDATE (RFC 8003 §3.3,
 * §4.3, §5), or undefined when there is none. Types not listed are left as they are (§4.3: "the
 * registrar MUST NOT modify the registrations of registration types that are not listed").
 */
export function answerRequests(core: EngineCore, peerHit: Hit, pkt: HipPacket, assoc: Association | undefined): RegistrarAnswer | undefined {
  const requests = allParams(pkt, 'REG_REQUEST');
  if (requests.length === 0) return undefined;
  const c = core.config;
  const current = assoc?.registrations?.granted;
  const held = new Set(current ? [...current.keys()] : []);
  let total = core.registrar.total;
  const granted = new Map<number, number>(); // type → code
  const cancelled: number[] = [];
  const failed = new Map<number, number[]>(); // failure type → types
  const refuse = (failure: number, type: number): void => {
    const list = failed.get(failure) ?? [];
    if (!list.includes(type)) list.push(type);
    failed.set(failure, list);
  };
  // "MUST be able to process one or more REG_REQUEST parameters" (§4.3).
  for (const req of requests) {
    for (const type of req.regTypes) {
      if (granted.has(type) || cancelled.includes(type) || [...failed.values()].some((l) => l.includes(type))) continue;
      if (req.lifetime === 0) {
        // §5: "Requesting a zero lifetime for a registration type is equal to canceling the
        // registration of that type"; "A registrar SHOULD respond and grant a registration
        // with a zero lifetime."
        cancelled.push(type);
        if (held.delete(type)) total--;
        continue;
      }
      // The engine's MUSTs come before the hook: only offered types, within the limits.
      if (!(core.registrar.offer ?? []).includes(type) || !REG_TYPES.has(type) || (REG_TYPES.get(type)!.overUdp && !core.inputUdp)) {
        refuse(REG_FAILURE.TYPE_UNAVAILABLE, type);
        continue;
      }
      const verdict = core.policy.authorizeRegistration({ requester: peerHit, regType: type, allowList: c.registrationAllowList });
      if (verdict.grant !== true) {
        const f = (verdict as { failureType?: unknown }).failureType;
        refuse(typeof f === 'number' && Number.isInteger(f) && f >= 0 && f <= 255 ? f : REG_FAILURE.CREDENTIALS_REQUIRED, type);
        continue;
      }
      if (!held.has(type)) {
        if (held.size >= c.maxRegistrationsPerRequester || total >= c.maxRegistrations) {
          refuse(REG_FAILURE.INSUFFICIENT_RESOURCES, type);
          continue;
        }
        held.add(type);
        total++;
      }
      // §4.3: "it SHOULD grant the registration for the minimum or maximum lifetime".
      granted.set(type, Math.max(minCode(core), Math.min(maxCode(core), req.lifetime)));
    }
  }
  // §4.4: at most one REG_RESPONSE. One lifetime for every type granted in this answer: the
  // shortest (the requester "MUST NOT expect that the returned lifetime will be the requested
  // one"). Cancellations are confirmed with lifetime 0 when nothing is granted alongside.
  const codes = [...granted.values()];
  const code = codes.length > 0 ? Math.min(...codes) : 0;
  const params: ParamInit[] = [];
  if (granted.size > 0) params.push({ kind: 'REG_RESPONSE', lifetime: code, regTypes: [...granted.keys()] });
  else if (cancelled.length > 0) params.push({ kind: 'REG_RESPONSE', lifetime: 0, regTypes: cancelled });
  for (const [failureType, regTypes] of failed) params.push({ kind: 'REG_FAILED', failureType, regTypes });
  const apply = (a: Association): void => {
    const st = registrationState(a);
    const expiresAt = core.now + lifetimeSeconds(code) * 1000;
    const ended = cancelled.filter((t) => st.granted.has(t));
    for (const t of ended) {
      st.granted.delete(t);
      core.registrar.remove(t, a);
    }
    for (const t of granted.keys()) {
      st.granted.set(t, expiresAt);
      core.registrar.add(t, a);
    }
    armRegistrationTimer(a);
    if (granted.size > 0) emitRegistered(core, a, 'registrar', [...granted.keys()], lifetimeSeconds(code));
    if (ended.length > 0) emitEnded(core, a, 'registrar', ended, 'cancelled');
  };
  return { params, apply };
}

// ---------------------------------------------------------------------------------------------
// Requester

/**
 * Records the registrar's REG_INFO (from its R1 or an UPDATE, RFC 8003 §3.1) and returns the
 * REG_REQUEST for the types we want that it offers, or undefined (§4.3: "the requester MUST NOT
 * include the parameter unless the registrar's R1 packet or latest received UPDATE packet has
 * contained a REG_INFO parameter with the requested registration types").
 */
export function requestFor(core: EngineCore, assoc: Association, pkt: HipPacket, types?: readonly number[]): ParamInit | undefined {
  const info = param(pkt, 'REG_INFO');
  const st = assoc.registrations;
  if (info) registrationState(assoc).offered = { types: [...info.regTypes], min: info.minLifetime, max: info.maxLifetime };
  const want = types ?? st?.wanted ?? [];
  if (want.length === 0) return undefined;
  const offered = assoc.registrations?.offered;
  const ask = want.filter((t) => offered?.types.includes(t));
  const missing = want.filter((t) => !ask.includes(t));
  if (missing.length > 0) {
    // Not offered: refused locally as "type unavailable", never requested.
    registrationState(assoc).wanted = want.filter((t) => ask.includes(t));
    core.emit({ kind: 'event', event: { type: 'registration-failed', assoc: assoc.id, peerHit: assoc.peerHit, regTypes: missing, failureType: REG_FAILURE.TYPE_UNAVAILABLE } });
  }
  if (ask.length === 0 || !offered) return undefined;
  return { kind: 'REG_REQUEST', lifetime: requestedCode(core, offered), regTypes: ask };
}

/** Our lifetime within the registrar's range (§4.2: "SHOULD NOT request ... greater than the maximum ... or smaller than the minimum"). */
function requestedCode(core: EngineCore, offered: { readonly min: number; readonly max: number }): number {
  const lo = Math.max(1, offered.min);
  const hi = Math.max(lo, offered.max);
  return Math.max(lo, Math.min(hi, encodeLifetime(core.config.registrationLifetimeS)));
}

/**
 * REG_RESPONSE and REG_FAILED of an authenticated R2 or UPDATE (RFC 8003 §3.3, §4.4, §4.5): "The
 * requester MUST be prepared to receive any registration lifetime". An answer to nothing we
 * asked for is ignored (never creates state).
 */
export function onAnswers(core: EngineCore, assoc: Association, pkt: HipPacket): void {
  const responses = allParams(pkt, 'REG_RESPONSE');
  const failures = allParams(pkt, 'REG_FAILED');
  if (responses.length === 0 && failures.length === 0) return;
  const st = assoc.registrations;
  if (!st) return;
  for (const r of responses) {
    const seconds = lifetimeSeconds(r.lifetime);
    const types = r.regTypes.filter((t) => st.wanted.includes(t) || st.held.has(t));
    if (types.length === 0) continue;
    if (seconds === 0) {
      for (const t of types) setHeld(core, assoc, t, undefined);
      st.wanted = st.wanted.filter((t) => !types.includes(t));
      emitEnded(core, assoc, 'requester', types, 'cancelled');
      continue;
    }
    for (const t of types) setHeld(core, assoc, t, { expiresAt: core.now + seconds * 1000, refreshAt: core.now + seconds * 1000 * REFRESH_FRACTION });
    emitRegistered(core, assoc, 'requester', types, seconds);
  }
  for (const f of failures) {
    const types = f.regTypes.filter((t) => st.wanted.includes(t));
    if (types.length === 0) continue;
    // §4.5: after Failure Type 2 the requester "MUST NOT reattempt immediately", after 3 not
    // with the same certificate: the type is no longer wanted; the caller decides what next.
    st.wanted = st.wanted.filter((t) => !types.includes(t));
    for (const t of types) setHeld(core, assoc, t, undefined);
    core.emit({ kind: 'event', event: { type: 'registration-failed', assoc: assoc.id, peerHit: assoc.peerHit, regTypes: types, failureType: f.failureType } });
  }
  armRegistrationTimer(assoc);
}

/** Remembers the types a `connect` asks to register for: requested in the I2 (§3.2). */
export function wantAtBex(assoc: Association, types: readonly number[]): void {
  if (types.length > 0) registrationState(assoc).wanted = [...new Set(types)];
}

/**
 * The `register` command (`types`, lifetime from config) and `unregister` (lifetime 0): an
 * UPDATE with REG_REQUEST (RFC 8003 §3.2, §5). Returns false when the registrar's latest
 * REG_INFO does not offer every type (nothing is sent).
 */
export function requestByUpdate(core: EngineCore, assoc: Association, types: readonly number[], cancel: boolean): boolean {
  const st = registrationState(assoc);
  const offered = st.offered;
  if (!cancel && (!offered || !types.every((t) => offered.types.includes(t)))) return false;
  if (cancel) {
    st.wanted = st.wanted.filter((t) => !types.includes(t));
  } else {
    st.wanted = [...new Set([...st.wanted, ...types])];
  }
  const lifetime = cancel ? 0 : requestedCode(core, offered!);
  sendSeqUpdate(core, assoc, [{ kind: 'REG_REQUEST', lifetime, regTypes: [...types] }], 'registration');
  return true;
}

/** Registration parameters of an authenticated UPDATE with a new SEQ (called by update.ts). */
export function onUpdateRegistration(core: EngineCore, assoc: Association, pkt: HipPacket): void {
  if (!established(assoc)) return;
  // REG_INFO: the registrar's offer changed (§3.1); held types it no longer offers lapse at their
  // expiry, as they are not refreshed.
  if (param(pkt, 'REG_INFO')) requestFor(core, assoc, pkt, []);
  onAnswers(core, assoc, pkt);
  const answer = answerRequests(core, assoc.peerHit, pkt, assoc);
  if (answer) {
    answer.apply(assoc);
    // §3.3: the answer to a REG_REQUEST in an UPDATE is an UPDATE; ours carries a SEQ of its
    // own, so it is retransmitted until the requester ACKs it.
    if (answer.params.length > 0) sendSeqUpdate(core, assoc, answer.params, 'registration');
  }
}

// ---------------------------------------------------------------------------------------------
// Lifetimes

/** The REGISTRATION timer: the earliest expiry or refresh of the association's registrations. */
export function armRegistrationTimer(assoc: Association): void {
  const st = assoc.registrations;
  let next = Infinity;
  if (st) {
    for (const at of st.granted.values()) next = Math.min(next, at);
    for (const h of st.held.values()) next = Math.min(next, h.refreshAt, h.expiresAt);
  }
  if (next === Infinity) assoc.timers.clear('REGISTRATION');
  else assoc.timers.set('REGISTRATION', next);
}

/**
 * REGISTRATION timer: registrations we granted that ran out end (RFC 8003 §4.4 lifetimes); ours
 * that are due are refreshed by UPDATE before they end (§5); ours that ran out unrefreshed end.
 */
export function onRegistrationTimer(core: EngineCore, assoc: Association): void {
  const st = assoc.registrations;
  if (!st) return;
  const now = core.now;
  const expired = [...st.granted].filter(([, at]) => at <= now).map(([t]) => t);
  for (const t of expired) {
    st.granted.delete(t);
    core.registrar.remove(t, assoc);
  }
  if (expired.length > 0) emitEnded(core, assoc, 'registrar', expired, 'expired');
  const lapsed = [...st.held].filter(([, h]) => h.expiresAt <= now).map(([t]) => t);
  for (const t of lapsed) setHeld(core, assoc, t, undefined);
  if (lapsed.length > 0) emitEnded(core, assoc, 'requester', lapsed, 'expired');
  const due = [...st.held].filter(([t, h]) => h.refreshAt <= now && st.wanted.includes(t)).map(([t]) => t);
  if (due.length > 0 && established(assoc)) {
    // Refreshed once per grant: the next refresh time comes with the registrar's answer.
    for (const t of due) setHeld(core, assoc, t, { expiresAt: st.held.get(t)!.expiresAt, refreshAt: st.held.get(t)!.expiresAt });
    const offered = st.offered;
    const ask = due.filter((t) => offered?.types.includes(t));
    if (ask.length > 0) sendSeqUpdate(core, assoc, [{ kind: 'REG_REQUEST', lifetime: requestedCode(core, offered!), regTypes: ask }], 'registration');
  }
  armRegistrationTimer(assoc);
}

/**
 * The association is going away (closed, failed, or replaced by a new base exchange): every
 * registration it carried ends with it, on both sides, and each side's application hears so
 * (RFC 8003 §6: registrations exist only inside the association that authenticated them).
 */
export function forgetRegistrations(core: EngineCore, assoc: Association): void {
  const st = assoc.registrations;
  if (!st) return;
  const granted = [...st.granted.keys()];
  const held = [...st.held.keys()];
  for (const t of granted) core.registrar.remove(t, assoc);
  for (const t of held) core.registrar.holding(t, assoc, false);
  st.granted.clear();
  st.held.clear();
  assoc.timers.clear('REGISTRATION');
  if (granted.length > 0) emitEnded(core, assoc, 'registrar', granted, 'closed');
  if (held.length > 0) emitEnded(core, assoc, 'requester', held, 'closed');
}

/** What the `registrations` inspection call returns for one association. */
export type RegistrationInfo = {
  /** Types the peer (a registrar) granted us, with their expiry (engine time, ms). */
  readonly held: readonly { readonly regType: number; readonly expiresAt: Millis }[];
  /** Types we (a registrar) granted the peer, with their expiry. */
  readonly granted: readonly { readonly regType: number; readonly expiresAt: Millis }[];
  /** The peer's latest REG_INFO: offered types and lifetimes in seconds; undefined if none. */
  readonly offered: { readonly regTypes: readonly number[]; readonly minLifetimeS: number; readonly maxLifetimeS: number } | undefined;
};

export function registrationInfo(assoc: Association): RegistrationInfo {
  const st = assoc.registrations;
  return {
    held: st ? [...st.held].map(([regType, h]) => ({ regType, expiresAt: h.expiresAt })) : [],
    granted: st ? [...st.granted].map(([regType, expiresAt]) => ({ regType, expiresAt })) : [],
    offered: st?.offered
      ? { regTypes: st.offered.types, minLifetimeS: lifetimeSeconds(st.offered.min), maxLifetimeS: lifetimeSeconds(st.offered.max) }
      : undefined,
  };
}

function emitRegistered(core: EngineCore, assoc: Association, as: 'requester' | 'registrar', regTypes: readonly number[], lifetimeS: number): void {
  core.emit({ kind: 'event', event: { type: 'registered', assoc: assoc.id, peerHit: assoc.peerHit, as, regTypes, lifetimeS } });
}

function emitEnded(core: EngineCore, assoc: Association, as: 'requester' | 'registrar', regTypes: readonly number[], by: 'cancelled' | 'expired' | 'closed'): void {
  core.emit({ kind: 'event', event: { type: 'registration-ended', assoc: assoc.id, peerHit: assoc.peerHit, as, regTypes, by } });
}
