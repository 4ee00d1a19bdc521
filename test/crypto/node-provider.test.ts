// The optional node:crypto provider behaves exactly like the noble one on the wire.
import { describe, expect, it } from 'vitest';
import { nobleCrypto, type HashId } from '../../src/crypto/index.js';
import { nodeCrypto } from '../../src/crypto/node/index.js';
import { testRandom, type FixtureKeyName } from '../fixtures/keys.js';
import { fixtureIdentity, hex } from './helpers.js';

const noble = nobleCrypto();
const node = nodeCrypto();
const rnd = testRandom('node-provider');

describe('nodeCrypto() ≡ nobleCrypto()', () => {
  it('hash, HMAC, HKDF, AES-CBC', () => {
    const d = rnd(300);
    const k = rnd(32);
    for (const alg of ['sha1', 'sha256', 'sha384', 'sha512'] as HashId[]) {
      expect(hex(node.hash(alg, d))).toBe(hex(noble.hash(alg, d)));
      expect(hex(node.hmac(alg, k, d))).toBe(hex(noble.hmac(alg, k, d)));
      expect(hex(node.hkdf(alg, d, k, k, 99))).toBe(hex(noble.hkdf(alg, d, k, k, 99)));
    }
    const iv = rnd(16);
    expect(hex(node.cipher(2)!.encrypt(k.subarray(0, 16), iv, d.subarray(0, 64)))).toBe(hex(noble.cipher(2)!.encrypt(k.subarray(0, 16), iv, d.subarray(0, 64))));
    expect(hex(node.cipher(4)!.decrypt(k, iv, d.subarray(0, 64))!)).toBe(hex(noble.cipher(4)!.decrypt(k, iv, d.subarray(0, 64))!));
    expect(node.hash('sha256', d)).not.toBeInstanceOf(Buffer);
  });

  it.each([3, 4, 7, 8, 9, 10, 11])('DH group %i: same keys from the same random, secrets agree across providers', (id) => {
    const a = node.dhGroup(id)!.generate(testRandom('dh' + id));
    const b = noble.dhGroup(id)!.generate(testRandom('dh' + id));
    expect(hex(a.publicValue)).toBe(hex(b.publicValue));
    const other = noble.dhGroup(id)!.generate(rnd);
    const s1 = node.dhGroup(id)!.shared(a.privateKey, other.publicValue);
    const s2 = noble.dhGroup(id)!.shared(other.privateKey, a.publicValue);
    expect(s1.ok && s2.ok && hex(s1.secret) === hex(s2.secret)).toBe(true);
    const bad = other.publicValue.slice();
    bad[bad.length - 1]! ^= 1;
    const r = node.dhGroup(id)!.shared(a.privateKey, bad);
    if (id >= 7 && id <= 10) expect(r).toEqual({ ok: false, reason: 'off-curve' });
    expect(node.dhGroup(id)!.shared(a.privateKey, bad.subarray(1))).toEqual({ ok: false, reason: 'length' });
  });

  it.each(['rsaA', 'p256A', 'p384A', 'secp160r1A', 'ed25519A'] as FixtureKeyName[])('%s signatures verify across providers', (name) => {
    const id = fixtureIdentity(name);
    const data = rnd(200);
    const s1 = node.hostIdAlgorithm(id.algorithm)!.sign(id.privateKey, data, rnd);
    const s2 = noble.hostIdAlgorithm(id.algorithm)!.sign(id.privateKey, data, rnd);
    expect(noble.hostIdAlgorithm(id.algorithm)!.verify(id.hostIdentity, data, s1)).toBe(true);
    expect(node.hostIdAlgorithm(id.algorithm)!.verify(id.hostIdentity, data, s2)).toBe(true);
    const bad = s1.slice();
    bad[5]! ^= 1;
    expect(node.hostIdAlgorithm(id.algorithm)!.verify(id.hostIdentity, data, bad)).toBe(false);
    expect(node.hostIdAlgorithm(id.algorithm)!.verify(id.hostIdentity, data, s1.subarray(2))).toBe(false);
  });

  it('RSA-PSS through node uses the injected salt (same bytes as noble)', () => {
    const id = fixtureIdentity('rsaB');
    const data = rnd(10);
    const salt = () => new Uint8Array(32).fill(0x5a);
    expect(hex(node.hostIdAlgorithm(5)!.sign(id.privateKey, data, salt))).toBe(hex(noble.hostIdAlgorithm(5)!.sign(id.privateKey, data, salt)));
  });
});
