// Engine configuration: defaults plus noble-style validation that throws once, naming the
// field (docs/architecture.md, Errors). Preference lists are ordered, most preferred first; negotiation
// intersects them with what the crypto provider supports (docs/architecture.md, Clock, randomness and crypto).
import type { EspSuiteId, Hit, Millis } from '../types.js';
import { REG_TYPES } from './reg-types.js';
import { ESP_SUITE } from '../types.js';
import { DH_GROUP, HIP_CIPHER_ID, HIT_SUITE } from '../wire/constants.js';
import ipaddr from 'ipaddr.js';
import { aint } from '../util/bytes.js';

/**
 * Engine configuration (`EngineOptions.config`, any subset): retransmission timing, preference
 * lists, limits. Each field names its RFC section and its default; unset fields take
 * {@link DEFAULT_CONFIG}.
 */
export type HipConfig = {
  /**
   * First I1 retransmission timeout; doubles on every retry up to `maxRetransmitMs` (RFC 7401
   * §4.4.3 Table 3, "Timeout, increment trial counter").
   * @defaultValue 1000
   */
  readonly i1RetransmitMs: Millis;
  /**
   * I1_RETRIES_MAX: I1 retransmissions before E-FAILED (RFC 7401 §4.4.3 Table 3).
   * @defaultValue 4
   */
  readonly i1RetriesMax: number;
  /**
   * First I2 retransmission timeout, doubling as for I1 (RFC 7401 §4.4.3 Table 4, §6.8 step 18).
   * @defaultValue 1000
   */
  readonly i2RetransmitMs: Millis;
  /**
   * I2_RETRIES_MAX: I2 retransmissions before E-FAILED (RFC 7401 §4.4.3 Table 4).
   * @defaultValue 4
   */
  readonly i2RetriesMax: number;
  /**
   * First UPDATE retransmission timeout, doubling (RFC 7401 §6.11: retransmit until ACKed).
   * @defaultValue 1000
   */
  readonly updateRetransmitMs: Millis;
  /**
   * UPDATE retransmissions before the association is declared failed (RFC 7401 §6.11).
   * @defaultValue 6
   */
  readonly updateRetriesMax: number;
  /**
   * First CLOSE retransmission timeout, doubling (RFC 7401 §4.4.3 Table 7).
   * @defaultValue 1000
   */
  readonly closeRetransmitMs: Millis;
  /**
   * Cap of every doubling retransmission timeout (RFC 7401 §6.8 step 18: larger than the
   * worst-case RTT, bounded).
   * @defaultValue 16000
   */
  readonly maxRetransmitMs: Millis;
  /**
   * Unused Association Lifetime: no packet for this long → CLOSE (RFC 7401 §4.4.3 Table 6).
   * @defaultValue 900000
   */
  readonly ualMs: Millis;
  /**
   * Maximum Segment Lifetime; CLOSING gives up after UAL+MSL, CLOSED lingers UAL+2MSL
   * (RFC 7401 §4.4.3 Tables 7, 8).
   * @defaultValue 120000
   */
  readonly mslMs: Millis;
  /**
   * Exchange Complete: R2-SENT moves to ESTABLISHED after this long without data or UPDATE
   * (RFC 7401 §4.4.1, §4.4.3 Table 5, §6.9 step 21).
   * @defaultValue 10000
   */
  readonly r2SentTimeoutMs: Millis;
  /**
   * How long a failed association stays in E-FAILED before it is discarded (RFC 7401 §4.4.3
   * Table 9).
   * @defaultValue 10000
   */
  readonly eFailedLingerMs: Millis;
  /**
   * "Delta T": how often the R1 generation counter advances and R1s are rebuilt (RFC 7401
   * §6.7.1).
   * @defaultValue 60000
   */
  readonly r1RotateMs: Millis;
  /**
   * How many R1 generations before the current one still have their puzzles accepted
   * (RFC 7401 §6.9 step 7).
   * @defaultValue 1
   */
  readonly r1AcceptGenerations: number;
  /**
   * Puzzle difficulty K this host sets as Responder (RFC 7401 §4.1.1); the `puzzleDifficulty`
   * policy hook may raise it under load.
   * @defaultValue 1
   */
  readonly puzzleK: number;
  /**
   * Largest K this host solves as Initiator; a harder puzzle fails the exchange with
   * 'puzzle-too-hard' (RFC 7401 §4.1.1, §6.8 step 17).
   * @defaultValue 28
   */
  readonly maxPuzzleK: number;
  /**
   * PUZZLE Lifetime field: the puzzle lives 2^(value-32) seconds (RFC 7401 §5.2.4).
   * @defaultValue 37
   */
  readonly puzzleLifetimeExp: number;
  /**
   * Attempts the solver may make before giving up, bounding CPU per R1 (RFC 7401 §4.1.1, §6.3).
   * @defaultValue 268435456
   */
  readonly puzzleAttemptBudget: number;
  /**
   * DH groups in preference order: 8 NIST P-384, 7 NIST P-256, 4 MODP 3072, 3 MODP 1536
   * (RFC 7401 §5.2.6, §5.2.7).
   * @defaultValue [8, 7, 4, 3]
   */
  readonly dhGroups: readonly number[];
  /**
   * HIT suites of HIT_SUITE_LIST in preference order: 2 ECDSA/SHA-384, 1 RSA/SHA-256,
   * 3 ECDSA_LOW/SHA-1, 5 EdDSA (RFC 7401 §5.2.10, RFC 9374).
   * @defaultValue [2, 1, 3, 5]
   */
  readonly hitSuites: readonly number[];
  /**
   * HIP_CIPHER suites in preference order: 2 AES-128-CBC, 4 AES-256-CBC (RFC 7401 §5.2.8).
   * @defaultValue [2, 4]
   */
  readonly hipCiphers: readonly number[];
  /**
   * ESP suites in preference order: 8 AES-128-CBC with HMAC-SHA-256, 9 AES-256-CBC with
   * HMAC-SHA-256, 13 AES-GCM with a 16-octet ICV (RFC 7402 §5.1.2).
   * @defaultValue [8, 9, 13]
   */
  readonly espSuites: readonly EspSuiteId[];
  /**
   * Accept and offer authentication-only ESP (suite 7), which RFC 7402 §5.1.2 allows only by
   * explicit policy.
   * @defaultValue false
   */
  readonly allowAuthOnlyEsp: boolean;
  /**
   * Accept and offer the NULL HIP_CIPHER, which RFC 7401 §5.2.8 reserves for debugging.
   * @defaultValue false
   */
  readonly allowNullHipCipher: boolean;
  /**
   * Accept packets with the A (anonymous) bit set (RFC 7401 §6.8 step 9, §6.9 step 17).
   * @defaultValue false
   */
  readonly acceptAnonymous: boolean;
  /**
   * Carry HOST_ID in I2 inside ENCRYPTED rather than in the clear (RFC 7401 §5.3.3).
   * @defaultValue false
   */
  readonly encryptHostId: boolean;
  /**
   * Cap on associations not yet ESTABLISHED (I1-SENT, I2-SENT, R2-SENT), against state
   * exhaustion (RFC 7401 §4.1.1 on DoS protection).
   * @defaultValue 1024
   */
  readonly maxHalfOpen: number;
  /**
   * R1 rate limit per source address, R1s per second (RFC 7401 §6.7 MUST, §8). A retransmitting
   * Initiator sends a handful of I1s (1, 2, 4... s apart), well within it; a reflection flood at
   * one victim gets at most this many R1s per second.
   * @defaultValue 5
   */
  readonly r1PerSourcePerSecond: number;
  /**
   * Bucket size of the per-source R1 rate limit (RFC 7401 §6.7, §8).
   * @defaultValue 10
   */
  readonly r1PerSourceBurst: number;
  /**
   * R1 rate limit over all sources, R1s per second (RFC 7401 §8: "rate-limit the sending of R1
   * packets in general").
   * @defaultValue 500
   */
  readonly r1PerSecond: number;
  /**
   * Bucket size of the total R1 rate limit (RFC 7401 §8).
   * @defaultValue 1000
   */
  readonly r1Burst: number;
  /**
   * Buckets of the per-source R1 limit: source addresses hash into this many, so the state is
   * fixed (17 bytes each) however many addresses an attacker spoofs (RFC 7401 §8).
   * @defaultValue 4096
   */
  readonly r1SourceSlots: number;
  /**
   * NOTIFY sending rate limit, tokens per second (RFC 7401 §5.3.6: a host MUST be able to
   * rate-limit NOTIFYs).
   * @defaultValue 10
   */
  readonly notifyPerSecond: number;
  /**
   * NOTIFY rate limit bucket size (RFC 7401 §5.3.6).
   * @defaultValue 20
   */
  readonly notifyBurst: number;
  /**
   * How long an inbound SA replaced by a rekey keeps accepting packets still in flight
   * (RFC 7402 §6.10 step 4: old SAs go once data arrives on the new one, or after this).
   * @defaultValue 5000
   */
  readonly oldSaGraceMs: Millis;
  /**
   * Our UDP port for associations that run over UDP (RFC 9028 §5.1: a Responder SHOULD listen
   * on 10500); the I1 of `connect({ udpPort })` goes from it.
   * @defaultValue 10500
   */
  readonly udpPort: number;
  /**
   * NAT traversal (RFC 9028 §4.3): "ice-hip-udp" offers ICE-HIP-UDP, then UDP-ENCAPSULATION, in
   * NAT_TRAVERSAL_MODE with TRANSACTION_PACING in R1, and as Initiator chooses from the
   * Responder's offer in I2. "none" neither offers nor chooses a mode (the parameter is
   * non-critical, so a peer that offers one just sees it ignored) and refuses an I2 that
   * chooses one. A base exchange through a Control Relay Server runs ICE-HIP-UDP whatever this
   * says, since RFC 9028 §4.5 makes it a MUST on both ends: the Responder answering an I1 that
   * came with RELAY_FROM "MUST include ICE-HIP-UDP in the NAT traversal modes" (its R1 then
   * offers ICE-HIP-UDP only, from a second signed template), and the Initiator's I2 to an R1
   * that came with RELAY_TO "MUST also contain a NAT traversal mode parameter that includes
   * ICE-HIP-UDP mode" (a relayed R1 that does not offer it is dropped, `no-common-nat-mode`, and
   * the I1 is retried). So registering with a Control Relay Server needs no setting here: being
   * reached through it means ICE-HIP-UDP (candidates, connectivity checks) on that association.
   * A Control Relay Server (`registrarTypes` with RELAY_UDP_HIP) with "ice-hip-udp" offers only
   * UDP-ENCAPSULATION in its own base exchanges (RFC 9028 §4.3: "the Relay Server SHOULD
   * propose the UDP-ENCAPSULATION mode as the preferred or only mode").
   * @defaultValue "none"
   */
  readonly natTraversal: 'none' | 'ice-hip-udp';
  /**
   * Our minimum connectivity check pacing Ta in milliseconds, offered in TRANSACTION_PACING
   * (RFC 9028 §4.4: "if no value is configured, a value of 50 ms MUST be used", and never below
   * 5 ms; Appendix A: at most one check per RTT). Both hosts use the higher of the two offers.
   * @defaultValue 50
   */
  readonly natMinTaMs: Millis;
  /**
   * Tr, the NAT keepalive period of an association over UDP (RFC 9028 §4.10: "every 15 seconds
   * ... a Tr value smaller than 15 seconds MUST NOT be used"): NOTIFY NAT_KEEPALIVE goes out when
   * nothing else of ours has for this long (§5.3).
   * @defaultValue 15000
   */
  readonly natKeepaliveMs: Millis;
  /**
   * Most ICE-HIP-UDP candidate pairs checked per association, the highest-priority ones (RFC 9028
   * §4.6.2: "it is RECOMMENDED to restrict the total number of connectivity checks to 100 for
   * each host association").
   * @defaultValue 100
   */
  readonly natMaxCandidatePairs: number;
  /**
   * Most ICE-HIP-UDP connectivity checks of one association unanswered at a time; with the Ta
   * pacing (§4.4) this bounds what one association sends towards unverified transport addresses
   * (RFC 9028 §7.6, §7.7: amplification).
   * @defaultValue 8
   */
  readonly natMaxChecksInFlight: number;
  /**
   * How long a host whose locators changed waits for its Control Relay Servers to answer the
   * UPDATE with its new locators (and so tell it its new server-reflexive address in REG_FROM)
   * before it announces its candidates to its ICE-HIP-UDP peers without the answer of a server
   * that did not respond (RFC 9028 §4.9: "wait for all of them to respond for a configurable
   * time, by default two minutes").
   * @defaultValue 120000
   */
  readonly natRelayRefreshWaitMs: Millis;
  /**
   * Whether loopback addresses may be ICE-HIP-UDP host candidates. RFC 8445 §5.1.1.1 (which RFC
   * 9028 §4.2 follows): "Addresses from a loopback interface MUST NOT be included in the candidate
   * addresses", and the engine drops them whatever the `announce` hook returns. `true` is only for
   * a test bench on one machine, where loopback is the only network the hosts share (`hip-engine
   * live` bound to 127.0.0.x uses it).
   * @defaultValue false
   */
  readonly natLoopbackCandidates: boolean;
  /**
   * Most locators kept per peer; a larger LOCATOR_SET is refused (RFC 8046 §6: SHOULD limit).
   * @defaultValue 32
   */
  readonly maxPeerLocators: number;
  /**
   * New peer addresses whose check starts at once when a LOCATOR_SET arrives, each check one
   * UPDATE (RFC 8046 §5.4, §6). Every other new address is still checked (§5.4 MUST): it waits
   * in the queue until a check of this peer completes (`maxOutstandingChecks`).
   * @defaultValue 8
   */
  readonly maxChecksPerUpdate: number;
  /**
   * Check packets (the UPDATE with ECHO_REQUEST_SIGNED and its retransmissions) sent to one
   * unverified address before it is given up as unreachable and DEPRECATED (RFC 8046 §5.4,
   * §6.2.1: an address that never answers must not turn the checks into a flood of a victim).
   * @defaultValue 3
   */
  readonly maxChecksPerAddress: number;
  /**
   * Address checks of one peer under way at once; further checks are queued and start as earlier
   * ones complete (RFC 8046 §6.2.1, RFC 4225: bounds the traffic a hostile peer can redirect).
   * @defaultValue 8
   */
  readonly maxOutstandingChecks: number;
  /**
   * How long a DEPRECATED peer locator stays in the table before it ages out (RFC 8046 §5.1,
   * §6.2.2); the table of one peer also never exceeds `maxPeerLocators`, the oldest DEPRECATED
   * entries going first.
   * @defaultValue 120000
   */
  readonly deprecatedLocatorMs: Millis;
  /**
   * Answer any unsupported locator type with NOTIFY, not only a preferred one (RFC 8046 §5.3:
   * MAY).
   * @defaultValue true
   */
  readonly notifyUnsupportedLocators: boolean;
  /**
   * Lifetime we announce for our locators, in seconds (RFC 8046 §4, §5.1); 0xffffffff is
   * unbounded. A finite lifetime lets a peer forget addresses of ours that went away silently;
   * the engine tracks what it announced and sends a fresh LOCATOR_SET when half of it has run
   * out, so a peer never sees addresses that did not change become DEPRECATED.
   * @defaultValue 3600
   */
  readonly locatorLifetimeS: number;
  /**
   * UPDATE processing limit per association, tokens per second (RFC 8046 §6, RFC 8047 §6).
   * @defaultValue 20
   */
  readonly updatePerSecond: number;
  /**
   * UPDATE processing limit bucket size (RFC 8046 §6, RFC 8047 §6).
   * @defaultValue 40
   */
  readonly updateBurst: number;
  /**
   * Privacy filter: address ranges (CIDR text, e.g. "10.0.0.0/8") never announced in a
   * LOCATOR_SET (RFC 8047 §6, RFC 8046 §6.4).
   * @defaultValue []
   */
  readonly neverAnnounce: readonly string[];
  /**
   * Data-plane silence (RFC 8047 §4.2.3 fault tolerance, RFC 8046 §5.1 ACTIVE → UNVERIFIED):
   * when no authenticated ESP has come from a peer locator an SA uses for this long, the locator
   * is checked again and traffic moves to another ACTIVE one meanwhile. 0 turns it off: HIP has
   * no keepalive, and an idle association is not a failed one.
   * @defaultValue 0
   */
  readonly silenceMs: Millis;
  /**
   * Registration types this host offers as a registrar, announced in REG_INFO in every R1
   * (RFC 8003 §3.1); each must be a row of the registration type table (`REG_TYPES`). Empty: not
   * a registrar (no REG_INFO; every REG_REQUEST is refused with Failure Type 1).
   * @defaultValue []
   */
  readonly registrarTypes: readonly number[];
  /**
   * The registrar's minimum registration lifetime in seconds, announced in REG_INFO (RFC 8003
   * §4.2; §5: at least 10 s MUST be supported). A shorter request is granted this long (§4.3).
   * @defaultValue 10
   */
  readonly registrationMinLifetimeS: number;
  /**
   * The registrar's maximum registration lifetime in seconds (RFC 8003 §4.2; §5: at least 120 s
   * SHOULD be supported). A longer request is granted this long (§4.3).
   * @defaultValue 3600
   */
  readonly registrationMaxLifetimeS: number;
  /**
   * The HITs the default `authorizeRegistration` policy lets register (RFC 8003 §3.3: a registrar
   * that knows the Host Identities allowed "SHOULD reject registrations from unknown hosts").
   * Anyone else gets REG_FAILED with Failure Type 0 (additional credentials required).
   * @defaultValue []
   */
  readonly registrationAllowList: readonly Hit[];
  /**
   * Most registrations one requester (one association) may hold with this registrar; a request
   * past it is refused with Failure Type 2, insufficient resources (RFC 8003 §4.5, §6).
   * @defaultValue 4
   */
  readonly maxRegistrationsPerRequester: number;
  /**
   * Most registrations this registrar holds in total; past it, Failure Type 2 (RFC 8003 §6:
   * registrars "may cancel registrations ... during an attack" and must bound their state).
   * @defaultValue 65536
   */
  readonly maxRegistrations: number;
  /**
   * The lifetime in seconds this host asks for as a requester (REG_REQUEST, RFC 8003 §4.3),
   * kept within the registrar's announced minimum and maximum (§4.2 SHOULD NOT). The
   * registration is refreshed at 80% of the granted lifetime (`REFRESH_FRACTION`).
   * @defaultValue 600
   */
  readonly registrationLifetimeS: number;
  /**
   * Relayed packets per second the default `rvsRelayBudget` policy allows per rendezvous
   * client (RFC 8004 §5: an RVS rate-limits what it relays, so it cannot be used to flood a
   * client). Each client's budget is a token bucket kept with its registration.
   * @defaultValue 20
   */
  readonly rvsRelayPerSecond: number;
  /**
   * Bucket size of the relay budget of one rendezvous client (RFC 8004 §5).
   * @defaultValue 40
   */
  readonly rvsRelayBurst: number;
  /**
   * Packets per second the default `controlRelayBudget` policy lets a Control Relay Server relay
   * for one RELAY_UDP_HIP client, both directions together (RFC 9028 §7.6: a relay must not be a
   * flood amplifier; as RFC 8004 §5 for an RVS). A token bucket kept with the registration.
   * @defaultValue 20
   */
  readonly controlRelayPerSecond: number;
  /**
   * Bucket size of one Control Relay Client's relay budget (RFC 9028 §7.6).
   * @defaultValue 40
   */
  readonly controlRelayBurst: number;
  /**
   * Base exchange replay protection at a Control Relay Server (RFC 9028 §7.3: "The Control Relay
   * Server can protect itself against replay attacks by becoming involved in the base exchange by
   * introducing nonces that the end hosts (Initiator and Responder) are required to sign"). When
   * true, the relay adds an ECHO_REQUEST_UNSIGNED nonce to every R1 and I2 it relays and relays
   * an I2 or R2 only if it echoes a fresh nonce of ours in ECHO_RESPONSE_SIGNED (covered by the
   * sender's HIP_SIGNATURE); the nonce is stateless (an HMAC of the HITs and the time window) and
   * stays fresh for `r1RotateMs` × (`r1AcceptGenerations` + 1). hip-engine end hosts always sign
   * such nonces on a relayed exchange; §7.3 is a "can", not a requirement, and other
   * implementations may only answer with ECHO_RESPONSE_UNSIGNED (RFC 7401 §5.2.21), so it is off
   * by default.
   * @defaultValue false
   */
  readonly controlRelayReplayNonces: boolean;
};

/** The defaults of every {@link HipConfig} field. */
export const DEFAULT_CONFIG: HipConfig = {
  i1RetransmitMs: 1000,
  i1RetriesMax: 4,
  i2RetransmitMs: 1000,
  i2RetriesMax: 4,
  updateRetransmitMs: 1000,
  updateRetriesMax: 6,
  closeRetransmitMs: 1000,
  maxRetransmitMs: 16_000,
  ualMs: 15 * 60_000,
  mslMs: 2 * 60_000,
  r2SentTimeoutMs: 10_000,
  eFailedLingerMs: 10_000,
  r1RotateMs: 60_000,
  r1AcceptGenerations: 1,
  puzzleK: 1,
  maxPuzzleK: 28,
  puzzleLifetimeExp: 37,
  puzzleAttemptBudget: 1 << 28,
  dhGroups: [DH_GROUP.NIST_P384, DH_GROUP.NIST_P256, DH_GROUP.MODP_3072, DH_GROUP.MODP_1536],
  hitSuites: [HIT_SUITE.ECDSA_SHA384, HIT_SUITE.RSA_DSA_SHA256, HIT_SUITE.ECDSA_LOW_SHA1, HIT_SUITE.EDDSA_CSHAKE128],
  hipCiphers: [HIP_CIPHER_ID.AES_128_CBC, HIP_CIPHER_ID.AES_256_CBC],
  espSuites: [ESP_SUITE.AES_128_CBC_HMAC_SHA256, ESP_SUITE.AES_256_CBC_HMAC_SHA256, ESP_SUITE.AES_GCM_16],
  allowAuthOnlyEsp: false,
  allowNullHipCipher: false,
  acceptAnonymous: false,
  encryptHostId: false,
  maxHalfOpen: 1024,
  r1PerSourcePerSecond: 5,
  r1PerSourceBurst: 10,
  r1PerSecond: 500,
  r1Burst: 1000,
  r1SourceSlots: 4096,
  notifyPerSecond: 10,
  notifyBurst: 20,
  oldSaGraceMs: 5_000,
  udpPort: 10500,
  natTraversal: 'none',
  natMinTaMs: 50,
  natKeepaliveMs: 15_000,
  natMaxCandidatePairs: 100,
  natMaxChecksInFlight: 8,
  natRelayRefreshWaitMs: 120_000,
  natLoopbackCandidates: false,
  maxPeerLocators: 32,
  maxChecksPerUpdate: 8,
  maxChecksPerAddress: 3,
  maxOutstandingChecks: 8,
  deprecatedLocatorMs: 120_000,
  notifyUnsupportedLocators: true,
  locatorLifetimeS: 3600,
  updatePerSecond: 20,
  updateBurst: 40,
  neverAnnounce: [],
  silenceMs: 0,
  registrarTypes: [],
  registrationMinLifetimeS: 10,
  registrationMaxLifetimeS: 3600,
  registrationAllowList: [],
  maxRegistrationsPerRequester: 4,
  maxRegistrations: 65536,
  registrationLifetimeS: 600,
  rvsRelayPerSecond: 20,
  rvsRelayBurst: 40,
  controlRelayPerSecond: 20,
  controlRelayBurst: 40,
  controlRelayReplayNonces: false,
};

const MAX_MS = 2 ** 40;

function isCidr(text: string): boolean {
  try {
    ipaddr.parseCIDR(text);
    return true;
  } catch {
    return false;
  }
}

/** Merges `partial` over the defaults and validates every field; throws naming the field. */
export function resolveConfig(partial: Partial<HipConfig> | undefined): HipConfig {
  const c: HipConfig = { ...DEFAULT_CONFIG, ...(partial ?? {}) };
  for (const k of [
    'i1RetransmitMs', 'i2RetransmitMs', 'updateRetransmitMs', 'closeRetransmitMs', 'maxRetransmitMs',
    'ualMs', 'mslMs', 'r2SentTimeoutMs', 'eFailedLingerMs', 'r1RotateMs', 'oldSaGraceMs',
  ] as const) aint(c[k], `config.${k}`, 1, MAX_MS);
  for (const k of ['i1RetriesMax', 'i2RetriesMax', 'updateRetriesMax', 'r1AcceptGenerations'] as const) {
    aint(c[k], `config.${k}`, 0, 1000);
  }
  aint(c.puzzleK, 'config.puzzleK', 0, 255);
  aint(c.maxPuzzleK, 'config.maxPuzzleK', 0, 384);
  aint(c.puzzleLifetimeExp, 'config.puzzleLifetimeExp', 0, 255);
  aint(c.puzzleAttemptBudget, 'config.puzzleAttemptBudget', 1, Number.MAX_SAFE_INTEGER);
  aint(c.maxHalfOpen, 'config.maxHalfOpen', 1, 1 << 30);
  aint(c.notifyBurst, 'config.notifyBurst', 0, 1 << 20);
  aint(c.r1PerSourceBurst, 'config.r1PerSourceBurst', 1, 1 << 20);
  aint(c.r1Burst, 'config.r1Burst', 1, 1 << 24);
  aint(c.r1SourceSlots, 'config.r1SourceSlots', 1, 1 << 20);
  for (const k of ['r1PerSourcePerSecond', 'r1PerSecond'] as const) {
    if (typeof c[k] !== 'number' || !(c[k] > 0) || !Number.isFinite(c[k])) {
      throw new RangeError(`"config.${k}" expected a finite number > 0, got ${String(c[k])}`);
    }
  }
  if (typeof c.notifyPerSecond !== 'number' || !(c.notifyPerSecond >= 0)) {
    throw new RangeError(`"config.notifyPerSecond" expected a number >= 0, got ${String(c.notifyPerSecond)}`);
  }
  for (const k of ['dhGroups', 'hitSuites', 'hipCiphers', 'espSuites'] as const) {
    const list = c[k] as readonly number[];
    if (!Array.isArray(list) || list.length === 0) {
      throw new TypeError(`"config.${k}" expected a non-empty array`);
    }
    list.forEach((v, i) => aint(v, `config.${k}[${i}]`, 1, 0xffff));
  }
  aint(c.silenceMs, 'config.silenceMs', 0, MAX_MS);
  aint(c.maxPeerLocators, 'config.maxPeerLocators', 1, 4096);
  aint(c.udpPort, 'config.udpPort', 1, 0xffff);
  if (c.natTraversal !== 'none' && c.natTraversal !== 'ice-hip-udp') throw new TypeError(`"config.natTraversal" expected "none" or "ice-hip-udp", got ${JSON.stringify(c.natTraversal)}`);
  // RFC 9028 §4.4: "Hosts MUST NOT use values smaller than 5 ms for the minimum Ta".
  aint(c.natMinTaMs, 'config.natMinTaMs', 5, 0xffffffff);
  // RFC 9028 §4.10: "a Tr value smaller than 15 seconds MUST NOT be used".
  aint(c.natKeepaliveMs, 'config.natKeepaliveMs', 15_000, MAX_MS);
  aint(c.natMaxCandidatePairs, 'config.natMaxCandidatePairs', 1, 1000);
  aint(c.natMaxChecksInFlight, 'config.natMaxChecksInFlight', 1, 64);
  aint(c.natRelayRefreshWaitMs, 'config.natRelayRefreshWaitMs', 0, MAX_MS);
  aint(c.maxChecksPerUpdate, 'config.maxChecksPerUpdate', 1, 64);
  aint(c.maxChecksPerAddress, 'config.maxChecksPerAddress', 1, 64);
  aint(c.maxOutstandingChecks, 'config.maxOutstandingChecks', 1, 4096);
  aint(c.deprecatedLocatorMs, 'config.deprecatedLocatorMs', 0, MAX_MS);
  aint(c.locatorLifetimeS, 'config.locatorLifetimeS', 1, 0xffffffff);
  aint(c.updateBurst, 'config.updateBurst', 1, 1 << 20);
  if (typeof c.updatePerSecond !== 'number' || !(c.updatePerSecond > 0)) {
    throw new RangeError(`"config.updatePerSecond" expected a number > 0, got ${String(c.updatePerSecond)}`);
  }
  if (!Array.isArray(c.neverAnnounce)) throw new TypeError('"config.neverAnnounce" expected an array of CIDR strings');
  c.neverAnnounce.forEach((cidr, i) => {
    if (typeof cidr !== 'string' || !isCidr(cidr)) throw new TypeError(`"config.neverAnnounce[${i}]" expected CIDR text, got ${JSON.stringify(cidr)}`);
  });
  for (const k of ['allowAuthOnlyEsp', 'allowNullHipCipher', 'acceptAnonymous', 'encryptHostId', 'notifyUnsupportedLocators', 'natLoopbackCandidates', 'controlRelayReplayNonces'] as const) {
    if (typeof c[k] !== 'boolean') throw new TypeError(`"config.${k}" expected boolean, got ${typeof c[k]}`);
  }
  checkRegistration(c);
  return c;
}

/** The registration fields (RFC 8003, RFC 8004). */
function checkRegistration(c: HipConfig): void {
  if (!Array.isArray(c.registrarTypes)) throw new TypeError('"config.registrarTypes" expected an array of registration types');
  c.registrarTypes.forEach((t, i) => {
    aint(t, `config.registrarTypes[${i}]`, 0, 255);
    if (!REG_TYPES.has(t)) throw new RangeError(`"config.registrarTypes[${i}]" is registration type ${t}, which is not in the registration type table`);
  });
  for (const k of ['registrationMinLifetimeS', 'registrationMaxLifetimeS', 'registrationLifetimeS'] as const) {
    // RFC 8003 §4.1: the encoding spans about 4 ms to about 178 days.
    if (typeof c[k] !== 'number' || !(c[k] > 0) || c[k] > 2 ** (191 / 8)) throw new RangeError(`"config.${k}" expected seconds > 0 and at most ${Math.floor(2 ** (191 / 8))}, got ${String(c[k])}`);
  }
  if (c.registrationMinLifetimeS > c.registrationMaxLifetimeS) throw new RangeError('"config.registrationMinLifetimeS" expected at most config.registrationMaxLifetimeS');
  if (!Array.isArray(c.registrationAllowList)) throw new TypeError('"config.registrationAllowList" expected an array of HITs');
  c.registrationAllowList.forEach((h, i) => {
    if (!(h instanceof Uint8Array) || h.length !== 16) throw new TypeError(`"config.registrationAllowList[${i}]" expected a 16-byte HIT`);
  });
  aint(c.maxRegistrationsPerRequester, 'config.maxRegistrationsPerRequester', 0, 255);
  aint(c.maxRegistrations, 'config.maxRegistrations', 0, 1 << 30);
  aint(c.rvsRelayBurst, 'config.rvsRelayBurst', 1, 1 << 20);
  aint(c.controlRelayBurst, 'config.controlRelayBurst', 1, 1 << 20);
  if (typeof c.controlRelayPerSecond !== 'number' || !(c.controlRelayPerSecond > 0) || !Number.isFinite(c.controlRelayPerSecond)) {
    throw new RangeError(`"config.controlRelayPerSecond" expected a finite number > 0, got ${String(c.controlRelayPerSecond)}`);
  }
  if (typeof c.rvsRelayPerSecond !== 'number' || !(c.rvsRelayPerSecond > 0) || !Number.isFinite(c.rvsRelayPerSecond)) {
    throw new RangeError(`"config.rvsRelayPerSecond" expected a finite number > 0, got ${String(c.rvsRelayPerSecond)}`);
  }
}
