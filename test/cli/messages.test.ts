// One message style for the whole CLI: every error goes to stderr as
// "hip-engine <command>: <what went wrong>" (or "hip-engine: ..." when there is no command),
// bad arguments exit 2 with a pointer to that command's --help, runtime failures exit 1.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/node/main.js';

const tmp = mkdtempSync(join(tmpdir(), 'hip-engine-messages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

async function run(args: string[]): Promise<{ code: number; out: string; err: string[] }> {
  let out = '';
  const err: string[] = [];
  const code = await main(args, { out: (l) => (out += `${l}\n`), err: (l) => err.push(...l.split('\n')) });
  return { code, out, err };
}

describe('CLI messages: one style for every command', () => {
  it.each([
    [['demo', '--scenario', 'nope'], 'hip-engine demo: unknown scenario "nope"'],
    [['demo', '-q', '-v'], 'hip-engine demo: --quiet and --verbose exclude each other'],
    [['demo', '--frobnicate'], "hip-engine demo: Unknown option '--frobnicate'"],
    [['live'], 'hip-engine live: give exactly one of --listen ADDR or --connect HIT@ADDR'],
    [['live', '--listen', '127.0.0.1', '--reply', 'x', '--count', '2'], 'hip-engine live: --count applies to --connect only'],
    [['live', '--connect', '127.0.0.1'], 'hip-engine live: --connect expects HIT@ADDR'],
    [['live', '--listen', '127.0.0.1', '--relay', '--via-relay', '2001:20::1@127.0.0.3'], 'hip-engine live: --relay and --via-relay cannot be combined'],
    [['live', '--connect', '2001:20::1', '--via-relay', 'nowhere'], 'hip-engine live: --via-relay expects an IPv4 or IPv6 address'],
    [['keygen'], 'hip-engine keygen: --out FILE.pem is required'],
    [['keygen', '--out', join(tmp, 'x.pem'), '--type', 'dsa'], 'hip-engine keygen: --type expects one of'],
    [['sweep', '--seeds', '1-2'], 'hip-engine sweep: --scenario expects one of bex, mesh'],
    [['sweep', '--scenario', 'bex', '--seeds', '1-2', '--shard', '3/2'], 'hip-engine sweep: --shard expects i/N with 1 <= i <= N'],
    [['help', 'nope'], 'hip-engine help: unknown command "nope"'],
    [['bogus'], 'hip-engine: unknown command "bogus" (commands: demo, live, keygen, sweep, help)'],
  ])('%j: exit 2, "%s", and where to find the usage', async (args, first) => {
    const r = await run(args);
    expect(r.code).toBe(2);
    expect(r.err[0]).toContain(first);
    expect(r.err[0]!.startsWith(first.slice(0, first.indexOf(':') + 2))).toBe(true);
    const usage = args[0] === 'demo' || args[0] === 'live' || args[0] === 'keygen' || args[0] === 'sweep' ? `hip-engine ${args[0]} --help` : 'hip-engine --help';
    expect(r.err[1]).toBe(`Run "${usage}" for usage.`);
    expect(r.out).toBe('');
  });

  it('a runtime failure of keygen (the key exists) exits 1 in the same style', async () => {
    const pem = join(tmp, 'host.pem');
    writeFileSync(pem, 'not a key, but it is there');
    const r = await run(['keygen', '--out', pem]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`hip-engine keygen: ${pem} exists; pass --force to overwrite it (the HIT of the key in it would change)`]);
  });

  it('a runtime failure of demo (an output file it cannot write) exits 1 in the same style', async () => {
    const r = await run(['demo', '-q', '--scenario', 'basic', '--trace', join(tmp, 'no-such-dir', 'trace.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^hip-engine demo: cannot write output: /);
  }, 60_000);
});
