// The opt-in engine trace (EngineOptions.trace): every record validates against
// docs/engine-trace.schema.json (checked with Ajv, an independent JSON Schema validator), records
// follow the protocol (RFC 7401 §4.1 base exchange, §4.4.3 state tables), and none carries key
// material.
import { Ajv } from 'ajv';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toHex } from '../../src/util/bytes.js';
import type { EngineTraceRecord } from '../../src/engine/trace.js';
import { LOC_A, LOC_B, Pair } from './pair.js';

const schema = JSON.parse(readFileSync(new URL('../../docs/engine-trace.schema.json', import.meta.url), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);

function tracedPair(): { p: Pair; a: EngineTraceRecord[]; b: EngineTraceRecord[] } {
  const a: EngineTraceRecord[] = [];
  const b: EngineTraceRecord[] = [];
  const p = new Pair({ extraA: { trace: (r) => a.push(r) }, extraB: { trace: (r) => b.push(r) } });
  return { p, a, b };
}

function expectValid(records: readonly EngineTraceRecord[]): void {
  for (const r of records) {
    const ok = validate(JSON.parse(JSON.stringify(r)));
    expect(ok, `${JSON.stringify(r)}\n${JSON.stringify(validate.errors)}`).toBe(true);
  }
}

describe('engine trace (EngineOptions.trace)', () => {
  it('a base exchange and a close: packets with parameters, states, SAs, timers, all valid against the schema', () => {
    const { p, a, b } = tracedPair();
    const id = p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED' && p.state('b') === 'ESTABLISHED');
    p.engine('a').close(id, p.now);
    p.runUntil(() => p.events('b').some((e) => e.type === 'closed'));
    expectValid(a);
    expectValid(b);
    expect(a.length).toBeGreaterThan(10);

    // The Initiator's packets, in order (RFC 7401 §4.1: I1, R1, I2, R2).
    const packets = (rs: EngineTraceRecord[]) => rs.flatMap((r) => (r.type === 'packet-in' || r.type === 'packet-out' ? [`${r.type === 'packet-in' ? '<' : '>'}${r.kind}`] : []));
    expect(packets(a).slice(0, 4)).toEqual(['>I1', '<R1', '>I2', '<R2']);
    expect(packets(b).slice(0, 4)).toEqual(['<I1', '>R1', '<I2', '>R2']);
    // Parameters with their scalar fields: the R1 carries a PUZZLE with its K, the I2 an ESP_INFO.
    const r1 = a.find((r) => r.type === 'packet-in' && r.kind === 'R1');
    expect(r1?.type === 'packet-in' && r1.params.find((x) => x.kind === 'PUZZLE')).toMatchObject({ kind: 'PUZZLE', k: expect.any(Number) });
    const i2 = a.find((r) => r.type === 'packet-out' && r.kind === 'I2');
    expect(i2?.type === 'packet-out' && i2.params.find((x) => x.kind === 'ESP_INFO')).toMatchObject({ kind: 'ESP_INFO', oldSpi: 0, newSpi: expect.any(Number) });
    expect(i2?.type === 'packet-out' && i2.src).toBe('2001:db8::a');

    // State transitions of Tables 2-5: the Initiator I1-SENT → I2-SENT → ESTABLISHED.
    const states = (rs: EngineTraceRecord[]) => rs.flatMap((r) => (r.type === 'state' ? [`${r.from}>${r.to}${r.trigger ? `:${r.trigger}` : ''}`] : []));
    expect(states(a).slice(0, 3)).toEqual(['UNASSOCIATED>I1_SENT', 'I1_SENT>I2_SENT:recv-R1', 'I2_SENT>ESTABLISHED:recv-R2']);
    // The Responder enters R2-SENT on I2 and, with no data plane reporting ESP here, reaches
    // ESTABLISHED on the Exchange Complete timeout (Table 5), which the trace shows as a timer.
    expect(states(b).slice(0, 2)).toEqual(['UNASSOCIATED>R2_SENT', 'R2_SENT>ESTABLISHED:exchange-complete-timeout']);
    const ec = b.findIndex((r) => r.type === 'timer' && r.timer === 'R2_SENT_EXPIRE');
    expect(ec).toBeGreaterThan(0);
    expect(b[ec + 1]).toMatchObject({ type: 'state', from: 'R2_SENT', to: 'ESTABLISHED' });

    // SA outputs: the Responder's inbound SA comes before its R2 (RFC 7402 §6.6 ordering).
    const bSaIn = b.findIndex((r) => r.type === 'sa' && r.op === 'add' && r.direction === 'in');
    const bR2 = b.findIndex((r) => r.type === 'packet-out' && r.kind === 'R2');
    expect(bSaIn).toBeGreaterThanOrEqual(0);
    expect(bSaIn).toBeLessThan(bR2);
    expect(a.some((r) => r.type === 'event' && r.event === 'established' && r.detail === 'initiator')).toBe(true);
    expect(b.some((r) => r.type === 'event' && r.event === 'closed')).toBe(true);
    expect(b.some((r) => r.type === 'sa' && r.op === 'delete')).toBe(true);
  });

  it('never carries key material: no SA key and no KEYMAT bytes appear anywhere in the trace', () => {
    const { p, a, b } = tracedPair();
    p.connect('a');
    p.runUntil(() => p.state('a') === 'ESTABLISHED');
    const keys = [...p.out.a, ...p.out.b].flatMap((o) => (o.kind === 'sa' && o.op === 'add' ? [o.sa.encKey, o.sa.authKey] : [])).filter((k) => k.length > 0);
    expect(keys.length).toBeGreaterThanOrEqual(4);
    const text = JSON.stringify([...a, ...b]).toLowerCase();
    for (const k of keys) expect(text).not.toContain(toHex(k).slice(0, 16));
    for (const r of [...a, ...b]) if (r.type === 'sa') expect(Object.keys(r)).not.toContain('encKey');
  });

  it('drops are traced with their reason code', () => {
    const { p, b } = tracedPair();
    p.engine('b').handle({ kind: 'datagram', bytes: new Uint8Array(10), src: LOC_A, dst: LOC_B }, 0);
    expectValid(b);
    expect(b).toEqual([{ t: 0, type: 'drop', reason: 'decode', src: '2001:db8::a', detail: expect.any(String) }]);
  });

  it('the schema refuses what the trace must never hold: keys on an SA record, unknown record types', () => {
    const sa = { t: 1, type: 'sa', op: 'add', spi: 4096, direction: 'in', localHit: '2001:20::1', peerHit: '2001:20::2', src: '2001:db8::a', dst: '2001:db8::b', suite: 1 };
    expect(validate(sa)).toBe(true);
    expect(validate({ ...sa, encKey: '00ff' })).toBe(false);
    expect(validate({ t: 1, type: 'keys', value: 'x' })).toBe(false);
  });

  it('is off by default and a non-function trace is caller misuse', () => {
    expect(() => new Pair({ extraA: { trace: 'yes' as never } })).toThrow(/"options.trace" expected a function/);
  });

  it('RFC 8003 · registration events are traced with their types and lifetime, valid against the schema', () => {
    const a: EngineTraceRecord[] = [];
    const b: EngineTraceRecord[] = [];
    const probe = new Pair();
    const p = new Pair({ extraA: { trace: (r) => a.push(r) }, extraB: { trace: (r) => b.push(r) }, configB: { registrarTypes: [1], registrationAllowList: [probe.aHit] } });
    p.a.connect({ hit: p.bHit, locators: [LOC_B], register: [1] }, p.now);
    p.drain('a');
    p.runUntil(() => p.events('a').some((e) => e.type === 'registered'));
    expectValid(a);
    expectValid(b);
    const events = (rs: readonly EngineTraceRecord[]): string[] => rs.flatMap((r) => (r.type === 'event' && r.event.startsWith('regist') ? [`${r.event} ${r.detail ?? ''}`] : []));
    expect(events(a)).toEqual([expect.stringMatching(/^registered types 1 for \d+ s as requester$/)]);
    expect(events(b)).toEqual([expect.stringMatching(/^registered types 1 for \d+ s as registrar$/)]);
  });
});
