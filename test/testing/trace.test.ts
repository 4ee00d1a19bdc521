// testing/trace.ts: stable trace lines and address redaction (docs/architecture.md, Simulator).
import { describe, expect, it } from 'vitest';
import { parseHit } from '../../src/addr/hit.js';
import { parseLocator } from '../../src/addr/locator.js';
import { TraceFormatter, TraceLog, formatTrace, traceHit, traceLoc, type TraceRecord } from '../../src/testing/index.js';

const A = parseLocator('2001:db8::a');
const B = parseLocator('192.0.2.2');
const C = parseLocator('2001:db8::c');
const HA = parseHit('2001:2a::1');
const HB = parseHit('2001:2a::2');

const records: TraceRecord[] = [
  { t: 0, host: 'A', dir: 'send', kind: 'I1', fields: { src: traceLoc(A), dst: traceLoc(B), len: 40 } },
  { t: 20.5, host: 'B', dir: 'recv', kind: 'I1', fields: { src: traceLoc(A), dst: traceLoc(B), hit: traceHit(HA) } },
  { t: 1234.25, host: 'B', dir: 'drop', kind: 'I2', fields: { reason: 'bad mac', skipped: undefined, n: 0.1 + 0.2 } },
  { t: 1500, host: 'A', dir: 'sa', kind: 'add', fields: { spi: '0x0000abcd', dir: 'out', peer: traceHit(HB), dst: traceLoc(C) } },
  { t: 99999.999, host: 'Alice2', dir: 'locator', kind: 'ACTIVE', fields: { loc: traceLoc(C), list: [traceLoc(A), traceLoc(B), 3] } },
  { t: 100000, host: 'A', dir: 'event', kind: 'established', fields: { ok: true, gen: 12n, none: null } },
  { t: 100001, host: 'A', dir: 'note', kind: 'step' },
];

describe('trace formatting', () => {
  it('formats fixed-width, fields in the order given, no trailing spaces', () => {
    expect(formatTrace(records)).toBe(
      [
        '     0.000 A      -> I1           src=2001:db8::a dst=192.0.2.2 len=40',
        '    20.500 B      <- I1           src=2001:db8::a dst=192.0.2.2 hit=2001:2a::1',
        '  1234.250 B      x- I2           reason="bad mac" n=0.3',
        '  1500.000 A      SA add          spi=0x0000abcd dir=out peer=2001:2a::2 dst=2001:db8::c',
        ' 99999.999 Alice2 LC ACTIVE       loc=2001:db8::c list=[2001:db8::a,192.0.2.2,3]',
        '100000.000 A      ** established  ok=true gen=12 none=-',
        '100001.000 A      .. step',
        '',
      ].join('\n'),
    );
  });

  it('redacts locators (and optionally HITs) in order of first appearance, consistently', () => {
    const text = formatTrace(records, { redactLocators: true, redactHits: true });
    expect(text).toBe(
      [
        '     0.000 A      -> I1           src=L1 dst=L2 len=40',
        '    20.500 B      <- I1           src=L1 dst=L2 hit=H1',
        '  1234.250 B      x- I2           reason="bad mac" n=0.3',
        '  1500.000 A      SA add          spi=0x0000abcd dir=out peer=H2 dst=L3',
        ' 99999.999 Alice2 LC ACTIVE       loc=L3 list=[L1,L2,3]',
        '100000.000 A      ** established  ok=true gen=12 none=-',
        '100001.000 A      .. step',
        '',
      ].join('\n'),
    );
    expect(text).not.toMatch(/2001:db8|192\.0\.2/);
    // Same input, same text: redaction depends only on the order of appearance.
    expect(formatTrace(records, { redactLocators: true, redactHits: true })).toBe(text);
    // Only locators redacted: HITs stay.
    expect(formatTrace(records.slice(1, 2), { redactLocators: true })).toContain('src=L1 dst=L2 hit=2001:2a::1');
  });

  it('never prints the content of raw bytes; quotes strings that need it', () => {
    const f = new TraceFormatter();
    const key = new Uint8Array(32).fill(0xaa);
    const line = f.format({ t: 1, host: 'A', dir: 'sa', kind: 'add', fields: { k: key as never, s: '', q: 'a=b', e: 'x"y' } });
    expect(line).toBe('     1.000 A      SA add          k=<32 bytes> s="" q="a=b" e="x\\"y"');
    expect(line).not.toContain('aa');
  });

  it('column widths are configurable; a formatter keeps its labels across calls', () => {
    const f = new TraceFormatter({ redactLocators: true, timeWidth: 6, hostWidth: 2, kindWidth: 3 });
    expect(f.format({ t: 2, host: 'A', dir: 'send', kind: 'R1', fields: { d: traceLoc(B) } })).toBe(' 2.000 A  -> R1  d=L1');
    expect(f.format({ t: 3, host: 'B', dir: 'recv', kind: 'R1', fields: { d: traceLoc(A), s: traceLoc(B) } })).toBe(' 3.000 B  <- R1  d=L2 s=L1');
    expect(f.locatorLabel(C)).toBe('L3');
  });
});

describe('TraceLog', () => {
  it('collects records and renders text and a consistent tail', () => {
    const log = new TraceLog();
    for (const r of records) log.push(r);
    expect(log.length).toBe(records.length);
    expect(log.text({ redactLocators: true })).toBe(formatTrace(records, { redactLocators: true }));
    const tail = log.tail(2, { redactLocators: true });
    expect(tail).toEqual(['100000.000 A      ** established  ok=true gen=12 none=-', '100001.000 A      .. step']);
    expect(log.tail(3, { redactLocators: true })[0]).toContain('loc=L3 list=[L1,L2,3]');
    expect(log.tail(0)).toEqual([]);
    log.clear();
    expect(log.length).toBe(0);
  });
});
