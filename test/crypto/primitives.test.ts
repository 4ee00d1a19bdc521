// Every primitive of the noble provider cross-checked both ways against node:crypto.
import * as nc from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleCrypto, type HashId } from '../../src/crypto/index.js';
import { testRandom, type FixtureKeyName } from '../fixtures/keys.js';
import { fixtureIdentity, hex, nodeSign, nodeVerify, u8 } from './helpers.js';

const crypto = nobleCrypto();
const rnd = testRandom('primitives');
const HASHES: HashId[] = ['sha1', 'sha256', 'sha384', 'sha512'];

describe('hash, HMAC, HKDF equal node:crypto', () => {
  const data = rnd(1000);
  const key = rnd(37);
  it.each(HASHES)('%s', (alg) => {
    expect(hex(crypto.hash(alg, data))).toBe(nc.createHash(alg).update(data).digest('hex'));
    expect(hex(crypto.hmac(alg, key, data))).toBe(nc.createHmac(alg, key).update(data).digest('hex'));
    const salt = rnd(64);
    const info = rnd(32);
    for (const len of [1, 32, 100, 255 * (alg === 'sha1' ? 20 : alg === 'sha256' ? 32 : alg === 'sha384' ? 48 : 64)]) {
      expect(hex(crypto.hkdf(alg, data, salt, info, len))).toBe(Buffer.from(nc.hkdfSync(alg, data, salt, info, len)).toString('hex'));
    }
  });
  it('HKDF refuses more than 255·HashLen bytes', () => {
    expect(() => crypto.hkdf('sha256', data, key, key, 255 * 32 + 1)).toThrow();
  });
});

describe('AES-CBC (HIP_CIPHER 2 and 4) equals node:crypto', () => {
  it.each([
    [2, 'aes-128-cbc', 16],
    [4, 'aes-256-cbc', 32],
  ] as const)('cipher %i', (id, nodeName, keyLen) => {
    const c = crypto.cipher(id)!;
    expect(c.keyLength).toBe(keyLen);
    const key = rnd(keyLen);
    const iv = rnd(16);
    const pt = rnd(96);
    const ct = c.encrypt(key, iv, pt);
    const ncCipher = nc.createCipheriv(nodeName, key, iv).setAutoPadding(false);
    const expected = Buffer.concat([ncCipher.update(pt), ncCipher.final()]);
    expect(hex(ct)).toBe(expected.toString('hex'));
    const ncDec = nc.createDecipheriv(nodeName, key, iv).setAutoPadding(false);
    expect(hex(u8(Buffer.concat([ncDec.update(ct), ncDec.final()])))).toBe(hex(pt));
    expect(hex(c.decrypt(key, iv, ct)!)).toBe(hex(pt));
    expect(c.decrypt(key, iv, ct.subarray(1))).toBeUndefined();
    expect(() => c.encrypt(key, iv, pt.subarray(1))).toThrow();
  });
  it('NULL-ENCRYPT is the identity', () => {
    const c = crypto.cipher(1)!;
    const pt = rnd(24);
    expect(c.encrypt(new Uint8Array(0), new Uint8Array(0), pt)).toEqual(pt);
    expect(c.keyLength).toBe(0);
  });
  it('unknown cipher ids are undefined', () => {
    expect(crypto.cipher(3)).toBeUndefined();
    expect(crypto.cipher(0)).toBeUndefined();
  });
});

const SIGNERS: [string, FixtureKeyName, number][] = [
  ['RSA-2048 / RSASSA-PSS SHA-256', 'rsaA', 5],
  ['ECDSA P-256 / SHA-384', 'p256A', 7],
  ['ECDSA P-384 / SHA-384', 'p384A', 7],
  ['ECDSA_LOW secp160r1 / SHA-1', 'secp160r1A', 9],
  ['Ed25519', 'ed25519A', 13],
];

describe('signatures cross-checked with node:crypto', () => {
  it.each(SIGNERS)('%s', (_name, key, algorithm) => {
    const id = fixtureIdentity(key);
    expect(id.algorithm).toBe(algorithm);
    const alg = crypto.hostIdAlgorithm(algorithm)!;
    expect(alg.keyType(id.hostIdentity)).toBe(id.keyType);
    const data = rnd(333);
    // ours → node
    const sig = alg.sign(id.privateKey, data, rnd);
    expect(nodeVerify(id, data, sig)).toBe(true);
    expect(alg.verify(id.hostIdentity, data, sig)).toBe(true);
    // node → ours
    const nsig = nodeSign(key, data);
    expect(alg.verify(id.hostIdentity, data, nsig)).toBe(true);
    // tampered data, signature, key
    const bad = data.slice();
    bad[7]! ^= 1;
    expect(alg.verify(id.hostIdentity, bad, sig)).toBe(false);
    const badSig = sig.slice();
    badSig[badSig.length - 3]! ^= 0x40;
    expect(alg.verify(id.hostIdentity, data, badSig)).toBe(false);
    expect(alg.verify(id.hostIdentity, data, sig.subarray(1))).toBe(false);
    expect(alg.verify(id.hostIdentity, data, new Uint8Array(0))).toBe(false);
    const other = fixtureIdentity(key.replace(/A$/, 'B') as FixtureKeyName);
    expect(alg.verify(other.hostIdentity, data, sig)).toBe(false);
    // malformed HI never throws
    expect(alg.verify(id.hostIdentity.subarray(0, 5), data, sig)).toBe(false);
  });

  it('ECDSA signatures are fixed-width r‖s of the order width', () => {
    const data = rnd(10);
    expect(crypto.hostIdAlgorithm(7)!.sign(fixtureIdentity('p256A').privateKey, data, rnd)).toHaveLength(64);
    expect(crypto.hostIdAlgorithm(7)!.sign(fixtureIdentity('p384A').privateKey, data, rnd)).toHaveLength(96);
    expect(crypto.hostIdAlgorithm(9)!.sign(fixtureIdentity('secp160r1A').privateKey, data, rnd)).toHaveLength(42);
  });

  it('accepts high-S ECDSA signatures (verify with lowS: false)', () => {
    const id = fixtureIdentity('p256A');
    const data = rnd(50);
    const sig = crypto.hostIdAlgorithm(7)!.sign(id.privateKey, data, rnd);
    const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
    const s = BigInt('0x' + hex(sig.subarray(32)));
    const flipped = sig.slice();
    flipped.set(u8(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex')), 32);
    expect(nodeVerify(id, data, flipped)).toBe(true);
    expect(crypto.hostIdAlgorithm(7)!.verify(id.hostIdentity, data, flipped)).toBe(true);
  });

  it('RSA-PSS salt comes from the injected random; signing with the wrong key type throws', () => {
    const id = fixtureIdentity('rsaA');
    const data = rnd(20);
    const a = crypto.hostIdAlgorithm(5)!.sign(id.privateKey, data, () => new Uint8Array(32).fill(7));
    const b = crypto.hostIdAlgorithm(5)!.sign(id.privateKey, data, () => new Uint8Array(32).fill(7));
    expect(hex(a)).toBe(hex(b));
    expect(() => crypto.hostIdAlgorithm(5)!.sign(fixtureIdentity('p256A').privateKey, data, rnd)).toThrow(TypeError);
    expect(crypto.hostIdAlgorithm(3)).toBeUndefined(); // DSA is left out
  });
});
