// RFC 7402 §5.1: ESP_INFO and ESP_TRANSFORM.
import { describe, expect, it } from 'vitest';
import { decodePacket, decodeParamBlock, encodeParamBlock, param } from '../../src/wire/index.js';
import { RFC7402_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad, pkt, P0 } from './helpers.js';

describe('RFC 7402 parameters: hand-written vectors', () => {
  for (const v of RFC7402_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));
});

describe('ESP_INFO / ESP_TRANSFORM malformed', () => {
  it('ESP_INFO short (11) and long (13) → BAD_PARAM_LENGTH on its Length field', () => {
    expectError(decodePacket(pkt(16, h(`0041 000b 0000 0003 00000000 123456 ${pad(1)}`))), 'BAD_PARAM_LENGTH', 'ESP_INFO.length', P0 + 2);
    expectError(decodePacket(pkt(16, h(`0041 000d 0000 0003 00000000 12345678 01 ${pad(7)}`))), 'BAD_PARAM_LENGTH', 'ESP_INFO.length', P0 + 2);
  });

  it('ESP_TRANSFORM: without Reserved, odd length, non-zero padding', () => {
    expectError(decodeParamBlock(h(`0fff 0000 ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'ESP_TRANSFORM.length', 2);
    expectError(decodeParamBlock(h(`0fff 0005 0000 0008 00 ${pad(7)}`)), 'BAD_PARAM_LENGTH', 'ESP_TRANSFORM.length', 2);
    expectError(decodeParamBlock(h(`0fff 0006 0000 0008 0009 0000 0000 0100`)), 'BAD_PADDING', 'ESP_TRANSFORM', 14);
  });

  it('ESP_INFO reserved field round-trips; encoder defaults it to 0', () => {
    const b = h(`0041 000c 8001 0000 00000001 00000002`);
    const res = decodeParamBlock(b);
    expect(res.ok && res.params[0]).toMatchObject({ kind: 'ESP_INFO', reserved: 0x8001 });
    expect(encodeParamBlock(res.ok ? res.params : [])).toEqual(b);
    expect(encodeParamBlock([{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 1, newSpi: 2 }])).toEqual(h(`0041 000c 0000 0000 00000001 00000002`));
  });

  it('ESP_TRANSFORM with more than six suites is kept whole (policy is the engine\'s)', () => {
    const b = h(`0fff 0010 0000 0001 0007 0008 0009 000c 000d 000e | ${pad(4)}`);
    const res = decodePacket(pkt(16, b));
    expect(res.ok && param(res.packet, 'ESP_TRANSFORM')?.suites).toEqual([1, 7, 8, 9, 12, 13, 14]);
  });
});
