// The simulator's rendezvous server host (RFC 8004) and the two client-side steps around it:
// registering for RENDEZVOUS (RFC 8004 §3.2) and contacting a host through its RVS (§3.3).
// An RVS is an ordinary simulated host whose engine offers the RENDEZVOUS registration type; the
// relaying itself is the engine's (src/engine/rvs.ts).
import { REG_TYPE_RENDEZVOUS } from '../engine/reg-types.js';
import type { AssocId, Hit, Locator } from '../types.js';
import type { HipEvent } from '../engine/io.js';
import type { Sim, SimHost, SimHostOptions } from './sim.js';
import { traceHit, type TraceValue } from './trace.js';
import { parseLocator } from '../addr/locator.js';

/** Options of {@link rvsHost}: those of `Sim.host`, and who may register (default: nobody). */
export type RvsHostOptions = SimHostOptions & {
  /** HITs allowed to register for RENDEZVOUS (config.registrationAllowList). Default: none. */
  readonly clients?: readonly (Hit | SimHost)[];
};

/** Adds a rendezvous server: a host that offers RENDEZVOUS (RFC 8004 §4.1) to `clients`. */
export function rvsHost(sim: Sim, name: string, opts: RvsHostOptions): SimHost {
  const { clients, ...rest } = opts;
  const allow = (clients ?? []).map((c) => (c instanceof Uint8Array ? c : c.hit));
  return sim.host(name, {
    ...rest,
    config: { ...rest.config, registrarTypes: [REG_TYPE_RENDEZVOUS], registrationAllowList: [...(rest.config?.registrationAllowList ?? []), ...allow] },
  });
}

/**
 * `client` runs a base exchange with `rvs` and asks for RENDEZVOUS in its I2 (RFC 8004 §3.2,
 * RFC 8003 §3.2); the grant comes with the R2 (a `registered` event).
 */
export function registerRendezvous(sim: Sim, client: SimHost, rvs: SimHost): AssocId {
  sim.note(client.name, 'connect', { peer: traceHit(rvs.hit), register: 'RENDEZVOUS' });
  const id = client.engine.connect({ hit: rvs.hit, locators: rvs.locators, register: [REG_TYPE_RENDEZVOUS] }, sim.now);
  sim.drainHost(client);
  return id;
}

/**
 * `initiator` contacts the host with HIT `responder` knowing only the address of its RVS
 * (RFC 8004 §3.3): the I1 goes to the RVS, the rest of the exchange directly.
 */
export function connectVia(sim: Sim, initiator: SimHost, responder: Hit | SimHost, rvs: Locator | string): AssocId {
  const hit = responder instanceof Uint8Array ? responder : responder.hit;
  sim.note(initiator.name, 'connect', { peer: traceHit(hit), via: typeof rvs === 'string' ? rvs : 'rvs' });
  const id = initiator.engine.connect({ hit, locators: [typeof rvs === 'string' ? parseLocator(rvs) : rvs] }, sim.now);
  sim.drainHost(initiator);
  return id;
}

/** Trace fields of the registration events (RFC 8003): who, which types, how long or why. */
export function registrationFields(ev: Extract<HipEvent, { type: 'registered' | 'registration-failed' | 'registration-ended' }>): Readonly<Record<string, TraceValue>> {
  const base = { assoc: ev.assoc, peer: traceHit(ev.peerHit), types: ev.regTypes.join(',') };
  if (ev.type === 'registered') return { ...base, as: ev.as, lifetimeS: Math.round(ev.lifetimeS) };
  if (ev.type === 'registration-failed') return { ...base, failureType: ev.failureType };
  return { ...base, as: ev.as, by: ev.by };
}
