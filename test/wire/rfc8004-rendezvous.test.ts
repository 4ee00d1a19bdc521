// RFC 8004 §4.2: FROM, RVS_HMAC, VIA_RVS (after the signature; not critical).
import { describe, expect, it } from 'vitest';
import { decodePacket, decodeParamBlock, encodeParamBlock, params } from '../../src/wire/index.js';
import { RFC8004_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad, pkt } from './helpers.js';

const A6 = '2001 0db8 0000 0000 0000 0000 0000 0001';
const A6b = '2001 0db8 0000 0000 0000 0000 0000 0002';

describe('RFC 8004 rendezvous parameters', () => {
  for (const v of RFC8004_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));

  it('malformed: FROM not 16 bytes, VIA_RVS empty or not a multiple of 16', () => {
    expectError(decodeParamBlock(h(`ffda 0004 c0000201`)), 'BAD_PARAM_LENGTH', 'FROM.length', 2);
    expectError(decodeParamBlock(h(`ffde 0000 ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'VIA_RVS.length', 2);
    expectError(decodeParamBlock(h(`ffde 0014 ${A6} 00000000`)), 'BAD_PARAM_LENGTH', 'VIA_RVS.length', 2);
  });

  it('an RVS appends FROM after existing ones: consecutive FROMs decode in order', () => {
    const res = decodePacket(pkt(1, h(`ffda 0010 ${A6} ${pad(4)} ffda 0010 ${A6b} ${pad(4)} ffdc 0004 01020304`)));
    if (!res.ok) throw new Error(res.error.message);
    expect(params(res.packet, 'FROM').map((f) => f.address)).toEqual([h(A6), h(A6b)]);
    expect(res.packet.params.every((p) => !p.critical)).toBe(true);
  });

  it('encoder checks VIA_RVS addresses', () => {
    expect(() => encodeParamBlock([{ kind: 'VIA_RVS', addresses: [h(A6), new Uint8Array(4)] }])).toThrow('"params[0].addresses[1]" expected Uint8Array of length 16');
    expect(() => encodeParamBlock([{ kind: 'VIA_RVS', addresses: [] }])).toThrow(RangeError);
  });
});
