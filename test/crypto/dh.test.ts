// DH groups 3, 4, 11 (MODP, RFC 3526) and 7, 8, 9, 10 (ECP, RFC 5903 wire form) against
// node:crypto, plus invalid peer values and DH_GROUP_LIST negotiation.
import * as nc from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkDhChoice, nobleCrypto, selectDhGroup, supportedDhGroups } from '../../src/crypto/index.js';
import { testRandom } from '../fixtures/keys.js';
import { hex, u8 } from './helpers.js';

const crypto = nobleCrypto();
const rnd = testRandom('dh');

describe('MODP groups equal node:crypto createDiffieHellmanGroup', () => {
  it.each([
    [3, 'modp5', 192],
    [4, 'modp15', 384],
    [11, 'modp14', 256],
  ] as const)('group %i = %s', (id, name, len) => {
    const g = crypto.dhGroup(id)!;
    expect(g.kind).toBe('modp');
    expect(g.publicValueLength).toBe(len);
    const ours = g.generate(rnd);
    expect(ours.publicValue).toHaveLength(len);
    const node = nc.createDiffieHellmanGroup(name);
    node.generateKeys();
    // node's public value may be shorter when it has leading zeros: pad to the prime's length
    const nodePub = u8(Buffer.concat([Buffer.alloc(len - node.getPublicKey().length), node.getPublicKey()]));
    const r = g.shared(ours.privateKey, nodePub);
    expect(r.ok).toBe(true);
    const nodeSecret = node.computeSecret(Buffer.from(ours.publicValue));
    const padded = Buffer.concat([Buffer.alloc(len - nodeSecret.length), nodeSecret]);
    if (r.ok) expect(hex(r.secret)).toBe(padded.toString('hex'));
    // node computing our public value from our private exponent agrees
    const node2 = nc.createDiffieHellman(node.getPrime(), node.getGenerator());
    node2.setPrivateKey(Buffer.from(ours.privateKey));
    node2.generateKeys();
    expect(Buffer.concat([Buffer.alloc(len - node2.getPublicKey().length), node2.getPublicKey()]).toString('hex')).toBe(hex(ours.publicValue));
  });

  it('rejects invalid MODP public values with a reason', () => {
    const g = crypto.dhGroup(3)!;
    const { privateKey } = g.generate(rnd);
    const p = nc.createDiffieHellmanGroup('modp5').getPrime();
    const num = (n: bigint) => u8(Buffer.from(n.toString(16).padStart(384, '0'), 'hex'));
    const P = BigInt('0x' + p.toString('hex'));
    expect(g.shared(privateKey, num(0n))).toEqual({ ok: false, reason: 'zero' });
    expect(g.shared(privateKey, num(1n))).toEqual({ ok: false, reason: 'one' });
    expect(g.shared(privateKey, num(P - 1n))).toEqual({ ok: false, reason: 'p-minus-1' });
    expect(g.shared(privateKey, num(P))).toEqual({ ok: false, reason: 'out-of-range' });
    expect(g.shared(privateKey, num(P + 5n))).toEqual({ ok: false, reason: 'out-of-range' });
    expect(g.shared(privateKey, new Uint8Array(191).fill(9))).toEqual({ ok: false, reason: 'length' });
    expect(g.shared(privateKey, num(2n)).ok).toBe(true);
  });
});

describe('ECDH groups equal node:crypto createECDH (RFC 5903 x‖y, secret = x)', () => {
  it.each([
    [7, 'prime256v1', 32],
    [8, 'secp384r1', 48],
    [9, 'secp521r1', 66],
    [10, 'secp160r1', 20],
  ] as const)('group %i = %s', (id, curve, flen) => {
    const g = crypto.dhGroup(id)!;
    expect(g.kind).toBe('ecp');
    expect(g.publicValueLength).toBe(2 * flen);
    expect(g.sharedSecretLength).toBe(flen);
    const ours = g.generate(rnd);
    expect(ours.publicValue).toHaveLength(2 * flen);
    const node = nc.createECDH(curve);
    node.generateKeys();
    const nodePub = u8(node.getPublicKey()); // 04 ‖ x ‖ y
    expect(nodePub[0]).toBe(4);
    const r = g.shared(ours.privateKey, nodePub.subarray(1));
    expect(r.ok).toBe(true);
    const nodeSecret = node.computeSecret(Buffer.concat([Buffer.of(4), Buffer.from(ours.publicValue)]));
    if (r.ok) expect(hex(r.secret)).toBe(nodeSecret.toString('hex'));
    // node derives the same public value from our private key
    const node2 = nc.createECDH(curve);
    node2.setPrivateKey(Buffer.from(ours.privateKey));
    expect(node2.getPublicKey('hex').slice(2)).toBe(hex(ours.publicValue));
  });

  it('rejects invalid EC public values with a reason', () => {
    const g = crypto.dhGroup(7)!;
    const { privateKey, publicValue } = g.generate(rnd);
    expect(g.shared(privateKey, new Uint8Array(64))).toEqual({ ok: false, reason: 'identity' });
    expect(g.shared(privateKey, publicValue.subarray(1))).toEqual({ ok: false, reason: 'length' });
    expect(g.shared(privateKey, Uint8Array.of(4, ...publicValue))).toEqual({ ok: false, reason: 'length' });
    const off = publicValue.slice();
    off[63]! ^= 1;
    expect(g.shared(privateKey, off)).toEqual({ ok: false, reason: 'off-curve' });
    const big = publicValue.slice();
    big.fill(0xff, 0, 32);
    expect(g.shared(privateKey, big)).toEqual({ ok: false, reason: 'off-curve' });
    const g10 = crypto.dhGroup(10)!;
    const k10 = g10.generate(rnd);
    const off10 = k10.publicValue.slice();
    off10[0]! ^= 0x10;
    expect(g10.shared(k10.privateKey, off10)).toEqual({ ok: false, reason: 'off-curve' });
  });

  it('generation is deterministic in the injected random', () => {
    const a = crypto.dhGroup(8)!.generate(testRandom('same'));
    const b = crypto.dhGroup(8)!.generate(testRandom('same'));
    expect(hex(a.publicValue)).toBe(hex(b.publicValue));
  });

  it('unknown groups are undefined', () => {
    for (const id of [0, 1, 2, 5, 6, 12, 255]) expect(crypto.dhGroup(id)).toBeUndefined();
  });
});

describe('DH_GROUP_LIST negotiation (RFC 7401 §5.2.6, §4.1.7)', () => {
  it('responder picks the first of its own list that the initiator offered', () => {
    expect(selectDhGroup([8, 4, 7, 3], [3, 7, 9])).toBe(7);
    expect(selectDhGroup([3], [7])).toBeUndefined();
    expect(selectDhGroup([99, 7], [99, 7])).toBe(7); // unknown ids are skipped
  });
  it('initiator accepts the right choice and detects a downgrade', () => {
    const ours = [8, 7, 3];
    const theirs = [8, 3];
    expect(checkDhChoice(ours, theirs, 8)).toEqual({ ok: true, group: 8 });
    expect(checkDhChoice(ours, theirs, 3)).toEqual({ ok: false, reason: 'downgrade' });
    expect(checkDhChoice(ours, theirs, 4)).toEqual({ ok: false, reason: 'not-offered' });
    expect(checkDhChoice([7], [8], 7)).toEqual({ ok: false, reason: 'no-common-group' });
  });
  it('supportedDhGroups keeps the preference order of what the provider has', () => {
    expect(supportedDhGroups(crypto, [9, 1, 8, 42, 3])).toEqual([9, 8, 3]);
  });
});
