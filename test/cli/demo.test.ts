// `hip-engine demo` in-process: the single-homed scenarios (basic, ipv4, lossy) run with real
// crypto and exit 0 with a summary (the default, multihoming, has demo-multihoming.test.ts); the
// basic scenario's pcap reads back and every HIP packet in it decodes (with its real HIP checksum)
// in the order I1, R1, I2, R2, UPDATE..., CLOSE, CLOSE_ACK, with ESP packets in between; the
// JSON-lines trace and the Mermaid diagram are written too.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/node/main.js';
import { unwrap } from './unwrap.js';
import { readSvgChart } from '../testing/svg-chart.js';
import { readPcap } from '../../src/testing/pcap.js';
import { decodePacket } from '../../src/wire/packet.js';

const tmp = mkdtempSync(join(tmpdir(), 'hip-demo-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * Runs the CLI in-process. `raw` is the output as printed; `out` joins the continuation lines of
 * entries longer than 100 columns (indented, not starting with a time) to their entry.
 */
async function run(args: string[]): Promise<{ code: number; out: string; raw: string; err: string }> {
  let raw = '';
  let err = '';
  const code = await main(args, { out: (l) => (raw += `${l}\n`), err: (l) => (err += `${l}\n`) });
  return { code, raw, out: unwrap(raw), err };
}


type Captured = { proto: 'HIP' | 'ESP'; kind: string; family: 'ipv4' | 'ipv6' };

/** Every record of a LINKTYPE_RAW pcap: IP header skipped, HIP decoded with its checksum checked. */
function readCapture(file: string): Captured[] {
  const res = readPcap(new Uint8Array(readFileSync(file)));
  expect(res.ok).toBe(true);
  if (!res.ok) return [];
  expect(res.value.linktype).toBe(101);
  const out: Captured[] = [];
  for (const rec of res.value.records) {
    const b = rec.bytes;
    const version = b[0]! >> 4;
    expect([4, 6]).toContain(version);
    const v4 = version === 4;
    const headerLen = v4 ? 20 : 40;
    const proto = v4 ? b[9]! : b[6]!;
    const src = new Uint8Array(16);
    const dst = new Uint8Array(16);
    if (v4) {
      src[10] = src[11] = dst[10] = dst[11] = 0xff;
      src.set(b.subarray(12, 16), 12);
      dst.set(b.subarray(16, 20), 12);
    } else {
      src.set(b.subarray(8, 24));
      dst.set(b.subarray(24, 40));
    }
    const payload = b.subarray(headerLen);
    if (proto === 139) {
      const d = decodePacket(payload, { src, dst, verifyChecksum: true });
      expect(d.ok, d.ok ? '' : JSON.stringify(d.error)).toBe(true);
      if (d.ok) out.push({ proto: 'HIP', kind: d.packet.kind, family: v4 ? 'ipv4' : 'ipv6' });
    } else {
      expect(proto).toBe(50);
      out.push({ proto: 'ESP', kind: 'ESP', family: v4 ? 'ipv4' : 'ipv6' });
    }
  }
  return out;
}

function expectStory(cap: readonly Captured[]): void {
  const hip = cap.filter((c) => c.proto === 'HIP').map((c) => c.kind);
  expect(hip.slice(0, 4)).toEqual(['I1', 'R1', 'I2', 'R2']);
  expect(hip.slice(-2)).toEqual(['CLOSE', 'CLOSE_ACK']);
  const middle = hip.slice(4, -2);
  expect(middle.length).toBeGreaterThanOrEqual(2);
  expect(middle.every((k) => k === 'UPDATE')).toBe(true);
  // ESP both before and after the rekey, none before R2 or after CLOSE.
  const kinds = cap.map((c) => c.kind);
  const firstUpdate = kinds.indexOf('UPDATE');
  const lastUpdate = kinds.lastIndexOf('UPDATE');
  expect(kinds.slice(kinds.indexOf('R2'), firstUpdate)).toContain('ESP');
  expect(kinds.slice(lastUpdate, kinds.indexOf('CLOSE'))).toContain('ESP');
  expect(kinds.slice(0, kinds.indexOf('R2'))).not.toContain('ESP');
  expect(kinds.slice(kinds.indexOf('CLOSE'))).not.toContain('ESP');
}

describe('hip-engine demo', () => {
  it('runs the basic scenario, prints a timeline and a summary, and writes pcap, trace and diagram', async () => {
    const pcap = join(tmp, 'basic.pcap');
    const trace = join(tmp, 'basic.jsonl');
    const diagram = join(tmp, 'basic.mmd');
    const r = await run(['demo', '--scenario', 'basic', '--pcap', pcap, '--trace', trace, '--diagram', diagram]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.err).toBe('');
    // The timeline: packets with locators, SA changes, data per path, events.
    expect(r.out).toMatch(/-> I1 +2001:db8::a -> 2001:db8::b/);
    expect(r.out).toMatch(/SA add +in +spi=0x[0-9a-f]{8}/);
    expect(r.out).toMatch(/DATA from A via 2001:db8::a -> 2001:db8::b: "hello B/);
    expect(r.out).toMatch(/DATA from B via 2001:db8::b -> 2001:db8::a: "hello A/);
    expect(r.out).toMatch(/\*\* ESTABLISHED with B as initiator/);
    expect(r.out).toMatch(/\*\* UPDATE completed \(rekey\)/);
    expect(r.out).toMatch(/\*\* CLOSED \(by local\)/);
    // The summary.
    expect(r.out).toMatch(/^Summary: scenario basic, seed 1/m);
    expect(r.out).toMatch(/A -> B via 2001:db8::a -> 2001:db8::b: 4 messages, \d+ bytes, on 2 SAs/);
    expect(r.out).toMatch(/B -> A via 2001:db8::b -> 2001:db8::a: 4 messages, \d+ bytes, on 2 SAs/);
    expect(r.out).toMatch(/^ {2}base exchanges: 1$/m);
    expect(r.out).toMatch(/A -> B on SA 0x[0-9a-f]{8}: 2 messages/);
    expect(r.out).toMatch(/SAs still installed: 0/);
    expect(r.out).toMatch(/^RESULT: OK$/m);

    const cap = readCapture(pcap);
    expectStory(cap);
    expect(cap.filter((c) => c.proto === 'ESP')).toHaveLength(8);
    expect(cap.every((c) => c.family === 'ipv6')).toBe(true);

    const records = readFileSync(trace, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.length).toBeGreaterThan(40);
    expect(records.every((x) => typeof x['t'] === 'number' && typeof x['host'] === 'string' && typeof x['dir'] === 'string')).toBe(true);
    expect(records.filter((x) => x['dir'] === 'recv' && x['kind'] === 'ESP' && typeof x['data'] === 'string')).toHaveLength(8);
    const text = JSON.stringify(records);
    expect(text).not.toMatch(/encKey|authKey|"key"/i);

    // The text output fits 100 columns: long lines continue under the text column.
    const wide = r.raw.split('\n').filter((l) => l.length > 100);
    expect(wide).toEqual([]);

    const mm = readFileSync(diagram, 'utf8');
    expect(mm.startsWith('sequenceDiagram\n')).toBe(true);
    // Mermaid does not wrap notes (a long one is clipped): every note line is broken with <br/>.
    const notes = mm.split('\n').filter((l) => l.includes('Note over'));
    expect(notes.length).toBeGreaterThan(5);
    for (const n of notes) for (const part of n.replace(/^\s*Note over [^:]+: /, '').split('<br/>')) expect(part.length, n).toBeLessThanOrEqual(90);
    expect(mm).toContain('A->>B: I1');
    expect(mm).toContain('B->>A: R1');
    expect(mm).toContain('B->>A: CLOSE_ACK');
    expect(mm).toMatch(/A-\)B: ESP seq=1 'hello B/);
  });

  it('is deterministic for a seed and decodes over IPv4 (20-byte headers) too', async () => {
    const p1 = join(tmp, 'v4-a.pcap');
    const p2 = join(tmp, 'v4-b.pcap');
    const r1 = await run(['demo', '--scenario', 'ipv4', '--seed', '9', '--pcap', p1, '--quiet']);
    const r2 = await run(['demo', '--scenario', 'ipv4', '--seed', '9', '--pcap', p2, '--quiet']);
    expect(r1.code, r1.out + r1.err).toBe(0);
    expect(r2.code).toBe(0);
    expect(r1.out).not.toMatch(/-> I1/); // --quiet: summary only
    expect(r1.out).toMatch(/Summary: scenario ipv4, seed 9/);
    expect(readFileSync(p1).equals(readFileSync(p2))).toBe(true);
    const cap = readCapture(p1);
    expectStory(cap);
    expect(cap.every((c) => c.family === 'ipv4')).toBe(true);
  });

  it('recovers from loss in the lossy scenario (retransmissions, application retries)', async () => {
    const pcap = join(tmp, 'lossy.pcap');
    const r = await run(['demo', '--scenario', 'lossy', '--pcap', pcap]);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/lost on the link/);
    expect(r.out).toMatch(/links: \d+ packets submitted, [1-9]\d* lost/);
    expect(r.out).toMatch(/^RESULT: OK$/m);
    // Retransmissions interleave, but every step of the story is in the capture, in order.
    const kinds = readCapture(pcap).map((c) => c.kind);
    const order = ['I1', 'R1', 'I2', 'R2', 'ESP', 'UPDATE', 'ESP', 'CLOSE', 'CLOSE_ACK'];
    let at = -1;
    for (const k of order) {
      const next = kinds.indexOf(k, at + 1);
      expect(next, `${k} after index ${at} in ${kinds.join(' ')}`).toBeGreaterThan(at);
      at = next;
    }
    expect(kinds.at(-1)).toBe('CLOSE_ACK');
  });

  it('--plot draws each path of the multihoming story with the link failure, verification and SA moves marked (RFC 8046 §5.4, RFC 8047 §4.2.3)', async () => {
    const svg = join(tmp, 'demo.svg');
    const r = await run(['demo', '-q', '--plot', svg]);
    expect(r.code, r.out + r.err).toBe(0);
    const m = /plot: (\d+) paths and (\d+) marked events drawn to /.exec(r.out);
    expect(m).not.toBeNull();
    const text = readFileSync(svg, 'utf8');
    expect(text.startsWith('<svg')).toBe(true);
    const chart = readSvgChart(text);
    expect(chart.lines.length).toBe(Number(m![1]));
    expect([...chart.marks.values()].reduce((a, b) => a + b, 0)).toBe(Number(m![2]));
    // Data reached B over wlan (2001:db8:1::a) and over lte (2001:db8:2::a).
    const legend = chart.legend.map((l) => l.name);
    expect(legend).toContain('to B via 2001:db8:1::a → 2001:db8::b');
    expect(legend).toContain('to B via 2001:db8:2::a → 2001:db8::b');
    for (const kind of ['link down', 'link up', 'UPDATE sent', 'address verified', 'SA added', 'failover (SA moved)']) {
      expect(legend, kind).toContain(kind);
      expect(chart.marks.get(kind), kind).toBeGreaterThan(0);
    }
    expect(chart.texts).toContain('wlan down');
    expect(chart.texts).toContain('hip-engine demo: multihoming, seed 7');
    // Same seed, same bytes: test/testing/plot-svg.test.ts.
  });

  it.each(['basic', 'multihoming', 'rendezvous', 'ipv4', 'lossy'])('--trace (%s): every timeline line is valid against docs/demo-trace.schema.json', async (scenario) => {
    const file = join(tmp, `timeline-${scenario}.jsonl`);
    const r = await run(['demo', '-q', '--scenario', scenario, '--trace', file]);
    expect(r.code, r.out + r.err).toBe(0);
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(new URL('../../docs/demo-trace.schema.json', import.meta.url), 'utf8')) as object);
    const records = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    for (const rec of records) expect(validate(rec), `${JSON.stringify(rec)}: ${JSON.stringify(validate.errors)}`).toBe(true);
    // Every kind of entry is there, and an SA entry keeps dir "sa" with its own direction.
    expect(new Set(records.map((x) => x['dir']))).toEqual(new Set(['note', 'send', 'recv', 'sa', 'locator', 'event', ...(scenario === 'lossy' || scenario === 'multihoming' || scenario === 'rendezvous' ? ['drop'] : [])]));
    const sas = records.filter((x) => x['dir'] === 'sa');
    expect(new Set(sas.map((x) => x['direction']))).toEqual(new Set(['in', 'out']));
    expect(sas.every((x) => typeof x['spi'] === 'string' && typeof x['src'] === 'string')).toBe(true);
  }, 60_000);

  it('--engine-trace writes every engine\'s own trace, tagged with the host, valid against docs/engine-trace.schema.json', async () => {
    const file = join(tmp, 'engine.jsonl');
    const r = await run(['demo', '-q', '--scenario', 'basic', '--engine-trace', file]);
    expect(r.code, r.out + r.err).toBe(0);
    const validate = new Ajv({ strict: true, allowUnionTypes: true }).compile(JSON.parse(readFileSync(new URL('../../docs/engine-trace.schema.json', import.meta.url), 'utf8')) as object);
    const records = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { host: string; type: string; kind?: string; to?: string; trigger?: string });
    for (const rec of records) expect(validate(rec), JSON.stringify(validate.errors)).toBe(true);
    const out = (host: string) => records.filter((x) => x.host === host && x.type === 'packet-out').map((x) => x.kind);
    expect(out('A').slice(0, 2)).toEqual(['I1', 'I2']);
    expect(out('B').slice(0, 2)).toEqual(['R1', 'R2']);
    // B leaves R2-SENT on A's first ESP packet (RFC 7401 §4.4.3 Table 5: "Receive data").
    expect(records.filter((x) => x.host === 'B' && x.type === 'state' && x.to === 'ESTABLISHED').map((x) => x.trigger)).toEqual(['recv-data']);
    expect(JSON.stringify(records)).not.toMatch(/encKey|authKey/);
  });

  it('exits 2 on bad arguments and 0 on --help', async () => {
    expect((await run(['demo', '--scenario', 'nope'])).code).toBe(2);
    expect((await run(['demo', '--pcap'])).code).toBe(2);
    expect((await run(['demo', '--seed', 'x'])).code).toBe(2);
    const h = await run(['demo', '--help']);
    expect(h.code).toBe(0);
    expect(h.out).toMatch(/--pcap FILE/);
    expect(h.out).toMatch(/--plot FILE\.svg/);
    expect(h.out).toMatch(/multihoming, rendezvous, nat, basic, ipv4, lossy \(default multihoming\)/);
  });
});
