// `hip-engine demo` has three levels of text output: -q prints the summary only; the default
// prints the story (every HIP packet sent, losses, SA and locator changes, events, data
// delivered); -v prints every packet sent and received, each HIP packet with its parameters.
// Every line of every level fits 100 columns. The counts the lines are checked against come
// from the summary the same run prints (the engine's and the data plane's own counters).
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/node/main.js';
import { unwrap } from './unwrap.js';

async function run(args: string[]): Promise<{ code: number; raw: string; out: string; err: string }> {
  let raw = '';
  let err = '';
  const code = await main(args, { out: (l) => (raw += `${l}\n`), err: (l) => (err += `${l}\n`) });
  return { code, raw, out: unwrap(raw), err };
}

/** Timeline entries (time, host, text) of one run's joined output. */
function entries(out: string): { host: string; text: string }[] {
  return [...out.matchAll(/^ *\d+\.\d{3} {2}(\S+) +(.*)$/gm)].map((m) => ({ host: m[1]!, text: m[2]! }));
}

/** `KIND×n` counts of one summary line ("HIP sent: I1×1 ...; received: ..."), per host. */
function summaryCounts(out: string, host: string, which: 'sent' | 'received'): Map<string, number> {
  const block = new RegExp(`^ {2}${host} {2}HIT [\\s\\S]*?HIP sent: ([^;]*); received: (.*)$`, 'm').exec(out);
  expect(block, `summary of ${host}`).not.toBeNull();
  const text = which === 'sent' ? block![1]! : block![2]!;
  return new Map([...text.matchAll(/(\w+)×(\d+)/g)].map((m) => [m[1]!, Number(m[2])]));
}

function espSent(out: string, host: string): number {
  const m = new RegExp(`^ {2}${host} {2}HIT [\\s\\S]*?ESP: (\\d+) packets / \\d+ bytes sent`, 'm').exec(out);
  expect(m).not.toBeNull();
  return Number(m![1]);
}

const count = (lines: readonly { host: string; text: string }[], host: string, re: RegExp): Map<string, number> => {
  const m = new Map<string, number>();
  for (const l of lines) {
    const k = l.host === host ? re.exec(l.text)?.[1] : undefined;
    if (k !== undefined) m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
};

describe('hip-engine demo output levels', () => {
  it('-q prints only the summary', async () => {
    const r = await run(['demo', '--scenario', 'basic', '-q']);
    expect(r.code, r.err).toBe(0);
    expect(entries(r.out)).toEqual([]);
    expect(r.out).not.toMatch(/t \(ms\) {2}host {2}what/);
    expect(r.out).toMatch(/^Summary: scenario basic, seed 1/m);
    expect(r.out).toMatch(/^RESULT: OK$/m);
  });

  it('the default is the story: every HIP packet sent, SAs, events and data, without ESP sends and receptions', async () => {
    const r = await run(['demo', '--scenario', 'basic']);
    expect(r.code, r.err).toBe(0);
    const lines = entries(r.out);
    for (const host of ['A', 'B']) {
      // One line per HIP packet the host sent: the counts of its summary.
      expect(count(lines, host, /^-> (\w+) /), host).toEqual(summaryCounts(r.out, host, 'sent'));
      expect(lines.filter((l) => l.host === host && l.text.startsWith('=> ESP'))).toEqual([]);
      expect(lines.filter((l) => l.host === host && l.text.startsWith('<- '))).toEqual([]);
    }
    expect(r.out).toMatch(/SA add +in +spi=0x[0-9a-f]{8}/);
    expect(r.out).toMatch(/\*\* ESTABLISHED with B as initiator/);
    expect(r.out).toMatch(/DATA from A via 2001:db8::a -> 2001:db8::b: "hello B/);
    // Every ESP reception shown carries application data.
    for (const l of lines.filter((x) => x.text.startsWith('<= ESP'))) expect(l.text).toMatch(/DATA from/);
    const hidden = /^\((\d+) packet lines not shown: .* -v shows every packet\)$/m.exec(r.out);
    expect(hidden).not.toBeNull();

    // What the story leaves out is exactly what -v adds.
    const v = await run(['demo', '--scenario', 'basic', '-v']);
    expect(entries(v.out).length - lines.length).toBe(Number(hidden![1]));
  });

  it('-v prints every packet sent and received, HIP packets with their parameters', async () => {
    const r = await run(['demo', '--scenario', 'basic', '-v']);
    expect(r.code, r.err).toBe(0);
    const lines = entries(r.out);
    for (const host of ['A', 'B']) {
      expect(count(lines, host, /^-> (\w+) /), host).toEqual(summaryCounts(r.out, host, 'sent'));
      // The basic scenario loses nothing: every packet sent is received once.
      expect(count(lines, host, /^<- (\w+) /), host).toEqual(summaryCounts(r.out, host, 'received'));
      expect(lines.filter((l) => l.host === host && l.text.startsWith('=> ESP')).length).toBe(espSent(r.out, host));
    }
    // Parameters of every HIP packet, not only UPDATE's (R1: RFC 7401 §5.3.2, I2: §5.3.3).
    expect(r.out).toMatch(/-> R1 .*PUZZLE .*DIFFIE_HELLMAN .*HOST_ID .*HIP_SIGNATURE_2/);
    expect(r.out).toMatch(/-> I2 .*SOLUTION .*HIP_MAC .*HIP_SIGNATURE/);
    expect(r.out).not.toMatch(/packet lines not shown/);
  });

  it.each(['multihoming', 'rendezvous', 'basic', 'ipv4', 'lossy'])('%s: every line of -q, the default and -v fits 100 columns', async (scenario) => {
    for (const level of [['-q'], [], ['-v']]) {
      const r = await run(['demo', '--scenario', scenario, ...level]);
      expect(r.code, r.err).toBe(0);
      expect(r.raw.split('\n').filter((l) => l.length > 100), `${scenario} ${level.join('')}`).toEqual([]);
    }
  });

  it('-q and -v together are a usage error (exit 2)', async () => {
    const r = await run(['demo', '-q', '-v']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--quiet and --verbose/);
  });
});
