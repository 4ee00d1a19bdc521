// `hip-engine live`: a real HIP host on UDP (RFC 9028 framing) with the Node UDP driver. One
// process listens, another connects; they run a base exchange, exchange ESP-protected messages,
// optionally rekey, and close, printing a timeline as they go.
import { createSocket } from 'node:dgram';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { formatHit, parseHit } from '../../addr/hit.js';
import { formatLocator, isIpv4Mapped, locatorRange, parseLocator } from '../../addr/locator.js';
import { generateHostIdentity, importHostIdentity, type HostIdentity } from '../../crypto/host-id.js';
import { defaultRandom } from '../../crypto/noble.js';
import type { Scheduler } from '../../driver/adapters.js';
import { HIP_UDP_PORT, UdpDriver, nodeScheduler, type UdpLogEntry, type UdpWireDatagram } from '../../driver/node/udp.js';
import { buildIpPacket } from '../../testing/ip.js';
import { PcapWriter } from '../../testing/pcap.js';
import { upperLayerChecksum } from '../../wire/header.js';
import type { HipEvent } from '../../engine/io.js';
import type { EngineTraceRecord } from '../../engine/trace.js';
import type { Hit, Locator } from '../../types.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, flag, int, parse, str, strs, type OptionSpec } from './args.js';
import { eventText, ms, payloadText, spiHex, suiteName } from './format.js';
import { REG_TYPE_RELAY_UDP_HIP, REG_TYPE_RENDEZVOUS } from '../../engine/reg-types.js';

export const LIVE_HELP = `Usage:
  hip-engine live --listen ADDR [--port P] [--key FILE.pem] [--reply PREFIX] [--timeout MS]
                  [--via RVS-HIT@RVS-ADDR[:PORT]]
                  [--via-relay RELAY-HIT@RELAY-ADDR[:PORT]]
  hip-engine live --listen ADDR --rvs [--allow HIT ...] [--port P] [--key FILE.pem] [--timeout MS]
  hip-engine live --listen ADDR --relay [--allow HIT ...] [--port P] [--key FILE.pem] [--timeout MS]
  hip-engine live --connect HIT@ADDR[:PORT] [--port P] [--bind ADDR] [--local-port P]
                  [--key FILE.pem] [--message TEXT ...] [--count N] [--rekey] [--close]
                  [--timeout MS]
  hip-engine live --connect HIT --via RVS-ADDR[:PORT] [same options]
  hip-engine live --connect HIT --via-relay RELAY-ADDR[:PORT] [same options]

Runs HIP (RFC 7401) between two processes over UDP (RFC 9028 framing: HIP packets after a
32-bit zero marker with HIP checksum zero, ESP packets starting with their SPI). No raw sockets
or kernel support are needed: on Linux, two processes can use 127.0.0.1 and 127.0.0.2.

Listener (Responder):
  --listen ADDR        local address to bind (IPv4 or IPv6)
  --port P             UDP port to listen on (default ${HIP_UDP_PORT})
  --reply PREFIX       every message received is sent back prefixed with PREFIX
                       (default "echo: ")
  --via HIT@ADDR       register with the rendezvous server HIT at ADDR for RENDEZVOUS
                       (RFC 8003 / RFC 8004 §3.2: I2 with REG_REQUEST), then serve as usual:
                       Initiators can reach this host through the RVS
  --via-relay HIT@ADDR register with the Control Relay Server HIT at ADDR (default port: --port)
                       for RELAY_UDP_HIP (RFC 9028 §4.1) and print the server-reflexive
                       address its REG_FROM reports; Initiators reach this host through the
                       relay (RFC 9028 §4.5), which also carries this host's answers
  The listener prints "HIT <hit>" first; it exits 0 once the association is closed.

Rendezvous server (RFC 8004):
  --rvs                offer RENDEZVOUS registration (REG_INFO in every R1) and relay I1s
                       and UPDATEs for registered clients (FROM, RVS_HMAC); runs until
                       --timeout (exit 0) or a signal
  --allow HIT          a HIT allowed to register (repeatable); without any --allow every
                       authenticated host may register (for tests on loopback only)
  FROM carries an address and no UDP port: a client answers the Initiator at its own UDP
  port, so over UDP the Initiator must use that port too (--local-port).

Control Relay Server (RFC 9028 §4.1, §4.5, §4.8):
  --relay              offer RELAY_UDP_HIP registration (REG_INFO in every R1, REG_FROM in
                       the R2 and UPDATEs to a client) and relay HIP control packets for
                       registered clients (RELAY_FROM, RELAY_TO, RELAY_HMAC); data (ESP) is
                       not relayed (no Data Relay). Combines with --rvs and --allow; runs until
                       --timeout (exit 0) or a signal
  RELAY_FROM and RELAY_TO carry UDP ports: every process may use any port.

Connector (Initiator):
  --connect HIT@ADDR   the listener's HIT and address; ADDR may carry a port as
                       1.2.3.4:P or [2001:db8::1]:P
  --port P             the listener's UDP port when ADDR has none (default ${HIP_UDP_PORT})
  --bind ADDR          local address (default: the one the system routes to ADDR from)
  --local-port P       local UDP port (default: any free port)
  --message TEXT       a message to send once established (repeatable;
                       default "hello from <HIT>")
  --count N            send every message N times (default 1)
  --rekey              after the replies arrived, rekey (UPDATE) and send them again
  --close              close the association (CLOSE/CLOSE_ACK) at the end; without it the
                       connector exits after the last reply and the listener keeps the state
  --via ADDR           send the I1 to the listener's rendezvous server at ADDR (RFC 8004
                       §3.3); --connect then takes the HIT alone
  --via-relay ADDR     send the I1 to the Control Relay Server the listener registered with
                       (RFC 9028 §4.5); --connect then takes the HIT alone
  It waits for one reply per message sent and exits 0 when everything arrived.

Both:
  --key FILE.pem       PKCS#8 private key (PEM) for a stable HIT; default: a fresh
                       ECDSA P-256 identity (make one with "hip-engine keygen")
  --timeout MS         give up (exit 1) after MS milliseconds (connector default 30000,
                       listener default 0 = wait forever)
  --trace FILE         write the engine trace as JSON lines, one record per line (packets with
                       their parameters, state changes, SAs, locators, drops, timers; the
                       schema is docs/engine-trace.schema.json; never key material)
  --pcap FILE          write every UDP datagram sent and received (HIP after its zero marker
                       and ESP, RFC 9028 framing) with IP and UDP headers to a classic pcap
                       file (LINKTYPE_RAW)
  -q, --quiet          print only HIT, data and result lines
  -h, --help           this text

Exit codes: 0 success, 1 runtime failure (BEX failed, timeout, interrupted by SIGINT or SIGTERM
before the run finished), 2 bad arguments.`;

const OPTIONS: OptionSpec = {
  listen: { type: 'string' },
  connect: { type: 'string' },
  port: { type: 'string' },
  'local-port': { type: 'string' },
  bind: { type: 'string' },
  key: { type: 'string' },
  message: { type: 'string', multiple: true },
  count: { type: 'string' },
  rekey: { type: 'boolean' },
  close: { type: 'boolean' },
  reply: { type: 'string' },
  timeout: { type: 'string' },
  trace: { type: 'string' },
  pcap: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
  rvs: { type: 'boolean' },
  allow: { type: 'string', multiple: true },
  via: { type: 'string' },
  relay: { type: 'boolean' },
  'via-relay': { type: 'string' },
};

export type Io = { readonly out: (line: string) => void; readonly err: (line: string) => void };

type Common = { readonly identity: HostIdentity; readonly timeoutMs: number; readonly quiet: boolean; readonly trace: string | undefined; readonly pcap: string | undefined };
type ListenConfig = Common & {
  readonly mode: 'listen';
  readonly address: Locator;
  readonly port: number;
  readonly reply: string;
  /**
   * Serve as a registrar: a rendezvous server (RENDEZVOUS, RFC 8004) and/or a Control Relay
   * Server (RELAY_UDP_HIP, RFC 9028), with these HITs allowed (undefined: any).
   */
  readonly rvs: { readonly types: readonly number[]; readonly allow: readonly Hit[] | undefined } | undefined;
  /** Register with this rendezvous server or Control Relay Server first. */
  readonly via: { readonly hit: Hit; readonly address: Locator; readonly port: number | undefined; readonly regType: number } | undefined;
};
type ConnectConfig = Common & {
  readonly mode: 'connect';
  readonly peerHit: Hit;
  readonly peerAddress: Locator;
  readonly peerPort: number;
  readonly bind: Locator | undefined;
  readonly localPort: number;
  readonly messages: readonly string[];
  readonly count: number;
  readonly rekey: boolean;
  readonly close: boolean;
  /** `--via-relay`: the peer is a Control Relay Client reached through its relay (RFC 9028 §4.5). */
  readonly viaRelay: boolean;
};

function address(text: string, what: string): Locator {
  // Dotted quads only: ipaddr.js would also take classful shorthands such as "10.1".
  if (!text.includes(':') && !/^\d{1,3}(\.\d{1,3}){3}$/.test(text)) {
    throw new UsageError(`${what} expects an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
  }
  try {
    return parseLocator(text.replace(/%.*$/, ''));
  } catch {
    throw new UsageError(`${what} expects an IPv4 or IPv6 address, got ${JSON.stringify(text)}`);
  }
}

/** HIT@ADDR, HIT@ADDR:PORT (IPv4), HIT@[ADDR]:PORT or HIT@ADDR (IPv6). */
export function parseConnectTarget(text: string, option = '--connect'): { hit: Hit; address: Locator; port: number | undefined } {
  const at = text.indexOf('@');
  if (at <= 0 || at === text.length - 1) throw new UsageError(`${option} expects HIT@ADDR, got ${JSON.stringify(text)}`);
  let hit: Hit;
  try {
    hit = parseHit(text.slice(0, at));
  } catch (e) {
    throw new UsageError(`${option}: bad HIT ${JSON.stringify(text.slice(0, at))} (${e instanceof Error ? e.message : String(e)})`);
  }
  const rest = text.slice(at + 1);
  let host = rest;
  let port: number | undefined;
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(rest);
  const v4 = /^([0-9.]+):(\d+)$/.exec(rest);
  if (v6) {
    host = v6[1]!;
    if (v6[2] !== undefined) port = Number(v6[2]);
  } else if (v4) {
    host = v4[1]!;
    port = Number(v4[2]);
  }
  if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new UsageError(`${option}: bad port in ${JSON.stringify(text)}`);
  return { hit, address: address(host, option), port };
}

function loadIdentity(file: string | undefined): HostIdentity {
  if (file === undefined) return generateHostIdentity('ecdsa-p256', defaultRandom);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--key: cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    return importHostIdentity(text);
  } catch (e) {
    throw new UsageError(`--key: ${file} is not a supported PKCS#8 PEM private key (${e instanceof Error ? e.message : String(e)})`);
  }
}

export function parseLive(args: readonly string[]): ListenConfig | ConnectConfig | 'help' {
  const p = parse(args, OPTIONS);
  if (flag(p, 'help')) return 'help';
  const listen = str(p, 'listen');
  const connect = str(p, 'connect');
  if ((listen === undefined) === (connect === undefined)) throw new UsageError('give exactly one of --listen ADDR or --connect HIT@ADDR (see hip-engine live --help)');
  const quiet = flag(p, 'quiet');
  if (listen !== undefined) {
    for (const o of ['message', 'count', 'rekey', 'close', 'bind', 'local-port']) {
      if (p.values[o] !== undefined) throw new UsageError(`--${o} applies to --connect only`);
    }
    const types = [...(flag(p, 'rvs') ? [REG_TYPE_RENDEZVOUS] : []), ...(flag(p, 'relay') ? [REG_TYPE_RELAY_UDP_HIP] : [])];
    const rvs = types.length > 0;
    const allowText = strs(p, 'allow');
    if (!rvs && allowText.length > 0) throw new UsageError('--allow applies to --listen --rvs or --listen --relay only');
    const viaRvs = str(p, 'via');
    const viaRelay = str(p, 'via-relay');
    if (viaRvs !== undefined && viaRelay !== undefined) throw new UsageError('--via and --via-relay cannot be combined');
    const viaText = viaRvs ?? viaRelay;
    if (rvs && viaText !== undefined) throw new UsageError(`${flag(p, 'rvs') ? '--rvs' : '--relay'} and ${viaRvs !== undefined ? '--via' : '--via-relay'} cannot be combined`);
    const allow = allowText.map((h) => {
      try {
        return parseHit(h);
      } catch (e) {
        throw new UsageError(`--allow: bad HIT ${JSON.stringify(h)} (${e instanceof Error ? e.message : String(e)})`);
      }
    });
    const cfg: Omit<ListenConfig, 'identity'> = {
      mode: 'listen',
      address: address(listen, '--listen'),
      port: int(p, 'port', HIP_UDP_PORT, 0, 65535),
      reply: str(p, 'reply') ?? 'echo: ',
      rvs: rvs ? { types, allow: allow.length > 0 ? allow : undefined } : undefined,
      via: viaText === undefined ? undefined : { ...parseConnectTarget(viaText, viaRvs !== undefined ? '--via' : '--via-relay'), regType: viaRvs !== undefined ? REG_TYPE_RENDEZVOUS : REG_TYPE_RELAY_UDP_HIP },
      timeoutMs: int(p, 'timeout', 0, 0, 0x7fffffff),
      quiet,
      trace: str(p, 'trace'),
      pcap: str(p, 'pcap'),
    };
    return { ...cfg, identity: loadIdentity(str(p, 'key')) };
  }
  if (p.values['reply'] !== undefined) throw new UsageError('--reply applies to --listen only');
  if (flag(p, 'rvs') || flag(p, 'relay') || p.values['allow'] !== undefined) throw new UsageError('--rvs, --relay and --allow apply to --listen only');
  if (p.values['via'] !== undefined && p.values['via-relay'] !== undefined) throw new UsageError('--via and --via-relay cannot be combined');
  const viaOption = p.values['via-relay'] !== undefined ? '--via-relay' : '--via';
  const viaText = str(p, viaOption.slice(2));
  // RFC 8004 §3.3 (--via): the I1 goes to the rendezvous server; RFC 9028 §4.5 (--via-relay): to
  // the Control Relay Server. --connect then names the HIT only.
  const target = viaText === undefined ? parseConnectTarget(connect!) : parseConnectTarget(`${connect!.split('@')[0]!}@${viaText}`, viaOption);
  const bindText = str(p, 'bind');
  const bind = bindText === undefined ? undefined : address(bindText, '--bind');
  if (bind !== undefined && isIpv4Mapped(bind) !== isIpv4Mapped(target.address)) throw new UsageError('--bind and the --connect address must be of the same family');
  const cfg: Omit<ConnectConfig, 'identity'> = {
    mode: 'connect',
    peerHit: target.hit,
    peerAddress: target.address,
    peerPort: target.port ?? int(p, 'port', HIP_UDP_PORT, 1, 65535),
    bind,
    localPort: int(p, 'local-port', 0, 0, 65535),
    messages: strs(p, 'message'),
    count: int(p, 'count', 1, 1, 100_000),
    rekey: flag(p, 'rekey'),
    close: flag(p, 'close'),
    viaRelay: p.values['via-relay'] !== undefined,
    timeoutMs: int(p, 'timeout', 30_000, 0, 0x7fffffff),
    quiet,
    trace: str(p, 'trace'),
    pcap: str(p, 'pcap'),
  };
  if (target.port !== undefined && p.values['port'] !== undefined && target.port !== int(p, 'port', 0, 1, 65535)) {
    throw new UsageError('the port in --connect and --port disagree');
  }
  return { ...cfg, identity: loadIdentity(str(p, 'key')) };
}

/**
 * ICE-HIP-UDP for a Control Relay Client and its peers (RFC 9028 §4.3). Bound to loopback, the
 * processes share no other network, so loopback addresses may be host candidates there, which RFC
 * 8445 §5.1.1.1 forbids on a real network (`natLoopbackCandidates`).
 */
function iceConfig(bound: Locator): { natTraversal: 'ice-hip-udp'; natLoopbackCandidates: boolean } {
  return { natTraversal: 'ice-hip-udp', natLoopbackCandidates: locatorRange(bound) === 'loopback' };
}

/** The local address the system would use to reach `peer` (a connected UDP socket's name). */
function routeSource(peer: Locator, port: number): Promise<Locator> {
  const v4 = isIpv4Mapped(peer);
  return new Promise((resolve, reject) => {
    const s = createSocket(v4 ? 'udp4' : 'udp6');
    s.once('error', (e) => {
      s.close();
      reject(e);
    });
    s.connect(port, formatLocator(peer), () => {
      const a = s.address().address;
      s.close();
      try {
        resolve(parseLocator(a.replace(/%.*$/, '')));
      } catch (e) {
        reject(e instanceof Error ? e : new Error(String(e)));
      }
    });
  });
}

function endpoint(loc: Locator, port: number): string {
  return isIpv4Mapped(loc) ? `${formatLocator(loc)}:${port}` : `[${formatLocator(loc)}]:${port}`;
}

/** Renders a driver log entry as one timeline line (undefined: not shown). */
function logLine(e: UdpLogEntry, peerName: (hit: Hit) => string): string | undefined {
  switch (e.type) {
    case 'hip-send':
      return `-> ${(e.kind as string).padEnd(9)} to ${endpoint(e.dst, e.port)} from ${formatLocator(e.src)} (${e.length} bytes UDP)`;
    case 'hip-recv':
      return `<- ${(e.kind ?? '?').padEnd(9)} from ${endpoint(e.src, e.port)} to ${formatLocator(e.dst)} (${e.length} bytes UDP)`;
    case 'esp-send':
      return `=> ESP       spi=${spiHex(e.spi)} seq=${e.seq} to ${endpoint(e.dst, e.port)} (${e.length} bytes)`;
    case 'esp-recv':
      return `<= ESP       spi=${spiHex(e.spi)} seq=${e.seq} from ${endpoint(e.src, e.port)} (${e.length} bytes)`;
    case 'esp-drop':
      return `!! ESP ${e.direction === 'in' ? 'inbound' : 'outbound'} dropped: ${e.reason}${e.spi !== undefined ? ` spi=${spiHex(e.spi)}` : ''}`;
    case 'sa':
      return `SA ${e.op.padEnd(6)} ${e.direction.padEnd(3)} spi=${spiHex(e.spi)} ${e.op === 'add' ? `${suiteName(e.suite)} ${formatLocator(e.src)} -> ${formatLocator(e.dst)}` : ''}`.trimEnd();
    case 'locator':
      return `LOC ${e.op} ${peerName(e.peerHit)} at ${formatLocator(e.entry.locator)} ${e.entry.state}${e.entry.preferred ? ' preferred' : ''}`;
    case 'event':
      return undefined; // printed by the command, with context
    case 'invalid':
      return `!! invalid UDP payload from ${endpoint(e.src, e.port)}: ${e.reason}`;
    case 'socket-error':
      return `!! socket ${e.address}: ${e.message}`;
    default:
      return undefined;
  }
}

const enc = new TextEncoder();

/** An IP packet carrying `w` in UDP (RFC 768), with the UDP checksum over the pseudo-header. */
function udpIpPacket(w: UdpWireDatagram): Uint8Array {
  const udp = new Uint8Array(8 + w.bytes.length);
  udp[0] = w.srcPort >>> 8;
  udp[1] = w.srcPort & 0xff;
  udp[2] = w.dstPort >>> 8;
  udp[3] = w.dstPort & 0xff;
  udp[4] = udp.length >>> 8;
  udp[5] = udp.length & 0xff;
  udp.set(w.bytes, 8);
  const c = upperLayerChecksum(w.src, w.dst, 17, udp, 6);
  const sum = c === 0 ? 0xffff : c;
  udp[6] = sum >>> 8;
  udp[7] = sum & 0xff;
  return buildIpPacket({ src: w.src, dst: w.dst, protocol: 17, payload: udp });
}

export async function runLive(cfg: ListenConfig | ConnectConfig, io: Io): Promise<number> {
  const t0 = performance.now();
  const say = (line: string): void => io.out(`[${ms(performance.now() - t0)} ms] ${line}`);
  // The engine's clock starts with the run, as the timeline's and the capture's do, so that the
  // times in the --trace file are the times printed and in the --pcap file.
  const node = nodeScheduler();
  const scheduler: Scheduler = {
    now: () => node.now() - t0,
    wakeAt: (at, cb) => node.wakeAt(at === undefined ? undefined : at + t0, cb),
  };
  const verbose = (line: string): void => {
    if (!cfg.quiet) say(line);
  };
  const peerName = (hit: Hit): string => formatHit(hit);

  let resolveDone!: (code: number) => void;
  const finished = new Promise<number>((r) => {
    resolveDone = r;
  });
  let exitCode: number | undefined;
  let driver: UdpDriver | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const done = (code: number, why: string): void => {
    if (exitCode !== undefined) return;
    exitCode = code;
    if (timer !== undefined) clearTimeout(timer);
    say(code === EXIT_OK ? `DONE ${why}` : `FAILED ${why}`);
    if (code !== EXIT_OK) io.err(`hip-engine live: ${why}`);
    // Let the last datagrams (CLOSE_ACK, replies) leave before the sockets close.
    setTimeout(() => {
      void (driver?.close() ?? Promise.resolve()).then(() => resolveDone(code));
    }, 100);
  };

  // The engine trace, one JSON record per line, written as it happens (a run that is killed
  // still leaves what it did).
  let traceFd: number | undefined;
  if (cfg.trace !== undefined) {
    try {
      traceFd = openSync(cfg.trace, 'w');
    } catch (e) {
      io.err(`hip-engine live: cannot write ${cfg.trace}: ${e instanceof Error ? e.message : String(e)}`);
      return EXIT_FAILURE;
    }
  }
  const trace = traceFd === undefined ? undefined : (r: EngineTraceRecord): void => void writeSync(traceFd!, `${JSON.stringify(r)}\n`);
  // SIGINT and SIGTERM before the run finished are a failure (exit 1); after it, no-ops.
  const onSignal = (signal: string): void => done(EXIT_FAILURE, `interrupted by ${signal} before the run finished`);
  const onSigint = (): void => onSignal('SIGINT');
  const onSigterm = (): void => onSignal('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  // The capture: every datagram with IP and UDP headers rebuilt around it (LINKTYPE_RAW).
  const pcap = cfg.pcap === undefined ? undefined : new PcapWriter({ epochMs: Date.now() });
  const onWire = pcap === undefined ? undefined : (w: UdpWireDatagram): void => pcap.add(performance.now() - t0, udpIpPacket(w));
  const settle = async (): Promise<number> => {
    let code = await finished;
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    if (traceFd !== undefined) closeSync(traceFd);
    if (pcap !== undefined && cfg.pcap !== undefined) {
      try {
        writeFileSync(cfg.pcap, pcap.toBytes());
        io.out(`PCAP ${pcap.count} datagrams written to ${cfg.pcap}`);
      } catch (e) {
        io.err(`hip-engine live: cannot write ${cfg.pcap}: ${e instanceof Error ? e.message : String(e)}`);
        code = EXIT_FAILURE;
      }
    }
    return code;
  };

  const onLog = (e: UdpLogEntry): void => {
    const line = logLine(e, peerName);
    if (line !== undefined) verbose(line);
  };

  io.out(`HIT ${formatHit(cfg.identity.hit)}`);

  if (cfg.mode === 'listen') {
    let sessions = 0;
    const onEvent = (e: HipEvent): void => {
      if (e.type === 'dropped' && e.reason === 'unknown-hit' && e.packetKind === 'I1') {
        // Shown even with -q: the connector is using a HIT that is not ours.
        return say(`!! I1 from ${e.src ? formatLocator(e.src) : '?'} for a HIT that is not ours (dropped): the connector should use ${formatHit(cfg.identity.hit)}`);
      }
      if (e.type === 'dropped') return verbose(eventText(e));
      say(eventText(e));
      if (e.type === 'established') sessions++;
      // A rendezvous or relay server serves many clients: one association ending does not end it.
      if (cfg.rvs !== undefined) return;
      // The association with our own rendezvous or relay server is not the one this run is about.
      if (cfg.via !== undefined && 'assoc' in e && e.assoc === rvsAssoc) {
        if (e.type === 'failed') done(EXIT_FAILURE, `registration with the ${serverName} failed: ${e.reason}`);
        if (e.type === 'registration-failed') done(EXIT_FAILURE, `the ${serverName} refused the registration (failure type ${e.failureType})`);
        return;
      }
      if (e.type === 'closed') done(EXIT_OK, `association closed by ${e.by}`);
      if (e.type === 'failed') done(EXIT_FAILURE, `base exchange or update failed: ${e.reason}`);
    };
    let rvsAssoc: number | undefined;
    const serverName = cfg.via?.regType === REG_TYPE_RELAY_UDP_HIP ? 'Control Relay Server' : 'rendezvous server';
    const roles = cfg.rvs?.types.map((t) => (t === REG_TYPE_RENDEZVOUS ? 'a rendezvous server (RFC 8004)' : 'a Control Relay Server (RFC 9028)')).join(' and ');
    try {
      driver = await UdpDriver.open({
        identity: cfg.identity,
        locators: [cfg.address],
        port: cfg.port,
        scheduler,
        ...(cfg.rvs !== undefined
          ? {
              config: { registrarTypes: cfg.rvs.types, ...(cfg.rvs.allow ? { registrationAllowList: cfg.rvs.allow } : {}) },
              ...(cfg.rvs.allow ? {} : { policy: { authorizeRegistration: () => ({ grant: true as const }) } }),
            }
          : {}),
        // A Control Relay Client offers ICE-HIP-UDP (RFC 9028 §4.3): its peers come through the
        // relay, which carries no ESP, so data needs the direct path the checks find (§4.6).
        ...(cfg.via?.regType === REG_TYPE_RELAY_UDP_HIP ? { config: iceConfig(cfg.address) } : {}),
        onLog,
        ...(trace ? { trace } : {}),
        ...(onWire ? { onWire } : {}),
        onEvent: (e) => onEvent(e),
        onData: (d) => {
          say(`DATA from ${peerName(d.peerHit)} via ${formatLocator(d.src)}->${formatLocator(d.dst)}: ${payloadText(d.payload)}`);
          const text = new TextDecoder().decode(d.payload);
          const reply = enc.encode(`${cfg.reply}${text}`);
          say(`SEND ${payloadText(reply)} to ${peerName(d.peerHit)}`);
          const r = driver!.send(d.peerHit, reply);
          if (!r.ok) say(`!! cannot send the reply: ${r.reason}`);
        },
      });
    } catch (e) {
      done(EXIT_FAILURE, `cannot listen on ${endpoint(cfg.address, cfg.port)}: ${e instanceof Error ? e.message : String(e)}`);
      return settle();
    }
    const ep = driver.endpoints[0]!;
    io.out(`LISTENING ${ep.address} port ${ep.port} (UDP, RFC 9028 framing)${roles !== undefined ? ` as ${roles}` : ''}`);
    if (cfg.via !== undefined) {
      const v = cfg.via;
      say(`REGISTER with the ${serverName} ${formatHit(v.hit)} at ${endpoint(v.address, v.port ?? cfg.port)} (${v.regType === REG_TYPE_RENDEZVOUS ? 'RENDEZVOUS' : 'RELAY_UDP_HIP'})`);
      rvsAssoc = driver.connect(v.hit, [{ address: v.address, ...(v.port !== undefined ? { port: v.port } : {}) }], { register: [v.regType] });
    }
    if (cfg.timeoutMs > 0) {
      timer = setTimeout(
        () => (cfg.rvs !== undefined ? done(EXIT_OK, `${cfg.rvs.types.includes(REG_TYPE_RELAY_UDP_HIP) ? (cfg.rvs.types.length > 1 ? 'rendezvous and relay server' : 'Control Relay Server') : 'rendezvous server'} ran for ${cfg.timeoutMs} ms`) : done(EXIT_FAILURE, `timeout after ${cfg.timeoutMs} ms (${sessions} association(s) established)`)),
        cfg.timeoutMs,
      );
    }
    return settle();
  }

  // ---- connector ----
  const c = cfg;
  let bind = c.bind;
  if (bind === undefined) {
    try {
      bind = await routeSource(c.peerAddress, c.peerPort);
    } catch (e) {
      done(EXIT_FAILURE, `no route to ${formatLocator(c.peerAddress)}: ${e instanceof Error ? e.message : String(e)}`);
      return settle();
    }
  }
  const messages = c.messages.length > 0 ? c.messages : [`hello from ${formatHit(c.identity.hit)}`];
  let phase: 'connecting' | 'checking' | 'round1' | 'rekeying' | 'round2' | 'closing' = 'connecting';
  let expected = 0;
  let received = 0;
  let sent = 0;

  const sendRound = (): void => {
    for (let i = 1; i <= c.count; i++) {
      for (const m of messages) {
        const text = c.count > 1 ? `${m} (${i}/${c.count})` : m;
        const bytes = enc.encode(text);
        say(`SEND ${payloadText(bytes)} to ${peerName(c.peerHit)}`);
        const r = driver!.send(c.peerHit, bytes);
        if (!r.ok) return done(EXIT_FAILURE, `cannot send ${payloadText(bytes)}: ${r.reason}`);
        sent++;
        expected++;
      }
    }
  };

  const finish = (): void => {
    if (c.close) {
      phase = 'closing';
      say(`CLOSE association with ${peerName(c.peerHit)}`);
      driver!.closeAssociation(c.peerHit);
    } else {
      done(EXIT_OK, `sent ${sent}, received ${received} replies`);
    }
  };

  const onEvent = (e: HipEvent): void => {
    if (e.type === 'dropped') return verbose(eventText(e));
    say(eventText(e));
    switch (e.type) {
      case 'established':
        if (phase === 'connecting' && c.viaRelay) {
          // RFC 9028 §4.6: ESP waits for the connectivity checks and the nominated pair; the relay
          // carries control packets only.
          phase = 'checking';
        } else if (phase === 'connecting') {
          phase = 'round1';
          sendRound();
        }
        return;
      case 'nat-path':
        if (phase === 'checking') {
          phase = 'round1';
          sendRound();
        }
        return;
      case 'nat-checks-failed':
        // RFC 9028 §4.6.3: with every check failed, no ESP may be sent on the association.
        return done(EXIT_FAILURE, 'connectivity checks failed: no direct path to the peer (RFC 9028 §4.6.3), and the relay carries no data');
      case 'update-completed':
        if (phase === 'rekeying' && e.what === 'rekey') {
          phase = 'round2';
          sendRound();
        }
        return;
      case 'closed':
        if (phase === 'closing') return done(EXIT_OK, `sent ${sent}, received ${received} replies, association closed`);
        return done(EXIT_FAILURE, `association closed by ${e.by} before the exchange finished`);
      case 'failed':
        if (phase === 'connecting' && e.reason === 'i1-retries') return done(EXIT_FAILURE, `base exchange failed (${e.reason}); ${noAnswer()}`);
        return done(EXIT_FAILURE, `${phase === 'connecting' ? 'base exchange' : 'association'} failed: ${e.reason}`);
      default:
        return;
    }
  };

  try {
    driver = await UdpDriver.open({
      identity: c.identity,
      locators: [bind],
      port: c.localPort,
      peerPort: c.peerPort,
      ...(c.viaRelay ? { config: iceConfig(bind) } : {}),
      scheduler,
      onLog,
      ...(trace ? { trace } : {}),
      ...(onWire ? { onWire } : {}),
      onEvent: (e) => onEvent(e),
      onData: (d) => {
        say(`DATA from ${peerName(d.peerHit)} via ${formatLocator(d.src)}->${formatLocator(d.dst)}: ${payloadText(d.payload)}`);
        received++;
        if (received < expected || exitCode !== undefined) return;
        if (phase === 'round1' && c.rekey) {
          phase = 'rekeying';
          say(`REKEY association with ${peerName(c.peerHit)}`);
          driver!.rekey(c.peerHit);
        } else if (phase === 'round1' || phase === 'round2') {
          finish();
        }
      },
    });
  } catch (e) {
    done(EXIT_FAILURE, `cannot bind ${endpoint(bind, c.localPort)}: ${e instanceof Error ? e.message : String(e)}`);
    return settle();
  }
  const ep = driver.endpoints[0]!;
  io.out(`BOUND ${ep.address} port ${ep.port} (UDP, RFC 9028 framing)`);
  say(`CONNECT ${formatHit(c.peerHit)} at ${endpoint(c.peerAddress, c.peerPort)}`);
  const target = endpoint(c.peerAddress, c.peerPort);
  // With no R1 back, the listener is not there or the HIT is not its HIT (a host silently drops
  // an I1 for a HIT it does not have, RFC 7401 §6.7): say what to check.
  const noAnswer = (): string =>
    `no answer from ${target}: check that "hip-engine live --listen" runs there on port ${c.peerPort}, ` +
    `and that ${formatHit(c.peerHit)} is the HIT it printed`;
  if (c.timeoutMs > 0) {
    timer = setTimeout(() => done(EXIT_FAILURE, phase === 'connecting' ? `timeout after ${c.timeoutMs} ms; ${noAnswer()}` : `timeout after ${c.timeoutMs} ms (phase ${phase}, ${received}/${expected} replies)`), c.timeoutMs);
  }
  try {
    driver.connect(c.peerHit, [{ address: c.peerAddress, port: c.peerPort }]);
  } catch (e) {
    done(EXIT_FAILURE, `cannot connect: ${e instanceof Error ? e.message : String(e)}`);
  }
  return settle();
}
