// fastCrypto(): a deterministic, fast and deliberately INSECURE CryptoProvider for big
// simulations (docs/architecture.md, Clock, randomness and crypto; after rustls-fuzzing-provider).
//
//   NEVER USE IT FOR ANYTHING BUT SIMULATIONS AND TESTS. Anyone can forge its signatures and
//   compute its Diffie-Hellman secrets from the public values on the wire.
//
// What is real and what is fake:
// - hash, HMAC, HKDF and the HIP ciphers (AES-CBC, NULL) are the real noble ones: they are cheap,
//   and the engine's MAC, KEYMAT and ENCRYPTED code paths stay exercised byte for byte.
// - Diffie-Hellman groups (every id 3, 4, 7-11) are fake but keep each group's wire sizes:
//     private  = 32 random bytes (the only randomness drawn)
//     public   = E(sha256("hip-fast-dh/pub" ‖ id ‖ private), publicValueLength)
//     shared   = E(sha256("hip-fast-dh/kij" ‖ id ‖ min(pubA, pubB) ‖ max(pubA, pubB)), sharedSecretLength)
//   where pubA is recomputed from our private key and pubB is the peer's value, sorted
//   bytewise, so both sides derive the same Kij; E(seed, n) is a SHA-256 counter-mode expansion.
//   A value of the wrong length or all zeros is refused ('length' / 'zero'), so the engine's
//   refusal paths still run.
// - Host Identity "signatures" are keyed hashes: sig = E'(HMAC-SHA-256(key = Host Identity
//   field, data), n) with n the real algorithm's signature length (64 for P-256, 96 for P-384,
//   42 for secp160r1, 64 for Ed25519, the modulus length for RSA), so packet sizes are realistic.
//   `verify` recomputes it from the HI field: the HI bytes alone determine the verification
//   "key", which is exactly why it is forgeable. Any flipped bit of the data, the signature or
//   the HI still fails verification, so tamper tests keep working.
// - Host identities stay real key pairs (generateHostIdentity with the noble curves), so HOST_ID
//   encodings and HIT derivation are the genuine ones. `keyType` checks the HI structurally
//   (curve id, length, 0x04 prefix) without the point-on-curve check, which is where the time
//   goes.
import { sha256 } from '@noble/hashes/sha2.js';
import { utf8ToBytes } from '@noble/hashes/utils.js';
import { nobleCrypto, type NobleCryptoOptions } from '../crypto/noble.js';
import { encodeEd25519HostIdentity } from '../crypto/ec.js';
import { hostIdentityOf, hostIdentityWithField, type HostIdentity } from '../crypto/host-id.js';
import { decodeRsaHostIdentity } from '../crypto/rsa.js';
import type { CryptoProvider, DhGroup, DhGroupId, DhSharedResult, HostIdAlgorithm, HostKeyType, HostPrivateKey } from '../crypto/provider.js';
import { KEY_TYPE_ALGORITHM } from '../crypto/provider.js';
import type { RandomSource } from '../types.js';
import { compareBytes, concatBytes, readU16 } from '../util/bytes.js';

/** Options of {@link fastCrypto}: the same as `nobleCrypto`'s (the ESP suites to offer). */
export type FastCryptoOptions = NobleCryptoOptions;

/** Name every fastCrypto() provider reports, so traces and benchmarks cannot mistake it. */
export const FAST_CRYPTO_NAME = 'fast-insecure';

const DH_PUB = utf8ToBytes('hip-fast-dh/pub');
const DH_KIJ = utf8ToBytes('hip-fast-dh/kij');
const SIG_EXPAND = utf8ToBytes('hip-fast-sig');

/** SHA-256 counter-mode expansion of `seed` to `n` bytes: sha256(seed ‖ ctr32) blocks. */
function expand(seed: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  const block = new Uint8Array(seed.length + 4);
  block.set(seed);
  let off = 0;
  for (let ctr = 0; off < n; ctr++) {
    block[seed.length] = ctr >>> 24;
    block[seed.length + 1] = (ctr >>> 16) & 0xff;
    block[seed.length + 2] = (ctr >>> 8) & 0xff;
    block[seed.length + 3] = ctr & 0xff;
    const h = sha256(block);
    const take = Math.min(32, n - off);
    out.set(h.subarray(0, take), off);
    off += take;
  }
  return out;
}

/** Public value and shared secret sizes of each group, as the real groups have them. */
const DH_SIZES: ReadonlyMap<DhGroupId, { kind: 'modp' | 'ecp'; pub: number; shared: number }> = new Map([
  [3, { kind: 'modp', pub: 192, shared: 192 }],
  [4, { kind: 'modp', pub: 384, shared: 384 }],
  [11, { kind: 'modp', pub: 256, shared: 256 }],
  [7, { kind: 'ecp', pub: 64, shared: 32 }],
  [8, { kind: 'ecp', pub: 96, shared: 48 }],
  [9, { kind: 'ecp', pub: 132, shared: 66 }],
  [10, { kind: 'ecp', pub: 40, shared: 20 }],
]);

function fakeDhGroup(id: DhGroupId, kind: 'modp' | 'ecp', pubLen: number, sharedLen: number): DhGroup {
  const idByte = Uint8Array.of(id);
  const publicOf = (priv: Uint8Array): Uint8Array => expand(sha256(concatBytes(DH_PUB, idByte, priv)), pubLen);
  return {
    id,
    kind,
    publicValueLength: pubLen,
    sharedSecretLength: sharedLen,
    generate(random: RandomSource) {
      const privateKey = random(32);
      return { privateKey, publicValue: publicOf(privateKey) };
    },
    shared(privateKey: Uint8Array, peerPublic: Uint8Array): DhSharedResult {
      if (!(peerPublic instanceof Uint8Array) || peerPublic.length !== pubLen) return { ok: false, reason: 'length' };
      if (peerPublic.every((b) => b === 0)) return { ok: false, reason: 'zero' };
      const ours = publicOf(privateKey);
      const [lo, hi] = compareBytes(ours, peerPublic) <= 0 ? [ours, peerPublic] : [peerPublic, ours];
      return { ok: true, secret: expand(sha256(concatBytes(DH_KIJ, idByte, lo, hi)), sharedLen) };
    },
  };
}

const FAKE_DH: ReadonlyMap<number, DhGroup> = new Map(
  [...DH_SIZES].map(([id, s]) => [id, fakeDhGroup(id, s.kind, s.pub, s.shared)] as const),
);

/**
 * The key type of a Host Identity field, checked structurally only (no point validation):
 * ECDSA (7): curve 1 → P-256 with 0x04 ‖ 64 bytes, curve 2 → P-384 with 0x04 ‖ 96 bytes;
 * ECDSA_LOW (9): curve 1 → secp160r1 with 0x04 ‖ 40 bytes; EdDSA (13): curve 1 with 32 bytes;
 * RSA (5): the RFC 3110 structure (cheap: no primality).
 */
function structuralKeyType(algorithm: number, hi: Uint8Array): HostKeyType | undefined {
  if (!(hi instanceof Uint8Array)) return undefined;
  if (algorithm === 5) return decodeRsaHostIdentity(hi) !== undefined ? 'rsa' : undefined;
  if (hi.length < 3) return undefined;
  const curve = readU16(hi, 0);
  if (algorithm === 13) return curve === 1 && hi.length === 34 ? 'ed25519' : undefined;
  if (algorithm !== 7 && algorithm !== 9) return undefined;
  const point = (coord: number): boolean => hi.length === 3 + 2 * coord && hi[2] === 0x04;
  if (algorithm === 7 && curve === 1 && point(32)) return 'ecdsa-p256';
  if (algorithm === 7 && curve === 2 && point(48)) return 'ecdsa-p384';
  if (algorithm === 9 && curve === 1 && point(20)) return 'ecdsa-secp160r1';
  return undefined;
}

/** Length of the real algorithm's signature for a key type (RSA: the modulus length). */
function signatureLength(type: HostKeyType, hi: Uint8Array): number {
  switch (type) {
    case 'ecdsa-p256':
      return 64;
    case 'ecdsa-p384':
      return 96;
    case 'ecdsa-secp160r1':
      return 42;
    case 'ed25519':
      return 64;
    case 'rsa': {
      const pub = decodeRsaHostIdentity(hi);
      return pub === undefined ? 256 : Math.ceil(pub.n.toString(16).length / 2);
    }
  }
}

function fakeSignature(hi: Uint8Array, type: HostKeyType, data: Uint8Array, hmac: CryptoProvider['hmac']): Uint8Array {
  const tag = hmac('sha256', hi, data);
  return expand(concatBytes(SIG_EXPAND, tag), signatureLength(type, hi));
}

/** Host Identity field of a private key, computed once per key object (the one slow step). */
const HI_CACHE = new WeakMap<HostPrivateKey, Uint8Array>();
function hiOf(key: HostPrivateKey): Uint8Array {
  let hi = HI_CACHE.get(key);
  if (hi === undefined) {
    hi = hostIdentityOf(key);
    HI_CACHE.set(key, hi);
  }
  return hi;
}

function fakeHostIdAlgorithm(id: 5 | 7 | 9 | 13, hmac: CryptoProvider['hmac']): HostIdAlgorithm {
  return {
    id,
    keyType: (hi) => structuralKeyType(id, hi),
    sign(key, data) {
      if (KEY_TYPE_ALGORITHM[key.type] !== id) throw new TypeError(`HI algorithm ${id} cannot sign with a ${key.type} key`);
      return fakeSignature(hiOf(key), key.type, data, hmac);
    },
    verify(hi, data, signature) {
      const type = structuralKeyType(id, hi);
      if (type === undefined || !(signature instanceof Uint8Array) || !(data instanceof Uint8Array)) return false;
      const expected = fakeSignature(hi, type, data, hmac);
      if (expected.length !== signature.length) return false;
      let diff = 0;
      for (let i = 0; i < expected.length; i++) diff |= expected[i]! ^ signature[i]!;
      return diff === 0;
    },
  };
}

/**
 * A deterministic, fast, INSECURE provider for simulations only (see the file comment): real
 * hashes, HMAC, HKDF and AES; fake DH groups and keyed-hash "signatures" anyone can forge.
 * Plugs into `new HipEngine({ crypto: fastCrypto() })`; both ends of an exchange must use it.
 */
export function fastCrypto(opts: FastCryptoOptions = {}): CryptoProvider {
  const real = nobleCrypto(opts);
  const hmac = real.hmac;
  const algorithms = new Map<number, HostIdAlgorithm>(([5, 7, 9, 13] as const).map((id) => [id, fakeHostIdAlgorithm(id, hmac)]));
  return {
    name: FAST_CRYPTO_NAME,
    hash: real.hash,
    hmac,
    hkdf: real.hkdf,
    dhGroup: (id) => FAKE_DH.get(id),
    hostIdAlgorithm: (id) => algorithms.get(id),
    cipher: (id) => real.cipher(id),
    espTransforms: () => real.espTransforms(),
  };
}

/**
 * A host identity that only fastCrypto() accepts, made without public-key arithmetic (the cost of
 * a real identity): an Ed25519 key whose Host Identity field is 32 random bytes in the Ed25519
 * structure rather than the key's public half. fastCrypto's "signatures" are keyed by that field
 * and its key type check is structural, so exchanges complete; any real provider would refuse
 * its signatures. For building very many associations (the scale benchmark), where generating
 * real key pairs would dominate. INSECURE by construction, like the provider.
 */
export function fastIdentity(random: RandomSource): HostIdentity {
  const key: HostPrivateKey = { type: 'ed25519', secret: random(32) };
  const hi = encodeEd25519HostIdentity(random(32));
  HI_CACHE.set(key, hi);
  return hostIdentityWithField(key, hi);
}
