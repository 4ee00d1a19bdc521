// `hip-engine demo` (default scenario: multihoming) in-process. The story is checked from what a
// person would look at: the pcap (every HIP packet decoded with its real checksum, ESP outer
// addresses), the timeline and the summary. One base exchange; UPDATEs with LOCATOR_SET; a new
// SA pair (ESP_INFO with OLD SPI 0) and address checks (ECHO_REQUEST); ESP over several paths;
// nothing over the wlan path while it is down; failover, recovery and mobility without a second
// base exchange.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { main } from '../../src/cli/node/main.js';
import { unwrap } from './unwrap.js';
import { MULTIHOMING as M } from '../../src/cli/node/scenario-multihoming.js';
import { readPcap } from '../../src/testing/pcap.js';
import { decodePacket } from '../../src/wire/packet.js';
import type { HipPacket } from '../../src/wire/types.js';

const tmp = mkdtempSync(join(tmpdir(), 'hip-demo-mh-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Captured = { readonly t: number; readonly src: string; readonly dst: string; readonly proto: 'HIP' | 'ESP'; readonly kind: string; readonly packet?: HipPacket };

/** Every record of the (IPv6, LINKTYPE_RAW) pcap, HIP decoded with its checksum checked. */
function readCapture(file: string): Captured[] {
  const res = readPcap(new Uint8Array(readFileSync(file)));
  expect(res.ok).toBe(true);
  if (!res.ok) return [];
  expect(res.value.linktype).toBe(101);
  return res.value.records.map((rec) => {
    const b = rec.bytes;
    expect(b[0]! >> 4).toBe(6);
    const src = b.slice(8, 24);
    const dst = b.slice(24, 40);
    const base = { t: rec.timeMs, src: formatLocator(src), dst: formatLocator(dst) };
    if (b[6] === 139) {
      const d = decodePacket(b.subarray(40), { src, dst, verifyChecksum: true });
      expect(d.ok, d.ok ? '' : JSON.stringify(d.error)).toBe(true);
      if (!d.ok) return { ...base, proto: 'HIP' as const, kind: '?' };
      return { ...base, proto: 'HIP' as const, kind: d.packet.kind, packet: d.packet };
    }
    expect(b[6]).toBe(50);
    return { ...base, proto: 'ESP' as const, kind: 'ESP' };
  });
}

const has = (c: Captured, kind: string): boolean => c.packet?.params.some((p) => p.kind === kind) ?? false;
const path = (c: Captured): string => `${c.src}>${c.dst}`;

describe('hip-engine demo: the multihoming story (default scenario)', () => {
  let out = '';
  let err = '';
  let code = -1;
  let cap: Captured[] = [];
  let trace: Record<string, unknown>[] = [];
  let diagram = '';

  beforeAll(async () => {
    const files = { pcap: join(tmp, 'mh.pcap'), trace: join(tmp, 'mh.jsonl'), diagram: join(tmp, 'mh.mmd') };
    code = await main(['demo', '--pcap', files.pcap, '--trace', files.trace, '--diagram', files.diagram], {
      out: (l) => (out += `${l}\n`),
      err: (l) => (err += `${l}\n`),
    });
    cap = readCapture(files.pcap);
    trace = readFileSync(files.trace, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    diagram = readFileSync(files.diagram, 'utf8');
    // Entries longer than 100 columns continue on indented lines; the checks read them joined.
    expect(out.split('\n').filter((l) => l.length > 100)).toEqual([]);
    out = unwrap(out);
  });

  it('exits 0 with the multihoming scenario as the default', () => {
    expect(code, out + err).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^hip-engine demo: scenario multihoming /m);
    expect(out).toMatch(/^RESULT: OK$/m);
  });

  it('captures exactly one base exchange, then only UPDATEs until CLOSE / CLOSE_ACK', () => {
    const hip = cap.filter((c) => c.proto === 'HIP').map((c) => c.kind);
    for (const k of ['I1', 'R1', 'I2', 'R2', 'CLOSE', 'CLOSE_ACK']) expect(hip.filter((x) => x === k), k).toHaveLength(1);
    expect(hip.slice(0, 4)).toEqual(['I1', 'R1', 'I2', 'R2']);
    expect(hip.slice(-2)).toEqual(['CLOSE', 'CLOSE_ACK']);
    expect(hip.slice(4, -2).every((k) => k === 'UPDATE')).toBe(true);
    // The base exchange runs over wlan.
    const i1 = cap.find((c) => c.kind === 'I1')!;
    expect([i1.src, i1.dst]).toEqual([M.wlan, M.b]);
  });

  it('captures the multihoming UPDATEs: LOCATOR_SETs, new SA pairs (OLD SPI 0) and address checks', () => {
    const updates = cap.filter((c) => c.kind === 'UPDATE');
    const withLocators = updates.filter((c) => has(c, 'LOCATOR_SET'));
    // lte announced, two SA pairs, wlan withdrawn, wlan back, lte moved: all from A.
    expect(withLocators.length).toBeGreaterThanOrEqual(6);
    expect(withLocators.every((c) => c.dst === M.b)).toBe(true);
    const addresses = (c: Captured): string[] => {
      const ls = c.packet!.params.find((p) => p.kind === 'LOCATOR_SET');
      return ls?.kind === 'LOCATOR_SET' ? ls.locators.map((l) => formatLocator((l as { address: Uint8Array }).address)) : [];
    };
    expect(withLocators.map(addresses)).toContainEqual([M.wlan, M.lte]);
    expect(withLocators.map(addresses)).toContainEqual([M.lte]);
    expect(withLocators.map(addresses)).toContainEqual([M.lteMoved, M.wlan]);
    // New SA pairs (RFC 8047 §4.2.4): ESP_INFO with OLD SPI 0, sent from the locator it binds.
    const newSa = updates.filter((c) => c.packet!.params.some((p) => p.kind === 'ESP_INFO' && p.oldSpi === 0 && p.newSpi !== 0));
    expect(newSa.length).toBe(4); // two requests (lte, then wlan) and their answers
    expect(newSa.filter((c) => c.dst === M.b).map((c) => c.src)).toEqual([M.lte, M.wlan]);
    // B checks every new address with ECHO_REQUEST; A answers with ECHO_RESPONSE.
    const checks = updates.filter((c) => has(c, 'ECHO_REQUEST_SIGNED'));
    expect(checks.map((c) => c.dst)).toEqual(expect.arrayContaining([M.lte, M.wlan, M.lteMoved]));
    expect(updates.filter((c) => has(c, 'ECHO_RESPONSE_SIGNED')).length).toBeGreaterThanOrEqual(3);
  });

  it('captures ESP over several paths, and none over wlan while it is down', () => {
    const esp = cap.filter((c) => c.proto === 'ESP');
    const paths = new Set(esp.map(path));
    for (const p of [`${M.wlan}>${M.b}`, `${M.b}>${M.wlan}`, `${M.lte}>${M.b}`, `${M.b}>${M.lte}`, `${M.lteMoved}>${M.b}`, `${M.b}>${M.lteMoved}`]) {
      expect(paths, p).toContain(p);
    }
    const [down, up] = M.wlanDown;
    const onWlan = (c: Captured): boolean => c.src === M.wlan || c.dst === M.wlan;
    expect(esp.filter((c) => c.t >= down && c.t < up && onWlan(c))).toEqual([]);
    // ESP keeps flowing over lte during the outage, and over wlan again once it is back.
    expect(esp.filter((c) => c.t >= down && c.t < up && (c.src === M.lte || c.dst === M.lte)).length).toBeGreaterThan(8);
    expect(esp.filter((c) => c.t >= up && onWlan(c)).length).toBeGreaterThan(0);
    // No ESP before R2 or after CLOSE.
    const kinds = cap.map((c) => c.kind);
    expect(kinds.slice(0, kinds.indexOf('R2'))).not.toContain('ESP');
    expect(kinds.slice(kinds.indexOf('CLOSE'))).not.toContain('ESP');
  });

  it('sends nothing on the wlan path once the failure is signalled, until it is back', () => {
    // In the trace (what the hosts tried to send, not only what arrived): packets sent into the
    // dead link before anyone noticed are lost; after pathFailed (B) and setLocalLocators (A) no
    // ESP is sent to or from the wlan address while the link is down.
    const signalled = trace.find((r) => r['kind'] === 'path-failed');
    expect(signalled?.['host']).toBe('B');
    const withdrawn = trace.find((r) => r['kind'] === 'locators' && r['host'] === 'A' && JSON.stringify(r['locators']) === JSON.stringify([M.lte]));
    expect(withdrawn).toBeDefined();
    const after = Math.max(Number(signalled!['t']), Number(withdrawn!['t']));
    const sends = trace.filter((r) => r['dir'] === 'send' && r['kind'] === 'ESP');
    const wlanSends = sends.filter((r) => r['src'] === M.wlan || r['dst'] === M.wlan);
    expect(wlanSends.filter((r) => Number(r['t']) >= after && Number(r['t']) < M.wlanDown[1])).toEqual([]);
    // Those sent into the outage before it was noticed were lost on the link and re-sent over lte.
    expect(trace.filter((r) => r['dir'] === 'drop' && r['kind'] === 'ESP' && r['reason'] === 'down').length).toBeGreaterThan(0);
    expect(trace.filter((r) => r['kind'] === 'app-retry').length).toBeGreaterThan(0);
    expect(trace.filter((r) => r['kind'] === 'app-gave-up')).toEqual([]);
  });

  it('prints the acts, the locator table changes on B and the SA moves', () => {
    for (let n = 1; n <= 9; n++) expect(out).toMatch(new RegExp(`^ +[\\d.]+  === ${n}\\. `, 'm'));
    expect(out).toMatch(/=== 6\. The wlan link fails/);
    const loc = (address: string, change: string): RegExp => new RegExp(`  B     LOC    peer A locator ${address.replace(/[.:]/g, '\\$&')}: ${change}`);
    expect(out).toMatch(loc(M.lte, 'new, UNVERIFIED'));
    expect(out).toMatch(loc(M.lte, 'UNVERIFIED -> ACTIVE'));
    expect(out).toMatch(loc(M.wlan, 'ACTIVE -> UNVERIFIED'));
    expect(out).toMatch(loc(M.wlan, 'UNVERIFIED -> DEPRECATED'));
    expect(out).toMatch(loc(M.wlan, 'DEPRECATED -> UNVERIFIED'));
    expect(out).toMatch(loc(M.lteMoved, 'UNVERIFIED -> ACTIVE'));
    expect(out).toMatch(loc(M.lte, 'ACTIVE -> DEPRECATED'));
    expect(out).toMatch(/engine\.addSaPair/);
    expect(out).toMatch(/B signals that the path to A at 2001:db8:1::a is dead \(engine\.pathFailed\)/);
    expect(out).toMatch(/A asks B for a new SA pair bound to its locator 2001:db8:2::a \(engine\.addSaPair\)/);
    expect(out).toMatch(/SA update out spi=0x[0-9a-f]{8} {2}now 2001:db8::b -> 2001:db8:2::a/);
    // Failover: the SA bound to the dead wlan address moves to lte at once (RFC 8047 §4.2.3).
    expect(out).toMatch(/engine\.pathFailed\)\n.*ACTIVE -> UNVERIFIED.*\n.*SA update in .*\n.*SA update out spi=0x[0-9a-f]{8} {2}now 2001:db8::b -> 2001:db8:2::a/);
    // Mobility: while the new lte address is checked B uses A's ACTIVE wlan address, then the
    // moved address (RFC 8046 §5.4: an ACTIVE locator is used while verification is under way).
    expect(out).toMatch(/UNVERIFIED -> ACTIVE  \(type 1, spi=0x[0-9a-f]{8}, preferred\)\n.*SA update in .*\n.*SA update out spi=0x[0-9a-f]{8} {2}now 2001:db8::b -> 2001:db8:3::a/);
    expect(out).toMatch(/-> UPDATE .*ESP_INFO\(old=0x00000000 new=0x[0-9a-f]{8}\) LOCATOR_SET\(/);
    expect(out).toMatch(/ESP counters per path \(data plane\): 2001:db8:1::a -> 2001:db8::b \d+ sent/);
    expect(out).toMatch(/DATA from A via 2001:db8:3::a -> 2001:db8::b: "/);
    expect(out).not.toMatch(/note: with this seed/); // the default seed spreads the flows over every path
  });

  it('summarises the data per path and per SA, with exactly one base exchange', () => {
    expect(out).toMatch(/^Summary: scenario multihoming, seed 7,/m);
    expect(out).toMatch(/^ {2}base exchanges: 1$/m);
    const perPath = (from: string, to: string, src: string, dst: string): RegExp =>
      new RegExp(`^ {5}${from} -> ${to} via ${src} -> ${dst}: [1-9]\\d* messages?, \\d+ bytes, on \\d SAs?$`, 'm');
    for (const a of [M.wlan, M.lte, M.lteMoved]) {
      expect(out).toMatch(perPath('A', 'B', a, M.b));
      expect(out).toMatch(perPath('B', 'A', M.b, a));
    }
    const perSa = out.match(/^ {5}[AB] -> [AB] on SA 0x[0-9a-f]{8}: [1-9]\d* messages?, \d+ bytes, via .+$/gm) ?? [];
    expect(perSa.filter((l) => l.includes('A -> B'))).toHaveLength(3);
    expect(perSa.filter((l) => l.includes('B -> A'))).toHaveLength(3);
    expect(out).toMatch(/links: \d+ packets submitted, [1-9]\d* lost \(down ×\d+\)/);
    expect(out).toMatch(/SAs still installed: 0/);
    // Every message of every flow arrived: 6 rounds x 4 flows each way.
    const delivered = trace.filter((r) => r['dir'] === 'recv' && r['kind'] === 'ESP' && typeof r['data'] === 'string');
    expect(new Set(delivered.map((r) => r['data'])).size).toBe(6 * M.flows.length * 2);
  });

  it('draws the acts and the paths in the Mermaid diagram', () => {
    expect(diagram.startsWith('sequenceDiagram\n')).toBe(true);
    expect(diagram).toContain('Note over A,B: 1. Base exchange over wlan');
    expect(diagram).toMatch(/A->>B: UPDATE ESP_INFO, LOCATOR_SET, SEQ \[2001:db8:2::a to 2001:db8::b\]/);
    expect(diagram).toMatch(/Note over B: pathFailed\(2001:db8:1::a\)/);
    expect(diagram).toMatch(/-xB: ESP seq=\d+ \[2001:db8:1::a to 2001:db8::b\] \(lost: down\)/);
  });

  it('is the same story with --redact, with no address left in the timeline', async () => {
    let text = '';
    const c = await main(['demo', '--redact', '--quiet'], { out: (l) => (text += `${l}\n`), err: (l) => (text += `${l}\n`) });
    expect(c).toBe(0);
    expect(text).toMatch(/A -> B via L\d -> L\d: /);
    let full = '';
    expect(await main(['demo', '--redact'], { out: (l) => (full += `${l}\n`), err: (l) => (full += `${l}\n`) })).toBe(0);
    expect(full).not.toMatch(/2001:db8/);
    expect(full).toMatch(/=== 8\. A's lte interface moves to L\d/);
  });
});
