// Host identities: PKCS#8/SPKI import of node:crypto (OpenSSL) keys, export back, Host Identity
// field encodings, HOST_ID parameter values, deterministic generation.
import * as nc from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  buildHostIdParam,
  buildHostIdValue,
  derToPem,
  exportPkcs8,
  exportSpki,
  generateHostIdentity,
  hostIdFromSpki,
  hostIdKeyType,
  hostIdentityFromPrivateKey,
  hostPrivateKeyFromRaw,
  importHostIdentity,
  nobleCrypto,
  parseHostIdValue,
} from '../../src/crypto/index.js';
import { fixturePkcs8, testRandom, type FixtureKeyName } from '../fixtures/keys.js';
import { fixtureIdentity, hex, nodePrivateKey, nodeVerify, u8 } from './helpers.js';

const ALL: FixtureKeyName[] = ['rsaA', 'p256A', 'p384A', 'secp160r1A', 'ed25519A'];

function nodeSpki(name: FixtureKeyName): Uint8Array {
  return u8(nc.createPublicKey(nodePrivateKey(name)).export({ type: 'spki', format: 'der' }));
}

describe('Host Identity field encodings', () => {
  it('RSA: RFC 3110 e_len | e | n from the node key', () => {
    const id = fixtureIdentity('rsaA');
    const jwk = nodePrivateKey('rsaA').export({ format: 'jwk' });
    const n = Buffer.from(jwk.n!, 'base64url');
    const e = Buffer.from(jwk.e!, 'base64url');
    expect(hex(id.hostIdentity)).toBe(Buffer.concat([Buffer.of(e.length), e, n]).toString('hex'));
    expect(id.algorithm).toBe(5);
    expect(id.hostIdentity).toHaveLength(1 + 3 + 256);
  });

  it.each([
    ['p256A', 1, 7, 32],
    ['p384A', 2, 7, 48],
    ['secp160r1A', 1, 9, 20],
  ] as [FixtureKeyName, number, number, number][])('%s: curve id %i then 0x04 ‖ X ‖ Y', (name, curve, alg, flen) => {
    const id = fixtureIdentity(name);
    // the uncompressed point is the tail of node's SPKI (JWK has no secp160r1)
    const spki = nodeSpki(name);
    const point = spki.subarray(spki.length - 1 - 2 * flen);
    expect(point[0]).toBe(4);
    expect(id.algorithm).toBe(alg);
    expect(hex(id.hostIdentity)).toBe('00' + curve.toString(16).padStart(2, '0') + hex(point));
  });

  it('Ed25519: curve id 1 then the 32-byte public key', () => {
    const id = fixtureIdentity('ed25519A');
    const jwk = nc.createPublicKey(nodePrivateKey('ed25519A')).export({ format: 'jwk' });
    expect(hex(id.hostIdentity)).toBe('0001' + Buffer.from(jwk.x!, 'base64url').toString('hex'));
    expect(id.algorithm).toBe(13);
  });

  it('a compressed ECDSA point is accepted on receipt (we always send uncompressed)', () => {
    const id = fixtureIdentity('p384A');
    const pub = nc.createPublicKey(nodePrivateKey('p384A'));
    const compressed = u8(nc.ECDH.convertKey(nodeSpki('p384A').subarray(-97), 'secp384r1', undefined, undefined, 'compressed') as Buffer);
    const hi = Uint8Array.from([0, 2, ...compressed]);
    expect(hostIdKeyType(7, hi)).toBe('ecdsa-p384');
    const data = u8(Buffer.from('compressed'));
    const sig = u8(nc.sign('sha384', data, { key: nodePrivateKey('p384A'), dsaEncoding: 'ieee-p1363' }));
    expect(nobleCrypto().hostIdAlgorithm(7)!.verify(hi, data, sig)).toBe(true);
    expect(pub.asymmetricKeyType).toBe('ec');
    expect(id.hostIdentity).toHaveLength(2 + 97);
  });

  it('hostIdKeyType validates curve ids, point encodings and sizes', () => {
    const p = fixtureIdentity('p256A').hostIdentity;
    expect(hostIdKeyType(7, p)).toBe('ecdsa-p256');
    expect(hostIdKeyType(9, p)).toBeUndefined(); // wrong algorithm for the length
    const badCurve = p.slice();
    badCurve[1] = 3;
    expect(hostIdKeyType(7, badCurve)).toBeUndefined();
    const offCurve = p.slice();
    offCurve[p.length - 1]! ^= 1;
    expect(hostIdKeyType(7, offCurve)).toBeUndefined();
    expect(hostIdKeyType(7, p.subarray(0, 40))).toBeUndefined();
    const r = fixtureIdentity('rsaA').hostIdentity;
    expect(hostIdKeyType(5, r)).toBe('rsa');
    expect(hostIdKeyType(5, r.subarray(0, 100))).toBeUndefined(); // modulus < 1024 bits
    expect(hostIdKeyType(5, Uint8Array.of(0, 0, 0))).toBeUndefined();
    expect(hostIdKeyType(3, r)).toBeUndefined(); // DSA unsupported
  });
});

describe('PKCS#8 / SPKI', () => {
  it.each(ALL)('%s: node key imports; our PKCS#8 and SPKI export read back in node', (name) => {
    const id = fixtureIdentity(name);
    // SPKI from node gives the same Host Identity
    const fromSpki = hostIdFromSpki(nodeSpki(name));
    expect(fromSpki.algorithm).toBe(id.algorithm);
    expect(hex(fromSpki.hostIdentity)).toBe(hex(id.hostIdentity));
    // our SPKI equals node's
    expect(hex(exportSpki(id))).toBe(hex(nodeSpki(name)));
    // our PKCS#8 imports into node and signs what our HI verifies
    const pk = nc.createPrivateKey({ key: Buffer.from(exportPkcs8(id)), format: 'der', type: 'pkcs8' });
    const data = u8(Buffer.from('hello'));
    const t = pk.asymmetricKeyType;
    const sig =
      t === 'rsa'
        ? nc.sign('sha256', data, { key: pk, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
        : t === 'ed25519'
          ? nc.sign(null, data, pk)
          : nc.sign(id.algorithm === 9 ? 'sha1' : 'sha384', data, { key: pk, dsaEncoding: 'ieee-p1363' });
    expect(nodeVerify(id, data, u8(sig))).toBe(true);
    // and round-trips through our own import
    expect(hex(importHostIdentity(exportPkcs8(id)).hit)).toBe(hex(id.hit));
  });

  it('PEM text imports (as written by openssl genpkey)', () => {
    const pem = nodePrivateKey('p384A').export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(hex(importHostIdentity(pem).hit)).toBe(hex(fixtureIdentity('p384A').hit));
    expect(derToPem(fixturePkcs8('p384A'), 'PRIVATE KEY')).toBe(pem);
    const spkiPem = nc.createPublicKey(nodePrivateKey('rsaA')).export({ type: 'spki', format: 'pem' }) as string;
    expect(hex(hostIdFromSpki(spkiPem).hostIdentity)).toBe(hex(fixtureIdentity('rsaA').hostIdentity));
  });

  it('imports an RSASSA-PSS key (openssl genpkey -algorithm rsa-pss)', () => {
    const { privateKey } = nc.generateKeyPairSync('rsa-pss', { modulusLength: 1024 });
    const id = importHostIdentity(u8(privateKey.export({ type: 'pkcs8', format: 'der' })));
    const data = u8(Buffer.from('pss'));
    const sig = nobleCrypto().hostIdAlgorithm(5)!.sign(id.privateKey, data, testRandom('pss'));
    expect(nc.verify('sha256', data, { key: privateKey, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig)).toBe(true);
  });

  it('rejects garbage and unsupported keys', () => {
    expect(() => importHostIdentity(Uint8Array.of(1, 2, 3))).toThrow();
    const x448 = nc.generateKeyPairSync('x448').privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(() => importHostIdentity(u8(x448))).toThrow(/unsupported/);
    const p521 = nc.generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    expect(() => importHostIdentity(u8(p521))).toThrow(/unsupported EC curve/);
  });
});

describe('HOST_ID parameter value (RFC 7401 §5.2.9)', () => {
  it('builds HI Length | DI-Type/DI Length | Algorithm | HI | DI and parses it back', () => {
    const hi = fixtureIdentity('p256A').hostIdentity;
    const di = u8(Buffer.from('\x04host\x07example\x00', 'latin1'));
    const v = buildHostIdValue({ algorithm: 7, hostIdentity: hi, diType: 1, domainIdentifier: di });
    expect(hex(v.subarray(0, 6))).toBe(hi.length.toString(16).padStart(4, '0') + (0x1000 | di.length).toString(16).padStart(4, '0') + '0007');
    const back = parseHostIdValue(v)!;
    expect(back.algorithm).toBe(7);
    expect(back.diType).toBe(1);
    expect(hex(back.hostIdentity)).toBe(hex(hi));
    expect(hex(back.domainIdentifier)).toBe(hex(di));
    expect(parseHostIdValue(v.subarray(0, v.length - 1))).toBeUndefined();
    const tlv = buildHostIdParam({ algorithm: 7, hostIdentity: hi, diType: 1, domainIdentifier: di });
    expect(tlv.length % 8).toBe(0);
    expect(hex(tlv.subarray(0, 4))).toBe('02c1' + v.length.toString(16).padStart(4, '0'));
    expect(tlv.subarray(4 + v.length).every((b) => b === 0)).toBe(true);
  });

  it('an identity carries its HOST_ID bytes; the DI does not change the HIT', () => {
    const key = fixtureIdentity('ed25519A').privateKey;
    const a = hostIdentityFromPrivateKey(key);
    const b = hostIdentityFromPrivateKey(key, { diType: 2, domainIdentifier: u8(Buffer.from('user@example')) });
    expect(hex(a.hit)).toBe(hex(b.hit));
    expect(hex(a.hostIdParam.subarray(4, 4 + a.hostIdValue.length))).toBe(hex(a.hostIdValue));
    expect(parseHostIdValue(b.hostIdValue)!.diType).toBe(2);
    expect(() => hostIdentityFromPrivateKey(key, { domainIdentifier: Uint8Array.of(1) })).toThrow();
  });
});

describe('generation from the injected random', () => {
  it.each(['ecdsa-p256', 'ecdsa-p384', 'ecdsa-secp160r1', 'ed25519'] as const)('%s is deterministic and valid', (t) => {
    const a = generateHostIdentity(t, testRandom('gen'));
    const b = generateHostIdentity(t, testRandom('gen'));
    expect(hex(a.hit)).toBe(hex(b.hit));
    expect(hostIdKeyType(a.algorithm, a.hostIdentity)).toBe(t);
    const data = u8(Buffer.from('x'));
    const sig = nobleCrypto().hostIdAlgorithm(a.algorithm)!.sign(a.privateKey, data, testRandom('s'));
    expect(nodeVerify(a, data, sig)).toBe(true);
  });

  it('RSA key generation (1024 bits here for speed) is deterministic and node-compatible', () => {
    const a = generateHostIdentity('rsa', testRandom('rsa-gen'), { rsaBits: 1024 });
    const b = generateHostIdentity('rsa', testRandom('rsa-gen'), { rsaBits: 1024 });
    expect(hex(a.hostIdentity)).toBe(hex(b.hostIdentity));
    const pk = nc.createPrivateKey({ key: Buffer.from(exportPkcs8(a)), format: 'der', type: 'pkcs8' });
    expect(pk.asymmetricKeyDetails?.modulusLength).toBe(1024);
    const data = u8(Buffer.from('rsa'));
    const sig = nc.sign('sha256', data, { key: pk, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
    expect(nobleCrypto().hostIdAlgorithm(5)!.verify(a.hostIdentity, data, u8(sig))).toBe(true);
  });

  it('raw EC/EdDSA private keys import', () => {
    const jwk = nodePrivateKey('p256A').export({ format: 'jwk' });
    const k = hostPrivateKeyFromRaw('ecdsa-p256', u8(Buffer.from(jwk.d!, 'base64url')));
    expect(hex(hostIdentityFromPrivateKey(k).hit)).toBe(hex(fixtureIdentity('p256A').hit));
    expect(() => hostPrivateKeyFromRaw('ecdsa-p256', new Uint8Array(32))).toThrow();
    expect(() => hostPrivateKeyFromRaw('ed25519', new Uint8Array(31))).toThrow();
  });
});
