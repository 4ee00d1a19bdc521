// Engine configuration: defaults plus noble-style validation that throws once, naming the
// field (DESIGN C3.7). Preference lists are ordered, most preferred first; negotiation
// intersects them with what the crypto provider supports (DESIGN C3.6).
import type { EspSuiteId, Millis } from '../types.js';
import { ESP_SUITE } from '../types.js';
import { DH_GROUP, HIP_CIPHER_ID, HIT_SUITE } from '../wire/constants.js';
import ipaddr from 'ipaddr.js';
import { aint } from '../util/bytes.js';

export type HipConfig = {
  /** First I1 retransmission timeout; doubles on every retry up to `maxRetransmitMs`. */
  readonly i1RetransmitMs: Millis;
  /** I1_RETRIES_MAX (RFC 7401 §4.4.3 Table 3). */
  readonly i1RetriesMax: number;
  readonly i2RetransmitMs: Millis;
  /** I2_RETRIES_MAX (RFC 7401 §4.4.3 Table 4). */
  readonly i2RetriesMax: number;
  readonly updateRetransmitMs: Millis;
  /** UPDATE retransmissions before the association is declared failed (RFC 7401 §6.11). */
  readonly updateRetriesMax: number;
  readonly closeRetransmitMs: Millis;
  readonly maxRetransmitMs: Millis;
  /** Unused Association Lifetime (RFC 7401 §4.4.3 Table 6): no packet for this long → CLOSE. */
  readonly ualMs: Millis;
  /** Maximum Segment Lifetime; CLOSING gives up after UAL+MSL, CLOSED lingers UAL+2MSL (Tables 7, 8). */
  readonly mslMs: Millis;
  /** R2-SENT moves to ESTABLISHED after this long without data or UPDATE (§6.9 step 21). */
  readonly r2SentTimeoutMs: Millis;
  /** How long a failed association stays in E-FAILED before it is discarded (Table 9). */
  readonly eFailedLingerMs: Millis;
  /** "Delta T" of §6.7.1: how often the R1 generation counter advances and R1s are rebuilt. */
  readonly r1RotateMs: Millis;
  /** How many R1 generations before the current one still have their puzzles accepted (§6.9 step 7). */
  readonly r1AcceptGenerations: number;
  /** Puzzle difficulty K this host sets as Responder (RFC 7401 §4.1.1). */
  readonly puzzleK: number;
  /** Largest K this host solves as Initiator; a harder puzzle fails the BEX ('puzzle-too-hard'). */
  readonly maxPuzzleK: number;
  /** PUZZLE Lifetime field: the puzzle lives 2^(value-32) seconds (RFC 7401 §5.2.4). */
  readonly puzzleLifetimeExp: number;
  /** Attempts the solver may make before giving up (bounds CPU per R1). */
  readonly puzzleAttemptBudget: number;
  readonly dhGroups: readonly number[];
  /** HIT suites of HIT_SUITE_LIST, as suite numbers (1, 2, 3, 5), most preferred first. */
  readonly hitSuites: readonly number[];
  readonly hipCiphers: readonly number[];
  readonly espSuites: readonly EspSuiteId[];
  /** Accept and offer authentication-only ESP (suite 7): RFC 7402 §5.1.2 says only by policy. */
  readonly allowAuthOnlyEsp: boolean;
  /** Accept and offer NULL HIP_CIPHER: only when explicitly configured (DESIGN Part A). */
  readonly allowNullHipCipher: boolean;
  /** Accept packets with the A (anonymous) bit set (§6.8 step 9, §6.9 step 17). */
  readonly acceptAnonymous: boolean;
  /** Carry HOST_ID in I2 inside ENCRYPTED (RFC 7401 §5.3.3) rather than in the clear. */
  readonly encryptHostId: boolean;
  /** Cap on associations not yet ESTABLISHED (I1-SENT, I2-SENT, R2-SENT). */
  readonly maxHalfOpen: number;
  /**
   * R1 rate limit per source address, R1s per second and bucket size (RFC 7401 §6.7 MUST, §8).
   * A retransmitting Initiator sends a handful of I1s (1, 2, 4... s apart), well within it; a
   * reflection flood at one victim gets at most this many R1s per second.
   */
  readonly r1PerSourcePerSecond: number;
  readonly r1PerSourceBurst: number;
  /** R1 rate limit over all sources (RFC 7401 §8: "rate-limit the sending of R1 packets in general"). */
  readonly r1PerSecond: number;
  readonly r1Burst: number;
  /**
   * Buckets of the per-source R1 limit: source addresses hash into this many, so the state is
   * fixed (17 bytes each) however many addresses an attacker spoofs.
   */
  readonly r1SourceSlots: number;
  /** NOTIFY sending rate limit: tokens per second and bucket size (RFC 7401 §5.3.6 says rate-limit). */
  readonly notifyPerSecond: number;
  readonly notifyBurst: number;
  /**
   * How long an inbound SA replaced by a rekey keeps accepting packets still in flight
   * (RFC 7402 §6.10 step 4: old SAs go once data arrives on the new one, or after this).
   */
  readonly oldSaGraceMs: Millis;
  /** Most locators kept per peer; a larger LOCATOR_SET is refused (RFC 8046 §6: SHOULD limit). */
  readonly maxPeerLocators: number;
  /** New peer addresses checked per received LOCATOR_SET (each check is one UPDATE). */
  readonly maxChecksPerUpdate: number;
  /** Answer any unsupported locator type with NOTIFY, not only a preferred one (RFC 8046 §5.3: MAY). */
  readonly notifyUnsupportedLocators: boolean;
  /** Lifetime we announce for our locators, seconds; 0xffffffff = unbounded (RFC 8046 §5.1). */
  readonly locatorLifetimeS: number;
  /** UPDATE processing limit per association (RFC 8046 §6, RFC 8047 §6). */
  readonly updatePerSecond: number;
  readonly updateBurst: number;
  /**
   * Privacy filter: address ranges (CIDR text, e.g. "10.0.0.0/8") never announced in a
   * LOCATOR_SET (RFC 8047 §6, RFC 8046 §6.4).
   */
  readonly neverAnnounce: readonly string[];
  /**
   * Data-plane silence (RFC 8047 §4.2.3 fault tolerance, RFC 8046 §5.1 ACTIVE → UNVERIFIED):
   * when no authenticated ESP has come from a peer locator an SA uses for this long, the locator
   * is checked again and traffic moves to another ACTIVE one meanwhile. 0 turns it off (default:
   * HIP has no keepalive, and an idle association is not a failed one).
   */
  readonly silenceMs: Millis;
};

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
  maxPeerLocators: 32,
  maxChecksPerUpdate: 8,
  notifyUnsupportedLocators: true,
  locatorLifetimeS: 0xffffffff,
  updatePerSecond: 20,
  updateBurst: 40,
  neverAnnounce: [],
  silenceMs: 0,
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
  aint(c.maxChecksPerUpdate, 'config.maxChecksPerUpdate', 1, 64);
  aint(c.locatorLifetimeS, 'config.locatorLifetimeS', 1, 0xffffffff);
  aint(c.updateBurst, 'config.updateBurst', 1, 1 << 20);
  if (typeof c.updatePerSecond !== 'number' || !(c.updatePerSecond > 0)) {
    throw new RangeError(`"config.updatePerSecond" expected a number > 0, got ${String(c.updatePerSecond)}`);
  }
  if (!Array.isArray(c.neverAnnounce)) throw new TypeError('"config.neverAnnounce" expected an array of CIDR strings');
  c.neverAnnounce.forEach((cidr, i) => {
    if (typeof cidr !== 'string' || !isCidr(cidr)) throw new TypeError(`"config.neverAnnounce[${i}]" expected CIDR text, got ${JSON.stringify(cidr)}`);
  });
  for (const k of ['allowAuthOnlyEsp', 'allowNullHipCipher', 'acceptAnonymous', 'encryptHostId', 'notifyUnsupportedLocators'] as const) {
    if (typeof c[k] !== 'boolean') throw new TypeError(`"config.${k}" expected boolean, got ${typeof c[k]}`);
  }
  return c;
}
