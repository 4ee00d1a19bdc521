// Minimal DER for PKCS#8 (RFC 5208/5958) and SubjectPublicKeyInfo (RFC 5280) key containers, so
// keys made with OpenSSL or node:crypto can be imported and ours exported. Covers RSA (rsaEncryption
// and id-RSASSA-PSS), EC named curves P-256, P-384, secp160r1, and Ed25519 (RFC 8410).
import { concatBytes, equalBytes } from '../util/bytes.js';
import { bigIntToMinBytes, bytesToBigInt } from './bigint.js';

/**
 * Thrown when a PEM/DER key a caller imports (PKCS#8, SPKI) is truncated or malformed: caller
 * input, so it throws, unlike bad remote input.
 */
export class DerError extends Error {
  /** Always 'DerError', so the error can be told apart by name. */
  override readonly name = 'DerError';
}

type Tlv = { readonly tag: number; readonly body: Uint8Array; readonly end: number };

function readTlv(b: Uint8Array, off: number): Tlv {
  if (off + 2 > b.length) throw new DerError('truncated DER');
  const tag = b[off]!;
  let len = b[off + 1]!;
  let p = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > b.length) throw new DerError('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p + i]!;
    p += n;
  }
  if (p + len > b.length) throw new DerError('truncated DER');
  return { tag, body: b.subarray(p, p + len), end: p + len };
}

/** The children of a constructed value's body. */
function children(body: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let off = 0;
  while (off < body.length) {
    const t = readTlv(body, off);
    out.push(t);
    off = t.end;
  }
  return out;
}

function expect(t: Tlv | undefined, tag: number, what: string): Tlv {
  if (t === undefined || t.tag !== tag) throw new DerError(`expected ${what}`);
  return t;
}

function derInt(t: Tlv | undefined, what: string): bigint {
  const v = expect(t, 0x02, what).body;
  if (v.length === 0 || (v[0]! & 0x80) !== 0) throw new DerError(`${what}: negative or empty INTEGER`);
  return bytesToBigInt(v);
}

// ---- encoder

function encLen(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function tlv(tag: number, ...body: Uint8Array[]): Uint8Array {
  const b = concatBytes(...body);
  return concatBytes(Uint8Array.of(tag), encLen(b.length), b);
}

const seq = (...b: Uint8Array[]): Uint8Array => tlv(0x30, ...b);
const octets = (b: Uint8Array): Uint8Array => tlv(0x04, b);
const bits = (b: Uint8Array): Uint8Array => tlv(0x03, Uint8Array.of(0), b);
const NULL = Uint8Array.of(0x05, 0x00);

function int(n: bigint): Uint8Array {
  let b = bigIntToMinBytes(n);
  if ((b[0]! & 0x80) !== 0) b = concatBytes(Uint8Array.of(0), b);
  return tlv(0x02, b);
}

function oid(dotted: string): Uint8Array {
  const parts = dotted.split('.').map(Number);
  const out: number[] = [40 * parts[0]! + parts[1]!];
  for (const v of parts.slice(2)) {
    const chunk: number[] = [v & 0x7f];
    let x = Math.floor(v / 128);
    while (x > 0) {
      chunk.unshift((x & 0x7f) | 0x80);
      x = Math.floor(x / 128);
    }
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}

export const OID = {
  rsaEncryption: '1.2.840.113549.1.1.1',
  rsassaPss: '1.2.840.113549.1.1.10',
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  secp160r1: '1.3.132.0.8',
  ed25519: '1.3.101.112',
} as const;

const OID_BYTES = new Map<string, Uint8Array>(Object.values(OID).map((o) => [o, oid(o)]));

function oidName(t: Tlv | undefined): string {
  const v = expect(t, 0x06, 'OBJECT IDENTIFIER');
  const enc = concatBytes(Uint8Array.of(0x06), encLen(v.body.length), v.body);
  for (const [name, bytes] of OID_BYTES) if (equalBytes(bytes, enc)) return name;
  return 'unknown';
}

export type EcCurveName = 'p256' | 'p384' | 'secp160r1';

/** What a key container holds, in the form host-id.ts needs. */
export type DerPrivateKey =
  | { readonly kind: 'rsa'; readonly n: bigint; readonly e: bigint; readonly d: bigint; readonly p: bigint; readonly q: bigint }
  | { readonly kind: 'ec'; readonly curve: EcCurveName; readonly secret: Uint8Array }
  | { readonly kind: 'ed25519'; readonly seed: Uint8Array };

export type DerPublicKey =
  | { readonly kind: 'rsa'; readonly n: bigint; readonly e: bigint }
  | { readonly kind: 'ec'; readonly curve: EcCurveName; readonly point: Uint8Array }
  | { readonly kind: 'ed25519'; readonly publicKey: Uint8Array };

function curveOf(algParams: Tlv | undefined): EcCurveName {
  const name = oidName(algParams);
  if (name === OID.p256) return 'p256';
  if (name === OID.p384) return 'p384';
  if (name === OID.secp160r1) return 'secp160r1';
  throw new DerError('unsupported EC curve');
}

/** Parses a PKCS#8 PrivateKeyInfo / OneAsymmetricKey. Throws DerError when unsupported. */
export function parsePkcs8(der: Uint8Array): DerPrivateKey {
  const top = readTlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) throw new DerError('expected PKCS#8 SEQUENCE');
  const [version, algId, privKey] = children(top.body);
  const v = derInt(version, 'version');
  if (v !== 0n && v !== 1n) throw new DerError('unsupported PKCS#8 version');
  const [algOid, algParams] = children(expect(algId, 0x30, 'AlgorithmIdentifier').body);
  const alg = oidName(algOid);
  const inner = expect(privKey, 0x04, 'privateKey OCTET STRING').body;
  if (alg === OID.rsaEncryption || alg === OID.rsassaPss) {
    const f = children(expect(readTlv(inner, 0), 0x30, 'RSAPrivateKey').body);
    if (derInt(f[0], 'RSA version') !== 0n) throw new DerError('multi-prime RSA is not supported');
    return {
      kind: 'rsa',
      n: derInt(f[1], 'n'),
      e: derInt(f[2], 'e'),
      d: derInt(f[3], 'd'),
      p: derInt(f[4], 'p'),
      q: derInt(f[5], 'q'),
    };
  }
  if (alg === OID.ecPublicKey) {
    const curve = curveOf(algParams);
    const f = children(expect(readTlv(inner, 0), 0x30, 'ECPrivateKey').body);
    if (derInt(f[0], 'EC version') !== 1n) throw new DerError('bad ECPrivateKey version');
    return { kind: 'ec', curve, secret: expect(f[1], 0x04, 'EC private key').body.slice() };
  }
  if (alg === OID.ed25519) {
    const seed = expect(readTlv(inner, 0), 0x04, 'CurvePrivateKey').body;
    if (seed.length !== 32) throw new DerError('Ed25519 private key must be 32 bytes');
    return { kind: 'ed25519', seed: seed.slice() };
  }
  throw new DerError('unsupported private key algorithm');
}

/** Parses a SubjectPublicKeyInfo. Throws DerError when unsupported. */
export function parseSpki(der: Uint8Array): DerPublicKey {
  const top = readTlv(der, 0);
  if (top.tag !== 0x30 || top.end !== der.length) throw new DerError('expected SPKI SEQUENCE');
  const [algId, key] = children(top.body);
  const [algOid, algParams] = children(expect(algId, 0x30, 'AlgorithmIdentifier').body);
  const alg = oidName(algOid);
  const bs = expect(key, 0x03, 'subjectPublicKey BIT STRING').body;
  if (bs[0] !== 0) throw new DerError('BIT STRING with unused bits');
  const body = bs.subarray(1);
  if (alg === OID.rsaEncryption || alg === OID.rsassaPss) {
    const f = children(expect(readTlv(body, 0), 0x30, 'RSAPublicKey').body);
    return { kind: 'rsa', n: derInt(f[0], 'n'), e: derInt(f[1], 'e') };
  }
  if (alg === OID.ecPublicKey) return { kind: 'ec', curve: curveOf(algParams), point: body.slice() };
  if (alg === OID.ed25519) {
    if (body.length !== 32) throw new DerError('Ed25519 public key must be 32 bytes');
    return { kind: 'ed25519', publicKey: body.slice() };
  }
  throw new DerError('unsupported public key algorithm');
}

export type RsaDerFields = { n: bigint; e: bigint; d: bigint; p: bigint; q: bigint; dp: bigint; dq: bigint; qinv: bigint };

export function encodeRsaPkcs8(k: RsaDerFields): Uint8Array {
  const rsaPriv = seq(int(0n), int(k.n), int(k.e), int(k.d), int(k.p), int(k.q), int(k.dp), int(k.dq), int(k.qinv));
  return seq(int(0n), seq(oid(OID.rsaEncryption), NULL), octets(rsaPriv));
}

export function encodeRsaSpki(n: bigint, e: bigint): Uint8Array {
  return seq(seq(oid(OID.rsaEncryption), NULL), bits(seq(int(n), int(e))));
}

const CURVE_OID: { readonly [K in EcCurveName]: string } = { p256: OID.p256, p384: OID.p384, secp160r1: OID.secp160r1 };

/** RFC 5915 ECPrivateKey inside PKCS#8, with the public key (as OpenSSL writes it). */
export function encodeEcPkcs8(curve: EcCurveName, secret: Uint8Array, uncompressedPoint: Uint8Array): Uint8Array {
  const ecPriv = seq(int(1n), octets(secret), tlv(0xa1, bits(uncompressedPoint)));
  return seq(int(0n), seq(oid(OID.ecPublicKey), oid(CURVE_OID[curve])), octets(ecPriv));
}

export function encodeEcSpki(curve: EcCurveName, uncompressedPoint: Uint8Array): Uint8Array {
  return seq(seq(oid(OID.ecPublicKey), oid(CURVE_OID[curve])), bits(uncompressedPoint));
}

export function encodeEd25519Pkcs8(seed: Uint8Array): Uint8Array {
  return seq(int(0n), seq(oid(OID.ed25519)), octets(octets(seed)));
}

export function encodeEd25519Spki(publicKey: Uint8Array): Uint8Array {
  return seq(seq(oid(OID.ed25519)), bits(publicKey));
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** The DER inside the first PEM block of `pem` (any label). */
export function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/.exec(pem);
  if (m === null) throw new DerError('no PEM block');
  const text = m[1]!.replace(/[\s=]/g, '');
  const out: number[] = [];
  let acc = 0;
  let nbits = 0;
  for (const ch of text) {
    const v = B64.indexOf(ch);
    if (v < 0) throw new DerError('bad base64 in PEM');
    acc = (acc << 6) | v;
    nbits += 6;
    if (nbits >= 8) {
      nbits -= 8;
      out.push((acc >>> nbits) & 0xff);
    }
  }
  return Uint8Array.from(out);
}

/** PEM text for DER bytes (64-character lines). */
export function derToPem(der: Uint8Array, label: string): string {
  let s = '';
  for (let i = 0; i < der.length; i += 3) {
    const a = der[i]!;
    const b = der[i + 1];
    const c = der[i + 2];
    s += B64[a >> 2]! + B64[((a & 3) << 4) | ((b ?? 0) >> 4)]!;
    s += b === undefined ? '=' : B64[((b & 15) << 2) | ((c ?? 0) >> 6)]!;
    s += c === undefined ? '=' : B64[c & 63]!;
  }
  const lines = s.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
