// Shared setup of the rendezvous scenarios (rfc8004-*.sim.test.ts, rfc8046-double-jump,
// the RFC figure pages): two hosts and a rendezvous server that both are registered with.
import { parseLocator } from '../../src/addr/locator.js';
import type { EnginePolicy } from '../../src/engine/policy.js';
import { connectVia, registerRendezvous, rvsHost, type Sim, type SimHost } from '../../src/testing/index.js';
import { A1, A2, B1, B2, host, mesh } from './mobility-helpers.js';

/** The rendezvous server's address in every rendezvous scenario. */
export const RVS_ADDR = '2001:db8:30::1';

export type RvsWorld = { readonly a: SimHost; readonly b: SimHost; readonly rvs: SimHost };

/**
 * Hosts A (at A1, may move to A2) and B (at B1, may move to B2), every address linked to every
 * other of its family and to the RVS; both registered for RENDEZVOUS with the RVS.
 */
export function twoClients(sim: Sim, policy?: Partial<EnginePolicy>): RvsWorld {
  const a = host(sim, 'A', { locators: [A1], ...(policy ? { policy } : {}) });
  const b = host(sim, 'B', { locators: [B1], ...(policy ? { policy } : {}) });
  const rvs = rvsHost(sim, 'RVS', { locators: [RVS_ADDR], clients: [a, b] });
  mesh(sim, [A1, A2], [B1, B2, RVS_ADDR]);
  mesh(sim, [B1, B2], [RVS_ADDR]);
  registerRendezvous(sim, a, rvs);
  registerRendezvous(sim, b, rvs);
  sim.runUntil(() => a.eventsOf('registered').length > 0 && b.eventsOf('registered').length > 0, { maxTimeMs: 10_000 });
  return { a, b, rvs };
}

/**
 * A reaches B through the RVS (RFC 8004 §3.3) and both end ESTABLISHED (one ESP packet A to B);
 * A learned B's RVS from the R1's VIA_RVS; with `tellB`, B is told the RVS serves A too (as from
 * A's DNS record, RFC 8004 §3).
 */
export function contactThroughRvs(sim: Sim, w: RvsWorld, tellB: boolean): void {
  const { a, b } = w;
  connectVia(sim, a, b, RVS_ADDR);
  sim.runUntil(() => a.established(b), { maxTimeMs: 20_000 });
  a.send(b, new TextEncoder().encode('hello'));
  sim.runUntil(() => b.established(a), { maxTimeMs: 20_000 });
  if (tellB) b.engine.setPeerRvs(b.association(a)!.id, [parseLocator(RVS_ADDR)], sim.now);
}
