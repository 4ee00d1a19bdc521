// Policy hooks: where the RFCs leave a choice to local policy, the engine asks a typed hook with
// a sensible default (docs/architecture.md, Choices the RFCs leave open). Every default is documented here.
import { locatorFamily, locatorRange } from '../addr/locator.js';
import type { CandidateKind, Hit, LocalLocator, Locator, PeerLocator } from '../types.js';

/** What the `puzzleDifficulty` hook sees: how many associations are half open. */
export type PuzzleLoad = {
  /** Associations not yet ESTABLISHED. */
  readonly halfOpen: number;
  readonly maxHalfOpen: number;
  /** I2s refused at the puzzle check (wrong #I, K or #J), per second, smoothed (load.ts). */
  readonly puzzleFailuresPerSecond: number;
  /** I2s that got past the puzzle to the Diffie-Hellman stage, per second (verification load). */
  readonly dhPerSecond: number;
  /** Of those, I2s refused afterwards (bad HIP_MAC, signature, Host Identity), per second. */
  readonly failuresAfterDhPerSecond: number;
};

/** A per-source R1 budget (token bucket): tokens per second and bucket size. */
export type R1Budget = { readonly perSecond: number; readonly burst: number };

/**
 * The default puzzle policy's thresholds (RFC 7401 §4.1.1, §8). Any one of them means "under
 * attack": K goes to at least configured + ATTACK_BITS, so a random #J passes with probability
 * 2^-(K) (0.1% at the default K = 1 + 9); the rates decay with a 5 s half-life, and K comes back
 * down once they are under the thresholds again.
 */
export const PUZZLE_ATTACK = {
  /** Failed puzzle checks per second. */
  puzzleFailuresPerSecond: 2,
  /** Failures after the DH stage per second (each cost a Diffie-Hellman computation). */
  failuresAfterDhPerSecond: 1,
  /** Diffie-Hellman computations per second for I2s (about a third of a core with nobleCrypto). */
  dhPerSecond: 100,
  /** Bits added to the configured K while any threshold is exceeded. */
  bits: 9,
} as const;

/** What the `announce` hook sees. */
export type AnnounceContext = {
  /** Our locators, privacy filter already applied (those are never announced). */
  readonly locators: readonly LocalLocator[];
  /** The peer's current locator (to judge link-local reachability). */
  readonly peer: Locator;
};

/**
 * One locator to announce in a LOCATOR_SET, with its P (preferred) bit (RFC 8046 §4) and its
 * Traffic Type (RFC 8046 §4.1; default 0, both signalling and data).
 */
export type Announced = { readonly locator: Locator; readonly preferred: boolean; readonly trafficType?: 0 | 1 | 2 };

/** What the `authorizeRegistration` hook sees: one requested registration (RFC 8003 §3.3). */
export type RegistrationRequest = {
  /** The requester's HIT, authenticated by the I2 or UPDATE that carried the request. */
  readonly requester: Hit;
  /** The registration type asked for (one this registrar offers). */
  readonly regType: number;
  /** config.registrationAllowList. */
  readonly allowList: readonly Hit[];
};

/** The `authorizeRegistration` answer: grant, or refuse with a Failure Type (RFC 8003 §4.5). */
export type RegistrationVerdict = { readonly grant: true } | { readonly grant: false; readonly failureType: number };

/**
 * Policy hooks (`EngineOptions.policy`, any subset) for the choices the RFCs leave to local
 * policy; the engine enforces every MUST after each hook. Defaults: {@link DEFAULT_POLICY}.
 */
export type EnginePolicy = {
  /**
   * Puzzle difficulty K (RFC 7401 §4.1.1: "The Responder SHOULD use heuristics to determine when
   * it is under a denial-of-service attack, and set the puzzle difficulty value #K
   * appropriately"). It sets the K of the next R1, and the least K an I2's solution must have:
   * an I2 that answers an R1 sent before K was raised is refused at the puzzle check. The engine
   * keeps the result within 0..8 × RHASH length. Default: the configured K, plus one bit per
   * eighth of the half-open budget in use (at most 8); and at least configured + 9 while any
   * PUZZLE_ATTACK threshold is exceeded (failed puzzles, failures after DH, DH load).
   */
  readonly puzzleDifficulty: (load: PuzzleLoad, configuredK: number) => number;
  /**
   * The R1 budget of one source address (RFC 7401 §6.7: "An R1 packet sender MUST have a
   * mechanism to rate-limit R1 packets sent to an address"; §8 reflection). `configured` is
   * config.r1PerSourcePerSecond / r1PerSourceBurst. The engine keeps the result finite and
   * always applies the engine-wide budget (config.r1PerSecond / r1Burst) as well. Default: the
   * configured budget for every source.
   */
  readonly r1SourceBudget: (ctx: { readonly src: Locator; readonly configured: R1Budget }) => R1Budget;
  /**
   * Which of our locators to announce to a peer, and which carry the P bit (RFC 8047 §5.1,
   * RFC 8046 §5.2). Default: never multicast, broadcast, unspecified or loopback; link-local
   * only when the peer's address is link-local too (same link); one preferred locator per address
   * family and Traffic Type (the P bit's scope, RFC 8046 §4.1): the one the caller flagged, else
   * the first that is not a tunnel; each locator with the Traffic Type the caller gave it.
   */
  readonly announce: (ctx: AnnounceContext) => readonly Announced[];
  /**
   * Which SA a type 0 peer locator serves (RFC 8047 §5.2: local policy). Return an SPI (the peer's
   * inbound SPI of one pair) or undefined for "any SA". Default: the SA of the UPDATE's ESP_INFO,
   * else any.
   */
  readonly bindType0Locator: (ctx: { readonly address: Locator; readonly espInfoSpi: number | undefined; readonly peerSpis: readonly number[] }) => number | undefined;
  /**
   * Among several ACTIVE peer locators when the preferred one is not usable (RFC 8047 §5.4 case 3:
   * "randomly or according to policy"). Default: keep the current one if it is ACTIVE, else the
   * first ACTIVE of the same address family, else the first ACTIVE.
   */
  readonly choosePeerLocator: (ctx: { readonly active: readonly PeerLocator[]; readonly current: Locator }) => PeerLocator;
  /**
   * SA affinity (RFC 8047 §4.3: "Each physical interface SHOULD have a separate SA, unless the
   * ESP anti-replay window is extended or disabled"). Asked for each named interface
   * (`LocalLocator.interface`) that no SA pair uses yet; true sets one up (ESP_INFO with OLD SPI
   * 0). Default: true. Return false when the data plane's replay window is wide enough to share.
   */
  readonly saPerInterface: (ctx: { readonly interface: string; readonly locator: Locator }) => boolean;
  /**
   * Who may register for what (RFC 8003 §3.3: "If the registrar knows the Host Identities (HIs)
   * of all the hosts that are allowed to register for service(s), it SHOULD reject
   * registrations from unknown hosts"). Asked only for a type this registrar offers, inside an
   * authenticated association; the engine still applies the registration limits after it.
   * Default: grant the HITs of config.registrationAllowList, refuse anyone else with Failure
   * Type 0 (additional credentials required).
   */
  readonly authorizeRegistration: (req: RegistrationRequest) => RegistrationVerdict;
  /**
   * The relay budget of one rendezvous client (RFC 8004 §5: an RVS limits what it relays).
   * `configured` is config.rvsRelayPerSecond / rvsRelayBurst; the engine keeps the result finite
   * and at most the configured one. Default: the configured budget for every client.
   */
  readonly rvsRelayBudget: (ctx: { readonly client: Hit; readonly src: Locator; readonly configured: R1Budget }) => R1Budget;
  /**
   * The relay budget of one Control Relay Client (RFC 9028 §7.6), both directions together.
   * `configured` is config.controlRelayPerSecond / controlRelayBurst; the engine keeps the result
   * finite and at most the configured one. Default: the configured budget for every client.
   */
  readonly controlRelayBudget: (ctx: { readonly client: Hit; readonly src: Locator; readonly configured: R1Budget }) => R1Budget;
  /**
   * Whether the `retries`-th retransmission of an unacknowledged UPDATE also goes to the peer's
   * rendezvous servers (RFC 8046 §3.2.3 step 1: "The host MAY try to use the peer's RVS before it
   * has tried UPDATE_RETRY_MAX times to the last working address ... The aggressiveness ... is a
   * policy choice"). Asked only when the peer has a known RVS. Default: from the first
   * retransmission on, in parallel with the retries to the last working address.
   */
  readonly updateViaRvs: (ctx: { readonly retries: number; readonly retriesMax: number; readonly rvs: readonly Locator[] }) => boolean;
  /**
   * Which kinds of candidate to gather and announce to a peer in an ICE-HIP-UDP exchange (RFC
   * 9028 §4.2: host candidates, and server-reflexive ones from a Control Relay Server; RFC 8445
   * §5.1.1 leaves which to gather to the agent, e.g. no host candidates for privacy). Peer-
   * reflexive candidates are learned from checks, never gathered. Default: every kind.
   */
  readonly gatherCandidates: (ctx: { readonly peer: Locator }) => readonly CandidateKind[];
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The default of every {@link EnginePolicy} hook. */
export const DEFAULT_POLICY: EnginePolicy = {
  puzzleDifficulty: (load, k) => {
    const halfOpenBits = Math.min(8, Math.floor((8 * load.halfOpen) / Math.max(1, load.maxHalfOpen)));
    const attack =
      load.puzzleFailuresPerSecond >= PUZZLE_ATTACK.puzzleFailuresPerSecond ||
      load.failuresAfterDhPerSecond >= PUZZLE_ATTACK.failuresAfterDhPerSecond ||
      load.dhPerSecond >= PUZZLE_ATTACK.dhPerSecond;
    return k + (attack ? Math.max(halfOpenBits, PUZZLE_ATTACK.bits) : halfOpenBits);
  },
  r1SourceBudget: ({ configured }) => configured,
  announce: ({ locators, peer }) => {
    const peerLinkLocal = locatorRange(peer) === 'linkLocal';
    const usable = locators.filter((l) => {
      const r = locatorRange(l.address);
      if (r === 'multicast' || r === 'broadcast' || r === 'unspecified' || r === 'loopback') return false;
      return r !== 'linkLocal' || peerLinkLocal;
    });
    const preferred = new Set<LocalLocator>();
    for (const family of ['ipv4', 'ipv6'] as const) {
      for (const traffic of [0, 1, 2] as const) {
        const of = usable.filter((l) => locatorFamily(l.address) === family && (l.trafficType ?? 0) === traffic);
        const pick = of.find((l) => l.preferred && !l.tunnel) ?? of.find((l) => l.preferred) ?? of.find((l) => !l.tunnel) ?? of[0];
        if (pick) preferred.add(pick);
      }
    }
    return usable.map((l) => ({ locator: l.address, preferred: preferred.has(l), ...(l.trafficType ? { trafficType: l.trafficType } : {}) }));
  },
  bindType0Locator: ({ espInfoSpi }) => espInfoSpi,
  saPerInterface: () => true,
  authorizeRegistration: ({ requester, allowList }) =>
    allowList.some((h) => sameBytes(h, requester)) ? { grant: true } : { grant: false, failureType: 0 },
  rvsRelayBudget: ({ configured }) => configured,
  controlRelayBudget: ({ configured }) => configured,
  updateViaRvs: ({ retries }) => retries >= 1,
  gatherCandidates: () => ['host', 'srflx', 'relayed'],
  choosePeerLocator: ({ active, current }) =>
    active.find((a) => sameBytes(a.locator, current)) ??
    active.find((a) => locatorFamily(a.locator) === locatorFamily(current)) ??
    active[0]!,
};
