// Independent re-implementations with node:crypto (and plain byte surgery) of what
// src/crypto computes. Used to produce vectors/crypto-*.json and to re-check them; nothing here
// imports src/crypto.
import * as nc from 'node:crypto';

export const HIP_CONTEXT_ID = Buffer.from('f0eff02fbff43d0fe7930c3c6e6174ea', 'hex');

/** ORCHIDv2 HIT for suites 1-3: node hash, middle 96 bits via BigInt. */
export function nodeHit(suite: 1 | 2 | 3, hostIdentity: Uint8Array): { digest: string; hit: string } {
  const hash = suite === 1 ? 'sha256' : suite === 2 ? 'sha384' : 'sha1';
  const digest = nc.createHash(hash).update(HIP_CONTEXT_ID).update(hostIdentity).digest();
  const L = BigInt(digest.length * 8);
  const middle = (BigInt('0x' + digest.toString('hex')) >> ((L - 96n) / 2n)) & ((1n << 96n) - 1n);
  const hit = (0x2001002n << 100n) | (BigInt(suite) << 96n) | middle;
  return { digest: digest.toString('hex'), hit: hit.toString(16).padStart(32, '0') };
}

/** KEYMAT with node hkdfSync: salt #I|#J, IKM Kij, info sorted HITs. */
export function nodeKeymat(hash: string, kij: Uint8Array, I: Uint8Array, J: Uint8Array, hitA: Uint8Array, hitB: Uint8Array, len: number): Buffer {
  const a = Buffer.from(hitA);
  const b = Buffer.from(hitB);
  const info = Buffer.compare(a, b) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]);
  return Buffer.from(nc.hkdfSync(hash, kij, Buffer.concat([I, J]), info, len));
}

/** Walks raw HIP packet TLVs: offsets of each parameter's Type field. */
export function paramOffsets(raw: Uint8Array): { type: number; offset: number; length: number }[] {
  const out: { type: number; offset: number; length: number }[] = [];
  let off = 40;
  while (off + 4 <= raw.length) {
    const type = (raw[off]! << 8) | raw[off + 1]!;
    const len = (raw[off + 2]! << 8) | raw[off + 3]!;
    out.push({ type, offset: off, length: len });
    off += Math.ceil((4 + len) / 8) * 8;
  }
  return out;
}

/**
 * The covered bytes per RFC 7401 §6.4, by byte surgery: cut at the parameter of `type`, append
 * `append` (HIP_MAC_2's HOST_ID), set header length, zero checksum; for HIP_SIGNATURE_2 zero the
 * receiver HIT and PUZZLE (type 257) Opaque and #I.
 */
export function nodeCovered(raw: Uint8Array, type: number, append?: Uint8Array): Buffer {
  const at = paramOffsets(raw).find((p) => p.type === type);
  if (at === undefined) throw new Error(`no parameter ${type}`);
  const out = Buffer.concat([Buffer.from(raw.subarray(0, at.offset)), Buffer.from(append ?? new Uint8Array(0))]);
  out[1] = out.length / 8 - 1;
  out[4] = 0;
  out[5] = 0;
  if (type === 61633) {
    out.fill(0, 24, 40);
    const pz = paramOffsets(raw).find((p) => p.type === 257 && p.offset < at.offset);
    if (pz !== undefined) out.fill(0, pz.offset + 6, pz.offset + 4 + pz.length);
  }
  return out;
}

export function nodeHmac(hash: string, key: Uint8Array, data: Uint8Array): string {
  return nc.createHmac(hash, key).update(data).digest('hex');
}

/** Puzzle check: the K low-order bits of RHASH(#I | HIT-I | HIT-R | #J) are zero. */
export function nodePuzzleOk(hash: string, I: Uint8Array, hitI: Uint8Array, hitR: Uint8Array, J: Uint8Array, k: number): boolean {
  const d = nc.createHash(hash).update(I).update(hitI).update(hitR).update(J).digest();
  return (BigInt('0x' + d.toString('hex')) & ((1n << BigInt(k)) - 1n)) === 0n;
}

/** Finds #J by counting up from `start` with node hashes. */
export function nodeSolve(hash: string, I: Uint8Array, hitI: Uint8Array, hitR: Uint8Array, start: Uint8Array, k: number): { J: Buffer; attempts: number } {
  const J = Buffer.from(start);
  for (let attempts = 1; ; attempts++) {
    if (nodePuzzleOk(hash, I, hitI, hitR, J, k)) return { J, attempts };
    for (let i = J.length - 1; i >= 0; i--) {
      J[i] = (J[i]! + 1) & 0xff;
      if (J[i] !== 0) break;
    }
  }
}
