// RFC 9028 §5.4, §5.5, §5.7, §5.14, §5.15: the ICE-HIP-UDP parameters, byte by byte from the
// figures, plus the structural checks of their Length fields and the §5.10 Notify types.
import { describe, expect, it } from 'vitest';
import {
  CANDIDATE_KIND,
  decodePacket,
  decodeParamBlock,
  encodeParamBlock,
  NAT_MODE,
  NOTIFY_TYPE,
  PARAM_TYPE,
  param,
  TRANSPORT_PROTOCOL_UDP,
} from '../../src/wire/index.js';
import { RFC9028_VECTORS } from './param-vectors.js';
import { checkVector } from './vector-check.js';
import { expectError, h, pad, pkt } from './helpers.js';

const A4 = '0000 0000 0000 0000 0000 ffff c000 0201';

describe('RFC 9028 parameter vectors', () => {
  for (const v of RFC9028_VECTORS) it(`${v.name} (${v.rfc})`, () => checkVector(v));
});

describe('RFC 9028 §5.4 NAT_TRAVERSAL_MODE', () => {
  it('type 608, not critical (§4.3: "the parameter is non-critical"); Mode IDs of Table 1', () => {
    expect(PARAM_TYPE.NAT_TRAVERSAL_MODE).toBe(608);
    expect(608 & 1).toBe(0);
    expect(NAT_MODE).toEqual({ RESERVED: 0, UDP_ENCAPSULATION: 1, ICE_STUN_UDP: 2, ICE_HIP_UDP: 3 });
  });

  it('"a recipient MUST be prepared to handle ... more than six Mode IDs": eight decode, kept whole for the engine to cut', () => {
    const b = h(`0260 0012 | 0000 | 0003 0001 0002 0003 0001 0002 0003 0001 | ${pad(2)}`);
    const res = decodeParamBlock(b);
    if (!res.ok) throw new Error(res.error.message);
    const p = res.params[0];
    expect(p?.kind === 'NAT_TRAVERSAL_MODE' && p.modes).toEqual([3, 1, 2, 3, 1, 2, 3, 1]);
    expect(encodeParamBlock(res.params)).toEqual(b);
  });

  it('Length must be 2 (Reserved) + a multiple of 2: 0, 1 and 3 are BAD_PARAM_LENGTH', () => {
    expectError(decodeParamBlock(h(`0260 0000 | ${pad(4)}`)), 'BAD_PARAM_LENGTH', 'NAT_TRAVERSAL_MODE.length', 2);
    expectError(decodeParamBlock(h(`0260 0001 | 00 ${pad(3)}`)), 'BAD_PARAM_LENGTH', 'NAT_TRAVERSAL_MODE.length', 2);
    expectError(decodeParamBlock(h(`0260 0003 | 0000 00 | ${pad(1)}`)), 'BAD_PARAM_LENGTH', 'NAT_TRAVERSAL_MODE.length', 2);
  });

  it('an empty Mode ID list (Reserved only) is structurally valid', () => {
    const res = decodeParamBlock(h(`0260 0002 | 0000 | ${pad(2)}`));
    expect(res.ok && res.params[0]).toMatchObject({ kind: 'NAT_TRAVERSAL_MODE', modes: [] });
  });

  it('the encoder names a bad Mode ID', () => {
    expect(() => encodeParamBlock([{ kind: 'NAT_TRAVERSAL_MODE', modes: [3, 0x10000] }])).toThrow(/params\[0\]\.modes\[1\]/);
  });
});

describe('RFC 9028 §5.5 TRANSACTION_PACING, §5.14 CANDIDATE_PRIORITY, §5.15 NOMINATE: "Length: 4"', () => {
  const cases = [
    ['TRANSACTION_PACING', '0262'],
    ['CANDIDATE_PRIORITY', '125c'],
    ['NOMINATE', '1266'],
  ] as const;
  for (const [kind, t] of cases) {
    it(`${kind}: Length other than 4 is BAD_PARAM_LENGTH`, () => {
      expectError(decodeParamBlock(h(`${t} 0008 | 0000 0032 0000 0000 | ${pad(4)}`)), 'BAD_PARAM_LENGTH', `${kind}.length`, 2);
      expectError(decodeParamBlock(h(`${t} 0002 | 0032 | ${pad(2)}`)), 'BAD_PARAM_LENGTH', `${kind}.length`, 2);
    });
  }

  it('type numbers 610, 4700, 4710 (§5.5, §8), all non-critical', () => {
    expect([PARAM_TYPE.TRANSACTION_PACING, PARAM_TYPE.CANDIDATE_PRIORITY, PARAM_TYPE.NOMINATE]).toEqual([610, 4700, 4710]);
    expect([610, 4700, 4710].every((t) => (t & 1) === 0)).toBe(true);
  });

  it('the encoder names an out-of-range Min Ta and Priority', () => {
    expect(() => encodeParamBlock([{ kind: 'TRANSACTION_PACING', minTa: -1 }])).toThrow(/params\[0\]\.minTa/);
    expect(() => encodeParamBlock([{ kind: 'CANDIDATE_PRIORITY', priority: 2 ** 32 }])).toThrow(/params\[0\]\.priority/);
  });

  it('a connectivity check UPDATE: SEQ, CANDIDATE_PRIORITY, NOMINATE in type order (§5.14, §5.15)', () => {
    const res = decodePacket(pkt(16, h(`0181 0004 | 0000 0007 | 125c 0004 | 6eff fffe | 1266 0004 | 0000 0000 | ${pad(0)}`)));
    if (!res.ok) throw new Error(res.error.message);
    expect(param(res.packet, 'CANDIDATE_PRIORITY')?.priority).toBe(0x6efffffe);
    expect(param(res.packet, 'NOMINATE')).toBeDefined();
  });
});

describe('RFC 9028 §5.7 type 2 locator fields (Table 2)', () => {
  it('Kind values 0 host, 1 server reflexive, 2 peer reflexive, 3 relayed; Transport Protocol 17', () => {
    expect(CANDIDATE_KIND).toEqual({ HOST: 0, SERVER_REFLEXIVE: 1, PEER_REFLEXIVE: 2, RELAYED: 3 });
    expect(TRANSPORT_PROTOCOL_UDP).toBe(17);
  });

  it('a relayed candidate with SPI: every field at its Figure 11 offset', () => {
    const enc = encodeParamBlock([
      {
        kind: 'LOCATOR_SET',
        locators: [
          { trafficType: 0, locatorType: 2, preferred: false, lifetime: 3600, transportPort: 0xc350, transportProtocol: 17, candidateKind: 3, priority: 0x00ffffff, spi: 0xdeadbeef, address: h(A4) },
        ],
      },
    ]);
    expect(enc).toEqual(h(`00c1 0024 | 00 02 07 00 | 0000 0e10 | c350 | 11 | 03 | 00ff ffff | dead beef | ${A4}`));
  });
});

describe('RFC 9028 §5.3, §5.10 Notify Message Types', () => {
  it('NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER 60, CONNECTIVITY_CHECKS_FAILED 61, MESSAGE_NOT_RELAYED 62, 63, 64, NAT_KEEPALIVE 16385', () => {
    expect(NOTIFY_TYPE.NO_VALID_NAT_TRAVERSAL_MODE_PARAMETER).toBe(60);
    expect(NOTIFY_TYPE.CONNECTIVITY_CHECKS_FAILED).toBe(61);
    expect(NOTIFY_TYPE.MESSAGE_NOT_RELAYED).toBe(62);
    expect(NOTIFY_TYPE.SERVER_REFLEXIVE_CANDIDATE_ALLOCATION_FAILED).toBe(63);
    expect(NOTIFY_TYPE.RVS_HMAC_PROHIBITED_WITH_RELAY).toBe(64);
    expect(NOTIFY_TYPE.NAT_KEEPALIVE).toBe(16385);
  });
});
