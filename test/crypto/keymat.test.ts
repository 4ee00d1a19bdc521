// KEYMAT (RFC 7401 §6.5, RFC 7402 §7) against node:crypto hkdfSync, draw order and sizes,
// greater/lower HIT roles, rekeying.
import * as nc from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  createKeymat,
  deriveBexKeys,
  drawEspKeys,
  espKeySizes,
  keymatMaxLength,
  nobleCrypto,
  rekeyEspKeys,
  sortedHits,
  type HashId,
} from '../../src/crypto/index.js';
import { testRandom } from '../fixtures/keys.js';
import { hex, unhex } from './helpers.js';

const crypto = nobleCrypto();
const rnd = testRandom('keymat');
const hitLow = unhex('20010021000000000000000000000001');
const hitHigh = unhex('2001002100000000000000000000ff02');

function nodeKeymat(hash: HashId, kij: Uint8Array, i: Uint8Array, j: Uint8Array, a: Uint8Array, b: Uint8Array, len: number): Uint8Array {
  const info = Buffer.compare(Buffer.from(a), Buffer.from(b)) <= 0 ? Buffer.concat([a, b]) : Buffer.concat([b, a]);
  return new Uint8Array(nc.hkdfSync(hash, kij, Buffer.concat([i, j]), info, len));
}

describe('KEYMAT = HKDF(salt = #I|#J, IKM = Kij, info = sort(HIT-I|HIT-R))', () => {
  it.each(['sha1', 'sha256', 'sha384'] as HashId[])('%s equals node hkdfSync, at any offset', (hash) => {
    const n = hash === 'sha1' ? 20 : hash === 'sha256' ? 32 : 48;
    const kij = rnd(192);
    const I = rnd(n);
    const J = rnd(n);
    const km = createKeymat({ crypto, hash, kij, randomI: I, randomJ: J, hitI: hitHigh, hitR: hitLow });
    const max = keymatMaxLength(hash);
    expect(km.maxLength).toBe(255 * n);
    const ref = nodeKeymat(hash, kij, I, J, hitHigh, hitLow, max);
    expect(hex(km.read(0, 100)!)).toBe(hex(ref.subarray(0, 100)));
    expect(hex(km.read(777, 333)!)).toBe(hex(ref.subarray(777, 1110)));
    expect(hex(km.read(max - 5, 5)!)).toBe(hex(ref.subarray(max - 5)));
    expect(km.read(max - 4, 5)).toBeUndefined();
    // the HIT order of the input does not matter (sorted)
    const km2 = createKeymat({ crypto, hash, kij, randomI: I, randomJ: J, hitI: hitLow, hitR: hitHigh });
    expect(hex(km2.read(0, 64)!)).toBe(hex(ref.subarray(0, 64)));
  });

  it('sortedHits compares as unsigned 128-bit integers', () => {
    expect(hex(sortedHits(hitHigh, hitLow))).toBe(hex(hitLow) + hex(hitHigh));
    const a = unhex('20010021800000000000000000000000');
    const b = unhex('20010021010000000000000000000000');
    expect(hex(sortedHits(a, b)).startsWith(hex(b))).toBe(true);
  });
});

describe('key drawing order and roles', () => {
  const kij = rnd(32);
  const I = rnd(32);
  const J = rnd(32);
  const base = { crypto, hash: 'sha256' as const, kij, randomI: I, randomJ: J };

  it('HIP-gl enc, HIP-gl int, HIP-lg enc, HIP-lg int, then SA-gl/SA-lg ESP keys; g = greater HIT', () => {
    // initiator has the greater HIT here: "g" is not "Initiator" in general
    const ref = nodeKeymat('sha256', kij, I, J, hitHigh, hitLow, 400);
    const g = deriveBexKeys({ ...base, hitI: hitHigh, hitR: hitLow, localHit: hitHigh, peerHit: hitLow, cipher: 2, espSuite: 8 });
    const l = deriveBexKeys({ ...base, hitI: hitHigh, hitR: hitLow, localHit: hitLow, peerHit: hitHigh, cipher: 2, espSuite: 8 });
    let o = 0;
    const take = (n: number) => hex(ref.subarray(o, (o += n)));
    const glEnc = take(16);
    const glInt = take(32);
    const lgEnc = take(16);
    const lgInt = take(32);
    const saGlEnc = take(16);
    const saGlAuth = take(32);
    const saLgEnc = take(16);
    const saLgAuth = take(32);
    expect(hex(g.local.encKey)).toBe(glEnc);
    expect(hex(g.local.authKey)).toBe(glInt);
    expect(hex(g.peer.encKey)).toBe(lgEnc);
    expect(hex(g.peer.authKey)).toBe(lgInt);
    expect(hex(g.esp.out.encKey)).toBe(saGlEnc);
    expect(hex(g.esp.out.authKey)).toBe(saGlAuth);
    expect(hex(g.esp.in.encKey)).toBe(saLgEnc);
    expect(hex(g.esp.in.authKey)).toBe(saLgAuth);
    // the lower host sees the mirror image
    expect(hex(l.local.authKey)).toBe(lgInt);
    expect(hex(l.peer.authKey)).toBe(glInt);
    expect(hex(l.esp.out.authKey)).toBe(saLgAuth);
    expect(hex(l.esp.in.encKey)).toBe(saGlEnc);
    expect(g.espIndex).toBe(96);
    expect(g.nextIndex).toBe(96 + 96);
    expect(l.nextIndex).toBe(g.nextIndex);
  });

  it('key sizes follow HIP_CIPHER, RHASH and the ESP suite', () => {
    const k = deriveBexKeys({ ...base, hash: 'sha384', randomI: rnd(48), randomJ: rnd(48), hitI: hitLow, hitR: hitHigh, localHit: hitLow, peerHit: hitHigh, cipher: 4, espSuite: 9 });
    expect(k.local.encKey).toHaveLength(32);
    expect(k.local.authKey).toHaveLength(48);
    expect(k.esp.out.encKey).toHaveLength(32);
    expect(k.esp.out.authKey).toHaveLength(32);
    expect(k.espIndex).toBe(2 * (32 + 48));
    const n = deriveBexKeys({ ...base, hitI: hitLow, hitR: hitHigh, localHit: hitLow, peerHit: hitHigh, cipher: 1, espSuite: 7 });
    expect(n.local.encKey).toHaveLength(0);
    expect(n.esp.out.encKey).toHaveLength(0);
    expect(n.esp.out.authKey).toHaveLength(32);
    expect(espKeySizes(1)).toEqual({ enc: 16, auth: 20 });
    expect(espKeySizes(13)).toEqual({ enc: 20, auth: 0 });
  });

  it('rekey without DH draws at the greater ESP_INFO index; with DH from a fresh KEYMAT at 0', () => {
    const input = { ...base, hitI: hitHigh, hitR: hitLow };
    const bex = deriveBexKeys({ ...input, localHit: hitHigh, peerHit: hitLow, cipher: 2, espSuite: 8 });
    const r1 = rekeyEspKeys({ current: bex.keymat, input, sentIndex: bex.nextIndex, receivedIndex: 300, localHit: hitHigh, peerHit: hitLow, espSuite: 8 })!;
    const ref = nodeKeymat('sha256', kij, I, J, hitHigh, hitLow, 600);
    expect(r1.esp.index).toBe(300);
    expect(hex(r1.esp.out.encKey)).toBe(hex(ref.subarray(300, 316)));
    expect(r1.esp.nextIndex).toBe(396);
    const kij2 = rnd(32);
    const r2 = rekeyEspKeys({ current: bex.keymat, input, kij: kij2, sentIndex: 0, receivedIndex: 0, localHit: hitLow, peerHit: hitHigh, espSuite: 8 })!;
    const ref2 = nodeKeymat('sha256', kij2, I, J, hitHigh, hitLow, 96);
    expect(r2.esp.index).toBe(0);
    expect(hex(r2.esp.in.encKey)).toBe(hex(ref2.subarray(0, 16))); // we are "l": in = SA-gl
    expect(hex(r2.esp.out.authKey)).toBe(hex(ref2.subarray(64, 96)));
  });

  it('an exhausted KEYMAT (or an index over 16 bits) asks for a new DH', () => {
    const km = createKeymat({ ...base, hitI: hitHigh, hitR: hitLow });
    expect(drawEspKeys(km, 255 * 32 - 95, hitHigh, hitLow, 8)).toBeUndefined();
    expect(drawEspKeys(km, 255 * 32 - 96, hitHigh, hitLow, 8)).toBeDefined();
    const big = createKeymat({ ...base, hash: 'sha384', hitI: hitHigh, hitR: hitLow });
    expect(drawEspKeys(big, 0x10000, hitHigh, hitLow, 8)).toBeUndefined();
  });

  it('equal HITs are refused', () => {
    expect(() => deriveBexKeys({ ...base, hitI: hitLow, hitR: hitLow, localHit: hitLow, peerHit: hitLow, cipher: 2, espSuite: 8 })).toThrow();
  });
});
