// RFC 9028 §5.6 and §5.8: REG_FROM, RELAY_FROM, RELAY_TO (one format, Figure 10) and RELAY_HMAC.
import { describe, expect, it } from 'vitest';
import { decodePacket, decodeParamBlock, encodeParamBlock, param } from '../../src/wire/index.js';
import { RFC9028_RELAY_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad, pkt } from './helpers.js';

const A4 = '0000 0000 0000 0000 0000 ffff c000 0201';

describe('RFC 9028 §5.6, §5.8 relay parameters', () => {
  for (const v of RFC9028_RELAY_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));

  it('§5.6 "Length: 20": any other length is malformed', () => {
    expectError(decodeParamBlock(h(`03b6 0010 2904 1100 ${A4.slice(0, 29)} ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'REG_FROM.length', 2);
    expectError(decodeParamBlock(h(`f9fe 0018 2904 1100 ${A4} 00000000 ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'RELAY_FROM.length', 2);
  });

  it('§5.6 "Of the three, only REG_FROM is covered by the signature": only REG_FROM has a type below 61440', () => {
    const res = decodeParamBlock(
      h(`03b6 0014 2904 1100 ${A4} f9fe 0014 2904 1100 ${A4} fa02 0014 2904 1100 ${A4}`),
    );
    if (!res.ok) throw new Error(res.error.message);
    expect(res.params.map((p) => [p.kind, p.type < 61440])).toEqual([
      ['REG_FROM', true],
      ['RELAY_FROM', false],
      ['RELAY_TO', false],
    ]);
    // None of them is critical: a host that does not know them ignores them.
    expect(res.params.every((p) => !p.critical)).toBe(true);
  });

  it('a relayed packet with RELAY_FROM then RELAY_HMAC decodes in type order', () => {
    const res = decodePacket(pkt(1, h(`f9fe 0014 2904 1100 ${A4} fff0 0004 01020304`)));
    if (!res.ok) throw new Error(res.error.message);
    expect(param(res.packet, 'RELAY_FROM')?.port).toBe(10500);
    expect(param(res.packet, 'RELAY_HMAC')?.hmac).toEqual(h('01020304'));
  });

  it('the encoder checks port, protocol and address, naming the field', () => {
    expect(() => encodeParamBlock([{ kind: 'RELAY_TO', port: 70000, protocol: 17, address: h(A4) }])).toThrow('"params[0].port"');
    expect(() => encodeParamBlock([{ kind: 'REG_FROM', port: 1, protocol: 256, address: h(A4) }])).toThrow('"params[0].protocol"');
    expect(() => encodeParamBlock([{ kind: 'RELAY_FROM', port: 1, protocol: 17, address: new Uint8Array(4) }])).toThrow('"params[0].address"');
  });
});
