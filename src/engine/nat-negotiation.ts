// NAT traversal mode and connectivity check pacing negotiation in the base exchange (RFC 9028
// §4.3, §4.4). The Responder offers its modes and its minimum Ta in R1 (one signed template for
// every Initiator, r1.ts); the Initiator picks one mode from that offer and names it, with its own
// Ta, in I2; both then use the higher of the two Ta values. A host that negotiates and finds no
// common mode sends NOTIFY NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER and aborts the exchange (§4.3).
import { NAT_MODE } from '../wire/constants.js';
import { param } from '../wire/access.js';
import type { HipPacket, ParamInit } from '../wire/types.js';
import type { EngineCore } from './context.js';
import { REG_TYPE_RELAY_UDP_HIP } from './reg-types.js';

/** A NAT traversal mode this engine can run (RFC 9028 §5.4 Table 1). */
export type NatMode = 'udp-encapsulation' | 'ice-hip-udp';

/** What the base exchange settled on (RFC 9028 §4.3, §4.4), kept on the association. */
export type NatNegotiated = {
  readonly mode: NatMode;
  /** The pacing both hosts use: the higher of the two minimum Ta values, in milliseconds (§4.4). */
  readonly taMs: number;
};

/** RFC 9028 §4.4: "If a host does not include the TRANSACTION_PACING parameter ... 50 ms MUST be used". */
export const DEFAULT_TA_MS = 50;

/** RFC 9028 §5.4: "a recipient MUST be prepared to handle ... more than six Mode IDs by accepting the first six". */
const MAX_MODE_IDS = 6;

/**
 * Our modes, most preferred first (§5.4: "The modes MUST be in preference order"). UDP
 * encapsulation without checks is what a UDP association already does (§5.1, §5.11), so it is
 * offered second; ICE-STUN-UDP (RFC 5770) is not implemented.
 */
function ourModes(core: EngineCore, relayed: boolean): readonly number[] {
  // RFC 9028 §4.5: a base exchange through a Control Relay Server runs ICE-HIP-UDP, whatever
  // config.natTraversal says (a MUST on both ends, enforced after the config): step 3 "The
  // Responder MUST include ICE-HIP-UDP in the NAT traversal modes", step 5 "The I2 packet MUST
  // also contain a NAT traversal mode parameter that includes ICE-HIP-UDP mode". Since the I2
  // must choose it, offering UDP-ENCAPSULATION there too would offer a choice we then refuse.
  if (relayed) return RELAYED_MODES;
  return core.config.natTraversal === 'ice-hip-udp' ? CONFIGURED_MODES : [];
}

/**
 * The modes our R1 offers (and so the ones an I2 may name). A Control Relay Server (a registrar
 * offering RELAY_UDP_HIP) is in public address space, and RFC 9028 §4.3 says "the Relay Server
 * SHOULD propose the UDP-ENCAPSULATION mode as the preferred or only mode": it offers only that
 * one in a direct base exchange, so no connectivity checks run between it and its clients
 * (§4.7.1: "When UDP-ENCAPSULATION mode is chosen ... the connectivity checks ... MUST NOT be
 * used"); "only", since an Initiator chooses by its own preference (§4.3 step 3).
 */
function offeredModes(core: EngineCore, relayed: boolean): readonly number[] {
  const modes = ourModes(core, relayed);
  if (!relayed && modes.length > 0 && core.registrar?.offer?.includes(REG_TYPE_RELAY_UDP_HIP) === true) return RELAY_SERVER_MODES;
  return modes;
}

const CONFIGURED_MODES: readonly number[] = [NAT_MODE.ICE_HIP_UDP, NAT_MODE.UDP_ENCAPSULATION];
const RELAYED_MODES: readonly number[] = [NAT_MODE.ICE_HIP_UDP];
const RELAY_SERVER_MODES: readonly number[] = [NAT_MODE.UDP_ENCAPSULATION];

function modeName(id: number): NatMode | undefined {
  return id === NAT_MODE.ICE_HIP_UDP ? 'ice-hip-udp' : id === NAT_MODE.UDP_ENCAPSULATION ? 'udp-encapsulation' : undefined;
}

function peerTa(pkt: HipPacket): number {
  return param(pkt, 'TRANSACTION_PACING')?.minTa ?? DEFAULT_TA_MS;
}

/**
 * The R1's NAT_TRAVERSAL_MODE and TRANSACTION_PACING (RFC 9028 §4.3 step 2, §4.4); none when off.
 * `relayed`: the R1 answers an I1 relayed by one of our Control Relay Servers (RELAY_FROM), and
 * offers ICE-HIP-UDP only (§4.5 step 3).
 */
export function r1NatParams(core: EngineCore, relayed = false): ParamInit[] {
  const modes = offeredModes(core, relayed);
  if (modes.length === 0) return [];
  return [
    { kind: 'NAT_TRAVERSAL_MODE', modes },
    { kind: 'TRANSACTION_PACING', minTa: core.config.natMinTaMs },
  ];
}

/** The Initiator's choice from an R1 (RFC 9028 §4.3 step 3). */
export type InitiatorChoice =
  /** No negotiation: we do not do NAT traversal, or the Responder offered no mode (§4.3: the parameter may be ignored). */
  | { readonly ok: true; readonly nat: undefined; readonly params: readonly ParamInit[] }
  | { readonly ok: true; readonly nat: NatNegotiated; readonly params: readonly ParamInit[] }
  /** The Responder offered modes, none of them ours. */
  | { readonly ok: false; readonly relayed: false }
  /**
   * A relayed R1 (RELAY_TO) that does not offer ICE-HIP-UDP: the I2 cannot meet RFC 9028 §4.5
   * step 5. RELAY_TO is not signed, so the caller drops the R1 rather than fail on it.
   */
  | { readonly ok: false; readonly relayed: true };

/**
 * Picks the mode for the I2 from the R1's offer: the first of our modes, in our preference order,
 * among the first six the Responder lists (§5.4). The I2 names it and our Ta, never below the
 * Responder's ("The Initiator MUST NOT propose a smaller value than what the Responder offered",
 * §4.4). An R1 that came through a Control Relay Server (RELAY_TO, or RELAY_FROM from our own
 * relay) must be answered with ICE-HIP-UDP (§4.5 step 5).
 */
export function chooseFromR1(core: EngineCore, r1: HipPacket, relayed = false): InitiatorChoice {
  const ours = ourModes(core, relayed);
  const offer = param(r1, 'NAT_TRAVERSAL_MODE');
  if (relayed && !offer) return { ok: false, relayed: true };
  if (ours.length === 0 || !offer) return { ok: true, nat: undefined, params: [] };
  const offered = offer.modes.slice(0, MAX_MODE_IDS);
  const chosen = ours.find((m) => offered.includes(m));
  if (chosen === undefined) return relayed ? { ok: false, relayed: true } : { ok: false, relayed: false };
  const taMs = Math.max(core.config.natMinTaMs, peerTa(r1));
  return {
    ok: true,
    nat: { mode: modeName(chosen)!, taMs },
    params: [
      { kind: 'NAT_TRAVERSAL_MODE', modes: [chosen] },
      { kind: 'TRANSACTION_PACING', minTa: taMs },
    ],
  };
}

/** The Responder's reading of an I2 (RFC 9028 §4.3 step 4). */
export type ResponderAccept = { readonly ok: true; readonly nat: NatNegotiated | undefined } | { readonly ok: false };

/**
 * Accepts the mode an I2 names: exactly one Mode ID, one we offered in R1. An I2 without the
 * parameter declined NAT traversal. An I2 that names a mode we did not offer (or several) gets
 * NOTIFY NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER from the caller (§4.3: "the Responder SHOULD reply
 * with a NOTIFY ... and abort the base exchange"). A relayed I2 (RELAY_FROM from our Control
 * Relay Server) answers an R1 that offered ICE-HIP-UDP only and "MUST also contain a NAT
 * traversal mode parameter that includes ICE-HIP-UDP mode" (§4.5 step 5): one without it, or
 * naming another mode, is refused the same way.
 */
export function acceptFromI2(core: EngineCore, i2: HipPacket, relayed = false): ResponderAccept {
  const chosen = param(i2, 'NAT_TRAVERSAL_MODE');
  if (!chosen) return relayed ? { ok: false } : { ok: true, nat: undefined };
  const id = chosen.modes[0];
  if (chosen.modes.length !== 1 || id === undefined || !offeredModes(core, relayed).includes(id)) return { ok: false };
  return { ok: true, nat: { mode: modeName(id)!, taMs: Math.max(core.config.natMinTaMs, peerTa(i2)) } };
}
