// Shared helpers of the RFC 8046 / RFC 8047 scenarios (rfc8046-*.sim.test.ts,
// rfc8047-*.sim.test.ts): simulators that trace HIP parameters, compact views of the packets,
// locator tables and SAs, constant-rate flows, the Mermaid sequence diagrams of docs/mobility/,
// and a malicious peer's re-signed UPDATE.
import { engineInternals } from '../../src/engine/hip-engine.js';
import { expect } from 'vitest';
import { formatLocator, parseLocator } from '../../src/addr/locator.js';
import { computeMac, signPacket } from '../../src/crypto/auth.js';
import type { HostIdentity } from '../../src/crypto/host-id.js';
import type { HipConfig } from '../../src/engine/config.js';
import { DEFAULT_POLICY, type EnginePolicy } from '../../src/engine/policy.js';
import type { HipKeys } from '../../src/engine/states.js';
import type { EspDataPlaneOptions } from '../../src/esp/types.js';
import { Sim, fixHipChecksum, seededRandom, type InterceptContext, type LinkOptions, type SimHost, type SimLocatorInput, type TraceRecord, type TraceValue } from '../../src/testing/index.js';
import type { Locator, Millis } from '../../src/types.js';
import { decodePacket, encodePacket } from '../../src/wire/packet.js';
import type { HipPacket, ParamInit } from '../../src/wire/types.js';
import { seed } from './sim-helpers.js';

// ---------------------------------------------------------------------------------------------
// Topology

/** A simulator that traces HIP parameters (`to`, `params`, `esp`, `seq`, `ack`, `locs`). */
export function mhSim(s: number, opts: { readonly crypto?: 'noble' | 'fast' } = {}): Sim {
  return new Sim({ seed: seed(s), crypto: opts.crypto ?? 'noble', traceParams: true });
}

export type HostSpec = {
  readonly locators: readonly SimLocatorInput[];
  readonly config?: Partial<HipConfig>;
  readonly policy?: Partial<EnginePolicy>;
  readonly espOptions?: Partial<EspDataPlaneOptions>;
};

export function host(sim: Sim, name: string, spec: HostSpec): SimHost {
  return sim.host(name, {
    locators: spec.locators,
    ...(spec.config ? { config: spec.config } : {}),
    ...(spec.policy ? { policy: spec.policy } : {}),
    ...(spec.espOptions ? { espOptions: spec.espOptions } : {}),
  });
}

/**
 * An announce hook a test switches mid-run (a peer whose own policy changes): pass `policy` to
 * the host, then `use(fn)`; `use(undefined)` goes back to the default.
 */
export function switchableAnnounce(): { readonly policy: Partial<EnginePolicy>; use(fn: EnginePolicy['announce'] | undefined): void } {
  let current: EnginePolicy['announce'] = DEFAULT_POLICY.announce;
  return {
    policy: { announce: (ctx) => current(ctx) },
    use: (fn) => {
      current = fn ?? DEFAULT_POLICY.announce;
    },
  };
}

/** Duplex links between every pair of same-family addresses of `as` and `bs`. */
export function mesh(sim: Sim, as: readonly string[], bs: readonly string[], opts: LinkOptions = { latencyMs: 10 }): void {
  for (const x of as) for (const y of bs) if (x.includes(':') === y.includes(':')) sim.link(x, y, opts);
}

/** Brings both directions of the x<->y link up or down, with a trace note. */
export function setPath(sim: Sim, x: string, y: string, up: boolean): void {
  sim.note('net', up ? 'link-up' : 'link-down', { path: `${x}<->${y}` });
  sim.linkBetween(x, y)!.setUp(up);
  sim.linkBetween(y, x)!.setUp(up);
}

// ---------------------------------------------------------------------------------------------
// What went over the wire

const AUTH = new Set(['HIP_MAC', 'HIP_MAC_2', 'HIP_SIGNATURE', 'HIP_SIGNATURE_2']);

/** RFC figure names of parameters (the RFCs write ECHO_REQUEST for the signed variant). */
export function figureName(kind: string): string {
  if (kind === 'ECHO_REQUEST_SIGNED') return 'ECHO_REQUEST';
  if (kind === 'ECHO_RESPONSE_SIGNED') return 'ECHO_RESPONSE';
  return kind;
}

export type Msg = {
  readonly i: number;
  readonly t: Millis;
  readonly from: string;
  readonly to: string;
  readonly kind: string;
  /** Parameters without HIP_MAC(_2) and HIP_SIGNATURE(_2), RFC figure names. */
  readonly params: readonly string[];
  readonly src: string;
  readonly dst: string;
  readonly fields: Readonly<Record<string, TraceValue>>;
  /** The packet never reached its link's far end (interceptor, link down, no route). */
  readonly lost: boolean;
};

function locText(v: TraceValue): string {
  return typeof v === 'object' && v !== null && 'loc' in v ? formatLocator(v.loc) : String(v);
}

/** HIP packets sent since trace index `from` (needs a `mhSim`). */
export function hipMsgs(sim: Sim, from = 0): Msg[] {
  const recs = sim.trace.records;
  const out: Msg[] = [];
  for (let i = from; i < recs.length; i++) {
    const r = recs[i]!;
    if (r.dir !== 'send' || r.kind === 'ESP') continue;
    const f = r.fields ?? {};
    const next = recs[i + 1];
    const lost = next !== undefined && next.dir === 'drop' && next.host === r.host && next.kind === r.kind;
    const params = Array.isArray(f['params']) ? (f['params'] as string[]).filter((p) => !AUTH.has(p)).map(figureName) : [];
    out.push({ i, t: r.t, from: r.host, to: String(f['to']), kind: r.kind, params, src: locText(f['src']), dst: locText(f['dst']), fields: f, lost });
  }
  return out;
}

/** `A>B UPDATE(ESP_INFO,LOCATOR_SET,SEQ)`, one string per HIP packet (the shape of an RFC figure). */
export function figure(sim: Sim, from = 0, opts: { readonly lost?: boolean } = {}): string[] {
  return hipMsgs(sim, from)
    .filter((m) => opts.lost === true || !m.lost)
    .map((m) => `${m.from}>${m.to} ${m.kind}${m.kind === 'UPDATE' || m.kind === 'NOTIFY' || m.params.includes('LOCATOR_SET') ? `(${(m.kind === 'UPDATE' || m.kind === 'NOTIFY' ? m.params : ['LOCATOR_SET']).join(',')})` : ''}`);
}

/** The LOCATOR_SET of a traced message as [type, address, P?] rows (SPIs left out). */
export function locs(m: Msg): string[] {
  const l = m.fields['locs'];
  if (!Array.isArray(l)) return [];
  return (l as TraceValue[][]).map((row) => row.filter((x) => !(typeof x === 'string' && x.startsWith('0x'))).map(locText).join(' '));
}

/** ESP packets sent by `from` since trace index `since`, as { src>dst: count }. */
export function espSends(sim: Sim, from: string, since = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of sim.trace.records.slice(since)) {
    if (r.dir !== 'send' || r.kind !== 'ESP' || r.host !== from) continue;
    const k = `${locText(r.fields!['src'])}>${locText(r.fields!['dst'])}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

/** Engine 'dropped' events of `h` with `reason` (optionally since time `t`). */
export function drops(h: SimHost, reason: string, t = 0): number {
  return h.eventsOf('dropped').filter((e) => e.reason === reason && e.t >= t).length;
}

// ---------------------------------------------------------------------------------------------
// State views

/** `h`'s locator table for `peer` as { address: 'STATE[ type][ P]' } (engine table, §5.1). */
export function table(h: SimHost, peer: SimHost): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of h.locatorTable(peer)) out[formatLocator(e.locator)] = `${e.state} t${e.type}${e.preferred ? ' P' : ''}`;
  return out;
}

/** Only the states: { address: 'ACTIVE' }. */
export function states(h: SimHost, peer: SimHost): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of h.locatorTable(peer)) out[formatLocator(e.locator)] = e.state;
  return out;
}

/** `h`'s outbound SAs toward `peer` as 'src>dst' (with ' credit' when credit-limited), SPI order of installation. */
export function outPaths(h: SimHost, peer: SimHost): string[] {
  return h.esp.outboundSas(peer.hit).map((s) => `${formatLocator(s.src)}>${formatLocator(s.dst)}${s.creditLimited ? ' credit' : ''}`);
}

export function sasOf(h: SimHost, peer: SimHost, dir: 'in' | 'out'): number[] {
  return h.sas.filter((s) => s.direction === dir && s.peerHit.every((b, i) => b === peer.hit[i])).map((s) => s.spi);
}

/** Received application payloads per path `src>dst` (packets), from `h.received[since]` on. */
export function perPath(h: SimHost, from: SimHost, since = 0): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of h.received.slice(since)) {
    if (r.from !== from.name) continue;
    const k = `${formatLocator(r.src)}>${formatLocator(r.dst)}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Traffic

export type FlowSend = { readonly n: number; readonly t: Millis; readonly ok: boolean; readonly reason?: string; readonly path?: string; readonly bytes: number };
export type Flow = { readonly sends: FlowSend[]; readonly tag: string };

/**
 * A constant-rate flow: `count` payloads of `size` bytes from `a` to `b`, one every `intervalMs`
 * from `startMs`. Each payload starts with the flow tag and its number, so arrivals can be
 * matched (see `arrivals`).
 */
export function constantFlow(
  sim: Sim,
  a: SimHost,
  b: SimHost,
  opts: { readonly startMs: Millis; readonly intervalMs: Millis; readonly count: number; readonly size?: number; readonly tag?: string; readonly flowKey?: string; readonly spi?: number },
): Flow {
  const tag = opts.tag ?? `${a.name}${b.name}`;
  const flow: Flow = { sends: [], tag };
  const size = Math.max(opts.size ?? 64, tag.length + 8);
  for (let n = 0; n < opts.count; n++) {
    sim.at(opts.startMs + n * opts.intervalMs, () => {
      const payload = new Uint8Array(size);
      payload.set(new TextEncoder().encode(`${tag}#${String(n).padStart(6, '0')}`));
      const r = a.send(b, payload, { ...(opts.flowKey !== undefined ? { flowKey: opts.flowKey } : {}), ...(opts.spi !== undefined ? { spi: opts.spi } : {}) });
      flow.sends.push(
        r.ok
          ? { n, t: sim.now, ok: true, path: `${formatLocator(r.packet.src)}>${formatLocator(r.packet.dst)}`, bytes: r.packet.bytes.length }
          : { n, t: sim.now, ok: false, reason: r.reason, bytes: 0 },
      );
    });
  }
  return flow;
}

/** Arrivals of a flow at `b`: { n, t, path } in arrival order. */
export function arrivals(b: SimHost, flow: Flow): { n: number; t: Millis; path: string }[] {
  const prefix = `${flow.tag}#`;
  const out: { n: number; t: Millis; path: string }[] = [];
  for (const r of b.received) {
    const text = new TextDecoder().decode(r.payload.subarray(0, prefix.length + 6));
    if (!text.startsWith(prefix)) continue;
    out.push({ n: Number(text.slice(prefix.length)), t: r.t, path: `${formatLocator(r.src)}>${formatLocator(r.dst)}` });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Mermaid sequence diagrams from a trace (docs/mobility/*.md)

export type MermaidOptions = {
  /** First trace index to draw (e.g. after the base exchange). */
  readonly from?: number;
  /** Participants in order (default: hosts in order of appearance). */
  readonly participants?: readonly string[];
  /** Draw locator state changes as notes (default true). */
  readonly locatorNotes?: boolean;
  /** Draw ESP data as one arrow per run of packets on one path (default true). */
  readonly esp?: boolean;
  /** Show outer addresses on HIP arrows (default true). */
  readonly addresses?: boolean;
};

/**
 * A Mermaid `sequenceDiagram` of the trace: HIP packets as arrows labelled like the RFC figures
 * (HIP_MAC and HIP_SIGNATURE left out, ECHO_*_SIGNED as ECHO_*) drawn where they ARRIVE (so a
 * delayed packet shows after what overtook it), packets that never arrived as `-x` where they
 * left, runs of ESP data per path as one dotted arrow, and notes for locator changes, path
 * failures, link cuts, locator state changes and completed updates.
 */
export function mermaidFromTrace(sim: Sim, opts: MermaidOptions = {}): string {
  const recs = sim.trace.records;
  const from = opts.from ?? 0;
  const names: string[] = [...(opts.participants ?? [])];
  const seen = (n: string): void => {
    if (n !== 'net' && n !== '?' && !names.includes(n)) names.push(n);
  };
  type Item = { readonly pos: number; readonly sub: number; readonly line?: string; readonly esp?: { from: string; to: string; src: string; dst: string; lost: boolean } };
  const items: Item[] = [];
  const matched = new Set<number>();
  const arrival = (i: number, to: string, kind: string, src: string, dst: string): number | undefined => {
    for (let j = i + 1; j < recs.length; j++) {
      const r = recs[j]!;
      if (matched.has(j) || r.dir !== 'recv' || r.host !== to || r.kind !== kind) continue;
      if (locText(r.fields?.['src']) !== src || locText(r.fields?.['dst']) !== dst) continue;
      matched.add(j);
      return j;
    }
    return undefined;
  };
  const lastState = new Map<string, string>();
  for (let i = from; i < recs.length; i++) {
    const r: TraceRecord = recs[i]!;
    const f = r.fields ?? {};
    if (r.dir === 'send') {
      const to = String(f['to'] ?? '?');
      seen(r.host);
      seen(to);
      const src = locText(f['src']);
      const dst = locText(f['dst']);
      if (r.kind === 'ESP') {
        if (opts.esp === false) continue;
        const next = recs[i + 1];
        const lost = next !== undefined && next.dir === 'drop' && next.host === r.host && next.kind === 'ESP';
        items.push({ pos: i, sub: 0, esp: { from: r.host, to, src, dst, lost } });
        continue;
      }
      const at = to === '?' ? undefined : arrival(i, to, r.kind, src, dst);
      const params = Array.isArray(f['params']) ? (f['params'] as string[]).filter((p) => !AUTH.has(p)).map(figureName) : [];
      const shown = r.kind === 'UPDATE' || r.kind === 'NOTIFY' ? `${r.kind}(${params.join(', ')})` : params.includes('LOCATOR_SET') ? `${r.kind} with LOCATOR_SET` : r.kind;
      const where = opts.addresses === false ? '' : ` [${src} to ${dst}]`;
      items.push({ pos: at ?? i, sub: at === undefined ? 0 : -1, line: `    ${r.host}${at === undefined ? '-x' : '->>'}${to === '?' ? r.host : to}: ${shown}${where}` });
      continue;
    }
    if (r.dir === 'note' && (r.kind === 'locators' || r.kind === 'path-failed' || r.kind === 'add-sa-pair' || r.kind === 'link-down' || r.kind === 'link-up' || r.kind === 'connect' || r.kind === 'comment')) {
      const text =
        r.kind === 'locators'
          ? `${r.host} locators = ${(f['locators'] as TraceValue[]).map(locText).join(', ')}${f['rekey'] === true ? ' (rekey)' : ''}`
          : r.kind === 'path-failed'
            ? `${r.host}: path to ${locText(f['loc'])} failed`
            : r.kind === 'add-sa-pair'
              ? `${r.host}: new SA pair from ${locText(f['local'])}`
              : r.kind === 'connect'
                ? `${r.host} connects`
                : r.kind === 'comment'
                  ? String(f['text'])
                  : `link ${String(f['path'])} ${r.kind === 'link-down' ? 'down' : 'up'}`;
      const over = r.host === 'net' ? `${names[0] ?? 'A'},${names[names.length - 1] ?? 'B'}` : r.host;
      if (r.host !== 'net') seen(r.host);
      items.push({ pos: i, sub: 0, line: `    Note over ${over}: ${text}` });
      continue;
    }
    if (r.dir === 'locator' && opts.locatorNotes !== false) {
      const key = `${r.host}/${locText(f['loc'])}`;
      const st = String(f['state']);
      if (lastState.get(key) === st) continue;
      lastState.set(key, st);
      items.push({ pos: i, sub: 0, line: `    Note over ${r.host}: ${locText(f['loc'])} ${st}` });
      continue;
    }
    if (r.dir === 'event' && (r.kind === 'established' || r.kind === 'update-completed')) {
      items.push({ pos: i, sub: 0, line: `    Note over ${r.host}: ${r.kind === 'established' ? 'ESTABLISHED' : `update completed (${String(f['what'])})`}` });
    }
  }
  items.sort((x, y) => x.pos - y.pos || x.sub - y.sub);
  const lines: string[] = [];
  let run: { from: string; to: string; src: string; dst: string; n: number; lost: number } | undefined;
  const flush = (): void => {
    if (run === undefined) return;
    lines.push(`    ${run.from}-->>${run.to}: ESP data x${run.n}${run.lost > 0 ? `, ${run.lost} lost` : ''} (${run.src} to ${run.dst})`);
    run = undefined;
  };
  for (const it of items) {
    if (it.esp !== undefined) {
      const e = it.esp;
      if (run !== undefined && (run.from !== e.from || run.src !== e.src || run.dst !== e.dst)) flush();
      run ??= { from: e.from, to: e.to, src: e.src, dst: e.dst, n: 0, lost: 0 };
      run.n++;
      if (e.lost) run.lost++;
      continue;
    }
    flush();
    lines.push(it.line!);
  }
  flush();
  return ['sequenceDiagram', ...names.map((n) => `    participant ${n}`), ...lines].join('\n') + '\n';
}

/** The Markdown page of one figure: title, what the RFC shows, and the generated diagram. */
export function figurePage(title: string, rfcFigure: string, notes: readonly string[], diagram: string): string {
  return [
    `# ${title}`,
    '',
    'Generated from the simulator trace by `test/scenarios/rfc8047-figures.sim.test.ts`',
    '(`mermaidFromTrace` in `test/scenarios/mobility-helpers.ts`); do not edit by hand.',
    '',
    'The RFC figure:',
    '',
    '```text',
    rfcFigure.replace(/^\n+|\n+$/g, ''),
    '```',
    '',
    ...notes,
    ...(notes.length > 0 ? [''] : []),
    'What the engine does, packet by packet (HIP_MAC and HIP_SIGNATURE left out):',
    '',
    '```mermaid',
    diagram.trimEnd(),
    '```',
    '',
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// A malicious (but authenticated) peer

type Internals = { keys: HipKeys; local: HostIdentity };

/**
 * The HIP_MAC key and identity of `h`'s association with `peer`. A test that plays a malicious
 * peer needs them to re-sign a packet it rewrote; the engine offers no API for that (rightly),
 * so this reaches into its private table.
 */
function internals(h: SimHost, peer: SimHost): Internals {
  const id = h.association(peer)!.id;
  const assocs = (engineInternals(h.engine) as unknown as { assocs: Map<number, { state: { name: string; keys?: HipKeys }; local: HostIdentity }> }).assocs;
  const a = assocs.get(id)!;
  expect(a.state.name).toBe('ESTABLISHED');
  return { keys: a.state.keys!, local: a.local };
}

/**
 * Rebuilds an UPDATE that `h` sent to `peer` with its parameters changed by `edit`, and a valid
 * HIP_MAC, HIP_SIGNATURE and checksum: what a malicious peer that holds its own keys can send.
 */
export function resignUpdate(h: SimHost, peer: SimHost, pkt: HipPacket, ctx: Pick<InterceptContext, 'src' | 'dst'>, edit: (params: ParamInit[]) => ParamInit[]): Uint8Array {
  const { keys, local } = internals(h, peer);
  const base = { kind: pkt.kind, senderHit: pkt.senderHit, receiverHit: pkt.receiverHit, controls: pkt.controls };
  const params: ParamInit[] = edit(pkt.params.filter((p) => !AUTH.has(p.kind)).map((p) => stripSpan(p)));
  const hmac = computeMac(h.crypto, keys.rhash, keys.macOut, encodePacket({ ...base, params }));
  params.push({ kind: 'HIP_MAC', hmac });
  const sig = signPacket(h.crypto, local, encodePacket({ ...base, params }), seededRandom(7));
  params.push({ kind: 'HIP_SIGNATURE', algorithm: sig.algorithm, signature: sig.signature });
  const bytes = encodePacket({ ...base, params }, { src: ctx.src, dst: ctx.dst });
  expect(decodePacket(bytes, { src: ctx.src, dst: ctx.dst }).ok).toBe(true);
  return fixHipChecksum(bytes, ctx.src, ctx.dst);
}

function stripSpan(p: ParamInit): ParamInit {
  const { span: _s, ...rest } = p as ParamInit & { span?: unknown };
  return rest as ParamInit;
}

export const L = (text: string): Locator => parseLocator(text);

// ---------------------------------------------------------------------------------------------
// Addresses used across the scenarios (documentation ranges, RFC 3849 / RFC 5737)

export const A1 = '2001:db8:1::a';
export const A2 = '2001:db8:2::a';
export const A3 = '2001:db8:3::a';
export const B1 = '2001:db8:1::b';
export const B2 = '2001:db8:2::b';
export const B3 = '2001:db8:3::b';
export const A4 = '192.0.2.10';
export const B4 = '198.51.100.20';
/** An address that belongs to a third party (a flooding victim). */
export const VICTIM = '2001:db8:66::6';

/** Sends `n` payloads each way (application data) and runs `ms`; returns what arrived per path. */
export function ping(sim: Sim, a: SimHost, b: SimHost, n = 3, ms = 200): { ab: Record<string, number>; ba: Record<string, number> } {
  const t = sim.now;
  const ra = a.received.length;
  const rb = b.received.length;
  for (let i = 0; i < n; i++) {
    a.send(b, new TextEncoder().encode(`A->B ${i} @${t}`));
    b.send(a, new TextEncoder().encode(`B->A ${i} @${t}`));
  }
  sim.run(ms);
  return { ab: perPath(b, a, rb), ba: perPath(a, b, ra) };
}

/** Number of I1 packets sent by anyone so far (a new base exchange would send one). */
export function i1Count(sim: Sim): number {
  return sim.trace.records.filter((r) => r.dir === 'send' && r.kind === 'I1').length;
}
