// The `hip-engine demo --scenario rendezvous` story: a rendezvous server (RFC 8004) and the
// double jump through it (RFC 8046 §3.2.3), in acts. A and B register with the RVS (RFC 8003
// registration in the base exchange); A, knowing only B's HIT and the RVS address, reaches B
// through it (RFC 8004 Figure 2); data flows directly; then both hosts move at the same moment,
// so each one's UPDATEs go to a stale address of the other; the RVS relays the retransmitted
// UPDATEs to the new addresses and the hosts find each other again with no new base exchange.
// The scenario checks its own story: a step that does not happen fails the run (exit code 1).
import { parseLocator } from '../../addr/locator.js';
import { REG_TYPE_RENDEZVOUS } from '../../engine/reg-types.js';
import { connectVia, registerRendezvous, rvsHost } from '../../testing/rvs-host.js';
import type { Sim, SimHost } from '../../testing/sim.js';
import { traceLoc, type TraceValue } from '../../testing/trace.js';
import type { Scenario, ScenarioCtx } from './demo.js';
import { story, talk } from './story.js';

/** Addresses, latency and the timeline (virtual ms) of the rendezvous scenario. */
export const RENDEZVOUS = {
  a: '2001:db8:1::a',
  aMoved: '2001:db8:2::a',
  b: '2001:db8:1::b',
  bMoved: '2001:db8:2::b',
  rvs: '2001:db8:30::1',
  latencyMs: 10,
  acts: { register: 0, contact: 500, data: 1000, jump: 1500, after: 8000, close: 9000 },
} as const;

const R = RENDEZVOUS;
const MAX_WAIT_MS = 20_000;
const RVS_OF = new WeakMap<Sim, SimHost>();

const { act, say } = story({ a: R.a, aMoved: R.aMoved, b: R.b, bMoved: R.bMoved, rvs: R.rvs });

function hipSends(sim: Sim, from: number, pred: (r: { host: string; kind: string; fields: Readonly<Record<string, TraceValue>> }) => boolean): number {
  return sim.trace.records.slice(from).filter((r) => r.dir === 'send' && r.kind !== 'ESP' && pred({ host: r.host, kind: r.kind, fields: r.fields ?? {} })).length;
}

function run(ctx: ScenarioCtx): void {
  const { sim, a, b } = ctx;
  const rvs = RVS_OF.get(sim)!;
  const T = R.acts;

  act(sim, T.register, 1, 'A and B register with the rendezvous server {rvs}: R1(REG_INFO), I2(REG_REQUEST), R2(REG_RESPONSE)');
  registerRendezvous(sim, b, rvs);
  registerRendezvous(sim, a, rvs);
  sim.runUntil(() => a.eventsOf('registered').length > 0 && b.eventsOf('registered').length > 0, { maxTimeMs: MAX_WAIT_MS });
  for (const h of [a, b]) {
    const reg = h.eventsOf('registered')[0]!;
    if (!reg.regTypes.includes(REG_TYPE_RENDEZVOUS)) throw new Error(`${h.name} did not get RENDEZVOUS`);
  }
  say(sim, 'RVS', 'The RVS now relays I1s (and UPDATEs) addressed to the HITs of A and B to their current addresses');

  act(sim, T.contact, 2, "First contact: A knows only B's HIT and the RVS address; the I1 goes to {rvs}, which relays it to B with FROM and RVS_HMAC");
  const t0 = sim.trace.length;
  connectVia(sim, a, b, R.rvs);
  sim.runUntil(() => a.established(b), { maxTimeMs: MAX_WAIT_MS });
  if (hipSends(sim, t0, (r) => r.host === 'RVS' && r.kind === 'I1') !== 1) throw new Error('act 2: the RVS should relay exactly one I1');
  say(sim, 'B', 'B checked the RVS_HMAC, sent its R1 straight to A (VIA_RVS names the RVS); I2 and R2 went directly');

  act(sim, T.data, 3, 'Data flows directly between {a} and {b}, through ESP');
  talk(sim, a, b, 'before the move');
  b.engine.setPeerRvs(b.association(a)!.id, [parseLocator(R.rvs)], sim.now);
  say(sim, 'B', "B knows A's rendezvous server too (as from A's DNS record); A learned B's from the VIA_RVS of the R1");

  act(sim, T.jump, 4, 'Double jump: A moves to {aMoved} and B to {bMoved} at the same moment; each UPDATE goes to the stale address');
  const i1Before = hipSends(sim, 0, (r) => r.kind === 'I1');
  const t1 = sim.trace.length;
  a.moveLocator(R.a, R.aMoved);
  b.moveLocator(R.b, R.bMoved);
  sim.runUntil(() => {
    const ia = a.association(b);
    const ib = b.association(a);
    return ia !== undefined && ib !== undefined && ia.peerLocator.every((x, i) => x === parseLocator(R.bMoved)[i]) && ib.peerLocator.every((x, i) => x === parseLocator(R.aMoved)[i]);
  }, { maxTimeMs: MAX_WAIT_MS });
  const relayed = hipSends(sim, t1, (r) => r.host === 'RVS' && r.kind === 'UPDATE');
  if (relayed === 0) throw new Error('act 4: no UPDATE was relayed by the RVS');
  say(sim, 'RVS', 'The RVS relayed the retransmitted UPDATEs to the new addresses; the answers went directly, with VIA_RVS');

  act(sim, T.after, 5, 'Data again, on the new addresses, with the same SAs: no new base exchange');
  talk(sim, a, b, 'after the double jump');
  if (hipSends(sim, 0, (r) => r.kind === 'I1') !== i1Before) throw new Error('act 5: a new base exchange was started');

  act(sim, T.close, 6, 'Close (CLOSE / CLOSE_ACK) between A and B; the registrations stay with the RVS');
  a.close(b);
  sim.runUntil(() => a.eventsOf('closed').length > 0 && b.eventsOf('closed').length > 0, { maxTimeMs: MAX_WAIT_MS });
  sim.run(50);
}

export const RENDEZVOUS_SCENARIO: Scenario = {
  name: 'rendezvous',
  summary: 'A and B register with a rendezvous server, A reaches B through it, both move at once (double jump) and recover through the RVS, close',
  defaultSeed: 1,
  setup: (sim) => {
    const a = sim.host('A', { locators: [R.a] });
    const b = sim.host('B', { locators: [R.b] });
    const rvs = rvsHost(sim, 'RVS', { locators: [R.rvs], clients: [a, b] });
    RVS_OF.set(sim, rvs);
    const link = { latencyMs: R.latencyMs };
    for (const x of [R.a, R.aMoved]) for (const y of [R.b, R.bMoved, R.rvs]) sim.link(x, y, link);
    for (const y of [R.b, R.bMoved]) sim.link(y, R.rvs, link);
    sim.note('demo', 'link', { name: 'net', a: traceLoc(parseLocator(R.a)), b: traceLoc(parseLocator(R.b)), what: `${R.latencyMs} ms one way between any two addresses, the RVS at ${R.rvs}` });
    return { sim, a, b };
  },
  run,
};
