// encodePacket is a local API: malformed packet objects throw TypeError/RangeError naming the field.
import { describe, expect, it } from 'vitest';
import { encodePacket, encodeParamBlock, encodingLength, decodePacket, type PacketInit, type ParamInit } from '../../src/wire/index.js';
import { HIT_I, HIT_R } from './helpers.js';

const base = { kind: 'UPDATE', senderHit: HIT_I, receiverHit: HIT_R } as const;
const enc = (params: unknown[]) => () => encodePacket({ ...base, params: params as ParamInit[] });

describe('encodePacket argument errors', () => {
  it('header fields', () => {
    expect(() => encodePacket({ ...base, kind: 'FOO' as never, params: [] })).toThrow(TypeError);
    expect(() => encodePacket({ ...base, code: 3, params: [] })).toThrow('"code" expected 16 for UPDATE, got 3');
    expect(() => encodePacket({ ...base, senderHit: new Uint8Array(15), params: [] })).toThrow('"senderHit" expected Uint8Array of length 16, got length=15');
    expect(() => encodePacket({ ...base, receiverHit: 'x' as never, params: [] })).toThrow(TypeError);
    expect(() => encodePacket({ ...base, reserved: 8, params: [] })).toThrow('"reserved" expected integer in 0..7, got 8');
    expect(() => encodePacket({ ...base, controls: 1.5, params: [] })).toThrow('"controls" expected integer');
    expect(() => encodePacket({ ...base, params: 'x' as never })).toThrow('"params" expected array');
    expect(() => encodePacket({ ...base, params: [] }, { src: new Uint8Array(16) })).toThrow('"src" and "dst" must be given together');
  });

  it('parameter fields are named params[i].field', () => {
    expect(enc([{ kind: 'SEQ', updateId: -1 }])).toThrow('"params[0].updateId" expected integer in 0..4294967295, got -1');
    expect(enc([{ kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 0, newSpi: 2 ** 32 }])).toThrow('"params[0].newSpi"');
    expect(enc([{ kind: 'SEQ', updateId: 1 }, { kind: 'ACK', peerUpdateIds: [] }])).toThrow('"params[1].peerUpdateIds" expected at least one Update ID');
    expect(enc([{ kind: 'ACK', peerUpdateIds: [1, 'x'] }])).toThrow('"params[0].peerUpdateIds[1]" expected integer');
    expect(enc([{ kind: 'PUZZLE', k: 1, lifetime: 1, opaque: 0, randomI: new Uint8Array(8) }])).toThrow('"params[0].randomI" expected Uint8Array of length 20, 32 or 48');
    expect(enc([{ kind: 'SOLUTION', k: 1, opaque: 0, randomI: new Uint8Array(32), solutionJ: new Uint8Array(20) }])).toThrow('"params[0].solutionJ" expected Uint8Array of length 32');
    expect(enc([{ kind: 'HOST_ID', diType: 0, algorithm: 7, hostIdentity: new Uint8Array(3), domainIdentifier: new Uint8Array(1) }])).toThrow('"params[0].domainIdentifier" must be empty');
    expect(enc([{ kind: 'R1_COUNTER', generation: 1 }])).toThrow('"params[0].generation" expected bigint');
    expect(enc([{ kind: 'R1_COUNTER', generation: 2n ** 64n }])).toThrow(RangeError);
    expect(enc([{ kind: 'NOPE' }])).toThrow('"params[0].kind" unknown parameter kind "NOPE"');
    expect(enc([null])).toThrow('"params[0]" expected a parameter object');
    expect(enc([{ kind: 'SEQ', type: 386, updateId: 1 }])).toThrow('"params[0].type" expected 385 for SEQ, got 386');
    expect(enc([{ kind: 'SEQ', critical: false, updateId: 1 }])).toThrow('"params[0].critical" expected true');
    expect(enc([{ kind: 'UNKNOWN', type: 70000, body: new Uint8Array(0) }])).toThrow('"params[0].type"');
    expect(enc([{ kind: 'UNKNOWN', type: 4096, critical: true, body: new Uint8Array(0) }])).toThrow('"params[0].critical" expected false');
    expect(enc([{ kind: 'DIFFIE_HELLMAN', groupId: 7, publicValue: [1, 2] }])).toThrow('"params[0].publicValue" expected Uint8Array, got array(2)');
  });

  it('packet size limits: 2048 bytes, 16-bit Length', () => {
    expect(enc([{ kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(2008 - 4) }])).not.toThrow();
    expect(enc([{ kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(2008 - 3) }])).toThrow(/exceeds 2048/);
    expect(() => encodeParamBlock([{ kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(70000) }])).toThrow(/16-bit Length/);
  });

  it('encodingLength agrees with encodePacket and validates the same way', () => {
    const p: PacketInit = { ...base, params: [{ kind: 'SEQ', updateId: 1 }, { kind: 'HIP_MAC', hmac: new Uint8Array(32) }] };
    expect(encodingLength(p)).toBe(encodePacket(p).length);
    expect(encodingLength(p)).toBe(40 + 8 + 40);
    expect(() => encodingLength({ ...base, params: [{ kind: 'SEQ', updateId: -1 }] })).toThrow(RangeError);
  });

  it('an UNKNOWN with a known type writes its body verbatim (crafting malformed packets for tests)', () => {
    const bytes = encodePacket({ ...base, params: [{ kind: 'UNKNOWN', type: 385, body: new Uint8Array(3) }] });
    const res = decodePacket(bytes);
    expect(!res.ok && res.error.code).toBe('BAD_PARAM_LENGTH');
  });
});
