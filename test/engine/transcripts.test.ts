// Base-exchange transcripts (vectors/bex-*.json): full I1/R1/I2/R2 exchanges between two
// hip-engine instances with fixed keys, randomness, time and config, for other HIP
// implementations to replay.
//
//   a. Regression: the engine, run again from the inputs stored in each vector, reproduces every
//      packet, random draw and SA byte for byte.
//   b. Independent checks, node:crypto + BigInt + byte surgery only (test/crypto/independent.ts,
//      test/engine/transcripts/node-hip.ts; nothing from src/): HITs, signatures, MACs, puzzle,
//      DH values and Kij, KEYMAT and the key slices, SAs, checksums, random draws.
//
// Regenerate: GEN_VECTORS=1 npx vitest run test/engine/transcripts.test.ts
import * as nc from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { fixturePkcs8 } from '../fixtures/keys.js';
import { nodeCovered, nodeHit, nodeHmac, nodeKeymat, nodePuzzleOk, nodeSolve, paramOffsets } from '../crypto/independent.js';
import {
  PACKET_TYPE,
  PARAM,
  buf,
  cshake128,
  dhFields,
  dhPrivateFromDraw,
  espInfoFields,
  header,
  hipChecksum,
  hostIdFields,
  hx,
  keccak168,
  nodeDhPublic,
  nodeDhShared,
  nodeHitEdDsa,
  nodeKeyFromHi,
  nodePublicJwkOfPkcs8,
  nodeVerifyHip,
  pssSalt,
  puzzleFields,
  r1CounterFields,
  signatureFields,
  solutionFields,
  tlv,
  tlvs,
} from './transcripts/node-hip.js';
import { runTranscript, type Role } from './transcripts/run.js';
import { SUITES, buildVector, readGitHead, srcDigest, suiteInputs, type BexVector, type SuiteDef } from './transcripts/vector.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const vectorPath = (s: SuiteDef): string => fileURLToPath(new URL(`../../vectors/${s.file}`, import.meta.url));
const ROLES = ['initiator', 'responder'] as const;
const other = (r: Role): Role => (r === 'initiator' ? 'responder' : 'initiator');

describe.runIf(process.env['GEN_VECTORS'] === '1')('generate vectors/bex-*.json', () => {
  for (const s of SUITES) {
    it(`writes ${s.file}`, () => {
      const inputs = suiteInputs(s);
      const v = buildVector(s, inputs, runTranscript(inputs), { commit: readGitHead(ROOT), srcSha256: srcDigest(ROOT) });
      writeFileSync(vectorPath(s), JSON.stringify(v, null, 2) + '\n');
    });
  }
});

describe('cSHAKE128 of node-hip.ts (node:crypto has none)', () => {
  it('its Keccak sponge equals node SHAKE128, and cSHAKE128 gives NIST SP 800-185 sample #1', () => {
    for (const len of [0, 1, 135, 167, 168, 169, 400]) {
      const msg = nc.createHash('sha256').update(String(len)).digest();
      const data = Buffer.concat(Array.from({ length: Math.ceil(len / 32) + 1 }, () => msg)).subarray(0, len);
      for (const out of [12, 32, 200]) {
        expect(hx(keccak168(data, 0x1f, out))).toBe(nc.createHash('shake128', { outputLength: out }).update(data).digest('hex'));
      }
    }
    expect(hx(cshake128(Buffer.of(0, 1, 2, 3), 32, new Uint8Array(0), Buffer.from('Email Signature')))).toBe(
      'c1c36925b6409a04f1b504fcbca9d82b4017277cb5ed2b2065fc1d3814d5aaf5',
    );
  });
});

for (const s of SUITES) {
  describe(`vectors/${s.file}: ${s.title}`, () => {
    let v: BexVector;
    const pkt = (kind: string): Buffer => buf(v.packets.find((p) => p.kind === kind)!.hex);
    const hit = (r: Role): Buffer => buf(v.hosts[r].hit);
    const rhashLen = (): number => nc.createHash(v.suite.rhash).digest().length;

    beforeAll(() => {
      v = JSON.parse(readFileSync(vectorPath(s), 'utf8')) as BexVector;
    });

    it('a. regression: the engine reproduces every packet, draw and SA byte for byte from the stored inputs', () => {
      expect(v.provenance.inputs).toEqual(suiteInputs(s));
      const run = runTranscript(v.provenance.inputs);
      // Config fields added to the engine after generation are allowed; the stored ones must hold.
      const current = run.resolvedConfig.initiator as unknown as Record<string, unknown>;
      for (const [k, val] of Object.entries(v.provenance.resolvedConfig)) expect(current[k], `config.${k}`).toEqual(val);
      expect(run.packets.map((p) => `${p.kind} ${p.from}->${p.to} ${p.src}->${p.dst} t=${p.sentAt}/${p.handledAt}`)).toEqual(
        v.packets.map((p) => `${p.kind} ${p.from}->${p.to} ${p.src}->${p.dst} t=${p.sentAt}/${p.handledAt}`),
      );
      run.packets.forEach((p, i) => expect(hx(p.bytes), `packet ${i} (${p.kind})`).toBe(v.packets[i]!.hex));
      for (const r of ROLES) {
        expect(run.draws[r].map(hx), `${r} random draws`).toEqual(v.randomDraws[r].map((d) => d.hex));
        expect(
          run.sas[r].map((x) => ({ at: x.at, op: x.op, spi: x.spi, direction: x.direction, suite: x.suite, src: x.src, dst: x.dst, encKey: hx(x.encKey), authKey: hx(x.authKey) })),
          `${r} SAs`,
        ).toEqual(v.sas[r].map((x) => ({ at: x.at, op: x.op, spi: x.spi, direction: x.direction, suite: x.suite, src: x.src, dst: x.dst, encKey: x.encKey, authKey: x.authKey })));
      }
      expect(run.locators).toEqual(v.locatorOutputs);
      expect(run.states).toEqual(v.final.states);
      expect(run.events).toEqual(v.final.events);
    });

    describe('b. independent checks (node:crypto only)', () => {
      it('each Host Identity is its PKCS#8 key, and each HIT its ORCHIDv2 hash', () => {
        const expect_ = { 'ecdsa-p256': [7, 2], 'ecdsa-p384': [7, 2], ed25519: [13, 5], rsa2048: [5, 1] }[s.id]!;
        for (const r of ROLES) {
          const h = v.hosts[r];
          expect(h.pkcs8).toBe(hx(fixturePkcs8(r === 'initiator' ? s.initiator : s.responder)));
          expect([h.hiAlgorithm, h.hitSuite]).toEqual(expect_);
          const hi = buf(h.hostIdentity);
          const fromHi = nodeKeyFromHi(h.hiAlgorithm, hi).key.export({ format: 'jwk' });
          expect(fromHi).toEqual(nodePublicJwkOfPkcs8(h.pkcs8));
          const derived = h.hitSuite === 5 ? nodeHitEdDsa(hi) : nodeHit(h.hitSuite as 1 | 2, hi).hit;
          expect(h.hit).toBe(derived);
          // HOST_ID parameter: Type 705, HI Length, DI-Type/Length 0, Algorithm, HI, zero padding.
          const p = buf(h.hostIdParam);
          expect(p.readUInt16BE(0)).toBe(705);
          expect(hostIdFields(tlvs(Buffer.concat([Buffer.alloc(40), p]))[0]!)).toMatchObject({ algorithm: h.hiAlgorithm, diType: 0 });
        }
        expect(hx(tlv(pkt('R1'), PARAM.HOST_ID).whole)).toBe(v.hosts.responder.hostIdParam);
        expect(hx(tlv(pkt('I2'), PARAM.HOST_ID).whole)).toBe(v.hosts.initiator.hostIdParam);
      });

      it('packets: I1, R1, I2, R2 with HIPv2 headers, HITs, ordered parameters and IPv6 checksums', () => {
        expect(v.packets.map((p) => `${p.kind}:${p.direction}`)).toEqual(['I1:initiator->responder', 'R1:responder->initiator', 'I2:initiator->responder', 'R2:responder->initiator']);
        for (const p of v.packets) {
          const raw = buf(p.hex);
          const h = header(raw);
          expect(raw.length).toBe(p.length);
          expect(h).toMatchObject({ nextHeader: 59, type: PACKET_TYPE[p.kind], version: 2, fixedBit: 1, controls: 0 });
          expect((h.headerLength + 1) * 8).toBe(raw.length);
          expect(hx(h.senderHit)).toBe(v.hosts[p.from].hit);
          expect(hx(h.receiverHit)).toBe(v.hosts[p.to].hit);
          expect([p.srcHex, p.dstHex]).toEqual([v.hosts[p.from].locatorHex, v.hosts[p.to].locatorHex]);
          expect(h.checksum, `${p.kind} checksum`).toBe(hipChecksum(buf(p.srcHex), buf(p.dstHex), raw));
          const types = paramOffsets(raw).map((x) => x.type);
          expect(types, `${p.kind} parameter order`).toEqual([...types].sort((a, b) => a - b));
          expect(paramOffsets(raw).reduce((end, x) => Math.max(end, x.offset + Math.ceil((4 + x.length) / 8) * 8), 40)).toBe(raw.length);
        }
        // Negotiation as configured: one DH group, AES-128-CBC HIP cipher, ESP suite 8.
        const i1 = pkt('I1');
        expect([...tlv(i1, PARAM.DH_GROUP_LIST).value]).toEqual([s.dhGroup]);
        expect(dhFields(tlv(pkt('R1'), PARAM.DIFFIE_HELLMAN)).group).toBe(s.dhGroup);
        expect(dhFields(tlv(pkt('I2'), PARAM.DIFFIE_HELLMAN)).group).toBe(s.dhGroup);
        expect(hx(tlv(pkt('I2'), PARAM.HIP_CIPHER).value)).toBe('0002');
        expect(hx(tlv(pkt('I2'), PARAM.ESP_TRANSFORM).value)).toBe('00000008');
      });

      it("R1's HIP_SIGNATURE_2 and the HIP_SIGNATUREs of I2 and R2 verify with node (HI → KeyObject written in the test)", () => {
        const sigs = v.auth.filter((a) => a.param.startsWith('HIP_SIGNATURE'));
        expect(sigs.map((a) => `${a.packet}:${a.param}`)).toEqual(['R1:HIP_SIGNATURE_2', 'I2:HIP_SIGNATURE', 'R2:HIP_SIGNATURE']);
        for (const a of sigs) {
          const raw = pkt(a.packet);
          const type = a.param === 'HIP_SIGNATURE_2' ? PARAM.HIP_SIGNATURE_2 : PARAM.HIP_SIGNATURE;
          const covered = nodeCovered(raw, type);
          expect(hx(covered), `${a.packet} covered bytes`).toBe(a.coveredHex);
          const f = signatureFields(tlv(raw, type));
          expect(hx(f.signature)).toBe(a.value);
          const host = v.hosts[a.signer];
          expect(f.algorithm).toBe(host.hiAlgorithm);
          const hi = buf(host.hostIdentity);
          expect(nodeVerifyHip(host.hiAlgorithm, hi, covered, f.signature), `${a.packet} ${a.param}`).toBe(true);
          const tampered = Buffer.from(covered);
          tampered[tampered.length - 1]! ^= 1;
          expect(nodeVerifyHip(host.hiAlgorithm, hi, tampered, f.signature)).toBe(false);
          if (host.hiAlgorithm === 5) expect(hx(pssSalt(hi, covered, f.signature)!)).toBe(a.rsaPssSalt);
        }
        // R1 (§5.2.15): Receiver's HIT, #I and Opaque zeroed in the signed bytes, so the raw
        // prefix (real receiver HIT and #I) does not verify.
        const r1 = pkt('R1');
        const cov = buf(sigs[0]!.coveredHex);
        expect(cov.subarray(24, 40).every((b) => b === 0)).toBe(true);
        const pz = tlv(r1, PARAM.PUZZLE);
        expect(cov.subarray(pz.offset + 6, pz.offset + 4 + pz.length).every((b) => b === 0)).toBe(true);
        const unzeroed = Buffer.from(r1.subarray(0, cov.length));
        unzeroed[1] = cov[1]!;
        unzeroed.writeUInt16BE(0, 4);
        expect(nodeVerifyHip(v.hosts.responder.hiAlgorithm, buf(v.hosts.responder.hostIdentity), unzeroed, signatureFields(tlv(r1, PARAM.HIP_SIGNATURE_2)).signature)).toBe(false);
      });

      it('the puzzle: K = 4, #I echoed, and the K low-order bits of RHASH(#I | HIT-I | HIT-R | #J) are zero', () => {
        const r1 = pkt('R1');
        const i2 = pkt('I2');
        const pz = puzzleFields(tlv(r1, PARAM.PUZZLE));
        const sol = solutionFields(tlv(i2, PARAM.SOLUTION));
        expect(pz.k).toBe(4);
        expect(v.puzzle).toMatchObject({ k: 4, lifetime: pz.lifetime, opaque: pz.opaque, randomI: hx(pz.randomI), randomJ: hx(sol.randomJ) });
        expect(pz.randomI.length).toBe(rhashLen());
        expect(sol.randomJ.length).toBe(rhashLen());
        expect({ k: sol.k, opaque: sol.opaque, randomI: hx(sol.randomI) }).toEqual({ k: pz.k, opaque: pz.opaque, randomI: hx(pz.randomI) });
        expect(r1CounterFields(tlv(r1, PARAM.R1_COUNTER)).generation.toString()).toBe(v.puzzle.r1Generation);
        expect(r1CounterFields(tlv(i2, PARAM.R1_COUNTER)).generation.toString()).toBe(v.puzzle.r1Generation);
        const I = pz.randomI;
        const J = sol.randomJ;
        expect(nodePuzzleOk(v.suite.rhash, I, hit('initiator'), hit('responder'), J, 4)).toBe(true);
        const solved = nodeSolve(v.suite.rhash, I, hit('initiator'), hit('responder'), buf(v.puzzle.jSearchStart), 4);
        expect({ J: hx(solved.J), attempts: solved.attempts }).toEqual({ J: v.puzzle.randomJ, attempts: v.puzzle.attempts });
        expect(nodeHmac(v.suite.rhash, buf(v.puzzle.r1Secret), Buffer.concat([hit('initiator'), hit('responder'), Buffer.of(4)]))).toBe(v.puzzle.randomI);
      });

      it('DH: each private value gives its public value on the wire, and both sides get the same Kij', () => {
        const wire = { initiator: dhFields(tlv(pkt('I2'), PARAM.DIFFIE_HELLMAN)).publicValue, responder: dhFields(tlv(pkt('R1'), PARAM.DIFFIE_HELLMAN)).publicValue };
        for (const r of ROLES) {
          const priv = buf(v.dh[r].privateValue);
          expect(hx(wire[r])).toBe(v.dh[r].publicValue);
          expect(hx(nodeDhPublic(s.dhGroup, priv)), `${r} public value`).toBe(v.dh[r].publicValue);
          const draw = v.randomDraws[r].filter((d) => d.use === 'dh-private');
          expect(draw).toHaveLength(1);
          expect(hx(dhPrivateFromDraw(s.dhGroup, buf(draw[0]!.hex)))).toBe(v.dh[r].privateValue);
          expect(hx(nodeDhShared(s.dhGroup, priv, wire[other(r)])), `${r} Kij`).toBe(v.dh.kij);
        }
      });

      it('KEYMAT = node hkdfSync(RHASH, Kij, #I‖#J, sort(HITs)); HIP and ESP keys are its slices in RFC order', () => {
        const hLen = rhashLen();
        const hipTotal = 2 * (16 + hLen);
        const len = hipTotal + 2 * (16 + 32);
        const km = nodeKeymat(v.suite.rhash, buf(v.dh.kij), buf(v.puzzle.randomI), buf(v.puzzle.randomJ), hit('initiator'), hit('responder'), len);
        expect(v.keymat.length).toBe(len);
        expect(hx(km)).toBe(v.keymat.hex);
        expect(v.keymat.salt).toBe(v.puzzle.randomI + v.puzzle.randomJ);
        const g: Role = Buffer.compare(hit('initiator'), hit('responder')) > 0 ? 'initiator' : 'responder';
        expect(v.hipKeys.greaterHit).toBe(g);
        expect(v.keymat.info).toBe(v.hosts[other(g)].hit + v.hosts[g].hit);
        const parts = [16, hLen, 16, hLen, 16, 32, 16, 32];
        let o = 0;
        const sl = parts.map((n) => hx(km.subarray(o, (o += n))));
        expect([v.hipKeys.glEnc, v.hipKeys.glInt, v.hipKeys.lgEnc, v.hipKeys.lgInt]).toEqual(sl.slice(0, 4));
        expect([v.espKeys.glEnc, v.espKeys.glAuth, v.espKeys.lgEnc, v.espKeys.lgAuth]).toEqual(sl.slice(4));
        // ESP_INFO (RFC 7402 §5.1.1): KEYMAT Index = first byte after the HIP keys; OLD SPI 0.
        for (const kind of ['I2', 'R2']) {
          const e = espInfoFields(tlv(pkt(kind), PARAM.ESP_INFO));
          expect({ keymatIndex: e.keymatIndex, oldSpi: e.oldSpi }).toEqual({ keymatIndex: hipTotal, oldSpi: 0 });
        }
        expect(v.espKeys.keymatIndex).toBe(hipTotal);
      });

      it("I2's HIP_MAC and R2's HIP_MAC_2 equal node HMACs with the sender's HIP integrity key", () => {
        const intKey = (r: Role): Buffer => buf(r === v.hipKeys.greaterHit ? v.hipKeys.glInt : v.hipKeys.lgInt);
        const i2 = pkt('I2');
        const covI2 = nodeCovered(i2, PARAM.HIP_MAC);
        const macI2 = v.auth.find((a) => a.param === 'HIP_MAC')!;
        expect(hx(covI2)).toBe(macI2.coveredHex);
        expect(hx(tlv(i2, PARAM.HIP_MAC).value)).toBe(macI2.value);
        expect(nodeHmac(v.suite.rhash, intKey('initiator'), covI2)).toBe(macI2.value);
        expect(nodeHmac(v.suite.rhash, intKey('responder'), covI2)).not.toBe(macI2.value);
        // HIP_MAC_2 (§5.2.13): R2 up to HIP_MAC_2 plus the R1's HOST_ID parameter as sent.
        const r2 = pkt('R2');
        const covR2 = nodeCovered(r2, PARAM.HIP_MAC_2, buf(v.hosts.responder.hostIdParam));
        const mac2 = v.auth.find((a) => a.param === 'HIP_MAC_2')!;
        expect(hx(covR2)).toBe(mac2.coveredHex);
        expect(hx(tlv(r2, PARAM.HIP_MAC_2).value)).toBe(mac2.value);
        expect(nodeHmac(v.suite.rhash, intKey('responder'), covR2)).toBe(mac2.value);
      });

      it('SAs: SPIs from ESP_INFO, suite 8, and keys = the SA-gl / SA-lg slices, crossed between the hosts', () => {
        const spiOf = (r: Role): number => espInfoFields(tlv(pkt(r === 'initiator' ? 'I2' : 'R2'), PARAM.ESP_INFO)).newSpi;
        const gl = { encKey: v.espKeys.glEnc, authKey: v.espKeys.glAuth };
        const lg = { encKey: v.espKeys.lgEnc, authKey: v.espKeys.lgAuth };
        for (const r of ROLES) {
          const out = r === v.hipKeys.greaterHit ? gl : lg;
          const inn = r === v.hipKeys.greaterHit ? lg : gl;
          const sas = v.sas[r];
          expect(sas.map((x) => `${x.op}:${x.direction}`)).toEqual(['add:in', 'add:out']);
          const [sin, sout] = sas as [BexVector['sas'][Role][number], BexVector['sas'][Role][number]];
          expect(sin).toMatchObject({ spi: spiOf(r), suite: 8, src: v.hosts[other(r)].locator, dst: v.hosts[r].locator, localHit: v.hosts[r].hit, peerHit: v.hosts[other(r)].hit, ...inn });
          expect(sout).toMatchObject({ spi: spiOf(other(r)), suite: 8, src: v.hosts[r].locator, dst: v.hosts[other(r)].locator, localHit: v.hosts[r].hit, peerHit: v.hosts[other(r)].hit, ...out });
          expect(sin.spiHex).toBe(sin.spi.toString(16).padStart(8, '0'));
        }
        // Inbound SAs exist before the packet announcing their SPI is handled by the peer.
        expect(v.sas.initiator[0]!.at).toBeLessThanOrEqual(v.packets.find((p) => p.kind === 'I2')!.sentAt);
        expect(v.sas.responder[0]!.at).toBeLessThanOrEqual(v.packets.find((p) => p.kind === 'R2')!.sentAt);
      });

      it('random draws: the stated testRandom stream, each with a use re-checked here', () => {
        for (const r of ROLES) {
          const label = Buffer.from(v.provenance.inputs[r].randomLabel, 'utf8');
          const draws = v.randomDraws[r];
          const total = draws.reduce((n, d) => n + d.length, 0);
          const blocks: Buffer[] = [];
          for (let c = 0; blocks.length * 32 < total; c++) {
            const ctr = Buffer.alloc(4);
            ctr.writeUInt32BE(c);
            blocks.push(nc.createHash('sha256').update(label).update(ctr).digest());
          }
          expect(hx(Buffer.concat(draws.map((d) => buf(d.hex))))).toBe(hx(Buffer.concat(blocks).subarray(0, total)));
          for (const d of draws) {
            const b = buf(d.hex);
            expect(b.length).toBe(d.length);
            if (d.use === 'spi') expect(b.readUInt32BE(0)).toBe(espInfoFields(tlv(pkt(r === 'initiator' ? 'I2' : 'R2'), PARAM.ESP_INFO)).newSpi);
            else if (d.use === 'r1-secret') expect(d.hex).toBe(v.puzzle.r1Secret);
            else if (d.use === 'puzzle-j-start') expect(d.hex).toBe(v.puzzle.jSearchStart);
            else if (d.use === 'dh-private') expect(hx(dhPrivateFromDraw(s.dhGroup, b))).toBe(v.dh[r].privateValue);
            else if (d.use.startsWith('rsa-pss-salt ')) {
              const a = v.auth.find((x) => x.packet === d.use.slice(13) && x.param.startsWith('HIP_SIGNATURE'))!;
              expect([a.signer, a.rsaPssSalt]).toEqual([r, d.hex]);
            } else throw new Error(`unknown use ${String(d.use)}`);
          }
        }
        expect(v.randomDraws.responder.filter((d) => d.use === 'r1-secret')).toHaveLength(1);
        expect(v.randomDraws.initiator.filter((d) => d.use === 'puzzle-j-start')).toHaveLength(1);
      });
    });
  });
}
