// Policy hooks: where the RFCs leave a choice to local policy, the engine asks a typed hook with
// a sensible default (DESIGN Part B closing paragraph). Every default is documented here.
import { locatorFamily, locatorRange } from '../addr/locator.js';
import type { LocalLocator, Locator, PeerLocator } from '../types.js';

/** What the `puzzleDifficulty` hook sees: how many associations are half open. */
export type PuzzleLoad = {
  /** Associations not yet ESTABLISHED. */
  readonly halfOpen: number;
  readonly maxHalfOpen: number;
};

/** What the `announce` hook sees. */
export type AnnounceContext = {
  /** Our locators, privacy filter already applied (those are never announced). */
  readonly locators: readonly LocalLocator[];
  /** The peer's current locator (to judge link-local reachability). */
  readonly peer: Locator;
};

/** One locator to announce in a LOCATOR_SET, with its P (preferred) bit (RFC 8046 §4). */
export type Announced = { readonly locator: Locator; readonly preferred: boolean };

/**
 * Policy hooks (`EngineOptions.policy`, any subset) for the choices the RFCs leave to local
 * policy; the engine enforces every MUST after each hook. Defaults: {@link DEFAULT_POLICY}.
 */
export type EnginePolicy = {
  /**
   * Puzzle difficulty K for the next R1 (RFC 7401 §4.1.1: the Responder raises K under load).
   * Default: the configured K, plus one bit per eighth of the half-open budget in use, capped at
   * configured + 8.
   */
  readonly puzzleDifficulty: (load: PuzzleLoad, configuredK: number) => number;
  /**
   * Which of our locators to announce to a peer, and which carry the P bit (RFC 8047 §5.1,
   * RFC 8046 §5.2). Default: never multicast, broadcast, unspecified or loopback; link-local
   * only when the peer's address is link-local too (same link); one preferred locator per address
   * family: the one the caller flagged, else the first that is not a tunnel.
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
};

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The default of every {@link EnginePolicy} hook. */
export const DEFAULT_POLICY: EnginePolicy = {
  puzzleDifficulty: (load, k) => k + Math.min(8, Math.floor((8 * load.halfOpen) / Math.max(1, load.maxHalfOpen))),
  announce: ({ locators, peer }) => {
    const peerLinkLocal = locatorRange(peer) === 'linkLocal';
    const usable = locators.filter((l) => {
      const r = locatorRange(l.address);
      if (r === 'multicast' || r === 'broadcast' || r === 'unspecified' || r === 'loopback') return false;
      return r !== 'linkLocal' || peerLinkLocal;
    });
    const preferred = new Set<LocalLocator>();
    for (const family of ['ipv4', 'ipv6'] as const) {
      const of = usable.filter((l) => locatorFamily(l.address) === family);
      const pick = of.find((l) => l.preferred && !l.tunnel) ?? of.find((l) => l.preferred) ?? of.find((l) => !l.tunnel) ?? of[0];
      if (pick) preferred.add(pick);
    }
    return usable.map((l) => ({ locator: l.address, preferred: preferred.has(l) }));
  },
  bindType0Locator: ({ espInfoSpi }) => espInfoSpi,
  saPerInterface: () => true,
  choosePeerLocator: ({ active, current }) =>
    active.find((a) => sameBytes(a.locator, current)) ??
    active.find((a) => locatorFamily(a.locator) === locatorFamily(current)) ??
    active[0]!,
};
