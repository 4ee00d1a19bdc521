// `hip-engine live` as real processes: a listener on 127.0.0.1 and a connector on 127.0.0.2 run a
// base exchange over UDP (RFC 9028 framing), exchange ESP-protected messages both ways, rekey and
// close. Plus exit codes: 2 for bad arguments, 1 for a runtime failure (timeout), 0 for --help.
import { createSocket } from 'node:dgram';
import { Ajv } from 'ajv';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readPcap } from '../../src/testing/pcap.js';
import { parseIpPacket } from '../../src/testing/ip.js';
import { upperLayerChecksum } from '../../src/wire/header.js';
import { decodePacket } from '../../src/wire/packet.js';
import { buildCli } from './build.js';
import { lines, spawnCli, type Proc } from './process.js';

const validateTrace = new Ajv({ strict: true, allowUnionTypes: true }).compile(
  JSON.parse(readFileSync(new URL('../../docs/engine-trace.schema.json', import.meta.url), 'utf8')) as object,
);

let main = '';
let tmp = '';
beforeAll(() => {
  main = buildCli('hip-engine-cli-live-test');
  tmp = mkdtempSync(join(tmpdir(), 'hip-live-'));
}, 120_000);
afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

/** A `hip-engine` process (killed after 30 s; `waitFor` gives up after 15 s). */
const cli = (args: readonly string[], killAfterMs = 30_000): Proc => spawnCli(main, args, killAfterMs, 15_000);

/** A UDP port that was free a moment ago on `address`. */
function freePort(address: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.once('error', reject);
    s.bind({ address, port: 0 }, () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const indexOf = (text: string, re: RegExp): number => text.split('\n').findIndex((l) => re.test(l));

describe('hip-engine live (two processes over UDP on loopback)', () => {
  it('runs a base exchange, exchanges messages both ways, rekeys and closes; both exit 0', async () => {
    const port = await freePort('127.0.0.1');
    const listener = cli(['live', '--listen', '127.0.0.1', '--port', String(port), '--timeout', '25000', '--pcap', join(tmp, 'listener.pcap')]);
    const [, hit] = await listener.waitFor(/^HIT (\S+)$/m);
    await listener.waitFor(/^LISTENING 127\.0\.0\.1 port (\d+)/m);
    const connector = cli([
      'live',
      '--connect',
      `${hit!}@127.0.0.1`,
      '--port',
      String(port),
      '--bind',
      '127.0.0.2',
      '--message',
      'hello listener',
      '--message',
      'second message',
      '--count',
      '2',
      '--rekey',
      '--close',
      '--timeout',
      '25000',
      '--trace',
      join(tmp, 'connector.jsonl'),
    ]);
    const [cCode, lCode] = await Promise.all([connector.exit, listener.exit]);
    const c = connector.stdout();
    const l = listener.stdout();
    const ctx = `--- connector ---\n${c}${connector.stderr()}\n--- listener ---\n${l}${listener.stderr()}`;
    expect(cCode, ctx).toBe(0);
    expect(lCode, ctx).toBe(0);

    // Connector (Initiator) timeline.
    expect(c).toMatch(/^HIT 2001:2[0-9a-f]:/m);
    expect(c).toMatch(/^BOUND 127\.0\.0\.2 port \d+/m);
    const hipOut = lines(c, /\] -> [A-Z_0-9]+ /).map((x) => /-> (\S+)/.exec(x)![1]);
    const hipIn = lines(c, /\] <- [A-Z_0-9]+ /).map((x) => /<- (\S+)/.exec(x)![1]);
    expect(hipOut).toEqual(['I1', 'I2', 'UPDATE', 'UPDATE', 'CLOSE']);
    expect(hipIn).toEqual(['R1', 'R2', 'UPDATE', 'CLOSE_ACK']);
    expect(c).toMatch(new RegExp(`-> I1 +to 127\\.0\\.0\\.1:${port} from 127\\.0\\.0\\.2`));
    expect(c).toContain(`established with ${hit!} as initiator`);
    expect(lines(c, /SEND "(hello listener|second message) \(\d\/2\)"/)).toHaveLength(8);
    const echoes = lines(c, /DATA from .* via 127\.0\.0\.1->127\.0\.0\.2: "echo: /);
    expect(echoes).toHaveLength(8);
    expect(c).toMatch(/REKEY association/);
    expect(c).toMatch(/update completed \(rekey\)/);
    expect(c).toMatch(/closed by local/);
    expect(c).toMatch(/DONE sent 8, received 8 replies, association closed/);
    // The inbound SA is installed before the I2 that announces its SPI.
    expect(indexOf(c, /SA add +in /)).toBeLessThan(indexOf(c, /-> I2 /));

    // Listener (Responder) timeline.
    expect(l).toMatch(/<- I1 +from 127\.0\.0\.2:\d+ to 127\.0\.0\.1/);
    expect(indexOf(l, /SA add +in /)).toBeLessThan(indexOf(l, /-> R2 /));
    expect(l).toMatch(/established with 2001:2[0-9a-f:]+ as responder/);
    expect(lines(l, /DATA from .* via 127\.0\.0\.2->127\.0\.0\.1: "(hello listener|second message)/)).toHaveLength(8);
    expect(lines(l, /SEND "echo: /)).toHaveLength(8);
    expect(l).toMatch(/<- CLOSE +from/);
    expect(l).toMatch(/-> CLOSE_ACK/);
    expect(l).toMatch(/closed by peer/);
    expect(l).toMatch(/DONE association closed by peer/);

    // --pcap: every datagram the listener sent and received, as IP/UDP packets with good UDP
    // checksums (RFC 768), HIP after the RFC 9028 zero marker, decoding as it was sent.
    expect(l).toMatch(/^PCAP \d+ datagrams written to /m);
    const pc = readPcap(new Uint8Array(readFileSync(join(tmp, 'listener.pcap'))));
    if (!pc.ok) throw new Error(pc.error.message);
    const hipKinds: string[] = [];
    let esp = 0;
    for (const rec of pc.value.records) {
      const ip = parseIpPacket(rec.bytes);
      if (!ip.ok) throw new Error(ip.error.message);
      expect(ip.value.protocol).toBe(17);
      const udp = ip.value.payload;
      expect(upperLayerChecksum(ip.value.src, ip.value.dst, 17, udp)).toBe(0);
      const body = udp.subarray(8);
      if (body[0] === 0 && body[1] === 0 && body[2] === 0 && body[3] === 0) {
        const d = decodePacket(body.subarray(4));
        if (!d.ok) throw new Error(d.error.message);
        hipKinds.push(d.packet.kind);
      } else esp++;
    }
    // First occurrences in order (a retransmission on a loaded machine may repeat one).
    expect(hipKinds.filter((k, i) => hipKinds.indexOf(k) === i).slice(0, 4)).toEqual(['I1', 'R1', 'I2', 'R2']);
    expect(hipKinds.at(-1)).toBe('CLOSE_ACK');
    expect(esp).toBe(16); // the 8 messages it received and the 8 echoes it sent

    // --trace: the engine trace as JSON lines, each valid against docs/engine-trace.schema.json.
    const records = readFileSync(join(tmp, 'connector.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { type: string; kind?: string; to?: string });
    for (const r of records) expect(validateTrace(r), `${JSON.stringify(r)} ${JSON.stringify(validateTrace.errors)}`).toBe(true);
    expect(records.filter((r) => r.type === 'packet-out').map((r) => r.kind)).toEqual(['I1', 'I2', 'UPDATE', 'UPDATE', 'CLOSE']);
    // The trace's times are the timeline's: both count from the start of the run. A packet's
    // record carries the `now` of the input that produced it, and the timeline prints it once the
    // driver has sent it, after the engine's work on that input (the crypto of an I2 or R2: a
    // few hundred ms on a loaded machine), so it is never printed before its traced time. With
    // the engine on another origin (performance.now() from process start) it would be.
    const traced = (records as { type: string; t: number }[]).filter((r) => r.type === 'packet-out').map((r) => r.t);
    const printed = lines(c, /\] -> [A-Z_0-9]+ /).map((x) => Number(/^\[ *([\d.]+) ms\]/.exec(x)![1]));
    expect(printed).toHaveLength(traced.length);
    printed.forEach((p, i) => {
      expect(p - traced[i]!, `packet ${i}: printed at ${p} ms, traced at ${traced[i]} ms`).toBeGreaterThanOrEqual(-0.001);
    });
    expect(records.filter((r) => r.type === 'state').map((r) => r.to)).toEqual(expect.arrayContaining(['I1_SENT', 'I2_SENT', 'ESTABLISHED', 'CLOSING']));
  }, 60_000);

  it('a connector with a HIT that is not the listener\'s: the listener says whose HIT to use, the connector says what to check', async () => {
    const port = await freePort('127.0.0.1');
    // Generous timeouts: on a loaded machine a process takes a while to start and send its I1.
    const listener = cli(['live', '--listen', '127.0.0.1', '--port', String(port), '--timeout', '15000']);
    const [, hit] = await listener.waitFor(/^HIT (\S+)$/m);
    await listener.waitFor(/^LISTENING/m);
    const connector = cli(['live', '--connect', '2001:20::1@127.0.0.1', '--port', String(port), '--bind', '127.0.0.2', '--timeout', '5000']);
    expect(await connector.exit).toBe(1);
    expect(connector.stderr()).toMatch(new RegExp(`no answer from 127\\.0\\.0\\.1:${port}: check that "hip-engine live --listen" runs there on port ${port}, and that 2001:20::1 is the HIT it printed`));
    await listener.waitFor(new RegExp(`!! I1 from 127\\.0\\.0\\.2 for a HIT that is not ours \\(dropped\\): the connector should use ${hit!.replaceAll(':', '\\:')}`));
    listener.kill('SIGTERM');
    expect(await listener.exit).toBe(1);
  }, 30_000);

  it('SIGINT or SIGTERM before the run finished exits 1 and says so', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const port = await freePort('127.0.0.1');
      const listener = cli(['live', '--listen', '127.0.0.1', '--port', String(port)]);
      await listener.waitFor(/^LISTENING/m);
      listener.kill(signal);
      expect(await listener.exit, signal).toBe(1);
      expect(listener.stderr()).toContain(`hip-engine live: interrupted by ${signal} before the run finished`);
    }
  }, 30_000);

  it('keygen refuses to overwrite a key without --force', async () => {
    const pem = join(tmp, 'keep.pem');
    const first = cli(['keygen', '--out', pem]);
    expect(await first.exit).toBe(0);
    const before = readFileSync(pem, 'utf8');
    const again = cli(['keygen', '--out', pem]);
    expect(await again.exit).toBe(1);
    expect(again.stderr()).toContain(`hip-engine keygen: ${pem} exists; pass --force to overwrite it`);
    expect(readFileSync(pem, 'utf8')).toBe(before);
    const forced = cli(['keygen', '--out', pem, '--force']);
    expect(await forced.exit).toBe(0);
    expect(readFileSync(pem, 'utf8')).not.toBe(before);
  }, 30_000);

  it('--key gives a stable HIT (keygen writes the PEM); a listener nobody talks to times out with exit 1', async () => {
    const pem = join(tmp, 'host.pem');
    const gen = cli(['keygen', '--out', pem]);
    expect(await gen.exit).toBe(0);
    const [, hit] = /^HIT (\S+)$/m.exec(gen.stdout())!;
    const port = await freePort('127.0.0.1');
    const listener = cli(['live', '--listen', '127.0.0.1', '--port', String(port), '--key', pem, '--timeout', '300']);
    expect(await listener.exit).toBe(1);
    expect(listener.stdout()).toContain(`HIT ${hit!}\n`);
    expect(listener.stdout()).toMatch(/FAILED timeout after 300 ms/);
    expect(listener.stderr()).toMatch(/timeout/);
  }, 30_000);

  it('a connector without a listener retransmits I1 and fails with exit 1 at --timeout', async () => {
    const port = await freePort('127.0.0.1');
    const connector = cli(['live', '--connect', '2001:20::1@127.0.0.1', '--port', String(port), '--bind', '127.0.0.2', '--timeout', '1500']);
    expect(await connector.exit).toBe(1);
    expect(lines(connector.stdout(), /-> I1 /).length).toBeGreaterThanOrEqual(2);
    expect(connector.stdout()).toMatch(/FAILED timeout after 1500 ms; no answer from 127\.0\.0\.1:\d+: check that/);
  }, 30_000);

  it('exits 2 with a clear message on bad arguments', async () => {
    const cases: [string[], RegExp][] = [
      [['live'], /exactly one of --listen/],
      [['live', '--listen', '127.0.0.1', '--connect', '2001:20::1@127.0.0.1'], /exactly one of/],
      [['live', '--listen', 'not-an-address'], /--listen expects an IPv4 or IPv6 address/],
      [['live', '--listen', '127.0.0.1', '--port', '70000'], /--port expects an integer in 0\.\.65535/],
      [['live', '--listen', '127.0.0.1', '--count', '2'], /--count applies to --connect only/],
      [['live', '--connect', '127.0.0.1'], /--connect expects HIT@ADDR/],
      [['live', '--connect', 'fe80::1@127.0.0.1'], /bad HIT/],
      [['live', '--connect', '2001:20::1@127.0.0.1', '--count', 'many'], /--count expects an integer/],
      [['live', '--listen', '127.0.0.1', '--key', '/nonexistent/key.pem'], /cannot read/],
      [['live', '--listen'], /argument missing|--listen/i],
      [['live', '--frobnicate'], /Unknown option '--frobnicate'/],
      [['demo', '--scenario', 'nope'], /unknown scenario "nope"/],
      [['demo', '--seed', 'abc'], /--seed expects a non-negative integer/],
      [['bogus'], /unknown command "bogus"/],
      [[], /Usage: hip-engine/],
    ];
    await Promise.all(
      cases.map(async ([args, re]) => {
        const p = cli(args);
        const code = await p.exit;
        expect(code, `${args.join(' ')}\n${p.stdout()}${p.stderr()}`).toBe(2);
        expect(p.stderr(), args.join(' ')).toMatch(re);
      }),
    );
  }, 60_000);

  it('prints help for every command with exit 0', async () => {
    for (const [args, re] of [
      [['--help'], /Commands:/],
      [['live', '--help'], /--listen ADDR/],
      [['demo', '--help'], /--scenario NAME/],
      [['keygen', '--help'], /--out FILE\.pem/],
      [['help', 'live'], /--connect HIT@ADDR/],
    ] as [string[], RegExp][]) {
      const p = cli(args);
      expect(await p.exit, args.join(' ')).toBe(0);
      expect(p.stdout()).toMatch(re);
    }
  }, 30_000);
});

describe('hip-engine live --rvs / --via (three processes over UDP on loopback, RFC 8004)', () => {
  it('RFC 8004 §3.2-§3.3 · B registers with the RVS, A reaches B through it, the rest direct; A and B exit 0', async () => {
    // FROM carries no UDP port: every process uses the same port on its own loopback address.
    const port = await freePort('127.0.0.3');
    const rvs = cli(['live', '--listen', '127.0.0.3', '--port', String(port), '--rvs', '--timeout', '20000']);
    const [, rvsHit] = await rvs.waitFor(/^HIT (\S+)$/m);
    await rvs.waitFor(/^LISTENING 127\.0\.0\.3 port \d+ .*rendezvous server/m);
    const b = cli(['live', '--listen', '127.0.0.1', '--port', String(port), '--via', `${rvsHit!}@127.0.0.3`, '--timeout', '20000']);
    const [, bHit] = await b.waitFor(/^HIT (\S+)$/m);
    await b.waitFor(/REGISTERED types 1 .* as requester/);
    const a = cli(['live', '--connect', bHit!, '--via', '127.0.0.3', '--port', String(port), '--bind', '127.0.0.2', '--local-port', String(port), '--message', 'hello through the RVS', '--close', '--timeout', '20000']);
    const [aCode, bCode] = await Promise.all([a.exit, b.exit]);
    rvs.kill('SIGTERM');
    const rCode = await rvs.exit;
    const ctx = `--- A ---\n${a.stdout()}${a.stderr()}\n--- B ---\n${b.stdout()}${b.stderr()}\n--- RVS ---\n${rvs.stdout()}${rvs.stderr()}`;
    expect(aCode, ctx).toBe(0);
    expect(bCode, ctx).toBe(0);
    expect(rCode, ctx).not.toBeNull();
    // The RVS granted RENDEZVOUS and relayed exactly one I1, from A's address to B's.
    expect(rvs.stdout()).toMatch(/REGISTERED types 1 .* as registrar/);
    expect(lines(rvs.stdout(), /\] <- I1 +from 127\.0\.0\.2:/)).toHaveLength(1);
    expect(lines(rvs.stdout(), /\] -> I1 +to 127\.0\.0\.1:\d+ from 127\.0\.0\.3/)).toHaveLength(1);
    // A sent its I1 to the RVS and everything else to B; the R1 came from B itself.
    const aOut = lines(a.stdout(), /\] -> [A-Z_0-9]+ /);
    expect(aOut[0]).toMatch(/-> I1 +to 127\.0\.0\.3:/);
    expect(aOut.slice(1).every((l) => / to 127\.0\.0\.1:/.test(l))).toBe(true);
    expect(a.stdout()).toMatch(/<- R1 +from 127\.0\.0\.1:/);
    expect(a.stdout()).toMatch(/DATA from .*echo: hello through the RVS/);
    expect(indexOf(a.stdout(), /DONE/)).toBeGreaterThan(0);
  }, 60_000);
});
