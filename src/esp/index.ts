// hip-engine/esp: a userspace ESP data plane (RFC 4303, RFC 7402 BEET mode).
//
//   const dp = new EspDataPlane({ random: (n) => crypto.getRandomValues(new Uint8Array(n)) });
//   // engine output { kind: 'sa', op, sa } → op === 'add' ? dp.addSa(sa) : dp.deleteSa(sa.spi, sa.direction, sa.peerHit)
//   const r = dp.protect(peerHit, payload, { nextHeader: 17, flowKey });   // → send r.packet.bytes from r.packet.src to r.packet.dst
//   const p = dp.unprotect(bytes, src, dst);                              // → p.payload from p.peerHit to p.localHit
//   for (let f; (f = dp.pollFeedback()); ) engine.handle(f, now);         // esp-seen, esp-seq-exhausting
export {
  EspDataPlane,
  espSpi,
  ESP_SEQ_MAX,
  DEFAULT_SEQ_SOFT_LIMIT,
  DEFAULT_REPLAY_WINDOW,
  MAX_REPLAY_WINDOW,
  NEXT_HEADER_NONE,
} from './dataplane.js';
export { preferredPath, spreadFlows } from './policy.js';
export { ReplayWindow, type ReplayVerdict } from './replay.js';
export { SUITES as ESP_SUITE_INFO, type EspSuiteInfo } from './suites.js';
export {
  ESP_DROP_REASONS,
  type AddSaOptions,
  type EspDataPlaneOptions,
  type EspDropCounts,
  type EspDropReason,
  type EspFeedback,
  type EspPacket,
  type EspPathStats,
  type EspSaStats,
  type EspStats,
  type OutboundPolicy,
  type OutboundPolicyContext,
  type OutboundSaView,
  type ProtectOptions,
  type ProtectResult,
  type UnprotectResult,
} from './types.js';
