// `hip-engine live --relay` as real processes (RFC 9028 §4.1, §4.5, §4.8): a Control Relay Server
// on 127.0.0.3, a listener on 127.0.0.1 that registers with it for RELAY_UDP_HIP, and a connector
// on 127.0.0.2 that knows only the listener's HIT and the relay's address. Every process takes
// any free UDP port: RELAY_FROM and RELAY_TO carry ports, unlike the FROM of RFC 8004.
import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from './build.js';
import { lines, spawnCli, type Proc } from './process.js';

let main = '';
beforeAll(() => {
  main = buildCli('hip-engine-cli-live-relay-test');
}, 120_000);

/** A `hip-engine` process (killed after 60 s; `waitFor` gives up after 30 s). */
const cli = (args: readonly string[], killAfterMs = 60_000): Proc => spawnCli(main, args, killAfterMs, 30_000);
const esc = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

describe('hip-engine live --relay / --via-relay (three processes over UDP on loopback, RFC 9028)', () => {
  it('RFC 9028 §4.1, §4.5 · B registers with the relay and learns its server-reflexive address, A reaches B through the relay by HIT, data flows; A and B exit 0', async () => {
    // Generous timeouts: on a loaded machine each process takes a while to start and to sign.
    const relay = cli(['live', '--listen', '127.0.0.3', '--port', '0', '--relay', '--timeout', '50000']);
    const [, relayHit] = await relay.waitFor(/^HIT (\S+)$/m);
    const [, relayPort] = await relay.waitFor(/^LISTENING 127\.0\.0\.3 port (\d+) .*as a Control Relay Server \(RFC 9028\)/m);
    const b = cli(['live', '--listen', '127.0.0.1', '--port', '0', '--via-relay', `${relayHit!}@127.0.0.3:${relayPort!}`, '--timeout', '50000']);
    const [, bHit] = await b.waitFor(/^HIT (\S+)$/m);
    const [, bPort] = await b.waitFor(/^LISTENING 127\.0\.0\.1 port (\d+)/m);
    await b.waitFor(/REGISTERED types 2 .* as requester/);
    // §4.1: REG_FROM in the R2 is B's transport address as the relay saw it (no NAT on loopback).
    await b.waitFor(new RegExp(`SERVER-REFLEXIVE 127\\.0\\.0\\.1:${bPort!} \\(REG_FROM of ${esc(relayHit!)}`));
    const a = cli(['live', '--connect', bHit!, '--via-relay', `127.0.0.3:${relayPort!}`, '--bind', '127.0.0.2', '--message', 'hello through the relay', '--close', '--timeout', '50000']);
    const [aCode, bCode] = await Promise.all([a.exit, b.exit]);
    relay.kill('SIGTERM');
    const rCode = await relay.exit;
    const ctx = `--- A ---\n${a.stdout()}${a.stderr()}\n--- B ---\n${b.stdout()}${b.stderr()}\n--- relay ---\n${relay.stdout()}${relay.stderr()}`;
    expect(aCode, ctx).toBe(0);
    expect(bCode, ctx).toBe(0);
    expect(rCode, ctx).not.toBeNull();

    const r = relay.stdout();
    expect(r, ctx).toMatch(/REGISTERED types 2 .* as registrar/);
    // §4.5 Figure 4: I1, R1, I2 and R2 each cross the relay once (first occurrences: a
    // retransmission on a loaded machine may repeat one), from A to B and back.
    for (const kind of ['I1', 'I2']) {
      expect(lines(r, new RegExp(`\\] <- ${kind} +from 127\\.0\\.0\\.2:`)).length, `${kind} in\n${ctx}`).toBeGreaterThanOrEqual(1);
      expect(lines(r, new RegExp(`\\] -> ${kind} +to 127\\.0\\.0\\.1:${bPort!} from 127\\.0\\.0\\.3`)).length, `${kind} out\n${ctx}`).toBeGreaterThanOrEqual(1);
    }
    for (const kind of ['R1', 'R2']) {
      expect(lines(r, new RegExp(`\\] <- ${kind} +from 127\\.0\\.0\\.1:${bPort!}`)).length, `${kind} in\n${ctx}`).toBeGreaterThanOrEqual(1);
      expect(lines(r, new RegExp(`\\] -> ${kind} +to 127\\.0\\.0\\.2:`)).length, `${kind} out\n${ctx}`).toBeGreaterThanOrEqual(1);
    }
    // A sent its I1 to the relay and heard B's R1 from it: it never had B's address to start with.
    const aOut = lines(a.stdout(), /\] -> [A-Z_0-9]+ /);
    expect(aOut[0], ctx).toMatch(new RegExp(`-> I1 +to 127\\.0\\.0\\.3:${relayPort!}`));
    expect(a.stdout(), ctx).toMatch(new RegExp(`<- R1 +from 127\\.0\\.0\\.3:${relayPort!}`));
    expect(a.stdout(), ctx).toMatch(new RegExp(`established with ${esc(bHit!)} as initiator`));
    // B answered through the relay (RELAY_TO): its R1 and R2 went to the relay's address.
    expect(b.stdout(), ctx).toMatch(new RegExp(`-> R1 +to 127\\.0\\.0\\.3:${relayPort!}`));
    expect(b.stdout(), ctx).toMatch(new RegExp(`-> R2 +to 127\\.0\\.0\\.3:${relayPort!}`));
    expect(b.stdout(), ctx).toMatch(/established with 2001:2[0-9a-f:]+ as responder/);
    // RFC 9028 §4.6: A's data waits for the checks; the nominated pair runs between A and B
    // directly (loopback addresses as candidates: config.natLoopbackCandidates), not via the relay.
    expect(a.stdout(), ctx).toMatch(new RegExp(`NAT-PATH 127\\.0\\.0\\.2:\\d+ -> 127\\.0\\.0\\.1:${bPort!} \\(the peer's host candidate, nominated`));
    expect(b.stdout(), ctx).toMatch(/NAT-PATH 127\.0\.0\.1:\d+ -> 127\.0\.0\.2:\d+ /);
    expect(a.stdout().indexOf('NAT-PATH'), ctx).toBeLessThan(a.stdout().indexOf('SEND "hello through the relay"'));
    expect(lines(b.stdout(), /DATA from .* via 127\.0\.0\.2->127\.0\.0\.1: "hello through the relay"/), ctx).toHaveLength(1);
    // Data both ways through ESP, and the close.
    expect(lines(b.stdout(), /DATA from .*: "hello through the relay"/), ctx).toHaveLength(1);
    expect(lines(a.stdout(), /DATA from .*: "echo: hello through the relay"/), ctx).toHaveLength(1);
    expect(a.stdout(), ctx).toMatch(/DONE sent 1, received 1 replies, association closed/);
    expect(b.stdout(), ctx).toMatch(/DONE association closed by peer/);
    // The relay relays control packets only (no Data Relay, RFC 9028 §4.12): no ESP went through it.
    expect(lines(r, /=> ESP/), ctx).toHaveLength(0);
  }, 120_000);

  it('exits 2 with a clear message when --relay or --via-relay is misused', async () => {
    const cases: [string[], RegExp][] = [
      [['live', '--listen', '127.0.0.1', '--relay', '--via-relay', '2001:20::1@127.0.0.3'], /--relay and --via-relay cannot be combined/],
      [['live', '--listen', '127.0.0.1', '--via', '2001:20::1@127.0.0.3', '--via-relay', '2001:20::1@127.0.0.3'], /--via and --via-relay cannot be combined/],
      [['live', '--listen', '127.0.0.1', '--via-relay', '127.0.0.3'], /--via-relay expects HIT@ADDR/],
      [['live', '--connect', '2001:20::1', '--relay'], /--rvs, --relay and --allow apply to --listen only/],
      [['live', '--connect', '2001:20::1', '--via-relay', 'nowhere'], /--via-relay expects an IPv4 or IPv6 address/],
    ];
    await Promise.all(
      cases.map(async ([args, re]) => {
        const p = cli(args);
        const code = await p.exit;
        expect(code, `${args.join(' ')}\n${p.stdout()}${p.stderr()}`).toBe(2);
        expect(p.stderr(), args.join(' ')).toMatch(new RegExp(`^hip-engine live: ${re.source}`));
      }),
    );
  }, 60_000);
});
