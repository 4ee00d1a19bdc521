// vectors/crypto-*.json: (1) the implementation reproduces every vector; (2) every vector is
// re-derived independently with node:crypto (test/crypto/independent.ts), so a wrong vector
// cannot hide a wrong implementation.
import * as nc from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  coveredBytes,
  createKeymat,
  deriveBexKeys,
  hitFromHostId,
  nobleCrypto,
  verifyMac,
  verifyMac2,
  verifyPuzzle,
  verifySignature,
  type HashId,
} from '../../src/crypto/index.js';
import { decodePacket, type HipPacket } from '../../src/wire/index.js';
import { hex, unhex } from './helpers.js';
import { nodeCovered, nodeHit, nodeHmac, nodeKeymat, nodePuzzleOk } from './independent.js';

const crypto = nobleCrypto();
const load = <T>(name: string): { vectors: T[]; provenance: string; check: string } =>
  JSON.parse(readFileSync(new URL(`../../vectors/${name}`, import.meta.url), 'utf8'));

function decode(h: string): HipPacket {
  const r = decodePacket(unhex(h));
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.packet;
}

type HitV = { name: string; algorithm: number; suite: 1 | 2 | 3; hash: string; hostIdentity: string; digest: string; hit: string };
type KeymatV = {
  hash: HashId; cipher: 2 | 4; espSuite: 1 | 8 | 9; kij: string; randomI: string; randomJ: string; hitI: string; hitR: string;
  keymat: string; espIndex: number; nextIndex: number; keys: Record<string, string>;
};
type MacV = { name: string; kind: 'HIP_MAC' | 'HIP_MAC_2'; hash: HashId; key: string; packet: string; paramOffset: number; hostIdParam?: string; covered: string; hmac: string };
type SigV = { name: string; kind: 'HIP_SIGNATURE' | 'HIP_SIGNATURE_2'; algorithm: number; hostIdentity: string; packet: string; paramOffset: number; covered: string; signature: string; zeroed?: Record<string, [number, number]> };
type PuzzleV = { hash: HashId; k: number; randomI: string; hitI: string; hitR: string; jStart: string; randomJ: string; attempts: number };

describe('crypto-hit.json', () => {
  const f = load<HitV>('crypto-hit.json');
  it.each(f.vectors.map((v) => [v.name, v] as const))('%s: implementation', (_n, v) => {
    expect(hex(hitFromHostId(v.algorithm, unhex(v.hostIdentity))!)).toBe(v.hit);
  });
  it.each(f.vectors.map((v) => [v.name, v] as const))('%s: node re-derivation', (_n, v) => {
    expect(nodeHit(v.suite, unhex(v.hostIdentity))).toEqual({ digest: v.digest, hit: v.hit });
  });
});

describe('crypto-keymat.json', () => {
  const f = load<KeymatV>('crypto-keymat.json');
  it.each(f.vectors.map((v) => [v.hash, v] as const))('%s: implementation', (_n, v) => {
    const input = { crypto, hash: v.hash, kij: unhex(v.kij), randomI: unhex(v.randomI), randomJ: unhex(v.randomJ), hitI: unhex(v.hitI), hitR: unhex(v.hitR) };
    expect(hex(createKeymat(input).read(0, v.keymat.length / 2)!)).toBe(v.keymat);
    // hitI < hitR here? find g/l and check the role mapping
    const iGreater = Buffer.compare(Buffer.from(v.hitI, 'hex'), Buffer.from(v.hitR, 'hex')) > 0;
    const asI = deriveBexKeys({ ...input, localHit: input.hitI, peerHit: input.hitR, cipher: v.cipher, espSuite: v.espSuite });
    const gl = iGreater ? asI.local : asI.peer;
    const lg = iGreater ? asI.peer : asI.local;
    expect([hex(gl.encKey), hex(gl.authKey), hex(lg.encKey), hex(lg.authKey)]).toEqual([v.keys['hipGlEnc'], v.keys['hipGlInt'], v.keys['hipLgEnc'], v.keys['hipLgInt']]);
    const saGl = iGreater ? asI.esp.out : asI.esp.in;
    const saLg = iGreater ? asI.esp.in : asI.esp.out;
    expect([hex(saGl.encKey), hex(saGl.authKey), hex(saLg.encKey), hex(saLg.authKey)]).toEqual([v.keys['espGlEnc'], v.keys['espGlAuth'], v.keys['espLgEnc'], v.keys['espLgAuth']]);
    expect(asI.espIndex).toBe(v.espIndex);
    expect(asI.nextIndex).toBe(v.nextIndex);
  });
  it.each(f.vectors.map((v) => [v.hash, v] as const))('%s: node re-derivation', (_n, v) => {
    const km = nodeKeymat(v.hash, unhex(v.kij), unhex(v.randomI), unhex(v.randomJ), unhex(v.hitI), unhex(v.hitR), v.nextIndex);
    expect(km.toString('hex')).toBe(v.keymat);
    expect(Object.values(v.keys).join('')).toBe(v.keymat);
  });
});

describe('crypto-mac.json', () => {
  const f = load<MacV>('crypto-mac.json');
  it.each(f.vectors.map((v) => [v.name, v] as const))('%s: implementation', (_n, v) => {
    const pkt = decode(v.packet);
    const hostId = v.hostIdParam === undefined ? undefined : unhex(v.hostIdParam);
    const c = coveredBytes(pkt, v.kind, hostId);
    expect(c.ok && hex(c.bytes)).toBe(v.covered);
    const r = v.kind === 'HIP_MAC' ? verifyMac(crypto, v.hash, unhex(v.key), pkt) : verifyMac2(crypto, v.hash, unhex(v.key), pkt, hostId!);
    expect(r).toEqual({ ok: true });
    expect(hex(crypto.hmac(v.hash, unhex(v.key), unhex(v.covered)))).toBe(v.hmac);
  });
  it.each(f.vectors.map((v) => [v.name, v] as const))('%s: node re-derivation', (_n, v) => {
    const type = v.kind === 'HIP_MAC' ? 61505 : 61569;
    const cov = nodeCovered(unhex(v.packet), type, v.hostIdParam === undefined ? undefined : unhex(v.hostIdParam));
    expect(cov.toString('hex')).toBe(v.covered);
    expect(nodeHmac(v.hash, unhex(v.key), cov)).toBe(v.hmac);
  });
});

describe('crypto-signature.json', () => {
  const f = load<SigV>('crypto-signature.json');
  it.each(f.vectors.map((v) => [v.name, v] as const))('%s: implementation', (_n, v) => {
    const pkt = decode(v.packet);
    const c = coveredBytes(pkt, v.kind);
    expect(c.ok && hex(c.bytes)).toBe(v.covered);
    expect(verifySignature(crypto, pkt, { algorithm: v.algorithm, hostIdentity: unhex(v.hostIdentity) }, v.kind)).toEqual({ ok: true });
    // Ed25519 is deterministic: our signature over the covered bytes is the vector's
    const alg = crypto.hostIdAlgorithm(v.algorithm)!;
    expect(alg.verify(unhex(v.hostIdentity), unhex(v.covered), unhex(v.signature))).toBe(true);
    if (v.zeroed) {
      const raw = unhex(v.packet);
      for (const [a, b] of Object.values(v.zeroed)) {
        expect(unhex(v.covered).subarray(a, b).every((x) => x === 0)).toBe(true);
        expect(raw.subarray(a, b).some((x) => x !== 0)).toBe(true); // really filled in on the wire
      }
    }
  });
  it.each(f.vectors.map((v) => [v.name, v] as const))('%s: node re-derivation', (_n, v) => {
    const type = v.kind === 'HIP_SIGNATURE' ? 61697 : 61633;
    const cov = nodeCovered(unhex(v.packet), type);
    expect(cov.toString('hex')).toBe(v.covered);
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(unhex(v.hostIdentity).subarray(2))]);
    const key = nc.createPublicKey({ key: spki, format: 'der', type: 'spki' });
    expect(nc.verify(null, cov, key, unhex(v.signature))).toBe(true);
  });
});

describe('crypto-puzzle.json', () => {
  const f = load<PuzzleV>('crypto-puzzle.json');
  it.each(f.vectors.map((v) => [v.hash, v] as const))('%s: implementation', (_n, v) => {
    const p = { crypto, hash: v.hash, k: v.k, randomI: unhex(v.randomI), hitI: unhex(v.hitI), hitR: unhex(v.hitR) };
    expect(verifyPuzzle(p, unhex(v.randomJ))).toBe(true);
    expect(verifyPuzzle({ ...p, hitI: p.hitR, hitR: p.hitI }, unhex(v.randomJ))).toBe(false);
  });
  it.each(f.vectors.map((v) => [v.hash, v] as const))('%s: node re-derivation', (_n, v) => {
    expect(nodePuzzleOk(v.hash, unhex(v.randomI), unhex(v.hitI), unhex(v.hitR), unhex(v.randomJ), v.k)).toBe(true);
    const start = BigInt('0x' + v.jStart);
    expect(BigInt('0x' + v.randomJ) - start + 1n).toBe(BigInt(v.attempts));
  });
});
