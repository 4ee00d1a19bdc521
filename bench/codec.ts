// Codec benchmark: decode and encode of a typical UPDATE and a typical R1. Run with
// `npm run bench -- codec`. decodePacket is compared with a decoder that builds the same
// HipPacket objects without any check (bench/codec-unchecked.ts), timed interleaved with it: the
// ratio is the cost of the checks and of the codec's structure, since both pay for the same
// plain-data objects. A bare TLV walk (Type and Length only, builds nothing) is shown for scale.
// tinybench rows run BATCH packets per iteration so that the timer's own cost does not flatten
// them. Figures are packets per second, ns per packet and ns per byte.
import { Bench } from 'tinybench';
import { isDeepStrictEqual } from 'node:util';
import { decodePacket, encodePacket, parseLocator, type HipPacket, type PacketInit } from '../src/wire/index.js';
import { decodeUnchecked } from './codec-unchecked.js';
import { cpuMs, interleave, median, table } from './measure.js';

const BATCH = 100;

const fill = (n: number, v: number): Uint8Array => new Uint8Array(n).fill(v);
const HIT_I = Uint8Array.from([0x20, 0x01, 0x00, 0x22, ...fill(12, 0x11)]);
const HIT_R = Uint8Array.from([0x20, 0x01, 0x00, 0x22, ...fill(12, 0x22)]);
const SRC = parseLocator('2001:db8::1');
const DST = parseLocator('2001:db8::2');

/** UPDATE: rekey + readdress with four type-1 locators, acknowledged, MACed and signed. */
const UPDATE: PacketInit = {
  kind: 'UPDATE',
  senderHit: HIT_I,
  receiverHit: HIT_R,
  params: [
    { kind: 'ESP_INFO', keymatIndex: 0, oldSpi: 0x1001, newSpi: 0x2002 },
    {
      kind: 'LOCATOR_SET',
      locators: [1, 2, 3, 4].map((i) => ({
        trafficType: 0,
        locatorType: 1 as const,
        preferred: i === 1,
        lifetime: 600,
        spi: 0x2002,
        address: i % 2 === 0 ? parseLocator(`2001:db8:${i}::1`) : parseLocator(`192.0.2.${i}`),
      })),
    },
    { kind: 'SEQ', updateId: 42 },
    { kind: 'ACK', peerUpdateIds: [41] },
    { kind: 'ECHO_REQUEST_SIGNED', opaque: fill(16, 0xec) },
    { kind: 'HIP_MAC', hmac: fill(48, 0xaa) }, // HMAC-SHA-384 (HIT suite 2)
    { kind: 'HIP_SIGNATURE', algorithm: 7, signature: fill(64, 0x5a) }, // ECDSA P-256 r‖s
  ],
};

/** R1: ECDSA P-256 host, P-256 DH, SHA-384 puzzle (#I 48 bytes), ESP offered. */
const R1: PacketInit = {
  kind: 'R1',
  senderHit: HIT_R,
  receiverHit: HIT_I,
  params: [
    { kind: 'R1_COUNTER', generation: 7n },
    { kind: 'PUZZLE', k: 10, lifetime: 37, opaque: 0x1234, randomI: fill(48, 0x49) },
    { kind: 'DH_GROUP_LIST', groups: [7, 9, 3] },
    { kind: 'DIFFIE_HELLMAN', groupId: 7, publicValue: Uint8Array.from([4, ...fill(64, 0xd1)]) },
    { kind: 'HIP_CIPHER', ciphers: [4, 2] },
    { kind: 'HOST_ID', diType: 0, algorithm: 7, hostIdentity: Uint8Array.from([0, 1, 4, ...fill(64, 0x1d)]), domainIdentifier: new Uint8Array(0) },
    { kind: 'HIT_SUITE_LIST', suites: [0x20, 0x10] },
    { kind: 'TRANSPORT_FORMAT_LIST', formats: [4095] },
    { kind: 'ESP_TRANSFORM', suites: [8, 9] },
    { kind: 'HIP_SIGNATURE_2', algorithm: 7, signature: fill(64, 0x52) },
  ],
};

let sink = 0;

/** The ceiling: Type and Length of every parameter, nothing else. */
function bareWalk(b: Uint8Array): number {
  const end = (b[1]! + 1) * 8;
  let off = 40;
  let acc = 0;
  while (off + 4 <= end) {
    const t = (b[off]! << 8) | b[off + 1]!;
    const l = (b[off + 2]! << 8) | b[off + 3]!;
    acc = (acc + t + l) | 0;
    off += (l + 11) & ~7;
  }
  return acc;
}

type Row = { packet: string; op: string; pps: number; ns: number; bytes: number };

/**
 * decodePacket against the check-free decoder, interleaved: each round times a block of one and
 * then of the other (the order alternating between rounds), so drift on a shared machine hits
 * both alike, in process CPU time. Returns the median ns per packet of each and the median of
 * the per-round ratios.
 */
function interleaved(bytes: Uint8Array, rounds: number, perRound: number): { checked: number; unchecked: number; ratio: number } {
  // Process CPU time (a block is tens of ms, well above its µs resolution): other jobs on a
  // shared machine do not count.
  const time = (f: () => void): number => {
    const t0 = cpuMs();
    for (let i = 0; i < perRound; i++) f();
    return ((cpuMs() - t0) * 1e6) / perRound;
  };
  const checked = (): void => {
    const r = decodePacket(bytes);
    if (r.ok) sink ^= r.packet.params.length;
  };
  const unchecked = (): void => {
    sink ^= decodeUnchecked(bytes).params.length;
  };
  for (let i = 0; i < 3; i++) time(checked), time(unchecked); // warm-up
  const { a, b, ratios } = interleave(rounds, () => time(checked), () => time(unchecked));
  return { checked: median(a), unchecked: median(b), ratio: median(ratios) };
}

export async function run(): Promise<void> {
  const rows: Row[] = [];
  const ratios: { packet: string; ratio: number }[] = [];
  for (const [name, init] of [
    ['UPDATE', UPDATE],
    ['R1', R1],
  ] as const) {
    const bytes = encodePacket(init, { src: SRC, dst: DST });
    const decoded = decodePacket(bytes);
    if (!decoded.ok) throw new Error(`${name}: ${decoded.error.message}`);
    const pkt: HipPacket = decoded.packet;
    // The floor must build exactly what decodePacket builds, or the ratio means nothing.
    if (!isDeepStrictEqual(decodeUnchecked(bytes), pkt)) throw new Error(`${name}: the check-free decoder does not build the same packet`);
    const label = `${name} (${bytes.length} B, ${pkt.params.length} params)`;

    const pair = interleaved(bytes, 31, 20_000);
    ratios.push({ packet: name, ratio: pair.ratio });
    rows.push({ packet: label, op: 'check-free decoder (same objects)', pps: 1e9 / pair.unchecked, ns: pair.unchecked, bytes: bytes.length });
    rows.push({ packet: label, op: 'decodePacket', pps: 1e9 / pair.checked, ns: pair.checked, bytes: bytes.length });

    const bench = new Bench({ time: 1500, warmupTime: 300 });
    bench
      .add('bare TLV walk (builds nothing)', () => {
        for (let i = 0; i < BATCH; i++) sink ^= bareWalk(bytes);
      })
      .add('decodePacket + checksum', () => {
        for (let i = 0; i < BATCH; i++) {
          const r = decodePacket(bytes, { src: SRC, dst: DST });
          if (r.ok) sink ^= r.packet.params.length;
        }
      })
      .add('encodePacket', () => {
        for (let i = 0; i < BATCH; i++) sink ^= encodePacket(pkt).length;
      })
      .add('encodePacket + checksum', () => {
        for (let i = 0; i < BATCH; i++) sink ^= encodePacket(pkt, { src: SRC, dst: DST }).length;
      });
    await bench.run();
    for (const t of bench.tasks) {
      const r = t.result;
      if (r.state !== 'completed') throw new Error(`${t.name}: ${r.state}`);
      const nsPerPacket = (r.period * 1e6) / BATCH;
      rows.push({ packet: label, op: t.name, pps: 1e9 / nsPerPacket, ns: nsPerPacket, bytes: bytes.length });
    }
  }

  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  table(
    ['packet', 'operation', 'packets/s', 'ns/packet', 'ns/byte'],
    rows.map((r) => [r.packet, r.op, fmt(r.pps), r.ns.toFixed(0), (r.ns / r.bytes).toFixed(2)]),
  );
  console.log('');
  for (const r of ratios) console.log(`decodePacket / check-free decoder, ${r.packet}: ${r.ratio.toFixed(2)}x (target ≤ 1.25x; median of 31 interleaved rounds, CPU time)`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}; sink ${sink & 1}`);
}
