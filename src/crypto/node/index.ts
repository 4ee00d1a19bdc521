// Optional Node-only provider (`hip-engine/crypto/node`): the same algorithms as nobleCrypto()
// on node:crypto (OpenSSL), for speed. Never imported by the core; excluded from the browser
// build (tsconfig.build.json), built by tsconfig.build.node.json.
//
// Randomness: DH private keys, RSA-PSS salts, IVs and everything else still come from the
// injected RandomSource. One exception: ECDSA signing uses OpenSSL's own per-signature nonce
// (node:crypto offers neither RFC 6979 nor nonce injection), so ECDSA signatures from this
// provider are not reproducible; they verify the same. Ed25519 is deterministic anyway.
import * as nc from 'node:crypto';
import type { EspSuiteId, RandomSource } from '../../types.js';
import { bigIntToBytes, bitLength, byteLength, bytesToBigInt } from '../bigint.js';
import { ecdsaKeyTypeOf, ecdsaRandomSecret, ecpDhGroup, eddsaKeyTypeOf } from '../ec.js';
import { exportPkcs8, spkiFromHostId } from '../host-id.js';
import { checkModpPublic, modpDhGroup } from '../modp.js';
import { defaultEspTransforms, wrongKey } from '../noble.js';
import type { CryptoProvider, DhGroup, DhSharedResult, HashId, HipCipher, HostIdAlgorithm, HostPrivateKey } from '../provider.js';
import { decodeRsaHostIdentity, emsaPssEncode } from '../rsa.js';

/** A plain Uint8Array copy (never hand a Buffer out). */
function u8(b: Buffer | ArrayBuffer): Uint8Array {
  if (b instanceof ArrayBuffer) return new Uint8Array(b.slice(0));
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

const privCache = new WeakMap<HostPrivateKey, nc.KeyObject>();
function privateKeyObject(key: HostPrivateKey): nc.KeyObject {
  let k = privCache.get(key);
  if (k === undefined) {
    k = nc.createPrivateKey({ key: Buffer.from(exportPkcs8(key)), format: 'der', type: 'pkcs8' });
    privCache.set(key, k);
  }
  return k;
}

/** Small LRU of public KeyObjects by Host Identity (peers are few; parsing is the cost). */
const pubCache = new Map<string, nc.KeyObject>();
function publicKeyObject(algorithm: number, hi: Uint8Array): nc.KeyObject {
  const id = `${algorithm}:${Buffer.from(hi).toString('hex')}`;
  let k = pubCache.get(id);
  if (k !== undefined) {
    pubCache.delete(id);
    pubCache.set(id, k);
    return k;
  }
  k = nc.createPublicKey({ key: Buffer.from(spkiFromHostId(algorithm, hi)), format: 'der', type: 'spki' });
  pubCache.set(id, k);
  if (pubCache.size > 256) pubCache.delete(pubCache.keys().next().value!);
  return k;
}

const RSA: HostIdAlgorithm = {
  id: 5,
  keyType: (hi) => (decodeRsaHostIdentity(hi) !== undefined ? 'rsa' : undefined),
  sign(key, data, random) {
    if (key.type !== 'rsa') wrongKey(5, key);
    // EMSA-PSS with the injected salt, then OpenSSL's raw RSA private operation (CRT).
    const modBits = bitLength(key.n);
    const em = emsaPssEncode('sha256', data, modBits - 1, random(32));
    const k = byteLength(key.n);
    const padded = new Uint8Array(k);
    padded.set(em, k - em.length);
    const s = nc.privateDecrypt({ key: privateKeyObject(key), padding: nc.constants.RSA_NO_PADDING }, padded);
    return u8(s);
  },
  verify(hi, data, signature) {
    const pub = decodeRsaHostIdentity(hi);
    if (pub === undefined || signature.length !== byteLength(pub.n)) return false;
    try {
      return nc.verify('sha256', data, { key: publicKeyObject(5, hi), padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, signature);
    } catch {
      return false;
    }
  },
};

function ecdsa(id: 7 | 9): HostIdAlgorithm {
  const hash = id === 7 ? 'sha384' : 'sha1';
  return {
    id,
    keyType: (hi) => ecdsaKeyTypeOf(id, hi),
    sign(key, data) {
      const ok = id === 7 ? key.type === 'ecdsa-p256' || key.type === 'ecdsa-p384' : key.type === 'ecdsa-secp160r1';
      if (!ok) wrongKey(id, key);
      return u8(nc.sign(hash, data, { key: privateKeyObject(key), dsaEncoding: 'ieee-p1363' }));
    },
    verify(hi, data, signature) {
      const t = ecdsaKeyTypeOf(id, hi);
      if (t === undefined) return false;
      const width = t === 'ecdsa-p256' ? 32 : t === 'ecdsa-p384' ? 48 : 21;
      if (signature.length !== 2 * width) return false;
      try {
        return nc.verify(hash, data, { key: publicKeyObject(id, hi), dsaEncoding: 'ieee-p1363' }, signature);
      } catch {
        return false;
      }
    },
  };
}

const EDDSA: HostIdAlgorithm = {
  id: 13,
  keyType: (hi) => eddsaKeyTypeOf(hi),
  sign(key, data) {
    if (key.type !== 'ed25519') wrongKey(13, key);
    return u8(nc.sign(null, data, privateKeyObject(key)));
  },
  verify(hi, data, signature) {
    if (eddsaKeyTypeOf(hi) === undefined || signature.length !== 64) return false;
    try {
      return nc.verify(null, data, publicKeyObject(13, hi), signature);
    } catch {
      return false;
    }
  },
};

const HOST_ID_ALGORITHMS = new Map<number, HostIdAlgorithm>([
  [5, RSA],
  [7, ecdsa(7)],
  [9, ecdsa(9)],
  [13, EDDSA],
]);

const ECDH_CURVE: Record<number, { name: string; fieldLength: number; keyType: 'ecdsa-p256' | 'ecdsa-p384' | 'ecdsa-secp160r1' | undefined }> = {
  7: { name: 'prime256v1', fieldLength: 32, keyType: 'ecdsa-p256' },
  8: { name: 'secp384r1', fieldLength: 48, keyType: 'ecdsa-p384' },
  9: { name: 'secp521r1', fieldLength: 66, keyType: undefined },
  10: { name: 'secp160r1', fieldLength: 20, keyType: 'ecdsa-secp160r1' },
};

function nodeEcpGroup(id: 7 | 8 | 9 | 10): DhGroup {
  const c = ECDH_CURVE[id]!;
  const pure = ecpDhGroup(id)!;
  return {
    id,
    kind: 'ecp',
    publicValueLength: 2 * c.fieldLength,
    sharedSecretLength: c.fieldLength,
    generate(random: RandomSource) {
      // The scalar is derived from `random` exactly as the noble group does.
      const privateKey = c.keyType !== undefined ? ecdsaRandomSecret(c.keyType, random) : pure.generate(random).privateKey;
      const e = nc.createECDH(c.name);
      e.setPrivateKey(Buffer.from(privateKey));
      return { privateKey, publicValue: u8(e.getPublicKey()).subarray(1) };
    },
    shared(privateKey, peerPublic): DhSharedResult {
      if (peerPublic.length !== 2 * c.fieldLength) return { ok: false, reason: 'length' };
      if (peerPublic.every((b) => b === 0)) return { ok: false, reason: 'identity' };
      const e = nc.createECDH(c.name);
      e.setPrivateKey(Buffer.from(privateKey));
      try {
        return { ok: true, secret: u8(e.computeSecret(Buffer.concat([Buffer.of(4), peerPublic]))) };
      } catch {
        return { ok: false, reason: 'off-curve' };
      }
    },
  };
}

function nodeModpGroup(id: 3 | 4 | 11): DhGroup {
  const pure = modpDhGroup(id)!;
  const name = id === 3 ? 'modp5' : id === 4 ? 'modp15' : 'modp14';
  const ref = nc.createDiffieHellmanGroup(name);
  const prime = ref.getPrime();
  const gen = ref.getGenerator();
  const p = bytesToBigInt(u8(prime));
  const len = pure.publicValueLength;
  const dh = (priv: Uint8Array): nc.DiffieHellman => {
    const d = nc.createDiffieHellman(prime, gen);
    d.setPrivateKey(Buffer.from(priv));
    return d;
  };
  return {
    id,
    kind: 'modp',
    publicValueLength: len,
    sharedSecretLength: len,
    generate(random: RandomSource) {
      // Same exponent derivation as the noble group, public value computed by OpenSSL.
      const expBytes = id === 3 ? 32 : id === 4 ? 40 : 36;
      const raw = random(expBytes);
      raw[0]! |= 0x80;
      const d = dh(raw);
      d.generateKeys();
      return { privateKey: raw, publicValue: bigIntToBytes(bytesToBigInt(u8(d.getPublicKey())), len) };
    },
    shared(privateKey, peerPublic): DhSharedResult {
      const checked = checkModpPublic(peerPublic, p, len);
      if (!checked.ok) return checked;
      const z = bytesToBigInt(u8(dh(privateKey).computeSecret(Buffer.from(peerPublic))));
      if (z <= 1n) return { ok: false, reason: 'identity' };
      return { ok: true, secret: bigIntToBytes(z, len) };
    },
  };
}

const NODE_GROUPS = new Map<number, DhGroup>();
function dhGroup(id: number): DhGroup | undefined {
  let g = NODE_GROUPS.get(id);
  if (g === undefined) {
    if (id === 3 || id === 4 || id === 11) g = nodeModpGroup(id);
    else if (id === 7 || id === 8 || id === 9 || id === 10) g = nodeEcpGroup(id);
    else return undefined;
    NODE_GROUPS.set(id, g);
  }
  return g;
}

function aesCbc(id: 2 | 4, keyLength: 16 | 32): HipCipher {
  const name = keyLength === 16 ? 'aes-128-cbc' : 'aes-256-cbc';
  return {
    id,
    keyLength,
    ivLength: 16,
    blockSize: 16,
    encrypt(key, iv, plaintext) {
      if (key.length !== keyLength || iv.length !== 16 || plaintext.length % 16 !== 0) {
        throw new RangeError('AES-CBC: bad key/IV length or unaligned plaintext');
      }
      const c = nc.createCipheriv(name, key, iv).setAutoPadding(false);
      return u8(Buffer.concat([c.update(plaintext), c.final()]));
    },
    decrypt(key, iv, ciphertext) {
      if (key.length !== keyLength || iv.length !== 16 || ciphertext.length % 16 !== 0) return undefined;
      const d = nc.createDecipheriv(name, key, iv).setAutoPadding(false);
      return u8(Buffer.concat([d.update(ciphertext), d.final()]));
    },
  };
}

const CIPHERS = new Map<number, HipCipher>([
  [1, { id: 1, keyLength: 0, ivLength: 0, blockSize: 1, encrypt: (_k, _i, p) => p.slice(), decrypt: (_k, _i, c) => c.slice() }],
  [2, aesCbc(2, 16)],
  [4, aesCbc(4, 32)],
]);

/**
 * Options of {@link nodeCrypto}. `espTransforms`: the ESP suites the caller's data plane supports,
 * in
 * preference order (RFC 7402 §5.1.2); default AES-128-CBC and AES-256-CBC with HMAC-SHA-256 (8, 9),
 * then NULL with HMAC-SHA-256 (7), as `nobleCrypto` of hip-engine/crypto.
 */
export type NodeCryptoOptions = { readonly espTransforms?: readonly EspSuiteId[] };

/** A CryptoProvider on node:crypto. Same wire behaviour as nobleCrypto(). */
export function nodeCrypto(opts: NodeCryptoOptions = {}): CryptoProvider {
  const esp = Object.freeze([...(opts.espTransforms ?? defaultEspTransforms)]);
  return {
    name: 'node',
    hash: (alg: HashId, data) => u8(nc.createHash(alg).update(data).digest()),
    hmac: (alg: HashId, key, data) => u8(nc.createHmac(alg, key).update(data).digest()),
    hkdf: (alg: HashId, ikm, salt, info, length) => u8(nc.hkdfSync(alg, ikm, salt, info, length)),
    dhGroup,
    hostIdAlgorithm: (id) => HOST_ID_ALGORITHMS.get(id),
    cipher: (id) => CIPHERS.get(id),
    espTransforms: () => esp,
  };
}
