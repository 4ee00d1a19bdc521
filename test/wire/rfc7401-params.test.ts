// RFC 7401 §5.2: every parameter from a hand-written vector, round trips both ways, and the
// malformed cases (short, long, bad padding, bad inner lengths) with their error codes.
import { describe, expect, it } from 'vitest';
import { decodePacket, decodeParamBlock, encodeParamBlock, PARAM_TYPE, param, paramKindOf } from '../../src/wire/index.js';
import { RFC7401_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad, pkt, run, P0 } from './helpers.js';

describe('RFC 7401 parameters: hand-written vectors', () => {
  for (const v of RFC7401_VECTORS) {
    it(`${v.name} (${v.rfc})`, () => checkVector(v));
  }
});

describe('type numbers and the critical bit', () => {
  it('NOTIFICATION is 832 (0x0340, non-critical) and ENCRYPTED is 641 (0x0281, critical)', () => {
    expect(PARAM_TYPE.NOTIFICATION).toBe(832);
    expect(PARAM_TYPE.ENCRYPTED).toBe(641);
    const res = decodeParamBlock(h(`0281 0004 00000000 | 0340 0004 0000 0007`));
    expect(res.ok && res.params.map((p) => [p.kind, p.type, p.critical])).toEqual([
      ['ENCRYPTED', 641, true],
      ['NOTIFICATION', 832, false],
    ]);
    // The neighbours are not them.
    expect(paramKindOf(833)).toBe('UNKNOWN');
    expect(paramKindOf(640)).toBe('UNKNOWN');
  });

  it('critical is the low bit of every known type', () => {
    for (const [kind, type] of Object.entries(PARAM_TYPE)) {
      expect(paramKindOf(type)).toBe(kind);
    }
    const res = decodeParamBlock(h(`0300 0004 01010101 | 0381 0000 00000000`));
    expect(res.ok && res.params.map((p) => p.critical)).toEqual([false, true]);
  });
});

describe('HOST_ID nested padding (RFC 7401 §5.2.9)', () => {
  it('pads once after HI ‖ DI; a sender that padded the HI separately is rejected', () => {
    const hi = '0001 04' + run(0x10, 64); // 67 bytes
    const fqdn = '07 6578616d706c65 03 636f6d 00'; // 13 bytes
    // Correct: 4 + 86 = 90 bytes → 6 bytes of padding at the very end.
    expect(decodeParamBlock(h(`02c1 0056 0043 100d 0007 ${hi} ${fqdn} ${pad(6)}`)).ok).toBe(true);
    // Wrong: HI padded to a multiple of 8 (67 + 6 + 5 ...) before the DI, Length covering it.
    const wrong = decodeParamBlock(h(`02c1 0059 0043 100d 0007 ${hi} 000000 ${fqdn} ${pad(3)}`));
    expectError(wrong, 'BAD_INNER_LENGTH', 'HOST_ID.hiLength', 4);
  });

  it('Length counts only HI Length + DI Length + 6, with the HI Length excluding the Algorithm', () => {
    const p = encodeParamBlock([{ kind: 'HOST_ID', diType: 2, algorithm: 7, hostIdentity: new Uint8Array(3), domainIdentifier: new Uint8Array(4) }]);
    expect(Array.from(p.subarray(0, 10))).toEqual([0x02, 0xc1, 0x00, 13, 0x00, 3, 0x20, 4, 0x00, 7]);
    expect(p.length).toBe(24);
  });
});

describe('ENCRYPTED nested parameters (RFC 7401 §5.2.18)', () => {
  it('the plaintext block holds padded parameters; the ENCRYPTED parameter is padded again', () => {
    // Inner: HOST_ID with 3-byte HI (Length 9 → 13 → 16 bytes) — as NULL-encrypted plaintext.
    const inner = h(`02c1 0009 0003 0000 0005 010203 ${pad(3)}`);
    const innerDecoded = decodeParamBlock(inner);
    expect(innerDecoded.ok && innerDecoded.params[0]?.kind).toBe('HOST_ID');
    expect(encodeParamBlock(innerDecoded.ok ? innerDecoded.params : [])).toEqual(inner);
    // Outer: Reserved ‖ IV(16) ‖ ciphertext(16 with 0 cipher padding) → Length 36 → 40 + 0 pad.
    const iv = run(0xe0, 16);
    const outer = h(`0281 0024 00000000 ${iv} ${run(0, 16)}`);
    expect(outer.length).toBe(40);
    const res = decodeParamBlock(outer);
    expect(res.ok && res.params[0]).toMatchObject({ kind: 'ENCRYPTED', ivAndData: h(iv + run(0, 16)) });
    // Odd ciphertext size → outer padding 4: Length 4 + 16 + 17 = 37 → 41 → 48.
    const odd = h(`0281 0025 00000000 ${iv} ${run(0, 17)} ${pad(7)}`);
    expect(decodeParamBlock(odd).ok).toBe(true);
    const badPad = odd.slice();
    badPad[45] = 1;
    expectError(decodeParamBlock(badPad), 'BAD_PADDING', 'ENCRYPTED', 45);
  });
});

type Bad = { name: string; hex: string; code: Parameters<typeof expectError>[1]; path: string; at?: number };

// Malformed single-parameter packets. `at` is the offset within the parameter (packet offset 40+).
const MALFORMED: Bad[] = [
  { name: 'R1_COUNTER short (8)', hex: `0081 0008 00000000 00000001 ${pad(4)}`, code: 'BAD_PARAM_LENGTH', path: 'R1_COUNTER.length', at: 2 },
  { name: 'R1_COUNTER long (16)', hex: `0081 0010 ${pad(16)} ${pad(4)}`, code: 'BAD_PARAM_LENGTH', path: 'R1_COUNTER.length', at: 2 },
  { name: 'PUZZLE with the HIPv1 table length 12', hex: `0101 000c 0a 25 1234 ${run(0, 8)} ${pad(0)}`, code: 'BAD_PARAM_LENGTH', path: 'PUZZLE.length', at: 2 },
  { name: 'PUZZLE with #I of 21 bytes', hex: `0101 0019 0a 25 1234 ${run(0, 21)} ${pad(3)}`, code: 'BAD_PARAM_LENGTH', path: 'PUZZLE.length' },
  { name: 'PUZZLE with #I of 64 bytes', hex: `0101 0044 0a 25 1234 ${run(0, 64)}`, code: 'BAD_PARAM_LENGTH', path: 'PUZZLE.length' },
  { name: 'SOLUTION with the HIPv1 table length 20', hex: `0141 0014 0a 00 1234 ${run(0, 16)} ${pad(0)}`, code: 'BAD_PARAM_LENGTH', path: 'SOLUTION.length' },
  { name: 'SOLUTION with #I 20 and #J 32', hex: `0141 0038 0a 00 1234 ${run(0, 52)} ${pad(4)}`, code: 'BAD_PARAM_LENGTH', path: 'SOLUTION.length' },
  { name: 'SEQ long (8)', hex: `0181 0008 00000001 00000002 ${pad(4)}`, code: 'BAD_PARAM_LENGTH', path: 'SEQ.length', at: 2 },
  { name: 'SEQ short (2)', hex: `0181 0002 0001 ${pad(2)}`, code: 'BAD_PARAM_LENGTH', path: 'SEQ.length' },
  { name: 'ACK empty', hex: `01c1 0000 ${pad(4)}`, code: 'BAD_PARAM_LENGTH', path: 'ACK.length' },
  { name: 'ACK not a multiple of 4', hex: `01c1 0006 00000001 0002 ${pad(6)}`, code: 'BAD_PARAM_LENGTH', path: 'ACK.length' },
  { name: 'DIFFIE_HELLMAN shorter than its header', hex: `0201 0002 0300 ${pad(2)}`, code: 'BAD_PARAM_LENGTH', path: 'DIFFIE_HELLMAN.length' },
  { name: 'DIFFIE_HELLMAN Public Value Length too large', hex: `0201 0008 03 0006 0102030405 ${pad(4)}`, code: 'BAD_INNER_LENGTH', path: 'DIFFIE_HELLMAN.publicValueLength', at: 5 },
  { name: 'DIFFIE_HELLMAN Public Value Length too small', hex: `0201 0008 03 0004 0102030405 ${pad(4)}`, code: 'BAD_INNER_LENGTH', path: 'DIFFIE_HELLMAN.publicValueLength', at: 5 },
  { name: 'HIP_CIPHER odd length', hex: `0243 0003 000200 ${pad(1)}`, code: 'BAD_PARAM_LENGTH', path: 'HIP_CIPHER.length' },
  { name: 'ENCRYPTED without its Reserved field', hex: `0281 0002 0000 ${pad(2)}`, code: 'BAD_PARAM_LENGTH', path: 'ENCRYPTED.length' },
  { name: 'HOST_ID shorter than its header', hex: `02c1 0004 0000 0000`, code: 'BAD_PARAM_LENGTH', path: 'HOST_ID.length' },
  { name: 'HOST_ID HI Length too large', hex: `02c1 0009 0004 0000 0005 010203 ${pad(3)}`, code: 'BAD_INNER_LENGTH', path: 'HOST_ID.hiLength', at: 4 },
  { name: 'HOST_ID DI Length too large', hex: `02c1 000a 0003 1002 0005 010203 61 ${pad(2)}`, code: 'BAD_INNER_LENGTH', path: 'HOST_ID.hiLength', at: 4 },
  { name: 'HOST_ID DI-Type 0 with a DI', hex: `02c1 000a 0003 0001 0005 010203 61 ${pad(2)}`, code: 'BAD_FIELD', path: 'HOST_ID.diLength', at: 6 },
  { name: 'HOST_ID non-zero padding', hex: `02c1 0009 0003 0000 0005 010203 0000 01`, code: 'BAD_PADDING', path: 'HOST_ID', at: 15 },
  { name: 'CERT shorter than its header', hex: `0300 0003 010101 ${pad(1)}`, code: 'BAD_PARAM_LENGTH', path: 'CERT.length' },
  { name: 'NOTIFICATION without a message type', hex: `0340 0002 0000 ${pad(2)}`, code: 'BAD_PARAM_LENGTH', path: 'NOTIFICATION.length' },
  { name: 'NOTIFICATION non-zero padding', hex: `0340 0005 0000 0001 ff | 00000000 000002`, code: 'BAD_PADDING', path: 'NOTIFICATION', at: 15 },
  { name: 'TRANSPORT_FORMAT_LIST odd length', hex: `0801 0001 0f ${pad(3)}`, code: 'BAD_PARAM_LENGTH', path: 'TRANSPORT_FORMAT_LIST.length' },
  { name: 'HIP_SIGNATURE without an algorithm', hex: `f101 0001 07 ${pad(3)}`, code: 'BAD_PARAM_LENGTH', path: 'HIP_SIGNATURE.length' },
  { name: 'HIP_MAC non-zero padding', hex: `f041 0003 aabbcc 01`, code: 'BAD_PADDING', path: 'HIP_MAC', at: 7 },
  { name: 'ECHO_REQUEST_SIGNED Length overruns the packet', hex: `0381 0010 01020304`, code: 'BAD_PARAM_LENGTH', path: 'ECHO_REQUEST_SIGNED.length', at: 2 },
  { name: 'UNKNOWN Length overruns the packet', hex: `1000 0100 00000000`, code: 'BAD_PARAM_LENGTH', path: 'UNKNOWN(4096).length', at: 2 },
  { name: 'UNKNOWN non-zero padding', hex: `1001 0001 aa 000100`, code: 'BAD_PADDING', path: 'UNKNOWN(4097)', at: 6 },
];

describe('RFC 7401 parameters: malformed', () => {
  for (const m of MALFORMED) {
    it(`${m.name} → ${m.code}`, () => {
      const tlv = h(m.hex);
      expect(tlv.length % 8).toBe(0);
      expectError(decodePacket(pkt(16, tlv)), m.code, m.path, m.at === undefined ? undefined : P0 + m.at);
      // The same bytes as a bare block give the same code and path (offsets relative to the block).
      expectError(decodeParamBlock(tlv), m.code, m.path, m.at);
    });
  }

  it('lenientPadding accepts non-zero padding (RFC 7401 §5.2.1 "SHOULD NOT be checked")', () => {
    const res = decodePacket(pkt(16, h(`f041 0003 aabbcc 01`)), { lenientPadding: true });
    expect(res.ok && param(res.packet, 'HIP_MAC')?.hmac).toEqual(h('aabbcc'));
  });
});
