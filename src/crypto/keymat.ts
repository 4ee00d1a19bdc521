// KEYMAT (RFC 7401 §6.5, RFC 7402 §6-7).
//
//   KEYMAT = HKDF-Expand(HKDF-Extract(salt = #I | #J, IKM = Kij), info = sort(HIT-I | HIT-R), L)
//
// with HMAC-RHASH (the Responder's HIT suite hash). sort() puts the numerically smaller HIT first.
// The published RFC 7401 lost the formula line; this is what implementations do (see
// docs/architecture.md, Choices the RFCs leave open). HKDF-Expand is computed block by block on demand, so a KEYMAT can
// be read at any index up to its maximum of 255 · HashLen bytes.
//
// Draw order (HOST_g / HOST_l = the host with the greater / lower HIT, not Initiator/Responder):
//   BEX:   HIP-gl encryption, HIP-gl integrity, HIP-lg encryption, HIP-lg integrity,
//          then SA-gl ESP encryption, SA-gl ESP authentication, SA-lg ESP encryption,
//          SA-lg ESP authentication.
//   Rekey: only the four ESP keys, from the KEYMAT index agreed in ESP_INFO (the greater of the
//          two sent), or from index 0 of a fresh KEYMAT when a new DH key was exchanged.
// Key sizes are the natural sizes (§6.5): AES-128 16, AES-256 32, NULL 0 bytes; integrity keys
// the hash length (HMAC-SHA-1 20, HMAC-SHA-256 32, HMAC-SHA-384 48).
import { ESP_SUITE, type EspSuiteId, type Hit } from '../types.js';
import { compareBytes, concatBytes } from '../util/bytes.js';
import { HASH_LENGTH, type CryptoProvider, type HashId, type HipCipherId } from './provider.js';

/** Maximum KEYMAT length for HKDF-Expand with a given hash (RFC 5869 §2.3). */
export function keymatMaxLength(hash: HashId): number {
  return 255 * HASH_LENGTH[hash];
}

/** sort(HIT-I | HIT-R): the smaller HIT (as an unsigned 128-bit integer) first. */
export function sortedHits(a: Hit, b: Hit): Uint8Array {
  return compareBytes(a, b) <= 0 ? concatBytes(a, b) : concatBytes(b, a);
}

/** A KEYMAT, readable at any offset; blocks of HKDF-Expand are computed lazily and cached. */
export type Keymat = {
  readonly hash: HashId;
  readonly maxLength: number;
  /** `length` bytes at `offset`, or undefined when past `maxLength` (a new DH is then needed). */
  read(offset: number, length: number): Uint8Array | undefined;
};

/**
 * What a KEYMAT is derived from (RFC 7401 §6.5): the DH secret Kij, the puzzle's #I and #J, both
 * HITs, and the HMAC of the Responder's HIT suite hash.
 */
export type KeymatInput = {
  readonly crypto: Pick<CryptoProvider, 'hmac'>;
  /** RHASH of the Responder's HIT suite. */
  readonly hash: HashId;
  /** Kij, the DH shared secret. */
  readonly kij: Uint8Array;
  readonly randomI: Uint8Array;
  readonly randomJ: Uint8Array;
  readonly hitI: Hit;
  readonly hitR: Hit;
};

/**
 * The KEYMAT of a base exchange or a DH rekey (RFC 7401 §6.5), readable at any index up to
 * 255 · HashLen bytes; HKDF blocks are computed on demand.
 */
export function createKeymat(input: KeymatInput): Keymat {
  const { crypto, hash } = input;
  const hLen = HASH_LENGTH[hash];
  const prk = crypto.hmac(hash, concatBytes(input.randomI, input.randomJ), input.kij);
  const info = sortedHits(input.hitI, input.hitR);
  const maxLength = keymatMaxLength(hash);
  const blocks: Uint8Array[] = [];
  const ensure = (n: number): void => {
    while (blocks.length * hLen < n) {
      const prev = blocks.length === 0 ? new Uint8Array(0) : blocks[blocks.length - 1]!;
      blocks.push(crypto.hmac(hash, prk, concatBytes(prev, info, Uint8Array.of(blocks.length + 1))));
    }
  };
  return {
    hash,
    maxLength,
    read(offset, length) {
      if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
        throw new RangeError('KEYMAT offset/length must be non-negative integers');
      }
      if (offset + length > maxLength) return undefined;
      ensure(offset + length);
      const out = new Uint8Array(length);
      for (let i = 0; i < length; i++) {
        const pos = offset + i;
        out[i] = blocks[Math.floor(pos / hLen)]![pos % hLen]!;
      }
      return out;
    },
  };
}

/** Encryption and integrity keys of one direction. */
export type DirectionKeys = { readonly encKey: Uint8Array; readonly authKey: Uint8Array };

/** Natural key sizes of an ESP suite (RFC 7402 §5.1.2, §7). AES-GCM: 16-byte AES-128 key + 4-byte salt (RFC 4106 §8.1). */
export function espKeySizes(suite: EspSuiteId): { readonly enc: number; readonly auth: number } {
  switch (suite) {
    case ESP_SUITE.AES_128_CBC_HMAC_SHA1:
      return { enc: 16, auth: 20 };
    case ESP_SUITE.NULL_HMAC_SHA256:
      return { enc: 0, auth: 32 };
    case ESP_SUITE.AES_128_CBC_HMAC_SHA256:
      return { enc: 16, auth: 32 };
    case ESP_SUITE.AES_256_CBC_HMAC_SHA256:
      return { enc: 32, auth: 32 };
    case ESP_SUITE.AES_GCM_8:
    case ESP_SUITE.AES_GCM_16:
      return { enc: 20, auth: 0 };
  }
}

/** Natural key size of a HIP_CIPHER (RFC 7401 §6.5). */
export function hipCipherKeySize(id: HipCipherId): number {
  return id === 1 ? 0 : id === 2 ? 16 : 32;
}

function isGreater(localHit: Hit, peerHit: Hit): boolean {
  const c = compareBytes(localHit, peerHit);
  if (c === 0) throw new RangeError('local and peer HIT are equal');
  return c > 0;
}

/**
 * The four ESP keys drawn from a KEYMAT for one pair of SAs (RFC 7402 §7), per direction, with the
 * KEYMAT indexes the draw used.
 */
export type EspDraw = {
  /** Keys for our outbound SA (our outgoing traffic). */
  readonly out: DirectionKeys;
  /** Keys for our inbound SA (the peer's outgoing traffic). */
  readonly in: DirectionKeys;
  /** The KEYMAT index the draw started at. */
  readonly index: number;
  /** The next unused KEYMAT index. */
  readonly nextIndex: number;
};

/**
 * Draws the four ESP keys at `index` (SA-gl enc, SA-gl auth, SA-lg enc, SA-lg auth).
 * Undefined when the KEYMAT is exhausted or the index exceeds the 16-bit ESP_INFO field: the
 * caller must then rekey with a new Diffie-Hellman exchange (RFC 7402 §5.1.1).
 */
export function drawEspKeys(keymat: Keymat, index: number, localHit: Hit, peerHit: Hit, suite: EspSuiteId): EspDraw | undefined {
  const { enc, auth } = espKeySizes(suite);
  const total = 2 * (enc + auth);
  if (index > 0xffff) return undefined;
  const bytes = keymat.read(index, total);
  if (bytes === undefined) return undefined;
  const gl = { encKey: bytes.slice(0, enc), authKey: bytes.slice(enc, enc + auth) };
  const lg = { encKey: bytes.slice(enc + auth, 2 * enc + auth), authKey: bytes.slice(2 * enc + auth, total) };
  const g = isGreater(localHit, peerHit);
  return { out: g ? gl : lg, in: g ? lg : gl, index, nextIndex: index + total };
}

/**
 * All keys of a base exchange, drawn in the order of RFC 7401 §6.5: HIP encryption and integrity
 * keys of each host, then the ESP keys (RFC 7402 §7).
 */
export type BexKeys = {
  readonly keymat: Keymat;
  /** Our HIP keys: `encKey` for our ENCRYPTED parameters, `authKey` for HIP_MAC on packets we send. */
  readonly local: DirectionKeys;
  /** The peer's HIP keys: to decrypt its ENCRYPTED and verify HIP_MAC on packets it sends. */
  readonly peer: DirectionKeys;
  /** The ESP keys of the base exchange. */
  readonly esp: EspDraw;
  /** KEYMAT index where the ESP keys start: the ESP_INFO KEYMAT Index of I2 and R2. */
  readonly espIndex: number;
  /** Next unused KEYMAT index (minimum KEYMAT Index for a later rekey without DH). */
  readonly nextIndex: number;
};

/**
 * What {@link deriveBexKeys} needs: the {@link KeymatInput} plus the negotiated HIP_CIPHER and ESP
 * suite, which size the keys (RFC 7401 §6.5, RFC 7402 §7).
 */
export type BexKeysInput = KeymatInput & {
  readonly localHit: Hit;
  readonly peerHit: Hit;
  /** HIP_CIPHER chosen for ENCRYPTED (sizes the HIP encryption keys). */
  readonly cipher: HipCipherId;
  readonly espSuite: EspSuiteId;
};

/** Derives the KEYMAT of a base exchange and draws the HIP and ESP keys in RFC order. */
export function deriveBexKeys(input: BexKeysInput): BexKeys {
  const keymat = createKeymat(input);
  const enc = hipCipherKeySize(input.cipher);
  const auth = HASH_LENGTH[input.hash];
  const hipTotal = 2 * (enc + auth);
  const b = keymat.read(0, hipTotal);
  if (b === undefined) throw new RangeError('KEYMAT too short for the HIP keys');
  const gl = { encKey: b.slice(0, enc), authKey: b.slice(enc, enc + auth) };
  const lg = { encKey: b.slice(enc + auth, 2 * enc + auth), authKey: b.slice(2 * enc + auth, hipTotal) };
  const g = isGreater(input.localHit, input.peerHit);
  const esp = drawEspKeys(keymat, hipTotal, input.localHit, input.peerHit, input.espSuite);
  if (esp === undefined) throw new RangeError('KEYMAT too short for the ESP keys');
  return { keymat, local: g ? gl : lg, peer: g ? lg : gl, esp, espIndex: hipTotal, nextIndex: esp.nextIndex };
}

/**
 * Rekeying (RFC 7402 §6.10): with a new DH key, a fresh KEYMAT (same #I, #J and HITs, new Kij)
 * is drawn from index 0; without, the ESP keys come from the current KEYMAT at the greater of
 * the two ESP_INFO KEYMAT indices. `kij` undefined means "no new DH".
 */
export function rekeyEspKeys(opts: {
  readonly current: Keymat;
  readonly input: KeymatInput;
  readonly kij?: Uint8Array;
  readonly sentIndex: number;
  readonly receivedIndex: number;
  readonly localHit: Hit;
  readonly peerHit: Hit;
  readonly espSuite: EspSuiteId;
}): { readonly keymat: Keymat; readonly esp: EspDraw } | undefined {
  if (opts.kij !== undefined) {
    const keymat = createKeymat({ ...opts.input, kij: opts.kij });
    const esp = drawEspKeys(keymat, 0, opts.localHit, opts.peerHit, opts.espSuite);
    return esp === undefined ? undefined : { keymat, esp };
  }
  const index = Math.max(opts.sentIndex, opts.receivedIndex);
  const esp = drawEspKeys(opts.current, index, opts.localHit, opts.peerHit, opts.espSuite);
  return esp === undefined ? undefined : { keymat: opts.current, esp };
}
