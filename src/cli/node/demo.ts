// `hip-engine demo`: a scenario on the deterministic simulator (src/testing/sim.ts) with real
// crypto (nobleCrypto) and real ESP traffic, rendered as a timeline a person can follow, with a
// summary, and optionally a pcap (raw IP: HIP as protocol 139 with real checksums, ESP as 50),
// JSON-lines trace and a Mermaid sequence diagram.
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { formatHit, hitKey } from '../../addr/hit.js';
import { formatLocator, locatorKey } from '../../addr/locator.js';
import { Sim, SimError, type ReceivedPayload, type SimHost } from '../../testing/sim.js';
import type { TraceRecord, TraceValue } from '../../testing/trace.js';
import type { Seed } from '../../testing/rng.js';
import type { LinkOptions } from '../../testing/netem.js';
import type { Hit, Locator } from '../../types.js';
import { EXIT_FAILURE, EXIT_OK, UsageError, flag, parse, str, type OptionSpec } from './args.js';
import { ms, payloadText, suiteName } from './format.js';
import type { Io } from './live.js';

// ---------------------------------------------------------------------------------------------
// Scenarios

type ScenarioCtx = {
  readonly sim: Sim;
  readonly a: SimHost;
  readonly b: SimHost;
};

type Scenario = {
  readonly name: string;
  readonly summary: string;
  readonly locators: readonly [string, string];
  readonly link: LinkOptions;
  /** The seed used without --seed (chosen so the story shows what the scenario is about). */
  readonly defaultSeed: number;
  readonly run: (ctx: ScenarioCtx) => void;
};

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

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'basic',
    summary: 'IPv6, 10 ms link: base exchange, data both ways, rekey, more data, close',
    locators: ['2001:db8::a', '2001:db8::b'],
    link: { latencyMs: 10 },
    defaultSeed: 1,
    run: fullStory(0),
  },
  {
    name: 'ipv4',
    summary: 'the same story over IPv4 (192.0.2.1 and 192.0.2.2)',
    locators: ['192.0.2.1', '192.0.2.2'],
    link: { latencyMs: 10 },
    defaultSeed: 1,
    run: fullStory(0),
  },
  {
    name: 'lossy',
    summary: 'IPv6, 25 ms link with 5 ms jitter and 20% loss: retransmissions and application retries',
    locators: ['2001:db8::a', '2001:db8::b'],
    link: { latencyMs: 25, jitterMs: 5, loss: 0.2 },
    defaultSeed: 4,
    run: fullStory(8),
  },
];

export const DEMO_HELP = `Usage: hip-engine demo [--scenario NAME] [--seed N] [--pcap FILE] [--trace FILE]
                       [--diagram FILE] [--redact] [--quiet]

Runs two HIP hosts, A (Initiator) and B (Responder), in the deterministic network simulator
with real cryptography (ECDSA P-256 host identities, ECDH, AES + HMAC ESP) and prints the
timeline: every packet sent and received with its locators, SA installs and removals, events,
and application data delivered per path, then a summary. A seed reproduces a run exactly.

Options:
  --scenario NAME   ${SCENARIOS.map((s) => s.name).join(', ')} (default basic)
${SCENARIOS.map((s) => `                      ${s.name.padEnd(6)} ${s.summary}`).join('\n')}
  --seed N          simulation seed: identities, SPIs, nonces, link randomness (default:
                    ${SCENARIOS.map((s) => `${s.name} ${s.defaultSeed}`).join(', ')})
  --pcap FILE       write the packets as delivered to a classic pcap file (raw IPv4/IPv6,
                    HIP = IP protocol 139 with real HIP checksums, ESP = 50); open it in
                    Wireshark or run: tshark -r FILE -V
  --trace FILE      write the timeline as JSON lines, one record per event (no key material)
  --diagram FILE    write a Mermaid sequenceDiagram of the exchange
  --redact          show locators as L1, L2... and HITs as H1, H2... in the timeline
  -q, --quiet       print only the summary
  -h, --help        this text

Exit codes: 0 success, 1 the scenario failed, 2 bad arguments.`;

const OPTIONS: OptionSpec = {
  scenario: { type: 'string' },
  seed: { type: 'string' },
  pcap: { type: 'string' },
  trace: { type: 'string' },
  diagram: { type: 'string' },
  redact: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  help: { type: 'boolean', short: 'h' },
};

export type DemoConfig = {
  readonly scenario: Scenario;
  readonly seed: Seed;
  readonly pcap?: string;
  readonly trace?: string;
  readonly diagram?: string;
  readonly redact: boolean;
  readonly quiet: boolean;
};

export function parseDemo(args: readonly string[]): DemoConfig | 'help' {
  const p = parse('demo', args, OPTIONS);
  if (flag(p, 'help')) return 'help';
  const name = str(p, 'scenario') ?? 'basic';
  const scenario = SCENARIOS.find((s) => s.name === name);
  if (scenario === undefined) throw new UsageError(`demo: unknown scenario ${JSON.stringify(name)}; choose one of ${SCENARIOS.map((s) => s.name).join(', ')}`);
  const seedText = str(p, 'seed');
  let seed: Seed = scenario.defaultSeed;
  if (seedText !== undefined) {
    if (!/^\d+$/.test(seedText) || !Number.isSafeInteger(Number(seedText))) throw new UsageError(`--seed expects a non-negative integer, got ${JSON.stringify(seedText)}`);
    seed = Number(seedText);
  }
  const files: Record<string, string> = {};
  for (const k of ['pcap', 'trace', 'diagram'] as const) {
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
    redact: flag(p, 'redact'),
    quiet: flag(p, 'quiet'),
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

type Rendered = { readonly rec: TraceRecord; readonly text: string; readonly data?: ReceivedPayload };

/** One readable line per trace record, with delivered payloads attached to their ESP receptions. */
function render(sim: Sim, names: Namer): Rendered[] {
  const nextPayload = new Map<string, number>();
  const out: Rendered[] = [];
  const f = (rec: TraceRecord, k: string): TraceValue => rec.fields?.[k];
  const v = (rec: TraceRecord, k: string): string => names.value(f(rec, k));
  for (const rec of sim.trace.records) {
    let text: string;
    let data: ReceivedPayload | undefined;
    const kind = rec.kind;
    switch (rec.dir) {
      case 'send':
        if (kind === 'ESP') text = `=> ESP        spi=${v(rec, 'spi')} seq=${v(rec, 'seq')}  ${v(rec, 'src')} -> ${v(rec, 'dst')}  (${v(rec, 'len')} bytes)`;
        else text = `-> ${kind.padEnd(10)}  ${v(rec, 'src')} -> ${v(rec, 'dst')}  (${v(rec, 'len')} bytes)`;
        break;
      case 'recv':
        if (kind === 'ESP') {
          const host = sim.hostByName(rec.host);
          const i = nextPayload.get(rec.host) ?? 0;
          data = host?.received[i];
          nextPayload.set(rec.host, i + 1);
          text = `<= ESP        spi=${v(rec, 'spi')} seq=${v(rec, 'seq')}`;
          if (data !== undefined) text += `  DATA from ${names.host(data.peerHit)} via ${names.loc(data.src)} -> ${names.loc(data.dst)}: ${payloadText(data.payload)}`;
        } else {
          text = `<- ${kind.padEnd(10)}  from ${v(rec, 'src')}  (${v(rec, 'len')} bytes)${f(rec, 'dup') === true ? ' [duplicate]' : ''}${f(rec, 'corrupted') !== undefined ? ` [corrupted: ${v(rec, 'corrupted')}]` : ''}`;
        }
        break;
      case 'drop': {
        const reason = String(f(rec, 'reason'));
        if (f(rec, 'link') !== undefined) text = `x- ${kind.padEnd(10)}  lost on the link ${v(rec, 'link')} (${reason})`;
        else text = `x- ${kind.padEnd(10)}  dropped: ${reason}${f(rec, 'spi') !== undefined ? ` spi=${v(rec, 'spi')}` : ''}`;
        break;
      }
      case 'sa': {
        const suite = f(rec, 'suite');
        text = `SA ${kind.padEnd(6)} ${v(rec, 'dir').padEnd(3)} spi=${v(rec, 'spi')}  ${v(rec, 'src')} -> ${v(rec, 'dst')}${kind === 'add' && typeof suite === 'number' ? `  ${suiteName(suite)}` : ''}`;
        break;
      }
      case 'locator':
        text = `LOC ${kind} peer ${v(rec, 'peer')} locator ${v(rec, 'loc')} ${v(rec, 'state')}${f(rec, 'preferred') === true ? ' (preferred)' : ''}`;
        break;
      case 'event':
        text = eventLine(rec, v);
        break;
      case 'note':
        text = noteLine(rec, v, names);
        break;
      default:
        text = `${rec.dir} ${kind}`;
    }
    out.push(data !== undefined ? { rec, text, data } : { rec, text });
  }
  return out;
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
    case 'dropped':
      return `!! engine dropped ${v(rec, 'pkt')}: ${v(rec, 'reason')}${rec.fields?.['detail'] !== undefined ? ` (${v(rec, 'detail')})` : ''}`;
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
    default: {
      const fields = Object.entries(rec.fields ?? {})
        .filter(([, x]) => x !== undefined)
        .map(([k, x]) => `${k}=${v({ ...rec, fields: { [k]: x } }, k)}`)
        .join(' ');
      return `.. ${rec.kind}${fields !== '' ? ` ${fields}` : ''}`;
    }
  }
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

function traceJsonLines(rendered: readonly Rendered[]): string {
  let out = '';
  for (const r of rendered) {
    const fields: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(r.rec.fields ?? {})) if (x !== undefined) fields[k] = jsonValue(x);
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

function mermaid(sim: Sim, rendered: readonly Rendered[], names: Namer): string {
  const lines = ['sequenceDiagram', '    autonumber'];
  for (const h of sim.hosts) lines.push(`    participant ${h.name} as ${h.name} (${mm(h.locators.map((l) => names.loc(l)).join(', '))})`);
  const recs = rendered.map((r) => r.rec);
  const lastText = new Map<string, string>();
  let pendingNotes: { host: string; text: string }[] = [];
  const flushNotes = (): void => {
    // Consecutive notes of one host become one note.
    let i = 0;
    while (i < pendingNotes.length) {
      const host = pendingNotes[i]!.host;
      const texts: string[] = [];
      while (i < pendingNotes.length && pendingNotes[i]!.host === host) texts.push(pendingNotes[i++]!.text);
      lines.push(`    Note over ${host}: ${mm(texts.join(', '))}`);
    }
    pendingNotes = [];
  };
  for (let i = 0; i < recs.length; i++) {
    const rec = recs[i]!;
    const fv = (k: string): TraceValue => rec.fields?.[k];
    if (rec.dir === 'send') {
      flushNotes();
      const dst = fv('dst');
      const to = dst !== null && typeof dst === 'object' && 'loc' in dst ? sim.hostByLocator(dst.loc)?.name : undefined;
      if (to === undefined) continue;
      const next = recs[i + 1];
      const lost = next !== undefined && next.dir === 'drop' && next.host === rec.host && next.kind === rec.kind;
      let label = rec.kind;
      if (rec.kind === 'ESP') {
        const text = lastText.get(rec.host);
        label = `ESP seq=${String(fv('seq'))}${text !== undefined ? ` ${text}` : ''}`;
        lastText.delete(rec.host);
      }
      if (lost) label += ` (lost: ${String(next.fields?.['reason'] ?? '')})`;
      const arrow = lost ? '-x' : rec.kind === 'ESP' ? '-)' : '->>';
      lines.push(`    ${rec.host}${arrow}${to}: ${mm(label)}`);
    } else if (rec.dir === 'note' && (rec.kind === 'app-send' || rec.kind === 'app-retry')) {
      lastText.set(rec.host, `'${String(fv('text'))}'`);
    } else if (rec.dir === 'sa') {
      pendingNotes.push({ host: rec.host, text: `SA ${rec.kind} ${String(fv('dir'))} ${String(fv('spi'))}` });
    } else if (rec.dir === 'event' && rec.kind !== 'dropped') {
      pendingNotes.push({ host: rec.host, text: rec.kind === 'established' ? `ESTABLISHED (${String(fv('role'))})` : rec.kind === 'closed' ? `CLOSED by ${String(fv('by'))}` : rec.kind.toUpperCase() });
    } else if (rec.dir === 'note' && (rec.kind === 'rekey' || rec.kind === 'close' || rec.kind === 'connect')) {
      pendingNotes.push({ host: rec.host, text: `${rec.kind}()` });
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
  for (const [k, p] of paths) lines.push(`     ${k}: ${p.count} messages, ${p.bytes} bytes, on ${p.spis.size} SA${p.spis.size === 1 ? '' : 's'}`);
  let submitted = 0;
  let lost = 0;
  for (const { link } of sim.links()) {
    submitted += link.counters.submitted;
    for (const n of Object.values(link.counters.lost)) lost += n;
  }
  lines.push(`  links: ${submitted} packets submitted, ${lost} lost`);
  const sasLeft = sim.hosts.reduce((n, h) => n + h.sas.length, 0);
  lines.push(`  SAs still installed: ${sasLeft}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------

export function runDemo(cfg: DemoConfig, io: Io): number {
  const wall0 = performance.now();
  const sc = cfg.scenario;
  const sim = new Sim({ seed: cfg.seed, crypto: 'noble', pcap: cfg.pcap !== undefined });
  const a = sim.host('A', { locators: [sc.locators[0]] });
  const b = sim.host('B', { locators: [sc.locators[1]] });
  sim.link(sc.locators[0], sc.locators[1], sc.link);
  let failure: unknown;
  try {
    sc.run({ sim, a, b });
  } catch (e) {
    failure = e;
  }
  const wallMs = performance.now() - wall0;
  const names = new Namer(sim, cfg.redact);
  const rendered = render(sim, names);

  if (!cfg.quiet) {
    io.out(`hip-engine demo: scenario ${sc.name} (${sc.summary}), seed ${String(cfg.seed)}`);
    io.out('');
    io.out(`${'t (ms)'.padStart(10)}  host  what`);
    for (const r of rendered) io.out(`${ms(r.rec.t, 10)}  ${r.rec.host.padEnd(4)}  ${r.text}`);
    io.out('');
  }
  for (const l of summary(sim, cfg, names, wallMs)) io.out(l);

  try {
    if (cfg.pcap !== undefined) {
      const w = sim.pcap();
      writeFileSync(cfg.pcap, w.toBytes());
      io.out(`  pcap: ${w.count} packets written to ${cfg.pcap} (raw IP; open with Wireshark, or: tshark -r ${cfg.pcap} -V)`);
    }
    if (cfg.trace !== undefined) {
      writeFileSync(cfg.trace, traceJsonLines(rendered));
      io.out(`  trace: ${rendered.length} JSON lines written to ${cfg.trace}`);
    }
    if (cfg.diagram !== undefined) {
      writeFileSync(cfg.diagram, mermaid(sim, rendered, names));
      io.out(`  diagram: Mermaid sequenceDiagram written to ${cfg.diagram}`);
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
