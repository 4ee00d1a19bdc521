// hip-engine/esp: a userspace ESP data plane (RFC 4303, RFC 7402 BEET mode).
//
//   const dp = new EspDataPlane({ random: (n) => crypto.getRandomValues(new Uint8Array(n)) });
//   // engine output { kind: 'sa', op, sa } → op === 'add' ? dp.addSa(sa) : dp.deleteSa(sa.spi, sa.direction, sa.peerHit)
//   const r = dp.protect(peerHit, payload, { nextHeader: 17, flowKey });   // → send r.packet.bytes from r.packet.src to r.packet.dst
//   const p = dp.unprotect(bytes, src, dst);                              // → p.payload from p.peerHit to p.localHit
//   for (let f; (f = dp.pollFeedback()); ) engine.handle(f, now);         // esp-seen, esp-seq-exhausting
//   // A TUN-based driver (BEET mode, RFC 7402 Appendix B): IPv6 between HITs ↔ ESP payload
//   const o = beetFromIpv6(tunPacket);  // → dp.protect(o.dstHit, o.payload, { nextHeader: o.nextHeader })
//   const t = beetToIpv6({ srcHit: p.peerHit, dstHit: p.localHit, nextHeader: p.nextHeader, payload: p.payload });
export {
  EspDataPlane,
  espSpi,
  ESP_SEQ_MAX,
  DEFAULT_SEQ_SOFT_LIMIT,
  DEFAULT_REPLAY_WINDOW,
  MAX_REPLAY_WINDOW,
  NEXT_HEADER_NONE,
} from './dataplane.js';
export {
  IPV6_HEADER_LENGTH,
  UPPER_LAYER_CHECKSUM_OFFSET,
  beetFromIpv6,
  beetToIpv6,
  type BeetFromIpv6Error,
  type BeetFromIpv6Options,
  type BeetFromIpv6Result,
  type BeetInnerOptions,
  type BeetInnerPacket,
  type BeetPayload,
} from './beet.js';
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
