// A whole base exchange's crypto run by hand (no engine): I1 → R1 → I2 → R2 built with the codec,
// signed, MACed and verified with two sets of keys; KEYMAT equal on both sides; the ENCRYPTED
// HOST_ID round trip; the puzzle solved and verified; then one UPDATE.
import { describe, expect, it } from 'vitest';
import {
  checkDhChoice,
  computeMac,
  computeMac2,
  decryptHostId,
  deriveBexKeys,
  encryptHostId,
  hitFromHostId,
  nobleCrypto,
  rawParamBytes,
  rhashLength,
  rhashOf,
  selectDhGroup,
  selectEspTransform,
  selectHipCipher,
  signPacket,
  solvePuzzle,
  verifyMac,
  verifyMac2,
  verifyPuzzle,
  verifySignature,
  verifySignature2,
  type BexKeys,
  type HostIdentity,
} from '../../src/crypto/index.js';
import { decodePacket, encodePacket, type HipPacket, type ParamInit } from '../../src/wire/index.js';
import { testRandom, type FixtureKeyName } from '../fixtures/keys.js';
import { fixtureIdentity, hex } from './helpers.js';

const crypto = nobleCrypto();
const SRC = Uint8Array.from([...new Array(10).fill(0), 0xff, 0xff, 192, 0, 2, 1]);
const DST = Uint8Array.from([...new Array(10).fill(0), 0xff, 0xff, 192, 0, 2, 2]);

function wire(bytes: Uint8Array, from: Uint8Array, to: Uint8Array): HipPacket {
  const r = decodePacket(bytes, { src: from, dst: to }); // checksum verified
  if (!r.ok) throw new Error(`decode: ${JSON.stringify(r.error)}`);
  return r.packet;
}

function p<K extends HipPacket['params'][number]['kind']>(pkt: HipPacket, kind: K): Extract<HipPacket['params'][number], { kind: K }> {
  const x = pkt.params.find((q) => q.kind === kind);
  if (x === undefined) throw new Error(`missing ${kind}`);
  return x as Extract<HipPacket['params'][number], { kind: K }>;
}

type Case = { name: string; initiator: FixtureKeyName; responder: FixtureKeyName; iGroups: number[]; rGroups: number[]; expectGroup: number };

const CASES: Case[] = [
  { name: 'ECDSA P-256 ↔ RSA-2048, MODP group 3', initiator: 'p256A', responder: 'rsaB', iGroups: [3, 7], rGroups: [3, 8], expectGroup: 3 },
  { name: 'Ed25519 ↔ ECDSA P-384, P-384 group 8', initiator: 'ed25519A', responder: 'p384B', iGroups: [7, 8], rGroups: [8, 7], expectGroup: 8 },
  { name: 'ECDSA_LOW ↔ ECDSA P-256, P-256 group 7', initiator: 'secp160r1A', responder: 'p256B', iGroups: [7], rGroups: [9, 7], expectGroup: 7 },
];

describe.each(CASES)('base exchange by hand: $name', (c) => {
  it('I1 → R1 → I2 → R2 → UPDATE', () => {
    const I: HostIdentity = fixtureIdentity(c.initiator);
    const R: HostIdentity = fixtureIdentity(c.responder);
    const rndI = testRandom('bex-I-' + c.name);
    const rndR = testRandom('bex-R-' + c.name);
    const rhash = rhashOf(R.suite);
    const rlen = rhashLength(R.suite);

    // ---- I1
    const i1 = wire(encodePacket({ kind: 'I1', senderHit: I.hit, receiverHit: R.hit, params: [{ kind: 'DH_GROUP_LIST', groups: c.iGroups }] }, { src: SRC, dst: DST }), SRC, DST);

    // ---- R1 (precomputed with zeroed receiver HIT / opaque / #I, then filled in)
    const group = selectDhGroup(c.rGroups, p(i1, 'DH_GROUP_LIST').groups)!;
    expect(group).toBe(c.expectGroup);
    const rDh = crypto.dhGroup(group)!.generate(rndR);
    const K = 6;
    const r1Params = (opaque: number, randomI: Uint8Array, sig?: { algorithm: number; signature: Uint8Array }, trailing = true): ParamInit[] => [
      { kind: 'R1_COUNTER', generation: 1n },
      { kind: 'PUZZLE', k: K, lifetime: 37, opaque, randomI },
      { kind: 'DH_GROUP_LIST', groups: c.rGroups },
      { kind: 'DIFFIE_HELLMAN', groupId: group, publicValue: rDh.publicValue },
      { kind: 'HIP_CIPHER', ciphers: [2, 4] },
      { kind: 'HOST_ID', algorithm: R.algorithm, hostIdentity: R.hostIdentity, diType: R.diType, domainIdentifier: R.domainIdentifier },
      { kind: 'HIT_SUITE_LIST', suites: [0x10, 0x20, 0x30, 0x50] },
      { kind: 'TRANSPORT_FORMAT_LIST', formats: [4095] },
      ...(trailing ? [{ kind: 'ESP_TRANSFORM' as const, suites: [8, 9] }] : []),
      ...(sig ? [{ kind: 'HIP_SIGNATURE_2' as const, ...sig }] : []),
    ];
    const template = encodePacket({ kind: 'R1', senderHit: R.hit, receiverHit: new Uint8Array(16), params: r1Params(0, new Uint8Array(rlen)) });
    const sig2 = signPacket(crypto, R, template, rndR, 'HIP_SIGNATURE_2');
    const randomI = rndR(rlen);
    const r1 = wire(encodePacket({ kind: 'R1', senderHit: R.hit, receiverHit: I.hit, params: r1Params(0x1234, randomI, sig2) }, { src: DST, dst: SRC }), DST, SRC);

    // ---- Initiator processes R1
    const rHostId = p(r1, 'HOST_ID');
    expect(hex(hitFromHostId(rHostId.algorithm, rHostId.hostIdentity)!)).toBe(hex(r1.senderHit));
    expect(verifySignature2(crypto, r1, rHostId)).toEqual({ ok: true });
    const dhChoice = checkDhChoice(c.iGroups, p(r1, 'DH_GROUP_LIST').groups, p(r1, 'DIFFIE_HELLMAN').groupId);
    expect(dhChoice.ok).toBe(true);
    const puzzle = p(r1, 'PUZZLE');
    const sol = solvePuzzle({ crypto, hash: rhash, k: puzzle.k, randomI: puzzle.randomI, hitI: I.hit, hitR: R.hit, random: rndI, maxAttempts: 1 << 16 });
    expect(sol.ok).toBe(true);
    if (!sol.ok) return;
    const iDh = crypto.dhGroup(group)!.generate(rndI);
    const kijI = crypto.dhGroup(group)!.shared(iDh.privateKey, p(r1, 'DIFFIE_HELLMAN').publicValue);
    expect(kijI.ok).toBe(true);
    if (!kijI.ok) return;
    const cipherId = selectHipCipher(p(r1, 'HIP_CIPHER').ciphers, [2, 4])!;
    const espSuite = selectEspTransform(p(r1, 'ESP_TRANSFORM').suites, [8, 9])!;
    const keysI: BexKeys = deriveBexKeys({
      crypto, hash: rhash, kij: kijI.secret, randomI: puzzle.randomI, randomJ: sol.randomJ,
      hitI: I.hit, hitR: R.hit, localHit: I.hit, peerHit: R.hit, cipher: cipherId, espSuite,
    });
    const encrypted = encryptHostId(crypto.cipher(cipherId)!, keysI.local.encKey, rndI, I.hostIdParam);
    const spiI = 0x11111111;
    const i2Base: ParamInit[] = [
      { kind: 'ESP_INFO', keymatIndex: keysI.espIndex, oldSpi: 0, newSpi: spiI },
      { kind: 'SOLUTION', k: puzzle.k, opaque: puzzle.opaque, randomI: puzzle.randomI, solutionJ: sol.randomJ },
      { kind: 'DIFFIE_HELLMAN', groupId: group, publicValue: iDh.publicValue },
      { kind: 'HIP_CIPHER', ciphers: [cipherId] },
      { kind: 'ENCRYPTED', ivAndData: encrypted },
      { kind: 'TRANSPORT_FORMAT_LIST', formats: [4095] },
      { kind: 'ESP_TRANSFORM', suites: [espSuite] },
    ];
    const i2Head = { kind: 'I2' as const, senderHit: I.hit, receiverHit: R.hit };
    const i2Mac = computeMac(crypto, rhash, keysI.local.authKey, encodePacket({ ...i2Head, params: i2Base }));
    const i2Sig = signPacket(crypto, I, encodePacket({ ...i2Head, params: [...i2Base, { kind: 'HIP_MAC', hmac: i2Mac }] }), rndI);
    const i2 = wire(encodePacket({ ...i2Head, params: [...i2Base, { kind: 'HIP_MAC', hmac: i2Mac }, { kind: 'HIP_SIGNATURE', ...i2Sig }] }, { src: SRC, dst: DST }), SRC, DST);

    // ---- Responder processes I2
    const solution = p(i2, 'SOLUTION');
    expect(hex(solution.randomI)).toBe(hex(randomI));
    expect(verifyPuzzle({ crypto, hash: rhash, k: K, randomI, hitI: i2.senderHit, hitR: R.hit }, solution.solutionJ)).toBe(true);
    const kijR = crypto.dhGroup(group)!.shared(rDh.privateKey, p(i2, 'DIFFIE_HELLMAN').publicValue);
    expect(kijR.ok && hex(kijR.secret)).toBe(hex(kijI.secret));
    if (!kijR.ok) return;
    const keysR = deriveBexKeys({
      crypto, hash: rhash, kij: kijR.secret, randomI, randomJ: solution.solutionJ,
      hitI: i2.senderHit, hitR: R.hit, localHit: R.hit, peerHit: i2.senderHit,
      cipher: p(i2, 'HIP_CIPHER').ciphers[0] as 2 | 4, espSuite: p(i2, 'ESP_TRANSFORM').suites[0] as 8 | 9,
    });
    expect(verifyMac(crypto, rhash, keysR.peer.authKey, i2)).toEqual({ ok: true });
    const dec = decryptHostId(crypto.cipher(cipherId)!, keysR.peer.encKey, p(i2, 'ENCRYPTED').ivAndData);
    expect(dec.ok).toBe(true);
    if (!dec.ok) return;
    expect(hex(hitFromHostId(dec.hostId.algorithm, dec.hostId.hostIdentity)!)).toBe(hex(i2.senderHit));
    expect(verifySignature(crypto, i2, dec.hostId)).toEqual({ ok: true });
    expect(p(i2, 'ESP_INFO').keymatIndex).toBe(keysR.espIndex);

    // KEYMAT equal on both sides, mirrored
    expect(hex(keysI.local.encKey)).toBe(hex(keysR.peer.encKey));
    expect(hex(keysI.local.authKey)).toBe(hex(keysR.peer.authKey));
    expect(hex(keysI.peer.authKey)).toBe(hex(keysR.local.authKey));
    expect(hex(keysI.esp.out.encKey)).toBe(hex(keysR.esp.in.encKey));
    expect(hex(keysI.esp.out.authKey)).toBe(hex(keysR.esp.in.authKey));
    expect(hex(keysI.esp.in.authKey)).toBe(hex(keysR.esp.out.authKey));
    expect(hex(keysI.local.authKey)).not.toBe(hex(keysI.peer.authKey));

    // ---- R2 with HIP_MAC_2 over R's HOST_ID as sent in R1
    const r2Head = { kind: 'R2' as const, senderHit: R.hit, receiverHit: I.hit };
    const r2Base: ParamInit[] = [{ kind: 'ESP_INFO', keymatIndex: keysR.espIndex, oldSpi: 0, newSpi: 0x22222222 }];
    const sentHostId = R.hostIdParam; // R encoded its R1 HOST_ID from this identity
    const r2Mac = computeMac2(crypto, rhash, keysR.local.authKey, encodePacket({ ...r2Head, params: r2Base }), sentHostId);
    const r2Sig = signPacket(crypto, R, encodePacket({ ...r2Head, params: [...r2Base, { kind: 'HIP_MAC_2', hmac: r2Mac }] }), rndR);
    const r2 = wire(encodePacket({ ...r2Head, params: [...r2Base, { kind: 'HIP_MAC_2', hmac: r2Mac }, { kind: 'HIP_SIGNATURE', ...r2Sig }] }, { src: DST, dst: SRC }), DST, SRC);

    // ---- Initiator processes R2: HOST_ID bytes exactly as received in R1
    const receivedHostId = rawParamBytes(r1, 'HOST_ID')!;
    expect(hex(receivedHostId)).toBe(hex(sentHostId));
    expect(verifyMac2(crypto, rhash, keysI.peer.authKey, r2, receivedHostId)).toEqual({ ok: true });
    expect(verifySignature(crypto, r2, rHostId)).toEqual({ ok: true });
    expect(verifyMac2(crypto, rhash, keysI.local.authKey, r2, receivedHostId).ok).toBe(false); // wrong direction key

    // ---- UPDATE from the Initiator: HIP_MAC then HIP_SIGNATURE
    const upHead = { kind: 'UPDATE' as const, senderHit: I.hit, receiverHit: R.hit };
    const upBase: ParamInit[] = [
      { kind: 'ESP_INFO', keymatIndex: keysI.nextIndex, oldSpi: spiI, newSpi: 0x33333333 },
      { kind: 'SEQ', updateId: 0 },
    ];
    const upMac = computeMac(crypto, rhash, keysI.local.authKey, encodePacket({ ...upHead, params: upBase }));
    const upSig = signPacket(crypto, I, encodePacket({ ...upHead, params: [...upBase, { kind: 'HIP_MAC', hmac: upMac }] }), rndI);
    const up = wire(encodePacket({ ...upHead, params: [...upBase, { kind: 'HIP_MAC', hmac: upMac }, { kind: 'HIP_SIGNATURE', ...upSig }] }, { src: SRC, dst: DST }), SRC, DST);
    expect(verifyMac(crypto, rhash, keysR.peer.authKey, up)).toEqual({ ok: true });
    expect(verifySignature(crypto, up, dec.hostId)).toEqual({ ok: true });
  });
});
