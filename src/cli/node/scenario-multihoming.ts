// The default `hip-engine demo` scenario: multihoming and mobility (RFC 8046, RFC 8047) told as
// a story in acts. A has two interfaces, wlan (fast) and lte (slower); B has one address. One
// base exchange, then: a second interface announced and checked, a second SA pair bound to it
// for load balancing, flows spread over both paths, the wlan path failing (traffic fails over to
// lte, no new base exchange), wlan coming back (traffic spreads again), the lte interface moving
// to a new address (mobility), and a close. The scenario checks its own story as it goes: a step
// that does not happen fails the run (exit code 1).
import { formatLocator, locatorKey, parseLocator } from '../../addr/locator.js';
import { spreadFlows } from '../../esp/policy.js';
import type { Sim, SimHost } from '../../testing/sim.js';
import { traceLoc, type TraceValue } from '../../testing/trace.js';
import type { LocatorState } from '../../types.js';
import type { Scenario, ScenarioCtx } from './demo.js';
import { story } from './story.js';

/** Addresses, link latencies and the timeline (virtual ms) of the multihoming scenario. */
export const MULTIHOMING = {
  wlan: '2001:db8:1::a',
  lte: '2001:db8:2::a',
  /** The address the lte interface moves to in act 8. */
  lteMoved: '2001:db8:3::a',
  b: '2001:db8::b',
  wlanLatencyMs: 5,
  lteLatencyMs: 30,
  /** Start of each act. */
  acts: { bex: 0, data: 500, announce: 1000, addSa: 2000, spread: 3000, fail: 4000, back: 8000, move: 10_000, close: 12_000 },
  /** The wlan link (both directions) is down during [from, to). */
  wlanDown: [4000, 8000] as const,
  /** How long after the failure each end notices it (a path monitor's timeout). */
  detectMs: 400,
  /** The application flows; spreadFlows keeps each on one SA. */
  flows: ['voice', 'video', 'web', 'backup'] as const,
} as const;

const M = MULTIHOMING;
const enc = new TextEncoder();
const dec = new TextDecoder();
const MAX_WAIT_MS = 20_000;

type Message = { readonly from: SimHost; readonly to: SimHost; readonly flow: string; readonly text: string };

// `{wlan}`, `{lte}`, `{lteMoved}` and `{b}` in a text are locator fields: the timeline substitutes
// them (so --redact covers them too).
const { act, say } = story({ wlan: M.wlan, lte: M.lte, lteMoved: M.lteMoved, b: M.b });

function peerState(h: SimHost, peer: SimHost, address: string): LocatorState | undefined {
  const key = locatorKey(parseLocator(address));
  return h.peerLocators(peer).find((l) => locatorKey(l.locator) === key)?.state;
}

function delivered(m: Message): boolean {
  return m.to.received.some((r) => dec.decode(r.payload) === m.text);
}

/** One message per flow each way (flow key = flow name), then time for them to arrive. */
function sendFlows(ctx: ScenarioCtx, tag: string): Message[] {
  const { sim, a, b } = ctx;
  sim.note('demo', 'app-flows', { flows: M.flows.join(', ') });
  const msgs: Message[] = [];
  for (const flow of M.flows) {
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      const text = `${flow} ${tag} ${from.name}->${to.name}`;
      const r = from.send(to, enc.encode(text), { flowKey: flow });
      if (!r.ok) throw new Error(`${from.name} could not send ${JSON.stringify(text)}: ${r.reason}`);
      msgs.push({ from, to, flow, text });
    }
  }
  sim.run(150);
  return msgs;
}

/** Application-level retry of the messages not delivered (same flow keys). */
function resend(ctx: ScenarioCtx, msgs: readonly Message[]): void {
  const { sim } = ctx;
  for (const m of msgs) {
    sim.note(m.from.name, 'app-retry', { to: m.to.name, text: m.text });
    const r = m.from.send(m.to, enc.encode(m.text), { flowKey: m.flow });
    if (!r.ok) throw new Error(`${m.from.name} could not re-send ${JSON.stringify(m.text)}: ${r.reason}`);
  }
  sim.run(150);
}

function mustAllArrive(msgs: readonly Message[], what: string): void {
  const lost = msgs.filter((m) => !delivered(m));
  if (lost.length > 0) throw new Error(`${what}: ${lost.length} message(s) not delivered: ${lost.map((m) => m.text).join('; ')}`);
}

/** The paths (outer src -> dst) the messages arrived on. */
function pathsOf(msgs: readonly Message[]): Set<string> {
  const out = new Set<string>();
  for (const m of msgs) {
    for (const r of m.to.received) if (dec.decode(r.payload) === m.text) out.add(`${formatLocator(r.src)}>${formatLocator(r.dst)}`);
  }
  return out;
}

/**
 * Says so in the timeline when no message took one of `paths`: spreadFlows hashes the flow keys
 * over the SPIs, which come from the seed, so with few flows a seed may leave a path unused.
 * Not a failure (the default seed uses them all); the summary shows what each path carried.
 */
function expectPaths(sim: Sim, msgs: readonly Message[], paths: readonly string[]): void {
  const used = pathsOf(msgs);
  const missing = paths.filter((p) => !used.has(p));
  if (missing.length === 0) return;
  const fields: Record<string, TraceValue> = {};
  missing.forEach((p, i) => {
    const [src, dst] = p.split('>');
    fields[`s${i}`] = traceLoc(parseLocator(src!));
    fields[`d${i}`] = traceLoc(parseLocator(dst!));
  });
  say(sim, 'demo', `note: with this seed no flow hashed to an SA on ${missing.map((_, i) => `{s${i}} -> {d${i}}`).join(', ')}`, fields);
}

/** Writes each host's per-path ESP counters (EspDataPlane.stats().paths) into the timeline. */
function pathCounters(ctx: ScenarioCtx): void {
  for (const h of [ctx.a, ctx.b]) {
    const paths = Object.values(h.esp.stats().paths).map((p) => [traceLoc(p.src), traceLoc(p.dst), p.txPackets, p.rxPackets] as const);
    ctx.sim.note(h.name, 'paths', { paths });
  }
}

function run(ctx: ScenarioCtx): void {
  const { sim, a, b } = ctx;
  const T = M.acts;
  const [wlanOut, wlanIn, lteOut, lteIn] = [`${M.wlan}>${M.b}`, `${M.b}>${M.wlan}`, `${M.lte}>${M.b}`, `${M.b}>${M.lte}`];

  act(sim, T.bex, 1, "Base exchange over wlan: A ({wlan}) -> B ({b}); A's lte interface is not up yet");
  sim.at(sim.now, () => a.connect(b));
  sim.runUntil(() => a.established(b), { maxTimeMs: MAX_WAIT_MS });

  act(sim, T.data, 2, 'Data over wlan: one SA pair, every flow on the wlan path');
  mustAllArrive(sendFlows(ctx, '#1'), 'act 2');
  if (!b.established(a)) throw new Error('B is not ESTABLISHED after the first data');

  act(sim, T.announce, 3, "A's lte interface comes up: A announces {lte} (UPDATE with LOCATOR_SET), B checks it (ECHO_REQUEST)");
  a.setLocators([M.wlan, M.lte]);
  sim.runUntil(() => peerState(b, a, M.lte) === 'ACTIVE', { maxTimeMs: MAX_WAIT_MS });
  say(sim, 'B', "{lte} answered the ECHO_REQUEST: it is ACTIVE in B's locator table for A");

  act(sim, T.addSa, 4, 'A binds a second SA pair to lte for load balancing (addSaPair: UPDATE with ESP_INFO OLD SPI 0, from {lte})');
  const newSa = a.eventsOf('update-completed').length;
  a.addSaPair(b, { local: M.lte });
  sim.runUntil(() => a.eventsOf('update-completed').length > newSa && (a.association(b)?.sas.length ?? 0) === 2 && (b.association(a)?.sas.length ?? 0) === 2, { maxTimeMs: MAX_WAIT_MS });
  say(sim, 'demo', 'A and B now have two SA pairs: the first on wlan, the second on lte');

  act(sim, T.spread, 5, 'Traffic spread over both paths (spreadFlows: each flow stays on one SA, flows spread over the SAs)');
  const spread = sendFlows(ctx, '#2');
  mustAllArrive(spread, 'act 5');
  pathCounters(ctx);
  expectPaths(sim, spread, [wlanOut, wlanIn, lteOut, lteIn]);

  act(sim, T.fail, 6, `The wlan link fails (down from t=${M.wlanDown[0]} to t=${M.wlanDown[1]} ms); traffic moves to lte with no new base exchange`);
  sim.note('demo', 'link', { name: 'wlan', a: traceLoc(parseLocator(M.wlan)), b: traceLoc(parseLocator(M.b)), what: 'goes down (both directions)' });
  const during = sendFlows(ctx, '#3');
  sim.run(M.detectMs - 150);
  say(sim, 'B', `B's path monitor: nothing came back over wlan for ${M.detectMs} ms`);
  b.pathFailed(a, M.wlan);
  say(sim, 'B', '{wlan} is UNVERIFIED again: B moved the SA bound to it to the ACTIVE lte address and checks {wlan} (ECHO_REQUEST)');
  const lostB = during.filter((m) => m.from === b && !delivered(m));
  if (lostB.length > 0) resend(ctx, lostB);
  say(sim, 'A', 'A notices too: it takes its wlan address out of service and tells B (UPDATE with a LOCATOR_SET of lte only)');
  a.setLocators([M.lte]);
  sim.runUntil(() => peerState(b, a, M.wlan) === 'DEPRECATED', { maxTimeMs: MAX_WAIT_MS });
  const lostA = during.filter((m) => !delivered(m));
  if (lostA.length > 0) resend(ctx, lostA);
  mustAllArrive(during, 'act 6 (after the application retries)');
  const failover = sendFlows(ctx, '#4');
  mustAllArrive(failover, 'act 6');
  if ([...pathsOf(failover)].some((p) => p.includes(M.wlan))) throw new Error('act 6: data still uses the wlan address after the failover');
  pathCounters(ctx);

  act(sim, T.back, 7, 'wlan is back: A announces {wlan} again, B re-checks it, A binds a fresh SA pair to it');
  sim.note('demo', 'link', { name: 'wlan', a: traceLoc(parseLocator(M.wlan)), b: traceLoc(parseLocator(M.b)), what: 'is up again' });
  say(sim, 'A', 'A lists lte first, so lte stays its preferred locator (P bit) and the first SA pair stays on it');
  a.setLocators([M.lte, M.wlan]);
  sim.runUntil(() => peerState(b, a, M.wlan) === 'ACTIVE', { maxTimeMs: MAX_WAIT_MS });
  sim.run(100);
  const third = a.eventsOf('update-completed').length;
  a.addSaPair(b, { local: M.wlan });
  sim.runUntil(() => a.eventsOf('update-completed').length > third && (a.association(b)?.sas.length ?? 0) === 3 && (b.association(a)?.sas.length ?? 0) === 3, { maxTimeMs: MAX_WAIT_MS });
  sim.run(100);
  const again = sendFlows(ctx, '#5');
  mustAllArrive(again, 'act 7');
  expectPaths(sim, again, [wlanOut, wlanIn, lteOut, lteIn]);
  pathCounters(ctx);

  act(sim, T.move, 8, "A's lte interface moves to {lteMoved} (mobility: UPDATE with LOCATOR_SET, B checks the new address)");
  a.moveLocator(M.lte, M.lteMoved);
  sim.runUntil(() => peerState(b, a, M.lteMoved) === 'ACTIVE' && peerState(b, a, M.lte) === 'DEPRECATED', { maxTimeMs: MAX_WAIT_MS });
  sim.run(200);
  const moved = sendFlows(ctx, '#6');
  mustAllArrive(moved, 'act 8');
  expectPaths(sim, moved, [`${M.lteMoved}>${M.b}`, `${M.b}>${M.lteMoved}`]);
  pathCounters(ctx);

  act(sim, T.close, 9, 'Close (CLOSE / CLOSE_ACK): every SA goes');
  a.close(b);
  sim.runUntil(() => a.eventsOf('closed').length > 0 && b.eventsOf('closed').length > 0, { maxTimeMs: MAX_WAIT_MS });
  sim.run(50);
}

export const MULTIHOMING_SCENARIO: Scenario = {
  name: 'multihoming',
  summary: `A on wlan (${M.wlanLatencyMs} ms) and lte (${M.lteLatencyMs} ms), B on one address: one base exchange, an SA pair per path, flows spread over both, wlan fails (failover) and returns, lte moves (mobility), close`,
  // A seed whose SPIs hash the four flows onto every path in acts 5, 7 and 8 (see expectPaths).
  defaultSeed: 7,
  setup: (sim) => {
    const a = sim.host('A', { locators: [M.wlan], espOptions: { policy: spreadFlows } });
    const b = sim.host('B', { locators: [M.b], espOptions: { policy: spreadFlows } });
    sim.link(M.wlan, M.b, { latencyMs: M.wlanLatencyMs, down: [M.wlanDown] });
    sim.link(M.lte, M.b, { latencyMs: M.lteLatencyMs });
    sim.link(M.lteMoved, M.b, { latencyMs: M.lteLatencyMs });
    sim.note('demo', 'link', { name: 'wlan', a: traceLoc(parseLocator(M.wlan)), b: traceLoc(parseLocator(M.b)), what: `${M.wlanLatencyMs} ms one way` });
    sim.note('demo', 'link', { name: 'lte', a: traceLoc(parseLocator(M.lte)), b: traceLoc(parseLocator(M.b)), what: `${M.lteLatencyMs} ms one way` });
    sim.note('demo', 'link', { name: 'lte', a: traceLoc(parseLocator(M.lteMoved)), b: traceLoc(parseLocator(M.b)), what: `${M.lteLatencyMs} ms one way (after the move)` });
    return { sim, a, b };
  },
  run,
};
