// Shared helpers for the crypto tests (node:crypto allowed here).
import * as nc from 'node:crypto';
import { importHostIdentity, spkiFromHostId, type HostIdentity } from '../../src/crypto/index.js';
import { fixturePkcs8, type FixtureKeyName } from '../fixtures/keys.js';

const cache = new Map<string, HostIdentity>();

/** A fixture identity (parsed once per test file). */
export function fixtureIdentity(name: FixtureKeyName): HostIdentity {
  let id = cache.get(name);
  if (id === undefined) {
    id = importHostIdentity(fixturePkcs8(name));
    cache.set(name, id);
  }
  return id;
}

export function nodePrivateKey(name: FixtureKeyName): nc.KeyObject {
  return nc.createPrivateKey({ key: Buffer.from(fixturePkcs8(name)), format: 'der', type: 'pkcs8' });
}

export function nodePublicKeyOf(id: Pick<HostIdentity, 'algorithm' | 'hostIdentity'>): nc.KeyObject {
  return nc.createPublicKey({ key: Buffer.from(spkiFromHostId(id.algorithm, id.hostIdentity)), format: 'der', type: 'spki' });
}

export function u8(b: Buffer | Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export function hex(b: Uint8Array): string {
  return Buffer.from(b).toString('hex');
}

export function unhex(h: string): Uint8Array {
  return u8(Buffer.from(h, 'hex'));
}

/** Node's signature over `data` for a fixture key, in HIP's wire form. */
export function nodeSign(name: FixtureKeyName, data: Uint8Array): Uint8Array {
  const key = nodePrivateKey(name);
  const t = key.asymmetricKeyType;
  if (t === 'rsa') {
    return u8(nc.sign('sha256', data, { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }));
  }
  if (t === 'ed25519') return u8(nc.sign(null, data, key));
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const hash = curve === 'secp160r1' ? 'sha1' : 'sha384';
  return u8(nc.sign(hash, data, { key, dsaEncoding: 'ieee-p1363' }));
}

/** Node's verification of a HIP-wire signature against a HOST_ID's Host Identity. */
export function nodeVerify(id: Pick<HostIdentity, 'algorithm' | 'hostIdentity'>, data: Uint8Array, sig: Uint8Array): boolean {
  const key = nodePublicKeyOf(id);
  const t = key.asymmetricKeyType;
  if (t === 'rsa') {
    return nc.verify('sha256', data, { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
  }
  if (t === 'ed25519') return nc.verify(null, data, key, sig);
  const hash = id.algorithm === 9 ? 'sha1' : 'sha384';
  return nc.verify(hash, data, { key, dsaEncoding: 'ieee-p1363' }, sig);
}
