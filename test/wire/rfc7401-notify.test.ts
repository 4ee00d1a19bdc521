// Notify Message Types (RFC 7401 §5.2.19, RFC 7402 §5.1.3, RFC 8046, RFC 9028) and the structural
// decoding of Notification Data.
import { describe, expect, it } from 'vitest';
import { NOTIFY_TYPE, decodeNotifyData, encodeUnsupportedCriticalData, isNotifyError, notifyTypeName, decodePacket, param } from '../../src/wire/index.js';
import { h, pad, pkt } from './helpers.js';

describe('Notify Message Types', () => {
  it('carries the registered numbers', () => {
    expect(NOTIFY_TYPE).toMatchObject({
      UNSUPPORTED_CRITICAL_PARAMETER_TYPE: 1,
      INVALID_SYNTAX: 7,
      NO_DH_PROPOSAL_CHOSEN: 14,
      INVALID_DH_CHOSEN: 15,
      NO_HIP_PROPOSAL_CHOSEN: 16,
      INVALID_HIP_CIPHER_CHOSEN: 17,
      NO_ESP_PROPOSAL_CHOSEN: 18,
      INVALID_ESP_TRANSFORM_CHOSEN: 19,
      UNSUPPORTED_HIT_SUITE: 20,
      AUTHENTICATION_FAILED: 24,
      CHECKSUM_FAILED: 26,
      HIP_MAC_FAILED: 28,
      ENCRYPTION_FAILED: 32,
      INVALID_HIT: 40,
      BLOCKED_BY_POLICY: 42,
      RESPONDER_BUSY_PLEASE_RETRY: 44,
      LOCATOR_TYPE_UNSUPPORTED: 46,
      I2_ACKNOWLEDGEMENT: 16384,
      NAT_KEEPALIVE: 16385,
    });
    expect(isNotifyError(44)).toBe(true);
    expect(isNotifyError(16384)).toBe(false);
    expect(notifyTypeName(46)).toBe('LOCATOR_TYPE_UNSUPPORTED');
    expect(notifyTypeName(2)).toBeUndefined();
  });
});

describe('decodeNotifyData', () => {
  it('UNSUPPORTED_CRITICAL_PARAMETER_TYPE carries the 2-byte type', () => {
    expect(decodeNotifyData(1, h('8001'))).toEqual({ format: 'PARAM_TYPE', paramType: 0x8001, critical: true });
    expect(decodeNotifyData(1, h('800100'))).toMatchObject({ format: 'MALFORMED', expected: 'PARAM_TYPE' });
    expect(encodeUnsupportedCriticalData(0x8001)).toEqual(h('8001'));
    expect(() => encodeUnsupportedCriticalData(70000)).toThrow(RangeError);
  });

  it('LOCATOR_TYPE_UNSUPPORTED carries LOCATOR_SET-encoded locators', () => {
    const d = decodeNotifyData(46, h('00 07 01 01 00000005 deadbeef'));
    expect(d).toEqual({ format: 'LOCATORS', locators: [{ trafficType: 0, locatorType: 7, reserved: 0, preferred: true, lifetime: 5, raw: h('deadbeef'), unknown: true }] });
    expect(decodeNotifyData(46, h('00 07 02 01 00000005 deadbeef')).format).toBe('MALFORMED');
    expect(decodeNotifyData(46, new Uint8Array(0)).format).toBe('MALFORMED');
  });

  it('RFC 9028 relay errors carry the rejected HIP header', () => {
    const hdr = pkt(3).subarray(0, 40);
    const d = decodeNotifyData(62, hdr);
    expect(d.format === 'HIP_HEADER' && d.header).toMatchObject({ packetType: 3, version: 2, headerLength: 4 });
    expect(decodeNotifyData(62, h('0102')).format).toBe('MALFORMED');
    expect(decodeNotifyData(62, new Uint8Array(0))).toEqual({ format: 'EMPTY' });
  });

  it('NAT_KEEPALIVE is empty; other types are opaque', () => {
    expect(decodeNotifyData(16385, new Uint8Array(0))).toEqual({ format: 'EMPTY' });
    expect(decodeNotifyData(16385, h('00')).format).toBe('MALFORMED');
    expect(decodeNotifyData(7, h('0102'))).toEqual({ format: 'OPAQUE', data: h('0102') });
    expect(decodeNotifyData(9999, new Uint8Array(0))).toEqual({ format: 'EMPTY' });
  });

  it('from a NOTIFY packet', () => {
    const res = decodePacket(pkt(17, h(`0340 0006 0000 0001 0201 ${pad(6)}`)));
    if (!res.ok) throw new Error(res.error.message);
    const n = param(res.packet, 'NOTIFICATION')!;
    expect(decodeNotifyData(n.messageType, n.data)).toEqual({ format: 'PARAM_TYPE', paramType: 0x0201, critical: true });
  });
});
