// fast-check arbitraries for every HIP parameter kind and for whole packets, plus the mutation
// corpus used by the "never throws" properties. Values are generated in decoded form (the shape
// decodePacket returns, without spans), so that decode(encode(p)) can be compared with p.
import fc from 'fast-check';
import {
  PACKET_TYPE,
  PARAM_TYPE,
  encodePacket,
  encodingLength,
  isRepeatable,
  type HipPacket,
  type HipParam,
  type LocatorEntry,
  type PacketKind,
} from '../../src/wire/index.js';
import { ALL_VECTORS } from '../wire/param-vectors.js';
import { h, pkt } from '../wire/helpers.js';

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const addr = bytes(16, 16);
const rhash = fc.constantFrom(20, 32, 48);

function P<K extends HipParam['kind']>(kind: K, fields: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<HipParam> {
  const type = kind === 'UNKNOWN' ? 0 : PARAM_TYPE[kind as Exclude<K, 'UNKNOWN'>];
  return fields.map((f) => ({ kind, type, critical: (type & 1) === 1, ...f }) as unknown as HipParam);
}

const locatorCommon = fc.record({ trafficType: u8, reserved: fc.integer({ min: 0, max: 0x7f }), preferred: fc.boolean(), lifetime: u32 });

export const locatorArb: fc.Arbitrary<LocatorEntry> = fc.oneof(
  fc.tuple(locatorCommon, addr).map(([c, address]) => ({ ...c, locatorType: 0 as const, address })),
  fc.tuple(locatorCommon, u32, addr).map(([c, spi, address]) => ({ ...c, locatorType: 1 as const, spi, address })),
  fc
    .tuple(locatorCommon, fc.record({ transportPort: u16, transportProtocol: u8, candidateKind: u8, priority: u32, spi: u32 }), addr)
    .map(([c, t, address]) => ({ ...c, locatorType: 2 as const, ...t, address })),
  fc
    .tuple(locatorCommon, fc.integer({ min: 3, max: 255 }), fc.integer({ min: 0, max: 6 }))
    .chain(([c, locatorType, words]) => bytes(words * 4, words * 4).map((raw) => ({ ...c, locatorType, raw, unknown: true as const }))),
);

const KNOWN_TYPES = new Set<number>(Object.values(PARAM_TYPE));

export const paramArbs: Record<HipParam['kind'], fc.Arbitrary<HipParam>> = {
  ESP_INFO: P('ESP_INFO', fc.record({ reserved: u16, keymatIndex: u16, oldSpi: u32, newSpi: u32 })),
  R1_COUNTER: P('R1_COUNTER', fc.record({ reserved: u32, generation: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }) })),
  LOCATOR_SET: P('LOCATOR_SET', fc.record({ locators: fc.array(locatorArb, { maxLength: 4 }) })),
  PUZZLE: P('PUZZLE', fc.record({ k: u8, lifetime: u8, opaque: u16, randomI: rhash.chain((n) => bytes(n, n)) })),
  SOLUTION: P(
    'SOLUTION',
    rhash.chain((n) => fc.record({ k: u8, reserved: u8, opaque: u16, randomI: bytes(n, n), solutionJ: bytes(n, n) })),
  ),
  SEQ: P('SEQ', fc.record({ updateId: u32 })),
  ACK: P('ACK', fc.record({ peerUpdateIds: fc.array(u32, { minLength: 1, maxLength: 5 }) })),
  DH_GROUP_LIST: P('DH_GROUP_LIST', fc.record({ groups: fc.array(u8, { maxLength: 8 }) })),
  DIFFIE_HELLMAN: P('DIFFIE_HELLMAN', fc.record({ groupId: u8, publicValue: bytes(0, 97) })),
  HIP_CIPHER: P('HIP_CIPHER', fc.record({ ciphers: fc.array(u16, { maxLength: 8 }) })),
  NAT_TRAVERSAL_MODE: P('NAT_TRAVERSAL_MODE', fc.record({ reserved: u16, modes: fc.array(u16, { maxLength: 8 }) })),
  TRANSACTION_PACING: P('TRANSACTION_PACING', fc.record({ minTa: u32 })),
  CANDIDATE_PRIORITY: P('CANDIDATE_PRIORITY', fc.record({ priority: u32 })),
  NOMINATE: P('NOMINATE', fc.record({ reserved: u32 })),
  ENCRYPTED: P('ENCRYPTED', fc.record({ reserved: u32, ivAndData: bytes(0, 64) })),
  HOST_ID: P(
    'HOST_ID',
    fc
      .record({ diType: fc.integer({ min: 0, max: 15 }), algorithm: u16, hostIdentity: bytes(0, 97), di: bytes(0, 20) })
      .map(({ di, ...r }) => ({ ...r, domainIdentifier: r.diType === 0 ? new Uint8Array(0) : di })),
  ),
  HIT_SUITE_LIST: P('HIT_SUITE_LIST', fc.record({ suites: fc.array(u8, { maxLength: 6 }) })),
  CERT: P('CERT', fc.record({ certGroup: u8, certCount: u8, certId: u8, certType: u8, certificate: bytes(0, 40) })),
  NOTIFICATION: P('NOTIFICATION', fc.record({ reserved: u16, messageType: u16, data: bytes(0, 24) })),
  ECHO_REQUEST_SIGNED: P('ECHO_REQUEST_SIGNED', fc.record({ opaque: bytes(0, 24) })),
  ECHO_RESPONSE_SIGNED: P('ECHO_RESPONSE_SIGNED', fc.record({ opaque: bytes(0, 24) })),
  ECHO_REQUEST_UNSIGNED: P('ECHO_REQUEST_UNSIGNED', fc.record({ opaque: bytes(0, 24) })),
  ECHO_RESPONSE_UNSIGNED: P('ECHO_RESPONSE_UNSIGNED', fc.record({ opaque: bytes(0, 24) })),
  REG_INFO: P('REG_INFO', fc.record({ minLifetime: u8, maxLifetime: u8, regTypes: fc.array(u8, { maxLength: 6 }) })),
  REG_REQUEST: P('REG_REQUEST', fc.record({ lifetime: u8, regTypes: fc.array(u8, { maxLength: 6 }) })),
  REG_RESPONSE: P('REG_RESPONSE', fc.record({ lifetime: u8, regTypes: fc.array(u8, { maxLength: 6 }) })),
  REG_FAILED: P('REG_FAILED', fc.record({ failureType: u8, regTypes: fc.array(u8, { maxLength: 6 }) })),
  TRANSPORT_FORMAT_LIST: P('TRANSPORT_FORMAT_LIST', fc.record({ formats: fc.array(u16, { maxLength: 6 }) })),
  ESP_TRANSFORM: P('ESP_TRANSFORM', fc.record({ reserved: u16, suites: fc.array(u16, { maxLength: 8 }) })),
  HIP_MAC: P('HIP_MAC', fc.record({ hmac: bytes(0, 48) })),
  HIP_MAC_2: P('HIP_MAC_2', fc.record({ hmac: bytes(0, 48) })),
  HIP_SIGNATURE: P('HIP_SIGNATURE', fc.record({ algorithm: u16, signature: bytes(0, 96) })),
  HIP_SIGNATURE_2: P('HIP_SIGNATURE_2', fc.record({ algorithm: u16, signature: bytes(0, 96) })),
  FROM: P('FROM', fc.record({ address: addr })),
  RVS_HMAC: P('RVS_HMAC', fc.record({ hmac: bytes(0, 48) })),
  VIA_RVS: P('VIA_RVS', fc.record({ addresses: fc.array(addr, { minLength: 1, maxLength: 3 }) })),
  REG_FROM: P('REG_FROM', fc.record({ port: u16, protocol: u8, reserved: u8, address: addr })),
  RELAY_FROM: P('RELAY_FROM', fc.record({ port: u16, protocol: u8, reserved: u8, address: addr })),
  RELAY_TO: P('RELAY_TO', fc.record({ port: u16, protocol: u8, reserved: u8, address: addr })),
  RELAY_HMAC: P('RELAY_HMAC', fc.record({ hmac: bytes(0, 48) })),
  UNKNOWN: fc
    .tuple(
      u16.filter((t) => !KNOWN_TYPES.has(t)),
      bytes(0, 40),
    )
    .map(([type, body]) => ({ kind: 'UNKNOWN', type, critical: (type & 1) === 1, body }) as HipParam),
};

export const paramArb: fc.Arbitrary<HipParam> = fc.oneof(...Object.values(paramArbs));

/** Sorts by type (stable) and drops repeats of types that may not repeat: a valid parameter list. */
export function normaliseParams(ps: readonly HipParam[]): HipParam[] {
  const sorted = ps.map((p, i) => [p, i] as const).sort((a, b) => a[0].type - b[0].type || a[1] - b[1]);
  const out: HipParam[] = [];
  for (const [p] of sorted) {
    const last = out[out.length - 1];
    if (last && last.type === p.type && !isRepeatable(p.type)) continue;
    out.push(p);
  }
  return out;
}

const kindArb = fc.constantFrom(...(Object.keys(PACKET_TYPE) as PacketKind[]));

/** A whole packet in decoded form (no raw, no spans) that fits in 2048 bytes. */
export const packetArb: fc.Arbitrary<HipPacket> = fc
  .record({
    kind: kindArb,
    reserved: fc.integer({ min: 0, max: 7 }),
    controls: u16,
    checksum: u16,
    senderHit: addr,
    receiverHit: addr,
    params: fc.array(paramArb, { maxLength: 10 }),
  })
  .map((r) => {
    const params = normaliseParams(r.params);
    const p: HipPacket = { kind: r.kind, code: PACKET_TYPE[r.kind], version: 2, nextHeader: 59, reserved: r.reserved, controls: r.controls, checksum: r.checksum, senderHit: r.senderHit, receiverHit: r.receiverHit, params };
    while (encodingLength(p) > 2048) (p.params as HipParam[]).pop();
    return p;
  });

/** Drops `raw` and every `span` (what decode adds to a packet). */
export function withoutDerived(p: HipPacket): HipPacket {
  const { raw: _raw, ...rest } = p;
  return { ...rest, params: p.params.map(({ span: _s, ...q }) => q as HipParam) };
}

// ---------------------------------------------------------------------------------------------
// Mutation corpus: valid packets written by hand (the RFC vectors) and by the encoder.

const HIT_I = h('2001 0020 0000 0000 0000 0000 0000 0001');
const HIT_R = h('2001 0020 0000 0000 0000 0000 0000 0002');

function corpus(): Uint8Array[] {
  const out: Uint8Array[] = [];
  // Every vector alone, in an UPDATE.
  for (const v of ALL_VECTORS) out.push(pkt(16, h(v.hex)));
  // One packet with one vector of every kind, in type order.
  const firstOfKind = new Map<number, Uint8Array>();
  for (const v of ALL_VECTORS) if (!firstOfKind.has(v.param.type)) firstOfKind.set(v.param.type, h(v.hex));
  const all = [...firstOfKind.entries()].sort((a, b) => a[0] - b[0]).map((e) => e[1]);
  let body = new Uint8Array(0);
  for (const t of all) {
    if (40 + body.length + t.length > 2048) break;
    const n = new Uint8Array(body.length + t.length);
    n.set(body);
    n.set(t, body.length);
    body = n;
  }
  out.push(pkt(2, body));
  // Typical UPDATE and R1.
  out.push(encodePacket({ kind: 'UPDATE', senderHit: HIT_I, receiverHit: HIT_R, params: [
    { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 1, newSpi: 2 },
    { kind: 'LOCATOR_SET', locators: [0, 1, 2, 3].map((i) => ({ trafficType: 0, locatorType: 1 as const, preferred: i === 0, lifetime: 600, spi: 2, address: new Uint8Array(16).fill(i + 1) })) },
    { kind: 'SEQ', updateId: 9 },
    { kind: 'ACK', peerUpdateIds: [8] },
    { kind: 'ECHO_REQUEST_SIGNED', opaque: new Uint8Array(8).fill(7) },
    { kind: 'HIP_MAC', hmac: new Uint8Array(32).fill(9) },
    { kind: 'HIP_SIGNATURE', algorithm: 7, signature: new Uint8Array(64).fill(5) },
  ] }));
  out.push(encodePacket({ kind: 'R1', senderHit: HIT_R, receiverHit: new Uint8Array(16), params: [
    { kind: 'R1_COUNTER', generation: 5n },
    { kind: 'PUZZLE', k: 10, lifetime: 37, opaque: 0, randomI: new Uint8Array(32).fill(3) },
    { kind: 'DH_GROUP_LIST', groups: [7, 9, 3] },
    { kind: 'DIFFIE_HELLMAN', groupId: 7, publicValue: new Uint8Array(65).fill(4) },
    { kind: 'HIP_CIPHER', ciphers: [4, 2] },
    { kind: 'HOST_ID', diType: 1, algorithm: 7, hostIdentity: new Uint8Array(67).fill(6), domainIdentifier: h('07 6578616d706c65 03 636f6d 00') },
    { kind: 'HIT_SUITE_LIST', suites: [0x20, 0x10] },
    { kind: 'TRANSPORT_FORMAT_LIST', formats: [4095] },
    { kind: 'ESP_TRANSFORM', suites: [8, 9] },
    { kind: 'HIP_SIGNATURE_2', algorithm: 7, signature: new Uint8Array(64).fill(8) },
  ] }));
  return out;
}

export const CORPUS: readonly Uint8Array[] = corpus();

/** Start offsets of the TLVs of a valid packet (walks Length fields; no decoder involved). */
export function tlvOffsets(b: Uint8Array): number[] {
  const out: number[] = [];
  let off = 40;
  while (off + 4 <= b.length) {
    out.push(off);
    const len = (b[off + 2]! << 8) | b[off + 3]!;
    off += (len + 11) & ~7;
  }
  return out;
}

export type Mutation =
  | { op: 'flip'; at: number; bit: number; count: number }
  | { op: 'truncate'; at: number }
  | { op: 'lie'; which: number; value: number }
  | { op: 'hdrlen'; value: number }
  | { op: 'swap'; a: number; b: number }
  | { op: 'dup'; a: number }
  | { op: 'drop'; a: number }
  | { op: 'insert'; at: number; value: number; count: number }
  | { op: 'set'; at: number; value: number };

/** Applies one mutation deterministically (indices are taken modulo what exists). */
export function mutate(src: Uint8Array, m: Mutation): Uint8Array {
  const n = src.length;
  switch (m.op) {
    case 'flip': {
      const b = src.slice();
      for (let i = 0; i < m.count; i++) {
        const at = (m.at + i * 7919) % n;
        b[at]! ^= 1 << ((m.bit + i) & 7);
      }
      return b;
    }
    case 'truncate':
      return src.slice(0, m.at % (n + 1));
    case 'set': {
      const b = src.slice();
      b[m.at % n] = m.value & 0xff;
      return b;
    }
    case 'hdrlen': {
      const b = src.slice();
      b[1] = m.value & 0xff;
      return b;
    }
    case 'lie': {
      const offs = tlvOffsets(src);
      if (offs.length === 0) return src;
      const b = src.slice();
      const o = offs[m.which % offs.length]!;
      b[o + 2] = (m.value >>> 8) & 0xff;
      b[o + 3] = m.value & 0xff;
      return b;
    }
    case 'swap':
    case 'dup':
    case 'drop': {
      const offs = tlvOffsets(src);
      if (offs.length === 0) return src;
      const ends = offs.map((o, i) => offs[i + 1] ?? n);
      const parts = offs.map((o, i) => src.subarray(o, ends[i]));
      const ia = m.a % parts.length;
      if (m.op === 'swap') {
        const ib = m.b % parts.length;
        [parts[ia], parts[ib]] = [parts[ib]!, parts[ia]!];
      } else if (m.op === 'dup') {
        parts.splice(ia, 0, parts[ia]!);
      } else {
        parts.splice(ia, 1);
      }
      const body = parts.reduce((s, p) => s + p.length, 0);
      const b = new Uint8Array(40 + body);
      b.set(src.subarray(0, 40));
      let o = 40;
      for (const p of parts) {
        b.set(p, o);
        o += p.length;
      }
      b[1] = Math.min(255, b.length / 8 - 1);
      return b;
    }
    case 'insert': {
      const at = m.at % (n + 1);
      const b = new Uint8Array(n + m.count);
      b.set(src.subarray(0, at));
      b.fill(m.value & 0xff, at, at + m.count);
      b.set(src.subarray(at), at + m.count);
      return b;
    }
  }
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat(7), count: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('lie' as const), which: fc.nat(), value: fc.oneof(u16, fc.integer({ min: 0, max: 64 })) }),
  fc.record({ op: fc.constant('hdrlen' as const), value: u8 }),
  fc.record({ op: fc.constant('swap' as const), a: fc.nat(), b: fc.nat() }),
  fc.record({ op: fc.constant('dup' as const), a: fc.nat() }),
  fc.record({ op: fc.constant('drop' as const), a: fc.nat() }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), value: u8, count: fc.integer({ min: 1, max: 9 }) }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value: u8 }),
);

