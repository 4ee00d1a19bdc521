// Test helpers: an independent ESP packet builder/opener on node:crypto, used to cross-check
// the data plane (which runs on @noble/*) byte for byte.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import { ESP_SUITE, type EspSuiteId, type SaSpec } from '../../src/types.js';
import { parseLocator } from '../../src/addr/locator.js';

export const HIT_A = Uint8Array.from([0x20, 0x01, 0x00, 0x20, ...new Array<number>(11).fill(0xa0), 0x01]);
export const HIT_B = Uint8Array.from([0x20, 0x01, 0x00, 0x20, ...new Array<number>(11).fill(0xb0), 0x02]);
export const HIT_C = Uint8Array.from([0x20, 0x01, 0x00, 0x20, ...new Array<number>(11).fill(0xc0), 0x03]);
export const LOC_A = parseLocator('2001:db8::a');
export const LOC_B = parseLocator('2001:db8::b');
export const LOC_A4 = parseLocator('192.0.2.1');
export const LOC_B4 = parseLocator('198.51.100.2');

export type NodeSuite = {
  cipher: 'cbc' | 'null' | 'gcm';
  encKeyLen: number; // including the GCM salt
  authKeyLen: number;
  hash: 'sha256' | 'sha1' | undefined;
  ivLen: number;
  icvLen: number;
  align: number;
};

export const NODE_SUITES: Record<EspSuiteId, NodeSuite> = {
  [ESP_SUITE.AES_128_CBC_HMAC_SHA1]: { cipher: 'cbc', encKeyLen: 16, authKeyLen: 20, hash: 'sha1', ivLen: 16, icvLen: 12, align: 16 },
  [ESP_SUITE.NULL_HMAC_SHA256]: { cipher: 'null', encKeyLen: 0, authKeyLen: 32, hash: 'sha256', ivLen: 0, icvLen: 16, align: 4 },
  [ESP_SUITE.AES_128_CBC_HMAC_SHA256]: { cipher: 'cbc', encKeyLen: 16, authKeyLen: 32, hash: 'sha256', ivLen: 16, icvLen: 16, align: 16 },
  [ESP_SUITE.AES_256_CBC_HMAC_SHA256]: { cipher: 'cbc', encKeyLen: 32, authKeyLen: 32, hash: 'sha256', ivLen: 16, icvLen: 16, align: 16 },
  [ESP_SUITE.AES_GCM_8]: { cipher: 'gcm', encKeyLen: 20, authKeyLen: 0, hash: undefined, ivLen: 8, icvLen: 8, align: 4 },
  [ESP_SUITE.AES_GCM_16]: { cipher: 'gcm', encKeyLen: 20, authKeyLen: 0, hash: undefined, ivLen: 8, icvLen: 16, align: 4 },
};

export const ALL_SUITES = Object.keys(NODE_SUITES).map(Number) as EspSuiteId[];

/** A RandomSource that returns bytes of a fixed pattern (deterministic IVs). */
export function patternRandom(start = 0x40): (n: number) => Uint8Array {
  return (n) => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
}

export function keysFor(suite: EspSuiteId, seed = 1, encKeyLen?: number): { encKey: Uint8Array; authKey: Uint8Array } {
  const s = NODE_SUITES[suite];
  const encLen = encKeyLen ?? s.encKeyLen;
  return {
    encKey: Uint8Array.from({ length: encLen }, (_, i) => (seed * 31 + i * 7) & 0xff),
    authKey: Uint8Array.from({ length: s.authKeyLen }, (_, i) => (seed * 17 + i * 13 + 5) & 0xff),
  };
}

/** The SA pair for one direction: `out` on the sender (A→B), `in` on the receiver. */
export function saPair(
  suite: EspSuiteId,
  spi: number,
  opts: { seed?: number; encKeyLen?: number; src?: Uint8Array; dst?: Uint8Array } = {},
): { out: SaSpec; in: SaSpec } {
  const { encKey, authKey } = keysFor(suite, opts.seed ?? 1, opts.encKeyLen);
  const src = opts.src ?? LOC_A;
  const dst = opts.dst ?? LOC_B;
  return {
    out: { spi, direction: 'out', localHit: HIT_A, peerHit: HIT_B, src, dst, suite, encKey, authKey },
    in: { spi, direction: 'in', localHit: HIT_B, peerHit: HIT_A, src, dst, suite, encKey, authKey },
  };
}

function u32(v: number): Uint8Array {
  return Uint8Array.from([(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]);
}

function cat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function gcmName(keyLen: number): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return `aes-${keyLen * 8}-gcm` as 'aes-128-gcm';
}

function cbcName(keyLen: number): string {
  return `aes-${keyLen * 8}-cbc`;
}

export type NodeBuildInput = {
  suite: EspSuiteId;
  encKey: Uint8Array;
  authKey: Uint8Array;
  spi: number;
  seq: number;
  iv?: Uint8Array;
  payload: Uint8Array;
  nextHeader: number;
  /** Override the default 1,2,3,... padding (for bad-padding cases); padLen = padding.length. */
  padding?: Uint8Array;
  /** Override the Pad Length byte. */
  padLenByte?: number;
};

/** Builds an ESP packet independently with node:crypto. */
export function nodeBuild(inp: NodeBuildInput): Uint8Array {
  const s = NODE_SUITES[inp.suite];
  const iv = inp.iv ?? Uint8Array.from(randomBytes(s.ivLen));
  const unpadded = inp.payload.length + 2;
  const padLen = inp.padding?.length ?? (Math.ceil(unpadded / s.align) * s.align - unpadded);
  const padding = inp.padding ?? Uint8Array.from({ length: padLen }, (_, i) => i + 1);
  const pt = cat(inp.payload, padding, Uint8Array.of(inp.padLenByte ?? padLen, inp.nextHeader));
  const hdr = cat(u32(inp.spi), u32(inp.seq));
  if (s.cipher === 'gcm') {
    const key = inp.encKey.subarray(0, inp.encKey.length - 4);
    const salt = inp.encKey.subarray(inp.encKey.length - 4);
    const c = createCipheriv(gcmName(key.length), key, cat(salt, iv), { authTagLength: s.icvLen });
    c.setAAD(hdr);
    const ct = cat(c.update(pt), c.final());
    return cat(hdr, iv, ct, c.getAuthTag());
  }
  let ct = pt;
  if (s.cipher === 'cbc') {
    const c = createCipheriv(cbcName(inp.encKey.length), inp.encKey, iv);
    c.setAutoPadding(false);
    ct = cat(c.update(pt), c.final());
  }
  const body = cat(hdr, iv, ct);
  const icv = createHmac(s.hash!, inp.authKey).update(body).digest().subarray(0, s.icvLen);
  return cat(body, icv);
}

/** Opens an ESP packet with node:crypto; throws on a bad ICV. */
export function nodeOpen(
  suite: EspSuiteId,
  encKey: Uint8Array,
  authKey: Uint8Array,
  pkt: Uint8Array,
): { spi: number; seq: number; iv: Uint8Array; payload: Uint8Array; nextHeader: number; padding: Uint8Array } {
  const s = NODE_SUITES[suite];
  const b = Buffer.from(pkt);
  const spi = b.readUInt32BE(0);
  const seq = b.readUInt32BE(4);
  const iv = Uint8Array.from(b.subarray(8, 8 + s.ivLen));
  const ct = b.subarray(8 + s.ivLen, b.length - s.icvLen);
  const icv = b.subarray(b.length - s.icvLen);
  let pt: Buffer;
  if (s.cipher === 'gcm') {
    const key = encKey.subarray(0, encKey.length - 4);
    const salt = encKey.subarray(encKey.length - 4);
    const d = createDecipheriv(gcmName(key.length), key, cat(salt, iv), { authTagLength: s.icvLen });
    d.setAAD(b.subarray(0, 8));
    d.setAuthTag(icv);
    pt = Buffer.concat([d.update(ct), d.final()]);
  } else {
    const expect = createHmac(s.hash!, authKey).update(b.subarray(0, b.length - s.icvLen)).digest().subarray(0, s.icvLen);
    if (!expect.equals(icv)) throw new Error('node: bad ICV');
    if (s.cipher === 'cbc') {
      const d = createDecipheriv(cbcName(encKey.length), encKey, iv);
      d.setAutoPadding(false);
      pt = Buffer.concat([d.update(ct), d.final()]);
    } else pt = Buffer.from(ct);
  }
  const nextHeader = pt[pt.length - 1]!;
  const padLen = pt[pt.length - 2]!;
  return {
    spi,
    seq,
    iv,
    payload: Uint8Array.from(pt.subarray(0, pt.length - 2 - padLen)),
    nextHeader,
    padding: Uint8Array.from(pt.subarray(pt.length - 2 - padLen, pt.length - 2)),
  };
}

export function bytesOf(n: number, seed = 7): Uint8Array {
  return Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed) & 0xff);
}
