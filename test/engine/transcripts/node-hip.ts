// Independent HIP helpers for the base-exchange transcripts (vectors/bex-*.json): node:crypto,
// BigInt arithmetic and byte surgery only. Nothing here imports src/ (no hip-engine crypto, no
// codec): packets are walked by hand per RFC 7401 §5, Host Identities are turned into node
// KeyObjects from their RFC 3110 / curve-id + point / EdDSA encodings, and cSHAKE128 (which
// node:crypto lacks) is a small Keccak written here and pinned to node's SHAKE128 and NIST's
// cSHAKE sample.
import * as nc from 'node:crypto';
import { paramOffsets } from '../../crypto/independent.js';

export const PARAM = {
  ESP_INFO: 65,
  R1_COUNTER: 129,
  PUZZLE: 257,
  SOLUTION: 321,
  DH_GROUP_LIST: 511,
  DIFFIE_HELLMAN: 513,
  HIP_CIPHER: 579,
  HOST_ID: 705,
  HIT_SUITE_LIST: 715,
  TRANSPORT_FORMAT_LIST: 2049,
  ESP_TRANSFORM: 4095,
  HIP_MAC: 61505,
  HIP_MAC_2: 61569,
  HIP_SIGNATURE_2: 61633,
  HIP_SIGNATURE: 61697,
} as const;

/** RFC 7401 §5.3 packet type numbers. */
export const PACKET_TYPE: Record<string, number> = { I1: 1, R1: 2, I2: 3, R2: 4 };

export const buf = (hex: string): Buffer => Buffer.from(hex, 'hex');
export const hx = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const be = (b: Uint8Array): bigint => (b.length === 0 ? 0n : BigInt('0x' + hx(b)));
function i2osp(x: bigint, len: number): Buffer {
  const h = x.toString(16).padStart(len * 2, '0');
  if (h.length > len * 2) throw new RangeError('integer too large');
  return buf(h);
}
function modPow(b: bigint, e: bigint, m: bigint): bigint {
  let r = 1n;
  b %= m;
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}

// ---- packets (RFC 7401 §5.1, §5.2) -----------------------------------------------------------

export type Header = { nextHeader: number; headerLength: number; type: number; version: number; fixedBit: number; checksum: number; controls: number; senderHit: Buffer; receiverHit: Buffer };

export function header(raw: Buffer): Header {
  return {
    nextHeader: raw[0]!,
    headerLength: raw[1]!,
    type: raw[2]! & 0x7f,
    version: raw[3]! >> 4,
    fixedBit: raw[3]! & 1,
    checksum: raw.readUInt16BE(4),
    controls: raw.readUInt16BE(6),
    senderHit: raw.subarray(8, 24),
    receiverHit: raw.subarray(24, 40),
  };
}

export type Tlv = { type: number; offset: number; length: number; value: Buffer; whole: Buffer };

/** Every parameter, walked by hand (Type, Length, contents, padding to 8). */
export function tlvs(raw: Buffer): Tlv[] {
  return paramOffsets(raw).map((p) => ({
    ...p,
    value: raw.subarray(p.offset + 4, p.offset + 4 + p.length),
    whole: raw.subarray(p.offset, p.offset + Math.ceil((4 + p.length) / 8) * 8),
  }));
}

export function tlv(raw: Buffer, type: number): Tlv {
  const all = tlvs(raw).filter((p) => p.type === type);
  if (all.length !== 1) throw new Error(`expected exactly one parameter ${type}, found ${all.length}`);
  return all[0]!;
}

/** HIP checksum over the IPv6 pseudo-header (next header 139) with the checksum field zeroed. */
export function hipChecksum(src: Buffer, dst: Buffer, packet: Buffer): number {
  const p = Buffer.from(packet);
  p.writeUInt16BE(0, 4);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(p.length);
  const all = Buffer.concat([src, dst, len, Buffer.of(0, 0, 0, 139), p, Buffer.alloc(p.length % 2)]);
  let sum = 0;
  for (let i = 0; i < all.length; i += 2) sum += all.readUInt16BE(i);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** HOST_ID (§5.2.9): HI Length(16) DI-Type(4)|DI Length(12) Algorithm(16) HI DI. */
export function hostIdFields(t: Tlv): { algorithm: number; hostIdentity: Buffer; diType: number; domainIdentifier: Buffer } {
  const v = t.value;
  const hiLen = v.readUInt16BE(0);
  const di = v.readUInt16BE(2);
  return { algorithm: v.readUInt16BE(4), hostIdentity: v.subarray(6, 6 + hiLen), diType: di >> 12, domainIdentifier: v.subarray(6 + hiLen, 6 + hiLen + (di & 0xfff)) };
}

/** HIP_SIGNATURE(_2) (§5.2.14-15): SIG alg(16) Signature. */
export function signatureFields(t: Tlv): { algorithm: number; signature: Buffer } {
  return { algorithm: t.value.readUInt16BE(0), signature: t.value.subarray(2) };
}

/** PUZZLE (§5.2.4): #K(8) Lifetime(8) Opaque(16) #I. */
export function puzzleFields(t: Tlv): { k: number; lifetime: number; opaque: number; randomI: Buffer } {
  return { k: t.value[0]!, lifetime: t.value[1]!, opaque: t.value.readUInt16BE(2), randomI: t.value.subarray(4) };
}

/** SOLUTION (§5.2.5): #K(8) Reserved(8) Opaque(16) #I #J, each RHASH length. */
export function solutionFields(t: Tlv): { k: number; opaque: number; randomI: Buffer; randomJ: Buffer } {
  const n = (t.length - 4) / 2;
  return { k: t.value[0]!, opaque: t.value.readUInt16BE(2), randomI: t.value.subarray(4, 4 + n), randomJ: t.value.subarray(4 + n) };
}

/** DIFFIE_HELLMAN (§5.2.7): Group ID(8) Public Value Length(16) Public Value. */
export function dhFields(t: Tlv): { group: number; publicValue: Buffer } {
  const len = t.value.readUInt16BE(1);
  return { group: t.value[0]!, publicValue: t.value.subarray(3, 3 + len) };
}

/** ESP_INFO (RFC 7402 §5.1.1): Reserved(16) KEYMAT Index(16) OLD SPI(32) NEW SPI(32). */
export function espInfoFields(t: Tlv): { keymatIndex: number; oldSpi: number; newSpi: number } {
  return { keymatIndex: t.value.readUInt16BE(2), oldSpi: t.value.readUInt32BE(4), newSpi: t.value.readUInt32BE(8) };
}

/** R1_COUNTER (§5.2.3): Reserved(32) R1 generation counter(64). */
export function r1CounterFields(t: Tlv): { generation: bigint } {
  return { generation: t.value.readBigUInt64BE(4) };
}

// ---- Host Identities → node KeyObjects (written here, not src/crypto's spkiFromHostId) --------

export type NodeHi = { key: nc.KeyObject; kind: 'rsa' | 'ecdsa-p256' | 'ecdsa-p384' | 'ed25519' };

/**
 * RSA (5): RFC 3110 §2 e_len (1 byte, or 0 then 2 bytes) | e | n → JWK.
 * ECDSA (7): curve id (1 = P-256, 2 = P-384) | 0x04 | X | Y (RFC 7401 §5.2.9) → JWK.
 * EdDSA (13): curve id 1 = Ed25519 | 32-byte public key (RFC 9374 §3.4) → JWK.
 */
export function nodeKeyFromHi(algorithm: number, hi: Buffer): NodeHi {
  const b64 = (b: Buffer): string => b.toString('base64url');
  if (algorithm === 5) {
    let eLen = hi[0]!;
    let off = 1;
    if (eLen === 0) {
      eLen = hi.readUInt16BE(1);
      off = 3;
    }
    const e = hi.subarray(off, off + eLen);
    const n = hi.subarray(off + eLen);
    return { kind: 'rsa', key: nc.createPublicKey({ key: { kty: 'RSA', n: b64(n), e: b64(e) }, format: 'jwk' }) };
  }
  if (algorithm === 7) {
    const curve = hi.readUInt16BE(0);
    const flen = curve === 1 ? 32 : curve === 2 ? 48 : 0;
    if (flen === 0 || hi.length !== 2 + 1 + 2 * flen || hi[2] !== 0x04) throw new Error('unexpected ECDSA Host Identity');
    const x = hi.subarray(3, 3 + flen);
    const y = hi.subarray(3 + flen);
    return {
      kind: curve === 1 ? 'ecdsa-p256' : 'ecdsa-p384',
      key: nc.createPublicKey({ key: { kty: 'EC', crv: curve === 1 ? 'P-256' : 'P-384', x: b64(x), y: b64(y) }, format: 'jwk' }),
    };
  }
  if (algorithm === 13) {
    if (hi.length !== 34 || hi.readUInt16BE(0) !== 1) throw new Error('unexpected EdDSA Host Identity');
    return { kind: 'ed25519', key: nc.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64(hi.subarray(2)) }, format: 'jwk' }) };
  }
  throw new Error(`HI algorithm ${algorithm} not covered by the transcripts`);
}

/** The public key of a PKCS#8 private key, as node sees it (JWK), for comparison with the HI's. */
export function nodePublicJwkOfPkcs8(pkcs8Hex: string): nc.JsonWebKey {
  return nc.createPublicKey(nc.createPrivateKey({ key: buf(pkcs8Hex), format: 'der', type: 'pkcs8' })).export({ format: 'jwk' });
}

/**
 * Signature check per RFC 7401 §5.2.9/§5.2.14 and hip-engine's documented choices (docs/architecture.md,
 * Choices the RFCs leave open): RSA = RSASSA-PSS/SHA-256, salt 32; ECDSA (HIT suite 2) = SHA-384, r‖s; Ed25519 = pure.
 */
export function nodeVerifyHip(algorithm: number, hi: Buffer, data: Buffer, sig: Buffer): boolean {
  const { key, kind } = nodeKeyFromHi(algorithm, hi);
  if (kind === 'rsa') return nc.verify('sha256', data, { key, padding: nc.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, sig);
  if (kind === 'ed25519') return nc.verify(null, data, key, sig);
  return nc.verify('sha384', data, { key, dsaEncoding: 'ieee-p1363' }, sig);
}

/**
 * EMSA-PSS-VERIFY decoding (RFC 8017 §9.1.2) by hand: the salt inside an RSA-PSS/SHA-256
 * signature, or undefined when the signature does not verify. Lets the transcript name the salt
 * each RSA signature used, so another implementation can reproduce the signature bytes.
 */
export function pssSalt(hi: Buffer, data: Buffer, sig: Buffer): Buffer | undefined {
  let eLen = hi[0]!;
  let off = 1;
  if (eLen === 0) {
    eLen = hi.readUInt16BE(1);
    off = 3;
  }
  const e = be(hi.subarray(off, off + eLen));
  const n = be(hi.subarray(off + eLen));
  const modBits = n.toString(2).length;
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const s = be(sig);
  if (s >= n) return undefined;
  const em = i2osp(modPow(s, e, n), emLen);
  const hLen = 32;
  if (em[emLen - 1] !== 0xbc) return undefined;
  const masked = em.subarray(0, emLen - hLen - 1);
  const H = em.subarray(emLen - hLen - 1, emLen - 1);
  const chunks: Buffer[] = [];
  for (let c = 0; Buffer.concat(chunks).length < masked.length; c++) {
    const ctr = Buffer.alloc(4);
    ctr.writeUInt32BE(c);
    chunks.push(nc.createHash('sha256').update(H).update(ctr).digest());
  }
  const mask = Buffer.concat(chunks);
  const db = Buffer.from(masked.map((b, i) => b ^ mask[i]!));
  db[0] = db[0]! & (0xff >> (8 * emLen - emBits));
  const one = db.findIndex((b) => b !== 0);
  if (one < 0 || db[one] !== 1) return undefined;
  const salt = db.subarray(one + 1);
  const mHash = nc.createHash('sha256').update(data).digest();
  const H2 = nc.createHash('sha256').update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return H2.equals(H) ? Buffer.from(salt) : undefined;
}

// ---- Diffie-Hellman with node:crypto ----------------------------------------------------------

/** Curve orders, for the seed → scalar map below (a wrong constant makes the public check fail). */
const ORDER = {
  7: BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  8: BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
} as const;

export const DH_GROUP_INFO: Record<number, { name: string; kind: 'ecp' | 'modp'; drawLength: number; privateLength: number }> = {
  3: { name: 'MODP-1536 (RFC 3526 group 5)', kind: 'modp', drawLength: 32, privateLength: 32 },
  7: { name: 'NIST P-256 (RFC 5903)', kind: 'ecp', drawLength: 48, privateLength: 32 },
  8: { name: 'NIST P-384 (RFC 5903)', kind: 'ecp', drawLength: 72, privateLength: 48 },
};

/**
 * The private value hip-engine makes from one random draw (its documented rule, re-done here):
 * ECP groups: scalar = (big-endian draw mod (n - 1)) + 1 from a draw of 1.5x the field width;
 * MODP-1536: x = the 256-bit big-endian draw with its top bit set. The caller must confirm the
 * result with nodeDhPublic against the public value on the wire.
 */
export function dhPrivateFromDraw(group: number, draw: Buffer): Buffer {
  const g = DH_GROUP_INFO[group];
  if (!g || draw.length !== g.drawLength) throw new Error(`no DH draw rule for group ${group} / ${draw.length} bytes`);
  if (g.kind === 'modp') return i2osp(be(draw) | (1n << 255n), 32);
  const n = ORDER[group as 7 | 8];
  return i2osp((be(draw) % (n - 1n)) + 1n, g.privateLength);
}

function modp1536(priv: Buffer): nc.DiffieHellman {
  const d = nc.createDiffieHellman(nc.getDiffieHellman('modp5').getPrime(), Buffer.of(2));
  d.setPrivateKey(priv);
  return d;
}
const pad = (b: Buffer, len: number): Buffer => Buffer.concat([Buffer.alloc(Math.max(0, len - b.length)), b]);

/** The wire public value (RFC 7401 §5.2.7: ECP x‖y without 0x04; MODP g^x fixed width). */
export function nodeDhPublic(group: number, priv: Buffer): Buffer {
  if (group === 3) return pad(modp1536(priv).computeSecret(Buffer.of(2)), 192); // 2^x mod p
  const e = nc.createECDH(group === 7 ? 'prime256v1' : 'secp384r1');
  e.setPrivateKey(priv);
  return e.getPublicKey().subarray(1);
}

/** Kij: MODP g^xy fixed width; ECP the x coordinate of the shared point (RFC 5903 §9). */
export function nodeDhShared(group: number, priv: Buffer, peerPublic: Buffer): Buffer {
  if (group === 3) return pad(modp1536(priv).computeSecret(peerPublic), 192);
  const e = nc.createECDH(group === 7 ? 'prime256v1' : 'secp384r1');
  e.setPrivateKey(priv);
  return e.computeSecret(Buffer.concat([Buffer.of(4), peerPublic]));
}

// ---- cSHAKE128 (NIST SP 800-185) on a hand-written Keccak-f[1600] -----------------------------

const MASK64 = (1n << 64n) - 1n;
const ROT = [
  [0, 36, 3, 41, 18],
  [1, 44, 10, 45, 2],
  [62, 6, 43, 15, 61],
  [28, 55, 25, 21, 56],
  [27, 20, 39, 8, 14],
]; // ROT[x][y]
const rotl = (v: bigint, n: number): bigint => (n === 0 ? v : ((v << BigInt(n)) | (v >> BigInt(64 - n))) & MASK64);
function rcBit(t: number): bigint {
  let r = 1;
  for (let i = 0; i < t % 255; i++) {
    r <<= 1;
    if (r & 0x100) r ^= 0x171;
  }
  return BigInt(r & 1);
}
const RC: bigint[] = Array.from({ length: 24 }, (_, ir) => {
  let c = 0n;
  for (let j = 0; j <= 6; j++) c |= rcBit(j + 7 * ir) << BigInt((1 << j) - 1);
  return c;
});

function keccakF(a: bigint[]): void {
  for (let round = 0; round < 24; round++) {
    const c = [0, 1, 2, 3, 4].map((x) => a[x]! ^ a[x + 5]! ^ a[x + 10]! ^ a[x + 15]! ^ a[x + 20]!);
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5]! ^ rotl(c[(x + 1) % 5]!, 1);
      for (let y = 0; y < 5; y++) a[x + 5 * y] = a[x + 5 * y]! ^ d;
    }
    const b = new Array<bigint>(25).fill(0n);
    for (let x = 0; x < 5; x++) for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(a[x + 5 * y]!, ROT[x]![y]!);
    for (let x = 0; x < 5; x++) for (let y = 0; y < 5; y++) a[x + 5 * y] = b[x + 5 * y]! ^ (~b[((x + 1) % 5) + 5 * y]! & MASK64 & b[((x + 2) % 5) + 5 * y]!);
    a[0] = a[0]! ^ RC[round]!;
  }
}

/** Keccak sponge, rate 168 (128-bit security), with a domain-separation byte (SHAKE 0x1f, cSHAKE 0x04). */
export function keccak168(msg: Uint8Array, ds: number, outLen: number): Buffer {
  const rate = 168;
  const padded = Buffer.alloc(Math.ceil((msg.length + 1) / rate) * rate);
  padded.set(msg);
  padded[msg.length] = padded[msg.length]! ^ ds;
  padded[padded.length - 1] = padded[padded.length - 1]! ^ 0x80;
  const a = new Array<bigint>(25).fill(0n);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) a[i] = a[i]! ^ padded.readBigUInt64LE(off + 8 * i);
    keccakF(a);
  }
  const out: Buffer[] = [];
  for (let have = 0; ; ) {
    const block = Buffer.alloc(rate);
    for (let i = 0; i < rate / 8; i++) block.writeBigUInt64LE(a[i]!, 8 * i);
    out.push(block);
    have += rate;
    if (have >= outLen) break;
    keccakF(a);
  }
  return Buffer.concat(out).subarray(0, outLen);
}

function leftEncode(x: number): Buffer {
  const bytes: number[] = [];
  for (let v = x; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if (bytes.length === 0) bytes.push(0);
  return Buffer.from([bytes.length, ...bytes]);
}
const encodeString = (s: Uint8Array): Buffer => Buffer.concat([leftEncode(s.length * 8), Buffer.from(s)]);

/** cSHAKE128(X, L, N, S) of SP 800-185 §3.3. */
export function cshake128(x: Uint8Array, outLen: number, n: Uint8Array, s: Uint8Array): Buffer {
  if (n.length === 0 && s.length === 0) return keccak168(x, 0x1f, outLen);
  const pre = Buffer.concat([leftEncode(168), encodeString(n), encodeString(s)]);
  const bytepad = Buffer.concat([pre, Buffer.alloc((168 - (pre.length % 168)) % 168)]);
  return keccak168(Buffer.concat([bytepad, Buffer.from(x)]), 0x04, outLen);
}

export const HIP_CONTEXT_ID = buf('f0eff02fbff43d0fe7930c3c6e6174ea');

/**
 * HIT suite 5 (EdDSA) as hip-engine reads RFC 9374: 2001:20::/28 | OGA 5 | cSHAKE128(prefix|OGA
 * (4 bytes 20 01 00 25) ‖ HI, 96 bits, N = "", S = HIP context id). See src/crypto/hit.ts: a
 * reading not yet checked against another EdDSA HIP implementation.
 */
export function nodeHitEdDsa(hi: Uint8Array): string {
  const prefix = buf('20010025');
  return hx(Buffer.concat([prefix, cshake128(Buffer.concat([prefix, hi]), 12, new Uint8Array(0), HIP_CONTEXT_ID)]));
}
