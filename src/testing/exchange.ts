// Base exchanges run engine to engine, without the simulator: a zero-latency in-memory wire
// that hands each transmit straight to the other engine. For building many associations in one
// Responder quickly (the scale benchmark and the engine's work-counting tests), where links,
// timers and the data plane are not under study. SA, locator and event outputs are drained and
// dropped; the simulator (sim.ts) is the place to look at those.
import type { HostIdentity } from '../crypto/host-id.js';
import type { CryptoProvider } from '../crypto/provider.js';
import type { HipConfig } from '../engine/config.js';
import { HipEngine } from '../engine/hip-engine.js';
import type { AssocId, Hit, Locator, Millis, RandomSource } from '../types.js';

/**
 * Delivers every transmit of either engine to the other, as a datagram from the transmit's
 * source to its destination, until neither has output left. Returns the packets delivered.
 */
export function exchangeDirect(a: HipEngine, b: HipEngine, now: Millis): number {
  let delivered = 0;
  for (let moved = true; moved; ) {
    moved = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let o = from.poll(); o !== undefined; o = from.poll()) {
        if (o.kind !== 'transmit') continue;
        to.handle({ kind: 'datagram', bytes: o.bytes, src: o.src, dst: o.dst }, now);
        delivered++;
        moved = true;
      }
    }
  }
  return delivered;
}

/**
 * Options of {@link establishDirect}: the Initiator's identity and locator, the Responder's locator
 * and HIT, and the Initiator engine's setup.
 */
export type DirectExchangeOptions = {
  /** The Initiator's identity (its HIT must be new to the Responder). */
  readonly identity: HostIdentity;
  /** The Initiator's locator, and the Responder's (one of its own). */
  readonly locator: Locator;
  readonly responderLocator: Locator;
  /** The Responder identity to connect to; default its first. */
  readonly responderHit?: Hit;
  readonly crypto?: CryptoProvider;
  readonly random?: RandomSource;
  readonly config?: Partial<HipConfig>;
};

/**
 * What {@link establishDirect} returns: the Initiator's engine and the association id on each side,
 * both ESTABLISHED.
 */
export type DirectExchange = {
  /** A fresh engine holding the Initiator's one association. */
  readonly initiator: HipEngine;
  readonly initiatorAssoc: AssocId;
  readonly responderAssoc: AssocId;
};

/**
 * Runs one base exchange from a fresh Initiator engine to `responder` at `now`, then feeds the
 * Responder the first ESP packet's `esp-seen`, so that both ends are ESTABLISHED (RFC 7401 §6.9
 * step 21: the Responder leaves R2-SENT on the first data). Throws Error if the exchange does
 * not complete (a misconfigured pair, not remote input).
 */
export function establishDirect(responder: HipEngine, opts: DirectExchangeOptions, now: Millis): DirectExchange {
  const responderHit = opts.responderHit ?? responder.localHits[0]!;
  const initiator = newInitiator(opts, now);
  const initiatorAssoc = initiator.connect({ hit: responderHit, locators: [opts.responderLocator] }, now);
  exchangeDirect(initiator, responder, now);
  const state = initiator.association(initiatorAssoc)?.state;
  const responderAssoc = responder.associationByHits(responderHit, opts.identity.hit);
  const sa = responderAssoc === undefined ? undefined : responder.association(responderAssoc)?.sas[0];
  if (state !== 'ESTABLISHED' || responderAssoc === undefined || sa === undefined) {
    throw new Error(`base exchange did not complete: Initiator ${String(state)}, Responder ${responderAssoc === undefined ? 'none' : responder.association(responderAssoc)?.state}`);
  }
  responder.handle({ kind: 'esp-seen', spi: sa.localSpi, src: opts.locator, dst: opts.responderLocator }, now);
  exchangeDirect(initiator, responder, now);
  return { initiator, initiatorAssoc, responderAssoc };
}

/** The Responder-side steps of `responderLifecycle`, in the order they run. */
export const RESPONDER_STEPS = ['I1→R1', 'I2→R2', 'first ESP seen', 'rekey', 'close to discard'] as const;
/** A step of {@link responderLifecycle} (one of {@link RESPONDER_STEPS}). */
export type ResponderStep = (typeof RESPONDER_STEPS)[number];

/**
 * One association's whole life against `responder`, step by step, with `around(step, run)`
 * called for each step (it must call `run` once): to time or count the Responder's work per
 * step. The steps: the Responder answers the Initiator's I1 (stateless R1), then its I2 (R2,
 * association created), sees the first ESP packet (ESTABLISHED), rekeys (three UPDATEs, RFC 7402
 * §6.8, both engines), and closes (CLOSE, CLOSE_ACK, both engines) until the association is
 * discarded. The Responder holds as many associations afterwards as before.
 */
export function responderLifecycle(
  responder: HipEngine,
  opts: DirectExchangeOptions,
  now: Millis,
  around: (step: ResponderStep, run: () => void) => void,
): void {
  const responderHit = opts.responderHit ?? responder.localHits[0]!;
  const initiator = newInitiator(opts, now);
  initiator.connect({ hit: responderHit, locators: [opts.responderLocator] }, now);
  const deliverAll = (from: HipEngine, to: HipEngine): void => {
    for (let o = from.poll(); o !== undefined; o = from.poll()) {
      if (o.kind === 'transmit') to.handle({ kind: 'datagram', bytes: o.bytes, src: o.src, dst: o.dst }, now);
    }
  };
  const drain = (e: HipEngine): void => {
    while (e.poll() !== undefined);
  };
  const i1 = transmits(initiator);
  around('I1→R1', () => {
    for (const t of i1) responder.handle({ kind: 'datagram', bytes: t.bytes, src: t.src, dst: t.dst }, now);
  });
  deliverAll(responder, initiator);
  const i2 = transmits(initiator);
  around('I2→R2', () => {
    for (const t of i2) responder.handle({ kind: 'datagram', bytes: t.bytes, src: t.src, dst: t.dst }, now);
  });
  deliverAll(responder, initiator);
  drain(initiator);
  const id = responder.associationByHits(responderHit, opts.identity.hit);
  const sa = id === undefined ? undefined : responder.association(id)?.sas[0];
  if (id === undefined || sa === undefined) throw new Error('the Responder did not answer the I2');
  around('first ESP seen', () => {
    responder.handle({ kind: 'esp-seen', spi: sa.localSpi, src: opts.locator, dst: opts.responderLocator }, now);
    drain(responder);
  });
  around('rekey', () => {
    responder.rekey(id, now);
    exchangeDirect(responder, initiator, now);
  });
  around('close to discard', () => {
    responder.close(id, now);
    exchangeDirect(responder, initiator, now);
  });
  if (responder.association(id) !== undefined) throw new Error(`the Responder still holds association ${id} after CLOSE_ACK`);
}

function transmits(e: HipEngine): { bytes: Uint8Array; src: Locator; dst: Locator }[] {
  const out: { bytes: Uint8Array; src: Locator; dst: Locator }[] = [];
  for (let o = e.poll(); o !== undefined; o = e.poll()) if (o.kind === 'transmit') out.push({ bytes: o.bytes, src: o.src, dst: o.dst });
  return out;
}

function newInitiator(opts: DirectExchangeOptions, now: Millis): HipEngine {
  return new HipEngine(
    {
      identities: [opts.identity],
      locators: [opts.locator],
      ...(opts.crypto ? { crypto: opts.crypto } : {}),
      ...(opts.random ? { random: opts.random } : {}),
      ...(opts.config ? { config: opts.config } : {}),
    },
    now,
  );
}
