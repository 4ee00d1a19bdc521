// ENCRYPTED contents (RFC 7401 §5.2.18) and HIP_CIPHER / ESP_TRANSFORM negotiation.
import * as nc from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  decryptHostId,
  decryptParams,
  encryptHostId,
  encryptParams,
  nobleCrypto,
  selectEspTransform,
  selectHipCipher,
  supportedEspTransforms,
  supportedHipCiphers,
} from '../../src/crypto/index.js';
import { decodeParamBlock } from '../../src/wire/index.js';
import { testRandom } from '../fixtures/keys.js';
import { fixtureIdentity, hex, u8 } from './helpers.js';

const crypto = nobleCrypto();
const rnd = testRandom('encrypted');

describe('ENCRYPTED with AES-CBC', () => {
  it.each(['rsaA', 'p256A', 'ed25519A'] as const)('%s HOST_ID round-trips; node decrypts it with PKCS#7 padding', (name) => {
    const id = fixtureIdentity(name);
    const aes = crypto.cipher(2)!;
    const key = rnd(16);
    const ivAndData = encryptHostId(aes, key, rnd, id.hostIdParam);
    expect((ivAndData.length - 16) % 16).toBe(0);
    const d = nc.createDecipheriv('aes-128-cbc', key, ivAndData.subarray(0, 16)); // auto PKCS#7 unpadding
    const plain = Buffer.concat([d.update(ivAndData.subarray(16)), d.final()]);
    expect(plain.toString('hex')).toBe(hex(id.hostIdParam));
    const back = decryptHostId(aes, key, ivAndData);
    expect(back.ok).toBe(true);
    if (!back.ok) return;
    expect(hex(back.hostIdParam)).toBe(hex(id.hostIdParam));
    expect(back.hostId.algorithm).toBe(id.algorithm);
    expect(hex(back.hostId.hostIdentity)).toBe(hex(id.hostIdentity));
    // the codec reads the decrypted block
    const dp = decryptParams(aes, key, ivAndData);
    expect(dp.ok && decodeParamBlock(dp.params).ok).toBe(true);
  });

  it('a block-aligned plaintext still gets a full padding block (PKCS#7)', () => {
    const aes = crypto.cipher(2)!;
    const params = new Uint8Array(32);
    params.set([0x02, 0xc1, 0x00, 0x1c]); // a fake 32-byte TLV
    expect(encryptParams(aes, rnd(16), rnd, params)).toHaveLength(16 + 48);
  });

  it('accepts senders that pad with zeros or not at all beyond the block size', () => {
    const id = fixtureIdentity('p256A'); // HOST_ID TLV of 8-byte multiple length
    const key = rnd(16);
    const iv = rnd(16);
    const zeroPadded = new Uint8Array(Math.ceil(id.hostIdParam.length / 16) * 16);
    zeroPadded.set(id.hostIdParam);
    const c = nc.createCipheriv('aes-128-cbc', key, iv).setAutoPadding(false);
    const ct = Buffer.concat([c.update(zeroPadded), c.final()]);
    const r = decryptHostId(crypto.cipher(2)!, key, u8(Buffer.concat([iv, ct])));
    expect(r.ok && hex(r.hostIdParam)).toBe(hex(id.hostIdParam));
    const dp = decryptParams(crypto.cipher(2)!, key, u8(Buffer.concat([iv, ct])));
    expect(dp.ok && hex(dp.params)).toBe(hex(id.hostIdParam));
  });

  it('wrong key or tampering gives an error, never a throw', () => {
    const id = fixtureIdentity('p384A');
    const aes = crypto.cipher(4)!;
    const key = rnd(32);
    const enc = encryptHostId(aes, key, rnd, id.hostIdParam);
    const wrong = decryptHostId(aes, rnd(32), enc);
    expect(wrong.ok).toBe(false);
    expect(decryptHostId(aes, key, enc.subarray(0, enc.length - 1))).toEqual({ ok: false, reason: 'bad-length' });
    expect(decryptHostId(aes, key.subarray(1), enc)).toEqual({ ok: false, reason: 'bad-key' });
    expect(decryptHostId(aes, key, enc.subarray(0, 5))).toEqual({ ok: false, reason: 'bad-length' });
  });

  it('NULL-ENCRYPT: no IV, no padding', () => {
    const id = fixtureIdentity('secp160r1A');
    const n = crypto.cipher(1)!;
    const enc = encryptHostId(n, new Uint8Array(0), rnd, id.hostIdParam);
    expect(hex(enc)).toBe(hex(id.hostIdParam));
    const r = decryptHostId(n, new Uint8Array(0), enc);
    expect(r.ok && hex(r.hostIdParam)).toBe(hex(id.hostIdParam));
  });

  it('the IV comes from the injected random', () => {
    const aes = crypto.cipher(2)!;
    const iv = Uint8Array.from({ length: 16 }, (_, i) => i);
    const enc = encryptParams(aes, new Uint8Array(16), () => iv, new Uint8Array(8));
    expect(hex(enc.subarray(0, 16))).toBe(hex(iv));
  });
});

describe('HIP_CIPHER and ESP_TRANSFORM negotiation', () => {
  it('initiator picks the responder-preferred cipher it supports; NULL only when allowed; six ids max', () => {
    expect(selectHipCipher([4, 2], [2, 4])).toBe(4);
    expect(selectHipCipher([1, 2], [1, 2])).toBe(2);
    expect(selectHipCipher([1], [1, 2])).toBeUndefined();
    expect(selectHipCipher([1], [1, 2], true)).toBe(1);
    expect(selectHipCipher([9, 9, 9, 9, 9, 9, 2], [2])).toBeUndefined();
    expect(supportedHipCiphers(crypto, [4, 3, 2, 1])).toEqual([4, 2, 1]);
  });
  it('ESP suite: first offered we support; auth-only NULL only when allowed', () => {
    expect(selectEspTransform([9, 8], [8, 9])).toBe(9);
    expect(selectEspTransform([7, 8], [7, 8])).toBe(8);
    expect(selectEspTransform([7], [7, 8])).toBeUndefined();
    expect(selectEspTransform([7], [7, 8], true)).toBe(7);
    expect(supportedEspTransforms(crypto, [1, 8, 9, 7, 12])).toEqual([8, 9, 7]);
    expect(supportedEspTransforms(nobleCrypto({ espTransforms: [8] }), [9, 8])).toEqual([8]);
  });
});
