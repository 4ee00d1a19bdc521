// `hip-engine demo --scenario nat` in-process (RFC 9028): two hosts behind endpoint-independent
// NATs (RFC 4787) register with a Control Relay Server (§4.1), run the base exchange through it
// (§4.5), check candidate pairs and nominate one (§4.6), send data NAT to NAT, survive a NAT rebinding (§4.8) and close. Checked from the
// timeline and from the pcap, re-read with the project's own pcap reader: every record is an
// IPv4 UDP packet with a good UDP checksum, every HIP packet after the zero marker decodes, and a
// packet that crosses a NAT is there as it looked on each side.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { main } from '../../src/cli/node/main.js';
import { NAT as N } from '../../src/cli/node/scenario-nat.js';
import { parseIpPacket } from '../../src/testing/ip.js';
import { readPcap } from '../../src/testing/pcap.js';
import { upperLayerChecksum } from '../../src/wire/header.js';
import { decodePacket } from '../../src/wire/packet.js';
import { demuxUdp } from '../../src/wire/udp.js';
import type { HipPacket } from '../../src/wire/types.js';
import { unwrap } from './unwrap.js';

const tmp = mkdtempSync(join(tmpdir(), 'hip-demo-nat-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Captured = { readonly src: string; readonly sport: number; readonly dst: string; readonly dport: number; readonly kind: string; readonly packet?: HipPacket };

function readCapture(file: string): Captured[] {
  const res = readPcap(new Uint8Array(readFileSync(file)));
  expect(res.ok).toBe(true);
  if (!res.ok) return [];
  return res.value.records.map((rec) => {
    const ip = parseIpPacket(rec.bytes);
    if (!ip.ok) throw new Error(ip.error.message);
    // RFC 9028 §5.1: only UDP crosses a NAT; the HIP checksum is zero, the UDP one covers it.
    expect(ip.value.protocol).toBe(17);
    const udp = ip.value.payload;
    expect(upperLayerChecksum(ip.value.src, ip.value.dst, 17, udp)).toBe(0);
    const base = { src: formatLocator(ip.value.src), dst: formatLocator(ip.value.dst), sport: (udp[0]! << 8) | udp[1]!, dport: (udp[2]! << 8) | udp[3]! };
    const d = demuxUdp(udp.subarray(8));
    if (d.kind === 'ESP') return { ...base, kind: 'ESP' };
    if (d.kind !== 'HIP') return { ...base, kind: d.kind };
    const p = decodePacket(d.hip, { verifyChecksum: false });
    expect(p.ok, p.ok ? '' : JSON.stringify(p.error)).toBe(true);
    return p.ok ? { ...base, kind: p.packet.kind, packet: p.packet } : { ...base, kind: '?' };
  });
}

const has = (c: Captured, kind: string): boolean => c.packet?.params.some((p) => p.kind === kind) ?? false;

async function demo(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(['demo', '--scenario', 'nat', ...args], { out: (l) => (out += `${l}\n`), err: (l) => (err += `${l}\n`) });
  return { code, out, err };
}

describe('hip-engine demo --scenario nat', () => {
  let out = '';
  let err = '';
  let code = -1;
  let cap: Captured[] = [];
  let trace = '';
  let raw = '';

  beforeAll(async () => {
    const files = { pcap: join(tmp, 'nat.pcap'), trace: join(tmp, 'nat.jsonl') };
    const r = await demo(['--pcap', files.pcap, '--trace', files.trace]);
    ({ code, err } = r);
    raw = r.out;
    out = unwrap(r.out);
    cap = readCapture(files.pcap);
    trace = readFileSync(files.trace, 'utf8');
  }, 60_000);

  it('exits 0 and ends RESULT: OK', () => {
    expect(code, out + err).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^hip-engine demo: scenario nat /m);
    expect(out).toMatch(/^RESULT: OK$/m);
    expect(raw.split('\n').filter((l) => l.length > 100)).toEqual([]);
  });

  it('tells the story in acts: registration, relayed base exchange, connectivity checks, data, rebinding, close', () => {
    const acts = out.split('\n').filter((l) => / === \d\. /.test(l)).map((l) => /=== (\d)\. /.exec(l)![1]);
    expect(acts).toEqual(['1', '2', '3', '4', '5', '6']);
    expect(out).toMatch(/=== 1\. A and B register with the Control Relay Server 192\.0\.2\.1 for RELAY_UDP_HIP/);
    expect(out).toMatch(/=== 2\. Base exchange through the relay/);
    expect(out).toMatch(/=== 3\. Connectivity checks \(RFC 9028 §4\.6\)/);
    expect(out).toMatch(/=== 5\. B's NAT 198\.51\.100\.1 rebinds in the middle of the flow/);
  });

  it('RFC 9028 §4.6, §5.14, §5.15 · checks are UPDATEs with CANDIDATE_PRIORITY, A nominates, both report the NAT-to-NAT pair, and no ESP goes before the nomination', () => {
    // §5.14: a connectivity check is an UPDATE with SEQ, ECHO_REQUEST_SIGNED and CANDIDATE_PRIORITY.
    const checks = cap.filter((c) => c.kind === 'UPDATE' && has(c, 'CANDIDATE_PRIORITY'));
    expect(checks.length).toBeGreaterThanOrEqual(2);
    for (const c of checks) for (const k of ['SEQ', 'ECHO_REQUEST_SIGNED']) expect(has(c, k), k).toBe(true);
    // Checks run between the candidates, never through the relay (§4.6).
    expect(checks.filter((c) => c.src === N.crs || c.dst === N.crs)).toEqual([]);
    // §4.6.3: the controlling host (A, the Initiator) nominates; seen outside NATa toward B's NAT.
    const nominate = cap.findIndex((c) => c.kind === 'UPDATE' && has(c, 'NOMINATE') && c.src === N.natA && c.dst === N.natB);
    expect(nominate).toBeGreaterThanOrEqual(0);
    const firstEsp = cap.findIndex((c) => c.kind === 'ESP');
    expect(firstEsp).toBeGreaterThan(nominate);
    // The chosen pair of each side ends at the other's NAT, a server-reflexive candidate.
    expect(out).toMatch(new RegExp(`A +\\*\\* NAT-PATH ${N.a.replaceAll('.', '\\.')}:\\d+ -> ${N.natB.replaceAll('.', '\\.')}:\\d+ \\(the peer's srflx candidate, nominated\\)`));
    expect(out).toMatch(new RegExp(`B +\\*\\* NAT-PATH ${N.b.replaceAll('.', '\\.')}:\\d+ -> ${N.natA.replaceAll('.', '\\.')}:\\d+ \\(the peer's srflx candidate, nominated\\)`));
  });

  it('RFC 9028 §4.1 · each host learns its server-reflexive address from REG_FROM: its NAT\'s public address and mapped port', () => {
    for (const [h, nat] of [
      ['A', N.natA],
      ['B', N.natB],
    ] as const) {
      const m = new RegExp(`${h} +\\*\\* SERVER-REFLEXIVE ${nat.replaceAll('.', '\\.')}:(\\d+) \\(REG_FROM of CRS\\)`).exec(out);
      expect(m, `${h}\n${out}`).not.toBeNull();
      // The R2 that granted RELAY_UDP_HIP carried that REG_FROM, to that very NAT mapping.
      const r2 = cap.find((c) => c.kind === 'R2' && c.src === N.crs && c.dst === nat && has(c, 'REG_FROM'))!;
      expect(r2, h).toBeDefined();
      const from = r2.packet!.params.find((p) => p.kind === 'REG_FROM')!;
      expect(from.kind === 'REG_FROM' && formatLocator(from.address)).toBe(nat);
      expect(from.kind === 'REG_FROM' && from.port).toBe(Number(m![1]));
      expect(r2.dport).toBe(Number(m![1]));
    }
  });

  it('RFC 9028 §4.5 Figure 4 · I1, R1, I2 and R2 of A and B each cross the relay: RELAY_FROM toward B, RELAY_TO from B', () => {
    const aToB = (c: Captured): boolean => c.packet !== undefined && c.packet.senderHit.some((x) => x !== 0);
    for (const kind of ['I1', 'I2']) {
      const toB = cap.filter((c) => c.kind === kind && c.src === N.crs && c.dst === N.natB && has(c, 'RELAY_FROM') && has(c, 'RELAY_HMAC'));
      expect(toB.length, kind).toBeGreaterThanOrEqual(1);
      expect(toB.every(aToB)).toBe(true);
    }
    for (const kind of ['R1', 'R2']) {
      // From B (private side) to the relay with RELAY_TO and RELAY_HMAC; from the relay to A's
      // NAT with RELAY_TO and without the RELAY_HMAC (it was for the relay).
      expect(cap.filter((c) => c.kind === kind && c.src === N.b && c.dst === N.crs && has(c, 'RELAY_TO') && has(c, 'RELAY_HMAC')).length, kind).toBeGreaterThanOrEqual(1);
      expect(cap.filter((c) => c.kind === kind && c.src === N.crs && c.dst === N.natA && has(c, 'RELAY_TO') && !has(c, 'RELAY_HMAC')).length, kind).toBeGreaterThanOrEqual(1);
    }
  });

  it('data flows NAT to NAT, never through the relay, and again after the rebinding', () => {
    expect(out).toMatch(/DATA from A .*"hello B, A here \(through the NATs\)"/);
    expect(out).toMatch(/DATA from B .*"hello A, B here \(through the NATs\)"/);
    expect(out).toMatch(/DATA from B .*"hello A, B here \(after the rebinding\)"/);
    expect(out).toMatch(/DATA from A .*"hello B, A here \(after the rebinding\)"/);
    const esp = cap.filter((c) => c.kind === 'ESP');
    expect(esp.length).toBeGreaterThan(0);
    expect(esp.filter((c) => c.src === N.crs || c.dst === N.crs)).toEqual([]);
  });

  it('RFC 9028 §4.8 · after the rebinding B\'s packets leave NATb from a new external port, and A answers to it', () => {
    const rebind = out.split('\n').findIndex((l) => /NAT NATb rebinds/.test(l));
    expect(rebind).toBeGreaterThan(0);
    const fromB = cap.filter((c) => c.src === N.natB && c.dst === N.natA).map((c) => c.sport);
    const ports = [...new Set(fromB)];
    expect(ports.length).toBeGreaterThanOrEqual(2);
    const last = fromB.at(-1)!;
    expect(cap.some((c) => c.src === N.natA && c.dst === N.natB && c.dport === last && c.kind === 'ESP')).toBe(true);
  });

  it('the pcap holds the packets as seen on each side of the NATs: private source inside, NAT address and mapped port outside', () => {
    const inside = cap.filter((c) => c.src === N.a && c.dst === N.crs && c.kind === 'I1');
    const outside = cap.filter((c) => c.src === N.natA && c.dst === N.crs && c.kind === 'I1');
    expect(inside.length).toBeGreaterThanOrEqual(1);
    expect(outside.length).toBe(inside.length);
    expect(inside.every((c) => c.sport === 10500)).toBe(true);
    // Inbound too: the relay's R1 to A's NAT, then to A's private address and port.
    expect(cap.some((c) => c.kind === 'R1' && c.src === N.crs && c.dst === N.natA)).toBe(true);
    expect(cap.some((c) => c.kind === 'R1' && c.src === N.crs && c.dst === N.a && c.dport === 10500)).toBe(true);
    // Every HIP packet decoded (readCapture asserts it); the capture is not only ESP.
    expect(cap.filter((c) => c.packet !== undefined).length).toBeGreaterThan(20);
  });

  it('closes: CLOSE and CLOSE_ACK, both ends report closed', () => {
    expect(cap.some((c) => c.kind === 'CLOSE')).toBe(true);
    expect(cap.some((c) => c.kind === 'CLOSE_ACK')).toBe(true);
    expect(out).toMatch(/A +\*\* CLOSED/);
    expect(out).toMatch(/B +\*\* CLOSED/);
  });

  it('--trace: every timeline line, NAT translations and the server-reflexive event included, is valid against docs/demo-trace.schema.json', () => {
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(new URL('../../docs/demo-trace.schema.json', import.meta.url), 'utf8')) as object);
    const records = trace.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const rec of records) expect(validate(rec), `${JSON.stringify(rec)}: ${JSON.stringify(validate.errors)}`).toBe(true);
    expect(records.some((r) => r['host'] === 'NATa' && r['nat'] === 'out' && r['new'] === true)).toBe(true);
    const srflx = records.filter((r) => r['kind'] === 'server-reflexive');
    expect(srflx.map((r) => r['address']).sort()).toEqual([N.natB, N.natA].sort());
  });

  it('the same seed gives the same output, trace and pcap bytes', async () => {
    const files = { pcap: join(tmp, 'nat2.pcap'), trace: join(tmp, 'nat2.jsonl') };
    const again = await demo(['--pcap', files.pcap, '--trace', files.trace]);
    // The summary's wall-clock time is the one thing that differs between runs.
    const strip = (s: string): string => s.replace(/\(\d+ ms of real time\)/, '').replace(/nat2?\.(pcap|jsonl)/g, 'F');
    expect(strip(unwrap(again.out))).toBe(strip(out));
    expect(readFileSync(files.trace, 'utf8')).toBe(trace);
    expect(readFileSync(files.pcap)).toEqual(readFileSync(join(tmp, 'nat.pcap')));
  }, 60_000);
});
