// ICE-HIP-UDP candidates (RFC 9028 §4.2, §4.3, §5.7; RFC 8445 §5.1): what we gather and announce
// as type 2 ("transport address") locators in the LOCATOR_SET of I2 and R2, and how the peer's
// land in its locator table.
//
// Host candidates are our announced locators (privacy filter and `announce` hook applied) on
// config.udpPort. Server-reflexive ones are what our Control Relay Servers saw (REG_FROM, §4.2,
// relay.ts `serverReflexiveCandidates`), unless `EngineCore.reflexiveCandidates` is set, which
// replaces that source (an embedding that learns them otherwise). Peer-reflexive
// ones are learned from connectivity checks, never gathered (RFC 8445 §5.1.1).
import { locatorKey, locatorRange } from '../addr/locator.js';
import type { CandidateKind, Locator } from '../types.js';
import { CANDIDATE_KIND, TRANSPORT_PROTOCOL_UDP } from '../wire/constants.js';
import type { LocatorEntry, LocatorEntryInit, ParamInit } from '../wire/types.js';
import type { Association } from './association.js';
import type { EngineCore } from './context.js';
import { LIFETIME_UNBOUNDED, newPeerEntry, usableAddress, type PeerLocatorEntry } from './mobility.js';
import { serverReflexiveCandidates } from './relay.js';

/** One of our candidates: a transport address, its kind and ICE priority (RFC 8445 §5.1.2). */
export type Candidate = {
  readonly address: Locator;
  readonly port: number;
  readonly kind: CandidateKind;
  readonly priority: number;
  /** The Traffic Type we announced the address with (RFC 8046 §4.1); 0 for reflexive ones. */
  readonly trafficType: 0 | 1 | 2;
};

/** A server-reflexive transport address as a Control Relay Server reported it (RFC 9028 §4.2). */
export type ReflexiveAddress = { readonly address: Locator; readonly port: number };

/**
 * RFC 8445 §5.1.2.2 recommended type preferences: "126 for host candidates, 110 for peer-reflexive
 * candidates, 100 for server-reflexive candidates, and 0 for relayed candidates".
 */
export const TYPE_PREFERENCE: Readonly<Record<CandidateKind, number>> = { host: 126, prflx: 110, srflx: 100, relayed: 0 };

/** The LOCATOR_SET Kind numbers (RFC 9028 §5.7 Table 2). */
const KIND_NUMBER: Readonly<Record<CandidateKind, number>> = {
  host: CANDIDATE_KIND.HOST,
  srflx: CANDIDATE_KIND.SERVER_REFLEXIVE,
  prflx: CANDIDATE_KIND.PEER_REFLEXIVE,
  relayed: CANDIDATE_KIND.RELAYED,
};

/** The candidate kind of a LOCATOR_SET Kind number, or undefined for one Table 2 does not define. */
export function kindOf(n: number): CandidateKind | undefined {
  return n === 0 ? 'host' : n === 1 ? 'srflx' : n === 2 ? 'prflx' : n === 3 ? 'relayed' : undefined;
}

/**
 * RFC 8445 §5.1.2.1: priority = (2^24)*(type preference) + (2^8)*(local preference) +
 * (2^0)*(256 - component ID). HIP has one component (RFC 9028 Appendix B: no RTP/RTCP pair).
 */
export function candidatePriority(kind: CandidateKind, localPreference: number, componentId = 1): number {
  if (!Number.isInteger(localPreference) || localPreference < 0 || localPreference > 65535) throw new RangeError(`"localPreference" expected integer in 0..65535, got ${localPreference}`);
  if (!Number.isInteger(componentId) || componentId < 1 || componentId > 256) throw new RangeError(`"componentId" expected integer in 1..256, got ${componentId}`);
  return TYPE_PREFERENCE[kind] * 2 ** 24 + localPreference * 2 ** 8 + (256 - componentId);
}

/**
 * RFC 8445 §5.1.2.1: "If a host is multihomed ... the local preference ... SHOULD be set to
 * reflect the preference"; with one address "it SHOULD be set to the maximum of 65535". Our
 * locators are in preference order: the first gets 65535, the next one less, and so on.
 */
function localPreference(index: number): number {
  return Math.max(0, 65535 - index);
}

/**
 * Our candidates for the peer at `peer`, highest priority first, limited to the kinds the
 * `gatherCandidates` policy allows. O(our locators + reflexive addresses), never O(associations).
 */
export function gatherCandidates(core: EngineCore, peer: Locator): Candidate[] {
  const kinds = new Set(core.policy.gatherCandidates({ peer }));
  const out: Candidate[] = [];
  if (kinds.has('host')) {
    // RFC 8445 §5.1.1.1 (RFC 9028 §4.2): loopback addresses MUST NOT be host candidates, whatever
    // the announce hook chose; only a one-machine test bench opts in (config.natLoopbackCandidates),
    // and then our loopback locators are candidates even though RFC 8046 announcements skip them.
    const hosts: { readonly locator: Locator; readonly trafficType?: 0 | 1 | 2 }[] = core.announced(peer).filter((a) => locatorRange(a.locator) !== 'loopback');
    if (core.config.natLoopbackCandidates) {
      for (const l of core.localLocators) if (locatorRange(l) === 'loopback' && !core.isPrivate(l)) hosts.push({ locator: l });
    }
    hosts.forEach((a, i) => {
      out.push({ address: a.locator, port: core.config.udpPort, kind: 'host', priority: candidatePriority('host', localPreference(i)), trafficType: a.trafficType ?? 0 });
    });
  }
  if (kinds.has('srflx')) {
    const seen = new Set(out.map((c) => `${locatorKey(c.address)}/${c.port}`));
    (core.reflexiveCandidates?.() ?? serverReflexiveCandidates(core)).forEach((r, i) => {
      const key = `${locatorKey(r.address)}/${r.port}`;
      // A reflexive address equal to a host candidate adds nothing (RFC 8445 §5.1.3: redundant).
      if (seen.has(key)) return;
      seen.add(key);
      out.push({ address: r.address, port: r.port, kind: 'srflx', priority: candidatePriority('srflx', localPreference(i)), trafficType: 0 });
    });
  }
  return out.sort((a, b) => b.priority - a.priority);
}

/**
 * The LOCATOR_SET of type 2 locators for I2 or R2 (RFC 9028 §4.3 steps 3-4, §5.7), bound to our
 * inbound `spi`; the P bit is for R1 only (Table 2). Undefined when there is nothing to announce.
 */
export function candidateLocatorSet(core: EngineCore, peer: Locator, spi: number): ParamInit | undefined {
  const cands = gatherCandidates(core, peer).slice(0, core.config.maxPeerLocators);
  if (cands.length === 0) return undefined;
  const locators: LocatorEntryInit[] = cands.map((c) => ({
    trafficType: c.trafficType,
    locatorType: 2 as const,
    preferred: false,
    lifetime: core.config.locatorLifetimeS,
    transportPort: c.port,
    transportProtocol: TRANSPORT_PROTOCOL_UDP,
    candidateKind: KIND_NUMBER[c.kind],
    priority: c.priority,
    spi,
    address: c.address,
  }));
  return { kind: 'LOCATOR_SET', locators };
}

/**
 * The peer's type 2 locators from I2 or R2 into its locator table, UNVERIFIED (RFC 9028 §4.6:
 * connectivity checks verify them, not the RFC 8046 §5.4 address check): highest priority first,
 * within config.maxPeerLocators, one entry per address (the highest-priority candidate of an
 * address, the one a check would try first, RFC 8445 §6.1.2.3). A locator that is not UDP
 * (§5.7: "only UDP (17) is supported"), has an unknown Kind, a zero lifetime or an unusable
 * address is left out. Returns the entries added.
 */
export function addPeerCandidates(core: EngineCore, assoc: Association, locators: readonly LocatorEntry[]): PeerLocatorEntry[] {
  const added: PeerLocatorEntry[] = [];
  const type2 = locators.filter((l): l is Extract<LocatorEntry, { locatorType: 2 }> => l.locatorType === 2 && !('unknown' in l));
  for (const l of [...type2].sort((a, b) => b.priority - a.priority)) {
    const kind = kindOf(l.candidateKind);
    if (l.transportProtocol !== TRANSPORT_PROTOCOL_UDP || kind === undefined || l.lifetime === 0 || !usableAddress(l.address) || l.transportPort === 0) continue;
    const key = locatorKey(l.address);
    const known = assoc.peerLocators.get(key);
    if (known) {
      // The address the base exchange runs on is a candidate too (RFC 9028 §4.6: it is paired
      // and checked like the others); its entry keeps its state and the port packets came from.
      if (known.priority === undefined && known.type !== 2) {
        known.kind = kind;
        known.priority = l.priority;
      }
      continue;
    }
    if (assoc.peerLocators.size >= core.config.maxPeerLocators) continue;
    const e = newPeerEntry(core, {
      locator: Uint8Array.from(l.address),
      state: 'UNVERIFIED',
      type: 2,
      spi: l.spi,
      port: l.transportPort,
      kind,
      priority: l.priority,
      preferred: false,
      trafficType: l.trafficType,
      expiresAt: l.lifetime === LIFETIME_UNBOUNDED ? Infinity : core.now + l.lifetime * 1000,
    });
    assoc.peerLocators.set(key, e);
    added.push(e);
  }
  return added;
}
