// Shared assertions for a hand-written parameter vector: decode as a block and inside a packet,
// compare with the expected object, and re-encode both the plain object and the decoded one.
import { expect } from 'vitest';
import { decodePacket, decodeParamBlock, encodePacket, encodeParamBlock, type HipParam } from '../../src/wire/index.js';
import type { ParamVector } from './param-vectors.js';
import { h, pkt } from './helpers.js';

function stripDerived(p: HipParam): Record<string, unknown> {
  const { type: _t, critical: _c, span: _s, ...rest } = p as HipParam & { span?: unknown };
  return p.kind === 'UNKNOWN' ? { ...rest, type: p.type } : rest;
}

export function checkVector(v: ParamVector): void {
  const tlv = h(v.hex);
  expect(tlv.length % 8, 'a TLV is a multiple of 8 bytes').toBe(0);

  // Decode as a bare block.
  const block = decodeParamBlock(tlv);
  if (!block.ok) throw new Error(`${v.name}: ${block.error.message}`);
  expect(block.params).toEqual([{ ...v.param, span: { offset: 0, length: tlv.length } }]);

  // Encode the expected object (as given, and with the derived fields left out).
  expect(encodeParamBlock([v.param])).toEqual(tlv);
  expect(encodeParamBlock([stripDerived(v.param) as never])).toEqual(tlv);
  expect(encodeParamBlock(block.params)).toEqual(tlv);

  // Inside an UPDATE: spans count from the packet start; byte-exact re-encoding.
  const packet = pkt(16, tlv);
  const res = decodePacket(packet);
  if (!res.ok) throw new Error(`${v.name}: ${res.error.message}`);
  expect(res.packet.params).toEqual([{ ...v.param, span: { offset: 40, length: tlv.length } }]);
  expect(encodePacket(res.packet)).toEqual(packet);
}
