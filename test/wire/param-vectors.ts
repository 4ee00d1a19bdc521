// Hand-written parameter vectors, byte by byte from the RFC bit diagrams. Each `hex` is one whole
// TLV (Type, Length, Contents, zero padding to 8 bytes); `param` is the decoded object without
// its span. Shared by the per-RFC tests and the property suite's mutation corpus.
import type { HipParam } from '../../src/wire/index.js';
import { h, pad, run } from './helpers.js';

export type ParamVector = { readonly name: string; readonly rfc: string; readonly hex: string; readonly param: HipParam };

const I20 = run(0x00, 20);
const J20 = run(0xa0, 20);
const I32 = run(0x20, 32);
const J32 = run(0xc0, 32);
const I48 = run(0x40, 48);
const J48 = run(0xd0, 48);
const A6 = '2001 0db8 0000 0000 0000 0000 0000 0001'; // 2001:db8::1
const A4 = '0000 0000 0000 0000 0000 ffff c000 0201'; // ::ffff:192.0.2.1
const ECDSA_HI = `0001 04 ${run(0x10, 64)}`; // curve P-256 (1), uncompressed point: 67 bytes
const FQDN = '07 6578616d706c65 03 636f6d 00'; // "example.com" in RFC 1035 §3.1 form: 13 bytes

export const RFC7401_VECTORS: readonly ParamVector[] = [
  {
    name: 'R1_COUNTER',
    rfc: 'RFC 7401 §5.2.3',
    hex: `0081 000c | 0000 0000 | 0000 0000 0000 002a`,
    param: { kind: 'R1_COUNTER', type: 129, critical: true, reserved: 0, generation: 42n },
  },
  {
    name: 'R1_COUNTER with reserved bits and a 64-bit counter',
    rfc: 'RFC 7401 §5.2.3 (Reserved echoed verbatim)',
    hex: `0081 000c | dead beef | 0123 4567 89ab cdef`,
    param: { kind: 'R1_COUNTER', type: 129, critical: true, reserved: 0xdeadbeef, generation: 0x0123456789abcdefn },
  },
  {
    name: 'PUZZLE, RHASH 160 (#I 20 bytes)',
    rfc: 'RFC 7401 §5.2.4',
    hex: `0101 0018 | 0a 25 1234 | ${I20} | ${pad(4)}`,
    param: { kind: 'PUZZLE', type: 257, critical: true, k: 10, lifetime: 0x25, opaque: 0x1234, randomI: h(I20) },
  },
  {
    name: 'PUZZLE, RHASH 256 (#I 32 bytes)',
    rfc: 'RFC 7401 §5.2.4',
    hex: `0101 0024 | 08 21 ffff | ${I32}`,
    param: { kind: 'PUZZLE', type: 257, critical: true, k: 8, lifetime: 0x21, opaque: 0xffff, randomI: h(I32) },
  },
  {
    name: 'PUZZLE, RHASH 384 (#I 48 bytes)',
    rfc: 'RFC 7401 §5.2.4',
    hex: `0101 0034 | 00 00 0000 | ${I48}`,
    param: { kind: 'PUZZLE', type: 257, critical: true, k: 0, lifetime: 0, opaque: 0, randomI: h(I48) },
  },
  {
    name: 'SOLUTION, RHASH 160',
    rfc: 'RFC 7401 §5.2.5',
    hex: `0141 002c | 0a 00 1234 | ${I20} | ${J20}`,
    param: { kind: 'SOLUTION', type: 321, critical: true, k: 10, reserved: 0, opaque: 0x1234, randomI: h(I20), solutionJ: h(J20) },
  },
  {
    name: 'SOLUTION, RHASH 256, reserved byte kept',
    rfc: 'RFC 7401 §5.2.5',
    hex: `0141 0044 | 08 5a abcd | ${I32} | ${J32}`,
    param: { kind: 'SOLUTION', type: 321, critical: true, k: 8, reserved: 0x5a, opaque: 0xabcd, randomI: h(I32), solutionJ: h(J32) },
  },
  {
    name: 'SOLUTION, RHASH 384',
    rfc: 'RFC 7401 §5.2.5',
    hex: `0141 0064 | 01 00 0001 | ${I48} | ${J48}`,
    param: { kind: 'SOLUTION', type: 321, critical: true, k: 1, reserved: 0, opaque: 1, randomI: h(I48), solutionJ: h(J48) },
  },
  {
    name: 'SEQ',
    rfc: 'RFC 7401 §5.2.16',
    hex: `0181 0004 | 0000 0007`,
    param: { kind: 'SEQ', type: 385, critical: true, updateId: 7 },
  },
  {
    name: 'ACK with two Update IDs',
    rfc: 'RFC 7401 §5.2.17',
    hex: `01c1 0008 | 0000 0001 | ffff fffe | ${pad(4)}`,
    param: { kind: 'ACK', type: 449, critical: true, peerUpdateIds: [1, 0xfffffffe] },
  },
  {
    name: 'DH_GROUP_LIST 3,4,8',
    rfc: 'RFC 7401 §5.2.6',
    hex: `01ff 0003 | 03 04 08 | ${pad(1)}`,
    param: { kind: 'DH_GROUP_LIST', type: 511, critical: true, groups: [3, 4, 8] },
  },
  {
    name: 'DIFFIE_HELLMAN',
    rfc: 'RFC 7401 §5.2.7',
    hex: `0201 0008 | 03 | 0005 | 0102030405 | ${pad(4)}`,
    param: { kind: 'DIFFIE_HELLMAN', type: 513, critical: true, groupId: 3, publicValue: h('0102030405') },
  },
  {
    name: 'DIFFIE_HELLMAN P-256 (65-byte point)',
    rfc: 'RFC 7401 §5.2.7',
    hex: `0201 0044 | 07 | 0041 | 04 ${run(0x80, 64)}`,
    param: { kind: 'DIFFIE_HELLMAN', type: 513, critical: true, groupId: 7, publicValue: h(`04 ${run(0x80, 64)}`) },
  },
  {
    name: 'HIP_CIPHER AES-256, AES-128, NULL',
    rfc: 'RFC 7401 §5.2.8',
    hex: `0243 0006 | 0004 0002 0001 | ${pad(6)}`,
    param: { kind: 'HIP_CIPHER', type: 579, critical: true, ciphers: [4, 2, 1] },
  },
  {
    name: 'ENCRYPTED (type 641, critical)',
    rfc: 'RFC 7401 §5.2.18',
    hex: `0281 0015 | 0000 0000 | ${run(0x30, 16)} 99 | ${pad(7)}`,
    param: { kind: 'ENCRYPTED', type: 641, critical: true, reserved: 0, ivAndData: h(`${run(0x30, 16)} 99`) },
  },
  {
    name: 'HOST_ID ECDSA P-256, no DI',
    rfc: 'RFC 7401 §5.2.9',
    hex: `02c1 0049 | 0043 | 0000 | 0007 | ${ECDSA_HI} | ${pad(3)}`,
    param: { kind: 'HOST_ID', type: 705, critical: true, diType: 0, algorithm: 7, hostIdentity: h(ECDSA_HI), domainIdentifier: new Uint8Array(0) },
  },
  {
    name: 'HOST_ID with an FQDN DI: padding after HI ‖ DI, not after HI',
    rfc: 'RFC 7401 §5.2.9',
    hex: `02c1 0056 | 0043 | 100d | 0007 | ${ECDSA_HI} | ${FQDN} | ${pad(6)}`,
    param: { kind: 'HOST_ID', type: 705, critical: true, diType: 1, algorithm: 7, hostIdentity: h(ECDSA_HI), domainIdentifier: h(FQDN) },
  },
  {
    name: 'HOST_ID with a small HI and an NAI DI',
    rfc: 'RFC 7401 §5.2.9',
    hex: `02c1 000e | 0003 | 2005 | 0005 | 010203 | 6140622e63 | ${pad(6)}`,
    param: { kind: 'HOST_ID', type: 705, critical: true, diType: 2, algorithm: 5, hostIdentity: h('010203'), domainIdentifier: h('6140622e63') },
  },
  {
    name: 'HIT_SUITE_LIST 0x10 0x20 0x30',
    rfc: 'RFC 7401 §5.2.10',
    hex: `02cb 0003 | 10 20 30 | ${pad(1)}`,
    param: { kind: 'HIT_SUITE_LIST', type: 715, critical: true, suites: [0x10, 0x20, 0x30] },
  },
  {
    name: 'CERT',
    rfc: 'RFC 7401 §5.2 / RFC 8002 §2',
    hex: `0300 0009 | 01 02 01 01 | 3082010a0b | ${pad(3)}`,
    param: { kind: 'CERT', type: 768, critical: false, certGroup: 1, certCount: 2, certId: 1, certType: 1, certificate: h('3082010a0b') },
  },
  {
    name: 'NOTIFICATION (type 832, non-critical) UNSUPPORTED_CRITICAL_PARAMETER_TYPE',
    rfc: 'RFC 7401 §5.2.19',
    hex: `0340 0006 | 0000 | 0001 | 0201 | ${pad(6)}`,
    param: { kind: 'NOTIFICATION', type: 832, critical: false, reserved: 0, messageType: 1, data: h('0201') },
  },
  {
    name: 'NOTIFICATION I2_ACKNOWLEDGEMENT, no data, reserved kept',
    rfc: 'RFC 7401 §5.2.19',
    hex: `0340 0004 | 8000 | 4000 | ${pad(0)}`,
    param: { kind: 'NOTIFICATION', type: 832, critical: false, reserved: 0x8000, messageType: 16384, data: new Uint8Array(0) },
  },
  {
    name: 'ECHO_REQUEST_SIGNED',
    rfc: 'RFC 7401 §5.2.20',
    hex: `0381 0005 | 0102030405 | ${pad(7)}`,
    param: { kind: 'ECHO_REQUEST_SIGNED', type: 897, critical: true, opaque: h('0102030405') },
  },
  {
    name: 'ECHO_RESPONSE_SIGNED',
    rfc: 'RFC 7401 §5.2.22',
    hex: `03c1 0004 | 0a0b0c0d`,
    param: { kind: 'ECHO_RESPONSE_SIGNED', type: 961, critical: true, opaque: h('0a0b0c0d') },
  },
  {
    name: 'ECHO_RESPONSE_UNSIGNED (63425)',
    rfc: 'RFC 7401 §5.2.23',
    hex: `f7c1 0001 | ff | ${pad(3)}`,
    param: { kind: 'ECHO_RESPONSE_UNSIGNED', type: 63425, critical: true, opaque: h('ff') },
  },
  {
    name: 'ECHO_REQUEST_UNSIGNED (63661), empty',
    rfc: 'RFC 7401 §5.2.21',
    hex: `f8ad 0000 | ${pad(4)}`,
    param: { kind: 'ECHO_REQUEST_UNSIGNED', type: 63661, critical: true, opaque: new Uint8Array(0) },
  },
  {
    name: 'TRANSPORT_FORMAT_LIST [ESP]',
    rfc: 'RFC 7401 §5.2.11',
    hex: `0801 0002 | 0fff | ${pad(2)}`,
    param: { kind: 'TRANSPORT_FORMAT_LIST', type: 2049, critical: true, formats: [4095] },
  },
  {
    name: 'HIP_MAC (HMAC-SHA-256)',
    rfc: 'RFC 7401 §5.2.12',
    hex: `f041 0020 | ${run(0x50, 32)} | ${pad(4)}`,
    param: { kind: 'HIP_MAC', type: 61505, critical: true, hmac: h(run(0x50, 32)) },
  },
  {
    name: 'HIP_MAC_2 (HMAC-SHA-384)',
    rfc: 'RFC 7401 §5.2.13',
    hex: `f081 0030 | ${run(0x60, 48)} | ${pad(4)}`,
    param: { kind: 'HIP_MAC_2', type: 61569, critical: true, hmac: h(run(0x60, 48)) },
  },
  {
    name: 'HIP_SIGNATURE_2 (ECDSA r‖s)',
    rfc: 'RFC 7401 §5.2.15',
    hex: `f0c1 0042 | 0007 | ${run(0x70, 64)} | ${pad(2)}`,
    param: { kind: 'HIP_SIGNATURE_2', type: 61633, critical: true, algorithm: 7, signature: h(run(0x70, 64)) },
  },
  {
    name: 'HIP_SIGNATURE (RSA)',
    rfc: 'RFC 7401 §5.2.14',
    hex: `f101 0006 | 0005 | 01020304 | ${pad(6)}`,
    param: { kind: 'HIP_SIGNATURE', type: 61697, critical: true, algorithm: 5, signature: h('01020304') },
  },
  {
    name: 'UNKNOWN non-critical (4096)',
    rfc: 'RFC 7401 §5.2.1',
    hex: `1000 0003 | aabbcc | ${pad(1)}`,
    param: { kind: 'UNKNOWN', type: 4096, critical: false, body: h('aabbcc') },
  },
  {
    name: 'UNKNOWN critical (32769)',
    rfc: 'RFC 7401 §5.2.1',
    hex: `8001 0001 | ff | ${pad(3)}`,
    param: { kind: 'UNKNOWN', type: 32769, critical: true, body: h('ff') },
  },
];

export const RFC7402_VECTORS: readonly ParamVector[] = [
  {
    name: 'ESP_INFO in I2 (OLD SPI 0)',
    rfc: 'RFC 7402 §5.1.1',
    hex: `0041 000c | 0000 | 0003 | 0000 0000 | 1234 5678`,
    param: { kind: 'ESP_INFO', type: 65, critical: true, reserved: 0, keymatIndex: 3, oldSpi: 0, newSpi: 0x12345678 },
  },
  {
    name: 'ESP_INFO rekey with the Reserved field non-zero (kept)',
    rfc: 'RFC 7402 §5.1.1',
    hex: `0041 000c | abcd | ffff | 8000 0001 | ffff ffff`,
    param: { kind: 'ESP_INFO', type: 65, critical: true, reserved: 0xabcd, keymatIndex: 0xffff, oldSpi: 0x80000001, newSpi: 0xffffffff },
  },
  {
    name: 'ESP_TRANSFORM suites 8, 9',
    rfc: 'RFC 7402 §5.1.2',
    hex: `0fff 0006 | 0000 | 0008 0009 | ${pad(6)}`,
    param: { kind: 'ESP_TRANSFORM', type: 4095, critical: true, reserved: 0, suites: [8, 9] },
  },
  {
    name: 'ESP_TRANSFORM one suite, reserved kept',
    rfc: 'RFC 7402 §5.1.2',
    hex: `0fff 0004 | 0102 | 0007`,
    param: { kind: 'ESP_TRANSFORM', type: 4095, critical: true, reserved: 0x0102, suites: [7] },
  },
];

export const RFC8046_VECTORS: readonly ParamVector[] = [
  {
    name: 'LOCATOR_SET with a type 0 and a type 1 locator',
    rfc: 'RFC 8046 §4',
    hex: `00c1 0034
          00 00 04 01 | 0000 0e10 | ${A6}
          00 01 05 00 | 0000 0078 | 1122 3344 | ${A4}`,
    param: {
      kind: 'LOCATOR_SET',
      type: 193,
      critical: true,
      locators: [
        { trafficType: 0, locatorType: 0, reserved: 0, preferred: true, lifetime: 3600, address: h(A6) },
        { trafficType: 0, locatorType: 1, reserved: 0, preferred: false, lifetime: 120, spi: 0x11223344, address: h(A4) },
      ],
    },
  },
  {
    name: 'LOCATOR_SET, empty (deprecates all addresses)',
    rfc: 'RFC 8046 §4',
    hex: `00c1 0000 | ${pad(4)}`,
    param: { kind: 'LOCATOR_SET', type: 193, critical: true, locators: [] },
  },
];

export const RFC9028_VECTORS: readonly ParamVector[] = [
  {
    name: 'LOCATOR_SET with a type 2 (transport address) locator',
    rfc: 'RFC 9028 §5.7 / RFC 5770 §5.7',
    hex: `00c1 0024
          01 02 07 01 | 0000 003c | 2904 | 11 | 01 | 7e00 00ff | 0000 0101 | ${A4}`,
    param: {
      kind: 'LOCATOR_SET',
      type: 193,
      critical: true,
      locators: [
        {
          trafficType: 1,
          locatorType: 2,
          reserved: 0,
          preferred: true,
          lifetime: 60,
          transportPort: 10500,
          transportProtocol: 17,
          candidateKind: 1,
          priority: 0x7e0000ff,
          spi: 0x101,
          address: h(A4),
        },
      ],
    },
  },
  {
    name: 'NAT_TRAVERSAL_MODE offering ICE-HIP-UDP then UDP-ENCAPSULATION',
    rfc: 'RFC 9028 §5.4 Figure 8',
    hex: `0260 0006 | 0000 | 0003 0001 | ${pad(6)}`,
    param: { kind: 'NAT_TRAVERSAL_MODE', type: 608, critical: false, reserved: 0, modes: [3, 1] },
  },
  {
    name: 'NAT_TRAVERSAL_MODE with one Mode ID (the choice in I2) and a non-zero Reserved kept',
    rfc: 'RFC 9028 §5.4 (Reserved: ignored when received)',
    hex: `0260 0004 | abcd | 0003`,
    param: { kind: 'NAT_TRAVERSAL_MODE', type: 608, critical: false, reserved: 0xabcd, modes: [3] },
  },
  {
    name: 'TRANSACTION_PACING, Min Ta 50 ms',
    rfc: 'RFC 9028 §5.5 Figure 9',
    hex: `0262 0004 | 0000 0032`,
    param: { kind: 'TRANSACTION_PACING', type: 610, critical: false, minTa: 50 },
  },
  {
    name: 'CANDIDATE_PRIORITY of a peer-reflexive candidate',
    rfc: 'RFC 9028 §5.14 Figure 14',
    hex: `125c 0004 | 6eff fffe`,
    param: { kind: 'CANDIDATE_PRIORITY', type: 4700, critical: false, priority: 0x6efffffe },
  },
  {
    name: 'NOMINATE',
    rfc: 'RFC 9028 §5.15 Figure 15',
    hex: `1266 0004 | 0000 0000`,
    param: { kind: 'NOMINATE', type: 4710, critical: false, reserved: 0 },
  },
];

export const RFC8003_VECTORS: readonly ParamVector[] = [
  {
    name: 'REG_INFO min 0x60 max 0xa0, types 1 2',
    rfc: 'RFC 8003 §4.2',
    hex: `03a2 0004 | 60 a0 01 02 | ${pad(0)}`,
    param: { kind: 'REG_INFO', type: 930, critical: false, minLifetime: 0x60, maxLifetime: 0xa0, regTypes: [1, 2] },
  },
  {
    name: 'REG_INFO with no registration types',
    rfc: 'RFC 8003 §4.2',
    hex: `03a2 0002 | 60 a0 | ${pad(2)}`,
    param: { kind: 'REG_INFO', type: 930, critical: false, minLifetime: 0x60, maxLifetime: 0xa0, regTypes: [] },
  },
  {
    name: 'REG_REQUEST lifetime 0x80, RENDEZVOUS',
    rfc: 'RFC 8003 §4.3',
    hex: `03a4 0002 | 80 01 | ${pad(2)}`,
    param: { kind: 'REG_REQUEST', type: 932, critical: false, lifetime: 0x80, regTypes: [1] },
  },
  {
    name: 'REG_RESPONSE lifetime 0x80, RENDEZVOUS',
    rfc: 'RFC 8003 §4.4',
    hex: `03a6 0002 | 80 01 | ${pad(2)}`,
    param: { kind: 'REG_RESPONSE', type: 934, critical: false, lifetime: 0x80, regTypes: [1] },
  },
  {
    name: 'REG_FAILED type unavailable for types 1 2 3',
    rfc: 'RFC 8003 §4.5',
    hex: `03a8 0004 | 01 01 02 03 | ${pad(0)}`,
    param: { kind: 'REG_FAILED', type: 936, critical: false, failureType: 1, regTypes: [1, 2, 3] },
  },
];

export const RFC8004_VECTORS: readonly ParamVector[] = [
  {
    name: 'FROM',
    rfc: 'RFC 8004 §4.2.2',
    hex: `ffda 0010 | ${A4} | ${pad(4)}`,
    param: { kind: 'FROM', type: 65498, critical: false, address: h(A4) },
  },
  {
    name: 'RVS_HMAC',
    rfc: 'RFC 8004 §4.2.1',
    hex: `ffdc 0020 | ${run(0x90, 32)} | ${pad(4)}`,
    param: { kind: 'RVS_HMAC', type: 65500, critical: false, hmac: h(run(0x90, 32)) },
  },
  {
    name: 'VIA_RVS with two addresses',
    rfc: 'RFC 8004 §4.2.3',
    hex: `ffde 0020 | ${A6} | ${A4} | ${pad(4)}`,
    param: { kind: 'VIA_RVS', type: 65502, critical: false, addresses: [h(A6), h(A4)] },
  },
];

// RFC 9028 §5.6 Figure 10 (Type, Length 20, Port, Protocol, Reserved, Address) and §5.8.
export const RFC9028_RELAY_VECTORS: readonly ParamVector[] = [
  {
    name: 'REG_FROM: UDP port 61001 (0xee49), protocol 17, IPv4-mapped address',
    rfc: 'RFC 9028 §5.6',
    hex: `03b6 0014 | ee49 | 11 | 00 | ${A4}`,
    param: { kind: 'REG_FROM', type: 950, critical: false, port: 61001, protocol: 17, reserved: 0, address: h(A4) },
  },
  {
    name: 'RELAY_FROM: port 10500 (0x2904), UDP, IPv6',
    rfc: 'RFC 9028 §5.6',
    hex: `f9fe 0014 | 2904 | 11 | 00 | ${A6}`,
    param: { kind: 'RELAY_FROM', type: 63998, critical: false, port: 10500, protocol: 17, reserved: 0, address: h(A6) },
  },
  {
    name: 'RELAY_TO: plain IP (port 0, protocol 0), reserved bits kept as received',
    rfc: 'RFC 9028 §5.6 (Reserved ignored when received)',
    hex: `fa02 0014 | 0000 | 00 | 5a | ${A4}`,
    param: { kind: 'RELAY_TO', type: 64002, critical: false, port: 0, protocol: 0, reserved: 0x5a, address: h(A4) },
  },
  {
    name: 'RELAY_HMAC',
    rfc: 'RFC 9028 §5.8',
    hex: `fff0 0020 | ${run(0x70, 32)} | ${pad(4)}`,
    param: { kind: 'RELAY_HMAC', type: 65520, critical: false, hmac: h(run(0x70, 32)) },
  },
];

export const ALL_VECTORS: readonly ParamVector[] = [
  ...RFC7401_VECTORS,
  ...RFC7402_VECTORS,
  ...RFC8046_VECTORS,
  ...RFC9028_VECTORS,
  ...RFC8003_VECTORS,
  ...RFC8004_VECTORS,
  ...RFC9028_RELAY_VECTORS,
];
