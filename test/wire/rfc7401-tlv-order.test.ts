// RFC 7401 §5.2.1: strictly ascending parameter order, consecutive repeats only where allowed,
// TLV framing across several parameters, and the accessors.
import { describe, expect, it } from 'vitest';
import { decodePacket, encodePacket, param, params, hasParam, unknownCriticalParams, isRepeatable, PARAM_TYPE } from '../../src/wire/index.js';
import { expectError, h, pad, pkt, HIT_I, HIT_R } from './helpers.js';

const SEQ = '0181 0004 00000001';
const ESP_INFO = '0041 000c 0000 0000 00000000 00000001';
const ACK = '01c1 0004 00000001';
const NOTIF = (t: string) => `0340 0004 0000 ${t}`;
const ECHO_RU = (b: string) => `f8ad 0001 ${b} ${pad(3)}`;

describe('parameter order (RFC 7401 §5.2.1)', () => {
  it('ascending order decodes; spans walk the packet', () => {
    const res = decodePacket(pkt(16, h(`${ESP_INFO} ${SEQ} ${ACK}`)));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(res.packet.params.map((p) => [p.kind, p.span])).toEqual([
      ['ESP_INFO', { offset: 40, length: 16 }],
      ['SEQ', { offset: 56, length: 8 }],
      ['ACK', { offset: 64, length: 8 }],
    ]);
  });

  it('PARAMS_OUT_OF_ORDER names the parameter that breaks the order', () => {
    expectError(decodePacket(pkt(16, h(`${SEQ} ${ESP_INFO}`))), 'PARAMS_OUT_OF_ORDER', 'ESP_INFO', 48);
    // A repeated type that is not consecutive is out of order too.
    expectError(decodePacket(pkt(17, h(`${NOTIF('0001')} ${ECHO_RU('aa')} ${NOTIF('0002')}`))), 'PARAMS_OUT_OF_ORDER', 'NOTIFICATION', 56);
    // Unknown parameters obey the order as well.
    expectError(decodePacket(pkt(16, h(`1000 0000 ${pad(4)} 0fff 0002 0000 ${pad(2)}`))), 'PARAMS_OUT_OF_ORDER', 'ESP_TRANSFORM', 48);
  });

  it('DUPLICATE_PARAM for a type that may appear once', () => {
    expectError(decodePacket(pkt(16, h(`${SEQ} ${SEQ}`))), 'DUPLICATE_PARAM', 'SEQ', 48);
    expectError(decodePacket(pkt(16, h(`${ESP_INFO} ${ESP_INFO}`))), 'DUPLICATE_PARAM', 'ESP_INFO', 56);
  });

  it('consecutive repeats where an RFC allows them: NOTIFICATION, ECHO_*_UNSIGNED, CERT, FROM, REG_*, unknown', () => {
    const res = decodePacket(pkt(17, h(`${NOTIF('0001')} ${NOTIF('4000')} 8000 0000 ${pad(4)} 8000 0000 ${pad(4)} ${ECHO_RU('aa')} ${ECHO_RU('bb')}`)));
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    expect(params(res.packet, 'NOTIFICATION').map((n) => n.messageType)).toEqual([1, 0x4000]);
    expect(params(res.packet, 'ECHO_REQUEST_UNSIGNED').map((e) => e.opaque)).toEqual([h('aa'), h('bb')]);
    expect(params(res.packet, 'UNKNOWN')).toHaveLength(2);
    for (const k of ['NOTIFICATION', 'CERT', 'ECHO_REQUEST_UNSIGNED', 'ECHO_RESPONSE_UNSIGNED', 'REG_REQUEST', 'REG_RESPONSE', 'REG_FAILED', 'FROM'] as const) {
      expect(isRepeatable(PARAM_TYPE[k]), k).toBe(true);
    }
    for (const k of ['ESP_INFO', 'LOCATOR_SET', 'SEQ', 'ACK', 'PUZZLE', 'HOST_ID', 'HIP_MAC', 'HIP_SIGNATURE', 'ECHO_REQUEST_SIGNED'] as const) {
      expect(isRepeatable(PARAM_TYPE[k]), k).toBe(false);
    }
    expect(encodePacket(res.packet)).toEqual(res.packet.raw);
  });

  it('the encoder refuses misordered and duplicate parameters instead of sorting them', () => {
    const base = { kind: 'UPDATE', senderHit: HIT_I, receiverHit: HIT_R } as const;
    expect(() => encodePacket({ ...base, params: [{ kind: 'SEQ', updateId: 1 }, { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 0, newSpi: 1 }] })).toThrow(
      /"params\[1\]\.type" type 65 \(ESP_INFO\) follows type 385 \(SEQ\)/,
    );
    expect(() => encodePacket({ ...base, params: [{ kind: 'SEQ', updateId: 1 }, { kind: 'SEQ', updateId: 2 }] })).toThrow(RangeError);
    expect(() =>
      encodePacket({
        ...base,
        params: [
          { kind: 'NOTIFICATION', messageType: 1, data: h('0201') },
          { kind: 'NOTIFICATION', messageType: 7, data: new Uint8Array(0) },
        ],
      }),
    ).not.toThrow();
  });
});

describe('accessors', () => {
  it('param/params/hasParam/unknownCriticalParams', () => {
    const res = decodePacket(pkt(16, h(`${ESP_INFO} ${SEQ} 4001 0000 ${pad(4)} 4002 0000 ${pad(4)}`)));
    if (!res.ok) throw new Error(res.error.message);
    const esp = param(res.packet, 'ESP_INFO');
    expect(esp?.newSpi).toBe(1);
    expect(param(res.packet, 'ACK')).toBeUndefined();
    expect(hasParam(res.packet, 'SEQ')).toBe(true);
    expect(unknownCriticalParams(res.packet).map((p) => p.type)).toEqual([0x4001]);
  });
});
