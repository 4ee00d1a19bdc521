// Coverage of HIP_MAC, HIP_MAC_2, HIP_SIGNATURE, HIP_SIGNATURE_2 (RFC 7401 §5.2.12-15, §6.4),
// checked against byte surgery written out here on packets built with the codec.
import { describe, expect, it } from 'vitest';
import {
  computeMac,
  computeMac2,
  coveredBytes,
  coveredBytesForAppend,
  nobleCrypto,
  rawParamBytes,
  signPacket,
  verifyMac,
  verifyMac2,
  verifySignature,
  verifySignature2,
} from '../../src/crypto/index.js';
import { decodePacket, encodePacket, type HipPacket, type PacketInit, type ParamInit } from '../../src/wire/index.js';
import { testRandom } from '../fixtures/keys.js';
import { fixtureIdentity, hex } from './helpers.js';

const crypto = nobleCrypto();
const rnd = testRandom('coverage');
const A = fixtureIdentity('p256A');
const B = fixtureIdentity('ed25519B');

function decode(bytes: Uint8Array): HipPacket {
  const r = decodePacket(bytes);
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.packet;
}

/** Reference: prefix of `bytes` up to `offset`, header length fixed, checksum zeroed. */
function manualCover(bytes: Uint8Array, offset: number, append?: Uint8Array): string {
  const out = new Uint8Array(offset + (append?.length ?? 0));
  out.set(bytes.subarray(0, offset));
  if (append) out.set(append, offset);
  out[1] = out.length / 8 - 1;
  out[4] = 0;
  out[5] = 0;
  return hex(out);
}

const pkt = (kind: PacketInit['kind'], params: ParamInit[]): PacketInit => ({ kind, senderHit: A.hit, receiverHit: B.hit, params });

describe('HIP_MAC and HIP_SIGNATURE coverage', () => {
  const key = rnd(48);
  const before: ParamInit[] = [
    { kind: 'ESP_INFO', keymatIndex: 7, oldSpi: 1, newSpi: 2 },
    { kind: 'SEQ', updateId: 5 },
  ];
  const unsigned = encodePacket(pkt('UPDATE', before));
  const hmac = computeMac(crypto, 'sha384', key, unsigned);
  const withMac = encodePacket(pkt('UPDATE', [...before, { kind: 'HIP_MAC', hmac }]));
  const sig = signPacket(crypto, A, withMac, rnd);
  const full = encodePacket(pkt('UPDATE', [...before, { kind: 'HIP_MAC', hmac }, { kind: 'HIP_SIGNATURE', ...sig }, { kind: 'ECHO_RESPONSE_UNSIGNED', opaque: Uint8Array.of(1, 2, 3) }]), {
    src: new Uint8Array(16),
    dst: new Uint8Array(16),
  });
  const packet = decode(full);
  const macSpan = packet.params.find((p) => p.kind === 'HIP_MAC')!.span!;
  const sigSpan = packet.params.find((p) => p.kind === 'HIP_SIGNATURE')!.span!;

  it('the checksum of the sent packet is non-zero, yet zeroed in the coverage', () => {
    expect(full[4]! | full[5]!).not.toBe(0);
  });

  it('HIP_MAC covers everything before it, header length recomputed, checksum zeroed', () => {
    const c = coveredBytes(packet, 'HIP_MAC');
    expect(c.ok && hex(c.bytes)).toBe(manualCover(full, macSpan.offset));
    const s = coveredBytesForAppend(unsigned, 'HIP_MAC');
    expect(s.ok && hex(s.bytes)).toBe(manualCover(full, macSpan.offset));
    expect(verifyMac(crypto, 'sha384', key, packet)).toEqual({ ok: true });
    expect(verifyMac(crypto, 'sha384', rnd(48), packet)).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('HIP_SIGNATURE covers up to the signature (HIP_MAC included), not the unsigned echo', () => {
    const c = coveredBytes(packet, 'HIP_SIGNATURE');
    expect(c.ok && hex(c.bytes)).toBe(manualCover(full, sigSpan.offset));
    expect(verifySignature(crypto, packet, A)).toEqual({ ok: true });
    expect(verifySignature(crypto, packet, B)).toEqual({ ok: false, reason: 'algorithm-mismatch' });
    expect(verifySignature(crypto, packet, { algorithm: 7, hostIdentity: fixtureIdentity('p384A').hostIdentity })).toEqual({ ok: false, reason: 'mismatch' });
  });

  it('tampering any covered byte breaks MAC and signature; the unsigned tail does not', () => {
    for (const pos of [2, 9, 30, 48, macSpan.offset + 6]) {
      const t = full.slice();
      t[pos]! ^= 0x01;
      const r = decodePacket(t);
      if (!r.ok) continue; // structurally broken: the codec refuses it first
      const macOk = pos < macSpan.offset ? verifyMac(crypto, 'sha384', key, r.packet).ok : true;
      if (pos < macSpan.offset) expect(macOk).toBe(false);
      expect(verifySignature(crypto, r.packet, A).ok).toBe(false);
    }
    const t = full.slice();
    t[full.length - 4]! ^= 0xff; // inside ECHO_RESPONSE_UNSIGNED
    const p2 = decode(t);
    expect(verifySignature(crypto, p2, A).ok).toBe(true);
    expect(verifyMac(crypto, 'sha384', key, p2).ok).toBe(true);
  });

  it('reports a missing parameter and packets without raw bytes', () => {
    const noMac = decode(unsigned);
    expect(verifyMac(crypto, 'sha384', key, noMac)).toEqual({ ok: false, reason: 'missing-param' });
    const { raw: _raw, ...rest } = packet;
    expect(coveredBytes(rest, 'HIP_MAC')).toEqual({ ok: false, reason: 'no-raw' });
  });
});

describe('HIP_MAC_2 (R2): the Responder HOST_ID from R1 appended, header length counting it', () => {
  const key = rnd(32);
  const hostIdParam = B.hostIdParam; // as the Responder B sent it in R1
  const before: ParamInit[] = [{ kind: 'ESP_INFO', keymatIndex: 96, oldSpi: 0, newSpi: 0x1234 }];
  const r2NoMac = encodePacket({ kind: 'R2', senderHit: B.hit, receiverHit: A.hit, params: before });
  const hmac = computeMac2(crypto, 'sha256', key, r2NoMac, hostIdParam);
  const withMac = encodePacket({ kind: 'R2', senderHit: B.hit, receiverHit: A.hit, params: [...before, { kind: 'HIP_MAC_2', hmac }] });
  const sig = signPacket(crypto, B, withMac, rnd);
  const r2 = decode(encodePacket({ kind: 'R2', senderHit: B.hit, receiverHit: A.hit, params: [...before, { kind: 'HIP_MAC_2', hmac }, { kind: 'HIP_SIGNATURE', ...sig }] }));

  it('covers R2 up to HIP_MAC_2 then HOST_ID', () => {
    const off = r2.params.find((p) => p.kind === 'HIP_MAC_2')!.span!.offset;
    const c = coveredBytes(r2, 'HIP_MAC_2', hostIdParam);
    expect(c.ok && hex(c.bytes)).toBe(manualCover(r2.raw!, off, hostIdParam));
    expect(c.ok && c.bytes[1]).toBe((off + hostIdParam.length) / 8 - 1);
    expect(verifyMac2(crypto, 'sha256', key, r2, hostIdParam)).toEqual({ ok: true });
    expect(verifySignature(crypto, r2, B)).toEqual({ ok: true });
  });

  it('a HOST_ID differing in a single byte (e.g. re-encoded) fails', () => {
    const other = hostIdParam.slice();
    other[other.length - 1]! ^= 1; // padding byte
    expect(verifyMac2(crypto, 'sha256', key, r2, other)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifyMac2(crypto, 'sha256', key, r2, hostIdParam.subarray(0, 12))).toEqual({ ok: false, reason: 'bad-length' });
  });
});

describe('HIP_SIGNATURE_2 (R1): Receiver HIT, PUZZLE Opaque and #I zeroed', () => {
  const dhPublic = crypto.dhGroup(7)!.generate(rnd).publicValue;
  const build = (receiverHit: Uint8Array, opaque: number, randomI: Uint8Array, signature?: { algorithm: number; signature: Uint8Array }) =>
    encodePacket({
      kind: 'R1',
      senderHit: B.hit,
      receiverHit,
      params: [
        { kind: 'R1_COUNTER', generation: 3n },
        { kind: 'PUZZLE', k: 4, lifetime: 37, opaque, randomI },
        { kind: 'DIFFIE_HELLMAN', groupId: 7, publicValue: dhPublic },
        { kind: 'HIP_CIPHER', ciphers: [2] },
        { kind: 'HOST_ID', algorithm: B.algorithm, hostIdentity: B.hostIdentity, diType: 0, domainIdentifier: new Uint8Array(0) },
        { kind: 'HIT_SUITE_LIST', suites: [0x10, 0x20, 0x50] },
        { kind: 'DH_GROUP_LIST', groups: [7] },
        { kind: 'TRANSPORT_FORMAT_LIST', formats: [4095] },
        ...(signature ? [{ kind: 'HIP_SIGNATURE_2' as const, ...signature }] : []),
        { kind: 'ESP_TRANSFORM', suites: [8] },
      ].sort((a, b) => order(a.kind) - order(b.kind)) as ParamInit[],
    });
  const order = (k: string) =>
    ({ R1_COUNTER: 129, PUZZLE: 257, DH_GROUP_LIST: 511, DIFFIE_HELLMAN: 513, HIP_CIPHER: 579, HOST_ID: 705, HIT_SUITE_LIST: 715, TRANSPORT_FORMAT_LIST: 2049, ESP_TRANSFORM: 4095, HIP_SIGNATURE_2: 61633 })[k]!;

  // precomputed R1: signed with zero receiver HIT, zero opaque and #I
  const template = build(new Uint8Array(16), 0, new Uint8Array(32));
  const sig = signPacket(crypto, B, template, rnd, 'HIP_SIGNATURE_2');
  const r1 = decode(build(A.hit, 0xbeef, rnd(32), sig));

  it('the signature made over the zeroed template verifies on the filled-in R1', () => {
    expect(verifySignature2(crypto, r1, B)).toEqual({ ok: true });
    expect(verifySignature(crypto, r1, B)).toEqual({ ok: false, reason: 'missing-param' });
  });

  it('coverage zeroes exactly those fields', () => {
    const c = coveredBytes(r1, 'HIP_SIGNATURE_2');
    const sigOff = r1.params.find((p) => p.kind === 'HIP_SIGNATURE_2')!.span!.offset;
    const pz = r1.params.find((p) => p.kind === 'PUZZLE')!.span!.offset;
    const ref = r1.raw!.slice(0, sigOff);
    ref[1] = ref.length / 8 - 1;
    ref.fill(0, 4, 6);
    ref.fill(0, 24, 40);
    ref.fill(0, pz + 6, pz + 8 + 32);
    expect(c.ok && hex(c.bytes)).toBe(hex(ref));
    expect(c.ok && hex(c.bytes)).toBe(hex(coveredBytesForAppend(template, 'HIP_SIGNATURE_2').ok ? (coveredBytesForAppend(template, 'HIP_SIGNATURE_2') as { bytes: Uint8Array }).bytes : new Uint8Array(0)));
  });

  it('changing K, lifetime or the DH value breaks it', () => {
    const raw = r1.raw!;
    const pz = r1.params.find((p) => p.kind === 'PUZZLE')!.span!.offset;
    for (const pos of [pz + 4, pz + 5, 8, pz + 48]) {
      const t = raw.slice();
      t[pos]! ^= 0x02;
      const r = decodePacket(t);
      if (r.ok) expect(verifySignature2(crypto, r.packet, B).ok).toBe(false);
    }
  });

  it('rawParamBytes returns the HOST_ID exactly as received (for HIP_MAC_2 later)', () => {
    expect(hex(rawParamBytes(r1, 'HOST_ID')!)).toBe(hex(B.hostIdParam));
  });
});
