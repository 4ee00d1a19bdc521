// RFC 8046 §4: LOCATOR_SET — the byte/word unit trap, reserved bits, unknown locator types.
import { describe, expect, it } from 'vitest';
import { decodePacket, decodeParamBlock, encodePacket, encodeParamBlock, param, type LocatorEntry } from '../../src/wire/index.js';
import { RFC8046_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad, pkt, P0, HIT_I, HIT_R } from './helpers.js';

const A6 = '2001 0db8 0000 0000 0000 0000 0000 0001';
const A6b = '2001 0db8 0000 0000 0000 0000 0000 0002';

describe('RFC 8046 LOCATOR_SET: hand-written vectors', () => {
  for (const v of RFC8046_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));
});

describe('LOCATOR_SET units: Locator Length in 4-octet words, Length in bytes', () => {
  it('two type-0 locators: Locator Length 4 each, parameter Length 48', () => {
    const b = h(`00c1 0030 | 00 00 04 01 00000e10 ${A6} | 02 00 04 00 0000003c ${A6b} | ${pad(4)}`);
    const res = decodeParamBlock(b);
    if (!res.ok) throw new Error(res.error.message);
    const ls = res.params[0];
    expect(ls?.kind === 'LOCATOR_SET' && ls.locators.map((l) => [l.locatorType, l.trafficType, l.preferred, l.lifetime])).toEqual([
      [0, 0, true, 3600],
      [0, 2, false, 60],
    ]);
    const enc = encodeParamBlock([
      {
        kind: 'LOCATOR_SET',
        locators: [
          { trafficType: 0, locatorType: 0, preferred: true, lifetime: 3600, address: h(A6) },
          { trafficType: 2, locatorType: 0, preferred: false, lifetime: 60, address: h(A6b) },
        ],
      },
    ]);
    expect(enc).toEqual(b);
    expect(enc[6]).toBe(4); // words, not 16
    expect((enc[2]! << 8) | enc[3]!).toBe(48); // bytes
  });

  it('Locator Length written in bytes (16) instead of words is BAD_INNER_LENGTH', () => {
    const b = h(`00c1 0018 | 00 00 10 01 00000e10 ${A6} | ${pad(4)}`);
    expectError(decodeParamBlock(b), 'BAD_INNER_LENGTH', 'LOCATOR_SET[0].locatorLength', 6);
  });

  it('wrong Locator Length for the type (type 0 with 5, type 1 with 4) is BAD_INNER_LENGTH on that entry', () => {
    expectError(decodeParamBlock(h(`00c1 001c | 00 00 05 00 00000001 ${A6} 00000000 | ${pad(4)}`)), 'BAD_INNER_LENGTH', 'LOCATOR_SET[0].locatorLength', 6);
    const two = h(`00c1 0030 | 00 00 04 00 00000001 ${A6} | 00 01 04 00 00000001 ${A6b} | ${pad(4)}`);
    expectError(decodePacket(pkt(16, two)), 'BAD_INNER_LENGTH', 'LOCATOR_SET[1].locatorLength', P0 + 4 + 24 + 2);
  });

  it('an entry cut short by the parameter Length is BAD_INNER_LENGTH', () => {
    expectError(decodeParamBlock(h(`00c1 0014 | 00 00 04 00 00000001 ${A6.slice(0, 29)} | ${pad(4)}`)), 'BAD_INNER_LENGTH', 'LOCATOR_SET[0].locatorLength', 6);
    expectError(decodeParamBlock(h(`00c1 0004 | 00 00 04 00`)), 'BAD_INNER_LENGTH', 'LOCATOR_SET[0]', 4);
  });

  it('non-zero padding after the locators is BAD_PADDING', () => {
    expectError(decodeParamBlock(h(`00c1 0018 | 00 00 04 01 00000e10 ${A6} | 0000 0001`)), 'BAD_PADDING', 'LOCATOR_SET', 31);
  });
});

describe('LOCATOR_SET reserved bits and unknown locator types', () => {
  it('the 7 reserved bits between Locator Length and P are kept and re-encoded', () => {
    const b = h(`00c1 0018 | 01 00 04 ab 00000001 ${A6} | ${pad(4)}`);
    const res = decodeParamBlock(b);
    if (!res.ok) throw new Error(res.error.message);
    const e = res.params[0]?.kind === 'LOCATOR_SET' ? res.params[0].locators[0] : undefined;
    expect(e).toMatchObject({ reserved: 0x55, preferred: true, trafficType: 1 });
    expect(encodeParamBlock(res.params)).toEqual(b);
  });

  it('an unknown locator type is kept raw with its length, and round-trips', () => {
    const b = h(`00c1 0014 | 00 07 03 00 00000005 | 0102030405060708090a0b0c | ${pad(0)}`);
    const res = decodeParamBlock(b);
    if (!res.ok) throw new Error(res.error.message);
    const ls = res.params[0];
    const e = ls?.kind === 'LOCATOR_SET' ? ls.locators[0] : undefined;
    expect(e).toEqual({ trafficType: 0, locatorType: 7, reserved: 0, preferred: false, lifetime: 5, raw: h('0102030405060708090a0b0c'), unknown: true });
    expect(encodeParamBlock(res.params)).toEqual(b);
  });

  it('zero lifetime decodes (a semantic error for the engine, RFC 8046 §4)', () => {
    const res = decodeParamBlock(h(`00c1 0018 | 00 00 04 00 00000000 ${A6} | ${pad(4)}`));
    expect(res.ok).toBe(true);
  });

  it('a typical UPDATE: ESP_INFO, LOCATOR_SET, SEQ round-trip through encodePacket', () => {
    const locators: LocatorEntry[] = [
      { trafficType: 0, locatorType: 1, reserved: 0, preferred: true, lifetime: 600, spi: 0x1001, address: h(A6) },
      { trafficType: 0, locatorType: 0, reserved: 0, preferred: false, lifetime: 600, address: h(A6b) },
    ];
    const bytes = encodePacket({
      kind: 'UPDATE',
      senderHit: HIT_I,
      receiverHit: HIT_R,
      params: [
        { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 0x1001, newSpi: 0x1001 },
        { kind: 'LOCATOR_SET', locators },
        { kind: 'SEQ', updateId: 3 },
      ],
    });
    const res = decodePacket(bytes);
    expect(res.ok && param(res.packet, 'LOCATOR_SET')?.locators).toEqual(locators);
  });

  it('encoder names bad locator fields', () => {
    const bad = (e: unknown) => () => encodeParamBlock([{ kind: 'LOCATOR_SET', locators: [e as LocatorEntry] }]);
    expect(bad({ trafficType: 0, locatorType: 0, preferred: true, lifetime: 1, address: new Uint8Array(4) })).toThrow(
      '"params[0].locators[0].address" expected Uint8Array of length 16, got length=4',
    );
    expect(bad({ trafficType: 0, locatorType: 9, preferred: true, lifetime: 1, address: new Uint8Array(16) })).toThrow(/locators\[0\]\.locatorType/);
    expect(bad({ trafficType: 0, locatorType: 1, preferred: true, lifetime: 1, address: new Uint8Array(16) })).toThrow(/locators\[0\]\.spi/);
    expect(bad({ trafficType: 0, locatorType: 9, preferred: true, lifetime: 1, raw: new Uint8Array(3), unknown: true })).toThrow(/locators\[0\]\.raw/);
    expect(bad({ trafficType: 0, locatorType: 0, reserved: 0x80, preferred: true, lifetime: 1, address: new Uint8Array(16) })).toThrow(/locators\[0\]\.reserved/);
  });
});
