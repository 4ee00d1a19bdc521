// ENCRYPTED parameter contents (RFC 7401 §5.2.18): one or more whole HIP parameters (each
// padded to 8 bytes per §5.2.1), encrypted with the HIP_CIPHER chosen in I2 and the sender's
// HIP encryption key (BexKeys.local.encKey; the receiver uses BexKeys.peer.encKey).
//
//   ivAndData = IV (cipher.ivLength bytes, from the injected random) ‖ Encrypted data
//
// Block ciphers get the PKCS#5/#7 padding §5.2.18 names: 1..blockSize bytes of value n, always
// added (a full block when the parameters are already aligned). The padding is not counted in
// any TLV Length. On decryption the inner parameters are delimited by their own TLV lengths, so
// senders that pad differently (zero padding, no extra block) are understood too.
import type { RandomSource } from '../types.js';
import { readU16 } from '../util/bytes.js';
import { PARAM_TYPE } from '../wire/constants.js';
import { parseHostIdValue, type HostIdFields } from './host-id.js';
import type { HipCipher } from './provider.js';

/** Encrypts whole, padded parameter TLVs; returns ENCRYPTED's IV ‖ Encrypted data. */
export function encryptParams(cipher: HipCipher, key: Uint8Array, random: RandomSource, params: Uint8Array): Uint8Array {
  if (key.length !== cipher.keyLength) throw new RangeError(`HIP_CIPHER ${cipher.id} expects a ${cipher.keyLength}-byte key`);
  if (params.length % 8 !== 0) throw new RangeError('inner parameters must be padded to 8 bytes');
  const iv = cipher.ivLength > 0 ? random(cipher.ivLength) : new Uint8Array(0);
  let plain = params;
  if (cipher.blockSize > 1) {
    const pad = cipher.blockSize - (params.length % cipher.blockSize);
    plain = new Uint8Array(params.length + pad);
    plain.set(params);
    plain.fill(pad, params.length);
  }
  const ct = cipher.encrypt(key, iv, plain);
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return out;
}

/**
 * Why an ENCRYPTED parameter (RFC 7401 §5.2.18) could not be opened: ciphertext length, key size,
 * or the decrypted bytes are not parameter TLVs.
 */
export type DecryptError = 'bad-length' | 'bad-key' | 'malformed-inner';

/** What {@link decryptParams} returns: the inner parameter TLVs, or why decryption failed. */
export type DecryptedParams =
  | { readonly ok: true; readonly params: Uint8Array }
  | { readonly ok: false; readonly reason: DecryptError };

/**
 * Decrypts ENCRYPTED's IV ‖ Encrypted data and returns the inner parameter TLVs (with their 8-byte
 * padding), found by walking their Type/Length fields; the cipher's padding is dropped.
 */
export function decryptParams(cipher: HipCipher, key: Uint8Array, ivAndData: Uint8Array): DecryptedParams {
  if (key.length !== cipher.keyLength) return { ok: false, reason: 'bad-key' };
  if (ivAndData.length < cipher.ivLength) return { ok: false, reason: 'bad-length' };
  const iv = ivAndData.subarray(0, cipher.ivLength);
  const plain = cipher.decrypt(key, iv, ivAndData.subarray(cipher.ivLength));
  if (plain === undefined) return { ok: false, reason: 'bad-length' };
  const end = innerParamsEnd(plain);
  if (end === 0) return { ok: false, reason: 'malformed-inner' };
  return { ok: true, params: plain.slice(0, end) };
}

/**
 * End of the inner TLVs in a decrypted block. Walking stops at Type 0 (zero padding) or at a
 * "TLV" whose Length overruns the block: PKCS#7 padding of n bytes reads as Type = Length =
 * n·257 ≥ 257, longer than any block padding, so it always stops the walk.
 */
function innerParamsEnd(plain: Uint8Array): number {
  let off = 0;
  while (off + 4 <= plain.length) {
    const type = readU16(plain, off);
    const len = readU16(plain, off + 2);
    if (type === 0 || off + 4 + len > plain.length) break;
    off = Math.min(off + Math.ceil((4 + len) / 8) * 8, plain.length);
  }
  return off;
}

/** Encrypts a HOST_ID parameter (whole TLV, e.g. HostIdentity.hostIdParam) for I2's ENCRYPTED. */
export function encryptHostId(cipher: HipCipher, key: Uint8Array, random: RandomSource, hostIdParam: Uint8Array): Uint8Array {
  return encryptParams(cipher, key, random, hostIdParam);
}

/**
 * What {@link decryptHostId} returns: the HOST_ID inside I2's ENCRYPTED (RFC 7401 §6.9), or why
 * not.
 */
export type DecryptedHostId =
  | { readonly ok: true; readonly hostId: HostIdFields; readonly hostIdParam: Uint8Array }
  | { readonly ok: false; readonly reason: DecryptError | 'not-host-id' };

/** Decrypts I2's ENCRYPTED and parses the HOST_ID parameter inside. */
export function decryptHostId(cipher: HipCipher, key: Uint8Array, ivAndData: Uint8Array): DecryptedHostId {
  if (key.length !== cipher.keyLength) return { ok: false, reason: 'bad-key' };
  if (ivAndData.length < cipher.ivLength) return { ok: false, reason: 'bad-length' };
  const plain = cipher.decrypt(key, ivAndData.subarray(0, cipher.ivLength), ivAndData.subarray(cipher.ivLength));
  if (plain === undefined) return { ok: false, reason: 'bad-length' };
  if (plain.length < 4) return { ok: false, reason: 'malformed-inner' };
  if (readU16(plain, 0) !== PARAM_TYPE.HOST_ID) return { ok: false, reason: 'not-host-id' };
  const len = readU16(plain, 2);
  if (4 + len > plain.length) return { ok: false, reason: 'malformed-inner' };
  const hostId = parseHostIdValue(plain.subarray(4, 4 + len));
  if (hostId === undefined) return { ok: false, reason: 'malformed-inner' };
  const padded = Math.min(Math.ceil((4 + len) / 8) * 8, plain.length);
  return { ok: true, hostId, hostIdParam: plain.slice(0, padded) };
}
