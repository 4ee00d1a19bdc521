// Codec benchmark: decode and encode of a typical UPDATE and a typical R1, next to a bare TLV walk
// over the same bytes (reads Type and Length only: the ceiling for any decoder). Run with
// `npm run bench -- codec`. Each timed iteration handles BATCH packets so that the timer's own
// cost does not flatten the ratios; figures are packets per second.
import { Bench } from 'tinybench';
import { decodePacket, encodePacket, parseLocator, type HipPacket, type PacketInit } from '../src/wire/index.js';

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

type Row = { packet: string; op: string; pps: number; ns: number };

export async function run(): Promise<void> {
  const rows: Row[] = [];
  for (const [name, init] of [
    ['UPDATE', UPDATE],
    ['R1', R1],
  ] as const) {
    const bytes = encodePacket(init, { src: SRC, dst: DST });
    const decoded = decodePacket(bytes);
    if (!decoded.ok) throw new Error(`${name}: ${decoded.error.message}`);
    const pkt: HipPacket = decoded.packet;
    const label = `${name} (${bytes.length} B, ${pkt.params.length} params)`;

    const bench = new Bench({ time: 1500, warmupTime: 300 });
    bench
      .add('bare TLV walk', () => {
        for (let i = 0; i < BATCH; i++) sink ^= bareWalk(bytes);
      })
      .add('decodePacket', () => {
        for (let i = 0; i < BATCH; i++) {
          const r = decodePacket(bytes);
          if (r.ok) sink ^= r.packet.params.length;
        }
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
      rows.push({ packet: label, op: t.name, pps: 1e9 / nsPerPacket, ns: nsPerPacket });
    }
  }

  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  console.log('| packet | operation | packets/s | ns/packet | × bare walk |');
  console.log('|---|---|---:|---:|---:|');
  for (const r of rows) {
    const walk = rows.find((w) => w.packet === r.packet && w.op === 'bare TLV walk')!;
    console.log(`| ${r.packet} | ${r.op} | ${fmt(r.pps)} | ${r.ns.toFixed(0)} | ${(r.ns / walk.ns).toFixed(1)} |`);
  }
  const ratio = (p: string): number => {
    const w = rows.find((r) => r.packet.startsWith(p) && r.op === 'bare TLV walk')!;
    const d = rows.find((r) => r.packet.startsWith(p) && r.op === 'decodePacket')!;
    return d.ns / w.ns;
  };
  console.log(`\nfull decode / bare walk: UPDATE ${ratio('UPDATE').toFixed(1)}x (target ≤ 10x), R1 ${ratio('R1').toFixed(1)}x`);
  console.log(`node ${process.version}, ${process.platform}/${process.arch}; sink ${sink & 1}`);
}
