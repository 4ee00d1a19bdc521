// ESP transforms of the RFC 7402 §5.1.2 suites, built on @noble/ciphers and @noble/hashes.
//
// Packet layout (RFC 4303 §2): SPI(4) ‖ Seq(4) ‖ IV ‖ ciphertext ‖ ICV, where the plaintext
// is payload ‖ padding ‖ Pad Length(1) ‖ Next Header(1).
//
// - CBC suites (RFC 3602 + RFC 4868 / RFC 2404): 16-byte random IV from the injected
//   RandomSource; ICV = HMAC over SPI ‖ Seq ‖ IV ‖ ciphertext, truncated (16 bytes for
//   HMAC-SHA-256-128, 12 for HMAC-SHA1-96). Encrypt-then-MAC, so the ICV is verified first.
// - NULL (RFC 2410) + HMAC-SHA-256-128: no IV, the "ciphertext" is the plaintext.
// - AES-GCM (RFC 4106): key material = AES key ‖ 4-byte salt; nonce = salt ‖ 8-byte explicit
//   IV; AAD = SPI ‖ Seq (32-bit sequence numbers); ICV = the GCM tag truncated to 8 or 16
//   bytes. The explicit IV is a per-SA random 4-byte prefix ‖ the 32-bit sequence number, so it
//   never repeats under one key (RFC 4106 §3.1 asks for uniqueness, not unpredictability, and
//   a random 64-bit IV would collide by the birthday bound within 2^32 packets).
//   GCM is assembled from noble's CTR, ECB and GHASH so that 8-byte tags can be verified.
import { cbc, ctr, ecb } from '@noble/ciphers/aes.js';
import { ghash } from '@noble/ciphers/_polyval.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';
import { sha256 } from '@noble/hashes/sha2.js';
import type { EspSuiteId, RandomSource } from '../types.js';
import { ownedCopy } from '../wire/pool.js';

/** Static facts about one ESP suite (RFC 7402 §5.1.2). */
export type EspSuiteInfo = {
  readonly name: string;
  readonly cipher: 'cbc' | 'null' | 'gcm';
  /** Accepted encryption key lengths (for GCM including the 4-byte salt). */
  readonly encKeyLens: readonly number[];
  readonly authKeyLen: number;
  readonly mac: 'sha256' | 'sha1' | undefined;
  readonly ivLen: number;
  readonly icvLen: number;
  /** Ciphertext alignment: the cipher block size, at least 4 (RFC 4303 §2.4). */
  readonly align: number;
};

/**
 * The ESP transforms the data plane implements, by ESP suite id (RFC 7402 §5.1.2, RFC 4303 §2):
 * cipher, key, IV and ICV sizes, and the ciphertext alignment. Exported as `ESP_SUITE_INFO`.
 */
export const SUITES: Readonly<Record<EspSuiteId, EspSuiteInfo>> = {
  1: { name: 'AES-128-CBC with HMAC-SHA1-96', cipher: 'cbc', encKeyLens: [16], authKeyLen: 20, mac: 'sha1', ivLen: 16, icvLen: 12, align: 16 },
  7: { name: 'NULL with HMAC-SHA-256-128', cipher: 'null', encKeyLens: [0], authKeyLen: 32, mac: 'sha256', ivLen: 0, icvLen: 16, align: 4 },
  8: { name: 'AES-128-CBC with HMAC-SHA-256-128', cipher: 'cbc', encKeyLens: [16], authKeyLen: 32, mac: 'sha256', ivLen: 16, icvLen: 16, align: 16 },
  9: { name: 'AES-256-CBC with HMAC-SHA-256-128', cipher: 'cbc', encKeyLens: [32], authKeyLen: 32, mac: 'sha256', ivLen: 16, icvLen: 16, align: 16 },
  12: { name: 'AES-GCM with an 8-octet ICV', cipher: 'gcm', encKeyLens: [20, 28, 36], authKeyLen: 0, mac: undefined, ivLen: 8, icvLen: 8, align: 4 },
  13: { name: 'AES-GCM with a 16-octet ICV', cipher: 'gcm', encKeyLens: [20, 28, 36], authKeyLen: 0, mac: undefined, ivLen: 8, icvLen: 16, align: 4 },
};

export function suiteInfo(suite: number): EspSuiteInfo | undefined {
  return Object.prototype.hasOwnProperty.call(SUITES, suite) ? SUITES[suite as EspSuiteId] : undefined;
}

/** One SA's keyed transform. The caller validated every length before calling. */
export interface EspTransform {
  readonly ivLen: number;
  readonly icvLen: number;
  readonly align: number;
  /**
   * `out` holds SPI ‖ Seq at [0, 8) and the plaintext at [8 + ivLen, 8 + ivLen + ptLen); room
   * for the ICV follows. Writes the IV, encrypts in place and appends the ICV.
   */
  seal(out: Uint8Array, ptLen: number): void;
  /** Verifies the ICV of a whole ESP packet; the decrypted plaintext (fresh) or undefined. */
  open(pkt: Uint8Array): Uint8Array | undefined;
}

/** Constant-time comparison of `a[ao..ao+n)` and `b[bo..bo+n)`. */
function ctEqual(a: Uint8Array, ao: number, b: Uint8Array, bo: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= a[ao + i]! ^ b[bo + i]!;
  return diff === 0;
}

/** The part of noble's HMAC instance used here. */
interface HmacState {
  readonly outputLen: number;
  _cloneInto(to?: HmacState): HmacState;
  update(data: Uint8Array): unknown;
  digestInto(out: Uint8Array): void;
}

/**
 * A keyed, truncated HMAC whose key schedule (the inner and outer pad states) is computed
 * once per SA; each packet clones that state into one reused instance.
 */
class TruncatedHmac {
  readonly #base: HmacState;
  #work: HmacState | undefined;
  readonly #digest: Uint8Array;
  readonly #len: number;

  constructor(hash: 'sha256' | 'sha1', key: Uint8Array, len: number) {
    this.#base = hmac.create(hash === 'sha256' ? sha256 : sha1, key);
    this.#digest = new Uint8Array(this.#base.outputLen);
    this.#len = len;
  }

  #compute(data: Uint8Array): Uint8Array {
    const h = this.#base._cloneInto(this.#work);
    this.#work = h;
    h.update(data);
    h.digestInto(this.#digest);
    return this.#digest;
  }

  /** Writes the truncated MAC of `data` into `out` at `off`. */
  write(data: Uint8Array, out: Uint8Array, off: number): void {
    const d = this.#compute(data);
    for (let i = 0; i < this.#len; i++) out[off + i] = d[i]!;
  }

  verify(data: Uint8Array, icv: Uint8Array, icvOff: number): boolean {
    return ctEqual(this.#compute(data), 0, icv, icvOff, this.#len);
  }
}

function randomBytes(random: RandomSource, n: number): Uint8Array {
  const r = random(n);
  if (!(r instanceof Uint8Array) || r.length !== n) {
    throw new TypeError(`"random" expected to return a Uint8Array of length ${n}`);
  }
  return r;
}

const CBC_OPTS = { disablePadding: true } as const;

class CbcTransform implements EspTransform {
  readonly ivLen = 16;
  readonly icvLen: number;
  readonly align = 16;
  readonly #key: Uint8Array;
  readonly #mac: TruncatedHmac;
  readonly #random: RandomSource;

  constructor(info: EspSuiteInfo, encKey: Uint8Array, authKey: Uint8Array, random: RandomSource) {
    this.icvLen = info.icvLen;
    this.#key = encKey.slice();
    this.#mac = new TruncatedHmac(info.mac!, authKey, info.icvLen);
    this.#random = random;
  }

  seal(out: Uint8Array, ptLen: number): void {
    const iv = randomBytes(this.#random, 16);
    out.set(iv, 8);
    const end = 24 + ptLen;
    const body = out.subarray(24, end);
    cbc(this.#key, iv, CBC_OPTS).encrypt(body, body);
    this.#mac.write(out.subarray(0, end), out, end);
  }

  open(pkt: Uint8Array): Uint8Array | undefined {
    const icvOff = pkt.length - this.icvLen;
    if (!this.#mac.verify(pkt.subarray(0, icvOff), pkt, icvOff)) return undefined;
    return cbc(this.#key, pkt.subarray(8, 24), CBC_OPTS).decrypt(pkt.subarray(24, icvOff));
  }
}

class NullTransform implements EspTransform {
  readonly ivLen = 0;
  readonly icvLen: number;
  readonly align = 4;
  readonly #mac: TruncatedHmac;

  constructor(info: EspSuiteInfo, authKey: Uint8Array) {
    this.icvLen = info.icvLen;
    this.#mac = new TruncatedHmac(info.mac!, authKey, info.icvLen);
  }

  seal(out: Uint8Array, ptLen: number): void {
    const end = 8 + ptLen;
    this.#mac.write(out.subarray(0, end), out, end);
  }

  open(pkt: Uint8Array): Uint8Array | undefined {
    const icvOff = pkt.length - this.icvLen;
    if (!this.#mac.verify(pkt.subarray(0, icvOff), pkt, icvOff)) return undefined;
    return pkt.slice(8, icvOff);
  }
}

class GcmTransform implements EspTransform {
  readonly ivLen = 8;
  readonly icvLen: number;
  readonly align = 4;
  readonly #key: Uint8Array;
  readonly #salt: Uint8Array;
  /** GHASH subkey H = E(K, 0^128), computed once per SA. */
  readonly #h: Uint8Array;
  /** Per-SA random high half of the explicit IV; the low half is the sequence number. */
  readonly #ivPrefix: Uint8Array;
  readonly #tag = new Uint8Array(16);
  readonly #lengths = new Uint8Array(16);

  constructor(info: EspSuiteInfo, encKey: Uint8Array, random: RandomSource) {
    this.icvLen = info.icvLen;
    this.#key = encKey.slice(0, encKey.length - 4);
    this.#salt = encKey.slice(encKey.length - 4);
    this.#h = ecb(this.#key, CBC_OPTS).encrypt(new Uint8Array(16));
    this.#ivPrefix = randomBytes(random, 4).slice();
  }

  /** J0 = salt ‖ IV ‖ 0x00000001 (RFC 4106 §4, NIST SP 800-38D with a 96-bit nonce). */
  #j0(iv: Uint8Array, ivOff: number): Uint8Array {
    const j0 = new Uint8Array(16);
    j0.set(this.#salt, 0);
    for (let i = 0; i < 8; i++) j0[4 + i] = iv[ivOff + i]!;
    j0[15] = 1;
    return j0;
  }

  /** GHASH_H(AAD = pkt[0,8), C = ct) ⊕ mask into this.#tag. */
  #computeTag(aad: Uint8Array, ct: Uint8Array, mask: Uint8Array, maskOff: number): Uint8Array {
    const lengths = this.#lengths;
    // 64-bit big-endian bit lengths of the AAD (8 bytes) and the ciphertext (< 2^32 bits).
    lengths[7] = 64;
    const bits = ct.length * 8;
    lengths[11] = 0;
    lengths[12] = (bits >>> 24) & 0xff;
    lengths[13] = (bits >>> 16) & 0xff;
    lengths[14] = (bits >>> 8) & 0xff;
    lengths[15] = bits & 0xff;
    const g = ghash.create(this.#h, aad.length + ct.length);
    g.update(aad).update(ct).update(lengths);
    const tag = this.#tag;
    g.digestInto(tag);
    for (let i = 0; i < 16; i++) tag[i] = tag[i]! ^ mask[maskOff + i]!;
    return tag;
  }

  seal(out: Uint8Array, ptLen: number): void {
    const header = out.slice(0, 8);
    const iv = new Uint8Array(8);
    iv.set(this.#ivPrefix, 0);
    iv.set(header.subarray(4, 8), 4);
    const j0 = this.#j0(iv, 0);
    // One CTR pass from J0 over [16 zero bytes ‖ plaintext]: the first block becomes the tag
    // mask E(K, J0), the rest the ciphertext under inc32(J0), inc32²(J0), ... in place.
    const end = 16 + ptLen;
    const region = out.subarray(0, end);
    region.fill(0, 0, 16);
    ctr(this.#key, j0).encrypt(region, region);
    const mask = out.slice(0, 16);
    out.set(header, 0);
    out.set(iv, 8);
    const tag = this.#computeTag(header, out.subarray(16, end), mask, 0);
    for (let i = 0; i < this.icvLen; i++) out[end + i] = tag[i]!;
  }

  open(pkt: Uint8Array): Uint8Array | undefined {
    const icvOff = pkt.length - this.icvLen;
    const ct = pkt.subarray(16, icvOff);
    const buf = new Uint8Array(16 + ct.length);
    buf.set(ct, 16);
    ctr(this.#key, this.#j0(pkt, 8)).encrypt(buf, buf);
    const tag = this.#computeTag(pkt.subarray(0, 8), ct, buf, 0);
    if (!ctEqual(tag, 0, pkt, icvOff, this.icvLen)) {
      buf.fill(0);
      return undefined;
    }
    return buf.subarray(16);
  }
}

/**
 * The insecure fast transform (EspDataPlaneOptions.insecureFastEsp): the suite's packet layout
 * and sizes, no cipher, no MAC. The IV field is zero and the ICV field holds FNV-1a over SPI to
 * the end of the trailer, so a corrupted packet is still dropped as `bad-icv`; there is no key,
 * so it authenticates nothing.
 */
class InsecureFastTransform implements EspTransform {
  readonly ivLen: number;
  readonly icvLen: number;
  readonly align: number;

  constructor(info: EspSuiteInfo) {
    this.ivLen = info.ivLen;
    this.icvLen = info.icvLen;
    this.align = info.align;
  }

  seal(out: Uint8Array, ptLen: number): void {
    const end = 8 + this.ivLen + ptLen;
    const c = fnv1a(out, end);
    out[end] = c >>> 24;
    out[end + 1] = (c >>> 16) & 0xff;
    out[end + 2] = (c >>> 8) & 0xff;
    out[end + 3] = c & 0xff;
  }

  open(pkt: Uint8Array): Uint8Array | undefined {
    const icvOff = pkt.length - this.icvLen;
    const c = fnv1a(pkt, icvOff);
    if (pkt[icvOff] !== c >>> 24 || pkt[icvOff + 1] !== ((c >>> 16) & 0xff) || pkt[icvOff + 2] !== ((c >>> 8) & 0xff) || pkt[icvOff + 3] !== (c & 0xff)) return undefined;
    for (let i = icvOff + 4; i < pkt.length; i++) if (pkt[i] !== 0) return undefined;
    return ownedCopy(pkt, 8 + this.ivLen, icvOff);
  }
}

/** 32-bit FNV-1a of `b[0, n)`: a keyless checksum, not a MAC. */
function fnv1a(b: Uint8Array, n: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
  return h >>> 0;
}

/**
 * The keyed transform of one SA; `insecure` (EspDataPlaneOptions.insecureFastEsp) gives the
 * suite's layout without cipher or MAC instead.
 */
export function createTransform(
  suite: EspSuiteId,
  encKey: Uint8Array,
  authKey: Uint8Array,
  random: RandomSource,
  insecure = false,
): EspTransform {
  const info = SUITES[suite];
  if (insecure) return new InsecureFastTransform(info);
  switch (info.cipher) {
    case 'cbc':
      return new CbcTransform(info, encKey, authKey, random);
    case 'null':
      return new NullTransform(info, authKey);
    case 'gcm':
      return new GcmTransform(info, encKey, random);
  }
}
