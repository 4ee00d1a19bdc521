// `hip-engine demo --scenario rendezvous` in-process: registration with the RVS (RFC 8003 in the
// base exchange, RFC 8004 §3.2), first contact through it (RFC 8004 Figure 2), both hosts moving
// at once and recovering through the RVS (RFC 8046 §3.2.3). Checked from the pcap (every HIP
// packet decoded with its checksum verified), the timeline and the diagram.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatLocator } from '../../src/addr/locator.js';
import { main } from '../../src/cli/node/main.js';
import { RENDEZVOUS as R } from '../../src/cli/node/scenario-rendezvous.js';
import { readPcap } from '../../src/testing/pcap.js';
import { decodePacket } from '../../src/wire/packet.js';
import type { HipPacket } from '../../src/wire/types.js';
import { unwrap } from './unwrap.js';

const tmp = mkdtempSync(join(tmpdir(), 'hip-demo-rvs-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

type Captured = { readonly src: string; readonly dst: string; readonly kind: string; readonly packet?: HipPacket };

function readCapture(file: string): Captured[] {
  const res = readPcap(new Uint8Array(readFileSync(file)));
  expect(res.ok).toBe(true);
  if (!res.ok) return [];
  return res.value.records.map((rec) => {
    const b = rec.bytes;
    const src = b.slice(8, 24);
    const dst = b.slice(24, 40);
    const base = { src: formatLocator(src), dst: formatLocator(dst) };
    if (b[6] !== 139) return { ...base, kind: 'ESP' };
    const d = decodePacket(b.subarray(40), { src, dst, verifyChecksum: true });
    expect(d.ok, d.ok ? '' : JSON.stringify(d.error)).toBe(true);
    return d.ok ? { ...base, kind: d.packet.kind, packet: d.packet } : { ...base, kind: '?' };
  });
}

const has = (c: Captured, kind: string): boolean => c.packet?.params.some((p) => p.kind === kind) ?? false;

describe('hip-engine demo --scenario rendezvous', () => {
  let out = '';
  let err = '';
  let code = -1;
  let cap: Captured[] = [];
  let diagram = '';

  beforeAll(async () => {
    const files = { pcap: join(tmp, 'rvs.pcap'), trace: join(tmp, 'rvs.jsonl'), diagram: join(tmp, 'rvs.mmd') };
    code = await main(['demo', '--scenario', 'rendezvous', '--pcap', files.pcap, '--trace', files.trace, '--diagram', files.diagram], {
      out: (l) => (out += `${l}\n`),
      err: (l) => (err += `${l}\n`),
    });
    cap = readCapture(files.pcap);
    diagram = readFileSync(files.diagram, 'utf8');
    expect(readFileSync(files.trace, 'utf8').length).toBeGreaterThan(0);
    expect(out.split('\n').filter((l) => l.length > 100)).toEqual([]);
    out = unwrap(out);
  });

  it('exits 0 and ends RESULT: OK', () => {
    expect(code, out + err).toBe(0);
    expect(err).toBe('');
    expect(out).toMatch(/^hip-engine demo: scenario rendezvous /m);
    expect(out).toMatch(/^RESULT: OK$/m);
  });

  it('RFC 8004 §3.2 · both clients register: R1 with REG_INFO, I2 with REG_REQUEST, R2 with REG_RESPONSE', () => {
    const toRvs = (c: Captured): boolean => c.dst === R.rvs;
    expect(cap.filter((c) => c.kind === 'R1' && c.src === R.rvs && has(c, 'REG_INFO'))).toHaveLength(2);
    expect(cap.filter((c) => c.kind === 'I2' && toRvs(c) && has(c, 'REG_REQUEST'))).toHaveLength(2);
    expect(cap.filter((c) => c.kind === 'R2' && c.src === R.rvs && has(c, 'REG_RESPONSE'))).toHaveLength(2);
    expect(out).toMatch(/REGISTERED types 1/);
  });

  it('RFC 8004 §3.3 Figure 2 · I1 to the RVS, relayed with FROM and RVS_HMAC, R1 direct with VIA_RVS, then I2 and R2 direct', () => {
    const i1s = cap.filter((c) => c.kind === 'I1' && !(c.dst === R.rvs && c.packet!.receiverHit.every((x) => x === 0)));
    const relayed = cap.filter((c) => c.kind === 'I1' && c.src === R.rvs);
    expect(relayed).toHaveLength(1);
    expect(relayed[0]!.dst).toBe(R.b);
    expect(relayed[0]!.packet!.params.slice(-2).map((p) => p.kind)).toEqual(['FROM', 'RVS_HMAC']);
    const r1 = cap.find((c) => c.kind === 'R1' && has(c, 'VIA_RVS'))!;
    expect([r1.src, r1.dst]).toEqual([R.b, R.a]);
    expect(cap.some((c) => c.kind === 'I2' && c.src === R.a && c.dst === R.b)).toBe(true);
    expect(i1s.length).toBe(4); // two registrations, the I1 to the RVS and its relayed copy
  });

  it('RFC 8046 §3.2.3 · the double jump: UPDATEs relayed by the RVS to the new addresses, replies direct with VIA_RVS, no new base exchange', () => {
    const relayed = cap.filter((c) => c.kind === 'UPDATE' && c.src === R.rvs && has(c, 'FROM'));
    expect(relayed.map((c) => c.dst)).toEqual(expect.arrayContaining([R.aMoved, R.bMoved]));
    const replies = cap.filter((c) => c.kind === 'UPDATE' && has(c, 'VIA_RVS'));
    expect(replies.length).toBeGreaterThan(0);
    for (const c of replies) expect(has(c, 'ACK')).toBe(true);
    expect(cap.filter((c) => c.kind === 'I1')).toHaveLength(4);
    // ESP on the new addresses after the jump.
    expect(cap.some((c) => c.kind === 'ESP' && c.src === R.aMoved && c.dst === R.bMoved)).toBe(true);
    expect(cap.some((c) => c.kind === 'ESP' && c.src === R.bMoved && c.dst === R.aMoved)).toBe(true);
  });

  it('writes a Mermaid sequence diagram with the three hosts', () => {
    expect(diagram).toMatch(/sequenceDiagram/);
    for (const h of ['A', 'B', 'RVS']) expect(diagram).toContain(h);
  });
});
