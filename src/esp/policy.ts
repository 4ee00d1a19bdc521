// Default outbound policies: which of a peer's outbound SAs (and so which locator pair) carries
// a packet. RFC 8047 §4.3: traffic may be spread over several SAs, but one flow should stay on
// one SA so that the receiver's anti-replay window is not defeated by reordering across paths.
import type { OutboundPolicy, OutboundSaView } from './types.js';

/**
 * The SA marked with `setPreferred(spi)`, else the most recently installed one (after a rekey
 * the new SA takes over; after a new SA pair for load balancing, the newest path is used).
 */
export const preferredPath: OutboundPolicy = ({ sas }) => {
  let best: OutboundSaView | undefined;
  // An index loop: `sas` is a frozen array, and this runs for every packet.
  for (let i = 0; i < sas.length; i++) {
    const sa = sas[i]!;
    if (sa.preferred) return sa;
    if (best === undefined || sa.installSerial > best.installSerial) best = sa;
  }
  return best;
};

/** FNV-1a over the UTF-16 code units of a string. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** MurmurHash3 finaliser: a good 32-bit avalanche. */
function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Hashes the caller's flow key to pick an SA, so a flow always stays on one SA while distinct
 * flows spread evenly. Uses rendezvous (highest-random-weight) hashing over the SPIs: when an SA
 * is added or removed, only the flows that must move do. Without a flow key it behaves like
 * `preferredPath`.
 */
export const spreadFlows: OutboundPolicy = (ctx) => {
  if (ctx.flowKey === undefined) return preferredPath(ctx);
  const h = fnv1a(ctx.flowKey);
  let best: OutboundSaView | undefined;
  let bestScore = -1;
  for (const sa of ctx.sas) {
    const score = fmix32(h ^ fmix32(sa.spi ^ 0x9e3779b9));
    if (score > bestScore) {
      best = sa;
      bestScore = score;
    }
  }
  return best;
};
