// `hip-engine demo`: a scenario on the deterministic simulator (src/testing/sim.ts) with real
// crypto (nobleCrypto) and real ESP traffic, rendered as a timeline a person can follow, with a
// summary, and optionally a pcap (raw IP: HIP as protocol 139 with real checksums, ESP as 50),
// JSON-lines trace and a Mermaid sequence diagram.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { formatHit, hitKey } from '../../addr/hit.js';
import { formatLocator, locatorKey, parseLocator } from '../../addr/locator.js';
import { Sim, SimError, type ReceivedPayload, type SimHost } from '../../testing/sim.js';
import type { TraceRecord, TraceValue } from '../../testing/trace.js';
import { simPlotData } from '../../testing/plot.js';
import type { HipPacket } from '../../wire/types.js';
import { MULTIHOMING_SCENARIO } from './scenario-multihoming.js';
import { NAT_SCENARIO } from './scenario-nat.js';
import { RENDEZVOUS_SCENARIO } from './scenario-rendezvous.js';
import type { Seed } from '../../testing/rng.js';
import type { LinkOptions } from '../../testing/netem.js';
import type { Hit, Locator } from '../../types.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, flag, parse, str, type OptionSpec } from './args.js';
import { ms, payloadText, spiHex, suiteName } from './format.js';
import type { Io } from './live.js';
import { PLOT_NEEDS_ECHARTS, loadPlotModule } from './plot-module.js';

// ---------------------------------------------------------------------------------------------
// Scenarios

export type ScenarioCtx = {
  readonly sim: Sim;
  readonly a: SimHost;
  readonly b: SimHost;
};

export type Scenario = {
  readonly name: string;
  readonly summary: string;
  /** The seed used without --seed (chosen so the story shows what the scenario is about). */
  readonly defaultSeed: number;
  /** Creates the hosts (A the Initiator, B the Responder) and the links between them. */
  readonly setup: (sim: Sim) => ScenarioCtx;
  readonly run: (ctx: ScenarioCtx) => void;
};

/** Two single-homed hosts joined by one duplex link. */
function twoHosts(locA: string, locB: string, link: LinkOptions): (sim: Sim) => ScenarioCtx {
  return (sim) => {
    const a = sim.host('A', { locators: [locA] });
    const b = sim.host('B', { locators: [locB] });
    sim.link(locA, locB, link);
    return { sim, a, b };
  };
}

const enc = new TextEncoder();
const MAX_WAIT_MS = 120_000;

/** Sends one application message through ESP; re-sends (an application-level retry) until it is delivered. */
function deliver(sim: Sim, from: SimHost, to: SimHost, text: string, retries = 0): void {
  for (let attempt = 0; attempt <= retries; attempt++) {
    const before = to.received.length;
    sim.note(from.name, attempt === 0 ? 'app-send' : 'app-retry', { to: to.name, text });
    const r = from.send(to, enc.encode(text));
    if (!r.ok) throw new Error(`${from.name} could not send ${JSON.stringify(text)}: ${r.reason}`);
    const deadline = sim.now + 500;
    sim.runUntil(() => to.received.length > before || sim.now >= deadline || sim.pending === 0, { maxTimeMs: 1000 });
    if (to.received.length > before) return;
  }
  sim.note(from.name, 'app-gave-up', { to: to.name, text });
}

function exchange(ctx: ScenarioCtx, retries: number, round: string): void {
  const { sim, a, b } = ctx;
  deliver(sim, a, b, `hello B, this is A (${round})`, retries);
  deliver(sim, b, a, `hello A, B here (${round})`, retries);
  deliver(sim, a, b, `how is the SA on your side? (${round})`, retries);
  deliver(sim, b, a, `fine, thanks (${round})`, retries);
}

function fullStory(retries: number): (ctx: ScenarioCtx) => void {
  return (ctx) => {
    const { sim, a, b } = ctx;
    // 1. Base exchange: I1, R1, I2, R2 (RFC 7401 §4.1). B, the Responder, becomes ESTABLISHED
    //    when the first ESP packet arrives (§6.9 step 21).
    sim.at(sim.now, () => a.connect(b));
    sim.runUntil(() => a.established(b), { maxTimeMs: MAX_WAIT_MS });
    // 2. Data both ways through ESP (RFC 7402 BEET mode).
    exchange(ctx, retries, 'before rekey');
    sim.runUntil(() => b.established(a), { maxTimeMs: MAX_WAIT_MS });
    // 3. Rekey with UPDATE (RFC 7402 §6.8): new SPIs and keys both ways.
    const doneA = a.eventsOf('update-completed').length;
    const doneB = b.eventsOf('update-completed').length;
    sim.run(100);
    a.rekey(b);
    sim.runUntil(() => a.eventsOf('update-completed').length > doneA && b.eventsOf('update-completed').length > doneB, { maxTimeMs: MAX_WAIT_MS });
    // 4. More data, now on the new SAs.
    sim.run(50);
    exchange(ctx, retries, 'after rekey');
    // 5. Close (RFC 7401 §5.3.8, CLOSE / CLOSE_ACK).
    sim.run(100);
    a.close(b);
    sim.runUntil(() => a.eventsOf('closed').length > 0 && b.eventsOf('closed').length > 0, { maxTimeMs: MAX_WAIT_MS });
    sim.run(50);
  };
}

/** The scenario `hip-engine demo` (and `npm start`) runs without --scenario. */
export const DEFAULT_SCENARIO = 'multihoming';

export const SCENARIOS: readonly Scenario[] = [
  MULTIHOMING_SCENARIO,
  RENDEZVOUS_SCENARIO,
  NAT_SCENARIO,
  {
    name: 'basic',
    summary: 'IPv6, 10 ms link: base exchange, data both ways, rekey, more data, close',
    setup: twoHosts('2001:db8::a', '2001:db8::b', { latencyMs: 10 }),
    defaultSeed: 1,
    run: fullStory(0),
  },
  {
    name: 'ipv4',
    summary: 'the same story over IPv4 (192.0.2.1 and 192.0.2.2)',
    setup: twoHosts('192.0.2.1', '192.0.2.2', { latencyMs: 10 }),
    defaultSeed: 1,
    run: fullStory(0),
  },
  {
    name: 'lossy',
    summary: 'IPv6, 25 ms link with 5 ms jitter and 20% loss: retransmissions and application retries',
    setup: twoHosts('2001:db8::a', '2001:db8::b', { latencyMs: 25, jitterMs: 5, loss: 0.2 }),
    defaultSeed: 4,
    run: fullStory(8),
  },
];

/** The width the demo's text output keeps to. */
const COLUMNS = 100;

/** `line` as is when it fits COLUMNS, else wrapped with continuation lines indented by `indent`. */
function fit(line: string, indent: number): string {
  return line.length <= COLUMNS ? line : wrap(line, 0, indent, COLUMNS);
}

/** `text` wrapped at `width` columns: the first line indented by `first`, the others by `rest`. */
function wrap(text: string, first: number, rest: number, width: number): string {
  const lines: string[] = [];
  let line = ' '.repeat(first);
  let empty = true;
  for (const word of text.split(/(?<=\S) (?=\S)/)) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line);
      line = ' '.repeat(rest);
      empty = true;
    }
    line += empty ? word : ` ${word}`;
    empty = false;
  }
  lines.push(line);
  return lines.join('\n');
}

export const DEMO_HELP = `Usage: hip-engine demo [--scenario NAME] [--seed N] [--pcap FILE] [--trace FILE]
                       [--engine-trace FILE] [--diagram FILE] [--plot FILE.svg] [--redact]
                       [--quiet | --verbose]

Runs two HIP hosts, A (Initiator) and B (Responder), in the deterministic network simulator
with real cryptography (ECDSA P-256 host identities, ECDH, AES + HMAC ESP) and prints the
story: every HIP packet sent with its locators, losses, SA installs, moves and removals, peer
locator state changes, events, and application data delivered per path, then a summary. With
--verbose the timeline has every packet: ESP sent, every packet received, each HIP packet's
parameters. A seed reproduces a run exactly. Every line fits 100 columns.

Options:
  --scenario NAME   ${SCENARIOS.map((s) => s.name).join(', ')} (default ${DEFAULT_SCENARIO})
${SCENARIOS.map((s) => wrap(`${s.name.padEnd(12)}${s.summary}`, 22, 34, 98)).join('\n')}
  --seed N          simulation seed: identities, SPIs, nonces, link randomness (default:
                    ${SCENARIOS.map((s) => `${s.name} ${s.defaultSeed}`).join(', ')})
  --pcap FILE       write the packets as delivered to a classic pcap file (raw IPv4/IPv6,
                    HIP = IP protocol 139 with real HIP checksums, ESP = 50; in the nat
                    scenario all UDP, RFC 9028 framing, on both sides of each NAT); open it
                    in Wireshark or run: tshark -r FILE -V
  --trace FILE      write the timeline as JSON lines, one record per event (schema:
                    docs/demo-trace.schema.json; no key material)
  --engine-trace FILE
                    write every engine's own trace as JSON lines, each record with its host
                    (schema: docs/engine-trace.schema.json; no key material)
  --diagram FILE    write a Mermaid sequenceDiagram of the exchange
  --plot FILE.svg   draw each path's delivered data over time as SVG, with link down/up,
                    UPDATE, address verified, SA added and SA moved (failover) marked
                    (drawn by Apache ECharts, an optional package: npm install echarts)
  --redact          show locators as L1, L2... and HITs as H1, H2... in the timeline
  -q, --quiet       print only the summary
  -v, --verbose     print every packet sent and received, with its parameters
  -h, --help        this text

Exit codes: 0 success, 1 the scenario failed, 2 bad arguments.`;

const OPTIONS: OptionSpec = {
  scenario: { type: 'string' },
  seed: { type: 'string' },
  pcap: { type: 'string' },
  trace: { type: 'string' },
  diagram: { type: 'string' },
  'engine-trace': { type: 'string' },
  plot: { type: 'string' },
  redact: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
};

export type DemoConfig = {
  readonly scenario: Scenario;
  readonly seed: Seed;
  readonly pcap?: string;
  readonly trace?: string;
  readonly diagram?: string;
  readonly plot?: string;
  readonly engineTrace?: string;
  readonly redact: boolean;
  /** Only the summary (-q). */
  readonly quiet: boolean;
  /** Every packet, with its parameters (-v); the default is the story without ESP and receptions. */
  readonly verbose: boolean;
};

export function parseDemo(args: readonly string[]): DemoConfig | 'help' {
  const p = parse(args, OPTIONS);
  if (flag(p, 'help')) return 'help';
  if (flag(p, 'quiet') && flag(p, 'verbose')) throw new UsageError('--quiet and --verbose exclude each other');
  const name = str(p, 'scenario') ?? DEFAULT_SCENARIO;
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new UsageError(`unknown scenario ${JSON.stringify(name)}; choose one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const seedText = str(p, 'seed');
  let seed: Seed = scenario.defaultSeed;
  if (seedText !== undefined) {
    if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) throw new UsageError(`--seed expects a non-negative integer, got ${JSON.stringify(seedText)}`);
    seed = Number(seedText);
  }
  const files: Record<string, string> = {};
  for (const k of ['pcap', 'trace', 'diagram', 'plot', 'engine-trace'] as const) {
    const v = str(p, k);
    if (v === undefined) continue;
    if (v === '') throw new UsageError(`--${k} expects a file name`);
    files[k] = v;
  }
  return {
    scenario,
    seed,
    ...(files['pcap'] !== undefined ? { pcap: files['pcap'] } : {}),
    ...(files['trace'] !== undefined ? { trace: files['trace'] } : {}),
    ...(files['diagram'] !== undefined ? { diagram: files['diagram'] } : {}),
    ...(files['plot'] !== undefined ? { plot: files['plot'] } : {}),
    ...(files['engine-trace'] !== undefined ? { engineTrace: files['engine-trace'] } : {}),
    redact: flag(p, 'redact'),
    quiet: flag(p, 'quiet'),
    verbose: flag(p, 'verbose'),
  };
}

// ---------------------------------------------------------------------------------------------
// Rendering

/** Names for HITs (host names) and locators (text, or L1, L2... when redacted). */
class Namer {
  readonly #hosts = new Map<string, string>();
  readonly #locs = new Map<string, string>();
  readonly #hits = new Map<string, string>();
  readonly #redact: boolean;
  constructor(sim: Sim, redact: boolean) {
    this.#redact = redact;
    for (const h of sim.hosts) this.#hosts.set(hitKey(h.hit), h.name);
  }
  host(hit: Hit): string {
    return this.#hosts.get(hitKey(hit)) ?? this.hit(hit);
  }
  hit(hit: Hit): string {
    if (!this.#redact) return formatHit(hit);
    return label(this.#hits, 'H', hitKey(hit));
  }
  loc(loc: Locator): string {
    if (!this.#redact) return formatLocator(loc);
    return label(this.#locs, 'L', locatorKey(loc));
  }
  value(v: TraceValue): string {
    if (v === null || v === undefined) return '-';
    if (typeof v === 'object' && 'loc' in v) return this.loc(v.loc);
    if (typeof v === 'object' && 'hit' in v) return this.host(v.hit);
    if (Array.isArray(v)) return v.map((x: TraceValue) => this.value(x)).join(', ');
    return String(v);
  }
}

function label(map: Map<string, string>, prefix: string, key: string): string {
  let l = map.get(key);
  if (l === undefined) {
    l = `${prefix}${map.size + 1}`;
    map.set(key, l);
  }
  return l;
}

/**
 * One line of the timeline. `detail` marks what only --verbose prints: ESP packets sent, ESP
 * received without application data, HIP packets received as sent (the send line tells their
 * story), and peer locator entries refreshed without a state change.
 */
type Rendered = { readonly rec: TraceRecord; readonly text: string; readonly data?: ReceivedPayload; readonly pkt?: HipPacket; readonly detail?: true };

/**
 * One readable line per trace record, with delivered payloads attached to their ESP receptions.
 * `verbose`: every HIP packet sent shows its parameters, not only UPDATE and NOTIFY.
 */
function render(sim: Sim, names: Namer, sent: readonly (HipPacket | undefined)[], verbose = false): Rendered[] {
  const nextPayload = new Map<string, number>();
  const locStates = new Map<string, string>();
  let nextSent = 0;
  const out: Rendered[] = [];
  const f = (rec: TraceRecord, k: string): TraceValue => rec.fields?.[k];
  const v = (rec: TraceRecord, k: string): string => names.value(f(rec, k));
  // A UDP packet's endpoints with their ports (RFC 9028 §5.1), a plain IP one's addresses.
  const ep = (rec: TraceRecord, a: string, port: string): string => (typeof f(rec, port) === 'number' ? `${v(rec, a)}:${v(rec, port)}` : v(rec, a));
  for (const rec of sim.trace.records) {
    let text: string;
    let data: ReceivedPayload | undefined;
    let pkt: HipPacket | undefined;
    let detail = false;
    const kind = rec.kind;
    switch (rec.dir) {
      case 'send': {
        pkt = sent[nextSent++];
        detail = kind === 'ESP';
        if (kind === 'ESP') text = `=> ESP        spi=${v(rec, 'spi')} seq=${v(rec, 'seq')}  ${ep(rec, 'src', 'sport')} -> ${ep(rec, 'dst', 'dport')}  (${v(rec, 'len')} bytes)`;
        else {
          const params = pkt !== undefined && (verbose || kind === 'UPDATE' || kind === 'NOTIFY' || pkt.params.some((x) => RELAY_PARAMS.has(x.kind))) ? paramsText(pkt, names, verbose) : '';
          text = `-> ${kind.padEnd(10)}  ${ep(rec, 'src', 'sport')} -> ${ep(rec, 'dst', 'dport')}  (${v(rec, 'len')} bytes)${params !== '' ? `  ${params}` : ''}`;
        }
        break;
      }
      case 'recv':
        if (kind === 'ESP') {
          const host = sim.hostByName(rec.host);
          const i = nextPayload.get(rec.host) ?? 0;
          data = host?.received[i];
          nextPayload.set(rec.host, i + 1);
          text = `<= ESP        spi=${v(rec, 'spi')} seq=${v(rec, 'seq')}`;
          detail = data === undefined;
          if (data !== undefined) text += `  DATA from ${names.host(data.peerHit)} via ${names.loc(data.src)} -> ${names.loc(data.dst)}: ${payloadText(data.payload)}`;
        } else {
          detail = f(rec, 'dup') !== true && f(rec, 'corrupted') === undefined;
          text = `<- ${kind.padEnd(10)}  from ${ep(rec, 'src', 'sport')}  (${v(rec, 'len')} bytes)${f(rec, 'dup') === true ? ' [duplicate]' : ''}${f(rec, 'corrupted') !== undefined ? ` [corrupted: ${v(rec, 'corrupted')}]` : ''}`;
        }
        break;
      case 'drop': {
        const reason = String(f(rec, 'reason'));
        if (f(rec, 'link') !== undefined) text = `x- ${kind.padEnd(10)}  lost on the link ${linkName(v(rec, 'link'), names)} (${reason})`;
        else if (reason === 'no-host') text = `x- ${kind.padEnd(10)}  dropped: no host has ${v(rec, 'dst')} any more`;
        else text = `x- ${kind.padEnd(10)}  dropped: ${reason}${f(rec, 'spi') !== undefined ? ` spi=${v(rec, 'spi')}` : ''}`;
        break;
      }
      case 'sa': {
        const suite = f(rec, 'suite');
        const what = kind === 'update' ? 'now' : '';
        text = `SA ${kind.padEnd(6)} ${v(rec, 'dir').padEnd(3)} spi=${v(rec, 'spi')}  ${what !== '' ? `${what} ` : ''}${v(rec, 'src')} -> ${v(rec, 'dst')}${kind === 'add' && typeof suite === 'number' ? `  ${suiteName(suite)}` : ''}${f(rec, 'credit') === true ? '  (credit-limited: destination not verified yet)' : ''}`;
        break;
      }
      case 'locator': {
        // The peer locator table (RFC 8046 §5.1): show each state change, old -> new.
        const key = `${rec.host}|${v(rec, 'peer')}|${v(rec, 'loc')}`;
        const state = v(rec, 'state');
        const before = locStates.get(key);
        locStates.set(key, state);
        const change = before === undefined ? `new, ${state}` : before === state ? `${state} (unchanged)` : `${before} -> ${state}`;
        detail = kind !== 'remove' && before === state;
        const type = f(rec, 'type') === 1 ? `type 1, spi=${v(rec, 'spi')}` : f(rec, 'type') === 2 ? `type 2, ${v(rec, 'candidate')} candidate, port ${v(rec, 'port')}` : 'type 0';
        if (kind === 'remove') {
          locStates.delete(key);
          text = `LOC    peer ${v(rec, 'peer')} locator ${v(rec, 'loc')}: removed from the table`;
        } else text = `LOC    peer ${v(rec, 'peer')} locator ${v(rec, 'loc')}: ${change}  (${type}${f(rec, 'preferred') === true ? ', preferred' : ''})`;
        break;
      }
      case 'event':
        text = eventLine(rec, v);
        break;
      case 'note':
        text = noteLine(rec, v, names);
        // A NAT translation (RFC 4787): a new mapping is part of the story, its reuse a detail.
        if (f(rec, 'nat') !== undefined) detail = f(rec, 'new') !== true && f(rec, 'nat') !== 'hairpin';
        break;
      default:
        text = `${rec.dir} ${kind}`;
    }
    out.push({ rec, text, ...(data !== undefined ? { data } : {}), ...(pkt !== undefined ? { pkt } : {}), ...(detail ? { detail: true as const } : {}) });
  }
  return out;
}

/** RFC 9028 §5.6 parameters that make a packet's relay story: always shown. */
const RELAY_PARAMS: ReadonlySet<string> = new Set(['REG_FROM', 'RELAY_FROM', 'RELAY_TO']);

/** A link name `src>dst` with its addresses as the Namer shows them. */
function linkName(name: string, names: Namer): string {
  try {
    return name
      .split('>')
      .map((x) => names.loc(parseLocator(x)))
      .join(' > ');
  } catch {
    return name;
  }
}

/**
 * The parameters of a HIP packet that tell its story (not the MAC or signature); with `all`,
 * every other parameter by name too.
 */
function paramsText(pkt: HipPacket, names: Namer, all = false): string {
  const parts: string[] = [];
  for (const p of pkt.params) {
    switch (p.kind) {
      case 'ESP_INFO':
        parts.push(`ESP_INFO(old=${spiHex(p.oldSpi)} new=${spiHex(p.newSpi)})`);
        break;
      case 'LOCATOR_SET':
        parts.push(
          `LOCATOR_SET(${p.locators
            .map((l) => {
              const addr = 'address' in l ? names.loc(l.address) : `type ${l.locatorType}`;
              const spi = l.locatorType === 1 && 'spi' in l ? ` spi=${spiHex(l.spi)}` : '';
              return `${addr}${spi}${l.preferred ? ' P' : ''}`;
            })
            .join(', ')})`,
        );
        break;
      case 'SEQ':
        parts.push(`SEQ(${p.updateId})`);
        break;
      case 'ACK':
        parts.push(`ACK(${p.peerUpdateIds.join(',')})`);
        break;
      case 'ECHO_REQUEST_SIGNED':
      case 'ECHO_REQUEST_UNSIGNED':
        parts.push('ECHO_REQUEST');
        break;
      case 'ECHO_RESPONSE_SIGNED':
      case 'ECHO_RESPONSE_UNSIGNED':
        parts.push('ECHO_RESPONSE');
        break;
      case 'DIFFIE_HELLMAN':
        parts.push('DIFFIE_HELLMAN');
        break;
      case 'NOTIFICATION':
        parts.push(`NOTIFICATION(${p.messageType})`);
        break;
      // RFC 8003 registration and RFC 8004 rendezvous parameters.
      case 'REG_INFO':
        parts.push(`REG_INFO(${p.regTypes.join(',')})`);
        break;
      case 'REG_REQUEST':
      case 'REG_RESPONSE':
        parts.push(`${p.kind}(${p.regTypes.join(',')} lifetime=${p.lifetime})`);
        break;
      case 'REG_FAILED':
        parts.push(`REG_FAILED(${p.regTypes.join(',')} type=${p.failureType})`);
        break;
      case 'FROM':
        parts.push(`FROM(${names.loc(p.address)})`);
        break;
      case 'RVS_HMAC':
        parts.push('RVS_HMAC');
        break;
      case 'VIA_RVS':
        parts.push(`VIA_RVS(${p.addresses.map((x) => names.loc(x)).join(', ')})`);
        break;
      // RFC 9028 §5.6, §5.8 Control Relay parameters: transport addresses with their ports.
      case 'REG_FROM':
      case 'RELAY_FROM':
      case 'RELAY_TO':
        parts.push(`${p.kind}(${names.loc(p.address)}:${p.port})`);
        break;
      case 'RELAY_HMAC':
        parts.push('RELAY_HMAC');
        break;
      // RFC 9028 §5.14, §5.15: a connectivity check and the nomination.
      case 'CANDIDATE_PRIORITY':
        parts.push(`CANDIDATE_PRIORITY(${p.priority})`);
        break;
      case 'NOMINATE':
        parts.push('NOMINATE');
        break;
      default:
        if (all) parts.push(p.kind === 'UNKNOWN' ? `type ${p.type}` : p.kind);
        break;
    }
  }
  return parts.join(' ');
}

function eventLine(rec: TraceRecord, v: (rec: TraceRecord, k: string) => string): string {
  switch (rec.kind) {
    case 'established':
      return `** ESTABLISHED with ${v(rec, 'peer')} as ${v(rec, 'role')}`;
    case 'update-completed':
      return `** UPDATE completed (${v(rec, 'what')})`;
    case 'closed':
      return `** CLOSED (by ${v(rec, 'by')})`;
    case 'failed':
      return `** FAILED (${v(rec, 'reason')})`;
    case 'registered':
      return `** REGISTERED types ${v(rec, 'types')} for ${v(rec, 'lifetimeS')} s (as ${v(rec, 'as')})`;
    case 'registration-failed':
      return `** REGISTRATION FAILED types ${v(rec, 'types')} (failure type ${v(rec, 'failureType')})`;
    case 'registration-ended':
      return `** REGISTRATION ENDED types ${v(rec, 'types')} (${v(rec, 'by')})`;
    case 'server-reflexive':
      return `** SERVER-REFLEXIVE ${v(rec, 'address')}:${v(rec, 'port')} (REG_FROM of ${v(rec, 'peer')})${rec.fields?.['prevPort'] !== undefined ? `, was ${v(rec, 'prevAddress')}:${v(rec, 'prevPort')}` : ''}`;
    case 'nat-path':
      return `** NAT-PATH ${v(rec, 'src')}:${v(rec, 'srcPort')} -> ${v(rec, 'dst')}:${v(rec, 'dstPort')} (the peer's ${v(rec, 'candidate')} candidate, nominated)`;
    case 'nat-checks-failed':
      return '** NAT-CHECKS-FAILED (no candidate pair works; no ESP on this association)';
    case 'dropped':
      return `!! engine dropped ${v(rec, 'pkt')}: ${v(rec, 'reason')}${rec.fields?.['detail'] !== undefined ? ` (${v(rec, 'detail')})` : ''}${v(rec, 'reason') === 'stale-update' ? ' - a late retransmission, older than the last UPDATE processed' : ''}`;
    default:
      return `** ${rec.kind}`;
  }
}

function noteLine(rec: TraceRecord, v: (rec: TraceRecord, k: string) => string, names: Namer): string {
  switch (rec.kind) {
    case 'host': {
      const hit = rec.fields?.['hit'];
      const hitText = hit !== undefined && hit !== null && typeof hit === 'object' && 'hit' in hit ? names.hit(hit.hit) : '?';
      return `.. host ${rec.host}: HIT ${hitText}, locators ${v(rec, 'locators')}`;
    }
    case 'connect':
      return `.. ${rec.host} connects to ${v(rec, 'peer')} (base exchange)`;
    case 'rekey':
      return `.. ${rec.host} rekeys the association with ${v(rec, 'peer')}`;
    case 'close':
      return `.. ${rec.host} closes the association with ${v(rec, 'peer')}`;
    case 'app-send':
      return `.. app: ${rec.host} sends ${JSON.stringify(v(rec, 'text'))} to ${v(rec, 'to')}`;
    case 'app-retry':
      return `.. app: ${rec.host} re-sends ${JSON.stringify(v(rec, 'text'))} to ${v(rec, 'to')} (not delivered yet)`;
    case 'app-gave-up':
      return `.. app: ${rec.host} gives up on ${JSON.stringify(v(rec, 'text'))}`;
    case 'act':
      return `=== ${subst(v(rec, 'title'), rec, names)}`;
    case 'say':
      return `.. ${subst(v(rec, 'text'), rec, names)}`;
    case 'nat':
      return `.. NAT ${rec.host} at ${v(rec, 'public')}: mapping ${v(rec, 'mapping')}, filtering ${v(rec, 'filtering')} (RFC 4787), for ${v(rec, 'inside')}`;
    case 'nat-rebind':
      return `.. NAT ${rec.host} rebinds (${v(rec, 'mode')}): its mappings are gone, the next packets get new external ports`;
    case 'link':
      return `.. link ${v(rec, 'name')} ${v(rec, 'a')} <-> ${v(rec, 'b')}: ${v(rec, 'what')}`;
    case 'locators':
      return `.. ${rec.host} sets its locators to ${v(rec, 'locators')} (engine.setLocalLocators)`;
    case 'add-sa-pair':
      return `.. ${rec.host} asks ${v(rec, 'peer')} for a new SA pair bound to its locator ${v(rec, 'local')}${rec.fields?.['remote'] !== undefined ? ` and ${v(rec, 'remote')}` : ''} (engine.addSaPair)`;
    case 'path-failed':
      return `.. ${rec.host} signals that the path to ${v(rec, 'peer')} at ${v(rec, 'loc')} is dead (engine.pathFailed)`;
    case 'app-flows':
      return `.. app: A and B each send one message per flow (${v(rec, 'flows')}), flow key = flow name`;
    case 'paths': {
      const list = rec.fields?.['paths'];
      const items = Array.isArray(list) ? (list as readonly TraceValue[]) : [];
      const text = items
        .map((x) => {
          const [src, dst, tx, rx] = Array.isArray(x) ? (x as readonly TraceValue[]) : [];
          const counts = [typeof tx === 'number' && tx > 0 ? `${tx} sent` : '', typeof rx === 'number' && rx > 0 ? `${rx} received` : ''].filter((c) => c !== '');
          return `${names.value(src)} -> ${names.value(dst)} ${counts.join(', ')}`;
        })
        .join('; ');
      return `.. ${rec.host} ESP counters per path (data plane): ${text || 'none'}`;
    }
    default: {
      const nat = rec.fields?.['nat'];
      if (nat === 'out' || nat === 'in') {
        const pair = (k: string): string => {
          const x = rec.fields?.[k];
          return Array.isArray(x) ? `${names.value(x[0] as TraceValue)}:${names.value(x[1] as TraceValue)}` : '?';
        };
        const map = `${pair('inside')} = ${pair('outside')}`;
        return `.. NAT ${nat === 'out' ? 'out' : 'in '} ${rec.kind.padEnd(7)} ${map} ${nat === 'out' ? 'to' : 'from'} ${pair('remote')}${rec.fields?.['new'] === true ? ' (new mapping)' : ''}`;
      }
      if (nat === 'hairpin') return `.. NAT hairpin ${rec.kind} from ${v(rec, 'from')} to ${v(rec, 'inside')}`;
      const fields = Object.entries(rec.fields ?? {})
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${k}=${v({ ...rec, fields: { [k]: x } }, k)}`)
        .join(' ');
      return `.. ${rec.kind}${fields !== '' ? ` ${fields}` : ''}`;
    }
  }
}

/** Replaces `{field}` in a note's text with that field's value (locators as the Namer shows them). */
function subst(text: string, rec: TraceRecord, names: Namer): string {
  return text.replace(/\{(\w+)\}/g, (whole, k: string) => {
    const x = rec.fields?.[k];
    return x === undefined ? whole : names.value(x);
  });
}

/** A JSON-friendly copy of a trace value: locators and HITs as text. */
function jsonValue(v: TraceValue): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v.toString();
  if (Array.isArray(v)) return v.map((x: TraceValue) => jsonValue(x));
  if (typeof v === 'object' && 'loc' in v) return formatLocator(v.loc);
  if (typeof v === 'object' && 'hit' in v) return formatHit(v.hit);
  return v;
}

/** Keys of a timeline JSON line of its own; a record field of the same name is renamed. */
const LINE_KEYS: ReadonlySet<string> = new Set(['t', 'host', 'dir', 'kind', 'data', 'path', 'text']);

/** The name a record field is written under: an SA's `dir` field is its `direction`. */
function fieldKey(k: string): string {
  if (!LINE_KEYS.has(k)) return k;
  return k === 'dir' ? 'direction' : `_${k}`;
}

/**
 * The timeline as JSON lines (docs/demo-trace.schema.json): the record's own keys, then its
 * fields, which never overwrite them (an SA record's `dir: 'in'` used to replace `dir: 'sa'`).
 */
function traceJsonLines(rendered: readonly Rendered[]): string {
  let out = '';
  for (const r of rendered) {
    const fields: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(r.rec.fields ?? {})) if (x !== undefined) fields[fieldKey(k)] = jsonValue(x);
    const line: Record<string, unknown> = { t: r.rec.t, host: r.rec.host, dir: r.rec.dir, kind: r.rec.kind, ...fields };
    if (r.data !== undefined) {
      line['data'] = new TextDecoder().decode(r.data.payload);
      line['path'] = `${formatLocator(r.data.src)}->${formatLocator(r.data.dst)}`;
    }
    line['text'] = r.text;
    out += `${JSON.stringify(line)}\n`;
  }
  return out;
}

/** Text safe inside a Mermaid message or note. */
function mm(s: string): string {
  return s.replace(/[;#"<>{}]/g, '').replace(/\s+/g, ' ').trim();
}

/**
 * A Mermaid note's text: Mermaid does not wrap notes, and a long one is clipped at the edge of
 * the diagram, so lines are broken with <br/> every `width` characters or so, at spaces.
 */
function mmNote(s: string, width = 48): string {
  const out: string[] = [];
  let line = '';
  for (const word of mm(s).split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      out.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') out.push(line);
  return out.join('<br/>');
}

function mermaid(sim: Sim, rendered: readonly Rendered[], names: Namer): string {
  const lines = ['sequenceDiagram', '    autonumber'];
  for (const h of sim.hosts) lines.push(`    participant ${h.name} as ${h.name} (${mm(h.locators.map((l) => names.loc(l)).join(', '))})`);
  const recs = rendered.map((r) => r.rec);
  const pkts = rendered.map((r) => r.pkt);
  const lastText = new Map<string, string>();
  let pendingNotes: { host: string; text: string }[] = [];
  const flushNotes = (): void => {
    // Consecutive notes of one host become one note.
    let i = 0;
    while (i < pendingNotes.length) {
      const host = pendingNotes[i]!.host;
      const texts: string[] = [];
      while (i < pendingNotes.length && pendingNotes[i]!.host === host) texts.push(pendingNotes[i++]!.text);
      lines.push(`    Note over ${host}: ${mmNote(texts.join(', '))}`);
    }
    pendingNotes = [];
  };
  // With several paths between the hosts, every arrow says which one it took.
  const multipath = sim.links().length > 2;
  const other = (host: string): string | undefined => (sim.hosts.length === 2 ? sim.hosts.find((h) => h.name !== host)?.name : undefined);
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i]!;
    const fv = (k: string): TraceValue => rec.fields?.[k];
    if (rec.dir === 'send') {
      flushNotes();
      const dst = fv('dst');
      // The owner of the address at the end of the run, else (an address given up since) the peer.
      const to = (dst !== null && typeof dst === 'object' && 'loc' in dst ? sim.hostByLocator(dst.loc)?.name : undefined) ?? other(rec.host);
      if (to === undefined) continue;
      const next = recs[i + 1];
      const lost = next !== undefined && next.dir === 'drop' && next.host === rec.host && next.kind === rec.kind;
      let label = rec.kind;
      const pkt = pkts[i];
      if (rec.kind === 'UPDATE' && pkt !== undefined) {
        label += ` ${pkt.params
          .map((x) => x.kind)
          .filter((k) => k !== 'HIP_MAC' && k !== 'HIP_MAC_2' && k !== 'HIP_SIGNATURE' && k !== 'HIP_SIGNATURE_2')
          .map((k) => k.replace(/_SIGNED$/, ''))
          .join(', ')}`;
      }
      if (rec.kind === 'ESP') {
        const text = lastText.get(rec.host);
        label = `ESP seq=${String(fv('seq'))}${text !== undefined ? ` ${text}` : ''}`;
        lastText.delete(rec.host);
      }
      if (multipath) label += ` [${names.value(fv('src'))} to ${names.value(fv('dst'))}]`;
      if (lost) label += ` (lost: ${String(next.fields?.['reason'] ?? '')})`;
      const arrow = lost ? '-x' : rec.kind === 'ESP' ? '-)' : '->>';
      lines.push(`    ${rec.host}${arrow}${to}: ${mm(label)}`);
    } else if (rec.dir === 'note' && (rec.kind === 'app-send' || rec.kind === 'app-retry')) {
      lastText.set(rec.host, `'${String(fv('text'))}'`);
    } else if (rec.dir === 'note' && rec.kind === 'act') {
      flushNotes();
      lines.push(`    Note over ${sim.hosts.map((h) => h.name).join(',')}: ${mmNote(subst(String(fv('title')), rec, names), 72)}`);
    } else if (rec.dir === 'sa') {
      const moved = rec.kind !== 'update' ? '' : fv('dir') === 'in' ? ` from ${names.value(fv('src'))}` : ` to ${names.value(fv('dst'))}`;
      pendingNotes.push({ host: rec.host, text: `SA ${rec.kind} ${String(fv('dir'))} ${String(fv('spi'))}${moved}` });
    } else if (rec.dir === 'locator') {
      pendingNotes.push({ host: rec.host, text: `${names.value(fv('loc'))} ${String(fv('state'))}` });
    } else if (rec.dir === 'event' && rec.kind !== 'dropped') {
      pendingNotes.push({ host: rec.host, text: rec.kind === 'established' ? `ESTABLISHED (${String(fv('role'))})` : rec.kind === 'closed' ? `CLOSED by ${String(fv('by'))}` : rec.kind.toUpperCase() });
    } else if (rec.dir === 'note' && (rec.kind === 'rekey' || rec.kind === 'close' || rec.kind === 'connect')) {
      pendingNotes.push({ host: rec.host, text: `${rec.kind}()` });
    } else if (rec.dir === 'note' && (rec.kind === 'locators' || rec.kind === 'add-sa-pair' || rec.kind === 'path-failed')) {
      const call = rec.kind === 'locators' ? 'setLocalLocators' : rec.kind === 'add-sa-pair' ? 'addSaPair' : 'pathFailed';
      const arg = rec.kind === 'locators' ? names.value(fv('locators')) : rec.kind === 'add-sa-pair' ? names.value(fv('local')) : names.value(fv('loc'));
      pendingNotes.push({ host: rec.host, text: `${call}(${arg})` });
    }
  }
  flushNotes();
  return `${lines.join('\n')}\n`;
}

function summary(sim: Sim, cfg: DemoConfig, names: Namer, wallMs: number): string[] {
  const lines: string[] = [];
  lines.push(`Summary: scenario ${cfg.scenario.name}, seed ${String(cfg.seed)}, virtual time ${sim.now.toFixed(3)} ms (${wallMs.toFixed(0)} ms of real time), ${sim.trace.length} trace records`);
  for (const h of sim.hosts) {
    const st = h.stats();
    const kinds = (m: Readonly<Partial<Record<string, number>>>): string =>
      Object.entries(m)
        .filter(([, n]) => n !== undefined && n > 0)
        .map(([k, n]) => `${k}×${n}`)
        .join(' ') || 'none';
    lines.push(`  ${h.name}  HIT ${names.hit(h.hit)}  key ${h.identity.keyType}`);
    lines.push(`     HIP sent: ${kinds(st.engine.sent)}; received: ${kinds(st.engine.received)}`);
    const drops = kinds(st.engine.drops);
    if (drops !== 'none') lines.push(`     HIP dropped by the engine: ${drops}`);
    lines.push(`     ESP: ${st.esp.txPackets} packets / ${st.esp.txBytes} bytes sent, ${st.esp.rxPackets} packets / ${st.esp.rxBytes} bytes received`);
    const events = h.events.filter((e) => e.type !== 'dropped').map((e) => e.type);
    lines.push(`     events: ${events.join(', ') || 'none'}; associations left: ${h.engine.associations().map((a) => a.state).join(', ') || 'none'}`);
  }
  lines.push('  application data delivered, per path:');
  const paths = new Map<string, { count: number; bytes: number; spis: Set<number> }>();
  for (const h of sim.hosts) {
    for (const r of h.received) {
      const key = `${names.host(r.peerHit)} -> ${h.name} via ${names.loc(r.src)} -> ${names.loc(r.dst)}`;
      const p = paths.get(key) ?? { count: 0, bytes: 0, spis: new Set<number>() };
      p.count++;
      p.bytes += r.payload.length;
      p.spis.add(r.spi);
      paths.set(key, p);
    }
  }
  if (paths.size === 0) lines.push('     none');
  for (const [k, p] of paths) lines.push(`     ${k}: ${p.count} message${p.count === 1 ? '' : 's'}, ${p.bytes} bytes, on ${p.spis.size} SA${p.spis.size === 1 ? '' : 's'}`);
  lines.push('  application data delivered, per SA (inbound SPI of the receiver):');
  const sas = new Map<string, { count: number; bytes: number; paths: Set<string> }>();
  for (const h of sim.hosts) {
    for (const r of h.received) {
      const key = `${names.host(r.peerHit)} -> ${h.name} on SA ${spiHex(r.spi)}`;
      const p = sas.get(key) ?? { count: 0, bytes: 0, paths: new Set<string>() };
      p.count++;
      p.bytes += r.payload.length;
      p.paths.add(`${names.loc(r.src)} -> ${names.loc(r.dst)}`);
      sas.set(key, p);
    }
  }
  if (sas.size === 0) lines.push('     none');
  for (const [k, p] of sas) lines.push(`     ${k}: ${p.count} message${p.count === 1 ? '' : 's'}, ${p.bytes} bytes, via ${[...p.paths].join(' and ')}`);
  const bex = sim.hosts.reduce((n, h) => n + h.eventsOf('established').filter((e) => e.role === 'initiator').length, 0);
  lines.push(`  base exchanges: ${bex}`);
  let submitted = 0;
  let lost = 0;
  const causes = new Map<string, number>();
  for (const { link } of sim.links()) {
    submitted += link.counters.submitted;
    for (const [cause, n] of Object.entries(link.counters.lost)) {
      lost += n;
      if (n > 0) causes.set(cause, (causes.get(cause) ?? 0) + n);
    }
  }
  lines.push(`  links: ${submitted} packets submitted, ${lost} lost${causes.size > 0 ? ` (${[...causes].map(([c, n]) => `${c} ×${n}`).join(', ')})` : ''}`);
  const sasLeft = sim.hosts.reduce((n, h) => n + h.sas.length, 0);
  lines.push(`  SAs still installed: ${sasLeft}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------

export async function runDemo(cfg: DemoConfig, io: Io): Promise<number> {
  // Before the run: without the optional charting library, say so at once.
  const plot = cfg.plot !== undefined ? await loadPlotModule() : undefined;
  if (plot === PLOT_NEEDS_ECHARTS) {
    io.err(PLOT_NEEDS_ECHARTS);
    return EXIT_FAILURE;
  }
  const wall0 = performance.now();
  const sc = cfg.scenario;
  const engineTrace: string[] = [];
  const sim = new Sim({
    seed: cfg.seed,
    crypto: 'noble',
    pcap: cfg.pcap !== undefined,
    ...(cfg.engineTrace !== undefined ? { engineTrace: (r) => void engineTrace.push(JSON.stringify(r)) } : {}),
  });
  // Every HIP packet as sent, in the order of the send records, to show an UPDATE's parameters.
  const sent: (HipPacket | undefined)[] = [];
  sim.intercept((_bytes, ctx) => {
    sent.push(ctx.packet);
    return 'pass';
  });
  let failure: unknown;
  try {
    sc.run(sc.setup(sim));
  } catch (e) {
    failure = e;
  }
  const wallMs = performance.now() - wall0;
  const names = new Namer(sim, cfg.redact);
  const rendered = render(sim, names, sent, cfg.verbose);

  if (!cfg.quiet) {
    // Every line fits COLUMNS (100): longer ones continue under the text column.
    io.out(fit(`hip-engine demo: scenario ${sc.name} (${sc.summary}), seed ${String(cfg.seed)}`, 2));
    io.out('');
    io.out(`${'t (ms)'.padStart(10)}  host  what`);
    let hidden = 0;
    for (const r of rendered) {
      if (r.detail === true && !cfg.verbose) {
        hidden++;
        continue;
      }
      if (r.rec.dir === 'note' && r.rec.kind === 'act') {
        io.out('');
        io.out(fit(`${ms(r.rec.t, 10)}  ${r.text}`, 16));
      } else io.out(fit(`${ms(r.rec.t, 10)}  ${r.rec.host.padEnd(4)}  ${r.text}`, 18));
    }
    io.out('');
    if (hidden > 0) {
      io.out(fit(`(${hidden} packet lines not shown: ESP sent, packets received, unchanged locators; -v shows every packet)`, 1));
      io.out('');
    }
  }
  for (const l of summary(sim, cfg, names, wallMs)) io.out(fit(l, 6));

  try {
    if (cfg.pcap !== undefined) {
      const w = sim.pcap();
      writeFileSync(cfg.pcap, w.toBytes());
      io.out(fit(`  pcap: ${w.count} packets written to ${cfg.pcap} (raw IP; open with Wireshark, or: tshark -r ${cfg.pcap} -V)`, 4));
    }
    if (cfg.trace !== undefined) {
      writeFileSync(cfg.trace, traceJsonLines(rendered));
      io.out(fit(`  trace: ${rendered.length} JSON lines written to ${cfg.trace}`, 4));
    }
    if (cfg.engineTrace !== undefined) {
      writeFileSync(cfg.engineTrace, engineTrace.length > 0 ? `${engineTrace.join('\n')}\n` : '');
      io.out(fit(`  engine trace: ${engineTrace.length} JSON lines written to ${cfg.engineTrace}`, 4));
    }
    if (cfg.diagram !== undefined) {
      writeFileSync(cfg.diagram, mermaid(sim, rendered, names));
      io.out(fit(`  diagram: Mermaid sequenceDiagram written to ${cfg.diagram}`, 4));
    }
    if (cfg.plot !== undefined && plot !== undefined) {
      const data = simPlotData(sim);
      writeFileSync(cfg.plot, plot.plotSvg(data.series, data.marks, { title: `hip-engine demo: ${sc.name}, seed ${String(cfg.seed)}` }));
      io.out(fit(`  plot: ${data.series.length} paths and ${data.marks.length} marked events drawn to ${cfg.plot}`, 4));
    }
  } catch (e) {
    io.err(`hip-engine demo: cannot write output: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT_FAILURE;
  }

  if (failure !== undefined) {
    const msg = failure instanceof SimError ? failure.message.split('\n')[0]! : failure instanceof Error ? failure.message : String(failure);
    io.out(`RESULT: FAILED (${msg})`);
    io.err(`hip-engine demo: the scenario failed: ${failure instanceof Error ? failure.message : String(failure)}`);
    return EXIT_FAILURE;
  }
  io.out('RESULT: OK');
  return EXIT_OK;
}
